/* SPDX-License-Identifier: MIT
 *
 * test_esp_panel.c - the ESP-IDF panel role (ports/esp-idf/kbe_panel.c,
 * kbe_panel_isr.c) run on the host: its real sources on the fake of ESP-IDF
 * (esp_fake.c), the real timer callback fired by the fake's periodic
 * (auto-reload) GPTimer, against the simulated keypad (src/sim/
 * kb_sim_keypad) wired as docs/esp32.md "Panel role" says: the clock GPIO
 * drives an NPN on the clock line (GPIO high = clock low), the write GPIO
 * an NPN on the data line (the fake's NPN model), the data GPIO reads the
 * line (the AND of the write transistor and the keypad). The keypad sees
 * only those two wires, edge by edge. The task is stepped here: woken by
 * the callback's notification at each frame's end, or every 10 ms.
 *
 * What it proves: the keypad receives the start-up sequence and shows the
 * lights, zone lights and beeps the application sets; keys pressed on the
 * keypad (and an alarm key) reach the application's callback; the clock
 * runs at the configured rate (PowerSeries 1 kHz, Classic 500 Hz);
 * every esp_err_t of the init failed in turn -> FAILED with the call's
 * name, one log line, everything undone, no retry; no driver allocation and
 * no malloc after init; the stop order and start/stop/start; the health
 * (healthy, contention); the not-started log budget; bad configs.
 *
 * With KBE_STACK_PROBE (bench/esp_size.sh, no sanitizer) every task step
 * runs on a painted stack of its own and the high-water mark is printed
 * ("stack high-water: N bytes").
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_fake.h"
#include "harness.h"
#include "kbe_panel_int.h"
#include "keybus_esp_panel.h"
#include "sim/kb_sim_keypad.h"

#ifdef KBE_STACK_PROBE
#include <ucontext.h>
#endif

#define CLK 4
#define DAT 5
#define WR 6

/* ------------------------------------------------ malloc, counted */

unsigned heap_mallocs;
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n) {
  heap_mallocs++;
  return __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t m) {
  heap_mallocs++;
  return __real_calloc(n, m);
}
void *__wrap_realloc(void *p, size_t n) {
  heap_mallocs++;
  return __real_realloc(p, n);
}

/* ------------------------------------------------ the wires, the keypad */

static kb_skp_t kp;
static int bus_clk = 1;  /* the bus clock line as the keypad sees it */
static unsigned edges;   /* bus clock edges */
static int hold_low;     /* the test holds the data line low (a fault) */

/* The clock GPIO changed: its NPN moves the bus clock (inverted). On the
 * falling edge the keypad drives its bit (the data GPIO's input); on the
 * rising edge it releases and reads the panel's bit from the line. */
static void on_pin_write(uint32_t pin, int level) {
  int clk;
  uint64_t t = fake_now();
  if (pin != CLK) return;
  clk = !level;
  if (clk == bus_clk) return;
  bus_clk = clk;
  edges++;
  if (!clk) {
    unsigned b = kb_skp_fall(&kp, t);
    fake_pin_drive(DAT, hold_low ? 0 : (int)b);
  } else {
    fake_pin_drive(DAT, hold_low ? 0 : 1);
    kb_skp_rise(&kp, t, fake_pin_level(DAT) != 0);
  }
}

/* ------------------------------------------------ the task, stepped */

static TaskHandle_t g_task;
static bool g_begun, g_ended, g_created_main;
static uint64_t g_next_task;
static unsigned g_steps;

