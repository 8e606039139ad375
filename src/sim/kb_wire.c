/* SPDX-License-Identifier: MIT
 *
 * kb_wire.c - the virtual Keybus (see kb_wire.h).
 */
#include "sim/kb_wire.h"

#include <string.h>

#include "host/kb_wave.h"

#define HALF_US 500u
#define PHASE_MIN 400u
#define PHASE_MAX 600u

/* ------------------------------------------------------------ random */

static uint64_t rng_next(kb_wire_t *w) { /* splitmix64 */
  uint64_t z = (w->rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint32_t r32(kb_wire_t *w) { return (uint32_t)(rng_next(w) >> 32); }

/* true with the probability thr / 2^32; draws nothing when thr = 0 */
static bool chance(kb_wire_t *w, uint64_t thr) { return thr && (uint64_t)r32(w) < thr; }

static uint64_t thr_of(double p) {
  if (!(p > 0.0)) return 0; /* also NaN */
  if (p >= 1.0) return 1ull << 32;
  return (uint64_t)(p * 4294967296.0);
}

/* ------------------------------------------------------------ bus and port */

static void vcd_edge(kb_wire_t *w, uint64_t t, uint8_t wire, uint8_t level) {
  if (w->vcd) {
    kb_edge_t e;
    e.t_us = t;
    e.wire = wire;
    e.level = level;
    (void)kb_vcd_writer_edge(w->vcd, &e);
  }
}

/* The port is the core edge adaptor; its sample and cancel counts go to
 * the wire's statistics (64-bit) as differences, so they never wrap. */
static void port_count(kb_wire_t *w, uint32_t samples0, uint32_t cancelled0) {
  w->st.samples += (uint32_t)(w->port_edge.samples - samples0);
  w->st.cancelled += (uint32_t)(w->port_edge.cancelled - cancelled0);
}

/* Time reaches t: a one-shot due at or before t fires first (an edge at
 * exactly the sample time is not seen by it). */
static void port_advance(kb_wire_t *w, uint64_t t) {
  uint32_t s0 = w->port_edge.samples;
  kb_edge_advance(&w->port_edge, (uint32_t)t);
  port_count(w, s0, w->port_edge.cancelled);
}

static void data_update(kb_wire_t *w, uint64_t t) {
  uint8_t d = (uint8_t)(w->drv_panel & w->drv_keys & w->drv_eng);
  uint32_t s0 = w->port_edge.samples;
  if (d == w->dat) return;
  (void)kb_edge_feed(&w->port_edge, KB_EDGE_DATA, d != 0, (uint32_t)t);
  port_count(w, s0, w->port_edge.cancelled);
  w->dat = d;
  w->st.data_edges++;
  vcd_edge(w, t, KB_EDGE_DATA, d);
}

/* A clock edge at t; seen = the port's interrupt notices it. */
static void clock_set(kb_wire_t *w, uint64_t t, uint8_t level, bool seen) {
  uint32_t s0 = w->port_edge.samples, c0 = w->port_edge.cancelled;
  if (seen) {
    /* the write line the engine asks for holds until its next edge */
    kb_link_write_t wr = kb_edge_feed(&w->port_edge, KB_EDGE_CLOCK, level != 0, (uint32_t)t);
    w->drv_eng = (uint8_t)(wr != KB_LINK_WRITE_PULL_LOW);
  } else {
    kb_edge_missed(&w->port_edge, KB_EDGE_CLOCK, level != 0, (uint32_t)t);
    w->st.lost_edges++;
    w->msg.lost++;
  }
  port_count(w, s0, c0);
  w->clk = level;
  if (level) {
    w->t_rise = t;
    w->rise_seen = 1;
  }
  w->st.clock_edges++;
  vcd_edge(w, t, KB_EDGE_CLOCK, level);
  data_update(w, t);
}

static bool edge_seen(kb_wire_t *w) { return !chance(w, w->lost_thr); }

/* A short pulse of the clock to the other level and back, inside a phase. */
static void glitch(kb_wire_t *w, uint64_t t, uint8_t level_now) {
  uint32_t width = 5u + r32(w) % 36u;
  w->st.glitches++;
  w->msg.glitches++;
  clock_set(w, t, (uint8_t)!level_now, edge_seen(w));
  clock_set(w, t + width, level_now, edge_seen(w));
}

static uint32_t phase_len(kb_wire_t *w) {
  uint32_t j = w->cfg.jitter_us, len = HALF_US;
  if (j) {
    len = HALF_US - j + r32(w) % (2u * j + 1u);
    if (len < PHASE_MIN) len = PHASE_MIN;
    if (len > PHASE_MAX) len = PHASE_MAX;
  }
  return len;
}

/* ------------------------------------------------------------ keypads */

static bool is_alarm_code(uint16_t c) { return (c & KB_WIRE_ALARM) != 0; }

static uint64_t kp_rng(kb_wire_keypad_t *k) { /* splitmix64 */
  uint64_t z = (k->prng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Chooses what keypad k sends in the message starting at t. */
static void keypad_plan(kb_wire_keypad_t *k, const uint8_t *panel, uint16_t bits, uint64_t t) {
  static const uint8_t slot[4] = {2, 3, 8, 9};
  k->cur_byte = 0xFF;
  if (k->alarm) {
    k->cur_byte = 0;
    k->cur_val = k->alarm_key;
    k->alarm--;
    return;
  }
  if (panel[0] == 0x11 && k->slot >= 1 && k->slot <= 8) {
    /* supervision: the keypad answers in its slot's 2-bit field (notes
     * §4.7; captured "Slots active: 1" = module byte 2 0x3F) */
    unsigned f = (k->slot - 1u) % 4u;
    k->cur_byte = (uint8_t)(2u + (k->slot - 1u) / 4u);
    k->cur_val = (uint8_t)~(3u << (6u - 2u * f));
    if (bits < 8u * k->cur_byte + 1u) k->cur_byte = 0xFF;
    return;
  }
  if (!k->q_len) return;
  if (k->pace_max && t < k->next_ok) return; /* the finger is not there yet */
  {
    uint16_t c = k->q[k->q_head];
    if (is_alarm_code(c)) {
      k->alarm_key = (uint8_t)c;
      k->alarm = 1; /* once more in the next message (the panel's 0x1C) */
      k->cur_byte = 0;
      k->cur_val = (uint8_t)c;
    } else {
      uint8_t cmd = panel[0], b = slot[(k->partition - 1u) % 4u];
      bool qual = k->partition <= 4 ? (cmd == 0x05 || cmd == 0x0A) : cmd == 0x1B;
      if (!qual || bits < 8u * b + 1u) return;
      k->cur_byte = b;
      k->cur_val = (uint8_t)c;
    }
    k->q_head = (uint8_t)((k->q_head + 1u) % KB_WIRE_KEYQ);
    k->q_len--;
    k->keys_sent++;
    if (k->pace_max) {
      uint32_t span = k->pace_max - k->pace_min;
      k->next_ok = t + k->pace_min + (span ? kp_rng(k) % ((uint64_t)span + 1u) : 0u);
    }
  }
}

/* Keypad k's module bit in low phase `cell` (1 = released). */
static unsigned keypad_bit(const kb_wire_keypad_t *k, unsigned cell) {
  unsigned lo, b = k->cur_byte;
  if (b == 0xFF) return 1;
  lo = b == 0 ? 0u : 8u * b - 7u;
  if (cell < lo || cell > lo + 7u) return 1;
  return (k->cur_val >> (7u - (cell - lo))) & 1u;
}

/* ------------------------------------------------------------ API */

/* The default of kb_wire_cfg_t.idle_task: off (bench/bench.sh builds the key
 * and soak benches once more with it on, -DKB_WIRE_IDLE_TASK_DEFAULT=1). */
#ifndef KB_WIRE_IDLE_TASK_DEFAULT
#define KB_WIRE_IDLE_TASK_DEFAULT 0
#endif

void kb_wire_cfg_default(kb_wire_cfg_t *c) {
  memset(c, 0, sizeof *c);
  c->task_us = 10000;
  c->seed = 1;
  c->idle_task = KB_WIRE_IDLE_TASK_DEFAULT != 0;
}

void kb_wire_init(kb_wire_t *w, const kb_wire_cfg_t *c, kb_sim_panel_t *panel,
                  const kb_wire_port_t *port, kb_vcd_writer_t *vcd, uint64_t t0_us) {
  memset(w, 0, sizeof *w);
  w->cfg = *c;
  if (w->cfg.jitter_us > 100) w->cfg.jitter_us = 100;
  if (w->cfg.panel_lag_us > 150) w->cfg.panel_lag_us = 150;
  if (!w->cfg.task_us) w->cfg.task_us = 10000;
  w->panel = panel;
  if (port) w->port = *port;
  w->vcd = vcd;
  w->t = t0_us;
  w->clk = w->dat = 1;
  w->drv_panel = w->drv_keys = w->drv_eng = 1;
  kb_edge_init(&w->port_edge, w->port.link);
  w->rng = c->seed ^ 0x6B65796275735F77ull; /* "keybus_w" */
  w->ber_thr = thr_of(c->ber);
  w->glitch_thr = thr_of(c->glitch_rate);
  w->lost_thr = thr_of(c->lost_rate);
}

int kb_wire_keypad_add(kb_wire_t *w, uint8_t partition, uint8_t lag_us) {
  kb_wire_keypad_t *k;
  if (w->nkp >= KB_WIRE_KEYPADS || partition < 1 || partition > 8) return -1;
  k = &w->kp[w->nkp];
  memset(k, 0, sizeof *k);
  k->partition = partition;
  k->lag_us = lag_us > 200 ? 200 : lag_us;
  k->cur_byte = 0xFF;
  k->prng = w->cfg.seed ^ (0x6B65797061640000ull + w->nkp); /* "keypad" + index */
  k->slot = (uint8_t)(w->nkp + 1u); /* keypad slots 1..8 in order of addition */
  return w->nkp++;
}

void kb_wire_keypad_pace(kb_wire_t *w, int i, uint32_t min_us, uint32_t max_us) {
  kb_wire_keypad_t *k;
  if (i < 0 || i >= w->nkp) return;
  k = &w->kp[i];
  if (max_us < min_us) max_us = min_us;
  k->pace_min = min_us;
  k->pace_max = max_us;
  if (!max_us) k->next_ok = 0;
}

bool kb_wire_keypad_key(kb_wire_t *w, int i, uint16_t code) {
  kb_wire_keypad_t *k;
  if (i < 0 || i >= w->nkp) return false;
  k = &w->kp[i];
  if (k->q_len >= KB_WIRE_KEYQ) return false;
  k->q[(k->q_head + k->q_len) % KB_WIRE_KEYQ] = code;
  k->q_len++;
  return true;
}

unsigned kb_wire_keypad_pending(const kb_wire_t *w, int i) {
  if (i < 0 || i >= w->nkp) return 0;
  return (unsigned)w->kp[i].q_len + w->kp[i].alarm;
}

bool kb_wire_cut(kb_wire_t *w, uint64_t start_us, uint64_t dur_us, bool low) {
  kb_wire_cut_t *c;
  if (w->ncut >= KB_WIRE_CUTS) return false;
  c = &w->cut[w->ncut++];
  c->start = start_us;
  c->dur = dur_us;
  c->low = low;
  c->state = 0;
  return true;
}

static void task(kb_wire_t *w) {
  if (w->port.task) w->port.task(w->port.ctx, w->t);
}

/* The idle point of a clock-high stretch that ends at t_end: KB_WIRE_IDLE_US
 * after the last rising edge, if that falls inside it, time stops there: the
 * port's timers run (the sample, then the idle call: the link publishes the
 * message) and the task drains it, as a firmware task polling every
 * millisecond would, before the next message starts. */
static void idle_point(kb_wire_t *w, uint64_t t_end) {
  uint64_t t;
  if (!w->cfg.idle_task || !w->rise_seen || !w->clk) return;
  t = w->t_rise + KB_WIRE_IDLE_US;
  if (t <= w->t || t >= t_end) return;
  w->t = t;
  port_advance(w, t);
  w->st.idle_points++;
  task(w);
}

/* One task period of a held clock. */
static void hold(kb_wire_t *w, kb_wire_cut_t *c) {
  uint64_t end, next;
  if (c->state == 0) {
    c->state = 1;
    c->start = w->t; /* actual start: this message boundary */
    if (c->low) {
      w->drv_panel = 1;
      w->drv_keys = 1;
      clock_set(w, w->t, 0, true);
    }
  }
  end = c->start + c->dur;
  next = w->t + w->cfg.task_us;
  if (next > end) next = end;
  w->st.cut_us += next - w->t;
  idle_point(w, next); /* held high: the last message ends in the first step */
  w->t = next;
  port_advance(w, w->t);
  if (w->t >= end) {
    if (c->low) clock_set(w, w->t, 1, true);
    c->state = 2;
  }
  task(w);
}

static void message(kb_wire_t *w) {
  uint8_t panel[KB_SIM_FRAME];
  uint16_t bits;
  uint32_t gap;
  uint64_t t_gap;
  kb_wire_msg_t *m = &w->msg;

  kb_sim_panel_next(w->panel, w->t, panel, &bits, &gap);
  if (bits > KB_WAVE_MAX_BITS) bits = KB_WAVE_MAX_BITS;
  t_gap = w->t;
  w->t += gap; /* idle, clock high */
  memset(m, 0, sizeof *m);
  m->index = (uint32_t)w->st.messages;
  memcpy(m->panel, panel, sizeof m->panel);
  memset(m->module, 0xFF, sizeof m->module);
  m->bits = bits;
  m->t_start = w->t;
  for (unsigned i = 0; i < w->nkp; i++) keypad_plan(&w->kp[i], panel, bits, w->t);
  /* the gap's idle point (after the message and the keypads' plans were
   * chosen, as before it: a key queued there goes in the next message) */
  {
    uint64_t t_start = w->t;
    w->t = t_gap;
    idle_point(w, t_start);
    w->t = t_start;
  }

  for (unsigned k = 0; k <= bits; k++) { /* k == bits: the trailing bit */
    uint32_t low = phase_len(w), high = phase_len(w);
    uint64_t tf = w->t, tr = tf + low;
    unsigned keys = 1, lag = 255;
    /* falling edge: the panel releases, the port's interrupt runs */
    w->drv_panel = 1;
    clock_set(w, tf, 0, edge_seen(w));
    if (k == 0) task(w); /* the task drains the message the edge published */
    if (k < bits) {
      for (unsigned i = 0; i < w->nkp; i++) {
        if (!keypad_bit(&w->kp[i], k)) {
          keys = 0;
          if (w->kp[i].lag_us < lag) lag = w->kp[i].lag_us;
        }
      }
    }
    if (!keys) {
      w->drv_keys = 0;
      data_update(w, tf + lag);
    }
    if (chance(w, w->glitch_thr)) {
      /* after the keypads' change, away from the edges */
      uint64_t lo = tf + (keys ? 0u : lag) + 10u, hi = tr - 60u;
      glitch(w, lo + r32(w) % (uint32_t)(hi - lo), 0);
    }
    /* end of the low phase: what the panel reads */
    if (k < bits && !w->dat) {
      unsigned byte = k < 8 ? 0u : k == 8 ? 1u : 2u + (k - 9u) / 8u;
      unsigned bit = k < 8 ? 7u - k : k == 8 ? 0u : 7u - (k - 9u) % 8u;
      if (byte < KB_SIM_FRAME) m->module[byte] &= (uint8_t)~(1u << bit);
    }
    /* rising edge: keypads and the engine release, the panel drives */
    w->drv_keys = 1;
    {
      uint8_t pb = 1;
      if (k < bits) {
        pb = (uint8_t)kb_wave_bit(panel, bits, k);
        if (chance(w, w->ber_thr)) {
          pb ^= 1u;
          m->flips++;
          w->st.flips++;
        }
      }
      if (!w->cfg.panel_lag_us) w->drv_panel = pb;
      clock_set(w, tr, 1, edge_seen(w));
      if (w->cfg.panel_lag_us) {
        w->drv_panel = pb;
        data_update(w, tr + w->cfg.panel_lag_us);
      }
    }
    w->st.bit_cells++;
    if (k == bits) {
      w->t = tr; /* the idle gap starts at the trailing rising edge */
      break;
    }
    if (chance(w, w->glitch_thr)) {
      uint64_t lo = tr + w->cfg.panel_lag_us + 10u, hi = tr + high - 60u;
      glitch(w, lo + r32(w) % (uint32_t)(hi - lo), 1);
    }
    w->t = tr + high;
  }
  m->t_end = w->t;
  kb_sim_panel_module(w->panel, w->t, m->module, bits);
  if (m->flips) {
    w->st.msgs_hit++;
    w->st.last_hit = m->index;
  }
  w->st.messages++;
  if (w->on_msg) w->on_msg(w->msg_ctx, m);
}

void kb_wire_step(kb_wire_t *w) {
  for (unsigned i = 0; i < w->ncut; i++) {
    kb_wire_cut_t *c = &w->cut[i];
    if (c->state == 1 || (c->state == 0 && c->start <= w->t)) {
      hold(w, c);
      return;
    }
  }
  message(w);
}

void kb_wire_run_until(kb_wire_t *w, uint64_t t_us) {
  while (w->t < t_us) kb_wire_step(w);
}

void kb_wire_finish(kb_wire_t *w) {
  uint32_t s0 = w->port_edge.samples;
  kb_edge_finish(&w->port_edge);
  port_count(w, s0, w->port_edge.cancelled);
  task(w);
}
