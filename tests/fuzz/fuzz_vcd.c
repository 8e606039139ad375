/* SPDX-License-Identifier: MIT
 *
 * fuzz_vcd.c - the VCD reader and the replay (src/host/kb_vcd.c,
 * kb_edges.c) as keybus-reader runs them: the input is a VCD file; its edges
 * go through kb_replay_t (adaptor, link, task steps in the gaps) and every
 * published frame into an engine in live mode. Invariants: edges come in
 * time order with valid wires and levels, frames and connection changes are
 * reported in time order, a frame's bit counts fit the ring's bytes, the
 * replay ends (a gap costs O(1), whatever the timestamps).
 */
#include "fuzz.h"

#include "host/kb_edges.h"
#include "host/kb_vcd.h"
#include "keybus/kb_engine.h"

static kb_replay_t rp;
static kb_engine_t eng;
static uint64_t last_t;

static void on_frame(void *ctx, const kb_frame_t *f, uint64_t t) {
  (void)ctx;
  FZ_ASSERT(t >= last_t);
  last_t = t;
  FZ_ASSERT(f->panel_bits >= 8);
  kb_engine_frame(&eng, f, (uint32_t)(t / 1000u));
}

static void on_change(void *ctx, kb_link_change_t ch, uint64_t t) {
  (void)ctx;
  FZ_ASSERT(ch == KB_LINK_CONNECTED || ch == KB_LINK_DISCONNECTED);
  FZ_ASSERT(t >= last_t);
  last_t = t;
  kb_engine_connected(&eng, ch == KB_LINK_CONNECTED, (uint32_t)(t / 1000u));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kb_vcd_reader_t r;
  kb_errs_t errs = {0};
  kb_edge_t e;
  uint64_t t_prev = 0;
  int rc;
  FILE *f;
  if (!size) return 0;
  f = fmemopen((void *)data, size, "r");
  if (!f) return 0;
  last_t = 0;
  kb_engine_init(&eng, KB_MODE_LIVE, NULL, NULL);
  kb_replay_init(&rp, on_frame, on_change, NULL);
  if (kb_vcd_open(&r, f, "fuzz.vcd", NULL, &errs) == 0) {
    while ((rc = kb_vcd_next(&r, &e)) == 1) {
      /* a third wire named pc16/pgm is the Classic's PC-16 line (kb_vcd.h) */
      FZ_ASSERT(e.wire == KB_EDGE_CLOCK || e.wire == KB_EDGE_DATA || e.wire == KB_EDGE_PC16);
      FZ_ASSERT(e.level <= 1);
      FZ_ASSERT(e.t_us >= t_prev);
      t_prev = e.t_us;
      kb_replay_edge(&rp, &e);
    }
    FZ_ASSERT(rc == 0 || rc == -1);
    kb_replay_end(&rp, r.t_us);
    kb_vcd_close(&r);
  }
  FZ_ASSERT(errs.n <= KB_VCD_MAX_ERRORS + 4);
  kb_errs_free(&errs);
  fclose(f);
  return 0;
}
