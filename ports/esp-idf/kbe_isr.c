/* SPDX-License-Identifier: MIT
 *
 * kbe_isr.c - the keybus component's two interrupt handlers: the template
 * port's (ports/template/kb_port_template.c) with the ESP-IDF platform
 * calls written inline, so each handler is ONE function in IRAM
 * (KB_ISR_FN = section .iram1.keybus, keybus_esp_config.h) whose only calls
 * leave for functions ESP-IDF keeps in IRAM:
 *   - pins: gpio_ll_get_level / gpio_ll_set_level on &GPIO (static inline
 *     HAL: register accesses, no call; gpio_get_level is in flash unless
 *     CONFIG_GPIO_CTRL_FUNC_IN_IRAM, which we do not need);
 *   - time: esp_timer_get_time (IRAM by default; 6.x: CONFIG_ESP_TIMER_IN_IRAM);
 *   - the one-shot: gptimer_set_raw_count + gptimer_set_alarm_action
 *     (CONFIG_GPTIMER_CTRL_FUNC_IN_IRAM), never gptimer_start/stop per edge
 *     (the driver's state machine is not for the hot path);
 *   - the task's wake-up: vTaskNotifyGiveFromISR (FreeRTOS, IRAM).
 * tests/cli/esp_check.sh proves it on the object (check-iram.sh).
 * Everything they touch is DRAM: kbe_isr, the link, s_alarm.
 */
#include "kbe_int.h"

#include <stddef.h>

#include "esp_timer.h"
#include "hal/gpio_ll.h"
#include "soc/gpio_struct.h"

kbe_isr_t kbe_isr;

/* The one-shot's alarm: KB_SAMPLE_US ticks of the 1 MHz timer after the
 * count is reset, no auto-reload (the hardware disarms it when it fires).
 * Static and NOT const: with CONFIG_GPTIMER_CTRL_FUNC_IN_IRAM the driver
 * reads it from the interrupt, so it must be in DRAM, not flash .rodata
 * (newer drivers refuse a config outside internal RAM). */
static gptimer_alarm_config_t s_alarm = {.alarm_count = KB_SAMPLE_US};

/* The write pin follows the link's request w (kb_port.h 5), set only when
 * it changes (nearly every edge keeps the released line). */
static inline KB_ISR_FN void kbe_write(kbe_isr_t *p, uint8_t w) {
  if (p->write_pin >= 0 && w != p->write_level) {
    p->write_level = w;
    gpio_ll_set_level(&GPIO, (uint32_t)p->write_pin,
                      kb_port_npn_level((kb_link_write_t)w) ? 1u : 0u);
  }
}

/* Clock edge (kb_port.h 1, 5, 2): the level after the edge (read, never
 * the edge's label), the link inline in two branches (each specialised for
 * its level), the write pin as early as possible, then the one-shot re-armed
 * for this edge's sample: count first, then the alarm (armed first, the
 * count could already be past it). When the edge made the link publish a
 * frame, the task is woken (one notification per frame, never per bit). */
KB_ISR_FN void kbe_clock_isr(void *arg) {
  kbe_isr_t *p = &kbe_isr;
  kb_link_t *l = p->link;
  uint8_t head = l->head;
  (void)arg;
  if (gpio_ll_get_level(&GPIO, p->clock_pin)) {
    kbe_write(p, (uint8_t)kb_link_isr_edge(l, true, (uint32_t)esp_timer_get_time()));
  } else {
    kbe_write(p, (uint8_t)kb_link_isr_edge(l, false, (uint32_t)esp_timer_get_time()));
  }
  if (gptimer_set_raw_count(p->timer, 0) != ESP_OK ||
      gptimer_set_alarm_action(p->timer, &s_alarm) != ESP_OK) {
    p->arm_errors++; /* counted (health), never logged here */
  }
  if (l->head != head && p->task != NULL) {
    BaseType_t woken = pdFALSE;
    p->notifies++;
    vTaskNotifyGiveFromISR(p->task, &woken);
    /* the GPIO ISR service does not yield for its handlers: we do */
    portYIELD_FROM_ISR(woken);
  }
}

/* The sample (kb_port.h 2), from the driver's alarm interrupt: the clock
 * re-read (high: a panel bit, low: a module bit) and the data. The one-shot
 * disarmed itself in hardware. Returns whether a higher-priority task was
 * woken (the driver yields then): never, since a sample does not publish a
 * frame (the next edge, or the idle gap's first edge, does). */
KB_ISR_FN bool kbe_alarm_cb(gptimer_handle_t timer, const gptimer_alarm_event_data_t *edata,
                            void *user_ctx) {
  kbe_isr_t *p = &kbe_isr;
  bool clock = gpio_ll_get_level(&GPIO, p->clock_pin) != 0;
  bool data = gpio_ll_get_level(&GPIO, p->data_pin) != 0;
  (void)timer;
  (void)edata;
  (void)user_ctx;
  kb_link_isr_sample(p->link, clock, data);
  return false;
}

/* ------------------------------------------------------ Classic panels
 * The same two handlers for a Classic panel's link (kb_cls_link.h): the
 * clock edge to kb_cls_link_edge() (KB_ISR_FN, in .iram1.keybus), the
 * one-shot re-armed the same way, the task woken when a frame was
 * published (at the first falling edge after the 26 ms gap); the sample
 * reads the PC-16 pin with the data pin (A2: the PGM line is sampled with
 * the panel bits). */
KB_ISR_FN void kbe_cls_clock_isr(void *arg) {
  kbe_isr_t *p = &kbe_isr;
  kb_cls_link_t *l = p->cls;
  uint8_t head = l->head;
  bool high = gpio_ll_get_level(&GPIO, p->clock_pin) != 0;
  (void)arg;
  kbe_write(p, (uint8_t)kb_cls_link_edge(l, high, (uint32_t)esp_timer_get_time()));
  if (gptimer_set_raw_count(p->timer, 0) != ESP_OK ||
      gptimer_set_alarm_action(p->timer, &s_alarm) != ESP_OK) {
    p->arm_errors++;
  }
  if (l->head != head && p->task != NULL) {
    BaseType_t woken = pdFALSE;
    p->notifies++;
    vTaskNotifyGiveFromISR(p->task, &woken);
    portYIELD_FROM_ISR(woken);
  }
}

KB_ISR_FN bool kbe_cls_alarm_cb(gptimer_handle_t timer, const gptimer_alarm_event_data_t *edata,
                                void *user_ctx) {
  kbe_isr_t *p = &kbe_isr;
  bool clock = gpio_ll_get_level(&GPIO, p->clock_pin) != 0;
  bool data = gpio_ll_get_level(&GPIO, p->data_pin) != 0;
  bool pc16 = gpio_ll_get_level(&GPIO, p->pc16_pin) != 0;
  (void)timer;
  (void)edata;
  (void)user_ctx;
  kb_cls_link_sample(p->cls, clock, data, pc16);
  return false;
}
