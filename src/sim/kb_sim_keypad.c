/* SPDX-License-Identifier: MIT
 *
 * kb_sim_keypad.c - a simulated PowerSeries keypad and the panel-role bus
 * (see kb_sim_keypad.h).
 */
#include "sim/kb_sim_keypad.h"

#include <string.h>

/* clock high longer than this ends a frame (in-frame high phases: 500 us,
 * Classic 1000 us) */
#define FRAME_END_US 1500u
#define FRAME_END_CLASSIC_US 3000u

/* Bit cell k -> panel-index byte and bit: the command byte, the stop bit
 * alone in byte 1, then the data bytes. */
static void pos(const kb_skp_t *kp, unsigned k, unsigned *byte, uint8_t *mask) {
  if (kp->classic) {
    *byte = k / 8u;
    *mask = (uint8_t)(0x80u >> (k % 8u));
  } else if (k < 8u) {
    *byte = 0;
    *mask = (uint8_t)(0x80u >> k);
  } else if (k == 8u) {
    *byte = 1;
    *mask = 0x01u;
  } else {
    *byte = 2u + (k - 9u) / 8u;
    *mask = (uint8_t)(0x80u >> ((k - 9u) % 8u));
  }
}

/* ------------------------------------------------------------ keypad */

void kb_skp_init(kb_skp_t *k, uint8_t slot, uint8_t lag_us) {
  memset(k, 0, sizeof *k);
  k->slot = slot;
  k->lag_us = lag_us > 200u ? 200u : lag_us;
  memset(k->out, 0xFF, sizeof k->out);
}

bool kb_skp_press_hold(kb_skp_t *k, uint8_t code, uint16_t hold_ms) {
  if (k->q_len >= KB_SKP_KEYQ) return false;
  k->q_hold[(k->q_head + k->q_len) % KB_SKP_KEYQ] = hold_ms;
  return kb_skp_press(k, code);
}

bool kb_skp_press(kb_skp_t *k, uint16_t code) {
  if (k->q_len >= KB_SKP_KEYQ) return false;
  k->q[(k->q_head + k->q_len) % KB_SKP_KEYQ] = code;
  k->q_len++;
  return true;
}

unsigned kb_skp_pending(const kb_skp_t *k) {
  return (unsigned)k->q_len + k->alarm + (k->classic && k->cur_code != 0xFF && k->cur_until ? 1u : 0u);
}

void kb_skp_zone(kb_skp_t *k, bool open) {
  if ((k->zone_open != 0) != open) k->zone_note = 1;
  k->zone_open = open;
}

static kb_pnl_state_t show(uint8_t steady, uint8_t blink, uint8_t bit) {
  if (blink & bit) return KB_PNL_BLINK;
  return (steady & bit) ? KB_PNL_ON : KB_PNL_OFF;
}

kb_pnl_state_t kb_skp_light(const kb_skp_t *k, kb_pnl_light_t light) {
  if ((unsigned)light >= KB_PNL_LIGHT_COUNT) return KB_PNL_OFF;
  return show(k->lights, k->blink, (uint8_t)(1u << light));
}

kb_pnl_state_t kb_skp_zone_light(const kb_skp_t *k, unsigned zone) {
  unsigned g;
  if (zone < 1u || zone > 32u) return KB_PNL_OFF;
  g = (zone - 1u) / 8u;
  return show(k->zones[g], k->zblink[g], (uint8_t)(1u << ((zone - 1u) % 8u)));
}

/* Wire length and checksum of each command the keypad knows (B4.1, B6). */
static int expect(uint8_t cmd, bool *crc) {
  *crc = true;
  switch (cmd) {
  case 0x05: *crc = false; return 5;
  case 0x16: return 5;
  case 0x27: case 0x2D: case 0x34: case 0x3E: case 0x5D: return 7;
  case 0x4C: *crc = false; return 12;
  case 0x64: case 0x75: case 0x7F: return 3;
  case 0xA5: return 8;
  case 0xB1: return 10;
  case 0xD5: *crc = false; return 9;
  case 0x1C: *crc = false; return 1;
  default: return -1;
  }
}

