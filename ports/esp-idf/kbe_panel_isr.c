/* SPDX-License-Identifier: MIT
 *
 * kbe_panel_isr.c - the panel role's one interrupt handler: the GPTimer's
 * on_alarm callback, every half period (the alarm reloads in hardware:
 * auto_reload_on_alarm, set once at init). ONE function in IRAM (KB_ISR_FN
 * = section .iram1.keybus, keybus_esp_config.h) whose only calls are
 *   - kb_pnl_isr() (src/core/kb_panel.c, KB_ISR_FN: IRAM, no call out;
 *     tests/cli/esp_check.sh links the two objects and checks them as one),
 *   - vTaskNotifyGiveFromISR (FreeRTOS, IRAM), once per frame;
 * and whose pin accesses are the inline HAL: gpio_ll_get_level and
 * gpio_ll_set_level on &GPIO (register accesses, no call; gpio_set_level is
 * in flash unless CONFIG_GPIO_CTRL_FUNC_IN_IRAM, and is not for interrupts).
 * Nothing of the GPTimer driver is called here. Everything it touches is
 * DRAM: kbe_pnl_isr and the engine (a static kb_pnl_t of kbe_panel.c).
 */
#include "kbe_panel_int.h"

#include <stddef.h>

#include "hal/gpio_ll.h"
#include "soc/gpio_struct.h"

kbe_pnl_isr_t kbe_pnl_isr;

/* A half period (kb_panel.h): the data line read first (at the end of a
 * low phase it is the keypads' bit), the engine's step, then its levels
 * applied: the data line first, then the clock, so a bit is on the line
 * before the edge that the keypads read it on. Both outputs drive NPN
 * bases (inverted): GPIO high = line low. Each pin is written only when it
 * changes. Returns whether a higher-priority task was woken (the driver
 * yields then). */
KB_ISR_FN bool kbe_pnl_alarm_cb(gptimer_handle_t timer, const gptimer_alarm_event_data_t *edata,
                                void *user_ctx) {
  kbe_pnl_isr_t *s = &kbe_pnl_isr;
  kb_pnl_t *p = s->pnl;
  uint32_t frames = p->frames;
  bool data_high = gpio_ll_get_level(&GPIO, s->data_pin) != 0;
  uint8_t r = kb_pnl_isr(p, data_high);
  uint8_t w = (r & KB_PNL_DATA_LOW) ? 1u : 0u;
  uint8_t c = (r & KB_PNL_CLK_HIGH) ? 0u : 1u;
  BaseType_t woken = pdFALSE;
  (void)timer;
  (void)edata;
  (void)user_ctx;
  s->halves++;
  if (w != s->write_out) {
    s->write_out = w;
    gpio_ll_set_level(&GPIO, s->write_pin, w);
  }
  if (c != s->clock_out) {
    s->clock_out = c;
    gpio_ll_set_level(&GPIO, s->clock_pin, c);
  }
  /* a frame ended (the engine counts it in frame_done): the task may stage
   * the next one now, within the gap (KB_PNL_GAP_HALVES) */
  if (p->frames != frames && s->task != NULL) {
    s->notifies++;
    vTaskNotifyGiveFromISR(s->task, &woken);
  }
  return woken == pdTRUE;
}
