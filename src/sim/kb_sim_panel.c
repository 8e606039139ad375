/* SPDX-License-Identifier: MIT
 *
 * kb_sim_panel.c - behavioural model of a DSC PowerSeries panel (see
 * kb_sim_panel.h and docs/simulator-panel.md). Protocol facts: notes §2-§5
 * (docs/protocol/powerseries.md); scheduling after the panel emulator's
 * description (classic-and-keypad.md B4). Our own code.
 */
#include "sim/kb_sim_panel.h"

#include <string.h>

#include "keybus/kb_module.h"
#include "keybus/kb_proto.h"

/* ------------------------------------------------------------ constants */

#define US 1000000ull

enum { MODE_DISARMED = 0, MODE_EXIT, MODE_ARMED };

/* what a 0x9F prompt is for: 1..3 = kb_sim_arm_t */
enum { PUR_STAR6 = 4, PUR_STAR7 = 5, PUR_OUT1 = 6 /* .. PUR_OUT1 + 3 */, PUR_STAR9 = 10 };

/* messages built when they are sent (bits of kb_sim_panel_t.pend) */
#define PEND_VERSION 0x0001u
#define PEND_SUPERV 0x0002u
#define PEND_TIMESTAMP 0x0004u
#define PEND_PGM 0x0008u
#define PEND_E61A 0x0010u
#define PEND_BELL 0x0020u
#define PEND_ZG(g) ((uint32_t)(0x0100u << (g))) /* zone group g = 0..7 (zones 8g+1..) */
#define PEND_FLASH 0x00010000u   /* 0x5D (then 0x63, 0xE6.18) */
#define PEND_FLASH63 0x00020000u
#define PEND_E618 0x00040000u
#define PEND_C3 0x00080000u
#define PEND_ENABLED 0x00100000u /* 0xE6.2B/2C for each partition in use */
#define PEND_B1 0x00200000u
#define PEND_4C 0x00400000u

/* Key codes, statuses and commands: kb_proto.h (notes §3, §4.2). */

static int out_key(uint8_t k) { /* command output keys 1-4, else 0 */
  switch (k) {
    case KB_KEY_OUTPUT_1: return 1;
    case KB_KEY_OUTPUT_2: return 2;
    case KB_KEY_OUTPUT_3: return 3;
    case KB_KEY_OUTPUT_4: return 4;
    default: return 0;
  }
}

/* ------------------------------------------------------------ helpers */

static bool bit_get(const uint8_t *m, unsigned z) { return (m[(z - 1u) / 8u] >> ((z - 1u) % 8u)) & 1u; }

static void bit_set(uint8_t *m, unsigned z, bool on) {
  uint8_t b = (uint8_t)(1u << ((z - 1u) % 8u));
  if (on)
    m[(z - 1u) / 8u] |= b;
  else
    m[(z - 1u) / 8u] &= (uint8_t)~b;
}

static bool later(const kb_sim_panel_t *p) { return p->cfg.later_gen != 0; }

static unsigned max_parts(const kb_sim_panel_t *p) { return later(p) ? 8u : 2u; }
static unsigned max_zones(const kb_sim_panel_t *p) { return later(p) ? 64u : 32u; }

static bool part_on(const kb_sim_panel_t *p, unsigned part) {
  return part >= 1 && part <= max_parts(p) && ((p->cfg.partitions >> (part - 1u)) & 1u);
}

/* partition of zone z when the zone is in use, else 0 */
static unsigned zone_part(const kb_sim_panel_t *p, unsigned z) {
  const kb_sim_zone_cfg_t *zc;
  if (z < 1 || z > max_zones(p)) return 0;
  zc = &p->cfg.zone[z - 1];
  if (zc->type == KB_SIM_ZONE_UNUSED || !part_on(p, zc->partition)) return 0;
  return zc->partition;
}

static uint8_t zone_type(const kb_sim_panel_t *p, unsigned z) { return p->cfg.zone[z - 1].type; }

static uint32_t rnd(kb_sim_panel_t *p) { /* xorshift32 */
  uint32_t x = p->rng ? p->rng : 0x9E3779B9u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  p->rng = x;
  return x;
}

static unsigned days_in(unsigned year, unsigned month) {
  static const uint8_t d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return 31;
  if (month == 2 && (year % 4u) == 0 && ((year % 100u) != 0 || (year % 400u) == 0)) return 29;
  return d[month - 1];
}

static void minute_tick(kb_sim_time_t *t) {
  if (++t->minute < 60) return;
  t->minute = 0;
  if (++t->hour < 24) return;
  t->hour = 0;
  if (++t->day <= days_in(t->year, t->month)) return;
  t->day = 1;
  if (++t->month <= 12) return;
  t->month = 1;
  t->year = (uint16_t)(t->year >= 2099 ? 2000 : t->year + 1u);
}

/* ------------------------------------------------------------ queue */

static uint8_t csum(const uint8_t *b, unsigned n) { /* over b[0], b[2..n-1] */
  unsigned s = b[0];
  for (unsigned i = 2; i < n; i++) s += b[i];
  return (uint8_t)s;
}

static void finish(kb_sim_msg_t *m, unsigned n, bool with_sum) {
  if (with_sum) {
    m->b[n - 1] = csum(m->b, n - 1);
  }
  m->n = (uint8_t)n;
}

static void push(kb_sim_panel_t *p, const kb_sim_msg_t *m) {
  if (p->q_len >= KB_SIM_QUEUE) {
    p->truth.queue_drops++;
    return;
  }
  p->q[(p->q_head + p->q_len) % KB_SIM_QUEUE] = *m;
  p->q_len++;
}

static void time_bytes(const kb_sim_panel_t *p, uint8_t *t, unsigned part, unsigned set) {
  const kb_sim_time_t *c = &p->truth.time;
  unsigned yy = c->year % 100u;
  t[0] = (uint8_t)(((yy / 10u) << 4) | (yy % 10u));
  t[1] = (uint8_t)(((part & 3u) << 6) | ((c->month & 0x0Fu) << 2) | ((c->day >> 3) & 3u));
  t[2] = (uint8_t)(((c->day & 7u) << 5) | (c->hour & 0x1Fu));
  t[3] = (uint8_t)(((c->minute & 0x3Fu) << 2) | (set & 3u));
}

static void build_a5(const kb_sim_panel_t *p, kb_sim_msg_t *m, unsigned part, unsigned set,
                     uint8_t code, uint8_t b7) {
  memset(m, 0, sizeof *m);
  m->b[0] = KB_CMD_EVENT;
  time_bytes(p, &m->b[2], part, set);
  m->b[6] = code;
  m->b[7] = b7;
  finish(m, 9, true);
}

/* A panel event: 0xA5 (partitions 0-2, sets 0-3) and, on later panels,
 * 0xEB right after it (the engine folds the repeat). part 0 = system. */
static void event(kb_sim_panel_t *p, unsigned part, unsigned set, uint8_t code) {
  kb_sim_msg_t m;
  bool a5 = set <= 3 && part <= 2;
  { /* the event buffer keeps it (oldest dropped) */
    unsigned i = (p->ev_head + p->ev_len) % KB_SIM_EVLOG;
    if (p->ev_len == KB_SIM_EVLOG) p->ev_head = (uint8_t)((p->ev_head + 1u) % KB_SIM_EVLOG);
    else p->ev_len++;
    p->evlog[i].part = (uint8_t)part;
    p->evlog[i].set = (uint8_t)set;
    p->evlog[i].code = code;
    time_bytes(p, p->evlog[i].t, 0, 0);
  }
  if (a5) {
    /* byte 7: 0xFF for set 0 on later panels; the PC585/1565-like early
     * panel sends the partition number (taligentx #108 C: keypad Aux alarm
     * on partition 1, byte 7 = 0x01) */
    uint8_t b7 = set != 0 ? 0x00 : (!later(p) && part) ? (uint8_t)part : 0xFF;
    build_a5(p, &m, part, set, code, b7);
    push(p, &m);
  }
  if (later(p)) {
    memset(&m, 0, sizeof m);
    m.b[0] = KB_CMD_EVENT_HIGH;
    m.b[2] = (uint8_t)(part ? 1u << (part - 1u) : 0u);
    time_bytes(p, &m.b[3], 0, 0);
    m.b[7] = (uint8_t)set;
    m.b[8] = code;
    m.b[9] = 0x00;
    finish(&m, 11, true);
    push(p, &m);
  }
  if (a5 || later(p)) p->truth.events++;
}

static void zone_event(kb_sim_panel_t *p, unsigned part, unsigned z, bool alarm) {
  if (z <= 32)
    event(p, part, 0, (uint8_t)(alarm ? 8u + z : 40u + z));
  else if (later(p))
    event(p, part, 4, (uint8_t)(alarm ? z - 33u : z - 1u));
}

