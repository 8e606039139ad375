/* SPDX-License-Identifier: MIT
 *
 * test_cls_link.c - the Classic link (kb_cls_link.h) driven directly, as a
 * port's interrupts would: frame boundaries by the gap threshold, D/P/K
 * bits MSB first, frames longer than 16 bits counted not stored, runts,
 * the ring (empty, full), the write path (A7: bits of the armed key on the
 * falling edges of keypad slots 1-8, released on every rising edge, busy,
 * abort), the connected rule and the counters.
 */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "keybus/kb_cls_link.h"

static kb_cls_link_t lk;
static uint32_t t;
static uint8_t pulls[32]; /* write line per edge of the last frame */

/* Clocks n cycles: data/pc16 bits from d/p (MSB first), keypad bits from
 * k unless the link pulls; then a gap. */
static void clock_frame(unsigned n, uint16_t d, uint16_t p, uint16_t k, uint32_t gap) {
  for (unsigned c = 0; c < n; c++) {
    int pull = kb_cls_link_edge(&lk, false, t) == KB_LINK_WRITE_PULL_LOW;
    int kb = c < 16u ? (k >> (15u - c)) & 1u : 1;
    if (c < 32u) pulls[2 * (c % 16u)] = (uint8_t)pull;
    kb_cls_link_sample(&lk, false, kb && !pull, true);
    t += 780;
    KT_EQ(kb_cls_link_edge(&lk, true, t), KB_LINK_WRITE_RELEASE);
    kb_cls_link_sample(&lk, true, c < 16u ? (d >> (15u - c)) & 1u : 1, c < 16u ? (p >> (15u - c)) & 1u : 1);
    t += c + 1u < n ? 780u : gap;
  }
}

static void start(void) {
  kb_cls_link_init(&lk, 0);
  t = 5000;
  memset(pulls, 0, sizeof pulls);
}

static void bits_and_boundaries(void) {
  const kb_cls_frame_t *f;
  start();
  KT_CHECK(kb_cls_link_peek(&lk) == NULL);
  kb_cls_link_pop(&lk); /* empty: nothing happens */
  clock_frame(16, 0x80C0, 0x0021, 0xD7FF, 26500);
  KT_CHECK(kb_cls_link_peek(&lk) == NULL); /* published by the next boundary */
  clock_frame(20, 0x1234, 0x5678, 0xFFFF, 26500);
  f = kb_cls_link_peek(&lk);
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(f->d[0], 0x80);
  KT_EQ(f->d[1], 0xC0);
  KT_EQ(f->p[0], 0x00);
  KT_EQ(f->p[1], 0x21);
  KT_EQ(f->k[0], 0xD7);
  KT_EQ(f->k[1], 0xFF);
  KT_EQ(f->bits, 16);
  KT_EQ(f->kbits, 16);
  KT_EQ(f->wrote, 0);
  kb_cls_link_pop(&lk);
  kb_cls_link_finish(&lk);
  f = kb_cls_link_peek(&lk);
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(f->bits, 20); /* counted, the first 16 stored */
  KT_EQ(f->d[0], 0x12);
  KT_EQ(f->p[1], 0x78);
  kb_cls_link_pop(&lk);
  KT_EQ(lk.frames, 2);
  KT_EQ(lk.messages, 2);
}

static void runts_overflow_stats(void) {
  kb_link_stats_t st;
  start();
  clock_frame(5, 0, 0, 0xFFFF, 26500);
  clock_frame(16, 0, 0, 0xFFFF, 26500); /* publishes the runt: dropped */
  KT_EQ(lk.runts, 1);
  for (int i = 0; i < KB_CLS_RING + 2; i++) clock_frame(16, 0, 0, 0xFFFF, 26500);
  KT_EQ(lk.frames, KB_CLS_RING);
  KT_EQ(lk.overflows, 2);
  kb_cls_link_stats(&lk, &st);
  KT_EQ(st.frames, KB_CLS_RING);
  KT_EQ(st.overflows, 2);
  KT_EQ(st.runts, 1);
  KT_EQ(st.high_water, KB_CLS_RING);
  KT_EQ(st.messages, KB_CLS_RING + 4);
}

/* The gap threshold is the panel type's: 1000 us cuts a frame at a 1.5 ms
 * high phase that 2000 us keeps. */
static void gap_per_panel(void) {
  kb_cls_link_init(&lk, 1000);
  KT_EQ(lk.gap_us, 1000);
  t = 5000;
  clock_frame(8, 0, 0, 0xFFFF, 1500);
  clock_frame(8, 0, 0, 0xFFFF, 26500);
  kb_cls_link_finish(&lk);
  KT_EQ(lk.frames, 2);
  kb_cls_link_init(&lk, 0);
  KT_EQ(lk.gap_us, KB_CLS_GAP_US);
  t = 5000;
  clock_frame(8, 0, 0, 0xFFFF, 1500);
  clock_frame(8, 0, 0, 0xFFFF, 26500);
  kb_cls_link_finish(&lk);
  KT_EQ(lk.frames, 1);
}

