/* SPDX-License-Identifier: MIT
 *
 * test_edge.c - the core edge adaptor (keybus/kb_edge.h): timestamped level
 * changes in, the link calls of a real port out. Each message is sent as a
 * Keybus would: falling edge, data for the module bit, rising edge 500 us
 * later, data for the panel bit 100 us after it; the adaptor's one-shot
 * takes both samples 250 us after their edges.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "keybus/kb_edge.h"
#include "keybus/kb_link.h"
#include "keybus/kb_proto.h"

static kb_link_t link_; /* large: one at a time */
static kb_edge_port_t ed;
static uint32_t now;    /* time of the next falling edge */
static unsigned pulls;  /* falling edges that returned PULL_LOW */
static uint32_t pulled; /* bit k set: the k-th cell's falling edge pulled low */

static void setup(uint32_t t0) {
  kb_link_init(&link_);
  kb_edge_init(&ed, &link_);
  now = t0;
  pulls = 0;
  pulled = 0;
}

/* One bit cell at `now`: module bit m in the low phase, panel bit p in the
 * high phase; `now` moves on 1000 us. */
static void cell(unsigned k, bool m, bool p) {
  if (kb_edge_feed(&ed, KB_EDGE_CLOCK, false, now) == KB_LINK_WRITE_PULL_LOW) {
    pulls++;
    if (k < 32) pulled |= 1u << k;
  }
  (void)kb_edge_feed(&ed, KB_EDGE_DATA, m, now + 50u);
  KT_EQ(kb_edge_feed(&ed, KB_EDGE_CLOCK, true, now + 500u), KB_LINK_WRITE_RELEASE);
  KT_EQ(kb_edge_write(&ed), KB_LINK_WRITE_RELEASE);
  (void)kb_edge_feed(&ed, KB_EDGE_DATA, p, now + 600u);
  now += 1000u;
}

/* A whole message (bytes as in the protocol notes: [1] = the stop bit
 * alone), module stream idle (1), then the trailing cell and a 3 ms gap
 * (clock high: the next falling edge is a boundary). */
static void message(const uint8_t *bytes, unsigned nbytes) {
  unsigned k = 0;
  for (unsigned b = 0; b < nbytes; b++) {
    if (b == 1) {
      cell(k++, true, bytes[1] & 1u);
      continue;
    }
    for (int i = 7; i >= 0; i--) cell(k++, true, (bytes[b] >> i) & 1u);
  }
  cell(k, true, true);
  now += 3000u;
}

/* Publishes the last message with a boundary edge (and its sample). */
static void boundary(void) {
  (void)kb_edge_feed(&ed, KB_EDGE_CLOCK, false, now);
  (void)kb_edge_feed(&ed, KB_EDGE_CLOCK, true, now + 500u);
  now += 4000u;
}

static const uint8_t status_msg[] = {KB_CMD_STATUS, 0x00, 0x81, 0x01, 0x10, 0xC7};

static void expect_status_frame(void) {
  const kb_frame_t *f = kb_link_peek(&link_);
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(f->panel[0], KB_CMD_STATUS);
  KT_EQ(f->panel[2], 0x81);
  KT_EQ(f->panel[5], 0xC7);
  KT_EQ(f->panel_bits, 42); /* 41 bits + the trailing one */
  KT_EQ(f->module[0], 0xFF);
  kb_link_pop(&link_);
}

/* Every clock change calls the link and arms one sample; a message comes
 * through whole; duplicates cost nothing. */
static void test_message_through(void) {
  setup(100000);
  KT_EQ(kb_edge_feed(&ed, KB_EDGE_CLOCK, true, 90000), KB_LINK_WRITE_RELEASE); /* idle high */
  KT_EQ(ed.duplicates, 1);
  KT_EQ(ed.clock_edges, 0);
  KT_EQ(ed.pending, 0);
  message(status_msg, sizeof status_msg);
  KT_EQ(ed.clock_edges, 84);
  KT_EQ(ed.samples, 83); /* the last rise's sample is still armed */
  KT_EQ(ed.pending, 1);
  KT_EQ(ed.cancelled, 0);
  KT_CHECK(kb_link_peek(&link_) == NULL); /* not yet published */
  boundary();
  expect_status_frame();
  KT_EQ(ed.samples, 85);
  /* finish: the armed sample fires, the message in progress is published
   * (here a one-bit capture: a runt, not a frame) */
  kb_edge_finish(&ed);
  KT_EQ(ed.samples, 86);
  KT_EQ(ed.pending, 0);
  KT_CHECK(kb_link_peek(&link_) == NULL);
}