/* access code number -> scheme A index (§3.9): 1-34 -> 1-34, 40-42 -> 35-37 */
static unsigned code_index(unsigned n) { return n >= 40 ? n - 5u : n; }

/* A one-byte message for one partition: `c1` / `c2` for partition 1 / 2,
 * 0xE6 sub-command `sub` with a partition mask for 3-8 (later panels only;
 * `need_e6`: only when cfg.send_e6 is on). */
static void part_msg(kb_sim_panel_t *p, unsigned part, uint8_t c1, uint8_t c2, uint8_t sub,
                     bool need_e6, uint8_t v) {
  kb_sim_msg_t m;
  if (!p->cfg.send_beeps) return;
  memset(&m, 0, sizeof m);
  if (part <= 2) {
    m.b[0] = part == 2 ? c2 : c1;
    m.b[2] = v;
    finish(&m, 4, true);
  } else {
    if (!later(p) || (need_e6 && !p->cfg.send_e6)) return;
    m.b[0] = KB_CMD_EXTENDED;
    m.b[2] = sub;
    m.b[3] = (uint8_t)(1u << (part - 1u));
    m.b[4] = v;
    finish(&m, 6, true);
  }
  push(p, &m);
}

/* Keypad beeps (notes §3.20): 0x64 / 0x69 for partition 1 / 2, 0xE6.19 for 3-8. */
static void beep(kb_sim_panel_t *p, unsigned part, unsigned count) {
  part_msg(p, part, KB_CMD_BEEP, 0x69, 0x19, false, (uint8_t)(2u * count));
}

/* Keypad tone (notes §3.23): 0x75 / 0x7A for partition 1 / 2, 0xE6.1D for
 * 3-8 (later panels). 0x80 = constant tone (entry delay), 0x00 = off. */
static void tone(kb_sim_panel_t *p, unsigned part, uint8_t v) {
  part_msg(p, part, 0x75, 0x7A, 0x1D, true, v);
}

/* ------------------------------------------------------------ acts */

static void act(kb_sim_panel_t *p, uint8_t type, unsigned part, uint8_t k, uint8_t value,
                unsigned code, unsigned zone) {
  kb_sim_act_t a;
  if (!p->act_cb) return;
  memset(&a, 0, sizeof a);
  a.type = type;
  a.partition = (uint8_t)part;
  a.key = k;
  a.value = value;
  a.code = (uint8_t)code;
  a.zone = (uint8_t)zone;
  a.t_us = p->now;
  p->act_cb(p->act_ctx, &a);
}

/* Every change of a partition's menu goes through here (reported as an act). */
static void set_menu(kb_sim_panel_t *p, unsigned part, uint8_t menu, unsigned code) {
  kb_sim_part_t *pt = &p->part[part - 1];
  if (pt->menu == menu) return;
  pt->menu = menu;
  if (code) pt->menu_code = (uint8_t)code;
  act(p, KB_SIM_ACT_MENU, part, 0, menu, code, 0);
}

/* ------------------------------------------------------------ state rules */

static void flash(kb_sim_panel_t *p, kb_sim_part_t *pt, uint8_t status) {
  pt->flash = status;
  pt->flash_until = p->now + (uint64_t)p->cfg.flash_ms * 1000u;
}

static bool part_ready(const kb_sim_panel_t *p, unsigned part) {
  for (unsigned z = 1; z <= max_zones(p); z++)
    if (zone_part(p, z) == part && bit_get(p->truth.zones_open, z) &&
        !bit_get(p->truth.zones_bypass, z))
      return false;
  return true;
}

static void bell_update(kb_sim_panel_t *p) {
  p->pend |= PEND_BELL;
  if (later(p) && p->cfg.send_e6) p->pend |= PEND_E61A; /* partitions-in-alarm mask */
}

static bool any_alarm(const kb_sim_panel_t *p) {
  for (unsigned i = 0; i < KB_SIM_PARTITIONS; i++)
    if (p->part[i].alarm) return true;
  return false;
}

static void zone_alarm(kb_sim_panel_t *p, unsigned z) {
  unsigned part = zone_part(p, z);
  kb_sim_part_t *pt;
  bool was;
  if (!part || bit_get(p->truth.zones_alarm, z)) return;
  if (p->zone_swings[z - 1] >= 3) return; /* swinger shutdown */
  p->zone_swings[z - 1]++;
  pt = &p->part[part - 1];
  was = any_alarm(p);
  bit_set(p->truth.zones_alarm, z, true);
  bit_set(p->truth.zones_memory, z, true);
  if (pt->entry) tone(p, part, 0x00);
  pt->entry = 0;
  pt->key_alarm = 0;
  set_menu(p, part, KB_SIM_MENU_NONE, 0);
  pt->nbuf = 0;
  pt->flash = 0;
  if (!pt->alarm) act(p, KB_SIM_ACT_ALARM, part, 0, 0, 0, z);
  pt->alarm = 1;
  pt->memory = 1;
  if (zone_type(p, z) == KB_SIM_ZONE_FIRE) pt->fire = 1;
  zone_event(p, part, z, true);
  if (!was) bell_update(p);
}

/* A zone of an armed (or any, for fire/24 h) partition opened. */
static void zone_violated(kb_sim_panel_t *p, unsigned z) {
  unsigned part = zone_part(p, z);
  kb_sim_part_t *pt;
  uint8_t type;
  if (!part) return;
  pt = &p->part[part - 1];
  type = zone_type(p, z);
  if (type == KB_SIM_ZONE_FIRE || type == KB_SIM_ZONE_24H) {
    zone_alarm(p, z);
    return;
  }
  if (bit_get(p->truth.zones_bypass, z)) return;
  if (pt->mode == MODE_DISARMED) {
    if (pt->chime && type == KB_SIM_ZONE_DELAY) beep(p, part, 3);
    return;
  }
  if (pt->mode != MODE_ARMED) { /* exit delay: judged when it ends */
    if (type == KB_SIM_ZONE_DELAY) pt->left = 1; /* someone goes out */
    return;
  }
  switch (type) {
    case KB_SIM_ZONE_INTERIOR:
      if (pt->arm == KB_SIM_ARM_STAY || pt->arm == KB_SIM_ARM_NIGHT || pt->entry) return;
      zone_alarm(p, z);
      break;
    case KB_SIM_ZONE_DELAY:
      if (pt->arm == KB_SIM_ARM_NIGHT || pt->star9) {
        zone_alarm(p, z);
      } else if (!pt->entry && !pt->alarm) {
        pt->entry = 1;
        pt->entry_zone = (uint8_t)z;
        act(p, KB_SIM_ACT_ENTRY_START, part, 0, 0, 0, z);
        tone(p, part, 0x80); /* the keypads sound during the entry delay */
        pt->t_entry_end = p->now + (uint64_t)p->cfg.entry_delay_s * US;
      }
      break;
    default: /* instant */
      zone_alarm(p, z);
      break;
  }
}

static void finish_arming(kb_sim_panel_t *p, unsigned part) {
  kb_sim_part_t *pt = &p->part[part - 1];
  pt->mode = MODE_ARMED;
  pt->flash = 0;
  /* *9: stay (interior zones bypassed) unless someone went out through a
   * delay zone during the exit delay (the panel's stay/away rule) */
  if (pt->star9) pt->arm = pt->left ? KB_SIM_ARM_AWAY : KB_SIM_ARM_STAY;
  act(p, KB_SIM_ACT_ARM, part, 0, pt->arm, pt->by_code, 0);
  event(p, part, 2, pt->arm == KB_SIM_ARM_AWAY ? 0x9B : 0x9A);
  if (pt->arm == KB_SIM_ARM_NIGHT || pt->star9) event(p, part, 2, 0x9C);
  if (pt->by_code) {
    pt->access_code = pt->by_code;
    event(p, part, 0, (uint8_t)(0x98u + code_index(pt->by_code)));
  }
  else
    event(p, part, 0, 0xBF);
  /* zones left open at the end of the exit delay: delay zones first (entry
   * delay), then the others as if they had just opened */
  for (int pass = 0; pass < 2; pass++)
    for (unsigned z = 1; z <= max_zones(p); z++)
      if (zone_part(p, z) == part && bit_get(p->truth.zones_open, z) &&
          (zone_type(p, z) == KB_SIM_ZONE_DELAY) == (pass == 0))
        zone_violated(p, z);
}

