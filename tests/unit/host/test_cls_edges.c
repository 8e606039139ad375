/* SPDX-License-Identifier: MIT
 *
 * test_cls_edges.c - the Classic link (kb_cls_link.h) driven through the
 * Classic replay (kb_cls_edges.h) by the Classic waveform generator: frames
 * come out as they went in (D, P, K bytes, bit counts), the frame boundary
 * threshold is the panel type's, runts and overflows are counted, and a
 * Classic VCD (three wires) reads back to the same frames.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "host/kb_cls_edges.h"
#include "host/kb_vcd.h"

static kb_cls_replay_t rp;
static kb_cls_frame_t got[64];
static uint64_t got_t[64];
static unsigned ngot, nconn;

static void on_frame(void *ctx, const kb_cls_frame_t *f, uint64_t t) {
  (void)ctx;
  if (ngot < 64) got_t[ngot] = t, got[ngot++] = *f;
}
static void on_change(void *ctx, kb_link_change_t ch, uint64_t t) {
  (void)ctx;
  (void)t;
  if (ch == KB_LINK_CONNECTED) nconn++;
}

static kb_cls_frame_t mk(uint8_t d0, uint8_t d1, uint8_t p0, uint8_t p1, uint8_t k0) {
  kb_cls_frame_t f;
  memset(&f, 0, sizeof f);
  f.d[0] = d0, f.d[1] = d1, f.p[0] = p0, f.p[1] = p1;
  f.k[0] = k0, f.k[1] = 0xFF;
  f.bits = 16;
  f.kbits = k0 != 0xFF ? 16 : 0;
  return f;
}

static void frames_round_trip(void) {
  kb_cls_wave_t w;
  kb_cls_frame_t in[3] = {mk(0x00, 0x80, 0x00, 0x00, 0xFF), mk(0x80, 0x60, 0x80, 0x21, 0xD7),
                          mk(0xC3, 0x5A, 0xA5, 0x3C, 0x3F)};
  ngot = nconn = 0;
  kb_cls_replay_init(&rp, 0, on_frame, on_change, NULL);
  kb_cls_wave_init(&w, 1000, kb_cls_replay_cb, &rp);
  for (int i = 0; i < 3; i++) kb_cls_wave_frame(&w, &in[i]);
  kb_cls_replay_end(&rp, w.t);
  KT_EQ(ngot, 3);
  for (unsigned i = 0; i < ngot && i < 3; i++) {
    KT_EQ(got[i].d[0], in[i].d[0]);
    KT_EQ(got[i].d[1], in[i].d[1]);
    KT_EQ(got[i].p[0], in[i].p[0]);
    KT_EQ(got[i].p[1], in[i].p[1]);
    KT_EQ(got[i].k[0], in[i].k[0]);
    KT_EQ(got[i].k[1], 0xFF);
    KT_EQ(got[i].bits, 16);
    KT_EQ(got[i].kbits, 16); /* the low phases are sampled whether or not a keypad spoke */
  }
  KT_EQ(nconn, 1);
  KT_EQ(rp.link.runts, 0);
  KT_EQ(rp.link.overflows, 0);
  /* published at the next frame's first edge: one frame period later */
  KT_EQ(got_t[1] - got_t[0], 31u * KB_CLS_HALF_US + KB_CLS_IDLE_US);
}

/* The boundary threshold belongs to the panel type: a Classic's half
 * phase (780 us) and a 1.5 ms stretch are inside a frame at 2000 us; a
 * PowerSeries threshold (1000 us) would cut the frame at the stretch. */
