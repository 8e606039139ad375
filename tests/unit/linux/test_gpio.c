/* SPDX-License-Identifier: MIT
 *
 * test_gpio.c - the Linux GPIO backend (ports/linux) end to end, through its
 * real open/ioctl/read/poll calls, against the fake GPIO character device
 * (tests/fake-gpio, linked ahead of the C library). The fake's "world" is
 * the simulated panel (kb_sim_panel.h) clocked in virtual time: it turns the
 * panel's messages into clock/data edges, and the backend's write line
 * (SET_VALUES) into the data line being pulled low, which the panel reads
 * back at the end of each low phase - so a key the virtual keypad writes
 * reaches the panel only if the backend drove it in time.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fake-gpio/fake_gpio.h"
#include "harness.h"
#include "host/kb_wave.h"
#include "keybus/kb_bus.h"
#include "ports/linux/kb_gpio.h"
#include "sim/kb_sim_classic.h"
#include "sim/kb_sim_panel.h"

#define DIR "/nonexistent-keybus-fake/dev"
#define CHIP DIR "/gpiochip4"
#define OFF_CLK 23
#define OFF_DAT 24
#define OFF_WR 17
#define US 1000ull
#define MS 1000000ull

static const char *names[32];

/* ------------------------------------------------------------- world */

typedef struct {
  kb_sim_panel_t panel;
  uint8_t bytes[KB_SIM_FRAME], module[KB_SIM_FRAME];
  uint16_t bits;
  unsigned k;
  int rise; /* next edge: 0 falling, 1 rising */
  uint64_t t_next, last_fall;
  int clk, data, panel_drv, eng_low;
  uint64_t messages, lows, late_lows, high_lows;
  uint32_t budget_us;
  int n_acts;
  /* per message (the first 256): its trailing rising edge (its last bit)
   * and the next message's first falling edge */
  uint64_t t_end[256], t_next_start[256];
} world_t;

static void data_update(world_t *w, uint64_t t) {
  int d = w->panel_drv && !w->eng_low;
  if (d == w->data) return;
  w->data = d;
  fake_gpio_edge(OFF_DAT, d, t);
}

static void step(world_t *w) {
  uint64_t t = w->t_next;
  if (!w->rise) {
    w->clk = 0;
    w->last_fall = t;
    fake_gpio_edge(OFF_CLK, 0, t);
    w->panel_drv = 1;
    data_update(w, t);
    w->rise = 1;
    w->t_next = t + 500 * US;
    return;
  }
  /* end of the low phase: the panel reads the module bit */
  if (w->k < w->bits && !w->data) {
    unsigned k = w->k;
    unsigned byte = k < 8 ? 0u : k == 8 ? 1u : 2u + (k - 9u) / 8u;
    unsigned bit = k < 8 ? 7u - k : k == 8 ? 0u : 7u - (k - 9u) % 8u;
    if (byte < KB_SIM_FRAME) w->module[byte] &= (uint8_t)~(1u << bit);
  }
  w->panel_drv = w->k < w->bits ? kb_wave_bit(w->bytes, w->bits, w->k) : 1;
  data_update(w, t);
  w->clk = 1;
  fake_gpio_edge(OFF_CLK, 1, t);
  w->rise = 0;
  if (w->k < w->bits) {
    w->k++;
    w->t_next = t + 500 * US;
    return;
  }
  /* trailing bit done: the panel acts on what it read, then the next message */
  kb_sim_panel_module(&w->panel, t / US, w->module, w->bits);
  {
    uint32_t gap;
    kb_sim_panel_next(&w->panel, t / US, w->bytes, &w->bits, &gap);
    memset(w->module, 0xFF, sizeof w->module);
    w->k = 0;
    w->t_next = t + (uint64_t)gap * US;
  }
  if (w->messages < 256) {
    w->t_end[w->messages] = t;
    w->t_next_start[w->messages] = w->t_next;
  }
  w->messages++;
}

static void w_advance(void *ctx, uint64_t now) {
  world_t *w = ctx;
  while (w->t_next <= now) step(w);
}

static uint64_t w_next(void *ctx) { return ((world_t *)ctx)->t_next; }

static void w_output(void *ctx, unsigned off, int v, uint64_t now) {
  world_t *w = ctx;
  if (off != OFF_WR) return;
  if (v) {
    w->lows++;
    if (w->clk) w->high_lows++; /* pulling low in a panel bit: never */
    if (now - w->last_fall > (uint64_t)w->budget_us * US) w->late_lows++;
  }
  w->eng_low = v; /* NPN: pin high = bus low */
  data_update(w, now);
}