static void arm_start(kb_sim_panel_t *p, unsigned part, uint8_t arm, unsigned code, bool star9) {
  kb_sim_part_t *pt = &p->part[part - 1];
  if (pt->mode != MODE_DISARMED || pt->alarm) return;
  if (!part_ready(p, part)) {
    flash(p, pt, KB_ST_ARMING_FAILED);
    act(p, KB_SIM_ACT_REFUSED, part, 0, KB_ST_ARMING_FAILED, code, 0);
    return;
  }
  pt->memory = 0;
  for (unsigned z = 1; z <= max_zones(p); z++)
    if (zone_part(p, z) == part) {
      bit_set(p->truth.zones_memory, z, false);
      p->zone_swings[z - 1] = 0;
    }
  pt->mode = MODE_EXIT;
  pt->arm = arm;
  pt->star9 = star9;
  pt->left = 0;
  pt->by_code = (uint8_t)code;
  pt->entry = 0;
  pt->flash = 0;
  pt->t_exit_end = p->now + (uint64_t)p->cfg.exit_delay_s * US;
  act(p, KB_SIM_ACT_EXIT_START, part, 0, arm, code, 0);
  tone(p, part, 0x00); /* captured: "beep pattern off" right after an arming starts */
  if (arm == KB_SIM_ARM_NIGHT || star9) flash(p, pt, 0x09);
  if (p->cfg.exit_delay_s == 0) finish_arming(p, part);
}

static void disarm(kb_sim_panel_t *p, unsigned part, unsigned code) {
  kb_sim_part_t *pt = &p->part[part - 1];
  bool was_alarm = any_alarm(p);
  if (pt->entry) tone(p, part, 0x00);
  pt->mode = MODE_DISARMED;
  pt->arm = KB_SIM_ARM_NONE;
  pt->star9 = 0;
  pt->key_alarm = 0;
  pt->entry = 0;
  pt->alarm = 0;
  pt->fire = 0;
  pt->access_code = (uint8_t)code;
  act(p, KB_SIM_ACT_DISARM, part, 0, 0, code, 0);
  for (unsigned z = 1; z <= max_zones(p); z++)
    if (zone_part(p, z) == part) bit_set(p->truth.zones_bypass, z, false);
  event(p, part, 0, (uint8_t)(0xBFu + code_index(code)));
  /* zones in alarm that are closed again restore now */
  for (unsigned z = 1; z <= max_zones(p); z++)
    if (zone_part(p, z) == part && bit_get(p->truth.zones_alarm, z) &&
        !bit_get(p->truth.zones_open, z)) {
      bit_set(p->truth.zones_alarm, z, false);
      zone_event(p, part, z, false);
    }
  flash(p, pt, pt->memory ? 0x3D : 0x3E);
  if (was_alarm && !any_alarm(p)) bell_update(p);
}

static void cmd_output(kb_sim_panel_t *p, unsigned part, unsigned n, unsigned code) {
  kb_sim_part_t *pt = &p->part[part - 1];
  unsigned pgm = p->cfg.cmd_output_pgm[n - 1];
  act(p, KB_SIM_ACT_OUTPUT, part, 0, (uint8_t)n, code, 0);
  if (pgm >= 1 && pgm <= 14) {
    uint16_t m = (uint16_t)(1u << (pgm - 1u));
    if (p->cfg.cmd_output_pulse_s) {
      p->truth.pgm |= m;
      p->pgm_off_at[pgm - 1] = p->now + (uint64_t)p->cfg.cmd_output_pulse_s * US;
    } else {
      p->truth.pgm ^= m;
    }
    p->pend |= PEND_PGM;
  }
  if (n <= 3)
    event(p, part, 2, (uint8_t)(0x66u + n));
  else
    event(p, part, 1, 0xD0);
  flash(p, pt, 0x33);
}

static unsigned find_code(const kb_sim_panel_t *p, const char *buf, unsigned n) {
  for (unsigned i = 1; i < KB_SIM_CODES; i++) {
    if (i >= 35 && i <= 39) continue;
    if (strlen(p->cfg.code[i]) == n && memcmp(p->cfg.code[i], buf, n) == 0) return i;
  }
  return 0;
}

static void toggle_chime(kb_sim_panel_t *p, unsigned part) {
  kb_sim_part_t *pt = &p->part[part - 1];
  pt->chime = !pt->chime;
  flash(p, pt, pt->chime ? 0xA3 : 0xA4);
  act(p, KB_SIM_ACT_CHIME, part, 0, pt->chime, 0, 0);
}

static void set_time_digits(kb_sim_panel_t *p, unsigned part, const char *d) {
  unsigned hh = (unsigned)(d[0] - '0') * 10u + (unsigned)(d[1] - '0');
  unsigned mi = (unsigned)(d[2] - '0') * 10u + (unsigned)(d[3] - '0');
  unsigned mo = (unsigned)(d[4] - '0') * 10u + (unsigned)(d[5] - '0');
  unsigned dd = (unsigned)(d[6] - '0') * 10u + (unsigned)(d[7] - '0');
  unsigned yy = (unsigned)(d[8] - '0') * 10u + (unsigned)(d[9] - '0');
  kb_sim_time_t *t = &p->truth.time;
  if (hh > 23 || mi > 59 || mo < 1 || mo > 12 || dd < 1 || dd > days_in(2000u + yy, mo)) return;
  t->year = (uint16_t)(2000u + yy);
  t->month = (uint8_t)mo;
  t->day = (uint8_t)dd;
  t->hour = (uint8_t)hh;
  t->minute = (uint8_t)mi;
  /* seconds are not reset (notes §6.2); show the new time at once */
  p->pend |= PEND_TIMESTAMP;
  act(p, KB_SIM_ACT_TIME_SET, part, 0, 0, 0, 0);
}

/* Event buffer browsing (*6 code, Enter, arrows): entry pt->ev_pos (0 =
 * newest) of the events of this partition and the system ones, as 0xAA
 * (partitions 1-2) and 0xEC (later panels) with the event number (notes
 * §3.28, §3.8; captured as taligentx #175). Past the oldest: the oldest. */
static void show_event(kb_sim_panel_t *p, unsigned part) {
  kb_sim_part_t *pt = &p->part[part - 1];
  unsigned n = 0, want, found = KB_SIM_EVLOG;
  kb_sim_msg_t m;
  for (unsigned k = p->ev_len; k-- > 0;) {
    unsigned ep = p->evlog[(p->ev_head + k) % KB_SIM_EVLOG].part;
    if (ep == part || ep == 0) n++;
  }
  if (!n) return;
  if (pt->ev_pos >= n) pt->ev_pos = (uint8_t)(n - 1u);
  want = pt->ev_pos;
  for (unsigned k = p->ev_len, c = 0; k-- > 0;) {
    unsigned i = (p->ev_head + k) % KB_SIM_EVLOG, ep = p->evlog[i].part;
    if (ep != part && ep != 0) continue;
    if (c++ == want) {
      found = i;
      break;
    }
  }
  if (found >= KB_SIM_EVLOG) return;
  if (part <= 2 && p->evlog[found].set <= 3) {
    memset(&m, 0, sizeof m);
    m.b[0] = KB_CMD_EVENT_BUFFER;
    memcpy(&m.b[2], p->evlog[found].t, 4);
    m.b[3] |= (uint8_t)((part & 3u) << 6);
    m.b[5] |= (uint8_t)(p->evlog[found].set & 3u);
    m.b[6] = p->evlog[found].code;
    m.b[7] = (uint8_t)want;
    finish(&m, 9, true);
    push(p, &m);
  }
  if (later(p)) {
    memset(&m, 0, sizeof m);
    m.b[0] = KB_CMD_EVENT_BUFFER_HIGH;
    m.b[2] = (uint8_t)(1u << (part - 1u));
    memcpy(&m.b[3], p->evlog[found].t, 4);
    m.b[7] = p->evlog[found].set;
    m.b[8] = p->evlog[found].code;
    m.b[9] = (uint8_t)want;
    finish(&m, 11, true);
    push(p, &m);
  }
}

