/* SPDX-License-Identifier: MIT
 * The simulated Classic panel and its wire (kb_sim_classic.h). */
#include "sim/kb_sim_classic.h"

#include <string.h>

#define STAY_BYPASS_US 5000000u   /* P1 bit 6 at a stay arming (A4: about 5 s) */
#define KEYPAD_ALARM_US 4000000u  /* P1 bits 1-3 after F/A/P (about 4 s) */
#define KEY_HOLD 3u
#define KEY_GAP 2u

static void set_state(kb_simc_t *p, uint8_t st, uint64_t t) {
  p->state = st;
  p->t_state = t;
}

void kb_simc_init(kb_simc_t *p, const kb_simc_cfg_t *cfg) {
  memset(p, 0, sizeof *p);
  if (cfg) p->cfg = *cfg;
  if (!p->cfg.exit_delay_ms) p->cfg.exit_delay_ms = 10000;
  if (!p->cfg.code[0]) memcpy(p->cfg.code, "1234", 5);
  p->last_k0 = KB_CLS_KEY_NONE;
}

void kb_simc_zone(kb_simc_t *p, unsigned zone, bool open, uint64_t t_us) {
  uint8_t m;
  if (zone < 1u || zone > 8u) return;
  m = (uint8_t)(1u << (zone - 1u));
  if (open) {
    p->open |= m;
    if (p->state == KB_SIMC_ARMED || p->state == KB_SIMC_ALARM) {
      p->alarm_zones |= m;
      p->memory = 1;
      if (p->state != KB_SIMC_ALARM) set_state(p, KB_SIMC_ALARM, t_us);
    }
  } else {
    p->open &= (uint8_t)~m;
  }
}

void kb_simc_fire(kb_simc_t *p, bool on) { p->fire = on; }
void kb_simc_trouble(kb_simc_t *p, bool on) { p->trouble = on; }

void kb_simc_arm_stay(kb_simc_t *p, uint64_t t_us) {
  if (p->state != KB_SIMC_DISARMED || p->open) return;
  p->stay = 1;
  p->memory = 0;
  set_state(p, KB_SIMC_EXIT_DELAY, t_us);
}

/* The access code was typed. */
static void code_entered(kb_simc_t *p, uint64_t t) {
  if (p->state == KB_SIMC_DISARMED) {
    if (p->open) return; /* not ready */
    p->stay = 0;
    p->night = p->star9;
    p->memory = 0;
    p->alarm_zones = 0;
    set_state(p, KB_SIMC_EXIT_DELAY, t);
  } else {
    p->stay = p->night = 0;
    p->alarm_zones = 0;
    set_state(p, KB_SIMC_DISARMED, t);
  }
  p->star9 = 0;
}

static void key(kb_simc_t *p, uint8_t k0, uint64_t t) {
  uint8_t ps = kb_cls_key_to_ps(k0);
  int d = kb_proto_key_digit(ps);
  if (k0 == KB_CLS_KEY_FIRE || k0 == KB_CLS_KEY_AUX || k0 == KB_CLS_KEY_PANIC) {
    p->t_keyalarm[k0 == KB_CLS_KEY_FIRE ? 0 : k0 == KB_CLS_KEY_AUX ? 1 : 2] = t ? t : 1;
    return;
  }
  if (k0 == KB_CLS_KEY_POUND) {
    p->nentry = p->star = p->star9 = 0;
    return;
  }
  if (k0 == KB_CLS_KEY_STAR) {
    p->star = 1;
    p->nentry = 0;
    return;
  }
  if (d < 0) return;
  if (p->star) { /* a function digit */
    p->star = 0;
    if (d == 9) p->star9 = 1;
    return;
  }
  if (p->nentry < sizeof p->entry - 1u) p->entry[p->nentry++] = (char)('0' + d);
  p->entry[p->nentry] = '\0';
  if (p->nentry == strlen(p->cfg.code)) {
    if (memcmp(p->entry, p->cfg.code, p->nentry) == 0) code_entered(p, t);
    p->nentry = 0;
  }
}

