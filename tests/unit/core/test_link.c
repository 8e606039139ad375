/* SPDX-License-Identifier: MIT
 *
 * test_link.c - the link layer driven edge by edge, the way a port's
 * interrupts would: falling edge, module sample 250 us later (clock low),
 * rising edge at +500, panel sample at +750 (clock high), next falling edge at
 * +1000; after the last bit one trailing cycle that reads 1, then idle high.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "host/kb_wave.h"
#include "keybus/kb_link.h"

#define MAX_BITS 2048

typedef struct {
  kb_link_t l;
  uint32_t t; /* time of the next falling edge */
} bus_t;

static bus_t bus; /* kb_link_t is large for a test stack frame; one at a time */
static int abort_at = -1; /* wsend(): kb_link_write_abort() after this cycle's panel sample */

/* Clock idles high from t0; the first message starts gap_us later. */
static void bus_init(uint32_t t0, uint32_t gap_us) {
  kb_link_init(&bus.l);
  abort_at = -1;
  KT_EQ(kb_link_edge(&bus.l, true, t0), KB_LINK_WRITE_RELEASE);
  bus.t = t0 + gap_us;
}

/* One clock cycle at bus.t: module bit in the low phase, panel bit in the
 * high phase; high_us = length of the high phase (500 nominal). */
static void cycle(bool module_bit, bool panel_bit, uint32_t high_us) {
  KT_EQ(kb_link_edge(&bus.l, false, bus.t), KB_LINK_WRITE_RELEASE);
  kb_link_sample(&bus.l, false, module_bit);
  KT_EQ(kb_link_edge(&bus.l, true, bus.t + 500u), KB_LINK_WRITE_RELEASE);
  kb_link_sample(&bus.l, true, panel_bit);
  bus.t += 500u + high_us;
}

/* Sends n bits, `trailing` cycles that read 1 on both streams, then leaves
 * the clock high for gap_us (the message is published by the next boundary). */
static void send_bits(const uint8_t *pbits, const uint8_t *mbits, int n, int trailing,
                      uint32_t gap_us) {
  for (int i = 0; i < n; i++) cycle(mbits ? mbits[i] : 1, pbits[i], i == n - 1 && !trailing ? gap_us : 500u);
  for (int i = 0; i < trailing; i++) cycle(1, 1, i == trailing - 1 ? gap_us : 500u);
}

/* Bytes in document convention (index 1 = stop bit alone) to a bit string,
 * through the waveform generator's own bit order (src/host/kb_wave.h). */
static int to_bits(const uint8_t *bytes, int nbytes, uint8_t *bits) {
  int n = nbytes < 2 ? 8 * nbytes : 8 * nbytes - 7;
  for (int k = 0; k < n; k++) bits[k] = (uint8_t)kb_wave_bit(bytes, (unsigned)n, (unsigned)k);
  return n;
}

static int send_msg(const uint8_t *panel, const uint8_t *module, int nbytes, int trailing) {
  uint8_t pb[MAX_BITS], mb[MAX_BITS];
  int n = to_bits(panel, nbytes, pb);
  if (module) to_bits(module, nbytes, mb);
  send_bits(pb, module ? mb : NULL, n, trailing, 5000u);
  return n;
}

/* Ends the current message with a new boundary that starts nothing useful:
 * a falling edge followed by the idle. */
static void boundary(void) {
  KT_EQ(kb_link_edge(&bus.l, false, bus.t), KB_LINK_WRITE_RELEASE);
  KT_EQ(kb_link_edge(&bus.l, true, bus.t + 500u), KB_LINK_WRITE_RELEASE);
  bus.t += 500u + 5000u;
}

static kb_link_stats_t stats(void) {
  kb_link_stats_t s;
  kb_link_stats(&bus.l, &s);
  return s;
}

static void check_bytes(const uint8_t *got, const uint8_t *want, int n) {
  for (int i = 0; i < n; i++) {
    if (got[i] != want[i]) kt_fail(__FILE__, __LINE__, "byte %d: got 0x%02x want 0x%02x", i, got[i], want[i]);
  }
}

/* Publishes one frame of `panel` (with module bytes or all released) and
 * checks its bytes, bit counts and trailing bit. */
static void roundtrip(const uint8_t *panel, const uint8_t *module, int nbytes) {
  uint8_t ff[KB_FRAME_BYTES];
  memset(ff, 0xFF, sizeof ff);
  ff[1] = 1;
  bus_init(1000000u, 5000u);
  uint32_t t0 = bus.t;
  int n = send_msg(panel, module, nbytes, 1);
  KT_EQ(n, 8 * nbytes - 7);
  KT_CHECK(kb_link_peek(&bus.l) == NULL); /* published only by the next boundary */
  boundary();
  const kb_frame_t *f = kb_link_peek(&bus.l);
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(f->panel_bits, n + 1);
  KT_EQ(f->module_bits, n + 1);
  KT_EQ(f->t_start_us, t0);
  check_bytes(f->panel, panel, nbytes);
  check_bytes(f->module, module ? module : ff, nbytes);
  KT_EQ(f->panel[nbytes], 0x01); /* the trailing bit, in the partial byte */
  KT_EQ(f->module[nbytes], 0x01);
  KT_EQ(f->module_seen, module != NULL);
  kb_link_pop(&bus.l);
  KT_CHECK(kb_link_peek(&bus.l) == NULL);
  kb_link_stats_t s = stats();
  KT_EQ(s.messages, 2);
  KT_EQ(s.frames, 1);
  KT_EQ(s.runts, 0);
  KT_EQ(s.overflows, 0);
  KT_EQ(s.high_water, 1);
}

/* ------------------------------------------------------------------ tests */

