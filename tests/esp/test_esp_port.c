/* SPDX-License-Identifier: MIT
 *
 * test_esp_port.c - ports/esp-idf run on the host: the component's real
 * sources (kbe.c, kbe_isr.c) on the fake of ESP-IDF (esp_fake.c), its
 * interrupt handlers driven by the simulated panel (src/sim/kb_sim_panel)
 * through the fake's pins and one-shot timer, its task stepped here
 * (FreeRTOS single-threaded). What it proves: frames decoded through the
 * real handlers, a key written back through the write pin, the init and
 * stop order, every esp_err_t failure -> FAILED with the call's name, one
 * log line, no retry, everything undone; no heap call after init (the
 * drivers' allocating calls counted by the fake, and malloc/calloc/realloc
 * wrapped at link time); the healthy flag for each of its inputs; the
 * no-panel log budget over a simulated hour; start/stop/start; the
 * failed-allocation callback path (caps 0x404 -> "SPIRAM|8BIT").
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
#include "host/kb_wave.h"
#include "kbe_int.h"
#include "keybus_esp.h"
#include "keybus/kb_classic.h"
#include "sim/kb_sim_panel.h"

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
static void probe_entry(void) { probe_ret = kbe_task_step(); }
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

/* One pass of the keybus task's loop, as FreeRTOS would run it. */
static bool task_step(void) {
  bool r;
  fake_task_current(g_task);
#ifdef KBE_STACK_PROBE
  r = step_on_stack();
#else
  r = kbe_task_step();
#endif
  fake_task_current(NULL);
  g_steps++;
  return r;
}

static void on_create(TaskHandle_t t, TaskFunction_t fn, void *arg) {
  g_task = t;
  g_begun = g_ended = false;
  g_created_main = fn == kbe_task_main && arg == NULL;
}

/* kbe_start()/kbe_stop() wait for the task: run it until they may go on. */
static bool on_block(void) {
  if (g_task == NULL || fake_task_deleted(g_task) || g_ended) return false;
  if (xTaskGetCurrentTaskHandle() == g_task) {
    fprintf(stderr, "test: the keybus task would block on itself\n");
    return false;
  }
  if (!g_begun) {
    g_begun = true;
    fake_task_current(g_task);
    if (!kbe_task_begin()) g_ended = true;
    fake_task_current(NULL);
    g_next_task = fake_now() + 10000u;
    return true;
  }
  if (!task_step()) {
    fake_task_current(g_task);
    kbe_task_end();
    fake_task_current(NULL);
    g_ended = true;
  }
  return true;
}

/* Time to t: the one-shots fire on the way; the task runs every 10 ms. */
static void advance(uint64_t t) {
  for (;;) {
    uint64_t stop = t;
    bool run = kbe_state() == KBE_RUNNING && g_task != NULL;
    if (run && g_next_task < stop) stop = g_next_task;
    fake_advance_to(stop);
    if (run && fake_now() >= g_next_task) {
      (void)task_step();
      g_next_task = fake_now() + 10000u;
    }
    if (fake_now() >= t) break;
  }
}

/* A clock edge; a frame the interrupt published wakes the task at once
 * (it waits on the notification). */
static void edge(int level) {
  fake_pin_drive(CLK, level);
  if (g_task != NULL && kbe_state() == KBE_RUNNING && fake_task_notified(g_task)) {
    (void)task_step();
    g_next_task = fake_now() + 10000u;
  }
}

/* ----------------------------------------------------- the panel */

static kb_sim_panel_t panel;
static bool panel_on;
static bool corrupt; /* flip the last bit of every message but the status ones (noise) */
static unsigned acts_exit, acts_keys;

static void on_act(void *ctx, const kb_sim_act_t *a) {
  (void)ctx;
  if (a->type == KB_SIM_ACT_EXIT_START) acts_exit++;
  if (a->type == KB_SIM_ACT_KEY) acts_keys++;
}

static void panel_init(void) {
  kb_sim_cfg_t c;
  kb_sim_cfg_default(&c, 1);
  kb_sim_panel_init(&panel, &c, fake_now());
  kb_sim_panel_on_act(&panel, on_act, NULL);
  panel_on = true;
  acts_exit = acts_keys = 0;
}

/* One message, clocked through the fake's pins: the interrupt sees every
 * edge, the one-shot samples 250 us after it, the panel reads the data
 * line (pulled low by the write pin through the NPN) at the end of each
 * low phase. */