void kb_simc_frame(kb_simc_t *p, uint64_t t, uint8_t k0, kb_cls_frame_t *f) {
  uint8_t d0 = 0, d1 = 0, p0 = 0, p1 = 0;
  uint64_t in_state;
  if (k0 != KB_CLS_KEY_NONE && k0 != p->last_k0) key(p, k0, t);
  p->last_k0 = k0;
  /* after the key: a code typed in this frame starts a new state (it
   * used to be judged by the old one's age: an exit delay started long
   * after the last change ended at once) */
  in_state = t - p->t_state;
  if (p->state == KB_SIMC_EXIT_DELAY && in_state >= (uint64_t)p->cfg.exit_delay_ms * 1000u)
    set_state(p, KB_SIMC_ARMED, t), in_state = 0;
  for (unsigned z = 0; z < 8u; z++) {
    uint8_t m = (uint8_t)(1u << z);
    int lit = p->state == KB_SIMC_ALARM ? (p->alarm_zones & m) != 0 : (p->open & m) != 0;
    if (lit) d0 |= (uint8_t)(0x80u >> z);
    if (z < 6u && (p->alarm_zones & m)) p0 |= (uint8_t)(0x80u >> z);
  }
  if (p->state == KB_SIMC_DISARMED && !p->open) d1 |= KB_CLS_D1_READY;
  if (p->state == KB_SIMC_EXIT_DELAY) {
    if (!p->open) d1 |= KB_CLS_D1_READY; /* Ready + Armed: the exit delay (A6.5) */
    if ((in_state / 500000u) % 2u == 0) d1 |= KB_CLS_D1_BEEP;
  }
  if (p->state != KB_SIMC_DISARMED) {
    /* *9: the Armed light flashes (about 1 Hz) */
    if (!p->night || (t / 500000u) % 2u == 0) d1 |= KB_CLS_D1_ARMED;
  }
  if (p->memory) d1 |= KB_CLS_D1_MEMORY;
  if (p->stay && p->state != KB_SIMC_DISARMED) d1 |= KB_CLS_D1_BYPASS;
  if (p->trouble) d1 |= KB_CLS_D1_TROUBLE;
  if (p->fire) d1 |= KB_CLS_D1_FIRE;
  if (p->fire) p0 |= KB_CLS_P0_FIRE;
  if (p->trouble) p1 |= KB_CLS_P1_TROUBLE;
  if (p->state == KB_SIMC_ARMED || p->state == KB_SIMC_ALARM) {
    p1 |= KB_CLS_P1_ARMED_A;
    if (p->stay && t - p->t_state < STAY_BYPASS_US && p->state == KB_SIMC_ARMED) p1 |= KB_CLS_P1_BYPASS;
  }
  if (p->state == KB_SIMC_ALARM) p1 |= KB_CLS_P1_ALARM;
  if (p->t_keyalarm[0] && t - p->t_keyalarm[0] < KEYPAD_ALARM_US) p1 |= KB_CLS_P1_FIRE;
  if (p->t_keyalarm[1] && t - p->t_keyalarm[1] < KEYPAD_ALARM_US) p1 |= KB_CLS_P1_AUX;
  if (p->t_keyalarm[2] && t - p->t_keyalarm[2] < KEYPAD_ALARM_US) p1 |= KB_CLS_P1_PANIC;
  memset(f, 0, sizeof *f);
  f->d[0] = d0;
  f->d[1] = d1;
  f->p[0] = p->cfg.no_pc16 ? 0xFFu : p0;
  f->p[1] = p->cfg.no_pc16 ? 0xFFu : p1;
  f->k[0] = f->k[1] = KB_CLS_KEY_NONE;
  f->bits = KB_CLS_FRAME_BITS;
}

/* ------------------------------------------------------------- wire */

void kb_simc_wire_init(kb_simc_wire_t *w, const kb_simc_cfg_t *cfg, uint64_t t0_us, kb_simc_port_fn port,
                       void *ctx) {
  memset(w, 0, sizeof *w);
  kb_simc_init(&w->panel, cfg);
  kb_cls_wave_init(&w->wave, t0_us, NULL, NULL);
  w->port = port;
  w->port_ctx = ctx;
  w->cur = w->prev_k0 = w->wire_k0 = KB_CLS_KEY_NONE;
}

static int put(kb_simc_wire_t *w, uint64_t t, uint8_t wire, int level) {
  kb_edge_t e;
  e.t_us = t;
  e.wire = wire;
  e.level = (uint8_t)(level != 0);
  return w->port ? w->port(w->port_ctx, &e) : 0;
}