#ifdef KBE_STACK_PROBE
#define PROBE_STACK (64 * 1024)
static unsigned char probe_stack[PROBE_STACK];
static ucontext_t probe_main, probe_ctx;
static bool probe_ret;
static uint32_t probe_hwm;
static void probe_entry(void) { probe_ret = kbe_pnl_task_step(); }
static bool step_on_stack(void) {
  size_t used;
  memset(probe_stack, 0xA5, sizeof probe_stack);
  getcontext(&probe_ctx);
  probe_ctx.uc_stack.ss_sp = probe_stack;
  probe_ctx.uc_stack.ss_size = sizeof probe_stack;
  probe_ctx.uc_link = &probe_main;
  makecontext(&probe_ctx, probe_entry, 0);
  swapcontext(&probe_main, &probe_ctx);
  for (used = 0; used < sizeof probe_stack && probe_stack[used] == 0xA5; used++) {
  }
  used = sizeof probe_stack - used;
  if (used > probe_hwm) probe_hwm = (uint32_t)used;
  return probe_ret;
}
#endif

static bool task_step(void) {
  bool r;
  fake_task_current(g_task);
#ifdef KBE_STACK_PROBE
  r = step_on_stack();
#else
  r = kbe_pnl_task_step();
#endif
  fake_task_current(NULL);
  g_steps++;
  return r;
}

static void on_create(TaskHandle_t t, TaskFunction_t fn, void *arg) {
  g_task = t;
  g_begun = g_ended = false;
  g_created_main = fn == kbe_pnl_task_main && arg == NULL;
}

/* kbe_pnl_start()/kbe_pnl_stop() wait for the task: run it until they may go on. */
static bool on_block(void) {
  if (g_task == NULL || fake_task_deleted(g_task) || g_ended) return false;
  if (!g_begun) {
    g_begun = true;
    fake_task_current(g_task);
    if (!kbe_pnl_task_begin()) g_ended = true;
    fake_task_current(NULL);
    g_next_task = fake_now() + 10000u;
    return true;
  }
  if (!task_step()) {
    fake_task_current(g_task);
    kbe_pnl_task_end();
    fake_task_current(NULL);
    g_ended = true;
  }
  return true;
}

/* Time to t in half-period steps: the timer fires on the way; the task
 * runs when the callback notified it (a frame ended) or every 10 ms; the
 * keypad sees the clock high between frames. */
static void advance(uint64_t t) {
  while (fake_now() < t) {
    uint64_t stop = fake_now() + 250u;
    bool run = kbe_pnl_state() == KBE_RUNNING && g_task != NULL;
    if (stop > t) stop = t;
    fake_advance_to(stop);
    if (bus_clk) kb_skp_idle(&kp, fake_now());
    if (run && (fake_task_notified(g_task) || fake_now() >= g_next_task)) {
      (void)task_step();
      g_next_task = fake_now() + 10000u;
    }
  }
}

/* --------------------------------------------------------- setup */

static uint8_t keys[64];
static unsigned nkeys, polls;
static bool lights_from_cb;

static void on_key(void *ctx, kb_pnl_t *pnl, uint8_t code) {
  (void)ctx;
  (void)pnl;
  if (nkeys < sizeof keys) keys[nkeys] = code;
  nkeys++;
}

static void on_poll(void *ctx, kb_pnl_t *pnl) {
  (void)ctx;
  polls++;
  KT_CHECK(kbe_pnl_lock(0) == NULL); /* the task holds it: no nesting */
  if (lights_from_cb) {
    KT_EQ(kb_pnl_set_zone(pnl, 8, KB_PNL_BLINK), KB_OK);
    lights_from_cb = false;
  }
}

static kbe_pnl_config_t config(void) {
  kbe_pnl_config_t c;
  kbe_pnl_config_default(&c);
  c.clock_pin = CLK;
  c.data_pin = DAT;
  c.write_pin = WR;
  c.key_cb = on_key;
  c.poll_cb = on_poll;
  return c;
}

static void fresh(void) {
  (void)kbe_pnl_stop();
  fake_reset();
  kbe_pnl_host_reboot();
  fake_on_task_create(on_create);
  fake_on_block(on_block);
  fake_on_pin_write(on_pin_write);
  fake_pin_npn(DAT, WR);
  kb_skp_init(&kp, 1, 20);
  bus_clk = 1;
  edges = 0;
  hold_low = 0;
  g_task = NULL;
  g_steps = 0;
  nkeys = polls = 0;
  lights_from_cb = false;
}