/* ---------------------------------------------------------------- rig */

typedef struct {
  world_t w;
  kb_bus_t bus;
  kb_gpio_t *g;
  kb_gpio_cfg_t cfg;
} rig_t;

static rig_t R;

static void rig_world(void) {
  kb_sim_cfg_t c;
  fake_gpio_world_t fw;
  uint32_t gap;
  memset(&R.w, 0, sizeof R.w);
  kb_sim_cfg_default(&c, 1);
  kb_sim_panel_init(&R.w.panel, &c, 0);
  kb_sim_panel_next(&R.w.panel, 0, R.w.bytes, &R.w.bits, &gap);
  memset(R.w.module, 0xFF, sizeof R.w.module);
  R.w.t_next = (uint64_t)gap * US;
  R.w.clk = R.w.data = R.w.panel_drv = 1;
  R.w.budget_us = 150;
  fw.advance = w_advance;
  fw.next_ns = w_next;
  fw.output = w_output;
  fw.ctx = &R.w;
  fake_gpio_set_world(&fw);
}

/* A fake Pi: a decoy chip first, then the header bank, lines named GPIOn. */
static void rig_chips(void) {
  static char buf[32][8];
  const char *decoy[4] = {"A", "B", "C", "D"};
  fake_gpio_reset();
  for (int i = 0; i < 32; i++) {
    snprintf(buf[i], sizeof buf[i], "GPIO%d", i);
    names[i] = buf[i];
  }
  fake_gpio_add_chip(DIR "/gpiochip0", "raspberrypi-exp-gpio", 4, decoy);
  fake_gpio_add_chip(CHIP, "pinctrl-rp1", 32, names);
}

static void rig_cfg(void) {
  memset(&R.cfg, 0, sizeof R.cfg);
  R.cfg.dev_dir = DIR;
  R.cfg.chip_label = "pinctrl-rp1";
  R.cfg.clock_name = "GPIO23";
  R.cfg.data_name = "GPIO24";
  R.cfg.write_name = "GPIO17";
  R.cfg.write_enabled = true;
  R.cfg.now_ns = fake_gpio_now_cb;
}

static kb_gpio_rc_t rig_open(void) {
  kb_bus_init(&R.bus, NULL);
  return kb_gpio_open(&R.cfg, kb_bus_link(&R.bus), &R.g);
}

static void rig_setup(void) {
  rig_chips();
  rig_world();
  rig_cfg();
}

/* The daemon's loop in one thread: capture, task, engine. Returns the number
 * of polls that did not return `want`. */
static unsigned run_until(uint64_t t_ns, kb_gpio_rc_t want) {
  unsigned bad = 0;
  while (fake_gpio_now() < t_ns) {
    kb_gpio_rc_t rc = kb_gpio_poll(R.g, 5);
    if (rc != want) bad++;
    kb_gpio_task(R.g);
    kb_bus_poll(&R.bus, kb_gpio_now_us(R.g));
  }
  return bad;
}

static int zone_open(unsigned z) {
  return (kb_bus_status(&R.bus)->zones_open[(z - 1) / 8] >> ((z - 1) % 8)) & 1;
}

/* -------------------------------------------------------------- tests */

static void test_frames_decoded(void) {
  kb_gpio_stats_t s;
  fake_gpio_stats_t fs;
  const kb_health_t *h;
  rig_setup();
  fake_gpio_set_latency(30 * US);
  KT_EQ(rig_open(), KB_GPIO_OK);
  KT_CHECK(R.g != NULL);
  if (!R.g) return;
  KT_EQ(run_until(1000 * MS, KB_GPIO_OK), 0);
  kb_sim_panel_zone(&R.w.panel, 3, true, fake_gpio_now() / US);
  KT_EQ(run_until(3000 * MS, KB_GPIO_OK), 0);
  h = kb_bus_health(&R.bus);
  kb_gpio_stats(R.g, &s);
  fake_gpio_stats(&fs);
  printf("messages %llu frames %u ok %u events %llu lost %llu fake events %llu now %llu\n", (unsigned long long)R.w.messages, (unsigned)h->frames, (unsigned)h->frames_ok, (unsigned long long)s.events, (unsigned long long)s.lost, (unsigned long long)fs.events, (unsigned long long)fake_gpio_now());
  KT_CHECK(R.w.messages > 30);
  /* every message but the one in progress, each a frame that passed every check */
  KT_CHECK(h->frames_ok + 2 >= R.w.messages);
  KT_EQ(h->frames_ok, h->frames);
  KT_CHECK(zone_open(3));
  KT_CHECK(!zone_open(4));
  KT_EQ(s.events, fs.events);
  KT_EQ(s.lost, 0);
  KT_EQ(s.label_mismatch, 0);
  KT_EQ(fs.buffer_size, 1024); /* the deep buffer was asked for */
  KT_EQ(s.writes_set, 0);      /* nothing to write */
  KT_CHECK(s.max_lag_us >= 30 && s.max_lag_us < 600);
  kb_gpio_close(R.g);
  fake_gpio_stats(&fs);
  KT_EQ(fs.open_fds, 0); /* chip fd and both line fds closed */
}