/* A Classic frame: 16 bits, the zone byte and the status byte. */
static void frame_end_classic(kb_skp_t *k) {
  kb_skp_frame_t f;
  memset(&f, 0, sizeof f);
  f.bytes[0] = k->rx[0];
  f.bytes[1] = k->rx[1];
  f.n = 2;
  f.ok = k->cell == 16u;
  if (k->on_frame) k->on_frame(k->frame_ctx, &f);
  if (!f.ok) {
    k->bad++;
    return;
  }
  k->nlog++;
  k->zones[0] = 0;
  k->lights = 0;
  for (unsigned i = 0; i < 8u; i++) {
    if (f.bytes[0] & (0x80u >> i)) k->zones[0] = (uint8_t)(k->zones[0] | 1u << i);
    if (i < 7u && (f.bytes[1] & (0x80u >> i))) k->lights = (uint8_t)(k->lights | 1u << i);
  }
  if ((f.bytes[1] & 1u) && !k->beeper) k->beeps_on++;
  k->beeper = f.bytes[1] & 1u;
  if (k->beeper) k->beep_frames++;
}

/* The frame that just ended: check it, then show what it says. */
static void frame_end(kb_skp_t *k) {
  kb_skp_frame_t f;
  unsigned bits, n;
  bool crc, ok = false;
  int want;
  k->in_frame = 0;
  k->frames++;
  if (k->classic) {
    frame_end_classic(k);
    return;
  }
  memset(&f, 0, sizeof f);
  /* the last cell is the trailing cycle (line released), not a bit */
  bits = k->cell ? k->cell - 1u : 0u;
  n = bits >= 9u && (bits - 1u) % 8u == 0u ? (bits - 1u) / 8u : 0u;
  if (bits == 9u) n = 1; /* the command byte alone (0x1C) */
  if (n > KB_SKP_BYTES - 1u) n = 0;
  if (n) {
    unsigned sum = 0;
    f.bytes[0] = k->rx[0];
    for (unsigned i = 1; i < n; i++) f.bytes[i] = k->rx[i + 1u];
    f.n = (uint8_t)n;
    want = expect(f.bytes[0], &crc);
    ok = want == (int)n && !(k->rx[1] & 1u); /* the stop bit is 0 */
    if (ok && crc) {
      for (unsigned i = 0; i + 1u < n; i++) sum += f.bytes[i];
      ok = (uint8_t)sum == f.bytes[n - 1u];
    }
  }
  f.ok = ok;
  if (k->on_frame) k->on_frame(k->frame_ctx, &f);
  if (!ok) {
    k->bad++;
    return;
  }
  if (k->nlog < KB_SKP_LOG) k->log[k->nlog] = f.bytes[0];
  k->nlog++;
  switch (f.bytes[0]) {
  case 0x05:
    k->lights = f.bytes[1];
    k->status = f.bytes[2];
    break;
  case 0x27: case 0x2D: case 0x34: case 0x3E: {
    unsigned g = f.bytes[0] == 0x27 ? 0u : f.bytes[0] == 0x2D ? 1u : f.bytes[0] == 0x34 ? 2u : 3u;
    k->lights = f.bytes[1];
    k->status = f.bytes[2];
    k->zones[g] = f.bytes[5];
    break;
  }
  case 0x5D:
    k->blink = f.bytes[1];
    memcpy(k->zblink, &f.bytes[2], 4);
    break;
  case 0x64:
    k->beeps += f.bytes[1] == 0xFF ? 128u : f.bytes[1] / 2u;
    break;
  case 0x75:
    k->tone = f.bytes[1];
    k->tones++;
    break;
  case 0x7F:
    k->buzzer = f.bytes[1];
    k->buzzers++;
    break;
  case 0xA5:
    memcpy(k->time, &f.bytes[1], 5);
    break;
  default:
    break;
  }
}

/* Plans byte 0 (the alarm slot) at the start of a frame, before the command
 * is known. */
