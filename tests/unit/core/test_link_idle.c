/* SPDX-License-Identifier: MIT
 *
 * test_link_idle.c - the link's idle call (kb_link_idle, kb_link_isr_idle):
 * a message is published KB_GAP_US after its last rising edge instead of at
 * the next message's first falling edge, exactly as the boundary would have
 * published it. The bus is clocked as a port's interrupts would: falling
 * edge, module sample +250, rising edge +500, panel sample +750; one
 * trailing cycle after the last bit, then the clock idles high.
 *
 * The equivalence tests run the same stimulus twice, once without and once
 * with the idle call in every gap, and compare everything the link says:
 * what each edge asks of the write line, every frame (bytes, bit counts,
 * write tag, start time), the counters, the write path's state.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "host/kb_wave.h"
#include "keybus/kb_link.h"
#include "keybus/kb_link_isr.h"

#define MAX_BITS 512

static kb_link_t lk;      /* large for a test stack frame */
static uint32_t t_next;   /* time of the next falling edge */
static uint32_t t_rise;   /* last rising edge */

static void start(uint32_t t0) {
  kb_link_init(&lk);
  KT_EQ(kb_link_edge(&lk, true, t0), KB_LINK_WRITE_RELEASE);
  t_rise = t0;
  t_next = t0 + 5000u;
}

static int to_bits(const uint8_t *bytes, int nbytes, uint8_t *bits) {
  int n = nbytes < 2 ? 8 * nbytes : 8 * nbytes - 7;
  for (int k = 0; k < n; k++) bits[k] = (uint8_t)kb_wave_bit(bytes, (unsigned)n, (unsigned)k);
  return n;
}

/* Clocks `panel` (nbits bits, or all of nbytes when nbits < 0) plus one
 * trailing cycle; the module bit of each low phase is released unless the
 * link pulls it. pulls[c] = what edge c asked (NULL: not kept). Leaves the
 * clock high, the next falling edge gap_us after the trailing rising edge. */
static int clock_msg(const uint8_t *panel, int nbytes, int nbits, uint32_t gap_us, uint8_t *pulls) {
  uint8_t pb[MAX_BITS];
  int n = to_bits(panel, nbytes, pb);
  if (nbits >= 0 && nbits < n) n = nbits;
  for (int c = 0; c <= n; c++) {
    bool pull = kb_link_edge(&lk, false, t_next) == KB_LINK_WRITE_PULL_LOW;
    if (pulls) pulls[c] = pull;
    kb_link_sample(&lk, false, !pull);
    KT_EQ(kb_link_edge(&lk, true, t_next + 500u), KB_LINK_WRITE_RELEASE);
    t_rise = t_next + 500u;
    kb_link_sample(&lk, true, c < n ? pb[c] : 1);
    t_next += c == n ? 500u + gap_us : 1000u;
  }
  return n;
}

static const uint8_t st05[10] = {0x05, 0, 0x81, 0x01, 0x81, 0x01, 0x81, 0x01, 0x81, 0x01};
static const uint8_t st0a[10] = {0x0A, 0, 0x81, 0x01, 0x81, 0x01, 0x81, 0x01, 0x81, 0x01};
static const uint8_t st27[8] = {0x27, 0, 0x81, 0x01, 0x81, 0x01, 0x00, 0x2B};
static const uint8_t v1c[2] = {0x1C, 0};

static kb_link_stats_t stats(void) {
  kb_link_stats_t s;
  kb_link_stats(&lk, &s);
  return s;
}

static int ring_count(void) {
  int n = (int)lk.head - (int)lk.tail;
  return n < 0 ? n + KB_LINK_RING_SLOTS : n;
}

/* ------------------------------------------------------------ basics */

/* Published at rise + KB_GAP_US + 1, not at rise + KB_GAP_US; once; the
 * next boundary only starts the next message; `messages` counts starts. */