static void gap_threshold_per_panel(void) {
  kb_edge_t e;
  uint64_t t = 10000;
  for (int pass = 0; pass < 2; pass++) {
    ngot = 0;
    kb_cls_replay_init(&rp, pass ? 1000u : 0u, on_frame, NULL, NULL);
    t = 10000;
    for (int n = 0; n < 16; n++) {
      e.wire = KB_EDGE_CLOCK, e.level = 0, e.t_us = t;
      kb_cls_replay_edge(&rp, &e);
      t += 780;
      e.level = 1, e.t_us = t;
      kb_cls_replay_edge(&rp, &e);
      t += n == 7 ? 1500 : 780; /* a slow high phase mid-frame */
    }
    kb_cls_replay_end(&rp, t + 30000);
    if (!pass) {
      KT_EQ(rp.link.gap_us, KB_CLS_GAP_US);
      KT_EQ(ngot, 1);
      KT_EQ(got[0].bits, 16);
    } else {
      KT_EQ(ngot, 2); /* 8 + 8 bits: two frames the decoder drops as runts */
      KT_EQ(got[0].bits, 8);
    }
  }
}

static void runts_and_overflow(void) {
  kb_cls_wave_t w;
  kb_cls_frame_t f = mk(0, 0x80, 0, 0, 0xFF);
  kb_edge_t e;
  ngot = 0;
  kb_cls_replay_init(&rp, 0, NULL, NULL, NULL); /* nobody drains the ring */
  kb_cls_wave_init(&w, 1000, kb_cls_replay_cb, &rp);
  for (int i = 0; i < KB_CLS_RING + 3; i++) kb_cls_wave_frame(&w, &f);
  kb_cls_replay_end(&rp, w.t);
  KT_EQ(rp.link.frames, KB_CLS_RING);
  KT_EQ(rp.link.overflows, 3);
  KT_EQ(rp.link.high_water, KB_CLS_RING);
  kb_cls_replay_init(&rp, 0, on_frame, NULL, NULL);
  for (int n = 0; n < 5; n++) { /* 5 cycles only */
    e.wire = KB_EDGE_CLOCK, e.level = 0, e.t_us = 5000u + 1560u * (unsigned)n;
    kb_cls_replay_edge(&rp, &e);
    e.level = 1, e.t_us += 780;
    kb_cls_replay_edge(&rp, &e);
  }
  kb_cls_replay_end(&rp, 100000);
  KT_EQ(rp.link.runts, 1);
  KT_EQ(ngot, 0);
}

/* A Classic VCD has the third wire; it reads back to the same frames. */
static void vcd_three_wires(void) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  kb_vcd_writer_t vw;
  kb_cls_wave_t w;
  kb_cls_frame_t in = mk(0x40, 0xC0, 0x00, 0x80, 0xBE);
  kb_vcd_reader_t r;
  kb_errs_t errs = {0};
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(kb_vcd_writer_begin_classic(&vw, f, "test", 0), 0);
  kb_cls_wave_init(&w, 100, kb_vcd_writer_cb, &vw);
  kb_cls_wave_frame(&w, &in);
  kb_cls_wave_frame(&w, &in);
  KT_EQ(kb_vcd_writer_end(&vw, w.t), 0);
  fclose(f);
  KT_CHECK(strstr(buf, "$var wire 1 # pc16 $end") != NULL);
  f = fmemopen(buf, len, "r");
  KT_EQ(kb_vcd_open(&r, f, "mem.vcd", NULL, &errs), 0);
  KT_STREQ(r.var[KB_EDGE_PC16], "pc16");
  ngot = 0;
  kb_cls_replay_init(&rp, 0, on_frame, NULL, NULL);
  KT_CHECK(kb_vcd_read_all(&r, kb_cls_replay_cb, &rp) > 0);
  kb_cls_replay_end(&rp, r.t_us + 30000);
  KT_EQ(ngot, 2);
  KT_EQ(got[0].d[1], 0xC0);
  KT_EQ(got[0].p[1], 0x80);
  KT_EQ(got[0].k[0], 0xBE);
  KT_EQ(errs.n, 0);
  kb_errs_free(&errs);
  fclose(f);
  free(buf);
}

KT_MAIN(KT_CASE(frames_round_trip), KT_CASE(gap_threshold_per_panel), KT_CASE(runts_and_overflow),
        KT_CASE(vcd_three_wires))
