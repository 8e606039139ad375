/* SPDX-License-Identifier: MIT
 * Classic series replay and waveforms (kb_cls_edges.h). */
#include "host/kb_cls_edges.h"

#include <string.h>

#include "keybus/kb_proto.h"

/* ------------------------------------------------------------ replay */

static void drain(kb_cls_replay_t *r, uint64_t t) {
  const kb_cls_frame_t *f;
  while (r->on_frame && (f = kb_cls_link_peek(&r->link)) != NULL) {
    if (r->on_frame) r->on_frame(r->ctx, f, t);
    kb_cls_link_pop(&r->link);
  }
  if (r->on_change) {
    kb_link_change_t ch = kb_cls_link_tick(&r->link, (uint32_t)t);
    if (ch != KB_LINK_NO_CHANGE) r->on_change(r->ctx, ch, t);
  }
}

static void fire(kb_cls_replay_t *r, uint64_t t) {
  if (!r->pending || t < r->t_sample) return;
  r->pending = false;
  kb_cls_link_sample(&r->link, r->level[KB_EDGE_CLOCK] != 0, r->level[KB_EDGE_DATA] != 0,
                     r->level[KB_EDGE_PC16] != 0);
}

void kb_cls_replay_init(kb_cls_replay_t *r, uint32_t gap_us, kb_cls_frame_fn on_frame,
                        kb_cls_change_fn on_change, void *ctx) {
  memset(r, 0, sizeof *r);
  kb_cls_link_init(&r->link, gap_us);
  r->level[0] = r->level[1] = r->level[2] = 1;
  r->on_frame = on_frame;
  r->on_change = on_change;
  r->ctx = ctx;
}

void kb_cls_replay_edge(kb_cls_replay_t *r, const kb_edge_t *e) {
  uint64_t t = e->t_us;
  uint8_t level = e->level ? 1 : 0;
  if (t < r->t_last) {
    r->out_of_order++;
    t = r->t_last;
  }
  r->t_last = t;
  fire(r, t);
  if (e->wire > KB_EDGE_PC16 || r->level[e->wire] == level) return;
  r->level[e->wire] = level;
  if (e->wire != KB_EDGE_CLOCK) return;
  if (r->pending) r->cancelled++;
  r->write = (uint8_t)kb_cls_link_edge(&r->link, level != 0, (uint32_t)t);
  r->pending = true;
  r->t_sample = t + KB_SAMPLE_US;
  drain(r, t);
}

void kb_cls_replay_cb(void *ctx, const kb_edge_t *e) { kb_cls_replay_edge(ctx, e); }

int kb_cls_replay_port(void *ctx, const kb_edge_t *e) {
  kb_cls_replay_t *r = ctx;
  kb_cls_replay_edge(r, e);
  return r->write == KB_LINK_WRITE_PULL_LOW;
}

void kb_cls_replay_advance(kb_cls_replay_t *r, uint64_t t_us) {
  if (t_us < r->t_last) return;
  r->t_last = t_us;
  fire(r, t_us);
  drain(r, t_us);
}

void kb_cls_replay_end(kb_cls_replay_t *r, uint64_t t_us) {
  kb_cls_replay_advance(r, t_us);
  kb_cls_link_finish(&r->link);
  drain(r, t_us > r->t_last ? t_us : r->t_last);
}

/* ---------------------------------------------------------- waveforms */

static void put(kb_cls_wave_t *w, uint64_t t, uint8_t wire, int level) {
  kb_edge_t e;
  e.t_us = t;
  e.wire = wire;
  e.level = (uint8_t)(level != 0);
  w->out(w->ctx, &e);
}

void kb_cls_wave_init(kb_cls_wave_t *w, uint64_t t0_us, kb_edge_fn out, void *ctx) {
  w->out = out;
  w->ctx = ctx;
  w->t = t0_us;
}

void kb_cls_wave_frame(kb_cls_wave_t *w, const kb_cls_frame_t *f) {
  uint64_t t = w->t;
  for (unsigned n = 0; n < 16u; n++) {
    uint8_t m = (uint8_t)(0x80u >> (n & 7u));
    int key = f->kbits > n ? (f->k[n >> 3] & m) != 0 : 1;
    put(w, t, KB_EDGE_CLOCK, 0); /* keypad slot n+1 */
    put(w, t + KB_CLS_SKEW_US, KB_EDGE_DATA, key);
    t += KB_CLS_HALF_US;
    put(w, t, KB_EDGE_CLOCK, 1); /* panel bit n+1 */
    put(w, t + KB_CLS_SKEW_US, KB_EDGE_DATA, (f->d[n >> 3] & m) != 0);
    put(w, t + KB_CLS_SKEW_US, KB_EDGE_PC16, (f->p[n >> 3] & m) != 0);
    if (n < 15u) t += KB_CLS_HALF_US;
  }
  /* the last high phase runs on into the idle period; lines released */
  put(w, t + KB_CLS_HALF_US, KB_EDGE_DATA, 1);
  put(w, t + KB_CLS_HALF_US, KB_EDGE_PC16, 1);
  w->t = t + KB_CLS_IDLE_US;
}

void kb_cls_wave_idle(kb_cls_wave_t *w, uint64_t us) { w->t += us; }
