/* SPDX-License-Identifier: MIT
 *
 * kbe_panel.c - the panel role's task side (keybus_esp_panel.h): start and
 * stop, the keybus task and its loop (kb_pnl_poll, the keys to the
 * application), the lock, the health. The interrupt side is
 * kbe_panel_isr.c.
 *
 * Memory: every object here is static (the engine, the task's stack and
 * control block, the two semaphores). The heap is touched only by the
 * GPTimer driver's create calls during kbe_pnl_task_begin()
 * (gptimer_new_timer, the first gptimer_register_event_callbacks), each
 * checked. No GPIO interrupt is used, so no GPIO ISR service.
 *
 * The timer's interrupt is allocated by gptimer_register_event_callbacks on
 * the calling core: the keybus task, pinned to cfg.core. Task and interrupt
 * share a core, so the engine's KB_BARRIER() (a compiler barrier without
 * KB_SMP) is enough between them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "driver/gpio.h"
#include "driver/gptimer.h"
#include "esp_err.h"
#include "esp_heap_caps.h"
#include "esp_log.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"
#include "kbe_panel_int.h"
#include "keybus_esp_panel.h"

static const char *const TAG = "keybus";

/* The timer's interrupt level: the reader's (kbe.c), ESPHome's GPIO level. */
#define KBE_PNL_INTR_LEVEL 3

/* ------------------------------------------------------------- state */

static kb_pnl_t s_pnl;
static StaticTask_t s_tcb;
static StackType_t s_stack[CONFIG_KEYBUS_TASK_STACK];
static StaticSemaphore_t s_lock_buf, s_done_buf;
/* the task's life cycle (kbe_common.h), on the storage above */
static kbe_life_t s_life = {.who = "panel role: ", .tcb = &s_tcb, .stack = s_stack,
                            .lock_buf = &s_lock_buf, .done_buf = &s_done_buf,
                            .state = KBE_STOPPED};
static gptimer_handle_t s_timer;
static kbe_pnl_config_t s_cfg;

/* What kbe_pnl_task_begin() brought up (task only): the undo takes down
 * exactly that. */
static struct {
  bool outputs, timer_created, timer_enabled, timer_started;
} s_up;

/* Task-side watch (task only; kbe_pnl_health reads it under the lock). */
static struct {
  uint32_t halves_seen;     /* kbe_pnl_isr.halves at the last pass */
  uint32_t stalls;
  bool ticking;             /* halves advanced at the last pass */
  uint32_t ovf, clash;      /* the engine's counts at the last pass */
  uint32_t ovf_at_s, clash_at_s;
  bool ovf_seen, clash_seen;
  uint32_t start_s;         /* uptime at start */
  bool started_logged;
  bool nostart_any;         /* a not-started line was logged (since start) */
  uint32_t nostart_last_s;
} s_w;

/* ------------------------------------------------------------ helpers */

/* A teardown call that failed: logged (stop goes on). */
static void kbe_pnl_note(const char *call, esp_err_t e) { kbe_life_note(&s_life, call, e); }

static bool kbe_pnl_pin_ok(int pin, bool output) {
  return pin >= 0 && GPIO_IS_VALID_GPIO(pin) && (!output || GPIO_IS_VALID_OUTPUT_GPIO(pin));
}

/* ------------------------------------------------------ up and down */

/* Takes down what s_up says is up: the timer first (no interrupt after
 * this), then both lines released with the driver's gpio_set_level (task
 * context: the interrupt is gone). */
static void kbe_pnl_down(void) {
  if (s_up.timer_started) {
    kbe_pnl_note("gptimer_stop", gptimer_stop(s_timer));
    kbe_pnl_note("gptimer_set_alarm_action", gptimer_set_alarm_action(s_timer, NULL));
  }
  if (s_up.timer_enabled) kbe_pnl_note("gptimer_disable", gptimer_disable(s_timer));
  if (s_up.timer_created) kbe_pnl_note("gptimer_del_timer", gptimer_del_timer(s_timer));
  s_timer = NULL;
  if (s_up.outputs) {
    kbe_pnl_note("gpio_set_level", gpio_set_level((gpio_num_t)kbe_pnl_isr.write_pin, 0));
    kbe_pnl_note("gpio_set_level", gpio_set_level((gpio_num_t)kbe_pnl_isr.clock_pin, 0));
  }
  kbe_pnl_isr.clock_out = kbe_pnl_isr.write_out = 0;
  kbe_pnl_isr.task = NULL;
  memset(&s_up, 0, sizeof s_up);
}