/* The kernel's rising/falling label read too late: every label wrong. The
 * levels come from alternation, so the frames are the same. */
static void test_labels_not_trusted(void) {
  kb_gpio_stats_t s;
  const kb_health_t *h;
  rig_setup();
  fake_gpio_wrong_labels(true);
  KT_EQ(rig_open(), KB_GPIO_OK);
  if (!R.g) return;
  KT_EQ(run_until(2000 * MS, KB_GPIO_OK), 0);
  h = kb_bus_health(&R.bus);
  kb_gpio_stats(R.g, &s);
  KT_CHECK(h->frames_ok > 20);
  KT_EQ(h->frames_ok, h->frames);
  KT_EQ(s.label_mismatch, s.events);
  kb_gpio_close(R.g);
}

/* An inverting opto stage on both inputs, input_active_low set: the kernel
 * inverts the levels back and the frames are the same. */
static void test_inverted_inputs(void) {
  const kb_health_t *h;
  kb_gpio_stats_t s;
  rig_setup();
  fake_gpio_invert_inputs(true);
  R.cfg.input_active_low = true;
  KT_EQ(rig_open(), KB_GPIO_OK);
  if (!R.g) return;
  KT_EQ(run_until(2000 * MS, KB_GPIO_OK), 0);
  h = kb_bus_health(&R.bus);
  kb_gpio_stats(R.g, &s);
  KT_CHECK(h->frames_ok > 20);
  KT_EQ(h->frames_ok, h->frames);
  KT_EQ(s.label_mismatch, 0);
  KT_EQ(s.resyncs, 0);
  kb_gpio_close(R.g);
}

/* Data rebuilt from timestamps: a wake-up 700 us late (after the next clock
 * edge) still decodes every frame, since the sample is placed by time. */
static void test_late_wakeup_same_bits(void) {
  const kb_health_t *h;
  kb_gpio_stats_t s;
  rig_setup();
  R.cfg.write_enabled = false;
  fake_gpio_set_latency(1700 * US);
  KT_EQ(rig_open(), KB_GPIO_OK);
  if (!R.g) return;
  KT_EQ(run_until(2000 * MS, KB_GPIO_OK), 0);
  h = kb_bus_health(&R.bus);
  kb_gpio_stats(R.g, &s);
  KT_CHECK(h->frames_ok > 20);
  KT_EQ(h->frames_ok, h->frames);
  KT_CHECK(s.max_lag_us >= 1700);
  KT_EQ(s.lost, 0);
  kb_gpio_close(R.g);
}

static kb_keys_result_t type_key(const char *keys, uint64_t until_ns) {
  uint16_t id = 0;
  kb_keys_result_t r = KB_KEYS_PENDING;
  KT_EQ(kb_bus_keys_submit(&R.bus, 1, keys, NULL, &id), KB_OK);
  while (fake_gpio_now() < until_ns) {
    (void)run_until(fake_gpio_now() + 10 * MS, KB_GPIO_OK);
    r = kb_bus_keys_result(&R.bus, id, NULL);
    if (r != KB_KEYS_PENDING) break;
  }
  return r;
}

static void test_key_written_and_echoed(void) {
  kb_gpio_stats_t s;
  rig_setup();
  fake_gpio_set_latency(40 * US);
  KT_EQ(rig_open(), KB_GPIO_OK);
  if (!R.g) return;
  KT_EQ(fake_gpio_level(OFF_WR), 0); /* requested released */
  KT_EQ(run_until(1500 * MS, KB_GPIO_OK), 0);
  KT_EQ(type_key("1", 6000 * MS), KB_KEYS_DONE);
  kb_gpio_stats(R.g, &s);
  KT_CHECK(R.w.lows > 0);
  KT_EQ(R.w.late_lows, 0);
  KT_EQ(R.w.high_lows, 0);
  KT_EQ(s.writes_late, 0);
  KT_EQ(s.aborts, 0);
  KT_CHECK(s.writes_set >= 2 * R.w.lows - 1);
  KT_EQ(kb_bus_health(&R.bus)->frames_ok, kb_bus_health(&R.bus)->frames);
  kb_gpio_close(R.g);
  KT_EQ(fake_gpio_level(OFF_WR), 0); /* released on close */
}

