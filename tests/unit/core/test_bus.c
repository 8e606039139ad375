/* SPDX-License-Identifier: MIT
 *
 * test_bus.c - kb_bus (one task entry, one clock): frames the link publishes
 * reach the engine and the virtual keypad through kb_bus_poll(); the ring's
 * statistics reach the health; the engine's milliseconds stay right across
 * the 32-bit microsecond wrap (frame age, key timeouts); connected and
 * disconnected events; the convenience entries.
 *
 * The rig is a fake port: it clocks messages into kb_bus_link() edge by edge
 * (falling edge, module sample +250 us, rising edge +500, panel sample +750,
 * 1 ms per bit, a trailing cycle, then a 5 ms gap), driving the data line low
 * where the link asks (the virtual keypad's key), and polls the bus the way a
 * task would: after the first cycle of each message (the boundary has just
 * published the previous one). Its clock is a 32-bit µs counter that wraps;
 * the test keeps a 64-bit copy to check the bus's milliseconds against.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "keybus/kb_bus.h"
#include "keybus/kb_proto.h"

/* ------------------------------------------------------------------ rig */

static kb_bus_t BUS;
static uint32_t T;   /* the port's µs clock (wraps) */
static uint64_t T64; /* the same, not wrapping */
static uint64_t P64; /* T64 at the last poll */
static int polling = 1;
static int polls;

#define MAX_EV 256
static kb_event_t ev[MAX_EV];
static int nev;
static kb_keys_note_t notes[64];
static int nnotes;

static void on_event(void *ctx, const kb_event_t *e) {
  (void)ctx;
  if (nev < MAX_EV) ev[nev++] = *e;
}

static void on_note(void *ctx, const kb_keys_note_t *n) {
  (void)ctx;
  if (nnotes < 64) notes[nnotes++] = *n;
}

static void advance(uint32_t us) {
  T += us;
  T64 += us;
}

static void poll_(void) {
  kb_bus_poll(&BUS, T);
  P64 = T64;
  polls++;
}

static void setup(uint32_t t0) {
  const kb_bus_cfg_t cfg = {on_event, NULL, on_note, NULL};
  memset(&BUS, 0xA5, sizeof BUS); /* init must set everything */
  kb_bus_init(&BUS, &cfg);
  T = t0;
  T64 = t0;
  polling = 1;
  polls = 0;
  nev = 0;
  nnotes = 0;
}

static int to_bits(const uint8_t *bytes, int nbytes, uint8_t *bits) {
  int n = 0;
  for (int b = 0; b < nbytes; b++) {
    if (b == 1) {
      bits[n++] = bytes[1] & 1u;
      continue;
    }
    for (int k = 7; k >= 0; k--) bits[n++] = (bytes[b] >> k) & 1u;
  }
  return n;
}

/* One message, edge by edge; the task polls after its first cycle. */
static void clock_msg(const uint8_t *b, int nbytes) {
  uint8_t pb[8 * 16];
  int n = to_bits(b, nbytes, pb);
  kb_link_t *l = kb_bus_link(&BUS);
  for (int c = 0; c <= n; c++) { /* bit n: the trailing cycle */
    bool pull = kb_link_edge(l, false, T) == KB_LINK_WRITE_PULL_LOW;
    kb_link_sample(l, false, !pull);
    KT_EQ(kb_link_edge(l, true, T + 500u), KB_LINK_WRITE_RELEASE);
    kb_link_sample(l, true, c < n ? pb[c] : 1);
    advance(1000u);
    if (c == 0 && polling) poll_();
  }
  advance(5000u);
}

