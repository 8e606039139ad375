/* SPDX-License-Identifier: MIT
 *
 * esp_fake.c - the host fake of the ESP-IDF calls ports/esp-idf makes
 * (declarations: include/esp_fake_api.h; controls: esp_fake.h). With
 * -DKBE_FAKE_REAL_HEADERS it is compiled (not run) against a real ESP-IDF
 * kit's headers, so every definition below must match ESP-IDF's own
 * prototype: tests/cli/esp_host.sh does that for both kits.
 *
 * The models are the parts of the real drivers the port relies on:
 *   - GPTimer: the driver's state machine (init -> enable -> run, with
 *     ESP_ERR_INVALID_STATE out of order, del only in init), a count that
 *     runs from start, a one-shot alarm disarmed by the hardware when it
 *     fires, or with auto_reload_on_alarm a periodic one (the count set to
 *     reload_count at each alarm, the alarm kept), two timers (ESP32-C3)
 *     then ESP_ERR_NOT_FOUND;
 *   - GPIO: one ISR service (a second install: ESP_ERR_INVALID_STATE), a
 *     handler per pin called on the edges of its interrupt type while
 *     enabled, handler_add before the install: ESP_ERR_INVALID_STATE;
 *   - FreeRTOS: task creation recorded (the test runs the task), task
 *     notifications, counting semaphores whose blocking take calls the
 *     test's hook.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/gpio.h"
#include "driver/gptimer.h"
#include "esp_app_desc.h"
#include "esp_err.h"
#include "esp_heap_caps.h"
#include "esp_log.h"
#include "esp_system.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"
#include "soc/gpio_struct.h"

#ifndef KBE_FAKE_REAL_HEADERS
#include "esp_fake.h"
#else
/* compiled against a kit: only the prototypes are being checked */
typedef struct {
  unsigned heap_calls, isr_violations, alarms, alarm_woken;
  uint64_t alarm_after_min, alarm_after_max;
  unsigned gpio_isrs, yields, timers_live;
  unsigned tasks_created, tasks_deleted;
  unsigned log[6];
  char last_log[256];
} fake_stats_t;
typedef void (*fake_task_hook_t)(TaskHandle_t task, TaskFunction_t fn, void *arg);
typedef bool (*fake_block_hook_t)(void);
#endif

#define NPINS 64
#define NTIMERS 2
#define NTASKS 4
#define NSEMS 8

fake_stats_t fake_stats;
gpio_dev_t GPIO;

static uint64_t now_us;
#ifndef KBE_FAKE_REAL_HEADERS
static uint64_t last_pin_isr_us; /* the last pin interrupt dispatched */
#endif
static bool in_isr;
static bool quiet = true, verbose_checked;

/* ----------------------------------------------------------- calls */

static char call_log[8192];
static size_t call_len;
static struct {
  const char *name;
  unsigned n;
} counts[64];
static const char *fail_call;
static unsigned fail_nth;
static esp_err_t fail_err;

static void violation(const char *what) {
  if (in_isr) {
    fake_stats.isr_violations++;
    fprintf(stderr, "esp_fake: %s called from an interrupt\n", what);
  }
}

/* Records a fallible call and returns the injected error, if it is due. */
static esp_err_t fake_call(const char *name) {
  size_t n = strlen(name);
  unsigned i, k = 0;
  for (i = 0; i < 64 && counts[i].name; i++)
    if (strcmp(counts[i].name, name) == 0) break;
  if (i < 64) {
    counts[i].name = name;
    k = ++counts[i].n;
  }
  if (call_len + n + 2 < sizeof call_log) {
    memcpy(call_log + call_len, name, n);
    call_len += n;
    call_log[call_len++] = ' ';
    call_log[call_len] = '\0';
  }
  (void)k;
  if (fail_call && strcmp(fail_call, name) == 0 && --fail_nth == 0) {
    fail_call = NULL;
    return fail_err;
  }
  return ESP_OK;
}

