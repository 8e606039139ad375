/* SPDX-License-Identifier: MIT
 *
 * test_wire.c - the virtual wire (src/sim/kb_wire.h): messages clocked
 * through a real kb_link, keypads and the engine's write line on the data
 * line, noise, jitter, cuts and the VCD output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "host/kb_edges.h"
#include "host/kb_vcd.h"
#include "keybus/kb_link.h"
#include "sim/kb_sim_panel.h"
#include "sim/kb_wire.h"

#define MAXMSG 2000

typedef struct {
  kb_sim_panel_t panel;
  kb_wire_t w;
  kb_link_t link;
  /* what the wire sent, per message */
  uint8_t sent[MAXMSG][KB_SIM_FRAME];
  uint8_t read[MAXMSG][KB_SIM_FRAME]; /* module stream the panel read */
  uint16_t bits[MAXMSG];
  uint16_t flips[MAXMSG];
  uint64_t tstart[MAXMSG];
  unsigned nsent;
  /* what the link published */
  kb_frame_t got[MAXMSG];
  unsigned ngot;
  /* task hook */
  void (*hook)(void *rig, uint64_t now);
  int connected_changes, disconnected_changes;
} rig_t;

static void on_msg(void *ctx, const kb_wire_msg_t *m) {
  rig_t *r = ctx;
  if (r->nsent >= MAXMSG) return;
  memcpy(r->sent[r->nsent], m->panel, KB_SIM_FRAME);
  memcpy(r->read[r->nsent], m->module, KB_SIM_FRAME);
  r->bits[r->nsent] = m->bits;
  r->flips[r->nsent] = m->flips;
  r->tstart[r->nsent] = m->t_start;
  r->nsent++;
}

static void task(void *ctx, uint64_t now) {
  rig_t *r = ctx;
  const kb_frame_t *f;
  kb_link_change_t ch;
  while ((f = kb_link_peek(&r->link)) != NULL) {
    if (r->ngot < MAXMSG) r->got[r->ngot++] = *f;
    kb_link_pop(&r->link);
  }
  ch = kb_link_tick(&r->link, (uint32_t)now);
  if (ch == KB_LINK_CONNECTED) r->connected_changes++;
  if (ch == KB_LINK_DISCONNECTED) r->disconnected_changes++;
  if (r->hook) r->hook(r, now);
}

static rig_t *rig_new(const kb_wire_cfg_t *wc, int later, kb_vcd_writer_t *vcd) {
  rig_t *r = calloc(1, sizeof *r);
  kb_sim_cfg_t c;
  kb_wire_port_t port;
  if (!r) abort();
  kb_sim_cfg_default(&c, later);
  kb_sim_panel_init(&r->panel, &c, 0);
  kb_link_init(&r->link);
  port.link = &r->link;
  port.task = task;
  port.ctx = r;
  kb_wire_init(&r->w, wc, &r->panel, &port, vcd, 0);
  r->w.on_msg = on_msg;
  r->w.msg_ctx = r;
  return r;
}

static unsigned nbytes_of(uint16_t bits) { return (bits + 7u) / 8u; }

/* frame i of the link equals message i of the wire (panel bytes, bit count) */
static int same_frame(const rig_t *r, unsigned i) {
  const kb_frame_t *f = &r->got[i];
  unsigned n = nbytes_of(r->bits[i]);
  if (f->panel_bits != r->bits[i] + 1u) return 0; /* + the trailing bit */
  for (unsigned b = 0; b < n && b < KB_FRAME_BYTES; b++) {
    if (b == 1) {
      if ((f->panel[1] & 1u) != (r->sent[i][1] & 1u)) return 0;
      continue;
    }
    if (f->panel[b] != r->sent[i][b]) return 0;
  }
  return 1;
}