/* The clock stops (bus cut) while a bit is pulled low: the backend lets the
 * data line go once no edge has come for idle_settle_us. */
static void test_release_when_clock_stops(void) {
  uint16_t id = 0;
  rig_setup();
  fake_gpio_set_latency(40 * US);
  KT_EQ(rig_open(), KB_GPIO_OK);
  if (!R.g) return;
  KT_EQ(run_until(1500 * MS, KB_GPIO_OK), 0);
  KT_EQ(kb_bus_keys_submit(&R.bus, 1, "1", NULL, &id), KB_OK);
  while (!R.w.eng_low && fake_gpio_now() < 6000 * MS) { /* until a bit is pulled low */
    (void)kb_gpio_poll(R.g, 5);
    kb_gpio_task(R.g);
    kb_bus_poll(&R.bus, kb_gpio_now_us(R.g));
  }
  KT_EQ(R.w.eng_low, 1);
  KT_EQ(R.w.clk, 0);
  R.w.t_next = UINT64_MAX; /* the clock is held low from now on */
  (void)run_until(fake_gpio_now() + 10 * MS, KB_GPIO_OK);
  KT_EQ(R.w.eng_low, 0);
  KT_EQ(fake_gpio_level(OFF_WR), 0);
  kb_gpio_close(R.g);
}

/* Wake-ups 300 us after the falling edge: every pull low would come too
 * late. None is driven, each is counted, the key is aborted (not DONE). */
static void test_late_write_aborted(void) {
  kb_gpio_stats_t s;
  kb_keys_result_t r = KB_KEYS_PENDING;
  uint16_t id = 0;
  uint64_t late1;
  rig_setup();
  fake_gpio_set_latency(300 * US);
  KT_EQ(rig_open(), KB_GPIO_OK);
  if (!R.g) return;
  KT_EQ(run_until(1500 * MS, KB_GPIO_OK), 0);
  KT_EQ(kb_bus_keys_submit(&R.bus, 1, "1", NULL, &id), KB_OK);
  do { /* until the first late bit has been aborted */
    (void)run_until(fake_gpio_now() + 1 * MS, KB_GPIO_OK);
    kb_gpio_stats(R.g, &s);
  } while (s.aborts == 0 && fake_gpio_now() < 8000 * MS);
  KT_EQ(s.aborts, 1);
  late1 = s.writes_late;
  KT_EQ(late1, 1);
  /* the abort took the rest of the key out of the link: no other bit of it
   * is asked for in this message (its zero bits are within 8 ms) */
  (void)run_until(fake_gpio_now() + 20 * MS, KB_GPIO_OK);
  kb_gpio_stats(R.g, &s);
  KT_EQ(s.writes_late, late1);
  while (r == KB_KEYS_PENDING && fake_gpio_now() < 10000 * MS) {
    (void)run_until(fake_gpio_now() + 10 * MS, KB_GPIO_OK);
    r = kb_bus_keys_result(&R.bus, id, NULL);
  }
  kb_gpio_stats(R.g, &s);
  KT_CHECK(r != KB_KEYS_DONE && r != KB_KEYS_PENDING); /* never reported done */
  KT_CHECK(s.writes_late > 0);
  KT_EQ(s.aborts, s.writes_late);
  KT_EQ(R.w.lows, 0); /* never half-sent: not one late bit on the wire */
  KT_EQ(fake_gpio_level(OFF_WR), 0);
  kb_gpio_close(R.g);
}