unsigned kb_simc_wire_keys(kb_simc_wire_t *w, const char *keys) {
  unsigned n = 0;
  for (; *keys; keys++) {
    uint8_t k = kb_cls_key_code(*keys);
    if (k == KB_CLS_KEY_NONE || w->q_len == KB_SIMC_KEYQ) continue;
    w->q[(w->q_head + w->q_len) % KB_SIMC_KEYQ] = k;
    w->q_len++;
    n++;
  }
  return n;
}

uint64_t kb_simc_wire_step(kb_simc_wire_t *w) {
  kb_cls_frame_t f;
  uint64_t t;
  uint8_t k0 = 0xFF, k1 = 0xFF;
  /* the keypad: hold the key for KEY_HOLD frames, then KEY_GAP frames of none */
  if (w->held) {
    w->held--;
    if (!w->held) {
      w->cur = KB_CLS_KEY_NONE;
      w->gap = KEY_GAP;
    }
  } else if (w->gap) {
    w->gap--;
  } else if (w->q_len) {
    w->cur = w->q[w->q_head];
    w->q_head = (uint8_t)((w->q_head + 1u) % KB_SIMC_KEYQ);
    w->q_len--;
    w->held = KEY_HOLD;
  }
  /* the panel reads the keypad slots of the frame before (it decides this
   * frame's bits before this frame's slots are sent): what the wire
   * carried, the keypad's key and the port's writes together */
  kb_simc_frame(&w->panel, w->wave.t, w->wire_k0, &f);
  t = w->wave.t;
  for (unsigned n = 0; n < 16u; n++) {
    uint8_t m = (uint8_t)(0x80u >> (n & 7u));
    int key = n < 8u ? (w->cur & m) != 0 : 1;
    int pull = put(w, t, KB_EDGE_CLOCK, 0); /* keypad slot n+1 */
    int level = key && !pull;
    put(w, t + KB_CLS_SKEW_US, KB_EDGE_DATA, level);
    if (!level) {
      if (n < 8u) k0 &= (uint8_t)~m;
      else k1 &= (uint8_t)~m;
    }
    t += KB_CLS_HALF_US;
    put(w, t, KB_EDGE_CLOCK, 1); /* panel bit n+1 (the port releases) */
    put(w, t + KB_CLS_SKEW_US, KB_EDGE_DATA, (f.d[n >> 3] & m) != 0);
    put(w, t + KB_CLS_SKEW_US, KB_EDGE_PC16, (f.p[n >> 3] & m) != 0);
    if (n < 15u) t += KB_CLS_HALF_US;
  }
  put(w, t + KB_CLS_HALF_US, KB_EDGE_DATA, 1);
  put(w, t + KB_CLS_HALF_US, KB_EDGE_PC16, 1);
  w->wave.t = t + KB_CLS_IDLE_US;
  (void)k1;
  w->wire_k0 = k0;
  w->prev_k0 = w->cur;
  w->frames++;
  return w->wave.t;
}

/* ------------------------------------------------------------ port */

void kb_simc_port_init(kb_simc_port_t *p, kb_cls_link_t *link) {
  memset(p, 0, sizeof *p);
  p->link = link;
  p->level[0] = p->level[1] = p->level[2] = 1;
}

void kb_simc_port_advance(kb_simc_port_t *p, uint64_t t_us) {
  if (!p->pending || t_us < p->t_sample) return;
  p->pending = 0;
  kb_cls_link_sample(p->link, p->level[KB_EDGE_CLOCK] != 0, p->level[KB_EDGE_DATA] != 0,
                     p->level[KB_EDGE_PC16] != 0);
}

int kb_simc_port_edge(void *ctx, const kb_edge_t *e) {
  kb_simc_port_t *p = ctx;
  uint64_t t = e->t_us < p->t_last ? p->t_last : e->t_us;
  uint8_t level = e->level ? 1u : 0u;
  p->t_last = t;
  kb_simc_port_advance(p, t);
  if (e->wire <= KB_EDGE_PC16 && p->level[e->wire] != level) {
    p->level[e->wire] = level;
    if (e->wire == KB_EDGE_CLOCK) {
      p->write = (uint8_t)kb_cls_link_edge(p->link, level != 0, (uint32_t)t);
      p->pending = 1;
      p->t_sample = t + KB_SAMPLE_US;
    }
  }
  return p->write == KB_LINK_WRITE_PULL_LOW;
}
