/* SPDX-License-Identifier: MIT
 *
 * test_wire_idle.c - the virtual wire's idle point (kb_wire_cfg_t.idle_task):
 * the port's idle call publishes each message KB_GAP_US after its last
 * rising edge and the task, run KB_WIRE_IDLE_US after it, sees the frame
 * before the next message starts. Without idle_task the task sees it at the
 * next message's first edge, as before. Same frames either way, noise
 * included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "keybus/kb_link.h"
#include "sim/kb_sim_panel.h"
#include "sim/kb_wire.h"

#define MAXMSG 1500

typedef struct {
  kb_sim_panel_t panel;
  kb_wire_t w;
  kb_link_t link;
  uint64_t t_start[MAXMSG], t_end[MAXMSG]; /* per wire message */
  unsigned nsent;
  kb_frame_t got[MAXMSG];
  uint64_t t_got[MAXMSG]; /* task time at which frame i was drained */
  unsigned ngot;
  unsigned tasks;
} rig_t;

static void on_msg(void *ctx, const kb_wire_msg_t *m) {
  rig_t *r = ctx;
  if (r->nsent >= MAXMSG) return;
  r->t_start[r->nsent] = m->t_start;
  r->t_end[r->nsent] = m->t_end;
  r->nsent++;
}

static void task(void *ctx, uint64_t now) {
  rig_t *r = ctx;
  const kb_frame_t *f;
  r->tasks++;
  while ((f = kb_link_peek(&r->link)) != NULL) {
    if (r->ngot < MAXMSG) {
      r->got[r->ngot] = *f;
      r->t_got[r->ngot++] = now;
    }
    kb_link_pop(&r->link);
  }
  (void)kb_link_tick(&r->link, (uint32_t)now);
}

static rig_t *rig_new(const kb_wire_cfg_t *wc) {
  rig_t *r = calloc(1, sizeof *r);
  kb_sim_cfg_t c;
  kb_wire_port_t port;
  if (!r) abort();
  kb_sim_cfg_default(&c, 1);
  kb_sim_panel_init(&r->panel, &c, 0);
  kb_link_init(&r->link);
  port.link = &r->link;
  port.task = task;
  port.ctx = r;
  kb_wire_init(&r->w, wc, &r->panel, &port, NULL, 0);
  r->w.on_msg = on_msg;
  r->w.msg_ctx = r;
  return r;
}

/* With idle_task: frame i is drained exactly KB_WIRE_IDLE_US after the last
 * rising edge of message i, before message i + 1 starts. */
static void test_task_sees_frame_before_next_message(void) {
  kb_wire_cfg_t wc;
  rig_t *r;
  kb_wire_cfg_default(&wc);
  KT_EQ(wc.idle_task, 0); /* off by default */
  wc.idle_task = true;
  r = rig_new(&wc);
  kb_wire_run_until(&r->w, 2000000);
  KT_CHECK(r->nsent > 20);
  /* every message but the last (its gap is the next step's) was drained */
  KT_EQ(r->ngot + 1, r->nsent);
  for (unsigned i = 0; i < r->ngot && i < r->nsent; i++) {
    if (r->t_got[i] != r->t_end[i] + KB_WIRE_IDLE_US) {
      KT_EQ(r->t_got[i], r->t_end[i] + KB_WIRE_IDLE_US);
      printf("  message %u\n", i);
      break;
    }
    if (i + 1 < r->nsent) KT_CHECK(r->t_got[i] < r->t_start[i + 1]);
    KT_EQ(r->got[i].t_start_us, (uint32_t)r->t_start[i]);
  }
  KT_EQ(r->w.st.idle_points, r->ngot);
  KT_EQ(r->w.port_edge.idles, r->ngot);
  kb_wire_step(&r->w); /* the next message: the last one's idle point first */
  KT_EQ(r->ngot + 1, r->nsent);
  KT_EQ(r->t_got[r->ngot - 1], r->t_end[r->ngot - 1] + KB_WIRE_IDLE_US);
  free(r);
}