static void test_lost_events_counted(void) {
  kb_gpio_stats_t s;
  fake_gpio_stats_t fs;
  uint32_t ok0;
  uint64_t resyncs;
  rig_setup();
  KT_EQ(rig_open(), KB_GPIO_OK);
  if (!R.g) return;
  (void)run_until(1000 * MS, KB_GPIO_OK);
  fake_gpio_drop(5); /* five events lost inside the next message */
  (void)run_until(1500 * MS, KB_GPIO_OK);
  kb_gpio_stats(R.g, &s);
  KT_EQ(s.lost, 5);
  ok0 = kb_bus_health(&R.bus)->frames_ok;
  (void)run_until(2500 * MS, KB_GPIO_OK);
  KT_CHECK(kb_bus_health(&R.bus)->frames_ok > ok0 + 8); /* decoding goes on */
  /* three clock edges lost: the next clock edge (1 ms later, inside the
   * message) reveals them, and the clock level follows from their count,
   * so the idle re-read of the levels has nothing to correct */
  kb_gpio_stats(R.g, &s);
  resyncs = s.resyncs;
  fake_gpio_drop_line(OFF_CLK, 3);
  (void)run_until(3500 * MS, KB_GPIO_OK);
  kb_gpio_stats(R.g, &s);
  KT_EQ(s.lost, 8);
  KT_EQ(s.resyncs, resyncs);
  KT_EQ(kb_gpio_edges(R.g)->level[KB_EDGE_CLOCK], fake_gpio_level(OFF_CLK));
  KT_EQ(kb_gpio_edges(R.g)->level[KB_EDGE_DATA], fake_gpio_level(OFF_DAT));
  /* a clock edge lost without a trace (no event, no seqno): only the idle
   * re-read of the levels between messages can put the clock right */
  fake_gpio_lose_irq(OFF_CLK, 1);
  (void)run_until(3600 * MS, KB_GPIO_OK);
  ok0 = kb_bus_health(&R.bus)->frames_ok;
  (void)run_until(4600 * MS, KB_GPIO_OK);
  kb_gpio_stats(R.g, &s);
  KT_EQ(s.resyncs, resyncs + 1);
  KT_EQ(s.lost, 8); /* invisible to the sequence numbers */
  KT_CHECK(kb_bus_health(&R.bus)->frames_ok > ok0 + 8);
  /* a stall with a small kernel buffer: the oldest events are dropped */
  kb_gpio_close(R.g);
  rig_setup();
  R.cfg.event_buffer_size = 32;
  KT_EQ(rig_open(), KB_GPIO_OK);
  if (!R.g) return;
  (void)run_until(500 * MS, KB_GPIO_OK);
  fake_gpio_set_latency(60 * MS); /* the thread sleeps 60 ms per wake-up */
  (void)run_until(800 * MS, KB_GPIO_OK);
  fake_gpio_set_latency(20 * US);
  ok0 = kb_bus_health(&R.bus)->frames_ok;
  (void)run_until(1800 * MS, KB_GPIO_OK);
  kb_gpio_stats(R.g, &s);
  fake_gpio_stats(&fs);
  KT_EQ(fs.buffer_size, 32);
  KT_CHECK(fs.overflowed > 0);
  KT_EQ(s.lost, fs.overflowed);
  KT_CHECK(kb_bus_health(&R.bus)->frames_ok > ok0 + 8); /* decoding resumes */
  kb_gpio_close(R.g);
}

static void test_vanished_chip_retried(void) {
  kb_gpio_stats_t s;
  uint32_t ok0;
  unsigned gone = 0;
  rig_setup();
  R.cfg.retry_ms = 200;
  KT_EQ(rig_open(), KB_GPIO_OK);
  if (!R.g) return;
  (void)run_until(1000 * MS, KB_GPIO_OK);
  fake_gpio_vanish(true);
  KT_EQ(kb_gpio_poll(R.g, 5), KB_GPIO_GONE);
  KT_CHECK(!kb_gpio_is_open(R.g));
  KT_EQ(kb_gpio_last_errno(R.g), 19 /* ENODEV */);
  gone = run_until(1500 * MS, KB_GPIO_OK); /* each poll: gone, retried */
  KT_CHECK(gone > 0);
  kb_gpio_stats(R.g, &s);
  KT_EQ(s.gone, 1);
  KT_EQ(s.reopens, 0);
  fake_gpio_vanish(false);
  ok0 = kb_bus_health(&R.bus)->frames_ok;
  (void)run_until(1800 * MS, KB_GPIO_OK);
  KT_CHECK(kb_gpio_is_open(R.g));
  kb_gpio_stats(R.g, &s);
  KT_EQ(s.reopens, 1);
  KT_EQ(run_until(3000 * MS, KB_GPIO_OK), 0);
  KT_CHECK(kb_bus_health(&R.bus)->frames_ok > ok0 + 10);
  /* removed between poll() and read(): ENODEV from read is the same state */
  fake_gpio_vanish_on_read();
  KT_EQ(kb_gpio_poll(R.g, 5), KB_GPIO_GONE);
  KT_EQ(kb_gpio_last_errno(R.g), 19 /* ENODEV */);
  KT_CHECK(!kb_gpio_is_open(R.g));
  fake_gpio_vanish(false);
  ok0 = kb_bus_health(&R.bus)->frames_ok;
  (void)run_until(4000 * MS, KB_GPIO_OK);
  kb_gpio_stats(R.g, &s);
  KT_EQ(s.gone, 2);
  KT_EQ(s.reopens, 2);
  KT_CHECK(kb_bus_health(&R.bus)->frames_ok > ok0 + 8);
  kb_gpio_close(R.g);
}

