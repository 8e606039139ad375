/* SPDX-License-Identifier: MIT
 *
 * kbe_int.h - internals of the keybus ESP-IDF component shared by kbe.c
 * (task side) and kbe_isr.c (the two interrupt handlers), and by the host
 * test (tests/esp), which steps the task body on a fake of the ESP-IDF
 * calls. Not for applications: keybus_esp.h is the API.
 *
 * Also the compile-time check of the ESP-IDF options the handlers rely on
 * (docs/esp32.md "sdkconfig"): a build without them stops here, rather
 * than losing bits (or panicking) during the first flash write.
 */
#ifndef KBE_INT_H_
#define KBE_INT_H_

#include <stdbool.h>
#include <stdint.h>

#include "driver/gptimer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "keybus/kb_port.h"
#include "keybus_esp.h"

#include "kbe_common.h" /* and the option checks both roles need */

/* The reader's own: esp_timer and the GPTimer's control calls in the clock
 * interrupt. */
#if defined(ESP_PLATFORM) && !defined(KBE_NO_IRAM_CHECK)
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(6, 0, 0)
#if !defined(CONFIG_ESP_TIMER_IN_IRAM) || !CONFIG_ESP_TIMER_IN_IRAM
#error "keybus: CONFIG_ESP_TIMER_IN_IRAM=y is needed (esp_timer_get_time in the clock interrupt)"
#endif
#endif
#if !defined(CONFIG_GPTIMER_CTRL_FUNC_IN_IRAM) || !CONFIG_GPTIMER_CTRL_FUNC_IN_IRAM
#error "keybus: set CONFIG_GPTIMER_CTRL_FUNC_IN_IRAM=y (ports/esp-idf/sdkconfig.defaults; docs/esp32.md)"
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The state the handlers read: DRAM (.bss), set by the task before the
 * clock interrupt is attached, constant while it is (but write_level and
 * the counters, which only the handlers write). */
typedef struct {
  kb_link_t *link;
  gptimer_handle_t timer;
  TaskHandle_t task;     /* notified when the link published a frame */
  uint32_t clock_pin, data_pin;
  int32_t write_pin;     /* -1: listen only, the pin is never touched */
  uint8_t write_level;   /* what the write pin drives now (1 = pulling low) */
  uint32_t arm_errors;   /* gptimer_set_* refused in the clock interrupt */
  uint32_t notifies;     /* frames announced to the task */
  /* Classic panels (kbe_cls_clock_isr/kbe_cls_alarm_cb): the bus's Classic
   * link and the PC-16 pin; link is NULL then */
  kb_cls_link_t *cls;
  uint32_t pc16_pin;
} kbe_isr_t;

extern kbe_isr_t kbe_isr;

/* The clock pin's any-edge interrupt (GPIO ISR service handler). */
KB_ISR_FN void kbe_clock_isr(void *arg);
/* The GPTimer one-shot's on_alarm callback, KB_SAMPLE_US after an edge. */
KB_ISR_FN bool kbe_alarm_cb(gptimer_handle_t timer, const gptimer_alarm_event_data_t *edata,
                            void *user_ctx);

/* The Classic pair (docs/classic.md), attached instead of the two above
 * when kbe_config_t.panel is KB_SERIES_CLASSIC: the same work on the
 * Classic link, the sample reading the PC-16 pin too. A separate pair so
 * the PowerSeries handlers keep their cost (no branch on the series). */
KB_ISR_FN void kbe_cls_clock_isr(void *arg);
KB_ISR_FN bool kbe_cls_alarm_cb(gptimer_handle_t timer, const gptimer_alarm_event_data_t *edata,
                                void *user_ctx);

/* ------------------------------------------------ the task, in pieces
 * The real task is kbe_task_main(): begin, step until stop, end. Split so
 * the host test can step it on a single-threaded fake of FreeRTOS. */
void kbe_task_main(void *arg);
/* Init on the calling (keybus) task: false when a call failed (state
 * FAILED, everything undone, the waiter in kbe_start() released). */
bool kbe_task_begin(void);
/* One loop pass: wait for a frame notification or KBE_POLL_MS, poll the
 * bus, log what is due. false when kbe_stop() asked the task to end. */
bool kbe_task_step(void);
/* Takes the port down (stop order) and releases the waiter in kbe_stop(). */
void kbe_task_end(void);

#ifdef KBE_HOST_FAKE
void kbe_host_reboot(void); /* host tests: statics back to power-on */
#endif

/* The task's period when no frame wakes it (ms). */
#define KBE_POLL_MS 10u
/* No frame this long after start (or after the panel was lost): the one
 * warning; then at most one line per KBE_NOPANEL_REPEAT_S. */
#define KBE_NOPANEL_FIRST_S 5u
#define KBE_NOPANEL_REPEAT_S 600u
/* Distinct failed allocations remembered (each logged once) and recorded
 * by the callback between two task passes. */
#define KBE_ALLOC_DISTINCT 8u
#define KBE_ALLOC_PENDING 4u

#ifdef __cplusplus
}
#endif

#endif /* KBE_INT_H_ */