static void message(void) {
  uint8_t bytes[KB_SIM_FRAME], module[KB_SIM_FRAME];
  uint16_t bits;
  uint32_t gap;
  bool flip;
  kb_sim_panel_next(&panel, fake_now(), bytes, &bits, &gap);
  if (bits > KB_WAVE_MAX_BITS) bits = KB_WAVE_MAX_BITS;
  /* the last bit is a checksum's, except in the status messages */
  flip = corrupt && bytes[0] != 0x05 && bytes[0] != 0x1B && bytes[0] != 0x11;
  memset(module, 0xFF, sizeof module);
  advance(fake_now() + gap);
  for (unsigned k = 0; k <= bits; k++) {
    uint64_t tf = fake_now();
    fake_pin_drive(DAT, 1); /* the panel releases */
    edge(0);
    advance(tf + 500u);
    if (k < bits && !fake_pin_level(DAT)) {
      unsigned byte = k < 8 ? 0u : k == 8 ? 1u : 2u + (k - 9u) / 8u;
      unsigned bit = k < 8 ? 7u - k : k == 8 ? 0u : 7u - (k - 9u) % 8u;
      if (byte < KB_SIM_FRAME) module[byte] &= (uint8_t)~(1u << bit);
    }
    fake_pin_drive(DAT, k < bits ? kb_wave_bit(bytes, bits, k) ^ (flip && k == bits - 1u) : 1);
    edge(1);
    if (k == bits) break;
    advance(tf + 1000u);
  }
  kb_sim_panel_module(&panel, fake_now(), module, bits);
}

/* The bus until t: messages when a panel is on, else a quiet clock. */
static void run_until(uint64_t t) {
  while (fake_now() < t) {
    if (panel_on) message();
    else advance(t);
  }
}

/* --------------------------------------------------------- setup */

static unsigned events;
static void on_event(void *ctx, const kb_event_t *ev) {
  (void)ctx;
  (void)ev;
  events++;
}
static unsigned polls, polls_connected;
static bool poll_health; /* the callback reads kbe_health() as a bridge would */
static void on_poll(void *ctx, kb_bus_t *bus) {
  (void)ctx;
  (void)bus;
  polls++;
  if (poll_health) {
    kbe_health_t h;
    KT_CHECK(kbe_lock(0) == NULL); /* the task holds it: no deadlock, no nesting */
    kbe_health(&h);
    if (h.connected && h.bus.frames_ok > 0) polls_connected++;
  }
}

static kbe_config_t config(void) {
  kbe_config_t c;
  kbe_config_default(&c);
  c.clock_pin = CLK;
  c.data_pin = DAT;
  c.write_pin = WR;
  c.bus.event_cb = on_event;
  c.poll_cb = on_poll;
  return c;
}

static void fresh(void) {
  (void)kbe_stop();
  fake_reset();
  kbe_host_reboot();
  fake_on_task_create(on_create);
  fake_on_block(on_block);
  fake_pin_npn(DAT, WR);
  g_task = NULL;
  g_steps = 0;
  events = polls = 0;
  panel_on = false;
}

/* ----------------------------------------------------------- tests */

static const char *const INIT_ORDER =
    "heap_caps_register_failed_alloc_callback gpio_config gpio_set_level gpio_config "
    "gptimer_new_timer gptimer_register_event_callbacks gptimer_enable gptimer_start "
    "gpio_install_isr_service gpio_set_intr_type gpio_isr_handler_add gpio_intr_enable ";
static const char *const STOP_ORDER =
    "gpio_intr_disable gpio_isr_handler_remove gptimer_set_alarm_action gptimer_stop "
    "gptimer_disable gptimer_del_timer gpio_set_level ";