static void test_message_through_link(void) {
  kb_wire_cfg_t wc;
  rig_t *r;
  kb_wire_cfg_default(&wc);
  r = rig_new(&wc, 1, NULL);
  kb_wire_run_until(&r->w, 3000000);
  kb_wire_finish(&r->w);
  KT_CHECK(r->nsent > 20);
  KT_EQ(r->ngot, r->nsent);
  for (unsigned i = 0; i < r->ngot && i < r->nsent; i++) {
    if (!same_frame(r, i)) {
      KT_CHECK(same_frame(r, i));
      printf("  message %u (cmd 0x%02X) differs\n", i, r->sent[i][0]);
      break;
    }
    KT_EQ(r->got[i].module_seen, 0); /* nobody spoke */
  }
  KT_EQ(r->sent[0][0], 0x16);
  KT_EQ(r->connected_changes, 1);
  KT_EQ(r->w.st.flips, 0);
  free(r);
}

static void test_keypads_and(void) {
  kb_wire_cfg_t wc;
  rig_t *r;
  int a, b, found = 0;
  kb_wire_cfg_default(&wc);
  r = rig_new(&wc, 1, NULL);
  a = kb_wire_keypad_add(&r->w, 1, 20);
  b = kb_wire_keypad_add(&r->w, 1, 160);
  KT_CHECK(a >= 0 && b >= 0);
  KT_CHECK(kb_wire_keypad_key(&r->w, a, 0x05)); /* '1' */
  KT_CHECK(kb_wire_keypad_key(&r->w, b, 0x0A)); /* '2' */
  KT_EQ(kb_wire_keypad_add(&r->w, 9, 0), -1);
  kb_wire_run_until(&r->w, 1000000);
  kb_wire_finish(&r->w);
  KT_EQ(kb_wire_keypad_pending(&r->w, a), 0);
  for (unsigned i = 0; i < r->ngot && i < r->nsent; i++) {
    if (r->sent[i][0] != 0x05) continue;
    /* the first 0x05 carries both keys: the bus reads their AND */
    KT_EQ(r->read[i][2], 0x05 & 0x0A);
    KT_EQ(r->got[i].module[2], 0x05 & 0x0A);
    KT_CHECK(r->got[i].module_seen);
    for (unsigned k = 0; k < nbytes_of(r->bits[i]); k++)
      if (k != 2) KT_EQ(r->read[i][k], 0xFF);
    found = 1;
    break;
  }
  KT_CHECK(found);
  free(r);
}

static void arm_hook(void *rig, uint64_t now) {
  rig_t *r = rig;
  static int armed;
  (void)now;
  if (!rig) {
    armed = 0;
    return;
  }
  if (!armed && r->ngot > 0 && kb_link_write_idle(&r->link)) {
    KT_EQ(kb_link_write_arm(&r->link, 0x27, 3, 0x05, 0x0A, 1), KB_OK); /* '9', partition 2 slot */
    armed = 1;
  }
}

static void test_engine_writes_only_its_slot(void) {
  kb_wire_cfg_t wc;
  rig_t *r;
  unsigned wrote = 0;
  kb_wire_cfg_default(&wc);
  r = rig_new(&wc, 1, NULL);
  arm_hook(NULL, 0);
  r->hook = arm_hook;
  kb_wire_run_until(&r->w, 2000000);
  kb_wire_finish(&r->w);
  for (unsigned i = 0; i < r->ngot && i < r->nsent; i++) {
    const kb_frame_t *f = &r->got[i];
    unsigned n = nbytes_of(r->bits[i]);
    if (f->wrote) {
      wrote++;
      KT_EQ(f->wrote, KB_FRAME_WROTE | 3);
      KT_EQ(r->sent[i][0], 0x05);
      KT_EQ(r->read[i][3], 0x27); /* the panel read the key in the slot */
      KT_EQ(f->module[3], 0x27);  /* and so did the link (echo) */
      for (unsigned k = 0; k < n; k++)
        if (k != 3) KT_EQ(r->read[i][k], 0xFF);
    } else {
      for (unsigned k = 0; k < n; k++) KT_EQ(r->read[i][k], 0xFF);
    }
  }
  KT_EQ(wrote, 1);
  free(r);
}