/* ----------------------------------------------------------- tests */

static const char *const INIT_ORDER =
    "gpio_config gpio_set_level gpio_set_level gpio_config gptimer_new_timer "
    "gptimer_register_event_callbacks gptimer_set_alarm_action gptimer_enable gptimer_start ";
static const char *const STOP_ORDER =
    "gptimer_stop gptimer_set_alarm_action gptimer_disable gptimer_del_timer gpio_set_level gpio_set_level ";

static void test_startup_and_lights(void) {
  static const uint8_t startup[8] = {0x16, 0x5D, 0x4C, 0xB1, 0xA5, 0x05, 0xD5, 0x27};
  kbe_pnl_config_t c;
  kbe_pnl_health_t h;
  kb_pnl_t *p;
  unsigned heap0, mallocs0, alarms0;
  uint64_t t0;
  fresh();
  c = config();
  KT_EQ(c.pnl.powerup_ms, 4000);
  KT_CHECK(!c.pnl.classic);
  fake_calls_clear();
  KT_EQ(kbe_pnl_start(&c), ESP_OK);
  KT_EQ(kbe_pnl_state(), KBE_RUNNING);
  KT_STREQ(fake_calls(), INIT_ORDER);
  KT_STREQ(kbe_pnl_failure(), "");
  KT_CHECK(g_created_main);
  KT_EQ(fake_task_core(g_task), c.core);
  KT_EQ(fake_task_prio(g_task), c.task_priority);
  KT_EQ(fake_task_stack(g_task), CONFIG_KEYBUS_TASK_STACK);
  KT_EQ(fake_stats.heap_calls, 2); /* the timer, its interrupt */
  heap0 = fake_stats.heap_calls;
  mallocs0 = heap_mallocs;
  /* 1 kHz: an alarm every 500 us; the power-up wait (4 s of data high):
   * no edge yet, the outputs idle (both transistors off) */
  t0 = fake_now();
  alarms0 = fake_stats.alarms;
  advance(t0 + 3900000u);
  KT_EQ(fake_stats.alarms - alarms0, 7800);
  KT_EQ(edges, 0);
  KT_EQ(kp.frames, 0);
  KT_EQ(fake_pin_out(CLK), 0);
  KT_EQ(fake_pin_out(WR), 0);
  kbe_pnl_health(&h);
  KT_CHECK(!h.started);
  KT_CHECK(!h.healthy);
  /* then the start-up sequence, every frame accepted by the keypad */
  advance(t0 + 5000000u);
  KT_CHECK(kp.nlog >= 8);
  for (unsigned i = 0; i < 8; i++) KT_EQ(kp.log[i], startup[i]);
  KT_EQ(kp.bad, 0);
  KT_EQ(fake_stats.log[ESP_LOG_INFO], 1); /* "keypads initialised", once */
  KT_CHECK(fake_log_count("start-up sequence sent") == 1);
  /* the application sets lights through the lock; the keypad shows them */
  p = kbe_pnl_lock(100);
  KT_CHECK(p != NULL);
  if (p) {
    KT_EQ(kb_pnl_set_light(p, KB_PNL_LIGHT_ARMED, KB_PNL_ON), KB_OK);
    KT_EQ(kb_pnl_set_light(p, KB_PNL_LIGHT_MEMORY, KB_PNL_BLINK), KB_OK);
    KT_EQ(kb_pnl_set_zone(p, 3, KB_PNL_ON), KB_OK);
    kb_pnl_beep(p, 2);
    kbe_pnl_unlock();
  }
  lights_from_cb = true; /* and from the poll callback */
  advance(fake_now() + 400000u);
  KT_EQ(kb_skp_light(&kp, KB_PNL_LIGHT_ARMED), KB_PNL_ON);
  KT_EQ(kb_skp_light(&kp, KB_PNL_LIGHT_MEMORY), KB_PNL_BLINK);
  KT_EQ(kb_skp_light(&kp, KB_PNL_LIGHT_READY), KB_PNL_ON);
  KT_EQ(kb_skp_zone_light(&kp, 3), KB_PNL_ON);
  KT_EQ(kb_skp_zone_light(&kp, 8), KB_PNL_BLINK);
  KT_EQ(kb_skp_zone_light(&kp, 4), KB_PNL_OFF);
  KT_EQ(kp.beeps, 2);
  KT_EQ(kp.bad, 0);
  /* the task was woken at each frame's end by the callback */
  KT_CHECK(kbe_pnl_isr.notifies >= kp.frames - 1u && kbe_pnl_isr.notifies > 10);
  KT_EQ(fake_stats.alarm_woken, kbe_pnl_isr.notifies);
  KT_CHECK(polls > 0);
  kbe_pnl_health(&h);
  KT_CHECK(h.started);
  KT_CHECK(h.ticking);
  KT_CHECK(h.healthy);
  KT_EQ(h.pnl.contention, 0);
  KT_EQ(h.pnl.overflows, 0);
  KT_EQ(h.overflow_age_s, UINT32_MAX);
  KT_EQ(h.clash_age_s, UINT32_MAX);
  KT_CHECK(h.halves > 10000);
  /* nothing allocated after init, nothing an interrupt must not call */
  KT_EQ(fake_stats.heap_calls, heap0);
  KT_EQ(heap_mallocs, mallocs0);
  KT_EQ(fake_stats.isr_violations, 0);
  KT_EQ(fake_stats.log[ESP_LOG_WARN] + fake_stats.log[ESP_LOG_ERROR], 0);
}