/* Each frame reaches the task KB_GAP_US + event_lag_us (+ the wake-up
 * latency) after its last bit, before the next message starts: the poll
 * does not sleep past the link's idle call, even with a long timeout, and
 * wakes up for it once per message, not more. Before the idle call the
 * frame waited for the next message's first edge (a whole gap, ~5 ms). */
static void test_frame_published_after_gap(void) {
  static const uint32_t lags[2] = {0, 500}; /* 0: the default, 200 us */
  for (int k = 0; k < 2; k++) {
    uint64_t t_seen[256];
    unsigned seen = 0, n;
    uint32_t lag = lags[k] ? lags[k] : 200u;
    fake_gpio_stats_t fs;
    rig_setup();
    fake_gpio_set_latency(30 * US);
    R.cfg.event_lag_us = lags[k];
    KT_EQ(rig_open(), KB_GPIO_OK);
    if (!R.g) return;
    while (fake_gpio_now() < 1500 * MS) {
      uint32_t frames;
      KT_EQ(kb_gpio_poll(R.g, 100), KB_GPIO_OK);
      kb_gpio_task(R.g);
      kb_bus_poll(&R.bus, kb_gpio_now_us(R.g));
      frames = kb_bus_health(&R.bus)->frames;
      while (seen < frames && seen < 256) t_seen[seen++] = fake_gpio_now();
    }
    n = R.w.messages < 256 ? (unsigned)R.w.messages : 256;
    KT_CHECK(n > 15);
    KT_EQ(seen, n); /* the last one too: it is published in its own gap */
    for (unsigned i = 0; i < seen && i < n; i++) {
      uint64_t lat = t_seen[i] - R.w.t_end[i];
      if (lat < (KB_GAP_US + 1u + lag) * US || lat > (KB_GAP_US + 1u + lag + 30u + 1u) * US ||
          t_seen[i] >= R.w.t_next_start[i]) {
        printf("  lag %u message %u: seen %llu ns after its last bit, next starts %llu ns after it\n", lag,
               i, (unsigned long long)lat, (unsigned long long)(R.w.t_next_start[i] - R.w.t_end[i]));
        KT_CHECK(!"frame not seen at its idle time");
        break;
      }
    }
    KT_EQ(kb_gpio_edges(R.g)->idles, n);
    KT_EQ(kb_bus_health(&R.bus)->frames_ok, kb_bus_health(&R.bus)->frames);
    /* one timed wake-up per message (and the caller's 100 ms ones) */
    fake_gpio_stats(&fs);
    KT_CHECK(fs.timeouts <= n + 1500u / 100u + 2u);
    kb_gpio_close(R.g);
  }
}

/* The clock pin reads low at the idle time (its falling edge raised no
 * interrupt): the call is not made there (the message goes on, as far as
 * the link knows), the poll does not spin on the deadline, and decoding
 * resumes once the idle re-read corrects the level. */
static void test_idle_call_waits_for_clock_high(void) {
  fake_gpio_stats_t fs0, fs;
  uint32_t ok0;
  rig_setup();
  fake_gpio_set_latency(30 * US);
  KT_EQ(rig_open(), KB_GPIO_OK);
  if (!R.g) return;
  (void)run_until(1000 * MS, KB_GPIO_OK);
  fake_gpio_stats(&fs0);
  fake_gpio_lose_irq(OFF_CLK, 1);
  (void)run_until(1100 * MS, KB_GPIO_OK);
  fake_gpio_stats(&fs);
  KT_CHECK(fs.waits - fs0.waits < 100u * 1000u / 100u); /* no spinning: < 1 wait per 100 us */
  ok0 = kb_bus_health(&R.bus)->frames_ok;
  (void)run_until(2100 * MS, KB_GPIO_OK);
  KT_CHECK(kb_bus_health(&R.bus)->frames_ok > ok0 + 8);
  kb_gpio_close(R.g);
}