static void test_frames_decoded_through_the_handlers(void) {
  kbe_config_t c;
  unsigned heap0, mallocs0;
  kb_bus_t *bus;
  fresh();
  c = config();
  panel_init();
  KT_EQ(kbe_start(&c), ESP_OK);
  KT_EQ(kbe_state(), KBE_RUNNING);
  KT_CHECK(g_created_main);
  KT_EQ(fake_task_core(g_task), c.core);
  KT_EQ(fake_task_prio(g_task), c.task_priority);
  KT_EQ(fake_task_stack(g_task), CONFIG_KEYBUS_TASK_STACK);
  KT_CHECK(fake_pin_has_handler(CLK));
  heap0 = fake_stats.heap_calls;
  mallocs0 = heap_mallocs;
  KT_EQ(heap0, 3); /* timer, its interrupt, the ISR service */
  run_until(fake_now() + 3000000u);
  bus = kbe_lock(0);
  KT_CHECK(bus != NULL);
  if (bus) {
    const kb_health_t *h = kb_bus_health(bus);
    KT_CHECK(h->frames_ok > 30); /* ~77 ms a message with this panel */
    KT_EQ(h->frames_ok, h->frames);
    KT_EQ(h->checksum_errors, 0);
    KT_EQ(h->framing_errors, 0);
    KT_EQ(h->ring_overflows, 0);
    KT_CHECK(kb_bus_status(bus)->connected);
    KT_CHECK(kb_bus_status(bus)->part[0].ready);
    kbe_unlock();
  }
  /* a zone opened at the panel reaches the status through the handlers */
  kb_sim_panel_zone(&panel, 3, true, fake_now());
  run_until(fake_now() + 2000000u);
  bus = kbe_lock(0);
  if (bus) {
    KT_CHECK(kb_bus_status(bus)->zones_open[0] & 0x04);
    kbe_unlock();
  }
  KT_CHECK(events > 0);
  KT_CHECK(polls > 0);
  /* kbe_health() from the bus callback (the lock is the task's) */
  poll_health = true;
  polls_connected = 0;
  run_until(fake_now() + 200000u);
  poll_health = false;
  KT_CHECK(polls_connected > 5);
  KT_CHECK(kbe_isr.notifies > 50); /* the task woken per frame */
  KT_CHECK(fake_stats.yields > 0);
  KT_CHECK(fake_stats.alarms > 1000);
  /* every sample 250 us after the edge that armed it (count reset, then
   * the alarm: an alarm armed on a running count would fire at once) */
  KT_EQ(fake_stats.alarm_after_min, KB_SAMPLE_US);
  KT_EQ(fake_stats.alarm_after_max, KB_SAMPLE_US);
  KT_EQ(fake_stats.alarm_woken, 0);
  KT_EQ(kbe_isr.arm_errors, 0);
  KT_EQ(fake_stats.isr_violations, 0);
  KT_EQ(fake_last_wait(), pdMS_TO_TICKS(KBE_POLL_MS)); /* a bounded wait: no busy loop */
  /* nothing allocated after init */
  KT_EQ(fake_stats.heap_calls, heap0);
  KT_EQ(heap_mallocs, mallocs0);
  KT_EQ(kbe_stop(), ESP_OK);
  KT_EQ(fake_stats.heap_calls, heap0);
}

static void test_key_through_the_write_pin(void) {
  kbe_config_t c;
  kb_bus_t *bus;
  uint16_t id = 0;
  unsigned mallocs0;
  fresh();
  c = config();
  panel_init();
  KT_EQ(kbe_start(&c), ESP_OK);
  run_until(fake_now() + 6000000u); /* connected, idle long enough for keys */
  mallocs0 = heap_mallocs;
  bus = kbe_lock(100);
  KT_CHECK(bus != NULL);
  if (!bus) return;
  KT_EQ(kb_bus_keys_submit(bus, 1, "w", "1234", &id), KB_OK);
  kbe_unlock();
  run_until(fake_now() + 8000000u);
  bus = kbe_lock(100);
  if (bus) {
    KT_EQ(kb_bus_keys_result(bus, id, NULL), KB_KEYS_DONE);
    kbe_unlock();
  }
  KT_CHECK(acts_keys >= 5); /* w 1 2 3 4 read by the panel off the data line */
  KT_EQ(acts_exit, 1);
  KT_EQ(fake_pin_out(WR), 0); /* released between keys */
  KT_EQ(heap_mallocs, mallocs0);
  KT_EQ(fake_stats.isr_violations, 0);
  KT_EQ(kbe_stop(), ESP_OK);
  KT_EQ(fake_pin_out(WR), 0);
}

static void test_init_and_stop_order(void) {
  kbe_config_t c;
  fresh();
  c = config();
  fake_calls_clear();
  KT_EQ(kbe_start(&c), ESP_OK);
  KT_STREQ(fake_calls(), INIT_ORDER);
  fake_calls_clear();
  run_until(fake_now() + 100000u);
  KT_STREQ(fake_calls(), ""); /* no panel: no edge, no driver call */
  KT_EQ(kbe_stop(), ESP_OK);
  KT_STREQ(fake_calls(), STOP_ORDER);
  KT_EQ(kbe_state(), KBE_STOPPED);
  KT_EQ(fake_stats.timers_live, 0);
  KT_CHECK(!fake_pin_has_handler(CLK));
  KT_CHECK(fake_task_deleted(g_task));
  KT_EQ(fake_stats.log[ESP_LOG_ERROR] + fake_stats.log[ESP_LOG_WARN], 0);
}

