/* SPDX-License-Identifier: MIT
 *
 * kbe_common.h - what the component's two roles share on the task side:
 * the reader (kbe.c) and the panel role (kbe_panel.c) start, stop and lock
 * the same way (one static task pinned to a core, a mutex around the
 * engine, a binary semaphore for the task's init and end), and rely on the
 * same ESP-IDF options for their interrupt code. Not for applications:
 * keybus_esp.h and keybus_esp_panel.h are the API. The interrupt handlers
 * (kbe_isr.c, kbe_panel_isr.c) use nothing of it.
 *
 * Also the compile-time checks of the ESP-IDF options both roles' interrupt
 * code needs (docs/esp32.md "sdkconfig"): the GPTimer's interrupt must keep
 * running while the flash cache is off, and the task notification must stay
 * in IRAM. kbe_int.h adds the reader's own.
 *
 * Who calls what, from where: each role owns one kbe_life_t (static, its
 * storage pointers set in the initialiser) and calls these from the
 * application's tasks (start, stop, lock, unlock) or its keybus task (the
 * rest); the keybus task writes state, init_err and failure and gives done.
 */
#ifndef KBE_COMMON_H_
#define KBE_COMMON_H_

#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"

#if defined(ESP_PLATFORM) && !defined(KBE_NO_IRAM_CHECK)
#include "esp_idf_version.h"
#if ESP_IDF_VERSION < ESP_IDF_VERSION_VAL(5, 1, 0)
#error "keybus: ESP-IDF 5.1 or later (the GPTimer driver with intr_priority)"
#endif
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(6, 0, 0)
#if !defined(CONFIG_GPTIMER_ISR_CACHE_SAFE) || !CONFIG_GPTIMER_ISR_CACHE_SAFE
#error "keybus: set CONFIG_GPTIMER_ISR_CACHE_SAFE=y (ports/esp-idf/sdkconfig.defaults; docs/esp32.md)"
#endif
#else
#if !defined(CONFIG_GPTIMER_ISR_IRAM_SAFE) || !CONFIG_GPTIMER_ISR_IRAM_SAFE
#error "keybus: set CONFIG_GPTIMER_ISR_IRAM_SAFE=y (ports/esp-idf/sdkconfig.defaults; docs/esp32.md)"
#endif
#endif
#if defined(CONFIG_FREERTOS_PLACE_FUNCTIONS_INTO_FLASH) && CONFIG_FREERTOS_PLACE_FUNCTIONS_INTO_FLASH
#error "keybus: CONFIG_FREERTOS_PLACE_FUNCTIONS_INTO_FLASH moves vTaskGenericNotifyGiveFromISR out of IRAM"
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* One role's task and its life cycle. The storage stays in the role's own
 * statics (s_stack, s_tcb, s_lock_buf, s_done_buf: bench/esp_size.sh
 * measures them by name); this holds pointers to it. */
typedef struct {
  const char *who;                       /* log prefix: "" or "panel role: " */
  StaticTask_t *tcb;
  StackType_t *stack;                    /* CONFIG_KEYBUS_TASK_STACK words */
  StaticSemaphore_t *lock_buf, *done_buf;
  SemaphoreHandle_t lock, done;
  TaskHandle_t task;
  volatile int state;                    /* kbe_state_t */
  volatile bool stop;                    /* asked by stop, read by the task */
  esp_err_t init_err;
  char failure[64];                      /* the longest: 40 + 2 + 21 */
} kbe_life_t;

/* Seconds since boot (esp_timer). */
uint32_t kbe_life_uptime_s(void);

/* A start-up call that failed: recorded (failure, init_err) and logged. */
void kbe_life_fail(kbe_life_t *l, const char *call, esp_err_t e);
/* A teardown call that failed: logged (stop goes on). */
void kbe_life_note(const kbe_life_t *l, const char *call, esp_err_t e);

/* After the role checked its configuration: creates the semaphores (once),
 * the task (fn, pinned to core) and waits for its init; the task is
 * deleted again if the init failed. Returns the init's result. */
esp_err_t kbe_life_start(kbe_life_t *l, TaskFunction_t fn, const char *name, UBaseType_t prio,
                         BaseType_t core);
/* The task's side of start and stop: state (KBE_RUNNING after a good
 * init, with init_err ESP_OK; KBE_FAILED after kbe_life_fail; KBE_STOPPED
 * at the end) set, then done given to the waiting start or stop. */
void kbe_life_report(kbe_life_t *l, int state);
/* The task's body: begin, step until it says stop, end; then it waits to
 * be deleted by start or stop (which have the result by then). */
void kbe_life_task(bool (*begin)(void), bool (*step)(void), void (*end)(void));
/* Asks the task to stop, waits for its end, deletes it. */
esp_err_t kbe_life_stop(kbe_life_t *l);
const char *kbe_life_failure(const kbe_life_t *l);

/* The calling task is the role's task (its callbacks run with the lock
 * held: FreeRTOS mutexes do not nest). */
bool kbe_life_on_task(const kbe_life_t *l);
/* The lock, from another task, while running; false if not had. */
bool kbe_life_lock(kbe_life_t *l, uint32_t wait_ms);
void kbe_life_unlock(kbe_life_t *l);

/* Both roles' init sequences: run `expr` (an esp_err_t); on failure record
 * the call's name in `what` and jump to the caller's `fail:` label, which
 * undoes what was done (the caller declares `esp_err_t e` and
 * `const char *what`). */
#define KBE_TRY(call, expr) \
  do {                      \
    e = (expr);             \
    if (e != ESP_OK) {      \
      what = (call);        \
      goto fail;            \
    }                       \
  } while (0)

#ifdef __cplusplus
}
#endif

#endif /* KBE_COMMON_H_ */
