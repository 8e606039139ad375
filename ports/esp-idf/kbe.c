/* SPDX-License-Identifier: MIT
 *
 * kbe.c - the keybus component's task side (keybus_esp.h): start and stop,
 * the keybus task and its loop, the lock, the health monitor, the
 * failed-allocation diagnostics and the no-panel log budget. The interrupt
 * side is kbe_isr.c.
 *
 * Memory: every object here is static (the bus, the task's stack and
 * control block, the two semaphores). The heap is touched only by the
 * ESP-IDF drivers' own create calls during kbe_task_begin()
 * (gptimer_new_timer, gptimer_register_event_callbacks, the first
 * gpio_install_isr_service), each checked; the GPIO ISR service, once
 * installed, stays (other components may have added handlers to it), so
 * a restart allocates nothing new there.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "driver/gpio.h"
#include "driver/gptimer.h"
#include "esp_app_desc.h"
#include "esp_err.h"
#include "esp_heap_caps.h"
#include "esp_intr_alloc.h"
#include "esp_log.h"
#include "esp_system.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"
#include "kbe_int.h"
#include "keybus_esp.h"

static const char *const TAG = "keybus";

/* Both interrupts at the same level, so neither preempts the other
 * (kb_port.h 3); level 3 is also what ESPHome installs the GPIO ISR
 * service with. */
#define KBE_INTR_LEVEL 3

/* ------------------------------------------------------------- state */

static kb_bus_t s_bus;
static StaticTask_t s_tcb;
static StackType_t s_stack[CONFIG_KEYBUS_TASK_STACK];
static StaticSemaphore_t s_lock_buf, s_done_buf;
/* the task's life cycle (kbe_common.h), on the storage above */
static kbe_life_t s_life = {.who = "", .tcb = &s_tcb, .stack = s_stack,
                            .lock_buf = &s_lock_buf, .done_buf = &s_done_buf,
                            .state = KBE_STOPPED};
static kbe_config_t s_cfg;
static char s_build_id[17];

/* What kbe_task_begin() brought up: the undo and kbe_task_end() take down
 * exactly that, in the stop order. Task only. */
static struct {
  bool write_cfg, timer_created, timer_enabled, timer_started;
  bool handler_added, intr_enabled, attached;
} s_up;
static bool s_service_ours; /* kbe installed the GPIO ISR service (ever) */
static bool s_service_shared;

/* The ring's overflows (task only): when the count last grew. */
static uint32_t s_ovf_count, s_ovf_at_s;
static bool s_ovf_seen;

/* The no-panel log budget (task only). */
static struct {
  bool connected;   /* as of the last pass */
  bool warned;      /* a no-panel line since the panel was last seen */
  bool any_line;    /* a no-panel line was ever logged (since start) */
  uint32_t since_s; /* not connected since (uptime s) */
  uint32_t last_s;  /* the last no-panel line (uptime s) */
} s_np;

/* Failed allocations: written by the callback (any task, in the failing
 * call), read by the keybus task, under s_alloc_mux. */
typedef struct {
  uint32_t size, caps;
  const char *fn;
} kbe_alloc_t;
static portMUX_TYPE s_alloc_mux = portMUX_INITIALIZER_UNLOCKED;
static struct {
  uint32_t count;
  kbe_alloc_t last;
  kbe_alloc_t pend[KBE_ALLOC_PENDING];
  uint8_t npend;
} s_alloc;
/* distinct failures already logged (task only): a hash of each */
static uint32_t s_alloc_seen[KBE_ALLOC_DISTINCT];
static uint8_t s_alloc_nseen;

/* ------------------------------------------------------------ helpers */

/* A teardown call that failed: logged (stop goes on). */
static void kbe_note(const char *call, esp_err_t e) { kbe_life_note(&s_life, call, e); }

static bool kbe_pin_ok(int pin) { return pin >= 0 && GPIO_IS_VALID_GPIO(pin); }

/* --------------------------------------------- failed allocations */

/* heap_caps_register_failed_alloc_callback's hook: runs inside the failing
 * allocation, on whatever task made it. Record only: no logging, no
 * allocation, a few stores under a spinlock. */
static void kbe_alloc_failed(size_t size, uint32_t caps, const char *function_name) {
  kbe_alloc_t a = {(uint32_t)size, caps, function_name};
  portENTER_CRITICAL_SAFE(&s_alloc_mux);
  s_alloc.count++;
  s_alloc.last = a;
  if (s_alloc.npend < KBE_ALLOC_PENDING) s_alloc.pend[s_alloc.npend++] = a;
  portEXIT_CRITICAL_SAFE(&s_alloc_mux);
}