/* Every fallible call of the init, failed in turn. */
static void test_every_init_failure(void) {
  static const struct {
    const char *call;
    unsigned nth;
    esp_err_t err;
  } f[] = {
      {"heap_caps_register_failed_alloc_callback", 1, ESP_ERR_INVALID_ARG},
      {"gpio_config", 1, ESP_ERR_INVALID_ARG},
      {"gpio_set_level", 1, ESP_ERR_INVALID_ARG},
      {"gpio_config", 2, ESP_ERR_INVALID_ARG},
      {"gptimer_new_timer", 1, ESP_ERR_NOT_FOUND},
      {"gptimer_register_event_callbacks", 1, ESP_ERR_NO_MEM},
      {"gptimer_enable", 1, ESP_ERR_INVALID_STATE},
      {"gptimer_start", 1, ESP_ERR_INVALID_STATE},
      {"gpio_install_isr_service", 1, ESP_ERR_NO_MEM},
      {"gpio_set_intr_type", 1, ESP_ERR_INVALID_ARG},
      {"gpio_isr_handler_add", 1, ESP_ERR_INVALID_STATE},
      {"gpio_intr_enable", 1, ESP_ERR_INVALID_ARG},
  };
  unsigned covered = 0;
  for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++) {
    kbe_config_t c;
    char want[96];
    unsigned calls_after, errs;
    fresh();
    c = config();
    fake_fail(f[i].call, f[i].nth, f[i].err);
    KT_EQ(kbe_start(&c), f[i].err);
    KT_EQ(kbe_state(), KBE_FAILED);
    snprintf(want, sizeof want, "%s: %s", f[i].call, esp_err_to_name(f[i].err));
    KT_STREQ(kbe_failure(), want);
    errs = fake_stats.log[ESP_LOG_ERROR] + fake_stats.log[ESP_LOG_WARN];
    KT_EQ(errs, 1);
    KT_EQ(fake_log_count(want), 1);
    /* undone: no timer, no handler, the write pin low, the task gone */
    KT_EQ(fake_stats.timers_live, 0);
    KT_CHECK(!fake_pin_has_handler(CLK));
    KT_EQ(fake_pin_out(WR), 0);
    KT_CHECK(fake_task_deleted(g_task));
    KT_CHECK(kbe_lock(0) == NULL);
    /* no retry: an hour later nothing more was called or logged */
    calls_after = (unsigned)strlen(fake_calls());
    run_until(fake_now() + 3600000000ull);
    KT_EQ(strlen(fake_calls()), calls_after);
    KT_EQ(fake_stats.log[ESP_LOG_ERROR] + fake_stats.log[ESP_LOG_WARN], errs);
    KT_EQ(kbe_state(), KBE_FAILED);
    if (strstr(INIT_ORDER, f[i].call)) covered++;
  }
  /* the table covers every call of the init */
  {
    char buf[512], *save = NULL;
    unsigned n = 0;
    snprintf(buf, sizeof buf, "%s", INIT_ORDER);
    for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) n++;
    KT_EQ(covered, n);
  }
  /* a failed component starts again once the cause is gone */
  {
    kbe_config_t c = config();
    KT_EQ(kbe_start(&c), ESP_OK);
    KT_EQ(kbe_state(), KBE_RUNNING);
    KT_STREQ(kbe_failure(), "");
    KT_EQ(kbe_stop(), ESP_OK);
  }
}

static void test_bad_config_and_states(void) {
  kbe_config_t c;
  fresh();
  c = config();
  c.data_pin = c.clock_pin;
  KT_EQ(kbe_start(&c), ESP_ERR_INVALID_ARG);
  c = config();
  c.write_pin = DAT;
  KT_EQ(kbe_start(&c), ESP_ERR_INVALID_ARG);
  c = config();
  c.clock_pin = 40; /* not an ESP32-C3 pin */
  KT_EQ(kbe_start(&c), ESP_ERR_INVALID_ARG);
  c = config();
  c.core = 1; /* single core */
  KT_EQ(kbe_start(&c), ESP_ERR_INVALID_ARG);
  KT_EQ(kbe_start(NULL), ESP_ERR_INVALID_ARG);
  KT_EQ(kbe_state(), KBE_STOPPED);
  KT_EQ(fake_stats.tasks_created, 0);
  c = config();
  KT_EQ(kbe_start(&c), ESP_OK);
  KT_EQ(kbe_start(&c), ESP_ERR_INVALID_STATE);
  /* the lock: held, a second taker gives up */
  {
    kb_bus_t *b = kbe_lock(0);
    KT_CHECK(b != NULL);
    fake_on_block(NULL);
    KT_CHECK(kbe_lock(10) == NULL);
    fake_on_block(on_block);
    kbe_unlock();
  }
  KT_EQ(kbe_stop(), ESP_OK);
  KT_EQ(kbe_stop(), ESP_OK);
  KT_CHECK(kbe_lock(0) == NULL);
}

