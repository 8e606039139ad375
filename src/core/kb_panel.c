/* SPDX-License-Identifier: MIT
 *
 * kb_panel.c - the panel role (see kb_panel.h): frames for DSC keypads out,
 * keys in. Facts: docs/protocol/classic-and-keypad.md B3, B4, D2, D3.
 */
#include "keybus/kb_panel.h"

/* interrupt states */
#define ST_WAIT 0u /* keypads powering up: the data line must stay high */
#define ST_GAP 1u  /* clock high between frames */
#define ST_LOW 2u  /* low phase of bit cell k (keypad slot k) */
#define ST_HIGH 3u /* high phase of bit cell k (panel bit k) */

#define STEADY 8u /* step: the start-up sequence has been sent */

/* Start-up sequence (B4.2). */
static const uint8_t startup_cmd[STEADY] = {0x16, 0x5D, 0x4C, 0xB1, 0xA5, 0x05, 0xD5, 0x27};

/* Status-with-zones commands, one per zone group of 8 (zones 1-8 .. 25-32). */
static const uint8_t zone_cmd[4] = {0x27, 0x2D, 0x34, 0x3E};

/* ------------------------------------------------------- Interrupt side */

/* The handler's helpers are forced inline, and carry KB_ISR_FN so that a
 * compiler that still keeps one out of line (-O0) places it where the
 * interrupt can run it (an ESP32 handler in IRAM must not call flash code:
 * checked with the ESP-IDF kits' check-iram.sh). */
#if defined(__GNUC__) || defined(__clang__)
#define PNL_ISR_INLINE static inline __attribute__((always_inline))
#else
#define PNL_ISR_INLINE static inline
#endif

/* Moves (idx, mask) to the next bit cell: the command byte's 8 bits, the
 * stop bit alone in byte 1 (bit 0), then data bytes from byte 2, MSB first.
 * The same position names the panel bit and the keypad slot before it. */
PNL_ISR_INLINE KB_ISR_FN void pos_next(kb_pnl_t *p) {
  if (p->mask != 0x01u) {
    p->mask = (uint8_t)(p->mask >> 1);
    return;
  }
  p->fresh = 1u; /* the next bit starts a module byte */
  if (p->idx == 0u && !p->classic) {
    p->idx = 1u; /* mask stays 0x01: the stop bit, alone in byte 1 */
    return;
  }
  p->idx++;
  p->mask = 0x80u;
}

/* The frame is done: its answers are published, the clock stays high. */
PNL_ISR_INLINE KB_ISR_FN uint8_t frame_done(kb_pnl_t *p) {
  kb_pnl_rx_t *r = &p->rx[p->head];
  uint8_t next = (uint8_t)(p->head + 1u);
  if (next == KB_PNL_RING + 1u) next = 0u;
  r->bits = p->tx_bits;
  r->t = p->now;
  p->frames++;
  if (next == p->tail) {
    p->overflows++; /* the slot is reused by the next frame */
  } else {
    KB_BARRIER(); /* the answer before the index that publishes it */
    p->head = next;
  }
  KB_BARRIER(); /* published before the task may stage the next frame */
  p->tx_ready = 0u;
  p->st = ST_GAP;
  p->cnt = 0u; /* counts the high half periods from here */
  return KB_PNL_CLK_HIGH;
}

/* An if-chain, not a switch: a switch may become a jump table, a constant
 * table in flash that an interrupt running from IRAM must not read (the
 * rule kb_link_isr.h follows). */
