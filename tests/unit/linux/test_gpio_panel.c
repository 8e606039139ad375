/* SPDX-License-Identifier: MIT
 *
 * test_gpio_panel.c - the Linux port of the panel role (ports/linux/
 * kb_gpio_panel.c) through its real open/ioctl calls against the fake GPIO
 * character device (tests/fake-gpio). The fake's "world" is a simulated
 * keypad (src/sim/kb_sim_keypad.h) behind the reference wiring (NPN on the
 * clock and on the write line: GPIO high pulls the bus low): it hears the
 * two outputs, drives the data input, and must see the start-up sequence
 * and send its keys back through the port.
 *
 * The fake and the port are compiled into this test (#included): the
 * generic unit-test rule links neither libkblinux nor libfakegpio, and the
 * fake's open/ioctl in the executable interpose the C library's as the
 * shared object does.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h> /* sigset_t, for the fake's ppoll */
#ifndef RTLD_NEXT /* the test flags do not ask for GNU extensions */
#define RTLD_NEXT ((void *)-1l)
#endif
#include "../../fake-gpio/fake_gpio.c"
#include "../../../ports/linux/kb_gpio_panel.c"

#include "harness.h"
#include "sim/kb_sim_keypad.h"

#define DIR "/nonexistent-keybus-fake/dev"
#define CHIP DIR "/gpiochip2"
#define OFF_CLK 5
#define OFF_DAT 6
#define OFF_WR 7
#define US 1000ull

typedef struct {
  kb_skp_t kp;
  int bus_clk, eng_low, kp_bit;
  int pending_rise;
  uint64_t t_rise;
  uint64_t clock_edges;
  int bad_order; /* data changed by the engine while the clock was low */
} world_t;

static world_t W;

static void w_data(uint64_t t) {
  int d = W.kp_bit && !W.eng_low;
  if (fake_gpio_level(OFF_DAT) != d) fake_gpio_edge(OFF_DAT, d, t);
}

/* the keypad reads the panel bit 250 us into the high phase */
static void w_advance(void *ctx, uint64_t now) {
  (void)ctx;
  if (W.pending_rise && now >= W.t_rise + 250 * US) {
    W.pending_rise = 0;
    kb_skp_rise(&W.kp, W.t_rise / US, fake_gpio_level(OFF_DAT) != 0);
  }
  if (W.bus_clk) kb_skp_idle(&W.kp, now / US);
}

static uint64_t w_next(void *ctx) {
  (void)ctx;
  return UINT64_MAX;
}

static void w_output(void *ctx, unsigned off, int v, uint64_t now) {
  (void)ctx;
  if (off == OFF_WR) {
    W.eng_low = v; /* NPN: GPIO high pulls the data line low */
    if (v && !W.bus_clk) W.bad_order++;
    w_data(now);
    return;
  }
  if (off != OFF_CLK) return;
  W.clock_edges++;
  W.bus_clk = !v; /* NPN: GPIO high pulls the clock low */
  if (W.bus_clk) {
    W.kp_bit = 1; /* the keypad releases */
    W.t_rise = now;
    W.pending_rise = 1;
  } else {
    W.kp_bit = (int)kb_skp_fall(&W.kp, now / US);
  }
  w_data(now);
}

static kb_gpio_panel_cfg_t cfg_default(void) {
  kb_gpio_panel_cfg_t c;
  memset(&c, 0, sizeof c);
  c.dev_dir = DIR;
  c.chip_label = "pinctrl-test";
  c.clock_name = "GPIO5";
  c.data_name = "GPIO6";
  c.write_name = "GPIO7";
  return c;
}

static void setup(void) {
  static const char *names[16] = {NULL, NULL, NULL, NULL, NULL, "GPIO5", "GPIO6", "GPIO7"};
  fake_gpio_world_t fw;
  fake_gpio_reset();
  KT_CHECK(fake_gpio_add_chip(CHIP, "pinctrl-test", 16, names) >= 0);
  memset(&W, 0, sizeof W);
  kb_skp_init(&W.kp, 1, 0);
  W.bus_clk = 1;
  W.kp_bit = 1;
  fw.advance = w_advance;
  fw.next_ns = w_next;
  fw.output = w_output;
  fw.ctx = NULL;
  fake_gpio_set_world(&fw);
  fake_gpio_edge(OFF_DAT, 1, 0);
}