static void test_start_stop_start(void) {
  kbe_config_t c;
  unsigned heap_first;
  fresh();
  c = config();
  panel_init();
  KT_EQ(kbe_start(&c), ESP_OK);
  heap_first = fake_stats.heap_calls;
  run_until(fake_now() + 1000000u);
  KT_EQ(kbe_stop(), ESP_OK);
  KT_EQ(fake_stats.timers_live, 0);
  for (int round = 0; round < 3; round++) {
    kb_bus_t *bus;
    fake_calls_clear();
    KT_EQ(kbe_start(&c), ESP_OK);
    /* the ISR service stays installed (ours): INVALID_STATE, not "shared" */
    KT_CHECK(strstr(fake_calls(), "gpio_install_isr_service") != NULL);
    run_until(fake_now() + 4000000u);
    bus = kbe_lock(0);
    KT_CHECK(bus != NULL);
    if (bus) {
      KT_CHECK(kb_bus_health(bus)->frames_ok > 40);
      KT_EQ(kb_bus_health(bus)->checksum_errors, 0);
      kbe_unlock();
    }
    {
      kbe_health_t h;
      kbe_health(&h);
      KT_CHECK(!h.isr_service_shared);
      KT_CHECK(h.connected);
    }
    KT_EQ(kbe_stop(), ESP_OK);
    KT_EQ(kbe_state(), KBE_STOPPED);
    KT_EQ(fake_stats.timers_live, 0);
  }
  /* each restart: a timer and its interrupt, never the service again */
  KT_EQ(fake_stats.heap_calls, heap_first + 3u * 2u);
  KT_EQ(fake_stats.isr_violations, 0);
}

static void test_shared_isr_service_and_attach(void) {
  kbe_config_t c;
  kbe_health_t h;
  fresh();
  fake_isr_service_preinstalled(); /* ESPHome was first */
  c = config();
  panel_init();
  KT_EQ(kbe_start(&c), ESP_OK);
  kbe_health(&h);
  KT_CHECK(h.isr_service_shared);
  KT_EQ(fake_log_count("installed by another component"), 1);
  run_until(fake_now() + 2000000u);
  kbe_health(&h);
  KT_CHECK(h.bus.frames_ok > 25);
  KT_EQ(kbe_stop(), ESP_OK);
}

static int attach_calls;
static esp_err_t attach_err;
static esp_err_t attach_fn(void *ctx, int pin, void (*isr)(void *), bool on) {
  KT_CHECK(ctx == &attach_calls);
  if (on && attach_err != ESP_OK) return attach_err;
  fake_pin_attach((uint32_t)pin, isr, on);
  attach_calls += on ? 1 : -1;
  return ESP_OK;
}

static void test_attach_hook(void) {
  kbe_config_t c;
  kbe_health_t h;
  fresh();
  c = config();
  c.attach = attach_fn;
  c.attach_ctx = &attach_calls;
  attach_calls = 0;
  attach_err = ESP_OK;
  panel_init();
  fake_calls_clear();
  KT_EQ(kbe_start(&c), ESP_OK);
  KT_EQ(attach_calls, 1);
  KT_CHECK(strstr(fake_calls(), "gpio_install_isr_service") == NULL);
  KT_CHECK(!fake_isr_service_installed());
  run_until(fake_now() + 2000000u);
  kbe_health(&h);
  KT_CHECK(h.bus.frames_ok > 25);
  KT_CHECK(!h.isr_service_shared);
  KT_EQ(fake_stats.isr_violations, 0);
  KT_EQ(kbe_stop(), ESP_OK);
  KT_EQ(attach_calls, 0);
  /* the hook failing is a failed start like any other call */
  fresh();
  attach_err = ESP_ERR_NOT_SUPPORTED;
  KT_EQ(kbe_start(&c), ESP_ERR_NOT_SUPPORTED);
  KT_STREQ(kbe_failure(), "attach: ESP_ERR_NOT_SUPPORTED");
  KT_EQ(fake_stats.log[ESP_LOG_ERROR], 1);
  KT_EQ(fake_stats.timers_live, 0);
  attach_err = ESP_OK;
}