static void test_idle_publishes_after_gap(void) {
  start(1000000u);
  uint32_t t0 = t_next;
  clock_msg(st05, 10, -1, 5000u, NULL);
  KT_EQ(stats().messages, 1);
  KT_CHECK(!kb_link_idle(&lk, true, t_rise + 251u)); /* inside the gap: too early */
  KT_CHECK(!kb_link_idle(&lk, true, t_rise + KB_GAP_US));
  KT_CHECK(kb_link_peek(&lk) == NULL);
  KT_CHECK(kb_link_idle(&lk, true, t_rise + KB_GAP_US + 1u));
  const kb_frame_t *f = kb_link_peek(&lk);
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(f->panel_bits, 74); /* 73 bits + the trailing one */
  KT_EQ(f->module_bits, 74);
  KT_EQ(f->t_start_us, t0);
  KT_EQ(memcmp(f->panel, st05, 10), 0);
  KT_EQ(stats().frames, 1);
  KT_EQ(stats().messages, 1);
  /* again, later in the same gap: nothing more */
  KT_CHECK(!kb_link_idle(&lk, true, t_rise + KB_GAP_US + 2u));
  KT_CHECK(!kb_link_idle(&lk, true, t_rise + 4000u));
  KT_EQ(ring_count(), 1);
  kb_link_pop(&lk);
  /* the next message: its boundary publishes nothing, it is captured whole */
  uint32_t t1 = t_next;
  clock_msg(st27, 8, -1, 5000u, NULL);
  KT_EQ(stats().messages, 2);
  KT_CHECK(kb_link_peek(&lk) == NULL); /* not published twice, nor early */
  KT_EQ(stats().frames, 1);
  KT_CHECK(kb_link_idle(&lk, true, t_rise + KB_GAP_US + 1u));
  f = kb_link_peek(&lk);
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(f->t_start_us, t1);
  KT_EQ(f->panel_bits, 58);
  KT_EQ(memcmp(f->panel, st27, 8), 0);
  kb_link_pop(&lk);
  /* the boundary after it: nothing published */
  KT_EQ(kb_link_edge(&lk, false, t_next), KB_LINK_WRITE_RELEASE);
  KT_CHECK(kb_link_peek(&lk) == NULL);
  KT_EQ(stats().messages, 3);
  KT_EQ(stats().frames, 2);
  KT_EQ(stats().runts, 0);
  KT_EQ(stats().overflows, 0);
}

/* Nothing to do: before the first boundary (the unpublished capture), with
 * the clock low (a bit cell longer than the gap, or a lost rising edge),
 * and after kb_link_finish(). */
static void test_idle_nothing_to_do(void) {
  kb_link_init(&lk);
  KT_CHECK(!kb_link_idle(&lk, true, 0u));
  KT_CHECK(!kb_link_idle(&lk, true, 123456u));
  start(5000u);
  KT_CHECK(!kb_link_idle(&lk, true, t_next - 1u)); /* idle bus, no message yet */
  clock_msg(st05, 10, -1, 5000u, NULL);
  /* the clock went low (its edge still pending, or lost): not over */
  KT_CHECK(!kb_link_idle(&lk, false, t_rise + KB_GAP_US + 1u));
  KT_CHECK(!kb_link_idle(&lk, false, t_rise + 3000u));
  KT_CHECK(kb_link_peek(&lk) == NULL);
  /* the task ends the replay: finish publishes, idle then has nothing */
  kb_link_finish(&lk);
  KT_EQ(ring_count(), 1);
  KT_CHECK(!kb_link_idle(&lk, true, t_rise + KB_GAP_US + 1u));
  KT_EQ(ring_count(), 1);
  /* and an idle publish is not repeated by kb_link_finish() */
  kb_link_pop(&lk);
  clock_msg(st27, 8, -1, 5000u, NULL);
  KT_CHECK(kb_link_idle(&lk, true, t_rise + KB_GAP_US + 1u));
  kb_link_finish(&lk);
  KT_EQ(ring_count(), 1);
  KT_EQ(stats().frames, 2);
}

/* A runt is left to the boundary (the idle call says no: the capture goes
 * on exactly as without it); a full ring ends at the idle call exactly as at
 * the boundary: counted once, nothing published, the boundary after it adds
 * nothing. */