/* FNV-1a over size, caps and the function's name: the identity of a
 * failure (two distinct ones colliding would only merge their log lines;
 * each is still counted). */
static uint32_t kbe_alloc_hash(const kbe_alloc_t *a) {
  uint32_t h = 2166136261u;
  const char *f = a->fn ? a->fn : "";
  uint32_t w[2] = {a->size, a->caps};
  for (unsigned i = 0; i < 8u; i++) h = (h ^ ((w[i / 4u] >> (8u * (i % 4u))) & 0xFFu)) * 16777619u;
  for (; *f; f++) h = (h ^ (uint8_t)*f) * 16777619u;
  return h;
}

/* The task's half: each distinct failure logged once, caps decoded. */
static void kbe_alloc_report(void) {
  kbe_alloc_t pend[KBE_ALLOC_PENDING];
  uint8_t n;
  portENTER_CRITICAL_SAFE(&s_alloc_mux);
  n = s_alloc.npend;
  memcpy(pend, s_alloc.pend, sizeof pend);
  s_alloc.npend = 0;
  portEXIT_CRITICAL_SAFE(&s_alloc_mux);
  for (uint8_t i = 0; i < n; i++) {
    char names[96];
    uint32_t id = kbe_alloc_hash(&pend[i]);
    bool seen = false;
    for (uint8_t j = 0; j < s_alloc_nseen && !seen; j++) seen = s_alloc_seen[j] == id;
    if (seen || s_alloc_nseen >= KBE_ALLOC_DISTINCT) continue; /* counted in the health */
    s_alloc_seen[s_alloc_nseen++] = id;
    ESP_LOGW(TAG, "allocation failed: %" PRIu32 " bytes, caps 0x%08" PRIx32 " (%s) in %s%s",
             pend[i].size, pend[i].caps, kbe_caps_name(pend[i].caps, names, sizeof names),
             pend[i].fn ? pend[i].fn : "?",
             (pend[i].caps & MALLOC_CAP_SPIRAM) != 0
                 ? ": a PSRAM request, which fails without PSRAM however much internal heap is free"
                 : "");
  }
}

static void kbe_append(char *buf, size_t size, size_t *len, const char *s) {
  size_t n = strlen(s);
  if (*len >= size - 1u) return;
  if (n > size - 1u - *len) n = size - 1u - *len;
  memcpy(buf + *len, s, n);
  *len += n;
  buf[*len] = '\0';
}

const char *kbe_caps_name(uint32_t caps, char *buf, size_t size) {
  /* MALLOC_CAP_* bit names (esp_heap_caps.h), bit 0 first */
  static const char *const names[17] = {"EXEC", "32BIT",    "8BIT",     "DMA",       "PID2",   "PID3",
                                        "PID4", "PID5",     "PID6",     "PID7",      "SPIRAM", "INTERNAL",
                                        "DEFAULT", "IRAM_8BIT", "RETENTION", "RTCRAM", "SPM"};
  size_t len = 0;
  uint32_t unknown = 0;
  if (buf == NULL || size == 0) return buf;
  buf[0] = '\0';
  if (caps == 0) {
    kbe_append(buf, size, &len, "0");
    return buf;
  }
  /* highest bit first: 0x404 -> "SPIRAM|8BIT", as the names are usually read */
  for (int b = 31; b >= 0; b--) {
    uint32_t m = 1u << b;
    if (!(caps & m)) continue;
    if (b < 17) {
      if (len) kbe_append(buf, size, &len, "|");
      kbe_append(buf, size, &len, names[b]);
    } else if (b == 31) {
      if (len) kbe_append(buf, size, &len, "|");
      kbe_append(buf, size, &len, "INVALID");
    } else {
      unknown |= m;
    }
  }
  if (unknown) {
    char hex[16];
    (void)snprintf(hex, sizeof hex, "0x%" PRIx32, unknown);
    if (len) kbe_append(buf, size, &len, "|");
    kbe_append(buf, size, &len, hex);
  }
  return buf;
}

/* ------------------------------------------------- no-panel budget */

/* Whether a panel is there comes from frames only (the link's connected
 * rule), and never gates anything. Not connected KBE_NOPANEL_FIRST_S after
 * start (or after the panel was lost): one warning; then at most one line
 * per KBE_NOPANEL_REPEAT_S, however often the panel comes and goes. */