static void test_ber_zero_and_one_percent(void) {
  kb_wire_cfg_t wc;
  rig_t *r;
  uint64_t bits = 0, flips, hit;
  unsigned differ = 0;
  kb_wire_cfg_default(&wc);
  wc.ber = 0.0;
  r = rig_new(&wc, 1, NULL);
  kb_wire_run_until(&r->w, 10000000);
  kb_wire_finish(&r->w);
  KT_EQ(r->w.st.flips, 0);
  KT_EQ(r->w.st.msgs_hit, 0);
  for (unsigned i = 0; i < r->ngot && i < r->nsent; i++) differ += !same_frame(r, i);
  KT_EQ(differ, 0);
  free(r);

  wc.ber = 1e-2;
  wc.seed = 42;
  r = rig_new(&wc, 1, NULL);
  kb_wire_run_until(&r->w, 20000000);
  kb_wire_finish(&r->w);
  for (unsigned i = 0; i < r->nsent; i++) bits += r->bits[i];
  flips = r->w.st.flips;
  hit = r->w.st.msgs_hit;
  /* expected bits * 1e-2, +/- 4 sigma */
  KT_CHECK(flips * 100u > bits - bits / 6u && flips * 100u < bits + bits / 6u);
  KT_CHECK(hit > 0 && hit <= flips);
  differ = 0;
  for (unsigned i = 0; i < r->ngot && i < r->nsent; i++) {
    int same = same_frame(r, i);
    differ += !same;
    if (!r->flips[i]) KT_CHECK(same); /* only messages hit differ */
  }
  KT_CHECK(differ > 0 && differ <= hit);
  free(r);
  /* deterministic: the same seed flips the same bits */
  r = rig_new(&wc, 1, NULL);
  kb_wire_run_until(&r->w, 20000000);
  KT_EQ(r->w.st.flips, flips);
  KT_EQ(r->w.st.msgs_hit, hit);
  free(r);
}

static void test_jitter_and_lag(void) {
  kb_wire_cfg_t wc;
  rig_t *r;
  unsigned differ = 0;
  int k;
  kb_wire_cfg_default(&wc);
  wc.jitter_us = 100;
  wc.panel_lag_us = 150;
  wc.seed = 7;
  r = rig_new(&wc, 0, NULL); /* early generation too */
  k = kb_wire_keypad_add(&r->w, 1, 200);
  KT_CHECK(kb_wire_keypad_key(&r->w, k, 0x11));
  kb_wire_run_until(&r->w, 5000000);
  kb_wire_finish(&r->w);
  KT_EQ(r->ngot, r->nsent);
  for (unsigned i = 0; i < r->ngot && i < r->nsent; i++) differ += !same_frame(r, i);
  KT_EQ(differ, 0);
  for (unsigned i = 0; i < r->ngot && i < r->nsent; i++)
    if (r->got[i].module_seen) {
      KT_EQ(r->got[i].module[2], 0x11);
      KT_EQ(r->read[i][2], 0x11);
      break;
    }
  free(r);
}

static void test_cut(void) {
  kb_wire_cfg_t wc;
  rig_t *r;
  uint64_t edges, t0;
  kb_wire_cfg_default(&wc);
  r = rig_new(&wc, 1, NULL);
  kb_wire_run_until(&r->w, 1000000);
  KT_CHECK(kb_wire_cut(&r->w, r->w.t, 4000000, false));
  edges = r->w.st.clock_edges + r->w.st.data_edges;
  t0 = r->w.t;
  while (r->w.cut[0].state != 2) kb_wire_step(&r->w);
  KT_EQ(r->w.st.clock_edges + r->w.st.data_edges, edges); /* nothing moved */
  KT_EQ(r->w.t - t0, 4000000);
  KT_EQ(r->w.st.cut_us, 4000000);
  KT_EQ(r->disconnected_changes, 1);
  kb_wire_run_until(&r->w, r->w.t + 500000);
  KT_EQ(r->connected_changes, 2);
  /* stuck low: one falling edge, one rising edge */
  KT_CHECK(kb_wire_cut(&r->w, r->w.t, 1000000, true));
  edges = r->w.st.clock_edges;
  while (r->w.cut[1].state != 2) kb_wire_step(&r->w);
  KT_EQ(r->w.st.clock_edges - edges, 2);
  kb_wire_run_until(&r->w, r->w.t + 500000);
  kb_wire_finish(&r->w);
  free(r);
}