/* The one definition, input by input. */
static void test_healthy_inputs(void) {
  kbe_health_t h, base;
  kbe_config_t c;
  memset(&base, 0, sizeof base);
  base.connected = true;
  base.bus.frames = 1000;
  base.bus.checksum_errors = 0;
  base.overflow_age_s = UINT32_MAX;
  base.heap_min_free = KBE_HEALTH_HEAP_FLOOR;
  KT_CHECK(kbe_healthy(&base));
  h = base;
  h.connected = false;
  KT_CHECK(!kbe_healthy(&h));
  h = base;
  h.bus.checksum_errors = (uint32_t)(KBE_HEALTH_ERR_PCT * 10u); /* exactly the threshold */
  KT_CHECK(!kbe_healthy(&h));
  h.bus.checksum_errors--;
  KT_CHECK(kbe_healthy(&h));
  h = base;
  h.overflow_age_s = KBE_HEALTH_OVERFLOW_S - 1u;
  KT_CHECK(!kbe_healthy(&h));
  h.overflow_age_s = KBE_HEALTH_OVERFLOW_S;
  KT_CHECK(kbe_healthy(&h));
  h = base;
  h.heap_min_free = KBE_HEALTH_HEAP_FLOOR - 1u;
  KT_CHECK(!kbe_healthy(&h));
  KT_CHECK(!kbe_healthy(NULL));

  /* and through kbe_health() on a running bus */
  fresh();
  c = config();
  panel_init();
  KT_EQ(kbe_start(&c), ESP_OK);
  kbe_health(&h);
  KT_CHECK(!h.connected);
  KT_CHECK(!h.healthy); /* no panel seen yet */
  run_until(fake_now() + 3000000u);
  kbe_health(&h);
  KT_CHECK(h.connected);
  KT_CHECK(h.healthy);
  KT_EQ(h.heap_free, 200000);
  KT_EQ(h.heap_largest, 100000);
  KT_EQ(h.fragmentation_pct, 50);
  KT_STREQ(h.version, "9.9.9-host");
  KT_STREQ(h.build_id, "0123456789abcdef");
  KT_STREQ(h.reset_name, "POWERON");
  KT_EQ(h.stack_free_min, 1000);
  KT_EQ(h.overflow_age_s, UINT32_MAX);
  /* noise: checksum errors over KBE_HEALTH_ERR_PCT of the frames */
  corrupt = true;
  for (int i = 0; i < 20; i++) { /* zone changes: checksummed messages */
    kb_sim_panel_zone(&panel, 2, i % 2 == 0, fake_now());
    run_until(fake_now() + 250000u);
  }
  corrupt = false;
  kbe_health(&h);
  KT_CHECK(h.connected);
  KT_CHECK((uint64_t)h.bus.checksum_errors * 100u >= (uint64_t)KBE_HEALTH_ERR_PCT * h.bus.frames);
  KT_CHECK(!h.healthy);
  /* heap under the floor */
  fake_heap_set(200000, KBE_HEALTH_HEAP_FLOOR - 1u, 100000);
  kbe_health(&h);
  KT_CHECK(!h.healthy);
  fake_heap_set(200000, 150000, 100000);
  /* a ring overflow: the task held off for 1.5 s of traffic */
  {
    uint64_t hold = fake_now() + 1500000u;
    TaskHandle_t t = g_task;
    g_task = NULL; /* the wire does not run it */
    g_next_task = UINT64_MAX;
    while (fake_now() < hold) message();
    g_task = t;
    g_next_task = fake_now();
  }
  run_until(fake_now() + 1000000u);
  kbe_health(&h);
  KT_CHECK(h.bus.ring_overflows > 0);
  KT_CHECK(h.overflow_age_s <= 2u);
  KT_CHECK(!h.healthy);
  run_until(fake_now() + (uint64_t)KBE_HEALTH_OVERFLOW_S * 1000000u);
  kbe_health(&h);
  KT_CHECK(h.overflow_age_s >= KBE_HEALTH_OVERFLOW_S);
  KT_CHECK(h.healthy);
  /* the panel goes away: not connected 3 s later */
  panel_on = false;
  run_until(fake_now() + 4000000u);
  kbe_health(&h);
  KT_CHECK(!h.connected);
  KT_CHECK(!h.healthy);
  KT_EQ(kbe_stop(), ESP_OK);
  kbe_health(&h);
  KT_CHECK(!h.healthy);
  KT_EQ(h.stack_free_min, 0);
}

/* No panel for a simulated hour: one warning, then a line per 10 minutes. */
static void test_no_panel_log_budget(void) {
  kbe_config_t c;
  unsigned warn;
  fresh();
  c = config();
  KT_EQ(kbe_start(&c), ESP_OK);
  run_until(fake_now() + (KBE_NOPANEL_FIRST_S - 1u) * 1000000ull);
  KT_EQ(fake_stats.log[ESP_LOG_WARN], 0);
  run_until(fake_now() + 2000000u);
  KT_EQ(fake_stats.log[ESP_LOG_WARN], 1);
  KT_EQ(fake_log_count("no panel: no frames on clock GPIO4 / data GPIO5"), 1);
  run_until(fake_now() + 3600000000ull);
  warn = fake_stats.log[ESP_LOG_WARN];
  /* first at 5 s, then at 605, 1205, ..., 3605 s: 7 lines in the hour */
  KT_EQ(warn, 7);
  KT_EQ(fake_log_count("still no panel"), 6);
  KT_EQ(fake_stats.log[ESP_LOG_ERROR], 0);
  KT_EQ(kbe_state(), KBE_RUNNING); /* never gates anything */
  /* the panel arrives: one line; it goes again: silent until 10 minutes
   * after the last no-panel line, then one warning */
  panel_init();
  run_until(fake_now() + 3000000u);
  KT_EQ(fake_log_count("panel connected"), 1);
  panel_on = false;
  run_until(fake_now() + 60000000u);
  KT_EQ(fake_stats.log[ESP_LOG_WARN], warn);
  run_until(fake_now() + (uint64_t)KBE_NOPANEL_REPEAT_S * 1000000u);
  KT_EQ(fake_stats.log[ESP_LOG_WARN], warn + 1u);
  KT_EQ(fake_log_count("no panel: no frames"), 2);
  /* a panel that comes and goes within 10 minutes: silent */
  panel_init();
  run_until(fake_now() + 3000000u);
  panel_on = false;
  run_until(fake_now() + 60000000u);
  KT_EQ(fake_stats.log[ESP_LOG_WARN], warn + 1u);
  KT_EQ(kbe_stop(), ESP_OK);
}