static void test_open_errors(void) {
  kb_gpio_t *g = NULL;
  fake_gpio_stats_t fs;
  rig_setup();
  /* a line name that no chip has: a configuration error, nothing left open */
  R.cfg.clock_name = "GPIO99";
  KT_EQ(rig_open(), KB_GPIO_ERR_CONFIG);
  KT_CHECK(R.g == NULL);
  fake_gpio_stats(&fs);
  KT_EQ(fs.open_fds, 0);
  /* no chip with that label (yet): gone, a handle that retries */
  rig_cfg();
  R.cfg.chip_label = "pinctrl-bcm2711";
  KT_EQ(rig_open(), KB_GPIO_GONE);
  KT_CHECK(R.g != NULL);
  kb_gpio_close(R.g);
  /* by path and offsets; names searched on every chip */
  rig_cfg();
  R.cfg.chip_label = NULL;
  R.cfg.chip_path = CHIP;
  R.cfg.clock_name = R.cfg.data_name = R.cfg.write_name = NULL;
  R.cfg.clock_offset = OFF_CLK;
  R.cfg.data_offset = OFF_DAT;
  R.cfg.write_offset = OFF_WR;
  KT_EQ(rig_open(), KB_GPIO_OK);
  /* the lines are taken: a second open is refused (EBUSY), not a crash */
  KT_EQ(kb_gpio_open(&R.cfg, kb_bus_link(&R.bus), &g), KB_GPIO_ERR_CONFIG);
  kb_gpio_close(R.g);
  rig_cfg();
  R.cfg.chip_label = NULL;
  KT_EQ(rig_open(), KB_GPIO_OK);
  KT_EQ(run_until(1000 * MS, KB_GPIO_OK), 0);
  KT_CHECK(kb_bus_health(&R.bus)->frames_ok > 8);
  kb_gpio_close(R.g);
  KT_EQ(kb_gpio_open(NULL, kb_bus_link(&R.bus), &g), KB_GPIO_ERR_CONFIG);
  KT_CHECK(g == NULL);
}


/* ------------------------------------------------------ Classic panel */

/* The world is the simulated Classic panel (kb_sim_classic.h): its wire
 * makes a frame at a time; its edges (clock, data, PC-16) are queued and
 * handed to the fake as virtual time reaches them. The PC-16 line is
 * GPIO25. */
#define OFF_PC16 25
typedef struct {
  kb_simc_wire_t cw;
  kb_edge_t q[1024];
  unsigned qh, qn;
  uint64_t dropped;
  uint8_t level[3]; /* a "change" to the level a wire has is no edge */
} cworld_t;

static cworld_t CW;

static int cw_port(void *ctx, const kb_edge_t *e) {
  cworld_t *w = ctx;
  if (e->wire > 2 || w->level[e->wire] == (e->level != 0)) return 0;
  w->level[e->wire] = e->level != 0;
  if (w->qn < 1024) w->q[(w->qh + w->qn++) % 1024] = *e;
  else w->dropped++;
  return 0; /* the port never pulls the data line here */
}

static void cw_fill(cworld_t *w) {
  while (w->qn == 0) (void)kb_simc_wire_step(&w->cw);
}

static uint64_t cw_next(void *ctx) {
  cworld_t *w = ctx;
  cw_fill(w);
  return w->q[w->qh].t_us * US;
}

static void cw_advance(void *ctx, uint64_t now) {
  cworld_t *w = ctx;
  static const unsigned off[3] = {OFF_CLK, OFF_DAT, OFF_PC16};
  for (;;) {
    const kb_edge_t *e;
    cw_fill(w);
    e = &w->q[w->qh];
    if (e->t_us * US > now) return;
    fake_gpio_edge(off[e->wire], e->level ? 1 : 0, e->t_us * US);
    w->qh = (w->qh + 1u) % 1024u;
    w->qn--;
  }
}

static void cw_output(void *ctx, unsigned off, int v, uint64_t now) {
  (void)ctx, (void)off, (void)v, (void)now;
}

