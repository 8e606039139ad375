/* SPDX-License-Identifier: MIT
 * Invariants of the trust model (docs/architecture.md) under random input:
 * random frames into the engine (live and log), random edges into the link
 * and the engine behind it. Run under ASan+UBSan by `make test`; any read
 * or write out of bounds aborts the run. */
#include <stdlib.h>

#include "harness.h"
#include "keybus/kb_engine.h"
#include "keybus/kb_link.h"

static uint32_t rng = 0x12345678u;
static uint32_t rnd(void) { /* xorshift32: reproducible across libcs */
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

static unsigned bad_events;

static void check_event(void *ctx, const kb_event_t *ev) {
  (void)ctx;
  if (ev->type >= KB_EV_COUNT || ev->partition > KB_MAX_PARTITIONS) bad_events++;
  if ((ev->type == KB_EV_ZONE_OPEN || ev->type == KB_EV_ZONE_ALARM || ev->type == KB_EV_ZONE_TAMPER ||
       ev->type == KB_EV_ZONE_BYPASS) &&
      (ev->zone.zone < 1 || ev->zone.zone > KB_MAX_ZONES))
    bad_events++;
  if (ev->type == KB_EV_PGM && (ev->pgm.output < 1 || ev->pgm.output > 14)) bad_events++;
  /* the issue-7 types: a sound names a partition, a flag is one known bit,
   * a module is a known device with a number in its range */
  if ((ev->type == KB_EV_BEEP || ev->type == KB_EV_TONE || ev->type == KB_EV_BUZZER) &&
      (ev->partition < 1 || ev->sound.beeps > 127 || (ev->type == KB_EV_TONE && ev->sound.beeps > 7)))
    bad_events++;
  if (ev->type == KB_EV_PANEL_FLAG &&
      (ev->panel_flag.flag == 0 || (ev->panel_flag.flag & (ev->panel_flag.flag - 1u)) ||
       !(ev->panel_flag.flag & (KB_PANEL_E6_MASK | KB_PANEL_DIALER_MASK))))
    bad_events++;
  if (ev->type == KB_EV_MODULE &&
      (ev->module.device > KB_DEVICE_PC5204 ||
       (ev->module.device == KB_DEVICE_KEYPAD && (ev->module.number < 1 || ev->module.number > 8)) ||
       (ev->module.device == KB_DEVICE_EXPANDER && (ev->module.number < 1 || ev->module.number > 7))))
    bad_events++;
}

static void check_model(const kb_engine_t *e) {
  for (int p = 0; p < KB_MAX_PARTITIONS; p++) {
    const kb_partition_t *pt = &e->status.part[p];
    KT_CHECK(pt->armed <= KB_ARMED_AWAY);
    KT_CHECK(pt->exit_target <= KB_EXIT_NO_ENTRY_DELAY);
    KT_CHECK(pt->ready <= 1 && pt->alarm <= 1 && pt->fire <= 1);
    KT_CHECK(!(pt->disabled && pt->ready));
  }
  KT_CHECK(e->status.pgm < (1u << 14));
  KT_CHECK(e->health.frames_ok <= e->health.frames);
}

/* Frames that look like the panel's: a known command byte most of the time,
 * a plausible length, random content. */
static const uint8_t cmds[] = {0x05, 0x1B, 0x27, 0x2D, 0x34, 0x3E, 0x0A, 0x0F, 0x16, 0x87, 0xA5, 0xAA,
                               0xEB, 0xEC, 0xCE, 0xE6, 0x11, 0x1C, 0x64, 0x5D, 0x4C, 0xD5, 0x00, 0xFF};

static void random_frame(uint8_t *b, uint16_t *bits, int fix_checksum) {
  uint8_t n;
  for (int i = 0; i < 16; i++) b[i] = (uint8_t)rnd();
  b[0] = cmds[rnd() % sizeof cmds];
  b[1] = (rnd() % 8) == 0;
  n = (uint8_t)(1 + rnd() % 16);
  *bits = (uint16_t)(n == 1 ? 8 : 8u * n - 7u + rnd() % 3u);
  if (b[0] == 0xE6) b[2] = (uint8_t)(rnd() % 0x30);
  if (fix_checksum && n >= 3) {
    uint8_t s = b[0];
    for (uint8_t i = 2; i + 1u < n; i++) s = (uint8_t)(s + b[i]);
    b[n - 1] = s;
  }
}

static void engine_random_frames(void) {
  static kb_engine_t e;
  for (int round = 0; round < 2; round++) {
    kb_engine_init(&e, round ? KB_MODE_LOG : KB_MODE_LIVE, check_event, NULL);
    bad_events = 0;
    for (int i = 0; i < 200000; i++) {
      uint8_t b[16];
      uint16_t bits;
      kb_decoded_t d;
      random_frame(b, &bits, (int)(rnd() % 2));
      if (rnd() % 4 == 0) {
        (void)kb_engine_module(&e, cmds[rnd() % sizeof cmds], (uint8_t)rnd(), b, (uint8_t)(rnd() % 17),
                               bits, (uint32_t)i, &d);
      } else {
        (void)kb_engine_panel(&e, b, (uint8_t)(rnd() % 17), bits, (uint16_t)rnd(), (uint32_t)i, &d);
      }
      KT_CHECK(d.nparts <= 4 && d.nkeys <= 4);
      KT_CHECK(d.check == KB_CHECK_OK || d.has == 0);
      KT_CHECK(d.nbytes <= KB_FRAME_BYTES);
    }
    check_model(&e);
    KT_EQ(bad_events, 0);
    KT_CHECK(e.status.synced); /* a valid 0x05/0x1B turned up */
  }
}

/* Random edges, random timing (glitches, long gaps, wrap of the timestamp). */
static void link_random_edges(void) {
  static kb_link_t l;
  static kb_engine_t e;
  uint32_t t = 0xFFF00000u;
  int clk = 1, frames = 0;
  kb_link_init(&l);
  kb_engine_init(&e, KB_MODE_LIVE, check_event, NULL);
  bad_events = 0;
  for (int i = 0; i < 400000; i++) {
    uint32_t r = rnd();
    t += (r % 16 == 0) ? 1000u + r % 8000u : 1u + r % 700u;
    clk = !clk;
    (void)kb_link_edge(&l, clk != 0, t);
    kb_link_sample(&l, (rnd() % 16) ? clk != 0 : clk == 0, (rnd() & 1) != 0);
    if (rnd() % 64 == 0) {
      const kb_frame_t *f;
      while ((f = kb_link_peek(&l)) != NULL) {
        KT_CHECK(f->panel_bits >= 8);
        kb_engine_frame(&e, f, t / 1000u);
        kb_link_pop(&l);
        frames++;
      }
    }
  }
  KT_CHECK(frames > 0);
  check_model(&e);
  KT_EQ(bad_events, 0);
}

KT_MAIN(KT_CASE(engine_random_frames), KT_CASE(link_random_edges))