KB_ISR_FN uint8_t kb_pnl_isr(kb_pnl_t *p, bool data_high) {
  p->now++;
  if (p->st == ST_HIGH) {
    /* end of panel bit k: a released bit that reads 0 is someone else's */
    if (p->drive && !data_high) {
      p->contention++;
      p->rx[p->head].clash = 1u;
    }
    /* Classic: no trailing cycle, the last bit's high phase runs on */
    if (p->classic && p->k + 1u >= p->tx_bits) return frame_done(p);
    p->k++;
    pos_next(p);
    p->st = ST_LOW;
    return 0u; /* clock falls, line released: the keypads' turn */
  }
  if (p->st == ST_LOW) {
    /* end of keypad slot k: data_high is the keypads' bit */
    kb_pnl_rx_t *r = &p->rx[p->head];
    if (p->k < p->tx_bits) {
      uint8_t *m = &r->module[p->idx];
      if (p->fresh) { /* first bit of the byte */
        *m = 0xFFu;
        p->fresh = 0u;
      }
      if (!data_high) {
        *m = (uint8_t)(*m & ~p->mask);
        r->seen = 1u;
      }
      p->drive = (uint8_t)((p->tx[p->idx] & p->mask) != 0u);
      p->st = ST_HIGH;
      return (uint8_t)(KB_PNL_CLK_HIGH | (p->drive ? 0u : KB_PNL_DATA_LOW));
    }
    /* the trailing cycle's low phase is over: the frame is done */
    return frame_done(p);
  }
  if (p->st == ST_GAP) {
    if (p->cnt < 0xFFFFu) p->cnt++;
    if (p->tx_ready && p->cnt > p->tx_gap) { /* the trailing cycle's high half + the gap */
      kb_pnl_rx_t *r = &p->rx[p->head];
      KB_BARRIER(); /* the staged frame after its flag */
      r->cmd = p->tx[0];
      r->seen = 0u;
      r->clash = 0u;
      p->k = 0u;
      p->idx = 0u;
      p->mask = 0x80u;
      p->fresh = 1u;
      p->st = ST_LOW;
      return 0u; /* first falling edge: keypad slot 0 */
    }
    return KB_PNL_CLK_HIGH;
  }
  /* ST_WAIT: the keypads power up */
  if (!data_high) {
    p->up = 0u;
  } else if (++p->up >= p->up_need) {
    p->st = ST_GAP;
    p->cnt = 0xFFFFu; /* no gap owed before the first frame */
  }
  return KB_PNL_CLK_HIGH;
}

/* ------------------------------------------------------------ Task side */

void kb_pnl_cfg_default(kb_pnl_cfg_t *c) {
  c->powerup_ms = 4000u;
  c->menu_key = false;
  c->classic = false;
}

void kb_pnl_init(kb_pnl_t *p, const kb_pnl_cfg_t *cfg) {
  kb_pnl_cfg_t d;
  uint8_t *b = (uint8_t *)p;
  for (unsigned i = 0; i < sizeof *p; i++) b[i] = 0u; /* no memset: freestanding */
  if (!cfg) {
    kb_pnl_cfg_default(&d);
    cfg = &d;
  }
  p->classic = cfg->classic ? 1u : 0u;
  /* half periods: 2 per ms at KB_PNL_HALF_US, 1 at KB_PNL_CLASSIC_HALF_US */
  p->up_need = cfg->powerup_ms * (1000u / (p->classic ? KB_PNL_CLASSIC_HALF_US : KB_PNL_HALF_US));
  p->menu_key = cfg->menu_key ? 1u : 0u;
  p->c_prev = p->c_hold = p->c_last = 0xFFu;
  if (p->classic) p->step = STEADY; /* Classic keypads need no start-up sequence */
  p->st = ST_WAIT;
  if (!p->up_need) {
    p->st = ST_GAP;
    p->cnt = 0xFFFFu;
  }
  p->lights = (uint8_t)(1u << KB_PNL_LIGHT_READY | 1u << KB_PNL_LIGHT_BACKLIGHT);
  p->status = 0x01u;
  /* the reference's template: 2018-03-23 13:32 */
  p->time[0] = 0x18u;
  p->time[1] = 0x0Eu;
  p->time[2] = 0xEDu;
  p->time[3] = 0x80u; /* time[4], the status, stays 0; time_p 0: the start-up
                       * sequence sends it */
}