static void kbe_nopanel(uint32_t up_s, bool connected) {
  if (connected) {
    if (!s_np.connected && s_np.warned) ESP_LOGI(TAG, "panel connected: frames on the bus");
    s_np.connected = true;
    s_np.warned = false;
    return;
  }
  if (s_np.connected) {
    s_np.connected = false;
    s_np.since_s = up_s;
  }
  if (up_s - s_np.since_s < KBE_NOPANEL_FIRST_S) return;
  if (s_np.any_line && up_s - s_np.last_s < KBE_NOPANEL_REPEAT_S) return;
  if (!s_np.warned) {
    ESP_LOGW(TAG, "no panel: no frames on clock GPIO%" PRIu32 " / data GPIO%" PRIu32
                  " for %" PRIu32 " s (wiring, divider, panel power?)",
             kbe_isr.clock_pin, kbe_isr.data_pin, up_s - s_np.since_s);
  } else {
    ESP_LOGW(TAG, "still no panel after %" PRIu32 " s", up_s - s_np.since_s);
  }
  s_np.warned = true;
  s_np.any_line = true;
  s_np.last_s = up_s;
}

/* ------------------------------------------------------ up and down */

/* Takes down what s_up says is up, in the stop order (kb_port.h 8):
 * the clock interrupt first (no new edge, so no new one-shot), then the
 * timer (alarm off, stopped, disabled, deleted), then the write pin. */
static void kbe_down(void) {
  int clk = (int)kbe_isr.clock_pin;
  if (s_up.attached)
    kbe_note("detach", s_cfg.attach(s_cfg.attach_ctx, clk, kbe_isr.cls ? kbe_cls_clock_isr : kbe_clock_isr, false));
  if (s_up.intr_enabled) kbe_note("gpio_intr_disable", gpio_intr_disable((gpio_num_t)clk));
  if (s_up.handler_added) kbe_note("gpio_isr_handler_remove", gpio_isr_handler_remove((gpio_num_t)clk));
  if (s_up.timer_started) {
    kbe_note("gptimer_set_alarm_action", gptimer_set_alarm_action(kbe_isr.timer, NULL));
    kbe_note("gptimer_stop", gptimer_stop(kbe_isr.timer));
  }
  if (s_up.timer_enabled) kbe_note("gptimer_disable", gptimer_disable(kbe_isr.timer));
  if (s_up.timer_created) kbe_note("gptimer_del_timer", gptimer_del_timer(kbe_isr.timer));
  kbe_isr.timer = NULL;
  if (s_up.write_cfg) kbe_note("gpio_set_level", gpio_set_level((gpio_num_t)kbe_isr.write_pin, 0));
  kbe_isr.write_level = 0;
  kbe_isr.task = NULL;
  memset(&s_up, 0, sizeof s_up);
}