/* One key from partition part's slot (notes §4.3), acted on as a panel. */
static void key(kb_sim_panel_t *p, unsigned part, uint8_t k) {
  kb_sim_part_t *pt = &p->part[part - 1];
  int d = kb_proto_key_digit(k);
  p->truth.keys++;
  pt->t_key = p->now;
  act(p, KB_SIM_ACT_KEY, part, k, 0, 0, 0);
  if (k == KB_KEY_POUND) { /* leaves any menu, drops a half-typed code, ends a brief status */
    set_menu(p, part, KB_SIM_MENU_NONE, 0);
    pt->nbuf = 0;
    pt->flash = 0;
    return;
  }
  switch (pt->menu) {
    case KB_SIM_MENU_NONE:
    case KB_SIM_MENU_CODE:
      if (d >= 0) {
        pt->buf[pt->nbuf++] = (char)('0' + d);
        set_menu(p, part, KB_SIM_MENU_CODE, 0);
        if (pt->nbuf >= p->cfg.code_digits) {
          unsigned c = find_code(p, pt->buf, pt->nbuf);
          pt->nbuf = 0;
          set_menu(p, part, KB_SIM_MENU_NONE, 0);
          if (!c) {
            flash(p, pt, KB_ST_WRONG_CODE);
            act(p, KB_SIM_ACT_INVALID_CODE, part, 0, KB_SIM_MENU_CODE, 0, 0);
          } else if (pt->mode != MODE_DISARMED || pt->alarm) {
            disarm(p, part, c);
          } else {
            arm_start(p, part, KB_SIM_ARM_AWAY, c, false);
          }
        }
        return;
      }
      pt->nbuf = 0;
      set_menu(p, part, KB_SIM_MENU_NONE, 0);
      if (k == KB_KEY_STAR) {
        if (!pt->alarm) set_menu(p, part, KB_SIM_MENU_STAR, 0);
      } else if (k == KB_KEY_STAY || k == KB_KEY_AWAY || k == KB_KEY_NO_ENTRY) {
        uint8_t arm = k == KB_KEY_STAY   ? KB_SIM_ARM_STAY
                      : k == KB_KEY_AWAY ? KB_SIM_ARM_AWAY
                                         : KB_SIM_ARM_NIGHT;
        if (pt->mode != MODE_DISARMED || pt->alarm) return;
        if (p->cfg.quick_arm) {
          arm_start(p, part, arm, 0, false);
        } else if (!part_ready(p, part)) {
          flash(p, pt, KB_ST_ARMING_FAILED);
          act(p, KB_SIM_ACT_REFUSED, part, 0, KB_ST_ARMING_FAILED, 0, 0);
        } else {
          pt->purpose = arm;
          set_menu(p, part, KB_SIM_MENU_PROMPT, 0);
        }
      } else if (k == KB_KEY_CHIME) {
        toggle_chime(p, part);
      } else if (out_key(k)) {
        pt->purpose = (uint8_t)(PUR_OUT1 + out_key(k) - 1);
        set_menu(p, part, KB_SIM_MENU_PROMPT, 0);
      }
      return;
    case KB_SIM_MENU_PROMPT:
      if (d < 0) return;
      pt->buf[pt->nbuf++] = (char)('0' + d);
      if (pt->nbuf >= p->cfg.code_digits) {
        unsigned c = find_code(p, pt->buf, pt->nbuf);
        uint8_t pur = pt->purpose;
        pt->nbuf = 0;
        if (!c) {
          set_menu(p, part, KB_SIM_MENU_NONE, 0);
          flash(p, pt, KB_ST_WRONG_CODE);
          act(p, KB_SIM_ACT_INVALID_CODE, part, 0, KB_SIM_MENU_PROMPT, 0, 0);
        } else if (pur >= KB_SIM_ARM_STAY && pur <= KB_SIM_ARM_NIGHT) {
          set_menu(p, part, KB_SIM_MENU_NONE, 0);
          arm_start(p, part, pur, c, false);
        } else if (pur == PUR_STAR9) {
          set_menu(p, part, KB_SIM_MENU_NONE, 0);
          arm_start(p, part, KB_SIM_ARM_STAY, c, true);
        } else if (pur == PUR_STAR6) {
          set_menu(p, part, KB_SIM_MENU_USER, c);
          /* logged "*6 by code" (set 2; captured as event 000 "Enter *6
           * programming" when browsing the buffer right after) */
          if (c <= 32)
            event(p, part, 2, (uint8_t)(0xC5u + c));
          else if (c >= 40)
            event(p, part, 2, (uint8_t)(0xE6u + c - 40u));
        } else if (pur == PUR_STAR7) {
          set_menu(p, part, KB_SIM_MENU_CMD_OUTPUT, c);
        } else {
          set_menu(p, part, KB_SIM_MENU_NONE, 0);
          cmd_output(p, part, (unsigned)(pur - PUR_OUT1 + 1), c);
        }
      }
      return;
    case KB_SIM_MENU_STAR:
      if (d == 1 && pt->mode == MODE_DISARMED) {
        set_menu(p, part, KB_SIM_MENU_BYPASS, 0);
        return;
      }
      if (d == 6 || d == 7 || (d == 9 && pt->mode == MODE_DISARMED)) {
        pt->purpose = d == 6 ? PUR_STAR6 : d == 7 ? PUR_STAR7 : PUR_STAR9;
        set_menu(p, part, KB_SIM_MENU_PROMPT, 0);
        return;
      }
      set_menu(p, part, KB_SIM_MENU_NONE, 0);
      if (d == 4) {
        toggle_chime(p, part);
      } else if (d >= 0) {
        flash(p, pt, KB_ST_NOT_AVAILABLE_2); /* function not available */
        act(p, KB_SIM_ACT_REFUSED, part, 0, KB_ST_NOT_AVAILABLE_2, 0, 0);
      }
      return;
    case KB_SIM_MENU_BYPASS:
      if (d < 0) return;
      pt->buf[pt->nbuf++] = (char)('0' + d);
      if (pt->nbuf >= 2) {
        unsigned z = (unsigned)(pt->buf[0] - '0') * 10u + (unsigned)(pt->buf[1] - '0');
        pt->nbuf = 0;
        if (zone_part(p, z) == part && zone_type(p, z) != KB_SIM_ZONE_FIRE) {
          bool on = !bit_get(p->truth.zones_bypass, z);
          bit_set(p->truth.zones_bypass, z, on);
          act(p, KB_SIM_ACT_BYPASS, part, 0, on, 0, z);
          if (on && z <= 32) event(p, part, 1, (uint8_t)(0xAFu + z));
        }
      }
      return;
    case KB_SIM_MENU_USER:
      if (d == 1) {
        pt->nbuf = 0;
        set_menu(p, part, KB_SIM_MENU_TIME, 0);
      } else if (k == KB_KEY_ENTER) {
        pt->ev_pos = 0;
        set_menu(p, part, KB_SIM_MENU_EVENTS, 0);
        show_event(p, part);
      }
      return;
    case KB_SIM_MENU_EVENTS:
      if (k == KB_KEY_RIGHT || k == KB_KEY_LEFT) {
        if (k == KB_KEY_RIGHT)
          pt->ev_pos++;
        else if (pt->ev_pos)
          pt->ev_pos--;
        show_event(p, part);
      }
      return;
    case KB_SIM_MENU_TIME:
      if (d < 0) return;
      pt->buf[pt->nbuf++] = (char)('0' + d);
      if (pt->nbuf >= 10) {
        set_time_digits(p, part, pt->buf);
        pt->nbuf = 0;
        set_menu(p, part, KB_SIM_MENU_USER, 0);
      }
      return;
    case KB_SIM_MENU_CMD_OUTPUT:
      if (d >= 1 && d <= 4) {
        set_menu(p, part, KB_SIM_MENU_NONE, 0);
        cmd_output(p, part, (unsigned)d, pt->menu_code);
      }
      return;
    default:
      set_menu(p, part, KB_SIM_MENU_NONE, 0);
      return;
  }
}

/* The partition a keypad alarm is logged on: byte 0 names no keypad, so the
 * first partition in use (captured on partition 1, taligentx #108 C). */
static unsigned kp_part(const kb_sim_panel_t *p) {
  for (unsigned part = 1; part <= max_parts(p); part++)
    if (part_on(p, part)) return part;
  return 1;
}

static void keypad_alarm(kb_sim_panel_t *p, uint8_t ak) {
  unsigned i = ak == KB_KEY_ALARM_FIRE ? 0 : ak == KB_KEY_ALARM_AUX ? 1 : 2, part = kp_part(p);
  p->truth.keys++;
  act(p, KB_SIM_ACT_KEY, 0, ak, 0, 0, 0);
  act(p, KB_SIM_ACT_ALARM_KEY, 0, ak, (uint8_t)i, 0, 0);
  p->truth.keypad_alarm[i] = 1;
  beep(p, part, 3); /* captured order: 0x1C, 0x64 3 beeps, 0xA5 alarm, 0xA5 restored */
  event(p, part, 0, (uint8_t)(0x4Eu + i));
  /* the restore follows ~0.2 s later (captured 60.43 -> 60.63 s) */
  p->kp_restore_at[i] = p->now + 200000u;
  if (i == 2 && p->cfg.panic_audible && part_on(p, part)) {
    kb_sim_part_t *pt = &p->part[part - 1];
    bool was = any_alarm(p);
    if (!pt->alarm) {
      act(p, KB_SIM_ACT_ALARM, part, 0, 0, 0, 0);
      set_menu(p, part, KB_SIM_MENU_NONE, 0);
      pt->nbuf = 0;
      pt->flash = 0;
      pt->alarm = 1;
      pt->key_alarm = 1;
      pt->memory = 1;
      if (pt->entry) tone(p, part, 0x00);
      pt->entry = 0;
    }
    if (!was) bell_update(p);
  }
}