kb_err_t kb_pnl_set_light(kb_pnl_t *p, kb_pnl_light_t light, kb_pnl_state_t st) {
  uint8_t bit;
  if ((unsigned)light >= KB_PNL_LIGHT_COUNT || (unsigned)st > KB_PNL_BLINK) return KB_ERR_ARG;
  bit = (uint8_t)(1u << light);
  p->lights = (uint8_t)(st == KB_PNL_ON ? p->lights | bit : p->lights & ~bit);
  p->blink = (uint8_t)(st == KB_PNL_BLINK ? p->blink | bit : p->blink & ~bit);
  return KB_OK;
}

kb_err_t kb_pnl_set_zone(kb_pnl_t *p, unsigned zone, kb_pnl_state_t st) {
  unsigned g;
  uint8_t bit;
  if (zone < 1u || zone > KB_PNL_ZONES || (unsigned)st > KB_PNL_BLINK) return KB_ERR_ARG;
  g = (zone - 1u) / 8u;
  bit = (uint8_t)(1u << ((zone - 1u) % 8u)); /* bit 0 = the group's lowest zone */
  p->zones[g] = (uint8_t)(st == KB_PNL_ON ? p->zones[g] | bit : p->zones[g] & ~bit);
  p->zblink[g] = (uint8_t)(st == KB_PNL_BLINK ? p->zblink[g] | bit : p->zblink[g] & ~bit);
  return KB_OK;
}

void kb_pnl_set_status(kb_pnl_t *p, uint8_t code) { p->status = code; }

kb_err_t kb_pnl_set_time(kb_pnl_t *p, unsigned year, unsigned month, unsigned day, unsigned hour,
                         unsigned minute) {
  unsigned yy;
  /* two BCD-like digits; a first digit >= 7 reads as 19xx (B4.1) */
  if (year >= 2000u && year <= 2069u) {
    yy = year - 2000u;
  } else if (year >= 1970u && year <= 1999u) {
    yy = year - 1900u;
  } else {
    return KB_ERR_RANGE;
  }
  if (month < 1u || month > 12u || day < 1u || day > 31u || hour > 23u || minute > 59u)
    return KB_ERR_RANGE;
  p->time[0] = (uint8_t)((yy / 10u) << 4 | (yy % 10u));
  p->time[1] = (uint8_t)(month << 2 | day >> 3);
  p->time[2] = (uint8_t)((day & 7u) << 5 | hour);
  p->time[3] = (uint8_t)(minute << 2); /* selector 0: the timestamp */
  p->time[4] = 0u;
  p->time_p = 1u;
  return KB_OK;
}

void kb_pnl_beep(kb_pnl_t *p, unsigned n) {
  p->beep = (uint8_t)(n >= 128u ? 0xFFu : 2u * n);
  p->beep_p = n != 0u;
}

void kb_pnl_tone(kb_pnl_t *p, unsigned beeps, bool constant, unsigned interval_s) {
  if (beeps > 7u) beeps = 7u;
  if (interval_s > 15u) interval_s = 15u;
  p->tone = (uint8_t)((constant ? 0x80u : 0u) | beeps << 4 | interval_s);
  p->tone_p = 1u;
}

void kb_pnl_buzzer(kb_pnl_t *p, unsigned s) {
  p->buzzer = (uint8_t)(s > 255u ? 255u : s);
  p->buzzer_p = s != 0u;
}

/* Key codes a PowerSeries keypad sends (B4.6). Each is a 6-bit key number
 * and a 2-bit check; only these are passed on, so a byte bent by noise is
 * very unlikely to become a key. */
static const struct {
  uint8_t code;
  const char *name;
} keys[] = {
    {0x00, "0"},     {0x05, "1"},     {0x0A, "2"},      {0x0F, "3"},     {0x11, "4"},
    {0x16, "5"},     {0x1B, "6"},     {0x1C, "7"},      {0x22, "8"},     {0x27, "9"},
    {0x28, "*"},     {0x2D, "#"},     {0x82, "enter"},  {0x87, "right"}, {0x88, "left"},
    {0xAF, "stay"},  {0xB1, "away"},  {0xBB, "chime"},  {0xDA, "reset"}, {0xE1, "exit"},
    {0xF7, "menu"},  {KB_PNL_KEY_FIRE, "fire"}, {KB_PNL_KEY_AUX, "aux"}, {KB_PNL_KEY_PANIC, "panic"},
};
#define NKEYS (sizeof keys / sizeof keys[0])
#define NKEYPAD (NKEYS - 3u) /* the last three come from the 0x1C handshake only */