bool kbe_task_begin(void) {
  esp_err_t e = ESP_OK;
  const char *what = "";
  int clk = s_cfg.clock_pin, dat = s_cfg.data_pin, wr = s_cfg.write_pin;
  memset(&s_up, 0, sizeof s_up);
  s_service_shared = false;

  /* 1. state: the bus (link, engine, keypad), then what the handlers read */
  kb_bus_init(&s_bus, &s_cfg.bus);
  kbe_isr.cls = NULL;
  if (s_cfg.panel == KB_SERIES_CLASSIC) {
    /* the Classic link and decoder (docs/classic.md); its own pair of
     * handlers is attached below */
    KBE_TRY("kb_bus_set_series", kb_bus_set_series(&s_bus, KB_SERIES_CLASSIC) == KB_OK ? ESP_OK : ESP_ERR_INVALID_STATE);
    kbe_isr.cls = kb_bus_cls_link(&s_bus);
    kbe_isr.pc16_pin = (uint32_t)s_cfg.pc16_pin;
  }
  kbe_isr.link = kb_bus_link(&s_bus); /* NULL on a Classic bus */
  kbe_isr.timer = NULL;
  kbe_isr.task = xTaskGetCurrentTaskHandle();
  kbe_isr.clock_pin = (uint32_t)clk;
  kbe_isr.data_pin = (uint32_t)dat;
  kbe_isr.write_pin = wr;
  kbe_isr.write_level = 0;
  s_ovf_count = 0;
  s_ovf_seen = false;
  memset(&s_np, 0, sizeof s_np);
  s_np.since_s = kbe_life_uptime_s();
  /* the failed-allocation hook (one per system: the last registration
   * wins; registering it again at a restart changes nothing) */
  KBE_TRY("heap_caps_register_failed_alloc_callback",
          heap_caps_register_failed_alloc_callback(kbe_alloc_failed));
  if (!s_build_id[0]) (void)esp_app_get_elf_sha256(s_build_id, sizeof s_build_id);

  /* the pins: inputs without pulls (the interface's dividers set the
   * levels), no interrupt yet; the write pin low (released) before it
   * becomes an output, so it never glitches the bus */
  {
    gpio_config_t in = {
        .pin_bit_mask = (1ULL << clk) | (1ULL << dat) | (kbe_isr.cls ? 1ULL << s_cfg.pc16_pin : 0ULL),
        .mode = GPIO_MODE_INPUT,
        .pull_up_en = GPIO_PULLUP_DISABLE,
        .pull_down_en = GPIO_PULLDOWN_DISABLE,
        .intr_type = GPIO_INTR_DISABLE,
    };
    KBE_TRY("gpio_config", gpio_config(&in));
  }
  if (wr >= 0) {
    gpio_config_t out = {
        .pin_bit_mask = 1ULL << wr,
        .mode = GPIO_MODE_OUTPUT,
        .pull_up_en = GPIO_PULLUP_DISABLE,
        .pull_down_en = GPIO_PULLDOWN_DISABLE,
        .intr_type = GPIO_INTR_DISABLE,
    };
    KBE_TRY("gpio_set_level", gpio_set_level((gpio_num_t)wr, 0));
    KBE_TRY("gpio_config", gpio_config(&out));
    s_up.write_cfg = true;
  }

  /* 2. the one-shot: a 1 MHz timer started once; the clock interrupt only
   * resets its count and arms the alarm */
  {
    gptimer_config_t tc = {
        .clk_src = GPTIMER_CLK_SRC_DEFAULT,
        .direction = GPTIMER_COUNT_UP,
        .resolution_hz = 1000000,
        .intr_priority = KBE_INTR_LEVEL,
    };
    gptimer_event_callbacks_t cbs = {.on_alarm = kbe_isr.cls ? kbe_cls_alarm_cb : kbe_alarm_cb};
    KBE_TRY("gptimer_new_timer", gptimer_new_timer(&tc, &kbe_isr.timer));
    s_up.timer_created = true;
    KBE_TRY("gptimer_register_event_callbacks", gptimer_register_event_callbacks(kbe_isr.timer, &cbs, NULL));
    KBE_TRY("gptimer_enable", gptimer_enable(kbe_isr.timer));
    s_up.timer_enabled = true;
    KBE_TRY("gptimer_start", gptimer_start(kbe_isr.timer));
    s_up.timer_started = true;
  }

  /* 3. the clock interrupt, last: the first edge finds everything ready */
  if (s_cfg.attach != NULL) {
    KBE_TRY("attach", s_cfg.attach(s_cfg.attach_ctx, clk, kbe_isr.cls ? kbe_cls_clock_isr : kbe_clock_isr, true));
    s_up.attached = true;
  } else {
    e = gpio_install_isr_service(ESP_INTR_FLAG_IRAM | ESP_INTR_FLAG_LEVEL3);
    if (e == ESP_ERR_INVALID_STATE) {
      /* installed already: by us at an earlier start, or by another
       * component (whose flags decide: see docs/esp32.md) */
      s_service_shared = !s_service_ours;
    } else if (e != ESP_OK) {
      what = "gpio_install_isr_service";
      goto fail;
    } else {
      s_service_ours = true;
    }
    KBE_TRY("gpio_set_intr_type", gpio_set_intr_type((gpio_num_t)clk, GPIO_INTR_ANYEDGE));
    KBE_TRY("gpio_isr_handler_add",
            gpio_isr_handler_add((gpio_num_t)clk, kbe_isr.cls ? kbe_cls_clock_isr : kbe_clock_isr, NULL));
    s_up.handler_added = true;
    KBE_TRY("gpio_intr_enable", gpio_intr_enable((gpio_num_t)clk));
    s_up.intr_enabled = true;
  }
  if (s_service_shared) ESP_LOGW(TAG, "GPIO ISR service installed by another component: see docs/esp32.md");
  kbe_life_report(&s_life, KBE_RUNNING);
  return true;

fail:
  kbe_life_fail(&s_life, what, e);
  kbe_down();
  kbe_life_report(&s_life, KBE_FAILED);
  return false;
}

