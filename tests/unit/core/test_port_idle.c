/* SPDX-License-Identifier: MIT
 *
 * test_port_idle.c - the template port (ports/template) built with its idle
 * one-shot (KBP_IDLE_TIMER 1, kb_port.h 2b), driven through a fake platform
 * the way its interrupts would run: every rising edge re-arms the idle
 * one-shot; when it fires KBP_IDLE_US after the last rise, kbp_idle_isr()
 * makes the link publish the message; a stale firing does nothing; start
 * and stop handle the third timer in the order of kb_port.h (8).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "keybus/kb_proto.h"

#define KBP_IDLE_TIMER 1
#include "../../../ports/template/kb_port_template.c"

/* ------------------------------------------------------- fake platform */

static bool pin_clock = true, pin_data = true;
static uint32_t now_us;
static char log_[256];
static unsigned timer_starts, idle_starts;
static uint32_t idle_armed_at; /* time of the last idle one-shot (re)start */

static void note(const char *s) {
  if (strlen(log_) + strlen(s) + 2 < sizeof log_) {
    strcat(log_, s);
    strcat(log_, " ");
  }
}

uint32_t kbp_plat_lines_read(void) {
  return (pin_clock ? KBP_LINE_CLOCK : 0u) | (pin_data ? KBP_LINE_DATA : 0u);
}
void kbp_plat_write_pin(bool on) { note(on ? "W1" : "W0"); }
uint32_t kbp_plat_now_us(void) { return now_us; }
void kbp_plat_timer_start(void) { timer_starts++; }
void kbp_plat_timer_stop(void) { note("TS"); }
void kbp_plat_idle_start(void) {
  idle_starts++;
  idle_armed_at = now_us;
}
void kbp_plat_idle_stop(void) { note("IS"); }
void kbp_plat_clock_irq(bool enable) { note(enable ? "IRQ1" : "IRQ0"); }

/* ------------------------------------------------------------- driving */

static kb_link_t link_;

static void cell(bool m, bool p) {
  pin_clock = false;
  kbp_clock_isr(NULL);
  now_us += KB_SAMPLE_US;
  pin_data = m;
  kbp_sample_isr(NULL);
  now_us += 500u - KB_SAMPLE_US;
  pin_clock = true;
  kbp_clock_isr(NULL);
  now_us += KB_SAMPLE_US;
  pin_data = p;
  kbp_sample_isr(NULL);
  now_us += 500u - KB_SAMPLE_US;
}

static const uint8_t msg[] = {KB_CMD_STATUS, 0x00, 0x81, 0x01, 0x10, 0xC7};

/* The message and its trailing cell; the clock stays high afterwards. */
static void message(void) {
  for (unsigned b = 0; b < sizeof msg; b++) {
    if (b == 1) {
      cell(true, msg[1] & 1u);
      continue;
    }
    for (int i = 7; i >= 0; i--) cell(true, (msg[b] >> i) & 1u);
  }
  cell(true, true);
}

static void start(void) {
  kb_link_init(&link_);
  pin_clock = pin_data = true;
  now_us = 100000;
  log_[0] = 0;
  timer_starts = idle_starts = 0;
  kbp_start(&link_);
  now_us += 5000u;
}

static void test_idle_timer_start_stop_order(void) {
  start();
  KT_STREQ(log_, "W0 TS IS IRQ1 ");
  log_[0] = 0;
  kbp_stop();
  KT_STREQ(log_, "IRQ0 TS IS W0 ");
}

/* The idle one-shot is re-armed by every rising edge; it fires KBP_IDLE_US
 * after the last one, and the frame is in the ring; a stale firing (before
 * the gap is over, or with the clock low) does nothing. */
static void test_idle_isr_publishes(void) {
  const kb_frame_t *f;
  uint32_t rise;
  start();
  message();
  KT_EQ(idle_starts, 42); /* 41 bits + the trailing one: one per rising edge */
  KT_EQ(timer_starts, 84);
  rise = idle_armed_at;
  KT_EQ(rise, now_us - 500u);
  /* stale: fired inside the gap too early */
  now_us = rise + KB_GAP_US;
  kbp_idle_isr(NULL);
  KT_CHECK(kb_link_peek(&link_) == NULL);
  /* on time, but the clock reads low (its falling edge is pending) */
  now_us = rise + KBP_IDLE_US;
  pin_clock = false;
  kbp_idle_isr(NULL);
  KT_CHECK(kb_link_peek(&link_) == NULL);
  pin_clock = true;
  kbp_idle_isr(NULL);
  f = kb_link_peek(&link_);
  KT_CHECK(f != NULL);
  if (f) {
    KT_EQ(f->panel[0], KB_CMD_STATUS);
    KT_EQ(f->panel[5], 0xC7);
    KT_EQ(f->panel_bits, 42);
    kb_link_pop(&link_);
  }
  /* the next message: its first edge publishes nothing more */
  now_us = rise + 5000u;
  message();
  KT_CHECK(kb_link_peek(&link_) == NULL);
  now_us = idle_armed_at + KBP_IDLE_US;
  kbp_idle_isr(NULL);
  KT_CHECK(kb_link_peek(&link_) != NULL);
  kb_link_stats_t s;
  kb_link_stats(&link_, &s);
  KT_EQ(s.frames, 2);
  KT_EQ(s.messages, 2);
}

KT_MAIN(KT_CASE(test_idle_timer_start_stop_order), KT_CASE(test_idle_isr_publishes))