const char *kb_pnl_key_name(uint8_t code) {
  for (unsigned i = 0; i < NKEYS; i++)
    if (keys[i].code == code) return keys[i].name;
  return (const char *)0;
}

static void key_push(kb_pnl_t *p, uint8_t code) {
  if (p->kq_len >= KB_PNL_KEYQ) {
    p->keys_lost++;
    return;
  }
  p->keyq[(p->kq_head + p->kq_len) % KB_PNL_KEYQ] = code;
  p->kq_len++;
  p->keys++;
}

bool kb_pnl_key(kb_pnl_t *p, uint8_t *code) {
  if (!p->kq_len) return false;
  *code = p->keyq[p->kq_head];
  p->kq_head = (uint8_t)((p->kq_head + 1u) % KB_PNL_KEYQ);
  p->kq_len--;
  return true;
}

/* Module byte b is complete when the frame clocked its 8 slots (byte 0:
 * slots 0-7, byte n >= 2: slots 8n-7 .. 8n). */
static bool have_byte(const kb_pnl_rx_t *r, unsigned b) {
  return r->bits >= (b == 0u ? 8u : 8u * b + 1u);
}

/* One frame's answer (B4.6). */
static void answer(kb_pnl_t *p, const kb_pnl_rx_t *r) {
  p->last_cmd = r->cmd;
  if (r->clash) {
    /* the line did not follow the panel's own bits: whatever the keypad
     * slots read is not a keypad's (a data line held low reads as the key
     * 0x00 in every frame) */
    p->clashed++;
    if (r->cmd == 0x1Cu) p->alarm_ask = 0u;
    return;
  }
  if (r->cmd == 0x1Cu) {
    /* the keypad repeats its alarm key in byte 0 of the 0x1C frame */
    uint8_t c = 0;
    if (r->seen && have_byte(r, 0)) {
      c = r->module[0] == 0xBBu ? KB_PNL_KEY_FIRE
          : r->module[0] == 0xDDu ? KB_PNL_KEY_AUX
          : r->module[0] == 0xEEu ? KB_PNL_KEY_PANIC
                                  : 0u;
    }
    if (c) {
      key_push(p, c);
    } else {
      p->alarm_noise++;
    }
    p->alarm_ask = 0u;
    return;
  }
  if (!r->seen) return;
  if (have_byte(r, 0) && r->module[0] != 0xFFu && !p->alarm_ask) {
    /* something in the command byte's slots: an alarm key (or noise: the
     * handshake tells) */
    p->alarm_ask = 1u;
    p->alarm_asks++;
  }
  if (r->cmd == 0x05u) {
    if (have_byte(r, 2) && r->module[2] != 0xFFu) {
      unsigned i;
      for (i = 0; i < NKEYPAD && keys[i].code != r->module[2]; i++) {
      }
      if (i < NKEYPAD && (r->module[2] != 0xF7u || p->menu_key)) {
        key_push(p, r->module[2]);
      } else {
        p->rejected++;
      }
    }
    /* byte 5 bit 2 low: a keypad's zone changed (ask with 0xD5) */
    if (have_byte(r, 5) && !(r->module[5] & 0x04u)) p->zone_ask = 1u;
  } else if (r->cmd == 0xD5u) {
    /* slot s answers in byte s + 1: 11 in bits 1-0 and 00 in bits 5-4 =
     * open, the reverse = closed, anything else = no answer */
    for (unsigned s = 1; s <= 8u; s++) {
      uint8_t v, bit = (uint8_t)(1u << (s - 1u));
      if (!have_byte(r, s + 1u)) break;
      v = r->module[s + 1u];
      if ((v & 0x33u) == 0x03u) {
        p->kz_open = (uint8_t)(p->kz_open | bit);
        p->kz_valid = 1u;
      } else if ((v & 0x33u) == 0x30u) {
        p->kz_open = (uint8_t)(p->kz_open & ~bit);
        p->kz_valid = 1u;
      }
    }
  }
}