static void test_idle_runt_and_overflow(void) {
  start(0u);
  clock_msg(st05, 10, 6, 5000u, NULL); /* 6 panel bits + trailing = 7 < 8 */
  KT_CHECK(!kb_link_idle(&lk, true, t_rise + KB_GAP_US + 1u));
  KT_EQ(stats().runts, 0);
  KT_EQ(lk.p_count, 7); /* untouched */
  clock_msg(st05, 10, 7, 5000u, NULL); /* its boundary drops the runt; 8 bits: a frame */
  KT_EQ(stats().runts, 1);
  KT_CHECK(kb_link_idle(&lk, true, t_rise + KB_GAP_US + 1u));
  KT_EQ(ring_count(), 1);
  kb_link_pop(&lk);
  KT_CHECK(kb_link_peek(&lk) == NULL);
  for (int i = 0; i < KB_FRAME_RING; i++) {
    clock_msg(st27, 8, -1, 5000u, NULL);
    KT_CHECK(kb_link_idle(&lk, true, t_rise + KB_GAP_US + 1u));
  }
  KT_EQ(ring_count(), KB_FRAME_RING);
  clock_msg(st05, 10, -1, 5000u, NULL);
  KT_CHECK(kb_link_idle(&lk, true, t_rise + KB_GAP_US + 1u)); /* lost: the ring is full */
  KT_EQ(stats().overflows, 1);
  clock_msg(st27, 8, -1, 5000u, NULL); /* its boundary: no second overflow */
  KT_EQ(stats().overflows, 1);
  KT_EQ(stats().runts, 1);
  KT_EQ(stats().frames, KB_FRAME_RING + 1);
  KT_EQ(stats().messages, KB_FRAME_RING + 4);
  KT_EQ(stats().high_water, KB_FRAME_RING);
}

/* A rising edge after a lost falling edge (the port missed it): its sample
 * must not write into the frame the idle call published. */
static void test_idle_stray_bits_after_publish(void) {
  start(0u);
  clock_msg(st05, 10, -1, 5000u, NULL);
  KT_CHECK(kb_link_idle(&lk, true, t_rise + KB_GAP_US + 1u));
  const kb_frame_t *f = kb_link_peek(&lk);
  KT_CHECK(f != NULL);
  if (!f) return;
  uint8_t copy[KB_FRAME_BYTES];
  memcpy(copy, f->panel, sizeof copy);
  uint8_t pbits = f->panel_bits;
  /* stray rising edge + panel samples of 0 */
  KT_EQ(kb_link_edge(&lk, true, t_rise + 2000u), KB_LINK_WRITE_RELEASE);
  for (int i = 0; i < 20; i++) kb_link_sample(&lk, true, false);
  KT_EQ(memcmp(f->panel, copy, sizeof copy), 0);
  KT_EQ(f->panel_bits, pbits);
  /* the stray capture is never published, the next message is whole */
  t_next = t_rise + 2000u + 5000u;
  uint32_t t1 = t_next;
  clock_msg(st27, 8, -1, 5000u, NULL);
  KT_CHECK(kb_link_idle(&lk, true, t_rise + KB_GAP_US + 1u));
  kb_link_pop(&lk);
  f = kb_link_peek(&lk);
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(f->t_start_us, t1);
  KT_EQ(f->panel_bits, 58);
  KT_EQ(memcmp(f->panel, st27, 8), 0);
  kb_link_pop(&lk);
  KT_CHECK(kb_link_peek(&lk) == NULL);
}

/* The 32-bit clock wraps between the last rising edge and the idle call,
 * and inside the message. */
static void test_idle_clock_wrap(void) {
  static const uint32_t t0s[3] = {0xFFFFFFFFu - 70000u, 0xFFFFFFFFu - 60000u - 700u,
                                  0xFFFFFFFFu - 5000u - 66000u - 400u};
  for (int k = 0; k < 3; k++) {
    start(t0s[k]);
    clock_msg(st05, 10, -1, 5000u, NULL);
    clock_msg(st05, 10, -1, 5000u, NULL);
    kb_link_pop(&lk); /* the first, published by the second's boundary */
    KT_CHECK(!kb_link_idle(&lk, true, t_rise + KB_GAP_US));
    KT_CHECK(kb_link_peek(&lk) == NULL);
    KT_CHECK(kb_link_idle(&lk, true, t_rise + KB_GAP_US + 1u));
    KT_CHECK(kb_link_peek(&lk) != NULL);
    KT_EQ(stats().frames, 2);
  }
  /* a rise just before the wrap, the idle call just after it */
  start(0xFFFFFFFFu - 90000u);
  t_next = 0xFFFFFFFFu - 74099u; /* 74 cycles: the trailing rise at 2^32 - 600 */
  clock_msg(st05, 10, -1, 5000u, NULL);
  KT_EQ(t_rise, 0xFFFFFFFFu - 599u);
  KT_CHECK(!kb_link_idle(&lk, true, t_rise + KB_GAP_US)); /* 400 after the wrap */
  KT_CHECK(kb_link_idle(&lk, true, t_rise + KB_GAP_US + 1u));
  KT_EQ(ring_count(), 1);
}

