/* SPDX-License-Identifier: MIT
 *
 * kb_edges.c - replay adaptor from wire edges to the link layer (kb_edges.h).
 */
#include "host/kb_edges.h"

#include <stdlib.h>

void kb_edge_vec_push(void *vec, const kb_edge_t *e) {
  kb_edge_vec_t *v = vec;
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 256;
    kb_edge_t *nv = realloc(v->v, cap * sizeof *nv);
    if (!nv) {
      v->oom = true;
      return;
    }
    v->v = nv;
    v->cap = cap;
  }
  v->v[v->n++] = *e;
}

void kb_edge_vec_free(kb_edge_vec_t *vec) {
  free(vec->v);
  vec->v = NULL;
  vec->n = vec->cap = 0;
  vec->oom = false;
}

void kb_edges_init(kb_edges_t *a, kb_link_t *link) {
  kb_edge_init(&a->port, link);
  a->t_armed = 0;
  a->t_last = 0;
  a->started = false;
  a->out_of_order = 0;
}

void kb_edges_advance(kb_edges_t *a, uint64_t t_us) {
  /* 64-bit decision, then the core takes the sample at its own time: exact
   * whatever the gap (the core's clock is 32 bits) */
  if (a->port.pending && t_us >= a->t_armed && t_us - a->t_armed >= KB_SAMPLE_US)
    kb_edge_advance(&a->port, (uint32_t)(a->t_armed + KB_SAMPLE_US));
  /* the idle call likewise, at its own time (armed by that sample when it
   * read the clock high): the link publishes the message there */
  if (a->port.idle && t_us >= a->t_armed && t_us - a->t_armed > KB_GAP_US)
    kb_edge_advance(&a->port, (uint32_t)(a->t_armed + KB_GAP_US + 1u));
}

void kb_edges_feed(kb_edges_t *a, const kb_edge_t *e) {
  uint64_t t = e->t_us;
  uint32_t armed;
  if (a->started && t < a->t_last) {
    a->out_of_order++;
    t = a->t_last;
  }
  a->started = true;
  a->t_last = t;
  /* The armed sample sees the levels before this edge when it is due. */
  kb_edges_advance(a, t);
  armed = a->port.clock_edges;
  (void)kb_edge_feed(&a->port, e->wire, e->level != 0, (uint32_t)t);
  if (a->port.clock_edges != armed) a->t_armed = t;
}

void kb_edges_cb(void *ctx, const kb_edge_t *e) { kb_edges_feed(ctx, e); }

void kb_edges_finish(kb_edges_t *a) { kb_edge_finish(&a->port); }

/* ------------------------------------------------------------- replay */

/* Steps after the last edge within which something can still change: the
 * armed sample and the message the gap ended at the first step, the
 * disconnection at most KB_DISCONNECT_US after the first step (the last
 * boundary the task noticed is at most that old). Two spare steps. */
#define REPLAY_LIVE_STEPS ((uint64_t)KB_DISCONNECT_US / KB_REPLAY_STEP_US + 3u)

void kb_replay_init(kb_replay_t *r, kb_replay_frame_fn frame, kb_replay_change_fn change,
                    void *ctx) {
  kb_link_init(&r->link);
  kb_edges_init(&r->adapt, &r->link);
  r->now_us = 0;
  r->skipped_us = 0;
  r->t_rise = 0;
  r->clock_high = true; /* both wires idle high until the capture says otherwise */
  r->started = false;
  r->jumps = 0;
  r->frame = frame;
  r->change = change;
  r->ctx = ctx;
}

static uint32_t link_time(const kb_replay_t *r) { return (uint32_t)(r->now_us - r->skipped_us); }

static void drain(kb_replay_t *r) {
  const kb_frame_t *f;
  while ((f = kb_link_peek(&r->link)) != NULL) {
    if (r->frame) r->frame(r->ctx, f, r->now_us);
    kb_link_pop(&r->link);
  }
}

static void task_tick(kb_replay_t *r) {
  kb_link_change_t ch = kb_link_tick(&r->link, link_time(r));
  if (ch != KB_LINK_NO_CHANGE && r->change) r->change(r->ctx, ch, r->now_us);
}

/* One task step at now_us (inside a gap). The adaptor's idle call ends the
 * message the clock ended (held high past KB_GAP_US): the link publishes
 * it, as a port's idle interrupt would make it. */
static void step(kb_replay_t *r) {
  kb_edges_advance(&r->adapt, r->now_us - r->skipped_us);
  drain(r);
  task_tick(r);
}

void kb_replay_edge(kb_replay_t *r, const kb_edge_t *e) {
  uint64_t t = e->t_us;
  kb_edge_t le;
  if (!r->started) {
    /* the task starts with the capture (its first time stamp) */
    r->started = true;
    r->now_us = t;
    r->t_rise = t;
  }
  if (t < r->now_us) t = r->now_us;
  /* Task steps in the gap before this edge: at now + k * STEP while the
   * edge is more than a step away. Differences only: no sum can wrap. */
  if (t - r->now_us > KB_REPLAY_STEP_US) {
    uint64_t steps = (t - r->now_us - 1u) / KB_REPLAY_STEP_US;
    uint64_t live = steps < REPLAY_LIVE_STEPS ? steps : REPLAY_LIVE_STEPS;
    for (uint64_t k = 0; k < live; k++) {
      r->now_us += KB_REPLAY_STEP_US;
      step(r);
    }
    if (steps > live) { /* the rest of the steps change nothing: jump */
      uint64_t rest = (steps - live) * KB_REPLAY_STEP_US;
      r->now_us += rest;
      r->skipped_us += rest;
      r->jumps++;
    }
  }
  if (t / KB_REPLAY_STEP_US != r->now_us / KB_REPLAY_STEP_US) {
    r->now_us = t;
    task_tick(r);
  }
  r->now_us = t;
  if (e->wire == KB_EDGE_CLOCK && (e->level != 0) != r->clock_high) {
    r->clock_high = e->level != 0;
    if (r->clock_high) r->t_rise = t;
  }
  le = *e;
  le.t_us = t - r->skipped_us;
  kb_edges_feed(&r->adapt, &le);
  drain(r);
}

void kb_replay_cb(void *ctx, const kb_edge_t *e) { kb_replay_edge(ctx, e); }

void kb_replay_end(kb_replay_t *r, uint64_t t_end_us) {
  kb_edges_finish(&r->adapt);
  drain(r);
  if (t_end_us > r->now_us) {
    /* one tick at the end time; a gap longer than the rule is one jump */
    uint64_t d = t_end_us - r->now_us;
    uint64_t keep = (REPLAY_LIVE_STEPS + 1u) * KB_REPLAY_STEP_US;
    if (d > keep) {
      r->skipped_us += d - keep;
      r->jumps++;
    }
    r->now_us = t_end_us;
  }
  task_tick(r);
}