/* Stages wire bytes w[0..n-1] (plus their checksum when crc) with gap half
 * periods of clock high before them. */
static void stage(kb_pnl_t *p, const uint8_t *w, unsigned n, bool crc, uint16_t gap) {
  unsigned sum = 0;
  p->tx[0] = w[0];
  p->tx[1] = 0u; /* the stop bit, always 0 */
  for (unsigned i = 0; i < n; i++) {
    sum += w[i];
    if (i) p->tx[i + 1u] = w[i];
  }
  if (crc) p->tx[++n] = (uint8_t)sum;
  p->tx_bits = (uint8_t)(8u * n + 1u);
  p->tx_gap = gap;
  KB_BARRIER(); /* the frame before the flag */
  p->tx_ready = 1u;
}

/* Builds and stages command cmd from the current state. */
static void send(kb_pnl_t *p, uint8_t cmd, uint16_t gap) {
  uint8_t w[KB_PNL_FRAME_BYTES];
  unsigned n = 0;
  bool crc = true;
  w[n++] = cmd;
  switch (cmd) {
  case 0x05:
    w[n++] = p->lights;
    w[n++] = p->status;
    w[n++] = 0x10; /* partition 2: Backlight, disabled */
    w[n++] = 0xC7;
    crc = false;
    break;
  case 0x16: /* v2.3, NC zones, 4-digit codes, not in *8 */
    w[n++] = 0x0E;
    w[n++] = 0x23;
    w[n++] = 0xF1;
    break;
  case 0x27:
  case 0x2D:
  case 0x34:
  case 0x3E: {
    unsigned g = cmd == 0x27 ? 0u : cmd == 0x2D ? 1u : cmd == 0x34 ? 2u : 3u;
    w[n++] = p->lights;
    w[n++] = p->status;
    w[n++] = 0x10;
    w[n++] = 0xC7;
    w[n++] = p->zones[g];
    p->s_zones[g] = p->zones[g];
    break;
  }
  case 0x5D:
    w[n++] = p->blink;
    for (unsigned g = 0; g < 4u; g++) {
      w[n++] = p->zblink[g];
      p->s_zblink[g] = p->zblink[g];
    }
    p->s_blink = p->blink;
    break;
  case 0x4C: /* module tamper query */
  case 0xD5: /* keypad zone query */
    for (unsigned i = 0; i < (cmd == 0x4C ? 11u : 8u); i++) w[n++] = 0xAA;
    crc = false;
    break;
  case 0xB1: /* partition 1: zones 1-32 enabled, partition 2: none */
    for (unsigned i = 0; i < 8u; i++) w[n++] = i < 4u ? 0xFF : 0x00;
    break;
  case 0xA5:
    for (unsigned i = 0; i < 5u; i++) w[n++] = p->time[i];
    w[n++] = 0x00;
    p->time_p = 0u;
    break;
  case 0x64:
    w[n++] = p->beep;
    p->beep_p = 0u;
    break;
  case 0x75:
    w[n++] = p->tone;
    p->tone_p = 0u;
    break;
  case 0x7F:
    w[n++] = p->buzzer;
    p->buzzer_p = 0u;
    break;
  default: /* 0x1C: the command byte alone */
    crc = false;
    break;
  }
  stage(p, w, n, crc, gap);
}