/* Without idle_task: the task sees frame i at message i + 1's first edge. */
static void test_without_idle_task_at_next_edge(void) {
  kb_wire_cfg_t wc;
  rig_t *r;
  kb_wire_cfg_default(&wc);
  r = rig_new(&wc);
  kb_wire_run_until(&r->w, 2000000);
  KT_CHECK(r->nsent > 20);
  KT_EQ(r->ngot + 1, r->nsent); /* the last one is still in the gap */
  for (unsigned i = 0; i < r->ngot && i + 1 < r->nsent; i++) {
    if (r->t_got[i] != r->t_start[i + 1]) {
      KT_EQ(r->t_got[i], r->t_start[i + 1]);
      break;
    }
  }
  KT_EQ(r->w.st.idle_points, 0);
  /* the idle call still published each one, just before that edge */
  KT_EQ(r->w.port_edge.idles, r->ngot);
  free(r);
}

/* Noise (bit errors, glitches, lost edges, jitter): the same frames reach
 * the task with and without the idle point; only when differs. */
static void test_same_frames_with_noise(void) {
  static const double ber[2] = {0.0, 0.01};
  for (int k = 0; k < 2; k++) {
    kb_wire_cfg_t wc;
    rig_t *a, *b;
    kb_wire_cfg_default(&wc);
    wc.ber = ber[k];
    wc.glitch_rate = 0.002;
    wc.lost_rate = 0.0005;
    wc.jitter_us = 60;
    wc.seed = 7 + (uint64_t)k;
    a = rig_new(&wc);
    wc.idle_task = true;
    b = rig_new(&wc);
    kb_wire_run_until(&a->w, 6000000);
    kb_wire_run_until(&b->w, 6000000);
    kb_wire_finish(&a->w);
    kb_wire_finish(&b->w);
    KT_EQ(a->nsent, b->nsent);
    KT_EQ(a->ngot, b->ngot);
    KT_CHECK(a->w.st.glitches > 0 && a->w.st.lost_edges > 0);
    KT_EQ(a->w.st.glitches, b->w.st.glitches);
    KT_EQ(a->w.st.lost_edges, b->w.st.lost_edges);
    for (unsigned i = 0; i < a->ngot && i < b->ngot; i++) {
      const kb_frame_t *x = &a->got[i], *y = &b->got[i];
      if (x->panel_bits != y->panel_bits || x->module_bits != y->module_bits ||
          x->t_start_us != y->t_start_us || memcmp(x->panel, y->panel, KB_FRAME_BYTES) != 0 ||
          memcmp(x->module, y->module, KB_FRAME_BYTES) != 0) {
        KT_CHECK(!"frames differ");
        printf("  frame %u differs\n", i);
        break;
      }
      KT_CHECK(b->t_got[i] <= a->t_got[i]); /* never later */
    }
    free(a);
    free(b);
  }
}

/* A clock held high (bus cut): the message before it is drained at the
 * idle point with idle_task, at the first task step without. */
static void test_cut_high(void) {
  for (int idle = 0; idle < 2; idle++) {
    kb_wire_cfg_t wc;
    rig_t *r;
    unsigned n;
    uint64_t t_end;
    kb_wire_cfg_default(&wc);
    wc.idle_task = idle != 0;
    r = rig_new(&wc);
    kb_wire_run_until(&r->w, 1000000);
    KT_CHECK(kb_wire_cut(&r->w, r->w.t, 200000, false));
    n = r->nsent;
    t_end = r->t_end[n - 1];
    KT_EQ(r->w.t, t_end); /* the cut starts at this boundary */
    kb_wire_step(&r->w);  /* the first task step of the cut */
    KT_EQ(r->ngot, n);
    KT_EQ(r->t_got[n - 1], idle ? t_end + KB_WIRE_IDLE_US : t_end + wc.task_us);
    while (r->w.cut[0].state != 2) kb_wire_step(&r->w);
    KT_EQ(r->ngot, n);
    kb_wire_finish(&r->w);
    free(r);
  }
}

KT_MAIN(KT_CASE(test_task_sees_frame_before_next_message), KT_CASE(test_without_idle_task_at_next_edge),
        KT_CASE(test_same_frames_with_noise), KT_CASE(test_cut_high))