static void test_failed_alloc_callback(void) {
  kbe_config_t c;
  kbe_health_t h;
  char buf[64];
  fresh();
  c = config();
  KT_EQ(kbe_start(&c), ESP_OK);
  fake_alloc_fail(0x300, 0x404, "wifi_init");
  kbe_health(&h);
  KT_EQ(h.alloc_failed, 1);
  KT_EQ(h.alloc_last_size, 0x300);
  KT_EQ(h.alloc_last_caps, 0x404);
  KT_STREQ(h.alloc_last_fn, "wifi_init");
  KT_EQ(fake_stats.log[ESP_LOG_WARN], 0); /* recorded only: the task logs */
  run_until(fake_now() + 20000u);
  KT_EQ(fake_log_count("allocation failed: 768 bytes, caps 0x00000404 (SPIRAM|8BIT) in wifi_init"), 1);
  KT_EQ(fake_log_count("a PSRAM request"), 1);
  /* the same failure again: counted, not logged again; another: logged */
  fake_alloc_fail(0x300, 0x404, "wifi_init");
  fake_alloc_fail(64, MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT, "xQueueCreate");
  run_until(fake_now() + 20000u);
  kbe_health(&h);
  KT_EQ(h.alloc_failed, 3);
  KT_EQ(fake_log_count("(SPIRAM|8BIT)"), 1);
  KT_EQ(fake_log_count("caps 0x00000804 (INTERNAL|8BIT) in xQueueCreate"), 1);
  KT_EQ(fake_log_count("a PSRAM request"), 1);
  /* the decoder */
  KT_STREQ(kbe_caps_name(0x404, buf, sizeof buf), "SPIRAM|8BIT");
  KT_STREQ(kbe_caps_name(0x80C, buf, sizeof buf), "INTERNAL|DMA|8BIT");
  KT_STREQ(kbe_caps_name(0x1800, buf, sizeof buf), "DEFAULT|INTERNAL");
  KT_STREQ(kbe_caps_name(0x80000001u, buf, sizeof buf), "INVALID|EXEC");
  KT_STREQ(kbe_caps_name(0x100000u, buf, sizeof buf), "0x100000");
  KT_STREQ(kbe_caps_name(0, buf, sizeof buf), "0");
  KT_STREQ(kbe_caps_name(0x404, buf, 7), "SPIRAM");
  KT_EQ(kbe_stop(), ESP_OK);
}

#ifdef KBE_STACK_PROBE
static void test_stack_high_water(void) {
  /* the busiest run: frames, a key request, failed allocations, the panel
   * lost (log lines) */
  uint32_t quiet_hwm;
  probe_hwm = 0;
  test_frames_decoded_through_the_handlers();
  test_key_through_the_write_pin();
  quiet_hwm = probe_hwm; /* polls, events, keys: no log line */
  test_failed_alloc_callback();
  test_no_panel_log_budget();
  printf("stack high-water: %u bytes (x86-64 host, task steps only; %u without a log line)\n",
         (unsigned)probe_hwm, (unsigned)quiet_hwm);
  KT_CHECK(probe_hwm > 0 && probe_hwm < PROBE_STACK);
}
#endif

/* ------------------------------------------------ Classic panel (issue 11)
 * Classic frames (D0 D1 on the data pin, P0 P1 on the PC-16 pin, in the
 * high phases; 16 cycles of 780 us half phases, then 26.5 ms of idle clock:
 * the layout of the notes, A3/A4, as kb_cls_edges.h generates it) through
 * the real Classic pair of handlers: the clock interrupt on every edge, the
 * one-shot's sample reading data AND PC-16. */
#define PC16 7

static void cls_frame(uint8_t d0, uint8_t d1, uint8_t p0, uint8_t p1) {
  const uint8_t d[2] = {d0, d1}, p[2] = {p0, p1};
  for (unsigned n = 0; n < 16u; n++) {
    uint8_t m = (uint8_t)(0x80u >> (n & 7u));
    uint64_t tf = fake_now();
    edge(0); /* keypad slot: nobody speaks */
    advance(tf + 20u);
    fake_pin_drive(DAT, 1);
    advance(tf + 780u);
    edge(1); /* panel bit n+1 */
    advance(tf + 800u);
    fake_pin_drive(DAT, (d[n >> 3] & m) != 0);
    fake_pin_drive(PC16, (p[n >> 3] & m) != 0);
    if (n < 15u) advance(tf + 1560u);
  }
  advance(fake_now() + 780u);
  fake_pin_drive(DAT, 1);
  fake_pin_drive(PC16, 1);
  advance(fake_now() + 26500u - 780u);
}