/* ------------------------------------------------------------ lights, status */

static uint8_t part_status(const kb_sim_panel_t *p, unsigned part) {
  const kb_sim_part_t *pt = &p->part[part - 1];
  if (!part_on(p, part)) return KB_ST_DISABLED;
  switch (pt->menu) {
    case KB_SIM_MENU_PROMPT: return KB_ST_ENTER_CODE;
    case KB_SIM_MENU_STAR:
      return pt->mode == MODE_DISARMED ? KB_ST_STAR_MENU : KB_ST_STAR_MENU_ARMED;
    case KB_SIM_MENU_BYPASS: return KB_ST_BYPASS_MENU;
    case KB_SIM_MENU_USER: return KB_ST_USER_MENU;
    case KB_SIM_MENU_TIME: return KB_ST_SET_TIME;
    case KB_SIM_MENU_CMD_OUTPUT: return 0xB2;
    case KB_SIM_MENU_EVENTS: return KB_ST_USER_MENU;
    default: break;
  }
  if (pt->flash) return pt->flash;
  if (pt->alarm) return KB_ST_ALARM;
  if (pt->mode == MODE_ARMED) {
    if (pt->entry) return KB_ST_ENTRY_DELAY;
    /* stay or away: taligentx #300 shows 0x16 + Bypass for stay */
    if (pt->star9) return KB_ST_ARMED_AWAY_NO_ENTRY;
    return pt->arm == KB_SIM_ARM_STAY   ? KB_ST_ARMED_STAY
           : pt->arm == KB_SIM_ARM_AWAY ? KB_ST_ARMED_AWAY
                                        : KB_ST_ARMED_STAY_NO_ENTRY;
  }
  if (pt->mode == MODE_EXIT) return KB_ST_EXIT_DELAY;
  return part_ready(p, part) ? KB_ST_READY : KB_ST_NOT_READY;
}

static bool trouble(const kb_sim_panel_t *p) {
  if (!p->truth.ac_ok || !p->truth.battery_ok) return true;
  for (unsigned i = 0; i < KB_SIM_ZONES / 8; i++)
    if (p->truth.zones_tamper[i]) return true;
  return false;
}

static uint8_t part_lights(const kb_sim_panel_t *p, unsigned part) {
  const kb_sim_part_t *pt = &p->part[part - 1];
  uint8_t l;
  bool byp = false;
  if (!part_on(p, part)) return trouble(p) ? 0x10 : 0x00;
  l = 0x80; /* backlight */
  /* Ready: not armed and ready; a keypad panic alarm leaves it on (captured
   * "Ready Memory Trouble Backlight - Partition in alarm", taligentx #108 C) */
  if (pt->mode != MODE_ARMED && (!pt->alarm || pt->key_alarm) && part_ready(p, part)) l |= 0x01;
  if (pt->mode != MODE_DISARMED) l |= 0x02;
  if (pt->memory) l |= 0x04;
  for (unsigned z = 1; z <= max_zones(p); z++)
    if (zone_part(p, z) == part && bit_get(p->truth.zones_bypass, z)) byp = true;
  if (pt->mode != MODE_DISARMED && pt->arm != KB_SIM_ARM_AWAY) byp = true; /* interior bypassed */
  if (byp) l |= 0x08;
  if (trouble(p)) l |= 0x10;
  if (pt->menu >= KB_SIM_MENU_STAR) l |= 0x20; /* Program light in * menus */
  if (pt->fire) l |= 0x40;
  return l;
}

static uint32_t zone_groups(const kb_sim_panel_t *p);

static void refresh(kb_sim_panel_t *p) {
  kb_sim_truth_t *t = &p->truth;
  t->trouble = trouble(p);
  for (unsigned i = 0; i < KB_SIM_PARTITIONS; i++) {
    const kb_sim_part_t *pt = &p->part[i];
    kb_sim_part_truth_t *tp = &t->part[i];
    unsigned part = i + 1;
    memset(tp, 0, sizeof *tp);
    tp->enabled = part_on(p, part);
    tp->status = part_status(p, part);
    tp->lights = part_lights(p, part);
    if (!tp->enabled) continue;
    tp->ready = tp->lights & 0x01u;
    tp->armed = pt->mode == MODE_ARMED ? pt->arm : KB_SIM_ARM_NONE;
    tp->exit_delay = pt->mode == MODE_EXIT;
    tp->exit_target = pt->mode == MODE_EXIT ? pt->arm : KB_SIM_ARM_NONE;
    tp->entry_delay = pt->entry;
    tp->alarm = pt->alarm;
    tp->fire = pt->fire;
    tp->memory = pt->memory;
    tp->bypass = (tp->lights >> 3) & 1u;
    tp->chime = pt->chime;
    tp->menu = pt->menu;
    tp->access_code = pt->access_code;
    tp->no_entry_delay = pt->mode == MODE_ARMED && (pt->arm == KB_SIM_ARM_NIGHT || pt->star9);
  }
  /* flashing lights: the Armed light flashes while armed with no entry delay
   * (DSC user manuals); sent on a change of partition 1/2's */
  for (unsigned i = 0; i < 2; i++) {
    uint8_t fl = t->part[i].no_entry_delay ? 0x02 : 0x00;
    if (fl != p->part[i].flashing) {
      p->part[i].flashing = fl;
      if (p->started) p->pend |= PEND_FLASH;
    }
  }
  /* real panels resend the zone groups (which carry partitions 1-2's lights
   * and status) when those change: taligentx #168 (0x2D right after an
   * "invalid access code"), #12, #108 C */
  for (unsigned i = 0; i < 2; i++) {
    uint8_t st = t->part[i].status, li = t->part[i].lights;
    if (st != p->last_st[i] || li != p->last_li[i]) {
      if (p->started && p->cfg.status_zones) p->pend |= zone_groups(p) & 0x0F00u;
      p->last_st[i] = st;
      p->last_li[i] = li;
    }
  }
}

/* ------------------------------------------------------------ time */

static void periodic(uint64_t now, uint64_t *t, uint16_t period_s, kb_sim_panel_t *p, uint32_t what) {
  if (!period_s || now < *t) return;
  p->pend |= what;
  while (*t <= now) *t += (uint64_t)period_s * US;
}

static uint32_t zone_groups(const kb_sim_panel_t *p) {
  uint32_t m = PEND_ZG(0);
  unsigned groups = later(p) && p->cfg.send_e6 ? 8u : 4u;
  for (unsigned z = 1; z <= 8u * groups && z <= max_zones(p); z++)
    if (zone_part(p, z)) m |= PEND_ZG((z - 1u) / 8u);
  if (later(p) && p->cfg.send_e6) m |= PEND_E61A;
  return m;
}

static void advance(kb_sim_panel_t *p, uint64_t now) {
  uint64_t dt;
  if (now < p->now) now = p->now;
  dt = now - p->now;
  p->now = now;
  p->clock_us += dt;
  while (p->clock_us >= 60u * US) {
    p->clock_us -= 60u * US;
    minute_tick(&p->truth.time);
  }
  for (int round = 0; round < 4; round++) {
    bool fired = false;
    for (unsigned part = 1; part <= KB_SIM_PARTITIONS; part++) {
      kb_sim_part_t *pt = &p->part[part - 1];
      if (!part_on(p, part)) continue;
      if (pt->mode == MODE_EXIT && now >= pt->t_exit_end) {
        finish_arming(p, part);
        fired = true;
      }
      if (pt->mode == MODE_ARMED && pt->entry && now >= pt->t_entry_end) {
        zone_alarm(p, pt->entry_zone); /* ends the entry delay and its tone */
        if (pt->entry) {
          pt->entry = 0;
          tone(p, part, 0x00);
        }
        if (!pt->alarm) { /* the zone had used up its swinger allowance */
          act(p, KB_SIM_ACT_ALARM, part, 0, 0, 0, pt->entry_zone);
          pt->alarm = 1;
          pt->memory = 1;
          bell_update(p);
        }
        fired = true;
      }
      if (pt->flash && now >= pt->flash_until) pt->flash = 0;
      if (pt->menu != KB_SIM_MENU_NONE && p->cfg.key_timeout_s &&
          now - pt->t_key >= (uint64_t)p->cfg.key_timeout_s * US) {
        set_menu(p, part, KB_SIM_MENU_NONE, 0);
        pt->nbuf = 0;
      }
    }
    if (!fired) break;
  }
  for (unsigned i = 0; i < 3; i++)
    if (p->kp_restore_at[i] && now >= p->kp_restore_at[i]) {
      p->kp_restore_at[i] = 0;
      p->truth.keypad_alarm[i] = 0;
      event(p, kp_part(p), 0, (uint8_t)(0x52u + i));
    }
  for (unsigned i = 0; i < 14; i++)
    if (p->pgm_off_at[i] && now >= p->pgm_off_at[i]) {
      p->pgm_off_at[i] = 0;
      p->truth.pgm &= (uint16_t)~(1u << i);
      p->pend |= PEND_PGM;
    }
  if (p->started) {
    periodic(now, &p->t_supervision, p->cfg.supervision_s, p, PEND_SUPERV);
    periodic(now, &p->t_version, p->cfg.version_s, p, PEND_VERSION);
    periodic(now, &p->t_zones, p->cfg.zones_s, p, zone_groups(p));
    periodic(now, &p->t_timestamp, p->cfg.timestamp_s, p, PEND_TIMESTAMP);
    periodic(now, &p->t_flashing, p->cfg.flashing_s, p, PEND_FLASH);
    periodic(now, &p->t_b1, p->cfg.b1_s, p, PEND_B1);
    if (later(p)) {
      periodic(now, &p->t_keypad_status, p->cfg.keypad_status_s, p, PEND_C3);
      if (p->cfg.send_e6) periodic(now, &p->t_enabled, p->cfg.enabled_zones_s, p, PEND_ENABLED);
    }
  }
}