bool kbe_pnl_task_begin(void) {
  esp_err_t e = ESP_OK;
  const char *what = "";
  int clk = s_cfg.clock_pin, dat = s_cfg.data_pin, wr = s_cfg.write_pin;
  memset(&s_up, 0, sizeof s_up);

  /* 1. state: the engine, then what the callback reads */
  kb_pnl_init(&s_pnl, &s_cfg.pnl);
  kbe_pnl_isr.pnl = &s_pnl;
  kbe_pnl_isr.task = xTaskGetCurrentTaskHandle();
  kbe_pnl_isr.clock_pin = (uint32_t)clk;
  kbe_pnl_isr.data_pin = (uint32_t)dat;
  kbe_pnl_isr.write_pin = (uint32_t)wr;
  kbe_pnl_isr.clock_out = kbe_pnl_isr.write_out = 0;
  kbe_pnl_isr.halves = kbe_pnl_isr.notifies = 0;
  memset(&s_w, 0, sizeof s_w);
  s_w.start_s = kbe_life_uptime_s();

  /* 2. the pins: the data input without pulls (the divider sets it); both
   * outputs low (NPN off: clock high, data released) before they become
   * outputs, so the bus sees no glitch */
  {
    gpio_config_t in = {
        .pin_bit_mask = 1ULL << dat,
        .mode = GPIO_MODE_INPUT,
        .pull_up_en = GPIO_PULLUP_DISABLE,
        .pull_down_en = GPIO_PULLDOWN_DISABLE,
        .intr_type = GPIO_INTR_DISABLE,
    };
    gpio_config_t out = {
        .pin_bit_mask = (1ULL << clk) | (1ULL << wr),
        .mode = GPIO_MODE_OUTPUT,
        .pull_up_en = GPIO_PULLUP_DISABLE,
        .pull_down_en = GPIO_PULLDOWN_DISABLE,
        .intr_type = GPIO_INTR_DISABLE,
    };
    KBE_TRY("gpio_config", gpio_config(&in));
    KBE_TRY("gpio_set_level", gpio_set_level((gpio_num_t)clk, 0));
    KBE_TRY("gpio_set_level", gpio_set_level((gpio_num_t)wr, 0));
    KBE_TRY("gpio_config", gpio_config(&out));
    s_up.outputs = true;
  }

  /* 3. the timer: 1 MHz, an alarm every half period reloading the count
   * in hardware, set up once; started last (its interrupt starts the bus) */
  {
    gptimer_config_t tc = {
        .clk_src = GPTIMER_CLK_SRC_DEFAULT,
        .direction = GPTIMER_COUNT_UP,
        .resolution_hz = 1000000,
        .intr_priority = KBE_PNL_INTR_LEVEL,
    };
    gptimer_event_callbacks_t cbs = {.on_alarm = kbe_pnl_alarm_cb};
    gptimer_alarm_config_t alarm = {
        .alarm_count = s_cfg.pnl.classic ? KB_PNL_CLASSIC_HALF_US : KB_PNL_HALF_US,
        .reload_count = 0,
        .flags.auto_reload_on_alarm = 1,
    };
    KBE_TRY("gptimer_new_timer", gptimer_new_timer(&tc, &s_timer));
    s_up.timer_created = true;
    KBE_TRY("gptimer_register_event_callbacks", gptimer_register_event_callbacks(s_timer, &cbs, NULL));
    KBE_TRY("gptimer_set_alarm_action", gptimer_set_alarm_action(s_timer, &alarm));
    KBE_TRY("gptimer_enable", gptimer_enable(s_timer));
    s_up.timer_enabled = true;
    KBE_TRY("gptimer_start", gptimer_start(s_timer));
    s_up.timer_started = true;
  }
  kbe_life_report(&s_life, KBE_RUNNING);
  return true;

fail:
  kbe_life_fail(&s_life, what, e);
  kbe_pnl_down();
  kbe_life_report(&s_life, KBE_FAILED);
  return false;
}