static void test_keys_reach_the_callback(void) {
  kbe_pnl_config_t c;
  unsigned mallocs0;
  fresh();
  c = config();
  c.pnl.powerup_ms = 100;
  KT_EQ(kbe_pnl_start(&c), ESP_OK);
  advance(fake_now() + 600000u);
  mallocs0 = heap_mallocs;
  KT_CHECK(kb_skp_press(&kp, 0x05));                    /* 1 */
  KT_CHECK(kb_skp_press(&kp, 0x0A));                    /* 2 */
  KT_CHECK(kb_skp_press(&kp, KB_SKP_ALARM | 0xBBu));    /* Fire */
  KT_CHECK(kb_skp_press(&kp, 0x2D));                    /* # */
  advance(fake_now() + 1500000u);
  KT_EQ(kb_skp_pending(&kp), 0);
  KT_EQ(nkeys, 4);
  KT_EQ(keys[0], 0x05);
  KT_EQ(keys[1], 0x0A);
  KT_EQ(keys[2], KB_PNL_KEY_FIRE);
  KT_EQ(keys[3], 0x2D);
  KT_STREQ(kb_pnl_key_name(keys[3]), "#");
  KT_EQ(heap_mallocs, mallocs0);
  KT_EQ(fake_stats.isr_violations, 0);
  /* no key in any log line (keys may be an access code) */
  KT_EQ(fake_stats.log[ESP_LOG_WARN] + fake_stats.log[ESP_LOG_ERROR], 0);
}

/* Classic keypads: the timer at KB_PNL_CLASSIC_HALF_US (500 Hz clock),
 * 16-cycle frames, a key handed out in PowerSeries codes. */