/* The sample fires before the first change at or after its time: a data
 * change exactly at edge + KB_SAMPLE_US is not seen by it, one a microsecond
 * earlier is. */
static void test_sample_time(void) {
  const kb_frame_t *f;
  uint8_t want = 0, level = 1;
  setup(0);
  now = 5000;
  /* 8 panel bits; in each high phase the data line flips to k & 1, exactly
   * at the sample time for bits 0-3 (the sample reads the level before),
   * 1 us before it for bits 4-7 (the sample reads the new level) */
  for (unsigned k = 0; k < 8; k++) {
    uint32_t rise = now + 500u, d = k < 4 ? KB_SAMPLE_US : KB_SAMPLE_US - 1u;
    uint8_t after = (uint8_t)(k & 1u);
    (void)kb_edge_feed(&ed, KB_EDGE_CLOCK, false, now);
    (void)kb_edge_feed(&ed, KB_EDGE_CLOCK, true, rise);
    (void)kb_edge_feed(&ed, KB_EDGE_DATA, after != 0, rise + d);
    kb_edge_advance(&ed, rise + 400u);
    want = (uint8_t)(want << 1 | (k < 4 ? level : after));
    level = after;
    now += 1000u;
  }
  KT_EQ(want, 0xA5); /* 1010 (before) 0101 (after) */
  KT_EQ(ed.data_edges, 8);
  KT_EQ(ed.samples, 16);
  now += 3000u;
  boundary();
  f = kb_link_peek(&link_);
  KT_CHECK(f != NULL);
  if (f) {
    KT_EQ(f->panel[0], want);
    KT_EQ(f->panel_bits, 8);
    kb_link_pop(&link_);
  }
}

/* A clock edge before the armed sample (a glitch) cancels it; the new edge
 * arms its own. */
static void test_glitch_cancels(void) {
  setup(1000);
  (void)kb_edge_feed(&ed, KB_EDGE_CLOCK, false, 2000);
  (void)kb_edge_feed(&ed, KB_EDGE_CLOCK, true, 2100); /* 100 us later */
  KT_EQ(ed.cancelled, 1);
  KT_EQ(ed.samples, 0);
  KT_EQ(ed.pending, 1);
  kb_edge_advance(&ed, 2100u + KB_SAMPLE_US - 1u);
  KT_EQ(ed.samples, 0);
  kb_edge_advance(&ed, 2100u + KB_SAMPLE_US);
  KT_EQ(ed.samples, 1);
  KT_EQ(ed.pending, 0);
  kb_edge_advance(&ed, 9000);
  KT_EQ(ed.samples, 1); /* one sample per edge */
}

/* The write line: a key armed in the link is driven at the falling edges of
 * its slot (partition 1: module byte 2 = low phases 9..16 of a 0x05), and
 * released at every rising edge. */
static void test_write_line(void) {
  const kb_frame_t *f;
  setup(50000);
  message(status_msg, sizeof status_msg);
  KT_EQ(pulls, 0);
  KT_EQ(kb_link_write_arm(&link_, KB_KEY_5, 2, KB_CMD_STATUS, KB_CMD_PROG_STATUS, 1), KB_OK);
  pulls = 0;
  pulled = 0;
  message(status_msg, sizeof status_msg); /* its first edge publishes the first */
  /* key 0x16 = 0001 0110, MSB first: the zeros pull low */
  KT_EQ(pulled, (uint32_t)((1u << 9) | (1u << 10) | (1u << 11) | (1u << 13) | (1u << 16)));
  KT_EQ(pulls, 5);
  KT_EQ(kb_edge_write(&ed), KB_LINK_WRITE_RELEASE);
  boundary();
  expect_status_frame(); /* the first: nothing written */
  f = kb_link_peek(&link_);
  KT_CHECK(f != NULL);
  if (f) {
    KT_EQ(f->panel[0], KB_CMD_STATUS);
    KT_EQ(f->wrote, kb_link_write_tag(&link_));
    kb_link_pop(&link_);
  }
  KT_CHECK(kb_link_write_idle(&link_));
}