/* The log budget: one line when the start-up sequence went out; not
 * started KBE_PNL_NOSTART_S after start (the power-up wait never ended:
 * keypads unpowered, data line held low, wiring): one warning, then at
 * most one line per KBE_PNL_NOSTART_REPEAT_S. */
static void kbe_pnl_log(uint32_t up_s, bool started) {
  if (started) {
    if (!s_w.started_logged) ESP_LOGI(TAG, "panel role: keypads initialised (start-up sequence sent)");
    s_w.started_logged = true;
    return;
  }
  if (up_s - s_w.start_s < KBE_PNL_NOSTART_S) return;
  if (s_w.nostart_any && up_s - s_w.nostart_last_s < KBE_PNL_NOSTART_REPEAT_S) return;
  ESP_LOGW(TAG, "panel role: no frame sent after %" PRIu32 " s: data GPIO%" PRIu32
                " not high for %" PRIu32 " ms (keypad power, pull-up, divider?)",
           up_s - s_w.start_s, kbe_pnl_isr.data_pin, s_cfg.pnl.powerup_ms);
  s_w.nostart_any = true;
  s_w.nostart_last_s = up_s;
}

bool kbe_pnl_task_step(void) {
  TickType_t ticks = pdMS_TO_TICKS(KBE_PNL_POLL_MS);
  uint32_t up_s;
  bool started = false;
  if (ticks == 0) ticks = 1;
  /* a frame ended (the callback's notification) or the period */
  (void)ulTaskNotifyTake(pdTRUE, ticks);
  if (s_life.stop) return false;
  up_s = kbe_life_uptime_s();
  if (xSemaphoreTake(s_life.lock, portMAX_DELAY) == pdTRUE) {
    uint8_t code;
    uint32_t halves = kbe_pnl_isr.halves;
    (void)kb_pnl_poll(&s_pnl);
    while (kb_pnl_key(&s_pnl, &code))
      if (s_cfg.key_cb != NULL) s_cfg.key_cb(s_cfg.key_ctx, &s_pnl, code);
    if (s_cfg.poll_cb != NULL) s_cfg.poll_cb(s_cfg.poll_ctx, &s_pnl);
    s_w.ticking = halves != s_w.halves_seen;
    if (!s_w.ticking) s_w.stalls++;
    s_w.halves_seen = halves;
    if (s_pnl.overflows != s_w.ovf) {
      s_w.ovf = s_pnl.overflows;
      s_w.ovf_at_s = up_s;
      s_w.ovf_seen = true;
    }
    if (s_pnl.contention != s_w.clash) {
      s_w.clash = s_pnl.contention;
      s_w.clash_at_s = up_s;
      s_w.clash_seen = true;
    }
    started = kb_pnl_started(&s_pnl);
    (void)xSemaphoreGive(s_life.lock);
  }
  kbe_pnl_log(up_s, started);
  return true;
}

void kbe_pnl_task_end(void) {
  kbe_pnl_down();
  kbe_life_report(&s_life, KBE_STOPPED);
}

void kbe_pnl_task_main(void *arg) {
  (void)arg;
  kbe_life_task(kbe_pnl_task_begin, kbe_pnl_task_step, kbe_pnl_task_end);
}

#ifdef KBE_HOST_FAKE
void kbe_pnl_host_reboot(void) {
  s_life.state = KBE_STOPPED;
  s_life.task = NULL;
}
#endif

/* ---------------------------------------------------------------- API */

void kbe_pnl_config_default(kbe_pnl_config_t *cfg) {
  if (cfg == NULL) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->clock_pin = CONFIG_KEYBUS_PANEL_CLOCK_PIN;
  cfg->data_pin = CONFIG_KEYBUS_PANEL_DATA_PIN;
  cfg->write_pin = CONFIG_KEYBUS_PANEL_WRITE_PIN;
  cfg->core = CONFIG_KEYBUS_TASK_CORE;
  cfg->task_priority = CONFIG_KEYBUS_TASK_PRIORITY;
  kb_pnl_cfg_default(&cfg->pnl);
  cfg->pnl.powerup_ms = CONFIG_KEYBUS_PANEL_POWERUP_MS;
#ifdef CONFIG_KEYBUS_PANEL_CLASSIC
  cfg->pnl.classic = true;
#endif
}