/* The panel's traffic: a 0x11 query and a 0x05 with partition 1 ready. */
static void round_(void) {
  static const uint8_t q[7] = {KB_CMD_QUERY, 0, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
  static const uint8_t s[10] = {KB_CMD_STATUS, 0, 0x81, KB_ST_READY, 0x81, KB_ST_READY, 0, 0, 0, 0};
  clock_msg(q, 7);
  clock_msg(s, 10);
}

/* The clock held high: no edges, the task polls every 10 ms. */
static void quiet(uint32_t us) {
  for (uint32_t t = 0; t < us; t += 10000u) {
    advance(10000u);
    poll_();
  }
}

static int count_ev(uint8_t type, int on) {
  int n = 0;
  for (int i = 0; i < nev; i++)
    if (ev[i].type == type && (on < 0 || ev[i].state.on == on)) n++;
  return n;
}

/* ---------------------------------------------------------------- tests */

/* Frames through the ring reach the engine (status, events) and the keypad
 * (the key's echo, read before the frame is released: after kb_link_pop()
 * the echo byte reads 0xFF and the request would end COLLIDED). */
static void test_frames_reach_engine_and_keys(void) {
  uint16_t id = 0;
  kb_keys_info_t info;
  kb_link_stats_t ls;
  setup(1000000u);
  for (int i = 0; i < 5; i++) round_();
  KT_CHECK(kb_bus_status(&BUS)->synced);
  KT_CHECK(kb_bus_status(&BUS)->part[0].ready);
  KT_EQ(count_ev(KB_EV_SYNCED, -1), 1);
  KT_EQ(count_ev(KB_EV_READY, 1), 2); /* partitions 1 and 2 */
  kb_link_stats(kb_bus_link(&BUS), &ls);
  KT_EQ(kb_bus_health(&BUS)->frames, ls.frames); /* every published frame was fed */
  KT_EQ(kb_bus_health(&BUS)->ring_high_water, 1); /* a poll per message: one waits at most */
  KT_EQ(ls.high_water, 1);
  KT_CHECK(kb_link_peek(kb_bus_link(&BUS)) == NULL);

  KT_EQ(kb_bus_keys_submit(&BUS, 1, "7", NULL, &id), KB_OK);
  KT_CHECK(id != 0);
  KT_EQ(kb_bus_keys_pending(&BUS), 1);
  KT_EQ(kb_bus_keys_result(&BUS, id, NULL), KB_KEYS_PENDING);
  for (int i = 0; i < 40 && kb_bus_keys_result(&BUS, id, NULL) == KB_KEYS_PENDING; i++) round_();
  KT_EQ(kb_bus_keys_result(&BUS, id, &info), KB_KEYS_DONE);
  KT_EQ(info.accepted, 1);
  KT_EQ(kb_bus_keys_pending(&BUS), 0);
  KT_CHECK(nnotes >= 2);
  KT_EQ(notes[0].type, KB_KEYS_NOTE_KEY);
  KT_EQ(notes[0].key, KB_KEY_DIGIT); /* digits are never reported */
  KT_EQ(notes[nnotes - 1].type, KB_KEYS_NOTE_END);
  KT_EQ(notes[nnotes - 1].result, KB_KEYS_DONE);
}

/* The link's ring statistics are in the health after a poll (they were 0
 * when nobody called kb_engine_link_stats). */
static void test_ring_stats_reach_health(void) {
  kb_link_stats_t ls;
  static const uint8_t q[7] = {KB_CMD_QUERY, 0, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
  setup(5000000u);
  round_();
  polling = 0; /* a task held up: 5 messages wait in the ring */
  for (int i = 0; i < 5; i++) clock_msg(q, 7); /* the 0x05 and 4 of them published */
  poll_();
  KT_EQ(kb_bus_health(&BUS)->ring_high_water, 5);
  KT_EQ(kb_bus_health(&BUS)->ring_overflows, 0);
  /* more than the ring holds: the surplus is lost and counted */
  for (int i = 0; i < KB_FRAME_RING + 3; i++) clock_msg(q, 7); /* as many boundaries */
  poll_();
  kb_link_stats(kb_bus_link(&BUS), &ls);
  KT_EQ(ls.overflows, 3);
  KT_EQ(kb_bus_health(&BUS)->ring_overflows, ls.overflows);
  KT_EQ(kb_bus_health(&BUS)->ring_high_water, KB_FRAME_RING);
  KT_CHECK(kb_link_peek(kb_bus_link(&BUS)) == NULL); /* one poll drained them all */
  polling = 1; /* back to a poll per message: the figures stay */
  for (int i = 0; i < 3; i++) round_();
  KT_EQ(kb_bus_health(&BUS)->ring_overflows, 3);
  KT_EQ(kb_bus_health(&BUS)->ring_high_water, KB_FRAME_RING);
}

/* The bus's milliseconds against the 64-bit reference: exact (remainder
 * carried) for every kind of step, across the wrap; a stale stamp moves
 * nothing. */
static void test_clock_exact_across_wrap(void) {
  static const uint32_t steps[] = {1u, 999u, 1u, 1000u, 1001u, 2999u, 7u, 123456u, 65535u,
                                   0x7FFFFFFFu, 500u, 0x40000000u, 3u, 0x7FFFFFFFu, 999999u};
  setup(0);
  KT_EQ(kb_bus_ms(&BUS), 0);
  KT_EQ(kb_bus_frame_age_ms(&BUS), UINT32_MAX); /* no frame yet */
  T = T64 = 0xFFFF0000u - 12345u;
  poll_();
  KT_EQ(kb_bus_ms(&BUS), (uint32_t)(T64 / 1000u)); /* aligned with the caller's clock */
  for (unsigned rep = 0; rep < 3; rep++)
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
      advance(steps[i]);
      poll_();
      KT_EQ(kb_bus_ms(&BUS), (uint32_t)(T64 / 1000u));
    }
  KT_CHECK(T64 > 0x300000000ull); /* it did wrap, several times */
  {
    uint32_t ms = kb_bus_ms(&BUS);
    kb_bus_poll(&BUS, T - 5000u); /* a stale stamp: no time */
    KT_EQ(kb_bus_ms(&BUS), ms);
    kb_bus_poll(&BUS, T); /* and back: nothing counted twice */
    KT_EQ(kb_bus_ms(&BUS), ms);
  }
}

/* Live traffic across the wrap: events' times and the last frame's age
 * follow the 64-bit clock (now_us / 1000 of a 32-bit counter would jump back
 * by 4294967 ms at the wrap: every age would read ~49 days). */
static void test_frame_age_across_wrap(void) {
  setup(0xFFFF0000u - 2000000u);
  for (int i = 0; i < 40; i++) { /* ~5 s of traffic: the wrap is in the middle */
    round_();
    KT_CHECK(kb_bus_frame_age_ms(&BUS) < 200u);
    KT_EQ(kb_bus_ms(&BUS), (uint32_t)(P64 / 1000u));
  }
  KT_CHECK(T64 > 0x100000000ull + 1000000u);
  quiet(1000000u);
  KT_CHECK(kb_bus_frame_age_ms(&BUS) >= 1000u && kb_bus_frame_age_ms(&BUS) < 1200u);
  for (int i = 1; i < nev; i++) /* event times never go back */
    KT_CHECK((int32_t)(ev[i].t_ms - ev[i - 1].t_ms) >= 0);
}

/* Key timeouts across the wrap: a key that never finds its slot (partition
 * 5: this panel sends no 0x1B) times out KB_KEYS_KEY_MS after it became due,
 * not earlier, not never, though the clock wraps in between. */
static void test_key_timeout_across_wrap(void) {
  uint16_t id = 0;
  uint64_t t_sub;
  setup(0xFFFF0000u - 3000000u);
  for (int i = 0; i < 10; i++) round_();
  KT_CHECK(kb_bus_status(&BUS)->synced);
  while (T64 < 0xFFFF0000ull - 1000000u) round_(); /* submit ~1 s before the wrap */
  KT_EQ(kb_bus_keys_submit(&BUS, 5, "1", NULL, &id), KB_OK);
  t_sub = T64;
  while (T64 < t_sub + KB_KEYS_KEY_MS * 1000ull - 300000u) {
    round_();
    KT_EQ(kb_bus_keys_result(&BUS, id, NULL), KB_KEYS_PENDING);
  }
  KT_CHECK(T64 > 0x100000000ull); /* past the wrap and still waiting */
  while (T64 < t_sub + KB_KEYS_KEY_MS * 1000ull + 400000u) round_();
  KT_EQ(kb_bus_keys_result(&BUS, id, NULL), KB_KEYS_TIMED_OUT);
}

/* Connected once messages flow, disconnected KB_DISCONNECT_US after they
 * stop; a request pending then ends DISCONNECTED in the same poll. */
static void test_connected_events(void) {
  uint16_t id = 0;
  setup(0xFFFFFFFFu - 500000u);
  KT_EQ(count_ev(KB_EV_CONNECTED, -1), 0);
  round_();
  KT_EQ(count_ev(KB_EV_CONNECTED, 1), 1);
  KT_CHECK(kb_bus_status(&BUS)->connected);
  for (int i = 0; i < 10; i++) round_();
  KT_EQ(count_ev(KB_EV_CONNECTED, -1), 1);
  KT_EQ(kb_bus_keys_submit(&BUS, 5, "1", NULL, &id), KB_OK); /* never gets a slot */
  quiet(KB_DISCONNECT_US - 200000u);
  KT_EQ(count_ev(KB_EV_CONNECTED, 0), 0);
  KT_CHECK(kb_bus_status(&BUS)->connected);
  quiet(400000u);
  KT_EQ(count_ev(KB_EV_CONNECTED, 0), 1);
  KT_CHECK(!kb_bus_status(&BUS)->connected);
  KT_EQ(kb_bus_keys_result(&BUS, id, NULL), KB_KEYS_DISCONNECTED);
  for (int i = 0; i < nev; i++)
    if (ev[i].type == KB_EV_CONNECTED && !ev[i].state.on) /* stamped with the bus's ms */
      KT_CHECK(ev[i].t_ms - (uint32_t)(T64 / 1000u) + 400u <= 400u);
  round_(); /* back */
  KT_EQ(count_ev(KB_EV_CONNECTED, 1), 2);
}

/* The convenience entries refuse as kb_keys does, with kb_err_t. */
static void test_submit_errors(void) {
  uint16_t id = 99;
  setup(0);
  KT_EQ(kb_bus_keys_submit(&BUS, 0, "1", NULL, &id), KB_ERR_PARTITION);
  KT_EQ(kb_bus_keys_submit(&BUS, 1, "1z", NULL, &id), KB_ERR_KEY);
  KT_EQ(kb_bus_keys_submit(&BUS, 1, "w", "12", &id), KB_ERR_CODE);
  KT_EQ(id, 99); /* untouched on an error */
  KT_EQ(kb_bus_set_time(&BUS, 1, 2024, 3, 5, 14, 7, "1234", &id), KB_ERR_NOT_READY);
  KT_EQ(kb_bus_set_time(&BUS, 1, 2024, 13, 5, 14, 7, "1234", &id), KB_ERR_RANGE);
  for (int i = 0; i < KB_KEYS_QUEUE; i++) KT_EQ(kb_bus_keys_submit(&BUS, 1, "1", NULL, NULL), KB_OK);
  KT_EQ(kb_bus_keys_submit(&BUS, 1, "1", NULL, &id), KB_ERR_FULL);
  KT_EQ(kb_bus_keys_pending(&BUS), KB_KEYS_QUEUE);
  KT_EQ(kb_bus_keys_result(&BUS, 0, NULL), KB_KEYS_UNKNOWN);
}

/* No callbacks at all (cfg NULL): polling works. */
static void test_no_cfg(void) {
  kb_bus_init(&BUS, NULL);
  T = T64 = 777u;
  nev = 0;
  for (int i = 0; i < 3; i++) round_();
  KT_CHECK(kb_bus_status(&BUS)->synced);
  KT_EQ(nev, 0);
}

KT_MAIN(KT_CASE(test_frames_reach_engine_and_keys), KT_CASE(test_ring_stats_reach_health),
        KT_CASE(test_clock_exact_across_wrap), KT_CASE(test_frame_age_across_wrap),
        KT_CASE(test_key_timeout_across_wrap), KT_CASE(test_connected_events),
        KT_CASE(test_submit_errors), KT_CASE(test_no_cfg))