static void test_classic(void) {
  kbe_pnl_config_t c;
  unsigned alarms0;
  fresh();
  kp.classic = 1;
  c = config();
  c.pnl.classic = true;
  c.pnl.powerup_ms = 100;
  KT_EQ(kbe_pnl_start(&c), ESP_OK);
  alarms0 = fake_stats.alarms;
  advance(fake_now() + 1000000u);
  KT_EQ(fake_stats.alarms - alarms0, 1000);
  KT_CHECK(kp.frames > 10);
  KT_EQ(kp.bad, 0);
  {
    kb_pnl_t *p = kbe_pnl_lock(100);
    KT_CHECK(p != NULL);
    if (p) {
      KT_EQ(kb_pnl_set_zone(p, 2, KB_PNL_ON), KB_OK);
      KT_EQ(kb_pnl_set_light(p, KB_PNL_LIGHT_ARMED, KB_PNL_ON), KB_OK);
      kbe_pnl_unlock();
    }
  }
  KT_CHECK(kb_skp_press_hold(&kp, 0xBE, 300)); /* 1 */
  advance(fake_now() + 1000000u);
  KT_EQ(kb_skp_zone_light(&kp, 2), KB_PNL_ON);
  KT_EQ(kb_skp_light(&kp, KB_PNL_LIGHT_ARMED), KB_PNL_ON);
  KT_EQ(nkeys, 1);
  KT_EQ(keys[0], 0x05);
  KT_EQ(kp.bad, 0);
  KT_EQ(kbe_pnl_stop(), ESP_OK);
}

static void test_every_init_failure(void) {
  static const struct {
    const char *call;
    unsigned nth;
    esp_err_t err;
  } cases[] = {
      {"gpio_config", 1, ESP_ERR_INVALID_ARG},
      {"gpio_set_level", 1, ESP_ERR_INVALID_ARG},
      {"gpio_set_level", 2, ESP_ERR_INVALID_ARG},
      {"gpio_config", 2, ESP_ERR_INVALID_ARG},
      {"gptimer_new_timer", 1, ESP_ERR_NOT_FOUND},
      {"gptimer_register_event_callbacks", 1, ESP_ERR_NO_MEM},
      {"gptimer_set_alarm_action", 1, ESP_ERR_INVALID_ARG},
      {"gptimer_enable", 1, ESP_ERR_INVALID_STATE},
      {"gptimer_start", 1, ESP_ERR_INVALID_STATE},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    kbe_pnl_config_t c;
    char want[80];
    unsigned alarms0, edges0;
    fresh();
    c = config();
    c.pnl.powerup_ms = 0;
    fake_fail(cases[i].call, cases[i].nth, cases[i].err);
    KT_EQ(kbe_pnl_start(&c), cases[i].err);
    KT_EQ(kbe_pnl_state(), KBE_FAILED);
    snprintf(want, sizeof want, "%s: %s", cases[i].call, esp_err_to_name(cases[i].err));
    KT_STREQ(kbe_pnl_failure(), want);
    /* one log line, naming the call */
    KT_EQ(fake_stats.log[ESP_LOG_ERROR], 1);
    KT_EQ(fake_stats.log[ESP_LOG_WARN] + fake_stats.log[ESP_LOG_INFO], 0);
    KT_CHECK(strstr(fake_stats.last_log, want) != NULL);
    /* everything undone: no timer, both outputs released, the task gone */
    KT_EQ(fake_stats.timers_live, 0);
    KT_EQ(fake_pin_out(CLK), 0);
    KT_EQ(fake_pin_out(WR), 0);
    KT_CHECK(fake_task_deleted(g_task));
    /* no retry, no interrupt, nothing on the bus over an hour */
    fake_calls_clear();
    alarms0 = fake_stats.alarms;
    edges0 = edges;
    fake_advance_to(fake_now() + 3600u * 1000000u);
    KT_STREQ(fake_calls(), "");
    KT_EQ(fake_stats.alarms, alarms0);
    KT_EQ(edges, edges0);
    KT_EQ(fake_stats.log[ESP_LOG_ERROR], 1);
    /* and a start once the cause is gone works */
    KT_EQ(kbe_pnl_start(&c), ESP_OK);
    KT_EQ(kbe_pnl_state(), KBE_RUNNING);
    KT_STREQ(kbe_pnl_failure(), "");
    KT_EQ(kbe_pnl_stop(), ESP_OK);
  }
}

