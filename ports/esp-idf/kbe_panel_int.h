/* SPDX-License-Identifier: MIT
 *
 * kbe_panel_int.h - internals of the panel role (keybus_esp_panel.h)
 * shared by kbe_panel.c (task side) and kbe_panel_isr.c (the timer's
 * interrupt callback), and by the host test (tests/esp/test_esp_panel.c),
 * which steps the task body on the fake of ESP-IDF. Not for applications.
 *
 * Also the compile-time check of the ESP-IDF options the callback relies
 * on: the GPTimer's interrupt must keep running while the flash cache is
 * off (CONFIG_GPTIMER_ISR_IRAM_SAFE, 6.x: ..._CACHE_SAFE; the driver then
 * also checks that on_alarm is in IRAM), and the task notification must
 * stay in IRAM. The callback calls nothing of the GPTimer driver (the
 * alarm reloads in hardware), so CONFIG_GPTIMER_CTRL_FUNC_IN_IRAM and
 * esp_timer are not needed by this role.
 */
#ifndef KBE_PANEL_INT_H_
#define KBE_PANEL_INT_H_

#include <stdbool.h>
#include <stdint.h>

#include "driver/gptimer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "keybus/kb_panel.h"
#include "keybus/kb_port.h"
#include "keybus_esp_panel.h"

#include "kbe_common.h" /* and the option checks (this role needs no others) */

#ifdef __cplusplus
extern "C" {
#endif

/* What the callback reads and writes: DRAM (.bss), set by the task before
 * the timer starts, constant while it runs (but the output levels and the
 * counters, which only the callback writes). */
typedef struct {
  kb_pnl_t *pnl;
  TaskHandle_t task;    /* notified at the end of each frame */
  uint32_t clock_pin, data_pin, write_pin;
  uint8_t clock_out;    /* clock GPIO level now (1 = NPN on = bus clock low) */
  uint8_t write_out;    /* write GPIO level now (1 = NPN on = data low) */
  uint32_t halves;      /* callbacks (half periods) since start */
  uint32_t notifies;    /* frames announced to the task */
} kbe_pnl_isr_t;

extern kbe_pnl_isr_t kbe_pnl_isr;

/* The GPTimer's on_alarm callback, every half period (auto-reload). */
KB_ISR_FN bool kbe_pnl_alarm_cb(gptimer_handle_t timer, const gptimer_alarm_event_data_t *edata,
                                void *user_ctx);

/* The task in pieces, as kbe_int.h's: kbe_pnl_task_main() = begin, step
 * until stop, end. */
void kbe_pnl_task_main(void *arg);
bool kbe_pnl_task_begin(void);
bool kbe_pnl_task_step(void);
void kbe_pnl_task_end(void);

#ifdef KBE_HOST_FAKE
void kbe_pnl_host_reboot(void); /* host tests: statics back to power-on */
#endif

/* The task's period when no frame end wakes it (ms): the engine's power-up
 * wait and the first frame need a poll without a frame. */
#define KBE_PNL_POLL_MS 10u
/* Not started (keypads not powered, data line held low) this long after
 * start: one warning line; then at most one per KBE_PNL_NOSTART_REPEAT_S. */
#define KBE_PNL_NOSTART_S 10u
#define KBE_PNL_NOSTART_REPEAT_S 600u

#ifdef __cplusplus
}
#endif

#endif /* KBE_PANEL_INT_H_ */