/* A7: the armed key's bits, MSB first, on the falling edges of slots 1-8 of
 * the next frame; released on every rising edge; the frame carries wrote
 * and the echo. */
static void write_key(void) {
  const kb_cls_frame_t *f;
  start();
  clock_frame(16, 0, 0, 0xFFFF, 26500);
  KT_CHECK(kb_cls_link_write_idle(&lk));
  KT_EQ(kb_cls_link_write_arm(&lk, 0xD7), KB_OK); /* 0 = 11010111 */
  KT_EQ(kb_cls_link_write_arm(&lk, 0xBE), KB_ERR_BUSY);
  KT_CHECK(!kb_cls_link_write_idle(&lk));
  clock_frame(16, 0, 0, 0xFFFF, 26500);
  {
    static const uint8_t want[8] = {0, 0, 1, 0, 1, 0, 0, 0}; /* pull where the bit is 0 */
    for (unsigned i = 0; i < 8; i++) KT_EQ(pulls[2 * i], want[i]);
    for (unsigned i = 8; i < 16; i++) KT_EQ(pulls[2 * i], 0);
  }
  KT_CHECK(kb_cls_link_write_idle(&lk));
  clock_frame(16, 0, 0, 0xFFFF, 26500);
  kb_cls_link_pop(&lk); /* the frame before the key */
  f = kb_cls_link_peek(&lk);
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(f->wrote, 1);
  KT_EQ(f->k[0], 0xD7);
  kb_cls_link_pop(&lk);
  KT_EQ(lk.slot[(lk.tail + KB_CLS_RING) % (KB_CLS_RING + 1)].k[0], 0xFF); /* the echo wiped at pop */
  f = kb_cls_link_peek(&lk);
  KT_CHECK(f == NULL || f->wrote == 0);
}

/* An aborted key only releases; the path goes idle after its frame. */
static void write_abort(void) {
  start();
  clock_frame(16, 0, 0, 0xFFFF, 26500);
  kb_cls_link_write_abort(&lk); /* idle: nothing */
  KT_EQ(kb_cls_link_write_arm(&lk, 0x00), KB_OK);
  kb_cls_link_write_abort(&lk);
  KT_EQ(lk.wr_key, 0xFF);
  clock_frame(16, 0, 0, 0xFFFF, 26500);
  for (unsigned i = 0; i < 16; i++) KT_EQ(pulls[2 * i], 0);
  KT_CHECK(kb_cls_link_write_idle(&lk));
}

/* A frame that ends inside the slots: the key is spent, not continued in
 * the next frame. */
static void write_cut_short(void) {
  start();
  clock_frame(16, 0, 0, 0xFFFF, 26500);
  KT_EQ(kb_cls_link_write_arm(&lk, 0x00), KB_OK);
  clock_frame(3, 0, 0, 0xFFFF, 26500); /* 3 slots driven, then a gap */
  KT_EQ(pulls[0], 1);
  KT_EQ(pulls[4], 1);
  KT_CHECK(!kb_cls_link_write_idle(&lk));
  clock_frame(16, 0, 0, 0xFFFF, 26500);
  /* the rest of the key is not driven into the next frame */
  for (unsigned i = 0; i < 16; i++) KT_EQ(pulls[2 * i], 0);
  KT_CHECK(kb_cls_link_write_idle(&lk));
}

static void connected_rule(void) {
  start();
  KT_EQ(kb_cls_link_tick(&lk, 1000), KB_LINK_NO_CHANGE);
  clock_frame(16, 0, 0, 0xFFFF, 26500);
  KT_EQ(kb_cls_link_tick(&lk, t), KB_LINK_CONNECTED);
  KT_EQ(kb_cls_link_tick(&lk, t + 1000), KB_LINK_NO_CHANGE);
  clock_frame(16, 0, 0, 0xFFFF, 26500);
  KT_EQ(kb_cls_link_tick(&lk, t), KB_LINK_NO_CHANGE);
  KT_EQ(kb_cls_link_tick(&lk, t + KB_DISCONNECT_US + 1u), KB_LINK_DISCONNECTED);
  KT_EQ(kb_cls_link_tick(&lk, t + 2u * KB_DISCONNECT_US), KB_LINK_NO_CHANGE);
}

KT_MAIN(KT_CASE(bits_and_boundaries), KT_CASE(runts_overflow_stats), KT_CASE(gap_per_panel),
        KT_CASE(write_key), KT_CASE(write_abort), KT_CASE(write_cut_short), KT_CASE(connected_rule))