/* The inline body is the same function (a port calls it directly). */
static void test_idle_inline(void) {
  start(0u);
  clock_msg(st05, 10, -1, 5000u, NULL);
  KT_CHECK(!kb_link_isr_idle(&lk, true, t_rise + KB_GAP_US));
  KT_CHECK(kb_link_isr_idle(&lk, true, t_rise + KB_GAP_US + 1u));
  KT_EQ(ring_count(), 1);
}

/* ------------------------------------------------------- equivalence */

/* What a run showed: every drive request, every frame, the counters. */
typedef struct {
  uint8_t pulls[64][MAX_BITS];
  kb_frame_t frames[64];
  int nframes;
  kb_link_stats_t st;
  uint8_t armed_after[64]; /* write path still armed after message i */
  int nmsg;
} trace_t;

static trace_t ta, tb;

static void drain_into(trace_t *t) {
  const kb_frame_t *f;
  while ((f = kb_link_peek(&lk)) != NULL) {
    if (t->nframes < 64) t->frames[t->nframes++] = *f;
    kb_link_pop(&lk);
  }
}

/* One step of a scripted run. */
typedef struct {
  const uint8_t *panel;
  int nbytes, nbits;  /* nbits < 0: all */
  /* arm before this message (in the gap, after the idle point): key, slot
   * byte, messages; slot 0xFF = none. 0xFE: cancel; 0xFD: abort (after the
   * message's first 12 cycles: see below) */
  uint8_t key, slot, reps;
} step_t;

/* Runs the script; with_idle: the idle call in every gap, at rise +
 * KB_GAP_US + 1 (the earliest) or, when late_idle, just before the next
 * falling edge. The task drains the ring in every gap after the idle point. */
static void run_script(const step_t *s, int n, bool with_idle, bool late_idle, trace_t *t) {
  memset(t, 0, sizeof *t);
  start(777u);
  for (int i = 0; i < n && i < 64; i++) {
    if (s[i].slot == 0xFE) {
      kb_link_write_cancel(&lk);
    } else if (s[i].slot == 0xFD) {
      kb_link_write_abort(&lk);
    } else if (s[i].slot != 0xFF) {
      uint8_t a = s[i].slot == 0 ? 0 : 0x05, b = s[i].slot == 0 ? 0 : 0x0A;
      kb_err_t e = kb_link_write_arm(&lk, s[i].key, s[i].slot, a, b, s[i].reps);
      KT_CHECK(e == KB_OK || e == KB_ERR_BUSY); /* busy: the last key is still armed */
    }
    clock_msg(s[i].panel, s[i].nbytes, s[i].nbits, 3000u + 1000u * (uint32_t)(i % 3), t->pulls[i]);
    if (with_idle) {
      uint32_t when = late_idle ? t_next - 1u : t_rise + KB_GAP_US + 1u;
      bool ended = kb_link_idle(&lk, true, when);
      KT_EQ(ended, s[i].nbits < 0 || s[i].nbits + 1 >= 8); /* runts: left to the boundary */
    }
    drain_into(t);
    if (kb_link_write_idle(&lk)) kb_link_write_wipe(&lk);
    t->armed_after[i] = !kb_link_write_idle(&lk);
    t->nmsg++;
  }
  /* the last message: published by one more boundary, with or without */
  KT_EQ(kb_link_edge(&lk, false, t_next), KB_LINK_WRITE_RELEASE);
  drain_into(t);
  kb_link_stats(&lk, &t->st);
}