static void test_bad_config_and_states(void) {
  kbe_pnl_config_t c;
  fresh();
  c = config();
  KT_EQ(kbe_pnl_start(NULL), ESP_ERR_INVALID_ARG);
  c.clock_pin = DAT;
  KT_EQ(kbe_pnl_start(&c), ESP_ERR_INVALID_ARG);
  c = config();
  c.write_pin = CLK;
  KT_EQ(kbe_pnl_start(&c), ESP_ERR_INVALID_ARG);
  c = config();
  c.write_pin = 22; /* no GPIO22 on the ESP32-C3 */
  KT_EQ(kbe_pnl_start(&c), ESP_ERR_INVALID_ARG);
  c = config();
  c.write_pin = -1; /* the panel role cannot listen only */
  KT_EQ(kbe_pnl_start(&c), ESP_ERR_INVALID_ARG);
  c = config();
  c.core = 1; /* single core */
  KT_EQ(kbe_pnl_start(&c), ESP_ERR_INVALID_ARG);
  c = config();
  c.task_priority = 0;
  KT_EQ(kbe_pnl_start(&c), ESP_ERR_INVALID_ARG);
  KT_EQ(kbe_pnl_state(), KBE_STOPPED);
  KT_EQ(fake_stats.tasks_created, 0);
  KT_CHECK(kbe_pnl_lock(0) == NULL); /* not running */
  KT_EQ(kbe_pnl_stop(), ESP_OK);     /* not running: fine */
  c = config();
  KT_EQ(kbe_pnl_start(&c), ESP_OK);
  KT_EQ(kbe_pnl_start(&c), ESP_ERR_INVALID_STATE);
  KT_EQ(kbe_pnl_stop(), ESP_OK);
}

static void test_start_stop_start(void) {
  kbe_pnl_config_t c;
  unsigned heap_first, frames, edges0, alarms0;
  fresh();
  c = config();
  c.pnl.powerup_ms = 100;
  KT_EQ(kbe_pnl_start(&c), ESP_OK);
  heap_first = fake_stats.heap_calls;
  advance(fake_now() + 1000000u);
  frames = kp.frames;
  KT_CHECK(frames > 8);
  fake_calls_clear();
  KT_EQ(kbe_pnl_stop(), ESP_OK);
  KT_EQ(kbe_pnl_state(), KBE_STOPPED);
  KT_STREQ(fake_calls(), STOP_ORDER);
  KT_EQ(fake_stats.timers_live, 0);
  KT_EQ(fake_pin_out(CLK), 0); /* clock released: bus clock high */
  KT_EQ(fake_pin_out(WR), 0);  /* data released */
  KT_EQ(bus_clk, 1);
  KT_CHECK(fake_task_deleted(g_task));
  KT_CHECK(kbe_pnl_lock(0) == NULL);
  /* stopped: no interrupt, no edge */
  alarms0 = fake_stats.alarms;
  edges0 = edges;
  advance(fake_now() + 500000u);
  KT_EQ(fake_stats.alarms, alarms0);
  KT_EQ(edges, edges0);
  /* again: the same init, the keypad gets frames, a key reaches the callback */
  fake_calls_clear();
  KT_EQ(kbe_pnl_start(&c), ESP_OK);
  KT_STREQ(fake_calls(), INIT_ORDER);
  KT_EQ(fake_stats.heap_calls, 2 * heap_first); /* the driver's own, again, no more */
  KT_CHECK(kb_skp_press(&kp, 0x11)); /* 4 */
  advance(fake_now() + 1200000u);
  KT_CHECK(kp.frames > frames + 8);
  KT_EQ(nkeys, 1);
  KT_EQ(keys[0], 0x11);
  KT_EQ(kbe_pnl_stop(), ESP_OK);
  KT_EQ(fake_stats.isr_violations, 0);
}

/* A data line held low (a second panel, a short): the engine's own 1-bits
 * read back 0; no key is read from those frames, health says so. */