/* The 32-bit clock wraps inside a message: the samples' due times (edge +
 * KB_SAMPLE_US past 2^32), the link's gap rule and the frame are as
 * anywhere else. */
static void test_wrap(void) {
  setup(0);
  now = (uint32_t)0u - 20250u; /* the wrap falls inside the message */
  KT_EQ(kb_edge_feed(&ed, KB_EDGE_CLOCK, true, now - 10000u), KB_LINK_WRITE_RELEASE);
  message(status_msg, sizeof status_msg);
  boundary();
  expect_status_frame();
  KT_EQ(ed.cancelled, 0);
  /* a sample armed just before the wrap is due just after it, not before */
  setup(0);
  (void)kb_edge_feed(&ed, KB_EDGE_CLOCK, false, 0xFFFFFFA0u);
  kb_edge_advance(&ed, 0x00000010u); /* 0x70 = 112 us later */
  KT_EQ(ed.samples, 0);
  (void)kb_edge_feed(&ed, KB_EDGE_DATA, false, 0x00000099u); /* 249 us: before the sample */
  KT_EQ(ed.samples, 0);
  (void)kb_edge_feed(&ed, KB_EDGE_DATA, true, 0x0000009Au); /* 250 us: sample first */
  KT_EQ(ed.samples, 1);
  /* a message whose whole gap straddles the wrap publishes too */
  setup(0);
  now = (uint32_t)0u - 43000u;
  message(status_msg, sizeof status_msg);
  now += 2000u;
  boundary(); /* the boundary falls after the wrap */
  expect_status_frame();
}

/* A clock edge the port did not see changes the level the next sample
 * reads, without a link call or a new sample; data and PC-16 take no
 * interrupt. Unknown lines are ignored. */
static void test_missed_and_lines(void) {
  setup(0);
  (void)kb_edge_feed(&ed, KB_EDGE_CLOCK, false, 10000);
  kb_edge_missed(&ed, KB_EDGE_CLOCK, true, 10100);
  KT_EQ(ed.missed, 1);
  KT_EQ(ed.clock_edges, 1);
  KT_EQ(ed.cancelled, 0);
  KT_EQ(ed.level[KB_EDGE_CLOCK], 1);
  KT_EQ(ed.pending, 1); /* the one-shot of the seen edge still runs */
  kb_edge_missed(&ed, KB_EDGE_DATA, false, 10200);
  KT_EQ(ed.data_edges, 1);
  KT_EQ(ed.missed, 1);
  kb_edge_missed(&ed, KB_EDGE_CLOCK, true, 10210); /* no change: duplicate */
  KT_EQ(ed.duplicates, 1);
  (void)kb_edge_feed(&ed, KB_EDGE_PC16, false, 10220);
  KT_EQ(ed.pc16_edges, 1);
  KT_EQ(ed.level[KB_EDGE_PC16], 0);
  (void)kb_edge_feed(&ed, KB_EDGE_PC16, false, 10230);
  KT_EQ(ed.duplicates, 2);
  KT_EQ(kb_edge_feed(&ed, KB_EDGE_LINE_COUNT, false, 10240), KB_LINK_WRITE_RELEASE);
  (void)kb_edge_feed(&ed, 200u, true, 10240);
  KT_EQ(ed.bad_lines, 2);
  KT_EQ(ed.samples, 0);
  kb_edge_advance(&ed, 10250);
  KT_EQ(ed.samples, 1);
  /* the sample read the missed rise: a panel bit (clock high), data low */
  KT_EQ(link_.p_count, 1);
  KT_EQ(link_.m_count, 0);
  KT_EQ(link_.slot[0].panel[0] & 1u, 0);
}

/* No link: levels and counters only (a simulated wire nobody listens on). */
static void test_no_link(void) {
  kb_edge_init(&ed, NULL);
  KT_EQ(kb_edge_feed(&ed, KB_EDGE_CLOCK, false, 5), KB_LINK_WRITE_RELEASE);
  kb_edge_advance(&ed, 5u + KB_SAMPLE_US);
  KT_EQ(ed.samples, 1);
  (void)kb_edge_feed(&ed, KB_EDGE_CLOCK, true, 600);
  kb_edge_finish(&ed);
  KT_EQ(ed.samples, 2);
  KT_EQ(ed.clock_edges, 2);
}

