/* SPDX-License-Identifier: MIT
 *
 * esp_fake.h - the controls of the host fake of ESP-IDF (esp_fake.c): a
 * virtual microsecond clock, a pin model (inputs driven by the simulated
 * bus, outputs set by the port, an NPN write driver pulling the data line
 * low), the GPIO interrupt dispatcher and one-shot or periodic (auto-reload)
 * GPTimer alarms that call
 * the port's real handlers, FreeRTOS single-threaded (the test runs the
 * keybus task's steps itself), fault injection for every esp_err_t call,
 * and counters (calls in order, driver allocations, log lines, calls that
 * an interrupt must not make).
 *
 * Who calls it: the host tests (tests/esp/test_*.c), one thread.
 */
#ifndef ESP_FAKE_H_
#define ESP_FAKE_H_

#include <stdbool.h>
#include <stdint.h>

#include "driver/gpio.h"
#include "esp_err.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

/* Everything back to power-on: no timers, no ISR service, pins high
 * (inputs), counters and faults cleared, time kept. */
void fake_reset(void);

/* ---- time */
uint64_t fake_now(void);
/* Advances the clock to t (never back), firing each one-shot alarm that
 * falls due on the way, at its time, in an interrupt context. */
void fake_advance_to(uint64_t t_us);

/* ---- pins */
/* An input driven from outside (the bus): a change fires the pin's
 * interrupt (ISR service handler or an attach()ed one) when enabled. */
void fake_pin_drive(uint32_t pin, int level);
/* The write driver: data_pin reads low while write_pin's output is high. */
void fake_pin_npn(int data_pin, int write_pin);
int fake_pin_level(uint32_t pin); /* what gpio_ll_get_level reads */
int fake_pin_out(uint32_t pin);   /* the output register */
/* What a framework's attach() (ESPHome) does: isr on both edges of pin. */
void fake_pin_attach(uint32_t pin, gpio_isr_t isr, bool on);
bool fake_pin_has_handler(uint32_t pin);
/* Called when an output changes level (gpio_ll_set_level from a handler,
 * gpio_set_level from a task): the test's model of what the pin drives
 * (the panel role's clock transistor). NULL: none. fake_reset clears it. */
void fake_on_pin_write(void (*hook)(uint32_t pin, int level));

/* ---- faults and calls */
/* The nth (1-based) call of `call` from now on returns err (once); call
 * NULL clears. */
void fake_fail(const char *call, unsigned nth, esp_err_t err);
/* Every fallible call made, space-separated, in order (since the last
 * fake_calls_clear), and how often `call` was made. */
const char *fake_calls(void);
unsigned fake_count(const char *call);
void fake_calls_clear(void);
/* Pre-set the GPIO ISR service as installed by someone else (ESPHome). */
void fake_isr_service_preinstalled(void);
bool fake_isr_service_installed(void);

/* ---- counters */
typedef struct {
  unsigned heap_calls;     /* driver create calls that take heap (new_timer,
                              first callback registration, ISR service install) */
  unsigned isr_violations; /* a call an interrupt must not make, made in one */
  unsigned alarms;         /* one-shot alarms fired */
  unsigned alarm_woken;    /* on_alarm returned true */
  uint64_t alarm_after_min, alarm_after_max; /* us from the last pin interrupt
                                                to an alarm (UINT64_MAX, 0: none) */
  unsigned gpio_isrs;      /* pin interrupts dispatched */
  unsigned yields;         /* portYIELD_FROM_ISR(pdTRUE) */
  unsigned timers_live;    /* timers created and not deleted */
  unsigned tasks_created, tasks_deleted;
  unsigned log[6];         /* lines per esp_log_level_t */
  char last_log[256];
} fake_stats_t;
extern fake_stats_t fake_stats;
void fake_log_quiet(bool quiet); /* default quiet; KBE_FAKE_VERBOSE=1 prints */
/* Number of logged lines (any level) containing s. */
unsigned fake_log_count(const char *s);

/* ---- tasks */
/* Called when a task is created (the test decides how it runs). */
typedef void (*fake_task_hook_t)(TaskHandle_t task, TaskFunction_t fn, void *arg);
void fake_on_task_create(fake_task_hook_t hook);
/* Called while a semaphore take would block; returns false to give up
 * (the take then fails). */
typedef bool (*fake_block_hook_t)(void);
void fake_on_block(fake_block_hook_t hook);
/* The task FreeRTOS reports as running (NULL: the test's own "main"). */
void fake_task_current(TaskHandle_t t);
bool fake_task_deleted(TaskHandle_t t);
uint32_t fake_task_notified(TaskHandle_t t); /* pending notification count */
uint32_t fake_task_prio(TaskHandle_t t);
int fake_task_core(TaskHandle_t t);
uint32_t fake_task_stack(TaskHandle_t t);
TickType_t fake_last_wait(void); /* ticks of the last ulTaskNotifyTake */
void fake_stack_hwm_set(uint32_t bytes);

/* ---- heap */
void fake_heap_set(uint32_t free_b, uint32_t min_free, uint32_t largest);
/* A failing allocation somewhere in the system: the registered hook runs. */
void fake_alloc_fail(size_t size, uint32_t caps, const char *function_name);

#endif /* ESP_FAKE_H_ */