static void plan_start(kb_skp_t *k, uint64_t t) {
  memset(k->out, 0xFF, sizeof k->out);
  if (k->classic) {
    /* the key is sent in every frame while it is held */
    if (k->cur_until && t < k->cur_until) {
      k->out[0] = k->cur_code;
    } else if (t >= k->rel_until && k->q_len) {
      uint16_t hold = k->q_hold[k->q_head];
      k->cur_code = (uint8_t)k->q[k->q_head];
      k->q_head = (uint8_t)((k->q_head + 1u) % KB_SKP_KEYQ);
      k->q_len--;
      k->keys_sent++;
      k->cur_until = t + 1000ull * (hold ? hold : 200u);
      k->rel_until = k->cur_until + 200000u; /* released 200 ms: at least 2 frames */
      k->out[0] = k->cur_code;
    } else {
      k->cur_until = 0;
    }
    return;
  }
  if (k->alarm) {
    k->out[0] = k->alarm_key;
    k->alarm--;
  } else if (k->q_len && (k->q[k->q_head] & KB_SKP_ALARM)) {
    k->alarm_key = (uint8_t)k->q[k->q_head];
    k->q_head = (uint8_t)((k->q_head + 1u) % KB_SKP_KEYQ);
    k->q_len--;
    k->keys_sent++;
    k->out[0] = k->alarm_key;
    k->alarm = 1; /* once more: the panel's 0x1C */
  }
}

/* Plans the data slots once the command byte is in (cell 9). */
static void plan_cmd(kb_skp_t *k) {
  uint8_t cmd = k->rx[0];
  if (cmd == 0x05 && k->out[0] == 0xFF) {
    if (k->q_len && !(k->q[k->q_head] & KB_SKP_ALARM)) {
      k->out[2] = (uint8_t)k->q[k->q_head];
      k->q_head = (uint8_t)((k->q_head + 1u) % KB_SKP_KEYQ);
      k->q_len--;
      k->keys_sent++;
    }
    if (k->zone_note) k->out[5] = 0xFB; /* byte 5 bit 2: ask me with 0xD5 */
  } else if (cmd == 0xD5 && k->slot >= 1 && k->slot <= 8) {
    k->out[k->slot + 1u] = k->zone_open ? 0x03 : 0x30;
    k->zone_note = 0;
  }
}

unsigned kb_skp_fall(kb_skp_t *k, uint64_t t) {
  unsigned b;
  uint8_t m;
  if (k->in_frame && t - k->t_rise > (k->classic ? FRAME_END_CLASSIC_US : FRAME_END_US)) frame_end(k);
  if (!k->in_frame) {
    k->in_frame = 1;
    k->cell = 0;
    memset(k->rx, 0xFF, sizeof k->rx);
    plan_start(k, t);
  }
  if (k->cell == 9u && !k->classic) plan_cmd(k);
  pos(k, k->cell, &b, &m);
  if (b >= KB_SKP_BYTES) return 1;
  return (k->out[b] & m) ? 1u : 0u;
}

void kb_skp_rise(kb_skp_t *k, uint64_t t, bool data_high) {
  unsigned b;
  uint8_t m;
  k->t_rise = t;
  if (!k->in_frame) return;
  pos(k, k->cell, &b, &m);
  if (b < KB_SKP_BYTES && !data_high) k->rx[b] = (uint8_t)(k->rx[b] & ~m);
  if (k->cell < 0xFFFFu) k->cell++;
}

void kb_skp_idle(kb_skp_t *k, uint64_t t) {
  if (k->in_frame && t - k->t_rise > (k->classic ? FRAME_END_CLASSIC_US : FRAME_END_US)) frame_end(k);
}

/* ------------------------------------------------------------ bus */