esp_err_t kbe_pnl_start(const kbe_pnl_config_t *cfg) {
  if (cfg == NULL) return ESP_ERR_INVALID_ARG;
  if (s_life.state == KBE_RUNNING) return ESP_ERR_INVALID_STATE;
  if (!kbe_pnl_pin_ok(cfg->data_pin, false) || !kbe_pnl_pin_ok(cfg->clock_pin, true) ||
      !kbe_pnl_pin_ok(cfg->write_pin, true) || cfg->clock_pin == cfg->data_pin ||
      cfg->write_pin == cfg->data_pin || cfg->write_pin == cfg->clock_pin || cfg->core < 0 ||
      cfg->core >= portNUM_PROCESSORS || cfg->task_priority == 0 ||
      cfg->task_priority >= configMAX_PRIORITIES)
    return ESP_ERR_INVALID_ARG;
  s_cfg = *cfg;
  return kbe_life_start(&s_life, kbe_pnl_task_main, "keybus-pnl", cfg->task_priority, cfg->core);
}

esp_err_t kbe_pnl_stop(void) { return kbe_life_stop(&s_life); }

kbe_state_t kbe_pnl_state(void) { return (kbe_state_t)s_life.state; }

const char *kbe_pnl_failure(void) { return kbe_life_failure(&s_life); }

kb_pnl_t *kbe_pnl_lock(uint32_t wait_ms) {
  return kbe_life_lock(&s_life, wait_ms) ? &s_pnl : NULL;
}

void kbe_pnl_unlock(void) { kbe_life_unlock(&s_life); }

/* ------------------------------------------------------------- health */

void kbe_pnl_health(kbe_pnl_health_t *h) {
  uint32_t up_s;
  kb_pnl_t *p;
  bool own;
  if (h == NULL) return;
  memset(h, 0, sizeof *h);
  h->heap_free = (uint32_t)heap_caps_get_free_size(MALLOC_CAP_INTERNAL);
  h->heap_min_free = (uint32_t)heap_caps_get_minimum_free_size(MALLOC_CAP_INTERNAL);
  h->heap_largest = (uint32_t)heap_caps_get_largest_free_block(MALLOC_CAP_INTERNAL);
  h->stack_free_min = s_life.task != NULL ? (uint32_t)uxTaskGetStackHighWaterMark(s_life.task) : 0u;
  up_s = kbe_life_uptime_s();
  h->uptime_s = up_s;
  h->overflow_age_s = h->clash_age_s = UINT32_MAX;
  own = kbe_life_on_task(&s_life);
  p = own ? (s_life.state == KBE_RUNNING ? &s_pnl : NULL) : kbe_pnl_lock(100);
  if (p != NULL) {
    kb_pnl_stats(p, &h->pnl);
    h->started = kb_pnl_started(p);
    h->halves = kbe_pnl_isr.halves;
    h->notifies = kbe_pnl_isr.notifies;
    h->stalls = s_w.stalls;
    h->ticking = s_w.ticking;
    if (s_w.ovf_seen) h->overflow_age_s = up_s - s_w.ovf_at_s;
    if (s_w.clash_seen) h->clash_age_s = up_s - s_w.clash_at_s;
    if (!own) kbe_pnl_unlock();
  }
  h->healthy = kbe_pnl_healthy(h);
}

/* THE definition (docs/esp32.md "Panel role"): all must hold. */
bool kbe_pnl_healthy(const kbe_pnl_health_t *h) {
  if (h == NULL || !h->started || !h->ticking) return false;
  if (h->overflow_age_s < KBE_HEALTH_OVERFLOW_S) return false;
  if (h->clash_age_s < KBE_HEALTH_OVERFLOW_S) return false;
  if (h->heap_min_free < KBE_HEALTH_HEAP_FLOOR) return false;
  return true;
}