/* The next frame (B4.2, B4.3). */
static void schedule(kb_pnl_t *p) {
  /* the handshake first, start-up sequence or not: the keypad repeats its
   * alarm key only in the frame right after the one that carried it */
  if (p->alarm_ask == 1u) {
    p->alarm_ask = 2u; /* asked: cleared by the 0x1C answer */
    send(p, 0x1C, KB_PNL_GAP_HALVES);
    return;
  }
  if (p->step < STEADY) {
    uint8_t s = p->step++;
    send(p, startup_cmd[s], s == 1u ? KB_PNL_STARTUP_PAUSE_HALVES : KB_PNL_GAP_HALVES);
    return;
  }
  if (p->zone_ask && p->last_cmd == 0x05u) {
    p->zone_ask = 0u;
    p->zone_queries++;
    send(p, 0xD5, KB_PNL_GAP_HALVES);
    return;
  }
  for (unsigned g = 0; g < 4u; g++) {
    if (p->zones[g] != p->s_zones[g]) {
      send(p, zone_cmd[g], KB_PNL_GAP_HALVES);
      return;
    }
  }
  if (p->blink != p->s_blink || p->zblink[0] != p->s_zblink[0] || p->zblink[1] != p->s_zblink[1] ||
      p->zblink[2] != p->s_zblink[2] || p->zblink[3] != p->s_zblink[3]) {
    send(p, 0x5D, KB_PNL_GAP_HALVES);
  } else if (p->beep_p) {
    send(p, 0x64, KB_PNL_GAP_HALVES);
  } else if (p->tone_p) {
    send(p, 0x75, KB_PNL_GAP_HALVES);
  } else if (p->buzzer_p) {
    send(p, 0x7F, KB_PNL_GAP_HALVES);
  } else if (p->time_p) {
    send(p, 0xA5, KB_PNL_GAP_HALVES);
  } else {
    send(p, 0x05, KB_PNL_GAP_HALVES); /* keep-alive and key poll */
  }
}

/* ------------------------------------------------------ Classic (B5) */

/* Classic key codes (A4) and what the application gets (PowerSeries codes);
 * the last three are F/A/P. */
static const uint8_t ckeys[15][2] = {
    {0xD7, 0x00}, {0xBE, 0x05}, {0xDE, 0x0A}, {0xEE, 0x0F}, {0xBD, 0x11},
    {0xDD, 0x16}, {0xED, 0x1B}, {0xBB, 0x1C}, {0xDB, 0x22}, {0xEB, 0x27},
    {0xB7, 0x28}, {0xE7, 0x2D}, {0x3F, KB_PNL_KEY_FIRE}, {0x5F, KB_PNL_KEY_AUX},
    {0x6F, KB_PNL_KEY_PANIC}};
#define CKEYS_FAP 12u

static void classic_push(kb_pnl_t *p, uint8_t code, uint32_t t) {
  key_push(p, code);
  p->c_last = code;
  p->c_last_t = t;
  p->c_click_until = t + KB_PNL_CLASSIC_CLICK_MS;
}

/* One Classic frame's answer: K0 is the key (a real keypad repeats it in
 * every frame while it is held). Times: 1 half period = 1 ms. */
static void answer_classic(kb_pnl_t *p, const kb_pnl_rx_t *r) {
  uint8_t k0 = (r->seen && r->bits >= 8u && !r->clash) ? r->module[0] : 0xFFu;
  uint32_t t = r->t;
  unsigned i;
  p->last_cmd = r->cmd;
  if (r->clash) p->clashed++; /* read as no key (see answer()) */
  p->c_now = t;
  for (i = 0; i < 15u && ckeys[i][0] != k0; i++) {
  }
  if (k0 != 0xFFu && i == 15u) p->rejected++; /* no key: noise */
  if (i >= CKEYS_FAP && i < 15u) {
    /* F/A/P count only when held (B5): once per hold period */
    if (p->c_hold != k0) {
      p->c_hold = k0;
      p->c_hold_t = t;
    } else if ((uint32_t)(t - p->c_hold_t) >= KB_PNL_CLASSIC_HOLD_MS) {
      classic_push(p, ckeys[i][1], t);
      p->c_hold_t = t;
    }
  } else {
    p->c_hold = 0xFFu;
    /* a key when it appears; the same key again only once it has been away
     * for KB_PNL_CLASSIC_REPEAT_MS (a bounce, or one frame bent by noise in
     * the middle of a press, is not a second press) */
    if (i < CKEYS_FAP && k0 != p->c_prev &&
        !(ckeys[i][1] == p->c_last && (uint32_t)(t - p->c_last_t) < KB_PNL_CLASSIC_REPEAT_MS))
      classic_push(p, ckeys[i][1], t);
  }
  if (i < 15u && ckeys[i][1] == p->c_last) p->c_last_t = t; /* still there: last seen now */
  p->c_prev = k0;
}