bool kbe_task_step(void) {
  TickType_t ticks = pdMS_TO_TICKS(KBE_POLL_MS);
  int64_t now;
  uint32_t up_s;
  bool connected = false;
  if (ticks == 0) ticks = 1;
  /* a frame published (the clock interrupt's notification) or the period */
  (void)ulTaskNotifyTake(pdTRUE, ticks);
  if (s_life.stop) return false;
  now = esp_timer_get_time();
  up_s = (uint32_t)(now / 1000000);
  if (xSemaphoreTake(s_life.lock, portMAX_DELAY) == pdTRUE) {
    const kb_health_t *h;
    kb_bus_poll(&s_bus, (uint32_t)now);
    if (s_cfg.poll_cb != NULL) s_cfg.poll_cb(s_cfg.poll_ctx, &s_bus);
    h = kb_bus_health(&s_bus);
    if (h->ring_overflows != s_ovf_count) {
      s_ovf_count = h->ring_overflows;
      s_ovf_at_s = up_s;
      s_ovf_seen = true;
    }
    connected = kb_bus_status(&s_bus)->connected != 0;
    (void)xSemaphoreGive(s_life.lock);
  }
  kbe_alloc_report();
  kbe_nopanel(up_s, connected);
  return true;
}

void kbe_task_end(void) {
  kbe_down();
  kbe_life_report(&s_life, KBE_STOPPED);
}

void kbe_task_main(void *arg) {
  (void)arg;
  kbe_life_task(kbe_task_begin, kbe_task_step, kbe_task_end);
}

#ifdef KBE_HOST_FAKE
/* Host tests only: the statics as after a reboot (the fake's fake_reset()
 * is a reboot of the "chip"; the component must forget it installed the
 * GPIO ISR service then). */
void kbe_host_reboot(void) {
  s_service_ours = false;
  s_service_shared = false;
  memset(&s_alloc, 0, sizeof s_alloc);
  memset(s_alloc_seen, 0, sizeof s_alloc_seen);
  s_alloc_nseen = 0;
  s_life.state = KBE_STOPPED;
}
#endif

/* ---------------------------------------------------------------- API */

void kbe_config_default(kbe_config_t *cfg) {
  if (cfg == NULL) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->clock_pin = CONFIG_KEYBUS_CLOCK_PIN;
  cfg->data_pin = CONFIG_KEYBUS_DATA_PIN;
  cfg->write_pin = CONFIG_KEYBUS_WRITE_PIN;
  cfg->core = CONFIG_KEYBUS_TASK_CORE;
  cfg->task_priority = CONFIG_KEYBUS_TASK_PRIORITY;
  cfg->panel = (uint8_t)CONFIG_KEYBUS_PANEL; /* KB_SERIES_POWER 0, KB_SERIES_CLASSIC 1 */
  cfg->pc16_pin = CONFIG_KEYBUS_PC16_PIN;
}

esp_err_t kbe_start(const kbe_config_t *cfg) {
  if (cfg == NULL) return ESP_ERR_INVALID_ARG;
  if (s_life.state == KBE_RUNNING) return ESP_ERR_INVALID_STATE;
  if (!kbe_pin_ok(cfg->clock_pin) || !kbe_pin_ok(cfg->data_pin) || cfg->clock_pin == cfg->data_pin ||
      cfg->write_pin < -1 ||
      (cfg->write_pin >= 0 && (!GPIO_IS_VALID_OUTPUT_GPIO(cfg->write_pin) ||
                               cfg->write_pin == cfg->clock_pin || cfg->write_pin == cfg->data_pin)) ||
      cfg->core < 0 || cfg->core >= portNUM_PROCESSORS || cfg->task_priority == 0 ||
      cfg->task_priority >= configMAX_PRIORITIES)
    return ESP_ERR_INVALID_ARG;
  /* a Classic panel needs its PC-16 input: a pin of its own */
  if (cfg->panel != KB_SERIES_POWER && cfg->panel != KB_SERIES_CLASSIC) return ESP_ERR_INVALID_ARG;
  if (cfg->panel == KB_SERIES_CLASSIC &&
      (!kbe_pin_ok(cfg->pc16_pin) || cfg->pc16_pin == cfg->clock_pin || cfg->pc16_pin == cfg->data_pin ||
       cfg->pc16_pin == cfg->write_pin))
    return ESP_ERR_INVALID_ARG;
  s_cfg = *cfg;
  return kbe_life_start(&s_life, kbe_task_main, "keybus", cfg->task_priority, cfg->core);
}