void fake_fail(const char *call, unsigned nth, esp_err_t err) {
  fail_call = call;
  fail_nth = nth ? nth : 1;
  fail_err = err;
}
const char *fake_calls(void) { return call_log; }
unsigned fake_count(const char *call) {
  for (unsigned i = 0; i < 64 && counts[i].name; i++)
    if (strcmp(counts[i].name, call) == 0) return counts[i].n;
  return 0;
}
void fake_calls_clear(void) {
  call_len = 0;
  call_log[0] = '\0';
  memset(counts, 0, sizeof counts);
}

const char *esp_err_to_name(esp_err_t code) {
  switch (code) {
    case ESP_OK: return "ESP_OK";
    case ESP_FAIL: return "ESP_FAIL";
    case ESP_ERR_NO_MEM: return "ESP_ERR_NO_MEM";
    case ESP_ERR_INVALID_ARG: return "ESP_ERR_INVALID_ARG";
    case ESP_ERR_INVALID_STATE: return "ESP_ERR_INVALID_STATE";
    case ESP_ERR_INVALID_SIZE: return "ESP_ERR_INVALID_SIZE";
    case ESP_ERR_NOT_FOUND: return "ESP_ERR_NOT_FOUND";
    case ESP_ERR_NOT_SUPPORTED: return "ESP_ERR_NOT_SUPPORTED";
    case ESP_ERR_TIMEOUT: return "ESP_ERR_TIMEOUT";
    default: return "UNKNOWN ERROR";
  }
}

/* ------------------------------------------------------------- log */

static char log_lines[64][256];
static unsigned log_n;

void esp_log_write(esp_log_level_t level, const char *tag, const char *format, ...) {
  va_list ap;
  char *line = log_lines[log_n % 64];
  int n;
  violation("esp_log_write");
  if (!verbose_checked) {
    const char *v = getenv("KBE_FAKE_VERBOSE");
    verbose_checked = true;
    if (v && *v == '1') quiet = false;
  }
  n = snprintf(line, 256, "%s: ", tag);
  va_start(ap, format);
  (void)vsnprintf(line + n, 256u - (size_t)n, format, ap);
  va_end(ap);
  log_n++;
  if ((unsigned)level < 6) fake_stats.log[level]++;
  memcpy(fake_stats.last_log, line, sizeof fake_stats.last_log);
  if (!quiet) fprintf(stderr, "[%c %llu.%06llu] %s\n", "NEWIDV"[level % 6],
                      (unsigned long long)(now_us / 1000000u), (unsigned long long)(now_us % 1000000u), line);
}

void fake_log_quiet(bool q) {
  verbose_checked = true;
  quiet = q;
}

unsigned fake_log_count(const char *s) {
  unsigned k = 0, n = log_n < 64 ? log_n : 64;
  for (unsigned i = 0; i < n; i++)
    if (strstr(log_lines[i], s)) k++;
  return k;
}

/* ---------------------------------------------------- time and heap */

int64_t esp_timer_get_time(void) { return (int64_t)now_us; }

static uint32_t heap_free = 200000, heap_min = 150000, heap_largest = 100000;
static esp_alloc_failed_hook_t alloc_hook;

esp_err_t heap_caps_register_failed_alloc_callback(esp_alloc_failed_hook_t callback) {
  esp_err_t e;
  violation("heap_caps_register_failed_alloc_callback");
  e = fake_call("heap_caps_register_failed_alloc_callback");
  if (e != ESP_OK) return e;
  if (callback == NULL) return ESP_ERR_INVALID_ARG;
  alloc_hook = callback;
  return ESP_OK;
}
size_t heap_caps_get_free_size(uint32_t caps) {
  violation("heap_caps_get_free_size");
  return caps == MALLOC_CAP_INTERNAL ? heap_free : 0;
}
size_t heap_caps_get_minimum_free_size(uint32_t caps) {
  violation("heap_caps_get_minimum_free_size");
  return caps == MALLOC_CAP_INTERNAL ? heap_min : 0;
}
size_t heap_caps_get_largest_free_block(uint32_t caps) {
  violation("heap_caps_get_largest_free_block");
  return caps == MALLOC_CAP_INTERNAL ? heap_largest : 0;
}