/* ------------------------------------------------------------ messages */

static void build_status(const kb_sim_panel_t *p, kb_sim_msg_t *m, uint8_t cmd) {
  unsigned first = cmd == KB_CMD_STATUS_HIGH ? 5 : 1, n = later(p) ? 4 : 2;
  memset(m, 0, sizeof *m);
  m->b[0] = cmd;
  for (unsigned i = 0; i < n; i++) {
    m->b[2 + 2 * i] = p->truth.part[first + i - 1].lights;
    m->b[3 + 2 * i] = p->truth.part[first + i - 1].status;
  }
  m->n = (uint8_t)(2 + 2 * n);
}

static void build_zone_group(const kb_sim_panel_t *p, kb_sim_msg_t *m, unsigned g) {
  static const uint8_t cmds[4] = {KB_CMD_ZONES_1, KB_CMD_ZONES_2, KB_CMD_ZONES_3, KB_CMD_ZONES_4};
  memset(m, 0, sizeof *m);
  if (g < 4) {
    m->b[0] = cmds[g];
    for (unsigned i = 0; i < 2; i++) {
      const kb_sim_part_truth_t *tp = &p->truth.part[i];
      bool early_off = !later(p) && !tp->enabled;
      m->b[2 + 2 * i] = early_off ? 0xFF : tp->lights;
      m->b[3 + 2 * i] = early_off ? KB_ST_ABSENT : tp->status;
    }
    m->b[6] = p->truth.zones_open[g];
    finish(m, 8, true);
  } else {
    m->b[0] = KB_CMD_EXTENDED;
    m->b[2] = (uint8_t)(0x09u + 2u * (g - 4u));
    m->b[3] = p->truth.zones_open[g];
    finish(m, 5, true);
  }
}

/* Partition part is in a keypad menu or prompt (status >= 0x9E: 0x9F, 0x9E/
 * 0xB8, 0xA0, 0xA9, 0xAA, 0xB2), not merely typing a code from the plain
 * display. */
static bool in_menu(const kb_sim_panel_t *p, unsigned part) {
  return part_on(p, part) && p->part[part - 1].menu >= KB_SIM_MENU_PROMPT &&
         p->truth.part[part - 1].status >= KB_ST_MENU_FIRST;
}

/* 0x0A / 0x0F (notes §3.10): partition 1 / 2 lights and status as the 0x05
 * shows them, the zone lights of zones 1-32 as the menu shows them (the
 * bypassed zones in *1, else the open ones) of that partition, byte 8 =
 * 0x00 (no *5 access-code lights), checksum. */
static void build_programming(const kb_sim_panel_t *p, kb_sim_msg_t *m, unsigned part) {
  bool byp = p->part[part - 1].menu == KB_SIM_MENU_BYPASS;
  memset(m, 0, sizeof *m);
  m->b[0] = part == 2 ? KB_CMD_PROG_STATUS_2 : KB_CMD_PROG_STATUS;
  m->b[2] = p->truth.part[part - 1].lights;
  m->b[3] = p->truth.part[part - 1].status;
  for (unsigned z = 1; z <= 32; z++)
    if (zone_part(p, z) == part && bit_get(byp ? p->truth.zones_bypass : p->truth.zones_open, z))
      m->b[4 + (z - 1u) / 8u] |= (uint8_t)(1u << ((z - 1u) % 8u));
  m->b[8] = 0x00;
  finish(m, 10, true);
}

/* 0x5D / 0x63 (notes §3.19): flashing lights of partition 1 / 2, no zones
 * flashing (no *3 alarm-memory display in the model). */
static void build_flashing(const kb_sim_panel_t *p, kb_sim_msg_t *m, unsigned part) {
  memset(m, 0, sizeof *m);
  m->b[0] = part == 2 ? 0x63 : 0x5D;
  m->b[2] = p->part[part - 1].flashing;
  finish(m, 8, true);
}

static bool take_pending(kb_sim_panel_t *p, kb_sim_msg_t *m) {
  uint32_t pd = p->pend;
  memset(m, 0, sizeof *m);
  if (p->xq_pend) { /* an expander asked to be queried (notes §3.14): first */
    static const uint8_t q[4] = {KB_CMD_EXPANDER_0, KB_CMD_EXPANDER_1, KB_CMD_EXPANDER_2,
                                 KB_CMD_EXPANDER_3};
    unsigned e = 0;
    while (!((p->xq_pend >> e) & 1u)) e++;
    p->xq_pend &= (uint8_t)~(1u << e);
    p->truth.xpd_queries++;
    if (e < 4u) {
      m->b[0] = q[e];
      memset(&m->b[2], 0xFF, 5);
      m->n = 7;
    } else {
      m->b[0] = KB_CMD_EXTENDED;
      m->b[2] = (uint8_t)(KB_E6_EXPANDER_4 + 2u * (e - 4u));
      memset(&m->b[3], 0xFF, 6);
      m->n = 9;
    }
    return true;
  }
  for (unsigned g = 0; g < 8; g++)
    if (pd & PEND_ZG(g)) {
      p->pend &= ~PEND_ZG(g);
      if (g >= 4 && !(later(p) && p->cfg.send_e6)) continue;
      build_zone_group(p, m, g);
      return true;
    }
  if (pd & PEND_PGM) {
    p->pend &= ~PEND_PGM;
    m->b[0] = 0x87;
    m->b[2] = (uint8_t)(p->truth.pgm >> 2);
    m->b[3] = (uint8_t)((p->truth.pgm & 0x03u) | ((p->truth.pgm >> 6) & 0xF0u));
    finish(m, 5, true);
    return true;
  }
  if (p->q_len) {
    *m = p->q[p->q_head];
    p->q_head = (uint8_t)((p->q_head + 1u) % KB_SIM_QUEUE);
    p->q_len--;
    return true;
  }
  if (pd & PEND_BELL) {
    p->pend &= ~PEND_BELL;
    m->b[0] = 0xBB;
    m->b[2] = any_alarm(p) ? 0x20 : 0x00;
    finish(m, 5, true);
    return true;
  }
  if (pd & PEND_E61A) {
    uint8_t mask = 0;
    bool fire = false;
    p->pend &= ~PEND_E61A;
    if (!later(p)) return take_pending(p, m);
    for (unsigned i = 0; i < KB_SIM_PARTITIONS; i++) {
      if (p->part[i].alarm) mask |= (uint8_t)(1u << i);
      if (p->part[i].fire) fire = true;
    }
    m->b[0] = KB_CMD_EXTENDED;
    m->b[2] = 0x1A;
    m->b[4] = mask;
    m->b[6] = (uint8_t)((p->truth.ac_ok ? 0 : 0x10) | (fire ? 0x80 : 0));
    finish(m, 11, true);
    return true;
  }
  if (pd & PEND_TIMESTAMP) {
    p->pend &= ~PEND_TIMESTAMP;
    build_a5(p, m, 0, 0, 0x00, 0x00);
    return true;
  }
  if (pd & PEND_VERSION) {
    p->pend &= ~PEND_VERSION;
    m->b[0] = KB_CMD_CONFIG;
    m->b[2] = 0x0E;
    m->b[3] = p->cfg.version;
    m->b[4] = (uint8_t)(0xF1u | (p->cfg.code_digits == 6 ? 0x08u : 0u));
    finish(m, 6, true);
    return true;
  }
  if (pd & PEND_FLASH) { /* 0x5D partition 1, then 0x63 (partition 2 in use), 0xE6.18 */
    p->pend &= ~PEND_FLASH;
    build_flashing(p, m, 1);
    if (part_on(p, 2)) p->pend |= PEND_FLASH63;
    if (later(p) && p->cfg.send_e6) p->pend |= PEND_E618;
    return true;
  }
  if (pd & PEND_FLASH63) {
    p->pend &= ~PEND_FLASH63;
    build_flashing(p, m, 2);
    return true;
  }
  if (pd & PEND_E618) { /* flashing zones 33-64, partition 1 (as captured) */
    p->pend &= ~PEND_E618;
    m->b[0] = KB_CMD_EXTENDED;
    m->b[2] = 0x18;
    m->b[3] = 0x01;
    m->b[4] = p->part[0].flashing;
    finish(m, 10, true);
    return true;
  }
  if (pd & PEND_C3) { /* keypad/dialer status: no lockout, no TLM trouble */
    p->pend &= ~PEND_C3;
    m->b[0] = 0xC3;
    m->b[2] = 0x00;
    m->b[3] = 0xFF;
    finish(m, 5, true);
    return true;
  }
  if (pd & PEND_ENABLED) { /* 0xE6.2B then 0xE6.2C for each partition in use */
    while (p->en_step < 2u * KB_SIM_PARTITIONS && !part_on(p, p->en_step / 2u + 1u)) p->en_step++;
    if (p->en_step >= 2u * KB_SIM_PARTITIONS) {
      p->en_step = 0;
      p->pend &= ~PEND_ENABLED;
    } else {
      unsigned part = p->en_step / 2u + 1u, hi = p->en_step & 1u;
      m->b[0] = KB_CMD_EXTENDED;
      m->b[2] = hi ? 0x2C : 0x2B;
      m->b[3] = (uint8_t)(1u << (part - 1u));
      for (unsigned z = 1; z <= 32; z++)
        if (zone_part(p, z + 32u * hi) == part)
          m->b[4 + (z - 1u) / 8u] |= (uint8_t)(1u << ((z - 1u) % 8u));
      finish(m, 9, true);
      if (++p->en_step >= 2u * KB_SIM_PARTITIONS) {
        p->en_step = 0;
        p->pend &= ~PEND_ENABLED;
      }
      return true;
    }
  }
  if (pd & PEND_B1) { /* enabled zones 1-32 of partitions 1 and 2 */
    p->pend &= ~PEND_B1;
    m->b[0] = 0xB1;
    for (unsigned z = 1; z <= 32; z++) {
      unsigned part = zone_part(p, z);
      if (part == 1 || part == 2)
        m->b[(part == 1 ? 2u : 6u) + (z - 1u) / 8u] |= (uint8_t)(1u << ((z - 1u) % 8u));
    }
    finish(m, 11, true);
    return true;
  }
  if (pd & PEND_4C) { /* module tamper query (no module of ours is tampered) */
    unsigned n = later(p) ? 15 : 13;
    p->pend &= ~PEND_4C;
    m->b[0] = 0x4C;
    for (unsigned i = 2; i < n; i++) m->b[i] = 0xAA;
    m->n = (uint8_t)n;
    return true;
  }
  if (pd & PEND_SUPERV) {
    unsigned n = later(p) ? 9 : 7;
    p->pend &= ~PEND_SUPERV;
    m->b[0] = KB_CMD_QUERY;
    for (unsigned i = 2; i < n; i++) m->b[i] = 0xAA;
    m->n = (uint8_t)n;
    return true;
  }
  return false;
}