static bool before(uint32_t t, uint32_t until) { return (int32_t)(until - t) > 0; }

/* The next Classic frame: zone lights, status lights, the beeper. */
static void schedule_classic(kb_pnl_t *p) {
  static const uint8_t cbit[7] = {0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02};
  uint32_t t = p->c_now;
  bool flash_on = ((t / KB_PNL_CLASSIC_FLASH_MS) & 1u) == 0u, beeper;
  uint8_t z = 0, s = 0;
  for (unsigned i = 0; i < 8u; i++) {
    uint8_t bit = (uint8_t)(1u << i);
    if ((p->zones[0] & bit) || ((p->zblink[0] & bit) && flash_on)) z = (uint8_t)(z | 0x80u >> i);
    if (i < 7u && ((p->lights & bit) || ((p->blink & bit) && flash_on))) s = (uint8_t)(s | cbit[i]);
  }
  if (p->beep_p) {
    unsigned n = p->beep == 0xFFu ? 128u : p->beep / 2u;
    p->c_beeps = (uint16_t)(2u * n - 1u); /* on, off, on, ... on */
    p->c_beep_t = t;
    p->beep_p = 0u;
  } else if (p->c_beeps && (uint32_t)(t - p->c_beep_t) >= KB_PNL_CLASSIC_BEEP_MS) {
    p->c_beeps--;
    p->c_beep_t = t;
  }
  if (p->buzzer_p) {
    p->c_buzz_until = t + 1000u * p->buzzer;
    p->buzzer_p = 0u;
  }
  p->tone_p = p->time_p = 0u; /* nothing to show them on */
  beeper = before(t, p->c_click_until) || before(t, p->c_buzz_until) || (p->c_beeps & 1u);
  p->tx[0] = z;
  p->tx[1] = (uint8_t)(s | (beeper ? 0x01u : 0u));
  p->tx_bits = 16u;
  p->tx_gap = KB_PNL_CLASSIC_GAP_HALVES;
  KB_BARRIER(); /* the frame before the flag */
  p->tx_ready = 1u;
}

unsigned kb_pnl_poll(kb_pnl_t *p) {
  unsigned n = 0;
  uint8_t idle = (uint8_t)!p->tx_ready, tail = p->tail;
  KB_BARRIER(); /* an answer published before tx_ready fell is visible below */
  while (tail != p->head) {
    KB_BARRIER();
    if (p->classic) {
      answer_classic(p, &p->rx[tail]);
    } else {
      answer(p, &p->rx[tail]);
    }
    tail++;
    if (tail == KB_PNL_RING + 1u) tail = 0u;
    KB_BARRIER(); /* done with the slot before handing it back */
    p->tail = tail;
    n++;
  }
  if (idle) {
    if (p->classic) {
      schedule_classic(p);
    } else {
      schedule(p);
    }
  }
  return n;
}

bool kb_pnl_keypad_zones(const kb_pnl_t *p, uint8_t *open) {
  if (!p->kz_valid) return false;
  *open = p->kz_open;
  return true;
}

void kb_pnl_stats(const kb_pnl_t *p, kb_pnl_stats_t *out) {
  out->frames = p->frames;
  out->overflows = p->overflows;
  out->contention = p->contention;
  out->keys = p->keys;
  out->keys_lost = p->keys_lost;
  out->rejected = p->rejected;
  out->alarm_asks = p->alarm_asks;
  out->alarm_noise = p->alarm_noise;
  out->zone_queries = p->zone_queries;
  out->clashed = p->clashed;
}