esp_err_t kbe_stop(void) { return kbe_life_stop(&s_life); }

kbe_state_t kbe_state(void) { return (kbe_state_t)s_life.state; }

const char *kbe_failure(void) { return kbe_life_failure(&s_life); }

kb_bus_t *kbe_lock(uint32_t wait_ms) {
  return kbe_life_lock(&s_life, wait_ms) ? &s_bus : NULL;
}

void kbe_unlock(void) { kbe_life_unlock(&s_life); }

/* ------------------------------------------------------------- health */

static const char *kbe_reset_name(esp_reset_reason_t r) {
  switch (r) {
    case ESP_RST_POWERON: return "POWERON";
    case ESP_RST_EXT: return "EXT";
    case ESP_RST_SW: return "SW";
    case ESP_RST_PANIC: return "PANIC";
    case ESP_RST_INT_WDT: return "INT_WDT";
    case ESP_RST_TASK_WDT: return "TASK_WDT";
    case ESP_RST_WDT: return "WDT";
    case ESP_RST_DEEPSLEEP: return "DEEPSLEEP";
    case ESP_RST_BROWNOUT: return "BROWNOUT";
    case ESP_RST_SDIO: return "SDIO";
    case ESP_RST_UNKNOWN: return "UNKNOWN";
    default: return "OTHER";
  }
}

void kbe_health(kbe_health_t *h) {
  uint32_t up_s;
  const esp_app_desc_t *desc;
  kb_bus_t *bus;
  if (h == NULL) return;
  memset(h, 0, sizeof *h);
  h->heap_free = (uint32_t)heap_caps_get_free_size(MALLOC_CAP_INTERNAL);
  h->heap_min_free = (uint32_t)heap_caps_get_minimum_free_size(MALLOC_CAP_INTERNAL);
  h->heap_largest = (uint32_t)heap_caps_get_largest_free_block(MALLOC_CAP_INTERNAL);
  h->fragmentation_pct =
      h->heap_free ? (uint8_t)(100u - (uint32_t)((uint64_t)h->heap_largest * 100u / h->heap_free)) : 0u;
  portENTER_CRITICAL_SAFE(&s_alloc_mux);
  h->alloc_failed = s_alloc.count;
  h->alloc_last_size = s_alloc.last.size;
  h->alloc_last_caps = s_alloc.last.caps;
  h->alloc_last_fn = s_alloc.count ? (s_alloc.last.fn ? s_alloc.last.fn : "?") : NULL;
  portEXIT_CRITICAL_SAFE(&s_alloc_mux);
  h->stack_free_min = s_life.task != NULL ? (uint32_t)uxTaskGetStackHighWaterMark(s_life.task) : 0u;
  up_s = kbe_life_uptime_s();
  h->uptime_s = up_s;
  h->reset_reason = (int)esp_reset_reason();
  h->reset_name = kbe_reset_name(esp_reset_reason());
  desc = esp_app_get_description();
  h->version = desc != NULL ? desc->version : "";
  if (!s_build_id[0]) (void)esp_app_get_elf_sha256(s_build_id, sizeof s_build_id);
  h->build_id = s_build_id;
  h->isr_service_shared = s_service_shared;
  h->overflow_age_s = UINT32_MAX;
  /* from a bus callback the keybus task holds the lock already */
  bool own = kbe_life_on_task(&s_life);
  bus = own ? (s_life.state == KBE_RUNNING ? &s_bus : NULL) : kbe_lock(100);
  if (bus != NULL) {
    h->bus = *kb_bus_health(bus);
    h->connected = kb_bus_status(bus)->connected != 0;
    if (s_ovf_seen) h->overflow_age_s = up_s - s_ovf_at_s;
    if (!own) kbe_unlock();
  }
  h->healthy = kbe_healthy(h);
}

/* THE definition (docs/esp32.md "Health"): all four must hold. */
bool kbe_healthy(const kbe_health_t *h) {
  uint64_t frames;
  if (h == NULL || !h->connected) return false;
  frames = h->bus.frames ? h->bus.frames : 1u;
  if ((uint64_t)h->bus.checksum_errors * 100u >= (uint64_t)KBE_HEALTH_ERR_PCT * frames) return false;
  if (h->overflow_age_s < KBE_HEALTH_OVERFLOW_S) return false;
  if (h->heap_min_free < KBE_HEALTH_HEAP_FLOOR) return false;
  return true;
}