static void test_drives_keypad(void) {
  kb_pnl_t pnl;
  kb_pnl_cfg_t pc;
  kb_gpio_panel_t *g = NULL;
  kb_gpio_panel_cfg_t c = cfg_default();
  kb_gpio_panel_stats_t ps;
  uint8_t key, keys[8];
  unsigned nk = 0;
  uint64_t t = 0;
  setup();
  kb_pnl_cfg_default(&pc);
  pc.powerup_ms = 5;
  kb_pnl_init(&pnl, &pc);
  KT_EQ(kb_gpio_panel_open(&c, &pnl, &g), KB_GPIO_OK);
  KT_CHECK(g != NULL);
  if (!g) return;
  /* released at request time: GPIO low on both NPN bases */
  KT_EQ(fake_gpio_level(OFF_CLK), 0);
  KT_EQ(fake_gpio_level(OFF_WR), 0);
  KT_CHECK(kb_skp_press(&W.kp, 0x05));
  KT_CHECK(kb_skp_press(&W.kp, KB_SKP_ALARM | 0xEE));
  KT_CHECK(kb_skp_press(&W.kp, 0x2D));
  for (unsigned i = 0; i < 2 * 1500; i++) { /* 1.5 s */
    t += KB_PNL_HALF_US * US;
    fake_gpio_advance(t);
    if (i % 2 == 0) {
      (void)kb_pnl_poll(&pnl);
      while (kb_pnl_key(&pnl, &key))
        if (nk < sizeof keys) keys[nk++] = key;
    }
    KT_EQ(kb_gpio_panel_step(g), KB_GPIO_OK);
  }
  KT_EQ(W.kp.bad, 0);
  KT_CHECK(W.kp.nlog >= 10);
  {
    static const uint8_t want[] = {0x16, 0x5D, 0x4C, 0xB1, 0xA5, 0x05, 0xD5, 0x27};
    unsigned j = 0, n1c = 0;
    /* the Panic key's 0x1C comes in between */
    for (unsigned i = 0; i < W.kp.nlog && i < KB_SKP_LOG && j < sizeof want; i++) {
      if (W.kp.log[i] == 0x1C) {
        n1c++;
        continue;
      }
      KT_EQ(W.kp.log[i], want[j]);
      j++;
    }
    KT_EQ(j, sizeof want);
    KT_EQ(n1c, 1);
  }
  KT_EQ(nk, 3);
  KT_EQ(keys[0], 0x05);
  KT_EQ(keys[1], KB_PNL_KEY_PANIC);
  KT_EQ(keys[2], 0x2D);
  KT_EQ(W.kp.lights, 0x81);
  KT_EQ(W.bad_order, 0);
  kb_gpio_panel_stats(g, &ps);
  KT_EQ(ps.halves, 3000);
  KT_EQ(ps.gets, 3000);
  KT_EQ(ps.sets, W.clock_edges); /* one SET_VALUES per clock edge, data bit included */
  kb_gpio_panel_close(g);
  KT_EQ(fake_gpio_level(OFF_CLK), 0); /* closed: bus clock idle high */
  KT_EQ(fake_gpio_level(OFF_WR), 0);
}

/* Direct wiring (no transistors): GPIO level = bus level. */
static void test_active_levels(void) {
  kb_pnl_t pnl;
  kb_gpio_panel_t *g = NULL;
  kb_gpio_panel_cfg_t c = cfg_default();
  kb_pnl_cfg_t pc;
  setup();
  kb_pnl_cfg_default(&pc);
  pc.powerup_ms = 0;
  kb_pnl_init(&pnl, &pc);
  c.clock_active_high = true;
  c.write_active_low = true;
  KT_EQ(kb_gpio_panel_open(&c, &pnl, &g), KB_GPIO_OK);
  if (!g) return;
  KT_EQ(fake_gpio_level(OFF_CLK), 1);
  KT_EQ(fake_gpio_level(OFF_WR), 1);
  (void)kb_pnl_poll(&pnl);
  KT_EQ(kb_gpio_panel_step(g), KB_GPIO_OK); /* first falling edge */
  KT_EQ(fake_gpio_level(OFF_CLK), 0);
  KT_EQ(kb_gpio_panel_step(g), KB_GPIO_OK); /* bit 0 of 0x16: a 0 */
  KT_EQ(fake_gpio_level(OFF_CLK), 1);
  KT_EQ(fake_gpio_level(OFF_WR), 0);
  kb_gpio_panel_close(g);
}