/* ------------------------------------------------------------ API */

void kb_sim_cfg_default(kb_sim_cfg_t *c, int later_gen) {
  static const uint8_t types[6] = {KB_SIM_ZONE_DELAY, KB_SIM_ZONE_INSTANT, KB_SIM_ZONE_INTERIOR,
                                   KB_SIM_ZONE_FIRE,  KB_SIM_ZONE_24H,     KB_SIM_ZONE_INSTANT};
  memset(c, 0, sizeof *c);
  c->later_gen = later_gen ? 1 : 0;
  c->partitions = 0x01;
  for (unsigned z = 0; z < 6; z++) {
    c->zone[z].partition = 1;
    c->zone[z].type = types[z];
  }
  c->code_digits = 4;
  memcpy(c->code[1], "1234", 5);
  memcpy(c->code[KB_SIM_MASTER], "5555", 5);
  c->exit_delay_s = 10;
  c->entry_delay_s = 10;
  c->version = later_gen ? 0x41 : 0x23;
  c->start.year = 2024;
  c->start.month = 1;
  c->start.day = 15;
  c->start.hour = 12;
  c->start.minute = 0;
  for (unsigned i = 0; i < KB_SIM_CMD_OUTPUTS; i++) c->cmd_output_pgm[i] = (uint8_t)(i + 1);
  c->cmd_output_pulse_s = 5;
  c->send_1b = 1;
  c->send_e6 = 1;
  c->send_beeps = 1;
  c->flash_ms = 1000;
  c->key_timeout_s = 30;
  c->supervision_s = 30;
  c->version_s = 240;
  c->zones_s = 240;
  c->timestamp_s = 60;
  c->flashing_s = 30;
  c->keypad_status_s = 30;
  c->enabled_zones_s = 0; /* 60 as real panels; see docs/simulator-panel.md */
  c->b1_s = 240;
  c->panic_audible = 0;
  c->status_zones = 0; /* 1 = as real panels; see docs/simulator-panel.md */
  c->gap_us = 5000;
  c->gap_jitter_us = 400;
  c->seed = 1;
}

void kb_sim_panel_init(kb_sim_panel_t *p, const kb_sim_cfg_t *c, uint64_t now_us) {
  memset(p, 0, sizeof *p);
  p->cfg = *c;
  if (p->cfg.code_digits != 6) p->cfg.code_digits = 4;
  if (p->cfg.trailing_bits > 7) p->cfg.trailing_bits = 7;
  if (!later(p)) {
    p->cfg.partitions &= 0x03;
    p->cfg.send_1b = 0;
    p->cfg.send_e6 = 0;
  }
  p->now = p->t0 = now_us;
  p->truth.time = p->cfg.start;
  if (p->truth.time.month < 1 || p->truth.time.month > 12) p->truth.time.month = 1;
  if (p->truth.time.day < 1) p->truth.time.day = 1;
  p->truth.ac_ok = 1;
  p->truth.battery_ok = 1;
  p->truth.version = p->cfg.version;
  p->rng = p->cfg.seed ? p->cfg.seed : 1;
  p->t_supervision = now_us + (uint64_t)p->cfg.supervision_s * US;
  p->t_version = now_us + (uint64_t)p->cfg.version_s * US;
  p->t_zones = now_us + (uint64_t)p->cfg.zones_s * US;
  p->t_timestamp = now_us + (uint64_t)p->cfg.timestamp_s * US;
  p->t_flashing = now_us + (uint64_t)p->cfg.flashing_s * US;
  p->t_keypad_status = now_us + (uint64_t)p->cfg.keypad_status_s * US;
  p->t_enabled = now_us + (uint64_t)p->cfg.enabled_zones_s * US;
  p->t_b1 = now_us + (uint64_t)p->cfg.b1_s * US;
  refresh(p);
}

void kb_sim_panel_advance(kb_sim_panel_t *p, uint64_t now_us) {
  advance(p, now_us);
  refresh(p);
}

void kb_sim_panel_next(kb_sim_panel_t *p, uint64_t now_us, uint8_t *bytes, uint16_t *bits,
                       uint32_t *gap_us) {
  kb_sim_msg_t *m = &p->last;
  uint32_t gap = p->cfg.gap_us, j = p->cfg.gap_jitter_us;
  advance(p, now_us);
  refresh(p);
  if (!p->started) {
    p->started = 1;
    memset(m, 0, sizeof *m);
    m->b[0] = KB_CMD_CONFIG;
    m->b[2] = 0x0E;
    m->b[3] = p->cfg.version;
    m->b[4] = (uint8_t)(0xF1u | (p->cfg.code_digits == 6 ? 0x08u : 0u));
    finish(m, 6, true);
    /* the flashing lights, 0xC3, 0xE6.2B/2C and 0xB1 first come after their
     * period, so that the start-up burst stays short */
    p->pend |= PEND_TIMESTAMP | PEND_SUPERV | zone_groups(p) | PEND_4C;
    tone(p, 1, 0x00); /* captured at start-up: 0x16, 0xA5, 0x75 00 (Dilbert66 #120) */
  } else if (p->alarm_key) {
    p->verify_key = p->alarm_key;
    p->alarm_key = 0;
    memset(m, 0, sizeof *m);
    m->b[0] = KB_CMD_VERIFY;
    m->n = 2;
  } else {
    /* the round: 0x05, 0x1B (later panels), 0x0A while partition 1 is in a
     * menu, 0x0F while partition 2 is, then at most one one-shot message */
    for (;;) {
      if (p->round == 0) {
        build_status(p, m, KB_CMD_STATUS);
        p->round = p->cfg.send_1b ? 1 : 2;
        break;
      }
      if (p->round == 1) {
        build_status(p, m, KB_CMD_STATUS_HIGH);
        p->round = 2;
        break;
      }
      if (p->round == 2) {
        p->round = 3;
        if (in_menu(p, 1)) {
          build_programming(p, m, 1);
          break;
        }
      }
      if (p->round == 3) {
        p->round = 4;
        if (in_menu(p, 2)) {
          build_programming(p, m, 2);
          break;
        }
      }
      p->round = 0;
      if (take_pending(p, m)) break;
    }
  }
  p->truth.messages++;
  memset(bytes, 0, KB_SIM_FRAME);
  memcpy(bytes, m->b, m->n);
  *bits = (uint16_t)(8u * m->n - 7u + p->cfg.trailing_bits);
  if (j) gap = gap - j + rnd(p) % (2u * j + 1u);
  if (gap < 1100) gap = 1100;
  *gap_us = gap;
}