esp_reset_reason_t esp_reset_reason(void) { return ESP_RST_POWERON; }

static esp_app_desc_t app_desc = {.magic_word = 0xABCD5432u, .version = "9.9.9-host"};

const esp_app_desc_t *esp_app_get_description(void) { return &app_desc; }

int esp_app_get_elf_sha256(char *dst, size_t size) {
  static const char hex[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  size_t n;
  if (dst == NULL || size == 0) return 0;
  n = size - 1u < 64u ? size - 1u : 64u;
  memcpy(dst, hex, n);
  dst[n] = '\0';
  return (int)n;
}

/* ------------------------------------------------------------ GPIO */

static int pin_in[NPINS], pin_out[NPINS];
#ifndef KBE_FAKE_REAL_HEADERS
static void (*pin_write_hook)(uint32_t pin, int level);
#endif

/* An output changed: the test's wire model (fake_on_pin_write) follows. */
static void pin_set_out(uint32_t gpio_num, int level) {
  if (gpio_num >= NPINS || pin_out[gpio_num] == level) return;
  pin_out[gpio_num] = level;
#ifndef KBE_FAKE_REAL_HEADERS
  if (pin_write_hook) pin_write_hook(gpio_num, level);
#endif
}
static int npn_data = -1, npn_write = -1;
static bool service;
static gpio_isr_t pin_isr[NPINS];
#ifndef KBE_FAKE_REAL_HEADERS
static gpio_isr_t pin_attached[NPINS];
#endif
static void *pin_arg[NPINS];
static bool pin_en[NPINS];
static gpio_int_type_t pin_type[NPINS];

int fake_gpio_ll_read(uint32_t gpio_num) {
  int v;
  if (gpio_num >= NPINS) return 0;
  v = pin_in[gpio_num];
  if ((int)gpio_num == npn_data && npn_write >= 0 && pin_out[npn_write]) v = 0;
  return v;
}
void fake_gpio_ll_write(uint32_t gpio_num, uint32_t level) { pin_set_out(gpio_num, level != 0); }

static bool pin_ok(int n) { return n >= 0 && n < 22; } /* ESP32-C3 */

esp_err_t gpio_config(const gpio_config_t *pGPIOConfig) {
  esp_err_t e;
  violation("gpio_config");
  e = fake_call("gpio_config");
  if (e != ESP_OK) return e;
  if (pGPIOConfig == NULL || pGPIOConfig->pin_bit_mask == 0 || (pGPIOConfig->pin_bit_mask >> 22) != 0)
    return ESP_ERR_INVALID_ARG;
  for (int n = 0; n < 22; n++)
    if ((pGPIOConfig->pin_bit_mask >> n) & 1u) {
      pin_type[n] = pGPIOConfig->intr_type;
      pin_en[n] = pGPIOConfig->intr_type != GPIO_INTR_DISABLE;
    }
  return ESP_OK;
}
esp_err_t gpio_set_level(gpio_num_t gpio_num, uint32_t level) {
  esp_err_t e;
  violation("gpio_set_level"); /* in flash without CONFIG_GPIO_CTRL_FUNC_IN_IRAM */
  e = fake_call("gpio_set_level");
  if (e != ESP_OK) return e;
  if (!pin_ok(gpio_num)) return ESP_ERR_INVALID_ARG;
  pin_set_out((uint32_t)gpio_num, level != 0);
  return ESP_OK;
}
esp_err_t gpio_install_isr_service(int intr_alloc_flags) {
  esp_err_t e;
  violation("gpio_install_isr_service");
  e = fake_call("gpio_install_isr_service");
  if (e != ESP_OK) return e;
  (void)intr_alloc_flags;
  if (service) return ESP_ERR_INVALID_STATE;
  service = true;
  fake_stats.heap_calls++; /* the per-pin handler table */
  return ESP_OK;
}
esp_err_t gpio_set_intr_type(gpio_num_t gpio_num, gpio_int_type_t intr_type) {
  esp_err_t e;
  violation("gpio_set_intr_type");
  e = fake_call("gpio_set_intr_type");
  if (e != ESP_OK) return e;
  if (!pin_ok(gpio_num) || intr_type >= GPIO_INTR_MAX) return ESP_ERR_INVALID_ARG;
  pin_type[gpio_num] = intr_type;
  return ESP_OK;
}
esp_err_t gpio_isr_handler_add(gpio_num_t gpio_num, gpio_isr_t isr_handler, void *args) {
  esp_err_t e;
  violation("gpio_isr_handler_add");
  e = fake_call("gpio_isr_handler_add");
  if (e != ESP_OK) return e;
  if (!service) return ESP_ERR_INVALID_STATE;
  if (!pin_ok(gpio_num)) return ESP_ERR_INVALID_ARG;
  pin_isr[gpio_num] = isr_handler;
  pin_arg[gpio_num] = args;
  return ESP_OK;
}
esp_err_t gpio_isr_handler_remove(gpio_num_t gpio_num) {
  esp_err_t e;
  violation("gpio_isr_handler_remove");
  e = fake_call("gpio_isr_handler_remove");
  if (e != ESP_OK) return e;
  if (!service) return ESP_ERR_INVALID_STATE;
  if (!pin_ok(gpio_num)) return ESP_ERR_INVALID_ARG;
  pin_isr[gpio_num] = NULL;
  pin_arg[gpio_num] = NULL;
  return ESP_OK;
}
esp_err_t gpio_intr_enable(gpio_num_t gpio_num) {
  esp_err_t e;
  violation("gpio_intr_enable");
  e = fake_call("gpio_intr_enable");
  if (e != ESP_OK) return e;
  if (!pin_ok(gpio_num)) return ESP_ERR_INVALID_ARG;
  pin_en[gpio_num] = true;
  return ESP_OK;
}
esp_err_t gpio_intr_disable(gpio_num_t gpio_num) {
  esp_err_t e;
  violation("gpio_intr_disable");
  e = fake_call("gpio_intr_disable");
  if (e != ESP_OK) return e;
  if (!pin_ok(gpio_num)) return ESP_ERR_INVALID_ARG;
  pin_en[gpio_num] = false;
  return ESP_OK;
}

#ifndef KBE_FAKE_REAL_HEADERS
void fake_pin_drive(uint32_t pin, int level) {
  gpio_isr_t isr = NULL;
  void *arg = NULL;
  bool fire;
  if (pin >= NPINS) return;
  level = level != 0;
  if (pin_in[pin] == level) return;
  pin_in[pin] = level;
  fire = pin_en[pin] && (pin_type[pin] == GPIO_INTR_ANYEDGE || (pin_type[pin] == GPIO_INTR_POSEDGE && level) ||
                         (pin_type[pin] == GPIO_INTR_NEGEDGE && !level));
  if (service && fire && pin_isr[pin]) {
    isr = pin_isr[pin];
    arg = pin_arg[pin];
  } else if (pin_attached[pin]) {
    isr = pin_attached[pin];
  }
  if (isr) {
    fake_stats.gpio_isrs++;
    last_pin_isr_us = now_us;
    in_isr = true;
    isr(arg);
    in_isr = false;
  }
}
void fake_pin_npn(int data_pin, int write_pin) {
  npn_data = data_pin;
  npn_write = write_pin;
}
int fake_pin_level(uint32_t pin) { return fake_gpio_ll_read(pin); }
int fake_pin_out(uint32_t pin) { return pin < NPINS ? pin_out[pin] : 0; }
void fake_pin_attach(uint32_t pin, gpio_isr_t isr, bool on) {
  if (pin < NPINS) pin_attached[pin] = on ? isr : NULL;
}
bool fake_pin_has_handler(uint32_t pin) {
  return pin < NPINS && ((service && pin_isr[pin] != NULL && pin_en[pin]) || pin_attached[pin] != NULL);
}
void fake_isr_service_preinstalled(void) { service = true; }
void fake_on_pin_write(void (*hook)(uint32_t pin, int level)) { pin_write_hook = hook; }
bool fake_isr_service_installed(void) { return service; }
#endif

/* --------------------------------------------------------- GPTimer */

struct gptimer_t {
  bool used, cb_set, armed, reload;
  int fsm; /* 0 init, 1 enable, 2 run */
  uint64_t base, alarm, reload_count;
  gptimer_alarm_cb_t cb;
  void *ctx;
};
static struct gptimer_t timers[NTIMERS];

static bool timer_ok(gptimer_handle_t t) {
  return t != NULL && t >= &timers[0] && t < &timers[NTIMERS] && t->used;
}

esp_err_t gptimer_new_timer(const gptimer_config_t *config, gptimer_handle_t *ret_timer) {
  esp_err_t e;
  violation("gptimer_new_timer");
  e = fake_call("gptimer_new_timer");
  if (e != ESP_OK) return e;
  if (config == NULL || ret_timer == NULL || config->resolution_hz != 1000000u) return ESP_ERR_INVALID_ARG;
  for (int i = 0; i < NTIMERS; i++)
    if (!timers[i].used) {
      memset(&timers[i], 0, sizeof timers[i]);
      timers[i].used = true;
      *ret_timer = &timers[i];
      fake_stats.heap_calls++; /* the timer object */
      fake_stats.timers_live++;
      return ESP_OK;
    }
  return ESP_ERR_NOT_FOUND;
}
esp_err_t gptimer_del_timer(gptimer_handle_t timer) {
  esp_err_t e;
  violation("gptimer_del_timer");
  e = fake_call("gptimer_del_timer");
  if (e != ESP_OK) return e;
  if (!timer_ok(timer)) return ESP_ERR_INVALID_ARG;
  if (timer->fsm != 0) return ESP_ERR_INVALID_STATE; /* "timer not in init state" */
  timer->used = false;
  fake_stats.timers_live--;
  return ESP_OK;
}
esp_err_t gptimer_set_raw_count(gptimer_handle_t timer, uint64_t value) {
  esp_err_t e = fake_call("gptimer_set_raw_count");
  if (e != ESP_OK) return e;
  if (!timer_ok(timer)) return ESP_ERR_INVALID_ARG;
  timer->base = now_us - value;
  return ESP_OK;
}
esp_err_t gptimer_register_event_callbacks(gptimer_handle_t timer, const gptimer_event_callbacks_t *cbs,
                                           void *user_data) {
  esp_err_t e;
  violation("gptimer_register_event_callbacks");
  e = fake_call("gptimer_register_event_callbacks");
  if (e != ESP_OK) return e;
  if (!timer_ok(timer) || cbs == NULL) return ESP_ERR_INVALID_ARG;
  if (timer->fsm != 0) return ESP_ERR_INVALID_STATE;
  if (!timer->cb_set) fake_stats.heap_calls++; /* the interrupt, allocated lazily */
  timer->cb_set = true;
  timer->cb = cbs->on_alarm;
  timer->ctx = user_data;
  return ESP_OK;
}
esp_err_t gptimer_set_alarm_action(gptimer_handle_t timer, const gptimer_alarm_config_t *config) {
  esp_err_t e = fake_call("gptimer_set_alarm_action");
  if (e != ESP_OK) return e;
  if (!timer_ok(timer)) return ESP_ERR_INVALID_ARG;
  if (config == NULL) {
    timer->armed = false;
    return ESP_OK;
  }
  /* the driver: a reload count at or past the alarm is an invalid argument */
  if (config->flags.auto_reload_on_alarm && config->reload_count >= config->alarm_count)
    return ESP_ERR_INVALID_ARG;
  timer->alarm = config->alarm_count;
  timer->reload = config->flags.auto_reload_on_alarm != 0;
  timer->reload_count = config->reload_count;
  timer->armed = true;
  return ESP_OK;
}
esp_err_t gptimer_enable(gptimer_handle_t timer) {
  esp_err_t e;
  violation("gptimer_enable");
  e = fake_call("gptimer_enable");
  if (e != ESP_OK) return e;
  if (!timer_ok(timer)) return ESP_ERR_INVALID_ARG;
  if (timer->fsm != 0) return ESP_ERR_INVALID_STATE;
  timer->fsm = 1;
  return ESP_OK;
}
esp_err_t gptimer_disable(gptimer_handle_t timer) {
  esp_err_t e;
  violation("gptimer_disable");
  e = fake_call("gptimer_disable");
  if (e != ESP_OK) return e;
  if (!timer_ok(timer)) return ESP_ERR_INVALID_ARG;
  if (timer->fsm != 1) return ESP_ERR_INVALID_STATE; /* "timer not in enable state" */
  timer->fsm = 0;
  return ESP_OK;
}
esp_err_t gptimer_start(gptimer_handle_t timer) {
  esp_err_t e;
  violation("gptimer_start"); /* the port starts it once, from the task */
  e = fake_call("gptimer_start");
  if (e != ESP_OK) return e;
  if (!timer_ok(timer)) return ESP_ERR_INVALID_ARG;
  if (timer->fsm != 1) return ESP_ERR_INVALID_STATE; /* 5.3: "timer is not enabled yet" */
  timer->fsm = 2;
  timer->base = now_us;
  return ESP_OK;
}
esp_err_t gptimer_stop(gptimer_handle_t timer) {
  esp_err_t e;
  violation("gptimer_stop");
  e = fake_call("gptimer_stop");
  if (e != ESP_OK) return e;
  if (!timer_ok(timer)) return ESP_ERR_INVALID_ARG;
  if (timer->fsm != 2) return ESP_ERR_INVALID_STATE;
  timer->fsm = 1;
  return ESP_OK;
}

#ifndef KBE_FAKE_REAL_HEADERS
uint64_t fake_now(void) { return now_us; }

void fake_advance_to(uint64_t t_us) {
  for (;;) {
    struct gptimer_t *due = NULL;
    uint64_t when = 0;
    for (int i = 0; i < NTIMERS; i++) {
      struct gptimer_t *t = &timers[i];
      uint64_t w;
      if (!t->used || t->fsm != 2 || !t->armed) continue;
      w = t->base + t->alarm;
      if (w < now_us) w = now_us; /* already past: fires at once */
      if (w <= t_us && (due == NULL || w < when)) {
        due = t;
        when = w;
      }
    }
    if (due == NULL) break;
    now_us = when;
    if (due->reload) {
      due->base = when - due->reload_count; /* the count reloads, the alarm stays */
    } else {
      due->armed = false; /* one-shot: the hardware disarms it */
    }
    fake_stats.alarms++;
    if (now_us - last_pin_isr_us < fake_stats.alarm_after_min) fake_stats.alarm_after_min = now_us - last_pin_isr_us;
    if (now_us - last_pin_isr_us > fake_stats.alarm_after_max) fake_stats.alarm_after_max = now_us - last_pin_isr_us;
    if (due->cb) {
      gptimer_alarm_event_data_t ed = {now_us - due->base, due->alarm};
      in_isr = true;
      if (due->cb(due, &ed, due->ctx)) fake_stats.alarm_woken++;
      in_isr = false;
    }
  }
  if (t_us > now_us) now_us = t_us;
}
#endif

/* -------------------------------------------------------- FreeRTOS */

static struct {
  bool used, deleted;
  TaskFunction_t fn;
  void *arg;
  uint32_t prio, stack;
  int core;
  uint32_t notify;
} tasks[NTASKS];
static int cur_task = -1; /* -1: the test's own thread ("main") */
static fake_task_hook_t task_hook;
static fake_block_hook_t block_hook;
static TickType_t last_wait;
static uint32_t stack_hwm = 1000;

static int task_index(TaskHandle_t t) {
  for (int i = 0; i < NTASKS; i++)
    if ((void *)t == (void *)&tasks[i] && tasks[i].used) return i;
  return -1;
}

TaskHandle_t xTaskCreateStaticPinnedToCore(TaskFunction_t pxTaskCode, const char *const pcName,
                                           const uint32_t ulStackDepth, void *const pvParameters,
                                           UBaseType_t uxPriority, StackType_t *const puxStackBuffer,
                                           StaticTask_t *const pxTaskBuffer, const BaseType_t xCoreID) {
  violation("xTaskCreateStaticPinnedToCore");
  (void)pcName;
  if (pxTaskCode == NULL || puxStackBuffer == NULL || pxTaskBuffer == NULL) return NULL;
  for (int i = 0; i < NTASKS; i++)
    if (!tasks[i].used || tasks[i].deleted) {
      memset(&tasks[i], 0, sizeof tasks[i]);
      tasks[i].used = true;
      tasks[i].fn = pxTaskCode;
      tasks[i].arg = pvParameters;
      tasks[i].prio = uxPriority;
      tasks[i].stack = ulStackDepth;
      tasks[i].core = xCoreID;
      fake_stats.tasks_created++;
      if (task_hook) task_hook((TaskHandle_t)(void *)&tasks[i], pxTaskCode, pvParameters);
      return (TaskHandle_t)(void *)&tasks[i];
    }
  return NULL;
}
void vTaskDelete(TaskHandle_t xTaskToDelete) {
  int i = xTaskToDelete == NULL ? cur_task : task_index(xTaskToDelete);
  violation("vTaskDelete");
  if (i >= 0 && !tasks[i].deleted) {
    tasks[i].deleted = true;
    fake_stats.tasks_deleted++;
  }
}
TaskHandle_t xTaskGetCurrentTaskHandle(void) {
  return cur_task >= 0 ? (TaskHandle_t)(void *)&tasks[cur_task] : NULL;
}
UBaseType_t uxTaskGetStackHighWaterMark(TaskHandle_t xTask) {
  violation("uxTaskGetStackHighWaterMark");
  return task_index(xTask) >= 0 ? stack_hwm : 0;
}
uint32_t ulTaskGenericNotifyTake(UBaseType_t uxIndexToWaitOn, BaseType_t xClearCountOnExit,
                                 TickType_t xTicksToWait) {
  uint32_t v = 0;
  violation("ulTaskGenericNotifyTake");
  (void)uxIndexToWaitOn;
  last_wait = xTicksToWait;
  if (cur_task >= 0) {
    v = tasks[cur_task].notify;
    tasks[cur_task].notify = xClearCountOnExit ? 0 : (v ? v - 1 : 0);
  }
  return v;
}
void vTaskGenericNotifyGiveFromISR(TaskHandle_t xTaskToNotify, UBaseType_t uxIndexToNotify,
                                   BaseType_t *pxHigherPriorityTaskWoken) {
  int i = task_index(xTaskToNotify);
  (void)uxIndexToNotify;
  if (i < 0) return;
  tasks[i].notify++;
  if (pxHigherPriorityTaskWoken && cur_task != i) *pxHigherPriorityTaskWoken = pdTRUE;
}

static struct {
  bool used;
  uint8_t type;
  uint32_t count, max;
} sems[NSEMS];

static QueueHandle_t sem_new(uint8_t type, uint32_t count, void *buf) {
  if (buf == NULL) return NULL;
  for (int i = 0; i < NSEMS; i++)
    if (!sems[i].used) {
      sems[i].used = true;
      sems[i].type = type;
      sems[i].count = count;
      sems[i].max = 1;
      return (QueueHandle_t)(void *)&sems[i];
    }
  return NULL;
}
static int sem_index(QueueHandle_t q) {
  for (int i = 0; i < NSEMS; i++)
    if ((void *)q == (void *)&sems[i] && sems[i].used) return i;
  return -1;
}
QueueHandle_t xQueueCreateMutexStatic(const uint8_t ucQueueType, StaticQueue_t *pxStaticQueue) {
  violation("xQueueCreateMutexStatic");
  return sem_new(ucQueueType, 1, pxStaticQueue);
}
QueueHandle_t xQueueGenericCreateStatic(const UBaseType_t uxQueueLength, const UBaseType_t uxItemSize,
                                        uint8_t *pucQueueStorage, StaticQueue_t *pxStaticQueue,
                                        const uint8_t ucQueueType) {
  violation("xQueueGenericCreateStatic");
  if (uxQueueLength != 1 || uxItemSize != 0 || pucQueueStorage != NULL) return NULL; /* semaphores only */
  return sem_new(ucQueueType, 0, pxStaticQueue);
}
BaseType_t xQueueSemaphoreTake(QueueHandle_t xQueue, TickType_t xTicksToWait) {
  int i = sem_index(xQueue);
  violation("xQueueSemaphoreTake");
  if (i < 0) return pdFALSE;
  while (sems[i].count == 0 && xTicksToWait != 0 && block_hook != NULL && block_hook()) {
  }
  if (sems[i].count == 0) return pdFALSE;
  sems[i].count--;
  return pdTRUE;
}
BaseType_t xQueueGenericSend(QueueHandle_t xQueue, const void *const pvItemToQueue, TickType_t xTicksToWait,
                             const BaseType_t xCopyPosition) {
  int i = sem_index(xQueue);
  violation("xQueueGenericSend");
  (void)pvItemToQueue;
  (void)xTicksToWait;
  (void)xCopyPosition;
  if (i < 0 || sems[i].count >= sems[i].max) return pdFALSE;
  sems[i].count++;
  return pdTRUE;
}

void fake_yield_from_isr(BaseType_t woken) {
  if (woken) fake_stats.yields++;
}

#ifndef KBE_FAKE_REAL_HEADERS
void fake_critical(portMUX_TYPE *mux, bool enter) {
  if (enter) mux->count++;
  else if (mux->count) mux->count--;
  else fprintf(stderr, "esp_fake: critical section exit without enter\n");
}

void fake_on_task_create(fake_task_hook_t hook) { task_hook = hook; }
void fake_on_block(fake_block_hook_t hook) { block_hook = hook; }
void fake_task_current(TaskHandle_t t) { cur_task = t == NULL ? -1 : task_index(t); }
bool fake_task_deleted(TaskHandle_t t) {
  for (int i = 0; i < NTASKS; i++)
    if ((void *)t == (void *)&tasks[i]) return tasks[i].deleted;
  return true;
}
uint32_t fake_task_notified(TaskHandle_t t) {
  int i = task_index(t);
  return i >= 0 ? tasks[i].notify : 0;
}
uint32_t fake_task_prio(TaskHandle_t t) {
  int i = task_index(t);
  return i >= 0 ? tasks[i].prio : 0;
}
int fake_task_core(TaskHandle_t t) {
  int i = task_index(t);
  return i >= 0 ? tasks[i].core : -1;
}
uint32_t fake_task_stack(TaskHandle_t t) {
  int i = task_index(t);
  return i >= 0 ? tasks[i].stack : 0;
}
TickType_t fake_last_wait(void) { return last_wait; }
void fake_stack_hwm_set(uint32_t bytes) { stack_hwm = bytes; }

void fake_heap_set(uint32_t free_b, uint32_t min_free, uint32_t largest) {
  heap_free = free_b;
  heap_min = min_free;
  heap_largest = largest;
}
void fake_alloc_fail(size_t size, uint32_t caps, const char *function_name) {
  if (alloc_hook) alloc_hook(size, caps, function_name);
}

void fake_reset(void) {
  memset(timers, 0, sizeof timers);
  memset(pin_isr, 0, sizeof pin_isr);
  memset(pin_attached, 0, sizeof pin_attached);
  memset(pin_arg, 0, sizeof pin_arg);
  memset(pin_en, 0, sizeof pin_en);
  memset(pin_type, 0, sizeof pin_type);
  memset(pin_out, 0, sizeof pin_out);
  pin_write_hook = NULL;
  for (int i = 0; i < NPINS; i++) pin_in[i] = 1;
  npn_data = npn_write = -1;
  service = false;
  memset(tasks, 0, sizeof tasks);
  cur_task = -1;
  /* semaphores are the port's static objects: they live on, as in firmware */
  memset(&fake_stats, 0, sizeof fake_stats);
  fake_stats.alarm_after_min = UINT64_MAX;
  log_n = 0;
  fail_call = NULL;
  fake_calls_clear();
  heap_free = 200000;
  heap_min = 150000;
  heap_largest = 100000;
  stack_hwm = 1000;
}
#endif