static void test_health_contention(void) {
  kbe_pnl_config_t c;
  kbe_pnl_health_t h;
  fresh();
  c = config();
  c.pnl.powerup_ms = 100;
  KT_EQ(kbe_pnl_start(&c), ESP_OK);
  advance(fake_now() + 1000000u);
  kbe_pnl_health(&h);
  KT_CHECK(h.healthy);
  hold_low = 1;
  fake_pin_drive(DAT, 0);
  advance(fake_now() + 300000u);
  kbe_pnl_health(&h);
  KT_CHECK(h.pnl.contention > 0);
  KT_CHECK(h.pnl.clashed > 0);
  KT_EQ(h.pnl.keys, 0);
  KT_EQ(nkeys, 0);
  KT_CHECK(h.clash_age_s < 2);
  KT_CHECK(!h.healthy);
  hold_low = 0;
  fake_pin_drive(DAT, 1);
  /* healthy again only once KBE_HEALTH_OVERFLOW_S passed without a clash */
  advance(fake_now() + 2000000u);
  kbe_pnl_health(&h);
  KT_CHECK(!h.healthy);
  KT_EQ(kbe_pnl_stop(), ESP_OK);
  /* the heap floor */
  fresh();
  KT_EQ(kbe_pnl_start(&c), ESP_OK);
  advance(fake_now() + 1000000u);
  fake_heap_set(20000, KBE_HEALTH_HEAP_FLOOR - 1u, 10000);
  kbe_pnl_health(&h);
  KT_CHECK(h.started && h.ticking);
  KT_CHECK(!h.healthy);
  KT_EQ(kbe_pnl_stop(), ESP_OK);
}

/* Keypads unpowered (data line low): the power-up wait never ends. One
 * warning after KBE_PNL_NOSTART_S, then one per KBE_PNL_NOSTART_REPEAT_S. */
static void test_not_started_log_budget(void) {
  kbe_pnl_config_t c;
  fresh();
  c = config();
  hold_low = 1;
  fake_pin_drive(DAT, 0);
  KT_EQ(kbe_pnl_start(&c), ESP_OK);
  advance(fake_now() + 9000000u);
  KT_EQ(fake_stats.log[ESP_LOG_WARN], 0);
  advance(fake_now() + 2000000u);
  KT_EQ(fake_stats.log[ESP_LOG_WARN], 1);
  KT_CHECK(fake_log_count("no frame sent") == 1);
  KT_CHECK(fake_log_count("data GPIO5") == 1);
  advance(fake_now() + 590000000u); /* to 601 s */
  KT_EQ(fake_stats.log[ESP_LOG_WARN], 1);
  advance(fake_now() + 20000000u); /* 621 s */
  KT_EQ(fake_stats.log[ESP_LOG_WARN], 2);
  KT_CHECK(fake_stats.alarms >= 2000u * 620u); /* the timer ran all along */
  KT_EQ(edges, 0);
  KT_EQ(kp.frames, 0);
  KT_EQ(kbe_pnl_stop(), ESP_OK);
}

#ifdef KBE_STACK_PROBE
static void test_stack_high_water(void) {
  /* the busiest runs: the start-up sequence and lights (callbacks), keys,
   * then the not-started warnings (log lines) */
  probe_hwm = 0;
  test_startup_and_lights();
  test_keys_reach_the_callback();
  test_not_started_log_budget();
  printf("stack high-water: %u bytes (x86-64 host, task steps only, its log lines included)\n",
         (unsigned)probe_hwm);
  KT_CHECK(probe_hwm > 0 && probe_hwm < PROBE_STACK);
}
#define PROBE_CASES , KT_CASE(test_stack_high_water)
#else
#define PROBE_CASES
#endif

KT_MAIN(KT_CASE(test_startup_and_lights), KT_CASE(test_keys_reach_the_callback), KT_CASE(test_classic),
        KT_CASE(test_every_init_failure), KT_CASE(test_bad_config_and_states),
        KT_CASE(test_start_stop_start), KT_CASE(test_health_contention),
        KT_CASE(test_not_started_log_budget) PROBE_CASES)