static void test_bytes_6(void) {
  static const uint8_t m[] = {0x05, 0x00, 0x81, 0x01, 0x91, 0xC7};
  roundtrip(m, NULL, 6);
}

static void test_bytes_10(void) {
  static const uint8_t m[] = {0x0A, 0x00, 0x82, 0xE4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x70};
  roundtrip(m, NULL, 10);
}

static void test_bytes_15(void) {
  static const uint8_t m[] = {0x4C, 0x00, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
                              0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
  roundtrip(m, NULL, 15);
}

static void test_stop_bit_alone_in_byte_1(void) {
  static const uint8_t m1[] = {0xFF, 0x01, 0xFF, 0xFF};
  static const uint8_t m0[] = {0x00, 0x00, 0x00, 0x00};
  roundtrip(m1, NULL, 4);
  roundtrip(m0, NULL, 4);
}

static void test_trailing_bits_counted(void) {
  static const uint8_t m[] = {0x64, 0x00, 0x06, 0x6A};
  uint8_t pb[64];
  int n = to_bits(m, 4, pb);
  bus_init(0u, 3000u);
  send_bits(pb, NULL, n, 3, 5000u);
  pb[0] = 1; /* a second message, ended by finish() */
  send_bits(pb, NULL, 9, 0, 5000u);
  kb_link_finish(&bus.l);
  const kb_frame_t *f = kb_link_peek(&bus.l);
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(f->panel_bits, n + 3);
  check_bytes(f->panel, m, 4);
  KT_EQ(f->panel[4], 0x07);
  kb_link_pop(&bus.l);
  f = kb_link_peek(&bus.l);
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(f->panel_bits, 9);
  KT_EQ(f->panel[0], 0xE4); /* 1 + bits 1..7 of 0x64 */
  KT_EQ(f->panel[1], 0x00);
}

/* 0x11 with 58 bits after the stop bit: 7 full data bytes and 2 bits. */
static void test_0x11_not_byte_aligned(void) {
  uint8_t pb[128], mb[128];
  static const uint8_t want[] = {0x11, 0x00, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
  static const uint8_t mod[] = {0xFF, 0x01, 0x3F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  int n = to_bits(want, 9, pb);
  to_bits(mod, 9, mb);
  KT_EQ(n, 65);
  pb[n] = 1, mb[n] = 0, n++;
  pb[n] = 0, mb[n] = 1, n++;
  KT_EQ(n, 9 + 58);
  bus_init(500u, 2000u);
  send_bits(pb, mb, n, 0, 5000u);
  boundary();
  const kb_frame_t *f = kb_link_peek(&bus.l);
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(f->panel_bits, 67);
  KT_EQ(f->module_bits, 67);
  check_bytes(f->panel, want, 9);
  check_bytes(f->module, mod, 9);
  KT_EQ(f->panel[9], 0x02);
  KT_EQ(f->module[9], 0x01);
  KT_EQ(f->module_seen, 1);
}

static void long_message(int nbits, int want_bits) {
  static uint8_t pb[MAX_BITS], mb[MAX_BITS];
  for (int i = 0; i < nbits; i++) pb[i] = (uint8_t)((i * 7 + i / 3) & 1), mb[i] = (uint8_t)(i % 5 != 0);
  bus_init(77u, 1500u);
  send_bits(pb, mb, nbits, 0, 5000u);
  boundary();
  const kb_frame_t *f = kb_link_peek(&bus.l);
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(f->panel_bits, want_bits);
  KT_EQ(f->module_bits, want_bits);
  /* expected bytes from the first 8 * KB_FRAME_BYTES - 7 bits */
  uint8_t want_p[KB_FRAME_BYTES] = {0}, want_m[KB_FRAME_BYTES] = {0};
  for (int i = 0; i < 8 * KB_FRAME_BYTES - 7; i++) {
    int byte = i < 8 ? 0 : i == 8 ? 1 : 2 + (i - 9) / 8;
    want_p[byte] = (uint8_t)(want_p[byte] << 1 | pb[i]);
    want_m[byte] = (uint8_t)(want_m[byte] << 1 | mb[i]);
  }
  check_bytes(f->panel, want_p, KB_FRAME_BYTES);
  check_bytes(f->module, want_m, KB_FRAME_BYTES);
  KT_EQ(f->module_seen, 1);
  /* nothing spilled into the neighbouring slot (the next one is being filled
   * by the boundary's message: only its first bit so far, none) */
  kb_link_pop(&bus.l);
  KT_CHECK(kb_link_peek(&bus.l) == NULL);
}

static void test_cap_16_bytes(void) {
  long_message(8 * KB_FRAME_BYTES - 7, 8 * KB_FRAME_BYTES - 7);
  long_message(8 * KB_FRAME_BYTES - 7 + 1, 8 * KB_FRAME_BYTES - 6);
  long_message(200, 200);
  long_message(255, 255);
  long_message(256, 255);
  long_message(300, 255);
  long_message(1500, 255);
}

static void test_module_seen_only_when_zero(void) {
  static const uint8_t p[] = {0x05, 0x00, 0x81, 0x01, 0x91, 0xC7};
  static const uint8_t m[] = {0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0xFE};
  roundtrip(p, m, 6); /* one zero in the last module bit */
  static const uint8_t alarm[] = {0xBB, 0x01, 0xFF, 0xFF, 0xFF, 0xFF};
  roundtrip(p, alarm, 6);
}

static void test_runts_dropped(void) {
  uint8_t pb[16] = {1, 0, 1, 0, 1, 0, 1, 0, 1};
  bus_init(0u, 2000u);
  send_bits(pb, NULL, 7, 0, 5000u); /* 7 bits */
  send_bits(pb, NULL, 6, 1, 5000u); /* 6 + 1 trailing = 7 */
  send_bits(pb, NULL, 7, 1, 5000u); /* 8: kept */
  boundary();                       /* 0 bits */
  boundary();
  kb_link_stats_t s = stats();
  KT_EQ(s.messages, 5);
  KT_EQ(s.runts, 3);
  KT_EQ(s.frames, 1);
  const kb_frame_t *f = kb_link_peek(&bus.l);
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(f->panel_bits, 8);
  KT_EQ(f->panel[0], 0xAB);
  kb_link_pop(&bus.l);
  KT_CHECK(kb_link_peek(&bus.l) == NULL);
  kb_link_finish(&bus.l); /* message in progress has 0 bits: a runt */
  KT_EQ(stats().runts, 4);
  kb_link_finish(&bus.l); /* nothing in progress any more */
  s = stats();
  KT_EQ(s.runts, 4);
  KT_EQ(s.messages, s.frames + s.runts + s.overflows);
}

static void send_numbered(uint8_t id) {
  uint8_t m[6] = {id, 0x00, (uint8_t)~id, id, 0x5A, 0xA5};
  send_msg(m, NULL, 6, 1);
}

static void check_numbered(const kb_frame_t *f, uint8_t id) {
  KT_CHECK(f != NULL);
  if (!f) return;
  uint8_t m[6] = {id, 0x00, (uint8_t)~id, id, 0x5A, 0xA5};
  check_bytes(f->panel, m, 6);
  KT_EQ(f->panel_bits, 42);
  KT_EQ(f->panel[6], 0x01);
}

static void test_ring_full_overflow(void) {
  bus_init(123456u, 4000u);
  for (int i = 0; i < KB_FRAME_RING + 3; i++) send_numbered((uint8_t)i);
  boundary();
  kb_link_stats_t s = stats();
  KT_EQ(s.frames, KB_FRAME_RING);
  KT_EQ(s.overflows, 3);
  KT_EQ(s.high_water, KB_FRAME_RING);
  /* committed frames intact, oldest first; the peeked pointer is stable */
  const kb_frame_t *first = kb_link_peek(&bus.l);
  KT_CHECK(first == kb_link_peek(&bus.l));
  for (int i = 0; i < KB_FRAME_RING; i++) {
    check_numbered(kb_link_peek(&bus.l), (uint8_t)i);
    if (i == 0) { /* the interrupt keeps running while the task reads */
      send_numbered(0xEE);
      boundary();
      check_numbered(first, 0);
    }
    kb_link_pop(&bus.l);
  }
  KT_CHECK(kb_link_peek(&bus.l) == NULL);
  kb_link_pop(&bus.l); /* empty: no effect */
  KT_CHECK(kb_link_peek(&bus.l) == NULL);
  s = stats();
  KT_EQ(s.overflows, 3 + 1); /* 0xEE */
  KT_EQ(s.runts, 1);       /* the empty message before it */
  /* room again */
  send_numbered(0x42);
  boundary();
  check_numbered(kb_link_peek(&bus.l), 0x42);
}

static void test_high_water_and_index_wrap(void) {
  bus_init(0u, 1001u + 1000u);
  for (int i = 0; i < 3; i++) send_numbered((uint8_t)(10 + i));
  boundary();
  KT_EQ(stats().high_water, 3);
  for (int i = 0; i < 3; i++) {
    check_numbered(kb_link_peek(&bus.l), (uint8_t)(10 + i));
    kb_link_pop(&bus.l);
  }
  /* many laps around the ring with 0..5 frames waiting */
  int sent = 0, got = 0;
  for (int lap = 0; lap < 60; lap++) {
    int k = lap % 6;
    for (int i = 0; i < k; i++) send_numbered((uint8_t)(sent++));
    boundary();
    for (int i = 0; i < k; i++) {
      check_numbered(kb_link_peek(&bus.l), (uint8_t)(got++));
      kb_link_pop(&bus.l);
    }
  }
  KT_EQ(got, sent);
  KT_EQ(stats().high_water, 5);
  KT_EQ(stats().overflows, 0);
  /* 7 waiting with the ring index wrapped between tail and head */
  while (bus.l.head < 10) {
    send_numbered(0x77);
    boundary();
    kb_link_pop(&bus.l);
  }
  for (int i = 0; i < 7; i++) send_numbered((uint8_t)i);
  boundary();
  KT_CHECK(bus.l.head < bus.l.tail);
  KT_EQ(stats().high_water, 7);
  for (int i = 0; i < 7; i++) {
    check_numbered(kb_link_peek(&bus.l), (uint8_t)i);
    kb_link_pop(&bus.l);
  }
}

static void test_timestamp_wrap(void) {
  bus_init(0xFFFFFFFFu - 60000u, 2000u);
  uint32_t starts[4];
  for (int i = 0; i < 4; i++) {
    starts[i] = bus.t;
    send_numbered((uint8_t)i);
  }
  KT_CHECK(starts[3] < starts[0]); /* the counter wrapped during the run */
  boundary();
  for (int i = 0; i < 4; i++) {
    const kb_frame_t *f = kb_link_peek(&bus.l);
    check_numbered(f, (uint8_t)i);
    if (f) KT_EQ(f->t_start_us, starts[i]);
    kb_link_pop(&bus.l);
  }
  KT_EQ(stats().runts, 0);
  /* a high phase straddling the wrap inside a message does not split it */
  bus_init((uint32_t)0u - 30700u, 2000u);
  uint8_t pb[60];
  static const uint8_t m[] = {0x05, 0x00, 0x81, 0x01, 0x91, 0xC7};
  int n = to_bits(m, 6, pb);
  send_bits(pb, NULL, n, 1, 5000u);
  boundary();
  KT_EQ(stats().frames, 1);
  if (kb_link_peek(&bus.l)) check_bytes(kb_link_peek(&bus.l)->panel, m, 6);
}

static void test_short_high_does_not_split(void) {
  static const uint8_t m[] = {0x05, 0x00, 0x81, 0x01, 0x91, 0xC7};
  uint8_t pb[64];
  int n = to_bits(m, 6, pb);
  bus_init(10u, 2000u);
  for (int i = 0; i < n; i++) cycle(1, pb[i], i == 10 ? 900u : i == 20 ? KB_GAP_US : i == n - 1 ? 3000u : 500u);
  boundary();
  kb_link_stats_t s = stats();
  KT_EQ(s.frames, 1);
  KT_EQ(s.messages, 2);
  const kb_frame_t *f = kb_link_peek(&bus.l);
  KT_CHECK(f != NULL);
  if (!f) return;
  check_bytes(f->panel, m, 6);
  KT_EQ(f->panel_bits, n);
  kb_link_pop(&bus.l);
  /* one microsecond more splits it */
  for (int i = 0; i < n; i++) cycle(1, pb[i], i == 20 ? KB_GAP_US + 1u : i == n - 1 ? 3000u : 500u);
  boundary();
  s = stats();
  KT_EQ(s.messages, 5);
  KT_EQ(s.frames, 3);
  KT_EQ(s.runts, 1); /* the empty message started by boundary() */
  f = kb_link_peek(&bus.l);
  if (f) KT_EQ(f->panel_bits, 21);
}

/* Bits seen before the first boundary (attached mid-message) are discarded;
 * the first falling edge after init counts as a boundary even at time 0. */
static void test_start_of_capture(void) {
  uint8_t pb[40] = {0};
  kb_link_init(&bus.l);
  kb_link_sample(&bus.l, true, 1); /* mid-message: a panel sample first */
  kb_link_sample(&bus.l, false, 0);
  bus.t = 0;
  pb[0] = 1;
  send_bits(pb, NULL, 12, 0, 5000u);
  kb_link_finish(&bus.l);
  kb_link_stats_t s = stats();
  KT_EQ(s.messages, 1);
  KT_EQ(s.frames, 1);
  const kb_frame_t *f = kb_link_peek(&bus.l);
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(f->t_start_us, 0);
  KT_EQ(f->panel_bits, 12);
  KT_EQ(f->panel[0], 0x80);
  KT_EQ(f->module_seen, 0);
}

static void test_tick_connected_rule(void) {
  bus_init(5000000u, 2000u);
  KT_EQ(kb_link_tick(&bus.l, 5000000u), KB_LINK_NO_CHANGE);
  KT_CHECK(!kb_link_connected(&bus.l));
  KT_EQ(kb_link_tick(&bus.l, 9000000u), KB_LINK_NO_CHANGE); /* never connected */
  send_numbered(1);
  uint32_t now = bus.t;
  KT_EQ(kb_link_tick(&bus.l, now), KB_LINK_CONNECTED);
  KT_CHECK(kb_link_connected(&bus.l));
  KT_EQ(kb_link_tick(&bus.l, now + 10u), KB_LINK_NO_CHANGE);
  send_numbered(2);
  now = bus.t;
  KT_EQ(kb_link_tick(&bus.l, now), KB_LINK_NO_CHANGE); /* still connected */
  KT_EQ(kb_link_tick(&bus.l, now + KB_DISCONNECT_US), KB_LINK_NO_CHANGE);
  KT_CHECK(kb_link_connected(&bus.l));
  KT_EQ(kb_link_tick(&bus.l, now + KB_DISCONNECT_US + 1u), KB_LINK_DISCONNECTED);
  KT_CHECK(!kb_link_connected(&bus.l));
  KT_EQ(kb_link_tick(&bus.l, now + 2u * KB_DISCONNECT_US), KB_LINK_NO_CHANGE);
  /* the bus comes back, around the counter wrap */
  bus.t = 0xFFFFFFFFu - 1000u;
  send_numbered(3);
  KT_EQ(kb_link_tick(&bus.l, 0xFFFFFF00u), KB_LINK_CONNECTED);
  KT_EQ(kb_link_tick(&bus.l, 0xFFFFFF00u + KB_DISCONNECT_US), KB_LINK_NO_CHANGE);
  KT_EQ(kb_link_tick(&bus.l, 0xFFFFFF01u + KB_DISCONNECT_US), KB_LINK_DISCONNECTED);
}

static void test_finish_publishes_last(void) {
  static const uint8_t m[] = {0x27, 0x00, 0x81, 0x01, 0x91, 0xC7, 0x00, 0x01};
  bus_init(42u, 9000u);
  send_msg(m, NULL, 8, 1);
  KT_CHECK(kb_link_peek(&bus.l) == NULL);
  kb_link_finish(&bus.l);
  const kb_frame_t *f = kb_link_peek(&bus.l);
  KT_CHECK(f != NULL);
  if (!f) return;
  check_bytes(f->panel, m, 8);
  KT_EQ(f->panel_bits, 58);
  kb_link_stats_t s = stats();
  KT_EQ(s.messages, 1);
  KT_EQ(s.messages, s.frames + s.runts + s.overflows);
  /* samples after finish and before a boundary are not published */
  kb_link_sample(&bus.l, true, 0);
  kb_link_finish(&bus.l);
  KT_EQ(stats().frames, 1);
}

static void test_write_path_idle_and_armed(void) {
  bus_init(0u, 2000u);
  KT_CHECK(kb_link_write_idle(&bus.l));
  KT_EQ(kb_link_edge(&bus.l, false, bus.t), KB_LINK_WRITE_RELEASE); /* boundary */
  KT_EQ(kb_link_edge(&bus.l, true, bus.t + 500u), KB_LINK_WRITE_RELEASE);
  KT_EQ(kb_link_edge(&bus.l, false, bus.t + 1000u), KB_LINK_WRITE_RELEASE); /* in a message */
  KT_EQ(stats().messages, 1);
}

/* ---------------------------------------------------- write path (keys) */

/* Clocks a message like send_msg(), but the module bit of each low phase is
 * what the link drives (0 when the falling edge said pull low) AND'ed with
 * `other` (another keypad's bits, NULL = none). pulls[c] = 1 where the link
 * pulled. Returns the bit count. */
static int wsend(const uint8_t *panel, int nbytes, const uint8_t *other, uint8_t *pulls) {
  uint8_t pb[MAX_BITS], ob[MAX_BITS];
  int n = to_bits(panel, nbytes, pb);
  if (other) to_bits(other, nbytes, ob);
  for (int c = 0; c <= n; c++) { /* one trailing cycle */
    bool pull = kb_link_edge(&bus.l, false, bus.t) == KB_LINK_WRITE_PULL_LOW;
    if (pulls) pulls[c] = pull;
    kb_link_sample(&bus.l, false, !pull && (!other || c >= n || ob[c]));
    KT_EQ(kb_link_edge(&bus.l, true, bus.t + 500u), KB_LINK_WRITE_RELEASE);
    kb_link_sample(&bus.l, true, c < n ? pb[c] : 1);
    if (c == abort_at) kb_link_write_abort(&bus.l);
    bus.t += c == n ? 5500u : 1000u;
  }
  return n;
}

static const uint8_t st05[10] = {0x05, 0, 0x81, 0x01, 0x81, 0x01, 0x81, 0x01, 0x81, 0x01};
static const uint8_t st1b[10] = {0x1B, 0, 0x81, 0x01, 0x81, 0x01, 0x81, 0x01, 0x81, 0x01};
static const uint8_t st27[8] = {0x27, 0, 0x81, 0x01, 0x81, 0x01, 0x00, 0x2B};

static const kb_frame_t *next_frame(void) {
  boundary();
  return kb_link_peek(&bus.l);
}

static void test_write_arm_refusals(void) {
  bus_init(0u, 2000u);
  KT_EQ(kb_link_write_arm(&bus.l, 0x05, 1, 0x05, 0x0A, 1), KB_ERR_ARG);
  KT_EQ(kb_link_write_arm(&bus.l, 0x05, KB_FRAME_BYTES, 0x05, 0x0A, 1), KB_ERR_ARG);
  KT_EQ(kb_link_write_arm(&bus.l, 0x05, 2, 0x05, 0x0A, 0), KB_ERR_ARG);
  KT_CHECK(kb_link_write_idle(&bus.l));
  KT_EQ(kb_link_write_arm(&bus.l, 0x05, 2, 0x05, 0x0A, 1), KB_OK);
  KT_CHECK(!kb_link_write_idle(&bus.l));
  KT_EQ(kb_link_write_arm(&bus.l, 0x0A, 3, 0x05, 0x0A, 1), KB_ERR_BUSY); /* one at a time */
  kb_link_write_wipe(&bus.l); /* no effect while armed */
  KT_EQ(bus.l.wr_key, 0x05);
}

/* Key 0x16 for partition 2 (module byte 3, low phases 17..24 of 0x05/0x0A):
 * not driven in 0x27 nor 0x1B, driven bit for bit in the next 0x05. */
static void test_write_slot_bits(void) {
  uint8_t pulls[MAX_BITS];
  const kb_frame_t *f;
  bus_init(0u, 2000u);
  KT_EQ(kb_link_write_arm(&bus.l, 0x16, 3, 0x05, 0x0A, 1), KB_OK);
  for (int m = 0; m < 2; m++) {
    int n = m ? wsend(st1b, 10, NULL, pulls) : wsend(st27, 8, NULL, pulls);
    for (int c = 0; c <= n; c++) KT_EQ(pulls[c], 0);
    f = next_frame();
    KT_CHECK(f != NULL);
    KT_EQ(f->wrote, 0);
    KT_EQ(f->module_seen, 0);
    kb_link_pop(&bus.l);
    KT_CHECK(!kb_link_write_idle(&bus.l));
  }
  int n = wsend(st05, 10, NULL, pulls);
  for (int c = 0; c <= n; c++) {
    bool want = c >= 17 && c <= 24 && !((0x16u >> (7 - (c - 17))) & 1u);
    KT_EQ(pulls[c], want);
  }
  KT_CHECK(kb_link_write_idle(&bus.l)); /* disarmed by the interrupt */
  f = next_frame();
  KT_EQ(f->wrote, KB_FRAME_WROTE | 3);
  KT_EQ(KB_FRAME_WROTE_BYTE(f->wrote), 3);
  KT_EQ(f->module[3], 0x16);
  KT_EQ(f->module[2], 0xFF);
  KT_EQ(f->module[4], 0xFF);
  kb_link_pop(&bus.l);
  /* the next 0x05 is left alone; the slot's wrote flag was cleared by the pop */
  wsend(st05, 10, NULL, pulls);
  for (int c = 0; c <= n; c++) KT_EQ(pulls[c], 0);
  f = next_frame();
  KT_EQ(f->wrote, 0);
  KT_EQ(f->module[3], 0xFF);
  kb_link_pop(&bus.l);
  kb_link_write_wipe(&bus.l);
  KT_EQ(bus.l.wr_key, 0);
}

/* Every slot: partitions 5..8 in 0x1B bytes 2/3/8/9; the echo reads
 * another keypad's bits too. */
static void test_write_every_slot_and_echo(void) {
  static const uint8_t bytes[4] = {2, 3, 8, 9};
  for (int i = 0; i < 4; i++) {
    uint8_t other[10];
    bus_init(0u, 2000u);
    KT_EQ(kb_link_write_arm(&bus.l, 0xAF, bytes[i], 0x1B, 0x1B, 1), KB_OK);
    memset(other, 0xFF, sizeof other);
    other[bytes[i]] = 0xBF; /* another keypad pulls bit 6, a 1 of 0xAF */
    wsend(st1b, 10, other, NULL);
    const kb_frame_t *f = next_frame();
    KT_EQ(f->wrote, KB_FRAME_WROTE | bytes[i]);
    KT_EQ(f->module[bytes[i]], 0xAF & 0xBF); /* the echo differs: a collision */
    kb_link_pop(&bus.l);
    KT_CHECK(kb_link_write_idle(&bus.l));
  }
}

/* Alarm key: low phases 0..7 of the first message that begins after a panel
 * sample saw the key, and of the next message whatever its command. */
static void test_write_alarm_two_messages(void) {
  uint8_t pulls[MAX_BITS];
  static const uint8_t v1c[2] = {0x1C, 0};
  bus_init(0u, 2000u);
  wsend(st05, 10, NULL, NULL);
  KT_EQ(kb_link_write_arm(&bus.l, 0xBB, 0, 0, 0, 2), KB_OK); /* in the gap: no sample yet */
  int n = wsend(st05, 10, NULL, pulls); /* not primed at its boundary: skipped */
  for (int c = 0; c <= n; c++) KT_EQ(pulls[c], 0);
  for (int m = 0; m < 2; m++) {
    n = m ? wsend(v1c, 2, NULL, pulls) : wsend(st27, 8, NULL, pulls);
    for (int c = 0; c <= n; c++) KT_EQ(pulls[c], c < 8 && !((0xBBu >> (7 - c)) & 1u));
  }
  KT_CHECK(kb_link_write_idle(&bus.l));
  boundary();
  const kb_frame_t *f;
  int seen = 0;
  while ((f = kb_link_peek(&bus.l)) != NULL) {
    if (f->panel[0] == 0x27 || f->panel[0] == 0x1C) {
      KT_EQ(f->wrote, KB_FRAME_WROTE);
      KT_EQ(f->module[0], 0xBB);
      seen++;
    } else {
      KT_EQ(f->wrote, 0);
    }
    kb_link_pop(&bus.l);
  }
  KT_EQ(seen, 2);
}

/* A key whose bit 7 is 0 in the alarm slot is driven by the boundary edge
 * itself (the value the last panel sample planned). */
static void test_write_boundary_bit(void) {
  bus_init(0u, 2000u);
  KT_EQ(kb_link_write_arm(&bus.l, 0x3C, 0, 0, 0, 1), KB_OK);
  wsend(st27, 8, NULL, NULL); /* primes */
  KT_EQ(kb_link_edge(&bus.l, false, bus.t), KB_LINK_WRITE_PULL_LOW); /* boundary: bit 7 */
  kb_link_sample(&bus.l, false, 0);
  KT_EQ(kb_link_edge(&bus.l, true, bus.t + 500u), KB_LINK_WRITE_RELEASE);
  kb_link_sample(&bus.l, true, 0);
  KT_EQ(kb_link_edge(&bus.l, false, bus.t + 1000u), KB_LINK_WRITE_PULL_LOW); /* bit 6 */
}

/* A message that ends inside the slot: the key goes out again, whole, in
 * the next qualifying message. */
static void test_write_cut_short_retried(void) {
  uint8_t pulls[MAX_BITS];
  bus_init(0u, 2000u);
  int n;
  KT_EQ(kb_link_write_arm(&bus.l, 0x00, 8, 0x05, 0x0A, 1), KB_OK);
  uint8_t six[6] = {0x05, 0, 0x81, 0x01, 0x81, 0x01}; /* ends before byte 8 */
  wsend(six, 6, NULL, pulls);
  KT_CHECK(!kb_link_write_idle(&bus.l));
  n = wsend(st05, 10, NULL, pulls);
  for (int c = 0; c <= n; c++) KT_EQ(pulls[c], c >= 57 && c <= 64);
  KT_CHECK(kb_link_write_idle(&bus.l));
}

/* A message that ends inside the slot (as the link saw it): the key's first
 * bits went out and the panel may have read it whole, so it is not driven
 * again (a key goes on the bus at most once). The frame carries the tag with
 * a short echo (the consumer calls it unconfirmed); the path is idle. */
static void test_write_cut_inside_slot_not_repeated(void) {
  uint8_t pulls[MAX_BITS];
  bus_init(0u, 2000u);
  KT_EQ(kb_link_write_arm(&bus.l, 0x00, 8, 0x05, 0x0A, 1), KB_OK);
  int n = wsend(st05, 8, NULL, pulls); /* 57 bits: the trailing cycle 57 is the slot's first */
  KT_EQ(n, 57);
  KT_EQ(pulls[57], 1);
  n = wsend(st05, 10, NULL, pulls);
  for (int c = 0; c <= n; c++) KT_EQ(pulls[c], 0);
  KT_CHECK(kb_link_write_idle(&bus.l));
  boundary();
  const kb_frame_t *f = kb_link_peek(&bus.l);
  KT_CHECK(f != NULL);
  KT_EQ(f->wrote, KB_FRAME_WROTE | 8u);
  KT_CHECK(f->module_bits < kb_link_slot_cycle(8) + 8u);
  kb_link_pop(&bus.l);
  f = kb_link_peek(&bus.l);
  KT_CHECK(f != NULL);
  KT_EQ(f->wrote, 0);
  kb_link_pop(&bus.l);
}

/* Defect (issue 6, item 12): a message lost to a full ring reused its slot
 * without a pop, and its write tag stayed: the next message captured there
 * was published as if the link had written in it. */
static void test_write_tag_not_left_by_overflow(void) {
  bus_init(0u, 2000u);
  for (int i = 0; i < KB_FRAME_RING; i++) wsend(st27, 8, NULL, NULL);
  KT_EQ(kb_link_write_arm(&bus.l, 0x05, 2, 0x05, 0x0A, 1), KB_OK);
  wsend(st05, 10, NULL, NULL); /* published at the next boundary? no: the ring is full */
  wsend(st27, 8, NULL, NULL);
  KT_CHECK(stats().overflows >= 1u);
  KT_CHECK(kb_link_write_idle(&bus.l)); /* the key went out in the lost message */
  while (kb_link_peek(&bus.l)) kb_link_pop(&bus.l);
  wsend(st05, 10, NULL, NULL);
  boundary();
  const kb_frame_t *f;
  int seen = 0;
  while ((f = kb_link_peek(&bus.l)) != NULL) {
    KT_EQ(f->wrote, 0);
    seen++;
    kb_link_pop(&bus.l);
  }
  KT_CHECK(seen >= 1);
}

/* Cancel: taken at the next message start; nothing driven after it. */
static void test_write_cancel(void) {
  uint8_t pulls[MAX_BITS];
  bus_init(0u, 2000u);
  kb_link_write_cancel(&bus.l); /* idle: no effect */
  KT_EQ(bus.l.wr_cancel, 0);
  KT_EQ(kb_link_write_arm(&bus.l, 0x00, 2, 0x1B, 0x1B, 1), KB_OK);
  wsend(st05, 10, NULL, NULL);
  kb_link_write_cancel(&bus.l);
  KT_CHECK(!kb_link_write_idle(&bus.l));
  int n = wsend(st1b, 10, NULL, pulls);
  for (int c = 0; c <= n; c++) KT_EQ(pulls[c], 0);
  KT_CHECK(kb_link_write_idle(&bus.l));
  kb_link_write_wipe(&bus.l);
  KT_EQ(bus.l.wr_key, 0);
  /* armed again: works */
  KT_EQ(kb_link_write_arm(&bus.l, 0x00, 2, 0x1B, 0x1B, 1), KB_OK);
  n = wsend(st1b, 10, NULL, pulls);
  for (int c = 0; c <= n; c++) KT_EQ(pulls[c], c >= 9 && c <= 16);
}

/* kb_link_quiet_us(): time since the boundary the last tick noticed. */
static void test_quiet_us(void) {
  bus_init(0u, 2000u);
  KT_EQ(kb_link_quiet_us(&bus.l, 5000u), 0);
  wsend(st05, 10, NULL, NULL);
  (void)kb_link_tick(&bus.l, 100000u);
  KT_EQ(kb_link_quiet_us(&bus.l, 350000u), 250000u);
}

/* finish() on a full ring, and with the ring index wrapping. */
static void test_finish_ring_edges(void) {
  bus_init(0u, 2000u);
  for (int i = 0; i < KB_FRAME_RING; i++) send_numbered((uint8_t)i);
  kb_link_finish(&bus.l); /* publishes the 16th: the ring is full */
  kb_link_stats_t s = stats();
  KT_EQ(s.frames, KB_FRAME_RING);
  KT_EQ(s.overflows, 0);
  send_numbered(0xF0); /* (the finish left no message in progress) */
  kb_link_finish(&bus.l);
  s = stats();
  KT_EQ(s.frames, KB_FRAME_RING);
  KT_EQ(s.overflows, 1);
  for (int i = 0; i < KB_FRAME_RING; i++) {
    check_numbered(kb_link_peek(&bus.l), (uint8_t)i);
    kb_link_pop(&bus.l);
  }
  KT_EQ(bus.l.head, KB_FRAME_RING);
  send_numbered(0xF3);
  kb_link_finish(&bus.l); /* head wraps to 0 */
  KT_EQ(bus.l.head, 0);
  check_numbered(kb_link_peek(&bus.l), 0xF3);
  KT_EQ(stats().high_water, KB_FRAME_RING);
}


/* ------------------------------------------- regressions (code review) */

/* Defect (next request took the previous request's echo): every arm has a
 * generation (modulo 4) that the interrupt puts into frame.wrote next to the
 * slot byte; the byte keeps its meaning for the engine. */
static void test_write_previous_echo_generation(void) {
  static const uint8_t bytes[5] = {2, 3, 8, 9, 2};
  bus_init(0u, 2000u);
  KT_EQ(kb_link_write_tag(&bus.l), 0);
  for (int i = 0; i < 6; i++) {
    uint8_t b = i < 5 ? bytes[i] : 0;
    KT_EQ(kb_link_write_arm(&bus.l, 0x16, b, 0x05, 0x0A, 1), KB_OK);
    uint8_t tag = kb_link_write_tag(&bus.l);
    KT_EQ(tag, KB_FRAME_WROTE | (i & 3) << 5 | b);
    wsend(st27, 8, NULL, NULL); /* primes the alarm slot (i = 5) */
    wsend(st05, 10, NULL, NULL);
    KT_CHECK(kb_link_write_idle(&bus.l));
    const kb_frame_t *f;
    int seen = 0;
    boundary();
    while ((f = kb_link_peek(&bus.l)) != NULL) {
      if (f->wrote) {
        seen++;
        KT_EQ(f->wrote, tag);
        KT_EQ(KB_FRAME_WROTE_GEN(f->wrote), i & 3);
        KT_EQ(KB_FRAME_WROTE_BYTE(f->wrote), b);
        KT_EQ(f->module[b], 0x16);
      }
      kb_link_pop(&bus.l);
    }
    KT_EQ(seen, 1);
  }
}

/* Defect (code digit left in the link): kb_link_write_abort() replaces the
 * key with 0xFF at once, so that nothing can pull the line low any more,
 * and asks for the cancel; while idle it wipes. */
static void test_write_code_digit_left_armed(void) {
  uint8_t pulls[MAX_BITS];
  bus_init(0u, 2000u);
  /* no clock: the path stays armed, but the key is gone */
  KT_EQ(kb_link_write_arm(&bus.l, 0x1C, 2, 0x05, 0x0A, 1), KB_OK);
  kb_link_write_abort(&bus.l);
  KT_CHECK(!kb_link_write_idle(&bus.l));
  KT_EQ(bus.l.wr_key, 0xFF);
  KT_EQ(bus.l.wr_cancel, 1);
  int n = wsend(st05, 10, NULL, pulls); /* the clock comes back: cancel taken */
  for (int c = 0; c <= n; c++) KT_EQ(pulls[c], 0);
  KT_CHECK(kb_link_write_idle(&bus.l));
  kb_link_write_wipe(&bus.l);
  KT_EQ(bus.l.wr_key, 0);
  /* inside the slot being driven: the rest of it is released */
  KT_EQ(kb_link_write_arm(&bus.l, 0x00, 2, 0x05, 0x0A, 1), KB_OK);
  abort_at = 11; /* after the plan for cycle 12: that plan is cleared too */
  n = wsend(st05, 10, NULL, pulls);
  abort_at = -1;
  for (int c = 0; c <= n; c++) KT_EQ(pulls[c], c >= 9 && c <= 11);
  KT_CHECK(kb_link_write_idle(&bus.l)); /* the slot ended the write */
  KT_EQ(bus.l.wr_key, 0xFF);
  /* alarm slot: a key whose bit 7 is 0 is driven by a boundary; not once aborted */
  KT_EQ(kb_link_write_arm(&bus.l, 0x3C, 0, 0, 0, 1), KB_OK);
  wsend(st27, 8, NULL, NULL); /* primes */
  kb_link_write_abort(&bus.l);
  n = wsend(st27, 8, NULL, pulls); /* its boundary bit was planned: cleared */
  for (int c = 0; c <= n; c++) KT_EQ(pulls[c], 0);
  KT_CHECK(kb_link_write_idle(&bus.l));
  /* idle: the abort wipes */
  kb_link_write_abort(&bus.l);
  KT_EQ(bus.l.wr_key, 0);
}

/* Defect (code echo left in the ring): pop overwrites the written slot's
 * module byte with 0xFF (after the consumer has read the echo). */
static void test_write_echo_left_in_ring(void) {
  bus_init(0u, 2000u);
  KT_EQ(kb_link_write_arm(&bus.l, 0x11, 3, 0x05, 0x0A, 1), KB_OK);
  wsend(st05, 10, NULL, NULL);
  uint8_t idx = bus.l.tail;
  const kb_frame_t *f = next_frame();
  KT_CHECK(f == &bus.l.slot[idx]);
  KT_EQ(f->module[3], 0x11); /* readable until the pop */
  KT_EQ(f->module[2], 0xFF);
  kb_link_pop(&bus.l);
  KT_EQ(bus.l.slot[idx].module[3], 0xFF);
  KT_EQ(bus.l.slot[idx].wrote, 0);
  for (int i = 0; i < KB_FRAME_RING + 1; i++)
    for (int b = 0; b < KB_FRAME_BYTES; b++) KT_CHECK(bus.l.slot[i].module[b] != 0x11);
}

/* Defect (8n-7 in two places): one helper gives a slot's first cycle. */
static void test_slot_cycle_duplicated(void) {
  KT_EQ(kb_link_slot_cycle(0), 0);
  KT_EQ(kb_link_slot_cycle(2), 9);
  KT_EQ(kb_link_slot_cycle(3), 17);
  KT_EQ(kb_link_slot_cycle(8), 57);
  KT_EQ(kb_link_slot_cycle(9), 65);
  KT_EQ(kb_link_slot_cycle(KB_FRAME_BYTES - 1), 8 * (KB_FRAME_BYTES - 1) - 7);
}

KT_MAIN(KT_CASE(test_bytes_6), KT_CASE(test_bytes_10), KT_CASE(test_bytes_15),
        KT_CASE(test_stop_bit_alone_in_byte_1), KT_CASE(test_trailing_bits_counted),
        KT_CASE(test_0x11_not_byte_aligned), KT_CASE(test_cap_16_bytes),
        KT_CASE(test_module_seen_only_when_zero), KT_CASE(test_runts_dropped),
        KT_CASE(test_ring_full_overflow), KT_CASE(test_high_water_and_index_wrap),
        KT_CASE(test_timestamp_wrap), KT_CASE(test_short_high_does_not_split),
        KT_CASE(test_start_of_capture), KT_CASE(test_tick_connected_rule),
        KT_CASE(test_finish_publishes_last), KT_CASE(test_write_path_idle_and_armed),
        KT_CASE(test_finish_ring_edges), KT_CASE(test_write_arm_refusals),
        KT_CASE(test_write_slot_bits), KT_CASE(test_write_every_slot_and_echo),
        KT_CASE(test_write_alarm_two_messages), KT_CASE(test_write_boundary_bit),
        KT_CASE(test_write_cut_short_retried), KT_CASE(test_write_cut_inside_slot_not_repeated),
        KT_CASE(test_write_tag_not_left_by_overflow), KT_CASE(test_write_cancel), KT_CASE(test_quiet_us),
        KT_CASE(test_write_previous_echo_generation), KT_CASE(test_write_code_digit_left_armed),
        KT_CASE(test_write_echo_left_in_ring), KT_CASE(test_slot_cycle_duplicated))
