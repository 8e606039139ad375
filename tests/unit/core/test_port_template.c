/* SPDX-License-Identifier: MIT
 *
 * test_port_template.c - the template port (ports/template) driven through
 * a fake platform, the way its interrupts would run: start/stop order, a
 * message through both handlers into the link, the one-shot re-armed on
 * every edge, the write pin driven only when the virtual keypad is enabled.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "keybus/kb_proto.h"

/* the template itself, compiled into this test (it has no library); a test
 * that includes this file first may set KBP_WRITE_PIN */
#include "../../../ports/template/kb_port_template.c"

/* ------------------------------------------------------- fake platform */

static bool pin_clock = true, pin_data = true;
static uint32_t now_us;
static char log_[4096]; /* what the platform was asked, in order */
static unsigned timer_starts, writes_on, writes_off;

static void note(const char *s) {
  if (strlen(log_) + strlen(s) + 2 < sizeof log_) {
    strcat(log_, s);
    strcat(log_, " ");
  }
}

uint32_t kbp_plat_lines_read(void) {
  return (pin_clock ? KBP_LINE_CLOCK : 0u) | (pin_data ? KBP_LINE_DATA : 0u);
}
void kbp_plat_write_pin(bool on) {
  if (on) writes_on++;
  else writes_off++;
  note(on ? "W1" : "W0");
}
uint32_t kbp_plat_now_us(void) { return now_us; }
void kbp_plat_timer_start(void) { timer_starts++; }
void kbp_plat_timer_stop(void) { note("TS"); }
void kbp_plat_clock_irq(bool enable) { note(enable ? "IRQ1" : "IRQ0"); }

/* ------------------------------------------------------------- driving */

static kb_link_t link_;
static uint32_t pulled; /* bit k: cell k's falling edge set the write pin on */

static void reset_fake(void) {
  log_[0] = 0;
  timer_starts = writes_on = writes_off = 0;
  pulled = 0;
}

/* One cell: falling edge (interrupt), module sample, rising edge, panel
 * sample, as the platform would call the handlers. */
static void cell(unsigned k, bool m, bool p) {
  unsigned on0 = writes_on;
  pin_clock = false;
  kbp_clock_isr(NULL);
  if (writes_on != on0 && k < 32) pulled |= 1u << k;
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

static void message(void) {
  unsigned k = 0;
  for (unsigned b = 0; b < sizeof msg; b++) {
    if (b == 1) {
      cell(k++, true, msg[1] & 1u);
      continue;
    }
    for (int i = 7; i >= 0; i--) cell(k++, true, (msg[b] >> i) & 1u);
  }
  cell(k, true, true);
  now_us += 3000u;
}

static void start(void) {
  kb_link_init(&link_);
  memset(&kbp_port, 0xA5, sizeof kbp_port); /* kbp_start sets every field */
  pin_clock = pin_data = true;
  now_us = 100000;
  reset_fake();
  kbp_start(&link_);
}

#if KBP_WRITE_PIN
static void test_start_stop_order(void) {
  start();
  KT_STREQ(log_, "W0 TS IRQ1 ");
  KT_CHECK(kbp_port.link == &link_);
  KT_EQ(kbp_port.write_level, 0);
  reset_fake();
  kbp_stop();
  KT_STREQ(log_, "IRQ0 TS W0 ");
}

/* A message through both handlers; then a key armed: the write pin goes on
 * at the falling edges of the slot's 0 bits and off again at the next edge,
 * and is not touched otherwise. */
static void test_message_and_write(void) {
  const kb_frame_t *f;
  start();
  message();
  KT_EQ(timer_starts, 84); /* every edge re-arms the one-shot */
  KT_EQ(writes_on, 0);
  KT_EQ(writes_off, 1); /* the release at start only */
  KT_EQ(kb_link_write_arm(&link_, KB_KEY_5, 2, KB_CMD_STATUS, KB_CMD_PROG_STATUS, 1), KB_OK);
  pulled = 0;
  message(); /* its first edge publishes the first message */
  KT_EQ(pulled, (uint32_t)((1u << 9) | (1u << 10) | (1u << 11) | (1u << 13) | (1u << 16)));
  KT_EQ(writes_on, 5);
  KT_EQ(writes_off, 1 + 5); /* each pull released at the rising edge */
  KT_EQ(kbp_port.write_level, 0);
  pin_clock = false;
  kbp_clock_isr(NULL); /* boundary: publishes the second */
  f = kb_link_peek(&link_);
  KT_CHECK(f != NULL);
  if (f) {
    KT_EQ(f->panel[0], KB_CMD_STATUS);
    KT_EQ(f->panel[5], 0xC7);
    KT_EQ(f->panel_bits, 42);
    KT_EQ(f->wrote, 0);
    kb_link_pop(&link_);
  }
  f = kb_link_peek(&link_);
  KT_CHECK(f != NULL);
  if (f) {
    KT_EQ(f->wrote, kb_link_write_tag(&link_));
    kb_link_pop(&link_);
  }
}

KT_MAIN(KT_CASE(test_start_stop_order), KT_CASE(test_message_and_write))
#else
/* Listen-only build: the write pin is never touched, even with a key armed
 * (the frames still come through). */
static void test_listen_only(void) {
  start();
  KT_STREQ(log_, "TS IRQ1 ");
  message();
  KT_EQ(kb_link_write_arm(&link_, KB_KEY_0, 2, KB_CMD_STATUS, KB_CMD_PROG_STATUS, 1), KB_OK);
  message();
  KT_EQ(writes_on, 0);
  KT_EQ(writes_off, 0);
  KT_EQ(timer_starts, 2 * 84);
  KT_CHECK(kb_link_peek(&link_) != NULL);
  reset_fake();
  kbp_stop();
  KT_STREQ(log_, "IRQ0 TS ");
}

KT_MAIN(KT_CASE(test_listen_only))
#endif