static kb_gpio_rc_t cls_rig(void) {
  fake_gpio_world_t fw;
  kb_simc_cfg_t pc;
  rig_chips();
  memset(&CW, 0, sizeof CW);
  CW.level[0] = CW.level[1] = CW.level[2] = 1; /* every wire starts high */
  memset(&pc, 0, sizeof pc);
  pc.exit_delay_ms = 2000;
  strcpy(pc.code, "1234");
  kb_simc_wire_init(&CW.cw, &pc, 1000, cw_port, &CW);
  fw.advance = cw_advance;
  fw.next_ns = cw_next;
  fw.output = cw_output;
  fw.ctx = &CW;
  fake_gpio_set_world(&fw);
  rig_cfg();
  R.cfg.write_enabled = false;
  R.cfg.write_name = NULL;
  R.cfg.pc16_name = "GPIO25";
  kb_bus_init(&R.bus, NULL);
  KT_EQ(kb_bus_set_series(&R.bus, KB_SERIES_CLASSIC), KB_OK);
  return kb_gpio_open_classic(&R.cfg, kb_bus_cls_link(&R.bus), &R.g);
}

/* Classic frames through the real backend: the third line is requested
 * with the other two (one request), every frame passes the decoder's
 * checks, a zone opened on the panel is reported open, the PC-16 status
 * (armed) arrives. */
static void test_classic_frames(void) {
  kb_gpio_stats_t s;
  fake_gpio_stats_t fs;
  const kb_health_t *h;
  const kb_status_t *st;
  fake_gpio_set_latency(30 * US);
  KT_EQ(cls_rig(), KB_GPIO_OK);
  if (!R.g) return;
  fake_gpio_stats(&fs);
  KT_EQ(fs.requests, 1); /* clock, data and PC-16 in one request */
  KT_EQ(run_until(1000 * MS, KB_GPIO_OK), 0);
  st = kb_bus_status(&R.bus);
  KT_EQ(st->series, KB_SERIES_CLASSIC);
  KT_EQ(st->synced, 1);
  KT_EQ(st->part[0].ready, 1);
  kb_simc_zone(&CW.cw.panel, 3, true, fake_gpio_now() / US);
  KT_EQ(run_until(1500 * MS, KB_GPIO_OK), 0);
  KT_CHECK(zone_open(3));
  KT_CHECK(!zone_open(4));
  KT_EQ(st->part[0].ready, 0);
  kb_simc_zone(&CW.cw.panel, 3, false, fake_gpio_now() / US);
  KT_EQ(kb_simc_wire_keys(&CW.cw, "1234"), 4); /* the panel's own keypad arms it */
  KT_EQ(run_until(6000 * MS, KB_GPIO_OK), 0);
  KT_EQ(st->part[0].armed, KB_ARMED_AWAY); /* P1's armed bit: read on the PC-16 line */
  h = kb_bus_health(&R.bus);
  kb_gpio_stats(R.g, &s);
  KT_CHECK(h->frames > 100); /* ~51 ms a frame */
  KT_EQ(h->frames_ok, h->frames);
  KT_EQ(s.lost, 0);
  KT_EQ(s.label_mismatch, 0);
  KT_EQ(CW.dropped, 0);
  kb_gpio_close(R.g);
  fake_gpio_stats(&fs);
  KT_EQ(fs.open_fds, 0);
}

/* The PC-16 line is required: without it (no such line) a configuration
 * error; a PowerSeries open ignores pc16. */
static void test_classic_open_errors(void) {
  kb_gpio_t *g = NULL;
  rig_chips();
  rig_cfg();
  R.cfg.write_enabled = false;
  R.cfg.pc16_name = "GPIO99";
  kb_bus_init(&R.bus, NULL);
  KT_EQ(kb_bus_set_series(&R.bus, KB_SERIES_CLASSIC), KB_OK);
  KT_EQ(kb_gpio_open_classic(&R.cfg, kb_bus_cls_link(&R.bus), &g), KB_GPIO_ERR_CONFIG);
  KT_CHECK(g == NULL);
  KT_EQ(kb_gpio_open_classic(&R.cfg, NULL, &g), KB_GPIO_ERR_CONFIG);
  KT_EQ(kb_gpio_open(&R.cfg, NULL, &g), KB_GPIO_ERR_CONFIG);
}

KT_MAIN(KT_CASE(test_classic_frames), KT_CASE(test_classic_open_errors), KT_CASE(test_frames_decoded), KT_CASE(test_labels_not_trusted), KT_CASE(test_inverted_inputs),
        KT_CASE(test_late_wakeup_same_bits), KT_CASE(test_key_written_and_echoed),
        KT_CASE(test_late_write_aborted), KT_CASE(test_release_when_clock_stops), KT_CASE(test_lost_events_counted),
        KT_CASE(test_vanished_chip_retried), KT_CASE(test_open_errors),
        KT_CASE(test_frame_published_after_gap), KT_CASE(test_idle_call_waits_for_clock_high))