static void zone_set(kb_sim_panel_t *p, unsigned zone, bool open);
static void zone_tamper_set(kb_sim_panel_t *p, unsigned zone, bool tamper);

/* Zone expanders (cfg.expanders): notification bits in the status
 * commands' module byte 4 (expanders 0-3, b7..b4) and 7 (4-7), notes §4.4,
 * queue a query; a reply (notes §4.7) sets the states of the zones that
 * changed, as if wired: open (fields 00 and 11), closed (01, and a tamper
 * restored), tamper (10). n = module bytes clocked. */
static void expander_module(kb_sim_panel_t *p, uint8_t cmd, const uint8_t *module, unsigned n) {
  uint8_t sub = p->last.b[2], mb[KB_SIM_FRAME];
  kb_mod_reply_t r;
  for (unsigned i = 0; i < KB_SIM_FRAME; i++)
    mb[i] = i < n && i < p->last.n ? module[i] : 0xFFu;
  if (cmd == KB_CMD_STATUS || cmd == KB_CMD_PROG_STATUS || cmd == 0x0F || cmd == 0x27 ||
      cmd == 0x2D || cmd == 0x3E) {
    uint8_t want = (uint8_t)((~mb[4] >> 4) & 0x0Fu); /* b7 = expander 0 */
    if (p->last.n > 7u) want |= (uint8_t)(((~mb[7] >> 4) & 0x0Fu) << 4);
    for (unsigned e = 0; e < 8u; e++) {
      unsigned bit = e < 4u ? 3u - e : 4u + 3u - (e - 4u);
      if (((want >> bit) & 1u) && ((p->cfg.expanders >> e) & 1u) && (e < 4u || later(p)))
        p->xq_pend |= (uint8_t)(1u << e);
    }
    return;
  }
  if (kb_module_kind(cmd, sub) != KB_MOD_EXPANDER) return;
  kb_module_reply_decode(cmd, sub, mb, p->last.n, &r);
  if (!((p->cfg.expanders >> r.u.exp.expander) & 1u)) return;
  if (r.truncated || r.csum != KB_MOD_CSUM_OK) {
    p->truth.xpd_bad++;
    return;
  }
  p->truth.xpd_replies++;
  for (unsigned i = 0; i < r.u.exp.nchanged; i++) {
    unsigned z = r.u.exp.changed[i].zone;
    uint8_t st = r.u.exp.changed[i].state;
    if (z < 1u || z > max_zones(p)) continue;
    if (st == KB_MOD_ZONE_TAMPER) {
      zone_tamper_set(p, z, true);
      continue;
    }
    zone_tamper_set(p, z, false);
    zone_set(p, z, st != KB_MOD_ZONE_CLOSED);
  }
}

void kb_sim_panel_module(kb_sim_panel_t *p, uint64_t now_us, const uint8_t *module,
                         uint16_t bits) {
  unsigned n = bits >= 9 ? (bits - 1u) / 8u + 1u : bits >= 8 ? 1u : 0u;
  uint8_t cmd = p->last.b[0], b0;
#define MB(i) ((unsigned)(i) < n && (unsigned)(i) < p->last.n ? module[i] : KB_KEY_NONE)
  advance(p, now_us);
  b0 = (uint8_t)MB(0);
  if (cmd == KB_CMD_VERIFY) {
    if (p->verify_key && b0 == p->verify_key) keypad_alarm(p, b0);
    p->verify_key = 0;
  } else if (b0 == KB_KEY_ALARM_FIRE || b0 == KB_KEY_ALARM_AUX || b0 == KB_KEY_ALARM_PANIC) {
    p->alarm_key = b0;
  }
  /* key slots (notes §4.3): 0x05 and 0x0A carry partitions 1-4, 0x1B 5-8;
   * a keypad types into whichever comes first */
  if (cmd == KB_CMD_STATUS || cmd == KB_CMD_PROG_STATUS || cmd == KB_CMD_STATUS_HIGH) {
    static const uint8_t slot[4] = {2, 3, 8, 9};
    unsigned base = cmd == KB_CMD_STATUS_HIGH ? 5 : 1;
    for (unsigned i = 0; i < 4; i++) {
      uint8_t k = (uint8_t)MB(slot[i]);
      if (k != KB_KEY_NONE && part_on(p, base + i)) key(p, base + i, k);
    }
  }
  if (cmd == KB_CMD_QUERY) { /* who answered the supervision query */
    kb_mod_reply_t r;
    uint8_t mb[KB_SIM_FRAME];
    for (unsigned i = 0; i < KB_SIM_FRAME; i++) mb[i] = (uint8_t)MB(i);
    kb_module_reply_decode(cmd, 0, mb, p->last.n, &r);
    p->truth.supervisions++;
    p->truth.sup_keypads = r.truncated ? 0 : r.u.sup.keypads;
    p->truth.sup_expanders = r.truncated ? 0 : r.u.sup.expanders;
  }
  if (p->cfg.expanders) expander_module(p, cmd, module, n);
#undef MB
  refresh(p);
}

static void zone_set(kb_sim_panel_t *p, unsigned zone, bool open) {
  unsigned part = zone_part(p, zone);
  if (part && bit_get(p->truth.zones_open, zone) != open) {
    bit_set(p->truth.zones_open, zone, open);
    p->pend |= PEND_ZG((zone - 1u) / 8u);
    if (open) {
      zone_violated(p, zone);
    } else if (bit_get(p->truth.zones_alarm, zone)) {
      bit_set(p->truth.zones_alarm, zone, false);
      zone_event(p, part, zone, false);
    }
  }
}

void kb_sim_panel_zone(kb_sim_panel_t *p, unsigned zone, bool open, uint64_t now_us) {
  advance(p, now_us);
  if (zone >= 1u && zone <= KB_SIM_ZONES) zone_set(p, zone, open);
  refresh(p);
}

void kb_sim_panel_ac(kb_sim_panel_t *p, bool ok, uint64_t now_us) {
  advance(p, now_us);
  if ((p->truth.ac_ok != 0) != ok) {
    p->truth.ac_ok = ok;
    event(p, 0, 0, ok ? 0xF0 : 0xE8);
    if (later(p) && p->cfg.send_e6) p->pend |= PEND_E61A;
  }
  refresh(p);
}

void kb_sim_panel_battery(kb_sim_panel_t *p, bool ok, uint64_t now_us) {
  advance(p, now_us);
  if ((p->truth.battery_ok != 0) != ok) {
    p->truth.battery_ok = ok;
    event(p, 0, 0, ok ? 0xEF : 0xE7);
  }
  refresh(p);
}

const kb_sim_truth_t *kb_sim_panel_truth(const kb_sim_panel_t *p) { return &p->truth; }

static void zone_tamper_set(kb_sim_panel_t *p, unsigned zone, bool tamper) {
  unsigned part = zone_part(p, zone);
  if (part && bit_get(p->truth.zones_tamper, zone) != tamper) {
    bit_set(p->truth.zones_tamper, zone, tamper);
    act(p, KB_SIM_ACT_TAMPER, part, 0, tamper, 0, zone);
    if (zone <= 32)
      event(p, part, 0, (uint8_t)((tamper ? 0x55u : 0x75u) + zone));
    else if (later(p))
      event(p, part, 4, (uint8_t)((tamper ? 0x40u : 0x60u) + zone - 33u));
  }
}

void kb_sim_panel_zone_tamper(kb_sim_panel_t *p, unsigned zone, bool tamper, uint64_t now_us) {
  advance(p, now_us);
  if (zone >= 1u && zone <= KB_SIM_ZONES) zone_tamper_set(p, zone, tamper);
  refresh(p);
}

void kb_sim_panel_on_act(kb_sim_panel_t *p, kb_sim_act_cb cb, void *ctx) {
  p->act_cb = cb;
  p->act_ctx = ctx;
}