static uint64_t rng_next(kb_skp_bus_t *b) { /* splitmix64 */
  uint64_t z = (b->rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* A receiver reads level: flipped with probability ber. */
static bool noisy(kb_skp_bus_t *b, bool level) {
  if (b->ber_thr && (rng_next(b) >> 32) < b->ber_thr) {
    b->flips++;
    return !level;
  }
  return level;
}

static void vcd(kb_skp_bus_t *b, uint64_t t, uint8_t wire, uint8_t level) {
  if (b->vcd) {
    kb_edge_t e;
    e.t_us = t;
    e.wire = wire;
    e.level = level;
    (void)kb_vcd_writer_edge(b->vcd, &e);
  }
}

static void data_set(kb_skp_bus_t *b, uint64_t t) {
  uint8_t d = (uint8_t)(b->drv_eng & b->drv_kp);
  if (d != b->dat) {
    b->dat = d;
    vcd(b, t, KB_EDGE_DATA, d);
  }
}

void kb_skp_bus_cfg_default(kb_skp_bus_cfg_t *c) {
  memset(c, 0, sizeof *c);
  c->task_us = 1000;
  c->half_us = KB_PNL_HALF_US;
  c->seed = 1;
}

void kb_skp_bus_init(kb_skp_bus_t *b, const kb_skp_bus_cfg_t *c, kb_pnl_t *pnl,
                     kb_vcd_writer_t *vcdw, uint64_t t0_us) {
  memset(b, 0, sizeof *b);
  b->cfg = *c;
  if (!b->cfg.task_us) b->cfg.task_us = 1000;
  if (!b->cfg.half_us) b->cfg.half_us = KB_PNL_HALF_US;
  b->pnl = pnl;
  b->vcd = vcdw;
  b->t = b->next_task = t0_us;
  b->clk = b->dat = b->drv_eng = b->drv_kp = 1;
  b->rng = c->seed ^ 0x6B6579706E6C0000ull;
  if (c->ber >= 1.0) {
    b->ber_thr = 1ull << 32;
  } else if (c->ber > 0.0) {
    b->ber_thr = (uint64_t)(c->ber * 4294967296.0);
  }
}

bool kb_skp_bus_add(kb_skp_bus_t *b, kb_skp_t *k) {
  if (b->nkp >= KB_SKP_BUS_KEYPADS) return false;
  b->kp[b->nkp++] = k;
  return true;
}

void kb_skp_bus_half(kb_skp_bus_t *b) {
  uint8_t r, clk;
  bool in;
  while (b->next_task <= b->t) {
    if (b->task) {
      b->task(b->task_ctx, b->t);
    } else {
      (void)kb_pnl_poll(b->pnl);
    }
    b->next_task += b->cfg.task_us;
  }
  b->t += b->cfg.half_us;
  b->halves++;
  /* the timer fires: the port reads the line (a keypad's bit at the end of
   * a low phase; noise flips what the engine reads there), then applies */
  in = b->dat != 0;
  if (!b->clk) in = noisy(b, in);
  r = kb_pnl_isr(b->pnl, in);
  clk = (r & KB_PNL_CLK_HIGH) ? 1u : 0u;
  b->drv_eng = (r & KB_PNL_DATA_LOW) ? 0u : 1u;
  if (clk == b->clk) {
    data_set(b, b->t);
    if (clk)
      for (unsigned i = 0; i < b->nkp; i++) kb_skp_idle(b->kp[i], b->t);
    return;
  }
  b->edges++;
  if (!clk) {
    /* falling: the engine released (data first), the clock falls, the
     * keypads drive after their lag */
    unsigned kp = 1, lag = 255;
    data_set(b, b->t);
    b->clk = 0;
    vcd(b, b->t, KB_EDGE_CLOCK, 0);
    for (unsigned i = 0; i < b->nkp; i++) {
      if (!kb_skp_fall(b->kp[i], b->t)) {
        kp = 0;
        if (b->kp[i]->lag_us < lag) lag = b->kp[i]->lag_us;
      }
    }
    b->drv_kp = (uint8_t)kp;
    data_set(b, b->t + (kp ? 0u : lag));
  } else {
    /* rising: the keypads release, the engine's bit, then the clock; each
     * keypad reads the bit in the high phase */
    b->drv_kp = 1;
    data_set(b, b->t);
    b->clk = 1;
    vcd(b, b->t, KB_EDGE_CLOCK, 1);
    for (unsigned i = 0; i < b->nkp; i++) kb_skp_rise(b->kp[i], b->t, noisy(b, b->dat != 0));
  }
}

void kb_skp_bus_run_until(kb_skp_bus_t *b, uint64_t t_us) {
  while (b->t < t_us) kb_skp_bus_half(b);
}
