/* SPDX-License-Identifier: MIT
 *
 * test_edges_idle.c - the replay adaptor (src/host/kb_edges.h) makes the
 * link's idle call at its own time, decided in 64-bit capture time: the
 * message is published at its last rising edge + KB_GAP_US + 1, whatever
 * the length of the gap after it (even past 2^32 us, where the core's 32-bit
 * clock alone would see a short gap), and a replay takes it at the first
 * task step of the gap, as before.
 */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "host/kb_edges.h"
#include "keybus/kb_link.h"
#include "keybus/kb_proto.h"

static kb_link_t link_;
static kb_edges_t ad;
static uint64_t now;

static void feed(uint8_t wire, int level, uint64_t t) {
  kb_edge_t e = {t, wire, (uint8_t)(level != 0)};
  kb_edges_feed(&ad, &e);
}

/* 0x05 status (6 bytes: 41 bits) + the trailing cell; returns the trailing
 * rising edge's time. */
static uint64_t message(void) {
  static const uint8_t msg[] = {KB_CMD_STATUS, 0x00, 0x81, 0x01, 0x10, 0xC7};
  uint64_t rise = 0;
  unsigned k = 0;
  for (unsigned b = 0; b < sizeof msg; b++) {
    for (int i = 7; i >= 0; i--) {
      int bit;
      if (b == 1 && i != 0) continue; /* byte 1: the stop bit alone */
      bit = (msg[b] >> i) & 1;
      feed(KB_EDGE_CLOCK, 0, now);
      feed(KB_EDGE_CLOCK, 1, now + 500u);
      feed(KB_EDGE_DATA, bit, now + 600u);
      now += 1000u;
      k++;
    }
  }
  feed(KB_EDGE_CLOCK, 0, now);
  feed(KB_EDGE_DATA, 1, now + 100u);
  feed(KB_EDGE_CLOCK, 1, now + 500u);
  rise = now + 500u;
  now += 1000u;
  KT_EQ(k, 41);
  return rise;
}

static void expect_frame(void) {
  const kb_frame_t *f = kb_link_peek(&link_);
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(f->panel[0], KB_CMD_STATUS);
  KT_EQ(f->panel[5], 0xC7);
  KT_EQ(f->panel_bits, 42);
  kb_link_pop(&link_);
}

static void setup(uint64_t t0) {
  kb_link_init(&link_);
  kb_edges_init(&ad, &link_);
  now = t0;
  feed(KB_EDGE_CLOCK, 1, t0); /* idle high (a duplicate) */
  now += 5000u;
}

/* At rise + KB_GAP_US + 1 exactly, not before; once. */
static void test_edges_idle_time(void) {
  uint64_t rise;
  setup(1000000u);
  rise = message();
  kb_edges_advance(&ad, rise + KB_GAP_US);
  KT_CHECK(kb_link_peek(&link_) == NULL);
  KT_EQ(ad.port.idles, 0);
  kb_edges_advance(&ad, rise + KB_GAP_US + 1u);
  KT_EQ(ad.port.idles, 1);
  expect_frame();
  kb_edges_advance(&ad, rise + 100000u);
  KT_EQ(ad.port.idles, 1);
  KT_CHECK(kb_link_peek(&link_) == NULL);
}

/* A gap longer than 2^32 us after the message: the 64-bit decision takes
 * the sample and the idle call at their own times (the core's clock would
 * see the gap modulo 2^32: 100 us). */
static void test_edges_idle_long_gap(void) {
  uint64_t rise;
  setup(((uint64_t)1 << 40) + 12345u);
  rise = message();
  kb_edges_advance(&ad, rise + ((uint64_t)1 << 32) + 100u);
  KT_EQ(ad.port.idles, 1);
  expect_frame();
  /* the next message, far later (the core's clock sees 5 ms): whole */
  now = rise + ((uint64_t)1 << 32) + 5000u;
  (void)message();
  kb_edges_finish(&ad);
  expect_frame();
  KT_CHECK(kb_link_peek(&link_) == NULL);
}

/* A replay takes the frame at the first task step of the gap (the idle
 * call published it), as before the idle call existed. */
static uint64_t frame_at[8];
static unsigned nframes;
static void on_frame(void *ctx, const kb_frame_t *f, uint64_t t_us) {
  (void)ctx;
  if (nframes < 8 && f->panel_bits == 42) frame_at[nframes++] = t_us;
}

static void test_replay_frame_at_first_step(void) {
  static kb_replay_t r;
  kb_edge_t e;
  uint64_t t = 7000000u, rise;
  nframes = 0;
  kb_replay_init(&r, on_frame, NULL, NULL);
  /* the message, then a 1 s gap, then one edge */
  e = (kb_edge_t){t, KB_EDGE_CLOCK, 1};
  kb_replay_edge(&r, &e);
  t += 5000u;
  for (unsigned k = 0; k < 42; k++) {
    e = (kb_edge_t){t, KB_EDGE_CLOCK, 0};
    kb_replay_edge(&r, &e);
    e = (kb_edge_t){t + 500u, KB_EDGE_CLOCK, 1};
    kb_replay_edge(&r, &e);
    t += 1000u;
  }
  rise = t - 500u;
  e = (kb_edge_t){rise + 1000000u, KB_EDGE_CLOCK, 0};
  kb_replay_edge(&r, &e);
  KT_EQ(nframes, 1);
  KT_EQ(frame_at[0], rise + KB_REPLAY_STEP_US); /* the first task step after the last edge */
  KT_EQ(r.adapt.port.idles, 1);
}

KT_MAIN(KT_CASE(test_edges_idle_time), KT_CASE(test_edges_idle_long_gap),
        KT_CASE(test_replay_frame_at_first_step))