static void cls_frames(unsigned n, uint8_t d0, uint8_t d1, uint8_t p0, uint8_t p1) {
  while (n--) cls_frame(d0, d1, p0, p1);
}

static void test_classic_through_the_handlers(void) {
  kbe_config_t c;
  kb_bus_t *bus;
  fresh();
  fake_pin_drive(PC16, 1);
  c = config();
  c.panel = KB_SERIES_CLASSIC;
  c.pc16_pin = PC16;
  KT_EQ(kbe_start(&c), ESP_OK);
  KT_EQ(kbe_state(), KBE_RUNNING);
  KT_CHECK(kbe_isr.cls != NULL);
  KT_CHECK(kbe_isr.link == NULL);
  KT_CHECK(fake_pin_has_handler(CLK));
  cls_frames(10, 0x00, KB_CLS_D1_READY, 0x00, 0x00); /* ready, PC-16 data on */
  bus = kbe_lock(0);
  KT_CHECK(bus != NULL);
  if (bus) {
    const kb_status_t *st = kb_bus_status(bus);
    const kb_health_t *h = kb_bus_health(bus);
    KT_EQ(st->series, KB_SERIES_CLASSIC);
    KT_EQ(st->synced, 1);
    KT_EQ(st->part[0].ready, 1);
    KT_CHECK(h->frames >= 8);
    KT_EQ(h->frames_ok, h->frames);
    kbe_unlock();
  }
  cls_frames(5, 0x20, 0x00, 0x00, 0x00); /* zone 3 open (D0 bit 8-3) */
  bus = kbe_lock(0);
  if (bus) {
    KT_CHECK(kb_bus_status(bus)->zones_open[0] & 0x04);
    KT_EQ(kb_bus_status(bus)->part[0].ready, 0);
    kbe_unlock();
  }
  /* armed: the Armed light and P1's armed bit, which only the PC-16 pin carries */
  cls_frames(5, 0x00, KB_CLS_D1_ARMED, 0x00, KB_CLS_P1_ARMED_A);
  bus = kbe_lock(0);
  if (bus) {
    KT_EQ(kb_bus_status(bus)->part[0].armed, KB_ARMED_AWAY);
    kbe_unlock();
  }
  KT_CHECK(kbe_isr.notifies >= 15); /* the task woken per frame */
  KT_EQ(kbe_isr.arm_errors, 0);
  KT_EQ(fake_stats.isr_violations, 0);
  KT_EQ(fake_stats.alarm_after_min, KB_SAMPLE_US);
  KT_EQ(fake_stats.alarm_after_max, KB_SAMPLE_US);
  KT_EQ(kbe_stop(), ESP_OK);
  KT_CHECK(!fake_pin_has_handler(CLK));
  /* a Classic panel needs a PC-16 pin of its own */
  fresh();
  c = config();
  c.panel = KB_SERIES_CLASSIC;
  c.pc16_pin = -1;
  KT_EQ(kbe_start(&c), ESP_ERR_INVALID_ARG);
  c.pc16_pin = DAT;
  KT_EQ(kbe_start(&c), ESP_ERR_INVALID_ARG);
  c.pc16_pin = WR;
  KT_EQ(kbe_start(&c), ESP_ERR_INVALID_ARG);
  c.panel = 7;
  c.pc16_pin = PC16;
  KT_EQ(kbe_start(&c), ESP_ERR_INVALID_ARG);
  /* PowerSeries (the default) ignores pc16_pin and keeps its handlers */
  c = config();
  KT_EQ(c.panel, KB_SERIES_POWER);
  KT_EQ(kbe_start(&c), ESP_OK);
  KT_CHECK(kbe_isr.cls == NULL && kbe_isr.link != NULL);
  KT_EQ(kbe_stop(), ESP_OK);
}

#ifdef KBE_STACK_PROBE
#define PROBE_CASES , KT_CASE(test_stack_high_water)
#else
#define PROBE_CASES
#endif

KT_MAIN(KT_CASE(test_frames_decoded_through_the_handlers), KT_CASE(test_classic_through_the_handlers), KT_CASE(test_key_through_the_write_pin),
        KT_CASE(test_init_and_stop_order), KT_CASE(test_every_init_failure),
        KT_CASE(test_bad_config_and_states), KT_CASE(test_start_stop_start),
        KT_CASE(test_shared_isr_service_and_attach), KT_CASE(test_attach_hook),
        KT_CASE(test_healthy_inputs), KT_CASE(test_no_panel_log_budget),
        KT_CASE(test_failed_alloc_callback) PROBE_CASES)
