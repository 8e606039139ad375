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
  a->link = link;
  a->clk = 1;
  a->dat = 1;
  a->pending = false;
  a->t_sample = 0;
  a->t_last = 0;
  a->started = false;
  a->clock_edges = a->data_edges = a->samples = 0;
  a->cancelled = a->duplicates = a->out_of_order = 0;
}

static void fire(kb_edges_t *a) {
  a->pending = false;
  a->samples++;
  kb_link_sample(a->link, a->clk != 0, a->dat != 0);
}

void kb_edges_advance(kb_edges_t *a, uint64_t t_us) {
  if (a->pending && t_us >= a->t_sample) fire(a);
}

void kb_edges_feed(kb_edges_t *a, const kb_edge_t *e) {
  uint64_t t = e->t_us;
  uint8_t level = e->level ? 1 : 0;
  if (a->started && t < a->t_last) {
    a->out_of_order++;
    t = a->t_last;
  }
  a->started = true;
  a->t_last = t;
  /* The armed sample sees the levels before this edge when it is due. */
  kb_edges_advance(a, t);
  if (e->wire == KB_WIRE_CLOCK) {
    if (level == a->clk) {
      a->duplicates++;
      return;
    }
    if (a->pending) { /* clock edge before the sample fired: glitch */
      a->pending = false;
      a->cancelled++;
    }
    a->clk = level;
    a->clock_edges++;
    (void)kb_link_edge(a->link, level != 0, (uint32_t)t);
    a->pending = true;
    a->t_sample = t + KB_EDGES_SAMPLE_US;
  } else {
    if (level == a->dat) {
      a->duplicates++;
      return;
    }
    a->dat = level;
    a->data_edges++;
  }
}

void kb_edges_cb(void *ctx, const kb_edge_t *e) { kb_edges_feed(ctx, e); }

void kb_edges_finish(kb_edges_t *a) {
  if (a->pending) fire(a);
  kb_link_finish(a->link);
}