/* Bytes holding the first `bits` bits (byte 1 holds one bit). */
static size_t frame_bytes(unsigned bits) {
  size_t n = bits <= 8u ? 1u : bits == 9u ? 2u : 2u + (bits - 9u + 7u) / 8u;
  return n > KB_FRAME_BYTES ? KB_FRAME_BYTES : n;
}

static void check_same(const trace_t *a, const trace_t *b, int nsteps) {
  KT_EQ(a->nmsg, b->nmsg);
  for (int i = 0; i < nsteps && i < 64; i++) {
    KT_EQ(memcmp(a->pulls[i], b->pulls[i], MAX_BITS), 0);
    KT_EQ(a->armed_after[i], b->armed_after[i]);
  }
  KT_EQ(a->nframes, b->nframes);
  for (int i = 0; i < a->nframes && i < b->nframes; i++) {
    const kb_frame_t *x = &a->frames[i], *y = &b->frames[i];
    KT_EQ(x->panel_bits, y->panel_bits);
    KT_EQ(x->module_bits, y->module_bits);
    KT_EQ(x->wrote, y->wrote);
    KT_EQ(x->module_seen, y->module_seen);
    KT_EQ(x->t_start_us, y->t_start_us);
    KT_EQ(memcmp(x->panel, y->panel, frame_bytes(x->panel_bits)), 0);
    KT_EQ(memcmp(x->module, y->module, frame_bytes(x->module_bits)), 0);
  }
  KT_EQ(a->st.messages, b->st.messages);
  KT_EQ(a->st.frames, b->st.frames);
  KT_EQ(a->st.runts, b->st.runts);
  KT_EQ(a->st.overflows, b->st.overflows);
  KT_EQ(a->st.high_water, b->st.high_water);
}

static void equivalent(const step_t *s, int n, int want_pulled_msgs) {
  run_script(s, n, false, false, &ta);
  run_script(s, n, true, false, &tb);
  check_same(&ta, &tb, n);
  run_script(s, n, true, true, &tb);
  check_same(&ta, &tb, n);
  /* the script does drive keys: the comparison is not of empty runs */
  int pulled = 0;
  for (int i = 0; i < n; i++) {
    int any = 0;
    for (int c = 0; c < MAX_BITS; c++) any |= ta.pulls[i][c];
    pulled += any;
  }
  KT_EQ(pulled, want_pulled_msgs);
}

#define NONE 0, 0xFF, 0

/* A slot key (partition 1, byte 2; partition 2, byte 3), driven in the next
 * 0x05/0x0A, the echo in the frame, the tag. */
static void test_idle_same_write_slot_keys(void) {
  const step_t s[] = {
      {st27, 8, -1, NONE},       {st05, 10, -1, 0x16, 2, 1}, {st27, 8, -1, NONE},
      {st0a, 10, -1, 0x03, 3, 1}, {st05, 10, -1, NONE},      {st27, 8, -1, 0x00, 9, 1},
      {st05, 10, -1, NONE},
  };
  equivalent(s, (int)(sizeof s / sizeof s[0]), 3);
  KT_EQ(ta.frames[1].wrote & KB_FRAME_WROTE, KB_FRAME_WROTE);
  KT_EQ(ta.frames[1].module[2], 0x16);
}

/* Alarm keys: bit 7 of 0x3C is 0, driven by the boundary edge itself (the
 * value the trailing bit's panel sample planned, handed over at the
 * boundary whether or not the idle call published before it); two
 * messages each. */
static void test_idle_same_write_alarm_keys(void) {
  const step_t s[] = {
      {st05, 10, -1, NONE}, {st27, 8, -1, 0x3C, 0, 2}, {st05, 10, -1, NONE},
      {v1c, 2, -1, NONE},   {st05, 10, -1, 0xBB, 0, 2}, {st27, 8, -1, NONE},
      {v1c, 2, -1, NONE},   {st05, 10, -1, NONE},
  };
  equivalent(s, (int)(sizeof s / sizeof s[0]), 4);
  /* 0x3C: the first pulled message's boundary edge pulled (bit 7 = 0) */
  KT_EQ(ta.pulls[2][0], 1);
}