/* Long silences (within 2^32 us) and an advance far past the sample. */
static void test_long_gap(void) {
  setup(0);
  (void)kb_edge_feed(&ed, KB_EDGE_CLOCK, false, 1000);
  (void)kb_edge_feed(&ed, KB_EDGE_CLOCK, true, 1500);
  KT_EQ(ed.samples, 1);
  /* 40 minutes later (> 2^31 us): the sample is due, and fires first */
  (void)kb_edge_feed(&ed, KB_EDGE_DATA, false, 1500u + 2400000000u);
  KT_EQ(ed.samples, 2);
  KT_EQ(link_.m_count, 1);
  KT_EQ(link_.p_count, 1);
  KT_EQ(link_.slot[0].panel[0] & 1u, 1); /* it read the level from before */
}

/* The idle call: the message is in the ring at last rise + KB_GAP_US + 1
 * (the first advance or change at or after it), not a microsecond before;
 * once; its boundary then publishes nothing more. kb_edge_due() names each
 * timed action (the trailing sample, then the idle call). */
static void test_idle_publishes(void) {
  uint32_t due = 0, rise;
  kb_link_stats_t st;
  setup(100000);
  KT_CHECK(!kb_edge_due(&ed, &due)); /* nothing armed */
  message(status_msg, sizeof status_msg);
  rise = now - 3000u - 500u; /* the trailing cell's rising edge */
  KT_CHECK(kb_edge_due(&ed, &due));
  KT_EQ(due, rise + KB_SAMPLE_US); /* the trailing sample */
  KT_CHECK(kb_edge_idle_due(&ed, &due)); /* the clock is high: it will arm the idle call */
  KT_EQ(due, rise + KB_GAP_US + 1u);
  kb_edge_advance(&ed, rise + KB_SAMPLE_US);
  KT_EQ(ed.samples, 84);
  KT_CHECK(kb_edge_due(&ed, &due));
  KT_EQ(due, rise + KB_GAP_US + 1u);
  kb_edge_advance(&ed, rise + KB_GAP_US);
  KT_CHECK(kb_link_peek(&link_) == NULL);
  KT_EQ(ed.idles, 0);
  kb_edge_advance(&ed, rise + KB_GAP_US + 1u);
  KT_EQ(ed.idles, 1);
  KT_CHECK(!kb_edge_due(&ed, &due));
  KT_CHECK(!kb_edge_idle_due(&ed, &due));
  expect_status_frame();
  kb_edge_advance(&ed, rise + 2500u); /* once */
  KT_EQ(ed.idles, 1);
  KT_CHECK(kb_link_peek(&link_) == NULL);
  /* the next message: its boundary publishes nothing; its own idle does */
  message(status_msg, sizeof status_msg);
  KT_CHECK(kb_link_peek(&link_) == NULL);
  kb_link_stats(&link_, &st);
  KT_EQ(st.frames, 1);
  KT_EQ(st.messages, 2);
  kb_edge_advance(&ed, now - 3000u - 500u + KB_GAP_US + 1u);
  expect_status_frame();
  KT_EQ(ed.idles, 2);
  /* finish after it: nothing more (the capture is empty) */
  kb_edge_finish(&ed);
  KT_CHECK(kb_link_peek(&link_) == NULL);
  kb_link_stats(&link_, &st);
  KT_EQ(st.frames, 2);
  KT_EQ(st.runts, 0);
}

/* Without any advance in the gap the next change does it, before the change
 * is applied: the boundary edge (or a data change in the gap) at or after the
 * idle time finds the message published; a data change exactly at the idle
 * time comes after the call, one a microsecond earlier does not trigger it. */
static void test_idle_on_change(void) {
  uint32_t rise;
  setup(5000);
  message(status_msg, sizeof status_msg);
  rise = now - 3500u;
  (void)kb_edge_feed(&ed, KB_EDGE_DATA, false, rise + KB_GAP_US);
  KT_EQ(ed.idles, 0);
  KT_CHECK(kb_link_peek(&link_) == NULL);
  (void)kb_edge_feed(&ed, KB_EDGE_DATA, true, rise + KB_GAP_US + 1u);
  KT_EQ(ed.idles, 1);
  expect_status_frame();
  /* and through the boundary edge itself */
  message(status_msg, sizeof status_msg);
  KT_EQ(ed.idles, 1);
  boundary();
  KT_EQ(ed.idles, 2);
  expect_status_frame();
  KT_CHECK(kb_link_peek(&link_) == NULL);
}