static void test_glitches_and_lost_edges(void) {
  kb_wire_cfg_t wc;
  rig_t *r;
  unsigned differ = 0;
  kb_wire_cfg_default(&wc);
  wc.glitch_rate = 5e-3;
  wc.lost_rate = 1e-4;
  wc.seed = 3;
  r = rig_new(&wc, 1, NULL);
  kb_wire_run_until(&r->w, 20000000);
  kb_wire_finish(&r->w);
  KT_CHECK(r->w.st.glitches > 50);
  KT_CHECK(r->w.st.lost_edges > 0);
  KT_CHECK(r->w.st.cancelled > 0); /* a glitch retriggers the one-shot */
  KT_CHECK(r->ngot > 100);
  for (unsigned i = 0; i < r->ngot && i < r->nsent; i++) differ += !same_frame(r, i);
  KT_CHECK(differ > 0);
  free(r);
}

/* VCD sink for the replay */
typedef struct {
  kb_link_t link;
  kb_edges_t ad;
  kb_frame_t got[MAXMSG];
  unsigned n;
  long edges;
} replay_t;

static void replay_edge(void *ctx, const kb_edge_t *e) {
  replay_t *p = ctx;
  const kb_frame_t *f;
  kb_edges_feed(&p->ad, e);
  while ((f = kb_link_peek(&p->link)) != NULL) {
    if (p->n < MAXMSG) p->got[p->n++] = *f;
    kb_link_pop(&p->link);
  }
}

static void test_vcd_matches_edges(void) {
  kb_wire_cfg_t wc;
  rig_t *r;
  kb_vcd_writer_t vw;
  kb_vcd_reader_t rd;
  kb_errs_t errs = {0};
  replay_t *p = calloc(1, sizeof *p);
  FILE *f = tmpfile();
  const kb_frame_t *fr;
  long n;
  int k;
  KT_CHECK(f != NULL && p != NULL);
  if (!f || !p) return;
  kb_wire_cfg_default(&wc);
  wc.jitter_us = 60;
  KT_EQ(kb_vcd_writer_begin(&vw, f, "test", 0, true, true), 0);
  r = rig_new(&wc, 1, &vw);
  k = kb_wire_keypad_add(&r->w, 1, 100);
  KT_CHECK(kb_wire_keypad_key(&r->w, k, 0x0A));
  kb_wire_run_until(&r->w, 3000000);
  kb_wire_finish(&r->w);
  KT_EQ(kb_vcd_writer_end(&vw, r->w.t + 10000), 0);
  KT_CHECK(!vw.err);
  KT_EQ(vw.edges, r->w.st.clock_edges + r->w.st.data_edges);
  rewind(f);
  kb_link_init(&p->link);
  kb_edges_init(&p->ad, &p->link);
  KT_EQ(kb_vcd_open(&rd, f, "test.vcd", NULL, &errs), 0);
  n = kb_vcd_read_all(&rd, replay_edge, p);
  kb_edges_finish(&p->ad);
  while ((fr = kb_link_peek(&p->link)) != NULL) {
    if (p->n < MAXMSG) p->got[p->n++] = *fr;
    kb_link_pop(&p->link);
  }
  KT_CHECK(n > 0);
  KT_EQ(errs.n, 0);
  KT_EQ(p->n, r->ngot);
  for (unsigned i = 0; i < p->n && i < r->ngot; i++) {
    KT_EQ(p->got[i].panel_bits, r->got[i].panel_bits);
    KT_EQ(memcmp(p->got[i].panel, r->got[i].panel, nbytes_of(p->got[i].panel_bits)), 0);
    KT_EQ(p->got[i].module_seen, r->got[i].module_seen);
    if (r->got[i].module_seen) KT_EQ(p->got[i].module[2], r->got[i].module[2]);
  }
  kb_errs_free(&errs);
  fclose(f);
  free(p);
  free(r);
}