/* The last message ended inside the key's slot (the link's c == 1 rule: the
 * key counts as written, never driven again): with the idle call
 * publishing that message, the rule must hold the same. Also a message cut
 * before the slot (the key waits for the next one), a cancel and an abort. */
static void test_idle_same_write_cut_inside_slot(void) {
  const step_t s[] = {
      {st05, 10, -1, NONE},
      {st05, 10, 57, 0x00, 8, 1}, /* ends inside byte 8's slot (cycles 57..64) */
      {st05, 10, -1, NONE},       /* not driven again */
      {st05, 10, 30, 0x00, 8, 1}, /* ends before the slot: retried */
      {st05, 10, -1, NONE},       /* driven here */
      {st05, 10, 60, 0x55, 8, 2}, /* inside the slot, twice asked: one spent */
      {st05, 10, -1, NONE},       /* the second */
      {st27, 8, -1, 0x00, 2, 1},  /* not qualifying */
      {st27, 8, -1, 0, 0xFE, 0},  /* cancel: taken at the next start */
      {st05, 10, -1, NONE},
      {st05, 10, -1, 0x00, 3, 1}, /* driven */
      {st05, 10, -1, 0x7F, 0, 1}, /* alarm slot, primed during this one */
      {st05, 10, -1, 0, 0xFD, 0}, /* abort before its message: nothing driven */
      {st05, 10, -1, NONE},
  };
  equivalent(s, (int)(sizeof s / sizeof s[0]), 5);
  KT_EQ(ta.pulls[1][57], 1); /* the cut message did start the slot */
  KT_EQ(ta.armed_after[1], 1); /* spent at the next message's start */
  KT_EQ(ta.armed_after[2], 0);
  KT_EQ(ta.armed_after[3], 1);
  KT_EQ(ta.armed_after[4], 0);
  KT_EQ(ta.armed_after[5], 1);
  KT_EQ(ta.armed_after[6], 0);
}

/* A long pseudo-random script: messages of random length (runts and the
 * 16-byte cap included), keys armed in random slots, cancels. */
static void test_idle_same_random(void) {
  static uint8_t bytes[40][16];
  static step_t s[40];
  uint64_t x = 0x9E3779B97F4A7C15ull;
  static const uint8_t cmds[4] = {0x05, 0x0A, 0x27, 0x1C};
  static const uint8_t slots[6] = {0, 2, 3, 8, 9, 0xFE};
  for (int i = 0; i < 40; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    bytes[i][0] = cmds[x % 4u];
    for (int b = 1; b < 16; b++) bytes[i][b] = (uint8_t)(x >> (b * 3));
    s[i].panel = bytes[i];
    s[i].nbytes = 16;
    s[i].nbits = (int)((x >> 20) % 140u); /* 0..139: runts, cuts, past the cap */
    if ((x >> 40) % 3u == 0) {
      s[i].slot = slots[(x >> 44) % 6u];
      s[i].key = (uint8_t)(x >> 50);
      s[i].reps = (uint8_t)(1u + (x >> 58) % 2u);
    } else {
      s[i].slot = 0xFF;
    }
  }
  run_script(s, 40, false, false, &ta);
  run_script(s, 40, true, false, &tb);
  check_same(&ta, &tb, 40);
  run_script(s, 40, true, true, &tb);
  check_same(&ta, &tb, 40);
  KT_CHECK(ta.st.runts > 0);
  int pulled = 0;
  for (int i = 0; i < 40; i++)
    for (int c = 0; c < MAX_BITS; c++) pulled += ta.pulls[i][c];
  KT_CHECK(pulled > 0);
}

KT_MAIN(KT_CASE(test_idle_publishes_after_gap), KT_CASE(test_idle_nothing_to_do),
        KT_CASE(test_idle_runt_and_overflow), KT_CASE(test_idle_stray_bits_after_publish),
        KT_CASE(test_idle_clock_wrap), KT_CASE(test_idle_inline),
        KT_CASE(test_idle_same_write_slot_keys), KT_CASE(test_idle_same_write_alarm_keys),
        KT_CASE(test_idle_same_write_cut_inside_slot), KT_CASE(test_idle_same_random))