static void test_open_errors(void) {
  kb_pnl_t pnl;
  kb_gpio_panel_t *g = (kb_gpio_panel_t *)&pnl;
  kb_gpio_panel_cfg_t c = cfg_default();
  setup();
  kb_pnl_init(&pnl, NULL);
  KT_EQ(kb_gpio_panel_open(NULL, &pnl, &g), KB_GPIO_ERR_CONFIG);
  KT_CHECK(g == NULL);
  c.write_name = "GPIO99";
  KT_EQ(kb_gpio_panel_open(&c, &pnl, &g), KB_GPIO_ERR_CONFIG);
  KT_CHECK(g == NULL);
  c = cfg_default();
  c.chip_label = "no-such-chip";
  KT_EQ(kb_gpio_panel_open(&c, &pnl, &g), KB_GPIO_GONE);
  c = cfg_default();
  c.chip_label = NULL;
  c.chip_path = DIR "/gpiochip9";
  KT_EQ(kb_gpio_panel_open(&c, &pnl, &g), KB_GPIO_GONE);
  /* a line already taken */
  c = cfg_default();
  {
    kb_gpio_panel_t *g1 = NULL;
    KT_EQ(kb_gpio_panel_open(&c, &pnl, &g1), KB_GPIO_OK);
    KT_EQ(kb_gpio_panel_open(&c, &pnl, &g), KB_GPIO_ERR_CONFIG);
    kb_gpio_panel_close(g1);
  }
  kb_gpio_panel_close(NULL);
}

/* The clock thread's loop in real time, briefly: it steps on schedule and
 * measures its lateness (the figure docs/keypad-interface.md talks about). */
static volatile int stop_flag;
static void *stopper(void *arg) {
  struct timespec d = {0, 60 * 1000000L};
  (void)arg;
  nanosleep(&d, NULL);
  stop_flag = 1;
  return NULL;
}

static void count_task(void *ctx) { (*(unsigned *)ctx)++; }

static void test_run_loop(void) {
  unsigned ntask = 0;
  kb_pnl_t pnl;
  kb_pnl_cfg_t pc;
  kb_gpio_panel_t *g = NULL;
  kb_gpio_panel_cfg_t c = cfg_default();
  kb_gpio_panel_stats_t ps;
  pthread_t th;
  uint64_t sum = 0;
  setup();
  kb_pnl_cfg_default(&pc);
  pc.powerup_ms = 0;
  kb_pnl_init(&pnl, &pc);
  KT_EQ(kb_gpio_panel_open(&c, &pnl, &g), KB_GPIO_OK);
  if (!g) return;
  (void)kb_pnl_poll(&pnl); /* one frame staged */
  stop_flag = 0;
  KT_EQ(pthread_create(&th, NULL, stopper, NULL), 0);
  KT_EQ(kb_gpio_panel_run(g, &stop_flag, count_task, &ntask), KB_GPIO_OK);
  pthread_join(th, NULL);
  kb_gpio_panel_stats(g, &ps);
  for (unsigned i = 0; i < 5; i++) sum += ps.late_hist[i];
  KT_EQ(sum, ps.halves);
  /* 60 ms at 2 steps per ms: at most about 120, never a burst above it; a
   * loaded test machine wakes the thread late (fewer steps, counted late) */
  KT_CHECK(ps.halves >= 10 && ps.halves <= 125);
  KT_CHECK(ps.halves >= 110 || ps.max_late_us > 0);
  KT_CHECK(W.clock_edges > 0);
  KT_EQ(ntask, ps.halves / 2u); /* the task hook: after every second step */
  printf("info: run loop: %llu halves in 60 ms, max late %u us, overruns %llu\n",
         (unsigned long long)ps.halves, ps.max_late_us, (unsigned long long)ps.overruns);
  kb_gpio_panel_close(g);
}

KT_MAIN(KT_CASE(test_drives_keypad), KT_CASE(test_active_levels), KT_CASE(test_open_errors),
        KT_CASE(test_run_loop))