/* Start times of the messages whose partition 1 slot (0x05 byte 2) carried a
 * key; returns how many (at most n). */
static unsigned key_times(const rig_t *r, uint64_t *t, unsigned n) {
  unsigned c = 0;
  for (unsigned i = 0; i < r->nsent && c < n; i++)
    if (r->sent[i][0] == 0x05 && r->read[i][2] != 0xFF) t[c++] = r->tstart[i];
  return c;
}

static void test_keypad_pace(void) {
  static const uint16_t keys[6] = {0x05, 0x0A, 0x0F, 0x11, 0x2D, 0x2D}; /* 1234## */
  uint64_t t[3][8];
  unsigned n[3];
  for (int run = 0; run < 3; run++) {
    kb_wire_cfg_t wc;
    rig_t *r;
    int a;
    kb_wire_cfg_default(&wc);
    r = rig_new(&wc, 1, NULL);
    a = kb_wire_keypad_add(&r->w, 1, 20);
    if (run < 2) kb_wire_keypad_pace(&r->w, a, 300000, 600000);
    for (unsigned k = 0; k < 6; k++) KT_CHECK(kb_wire_keypad_key(&r->w, a, keys[k]));
    kb_wire_run_until(&r->w, 6000000);
    kb_wire_finish(&r->w);
    KT_EQ(kb_wire_keypad_pending(&r->w, a), 0);
    n[run] = key_times(r, t[run], 8);
    KT_EQ(n[run], 6);
    KT_EQ(r->panel.truth.keys, 6);
    free(r);
  }
  /* paced: each key 0.3-0.6 s after the previous one, plus at most one round
   * (the next 0x05 after the finger is there) */
  for (unsigned k = 1; k < 6; k++) {
    uint64_t d = t[0][k] - t[0][k - 1];
    KT_CHECK(d >= 300000);
    KT_CHECK(d <= 600000 + 250000);
    KT_EQ(t[1][k], t[0][k]); /* deterministic */
  }
  /* the intervals are not all the same (drawn, not fixed) */
  KT_CHECK(t[0][2] - t[0][1] != t[0][1] - t[0][0] || t[0][3] - t[0][2] != t[0][2] - t[0][1]);
  /* unpaced (0,0): one key per status round */
  for (unsigned k = 1; k < 6; k++) KT_CHECK(t[2][k] - t[2][k - 1] < 300000);
}

/* Keypads answer the panel's 0x11 supervision query in their slot's 2-bit
 * field (taligentx #108: one keypad in slot 1 reads back 0x3F). */
static void test_keypads_answer_0x11(void) {
  for (int nk = 0; nk <= 2; nk++) {
    kb_wire_cfg_t wc;
    rig_t *r;
    unsigned seen = 0;
    kb_wire_cfg_default(&wc);
    r = rig_new(&wc, 1, NULL);
    for (int i = 0; i < nk; i++) KT_EQ(kb_wire_keypad_add(&r->w, 1, 20), i);
    kb_wire_run_until(&r->w, 3000000);
    kb_wire_finish(&r->w);
    for (unsigned i = 0; i < r->nsent; i++) {
      if (r->sent[i][0] != 0x11) continue;
      seen++;
      KT_EQ(r->read[i][2], nk == 0 ? 0xFF : nk == 1 ? 0x3F : 0x0F);
      for (unsigned b = 3; b < nbytes_of(r->bits[i]); b++) KT_EQ(r->read[i][b], 0xFF);
      KT_EQ(r->read[i][0], 0xFF);
    }
    KT_EQ(seen, 1);
    free(r);
  }
}

KT_MAIN(KT_CASE(test_message_through_link), KT_CASE(test_keypads_and), KT_CASE(test_keypad_pace),
        KT_CASE(test_keypads_answer_0x11),
        KT_CASE(test_engine_writes_only_its_slot), KT_CASE(test_ber_zero_and_one_percent),
        KT_CASE(test_jitter_and_lag), KT_CASE(test_cut), KT_CASE(test_glitches_and_lost_edges),
        KT_CASE(test_vcd_matches_edges))