/* The clock re-read at the idle call: a falling edge the port missed leaves
 * the clock low, so the message is not ended there (the link waits for the
 * boundary, as without the idle call). A clock edge the port sees disarms
 * the call: a bit cell that comes back within the gap keeps the message
 * going. */
static void test_idle_clock_low_and_disarm(void) {
  uint32_t rise, due;
  setup(5000);
  message(status_msg, sizeof status_msg);
  rise = now - 3500u;
  kb_edge_advance(&ed, rise + KB_SAMPLE_US); /* idle armed */
  KT_CHECK(kb_edge_idle_due(&ed, &due));
  KT_EQ(due, rise + KB_GAP_US + 1u);
  kb_edge_missed(&ed, KB_EDGE_CLOCK, false, rise + 900u);
  kb_edge_advance(&ed, rise + KB_GAP_US + 1u);
  KT_EQ(ed.idles, 0);
  KT_CHECK(!kb_edge_due(&ed, &due)); /* made once: it said no */
  KT_CHECK(kb_link_peek(&link_) == NULL);
  kb_edge_missed(&ed, KB_EDGE_CLOCK, true, rise + 2000u);
  boundary(); /* publishes it, as without the idle call */
  expect_status_frame();
  /* disarm: one more (slow) cell, falling 600 us after the rise */
  setup(5000);
  message(status_msg, sizeof status_msg);
  rise = now - 3500u;
  kb_edge_advance(&ed, rise + KB_SAMPLE_US);
  (void)kb_edge_feed(&ed, KB_EDGE_CLOCK, false, rise + 600u);
  KT_CHECK(!kb_edge_idle_due(&ed, &due)); /* a low phase: its sample reads low */
  KT_CHECK(kb_edge_due(&ed, &due));
  KT_EQ(due, rise + 600u + KB_SAMPLE_US);
  (void)kb_edge_feed(&ed, KB_EDGE_CLOCK, true, rise + 900u);
  kb_edge_advance(&ed, rise + KB_GAP_US + 1u); /* not due: the new rise re-arms it */
  KT_EQ(ed.idles, 0);
  KT_CHECK(kb_link_peek(&link_) == NULL);
  kb_edge_advance(&ed, rise + 900u + KB_GAP_US);
  KT_EQ(ed.idles, 0);
  kb_edge_advance(&ed, rise + 900u + KB_GAP_US + 1u);
  KT_EQ(ed.idles, 1);
  const kb_frame_t *f = kb_link_peek(&link_);
  KT_CHECK(f != NULL);
  if (f) KT_EQ(f->panel_bits, 43); /* the extra cell belongs to it */
}

/* The idle time past the 32-bit wrap. */
static void test_idle_wrap(void) {
  uint32_t rise, due;
  setup(0);
  now = (uint32_t)0u - 41500u - 400u; /* the trailing rise 400 us before the wrap */
  message(status_msg, sizeof status_msg);
  rise = now - 3500u;
  KT_EQ(rise, (uint32_t)0u - 400u);
  kb_edge_advance(&ed, rise + KB_SAMPLE_US);
  KT_CHECK(kb_edge_due(&ed, &due));
  KT_EQ(due, 601u);
  kb_edge_advance(&ed, 600u);
  KT_CHECK(kb_link_peek(&link_) == NULL);
  kb_edge_advance(&ed, 601u);
  expect_status_frame();
}

KT_MAIN(KT_CASE(test_message_through), KT_CASE(test_sample_time), KT_CASE(test_glitch_cancels),
        KT_CASE(test_write_line), KT_CASE(test_wrap), KT_CASE(test_missed_and_lines),
        KT_CASE(test_no_link), KT_CASE(test_long_gap), KT_CASE(test_idle_publishes),
        KT_CASE(test_idle_on_change), KT_CASE(test_idle_clock_low_and_disarm), KT_CASE(test_idle_wrap))
