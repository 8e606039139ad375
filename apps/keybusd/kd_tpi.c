/* SPDX-License-Identifier: MIT
 * kd_tpi.c - see kd_tpi.h; the mapping is explained in docs/tpi.md. */
#include "kd_tpi.h"

#include <stdio.h>
#include <string.h>

/* -------------------------------------------------------------- helpers */

static void wipe(void *p, size_t n) {
  volatile unsigned char *v = p;
  while (n--) *v++ = 0;
}

/* compares without stopping at the first difference */
static bool ct_equal(const char *a, size_t la, const char *b, size_t lb) {
  size_t n = la > lb ? la : lb;
  unsigned char diff = (unsigned char)(la != lb);
  for (size_t i = 0; i < n; i++) {
    unsigned char x = i < la ? (unsigned char)a[i] : 0, y = i < lb ? (unsigned char)b[i] : 0;
    diff |= (unsigned char)(x ^ y);
  }
  return diff == 0;
}

static bool all_digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

static bool zbit(const uint8_t *b, unsigned z) { return (b[(z - 1) / 8] >> ((z - 1) % 8)) & 1u; }

void kd_tpi_checksum(const char *s, size_t n, char out[3]) {
  static const char hex[] = "0123456789ABCDEF";
  unsigned sum = 0;
  for (size_t i = 0; i < n; i++) sum += (unsigned char)s[i];
  out[0] = hex[(sum >> 4) & 15u];
  out[1] = hex[sum & 15u];
  out[2] = 0;
}

static bool slot_ok(const kd_tpi_t *t, int slot) {
  return t && slot >= 0 && slot < KD_TPI_CLIENTS && t->client[slot].used;
}

/* One line to one client: code, data, checksum, CR LF, all or nothing. A
 * client that lets its output fill up is dropped (KD_TPI_NOTE_OVERFLOW):
 * nothing waits for it. */
static void send_line(kd_tpi_t *t, kd_tpi_client_t *c, unsigned code, const char *data) {
  char buf[300], cs[3];
  size_t n = 0, dl = data ? strlen(data) : 0;
  if (!c->used || c->overflow || dl > 256) return;
  if (c->timestamps && c->authed && t->have_local) {
    snprintf(buf, sizeof buf, "%02d:%02d:%02d ", t->local.tm_hour % 100, t->local.tm_min % 100, t->local.tm_sec % 100);
    n = 9;
  }
  buf[n++] = (char)('0' + code / 100 % 10);
  buf[n++] = (char)('0' + code / 10 % 10);
  buf[n++] = (char)('0' + code % 10);
  if (dl) memcpy(buf + n, data, dl);
  n += dl;
  kd_tpi_checksum(buf + n - dl - 3, dl + 3, cs);
  buf[n++] = cs[0];
  buf[n++] = cs[1];
  buf[n++] = '\r';
  buf[n++] = '\n';
  if (c->out_len + n > sizeof c->out) {
    c->overflow = true;
    c->notes |= KD_TPI_NOTE_OVERFLOW;
    return;
  }
  memcpy(c->out + c->out_len, buf, n);
  c->out_len += n;
}

/* to every logged-in client */
static void broadcast(kd_tpi_t *t, unsigned code, const char *data) {
  for (int i = 0; i < KD_TPI_CLIENTS; i++)
    if (t->client[i].used && t->client[i].authed && !t->client[i].closing) send_line(t, &t->client[i], code, data);
}

static void send_err(kd_tpi_t *t, kd_tpi_client_t *c, unsigned cmd, unsigned err) {
  char d[8];
  snprintf(d, sizeof d, "%03u", err % 1000u);
  send_line(t, c, 502, d);
  c->notes |= KD_TPI_NOTE_BAD_LINE;
  c->last_cmd = (uint16_t)cmd;
  c->last_err = (uint16_t)err;
}

static void send_ack(kd_tpi_t *t, kd_tpi_client_t *c, unsigned cmd) {
  char d[8];
  snprintf(d, sizeof d, "%03u", cmd % 1000u);
  send_line(t, c, 500, d);
  c->last_cmd = (uint16_t)cmd;
  c->last_err = 0;
}

/* ------------------------------------------------------------- set up */

bool kd_tpi_init(kd_tpi_t *t, const kd_tpi_cfg_t *cfg) {
  size_t pl, cl;
  memset(t, 0, sizeof *t);
  if (!cfg || !cfg->password) return false;
  pl = strlen(cfg->password);
  cl = cfg->arm_code ? strlen(cfg->arm_code) : 0;
  if (pl < 1 || pl > KD_TPI_PASSWORD_MAX) return false;
  if (cl && ((cl != 4 && cl != 6) || !all_digits(cfg->arm_code, cl))) return false;
  t->cfg = *cfg;
  memcpy(t->password, cfg->password, pl + 1);
  if (cl) memcpy(t->arm_code, cfg->arm_code, cl + 1);
  t->cfg.password = NULL; /* the copies only */
  t->cfg.arm_code = NULL;
  if (t->cfg.max_clients < 1 || t->cfg.max_clients > KD_TPI_CLIENTS) t->cfg.max_clients = KD_TPI_CLIENTS;
  if (t->cfg.code_length != 6) t->cfg.code_length = 4;
  if (!t->cfg.partitions) t->cfg.partitions = 1;
  t->ac_power = t->battery_ok = 1;
  t->next_id = 1;
  return true;
}

void kd_tpi_wipe(kd_tpi_t *t) {
  if (!t) return;
  wipe(t->password, sizeof t->password);
  wipe(t->arm_code, sizeof t->arm_code);
  for (int i = 0; i < KD_TPI_CLIENTS; i++) {
    wipe(t->client[i].line, sizeof t->client[i].line);
    kb_ha_cmd_wipe(&t->client[i].waiting);
  }
  for (unsigned i = 0; i < KD_TPI_REQS; i++) kb_ha_cmd_wipe(&t->req[i].cmd);
}

/* ---------------------------------------------------------- sessions */

int kd_tpi_connect(kd_tpi_t *t, const char *addr, uint64_t now_ms) {
  int used = 0, slot = -1;
  for (int i = 0; i < KD_TPI_CLIENTS; i++) {
    if (t->client[i].used) used++;
    else if (slot < 0) slot = i;
  }
  if (slot < 0 || used >= t->cfg.max_clients) return -1;
  kd_tpi_client_t *c = &t->client[slot];
  memset(c, 0, sizeof *c);
  c->used = true;
  c->since_ms = now_ms;
  snprintf(c->addr, sizeof c->addr, "%s", addr ? addr : "");
  send_line(t, c, 505, "3"); /* nothing may come before it (pyenvisalink 5.x checks the first line) */
  return slot;
}

void kd_tpi_disconnect(kd_tpi_t *t, int slot) {
  if (!slot_ok(t, slot)) return;
  wipe(&t->client[slot], sizeof t->client[slot]);
}

size_t kd_tpi_out(const kd_tpi_t *t, int slot, const char **p) {
  if (!slot_ok(t, slot)) {
    if (p) *p = NULL;
    return 0;
  }
  if (p) *p = t->client[slot].out;
  return t->client[slot].out_len;
}

void kd_tpi_sent(kd_tpi_t *t, int slot, size_t n) {
  kd_tpi_client_t *c;
  if (!slot_ok(t, slot)) return;
  c = &t->client[slot];
  if (n >= c->out_len) {
    c->out_len = 0;
    return;
  }
  memmove(c->out, c->out + n, c->out_len - n);
  c->out_len -= n;
}

bool kd_tpi_closing(const kd_tpi_t *t, int slot) {
  return slot_ok(t, slot) && (t->client[slot].closing || t->client[slot].overflow);
}

unsigned kd_tpi_note(kd_tpi_t *t, int slot) {
  unsigned n;
  if (!slot_ok(t, slot)) return 0;
  n = t->client[slot].notes;
  t->client[slot].notes = 0;
  return n;
}

/* ----------------------------------------------------- login limiter */

static kd_tpi_rate_t *rate_find(kd_tpi_t *t, const char *addr, bool make, uint64_t now) {
  kd_tpi_rate_t *oldest = NULL;
  for (int i = 0; i < KD_TPI_RATE_SLOTS; i++) {
    kd_tpi_rate_t *r = &t->rate[i];
    if (r->addr[0] && !strcmp(r->addr, addr)) return r;
  }
  if (!make) return NULL;
  for (int i = 0; i < KD_TPI_RATE_SLOTS; i++) {
    kd_tpi_rate_t *r = &t->rate[i];
    if (!r->addr[0]) {
      oldest = r;
      break;
    }
    /* a slot not blocked now, idle the longest, is taken over */
    if (r->blocked_until_ms <= now && (!oldest || r->first_ms < oldest->first_ms)) oldest = r;
  }
  if (!oldest) return NULL;
  memset(oldest, 0, sizeof *oldest);
  snprintf(oldest->addr, sizeof oldest->addr, "%s", addr);
  oldest->first_ms = now;
  return oldest;
}

static bool login_blocked(kd_tpi_t *t, const char *addr, uint64_t now) {
  kd_tpi_rate_t *r = rate_find(t, addr, false, now);
  if (now < t->global_blocked_until_ms) return true;
  return r && now < r->blocked_until_ms;
}

static void login_failed(kd_tpi_t *t, const char *addr, uint64_t now) {
  kd_tpi_rate_t *r = rate_find(t, addr, true, now);
  if (r) {
    if (now - r->first_ms > KD_TPI_RATE_WINDOW_MS) {
      r->fails = 0;
      r->first_ms = now;
    }
    if (++r->fails >= KD_TPI_RATE_FAILS) {
      uint64_t block = (uint64_t)KD_TPI_RATE_BLOCK_MS << (r->blocks < 4 ? r->blocks : 4);
      if (block > 15u * 60000u) block = 15u * 60000u;
      r->blocked_until_ms = now + block;
      r->blocks++;
      r->fails = 0;
      r->first_ms = now;
    }
  }
  if (now - t->global_first_ms > KD_TPI_RATE_WINDOW_MS) {
    t->global_fails = 0;
    t->global_first_ms = now;
  }
  if (++t->global_fails >= KD_TPI_GLOBAL_FAILS) {
    t->global_blocked_until_ms = now + KD_TPI_RATE_BLOCK_MS;
    t->global_fails = 0;
    t->global_first_ms = now;
  }
}

/* ---------------------------------------------------------- messages */

static uint8_t zone_part(const kd_tpi_t *t, unsigned z) {
  uint8_t p = z >= 1 && z <= KB_MAX_ZONES ? t->cfg.zone_partition[z - 1] : 0;
  return p >= 1 && p <= 8 ? p : 1;
}

uint16_t kd_tpi_zone_timer(const kd_tpi_t *t, unsigned z, uint64_t now_ms) {
  uint64_t ticks;
  if (z < 1 || z > KB_MAX_ZONES) return 0;
  if (zbit(t->zones_open, z)) return 0xFFFFu;
  if (!zbit(t->zones_seen, z)) return 0;
  ticks = now_ms >= t->zone_closed_ms[z - 1] ? (now_ms - t->zone_closed_ms[z - 1]) / 5000u : 0;
  return ticks >= 0xFFF9u ? 0 : (uint16_t)(0xFFF9u - ticks);
}

/* The zones the panel reports: 1..zones_max (a Classic: 8). */
static unsigned zones_max(const kd_tpi_t *t) {
  return t->zones_max && t->zones_max < KB_MAX_ZONES ? t->zones_max : KB_MAX_ZONES;
}

/* Partition p is reported: configured, and not 2-8 on a single-partition
 * panel. */
static bool part_reported(const kd_tpi_t *t, unsigned p) {
  return (t->cfg.partitions & (1u << (p - 1))) && !(p > 1 && (t->absent & KB_ABSENT_PARTITIONS));
}

/* 615: 64 little-endian timers (docs/tpi.md "Zone timers") */
static void send_timers(kd_tpi_t *t, kd_tpi_client_t *c) {
  static const char hex[] = "0123456789ABCDEF";
  char d[257];
  for (unsigned z = 1; z <= 64; z++) {
    uint16_t v = z <= KB_MAX_ZONES ? kd_tpi_zone_timer(t, z, t->now_ms) : 0;
    char *o = d + (z - 1) * 4;
    o[0] = hex[(v >> 4) & 15u];
    o[1] = hex[v & 15u];
    o[2] = hex[(v >> 12) & 15u];
    o[3] = hex[(v >> 8) & 15u];
  }
  d[256] = 0;
  send_line(t, c, 615, d);
}

/* 616 from the zones the panel reports bypassed (docs/tpi.md) */
static void send_bypass(kd_tpi_t *t, kd_tpi_client_t *c) {
  char d[17];
  for (unsigned i = 0; i < 8; i++) snprintf(d + 2 * i, 3, "%02X", i < KB_ZONE_BYTES ? t->zones_bypass[i] : 0u);
  send_line(t, c, 616, d);
}

static void part_msg(char *d, size_t size, unsigned p, uint16_t code, uint8_t mode) {
  if (code == 652) snprintf(d, size, "%u%u", p, (unsigned)mode % 10u);
  else snprintf(d, size, "%u", p);
}

static uint8_t trouble_bits(const kd_tpi_t *t) {
  uint8_t b = 0;
  bool tamper = false;
  for (unsigned i = 0; i < KB_ZONE_BYTES; i++) tamper |= t->zones_tamper[i] != 0;
  for (unsigned i = 0; i < KB_ZONE_BYTES; i++) {
    if (t->zones_fault[i]) b |= 0x10u;
    if (t->zones_lowbat[i]) b |= 0x40u;
  }
  /* a panel that cannot report AC or battery (Classic) has no such trouble */
  if ((!t->battery_ok && !(t->absent & KB_ABSENT_BATTERY)) || t->bell_trouble) b |= 0x01u; /* service required */
  if (!t->ac_power && !(t->absent & KB_ABSENT_AC_POWER)) b |= 0x02u;
  if (t->panel_flags & KB_PANEL_PHONE) b |= 0x04u;
  if (t->panel_flags & KB_PANEL_COMM) b |= 0x08u;
  if (tamper) b |= 0x20u;
  if (t->panel_flags & KB_PANEL_TIME_LOST) b |= 0x80u;
  return b;
}

/* 001's burst: everything a client needs to start from (docs/tpi.md) */
static void send_status(kd_tpi_t *t, kd_tpi_client_t *c) {
  char d[8];
  const unsigned zmax = t->zones_max ? zones_max(t) : 64u; /* a Classic: zones 1-8 only */
  for (unsigned z = 1; z <= zmax; z++) {
    snprintf(d, sizeof d, "%03u", z);
    send_line(t, c, z <= KB_MAX_ZONES && zbit(t->zones_open, z) ? 609 : 610, d);
  }
  for (unsigned z = 1; z <= zones_max(t); z++) {
    if (zbit(t->zones_alarm, z)) {
      snprintf(d, sizeof d, "%u%03u", zone_part(t, z), z);
      send_line(t, c, 601, d);
    }
    if (zbit(t->zones_tamper, z)) {
      snprintf(d, sizeof d, "%u%03u", zone_part(t, z), z);
      send_line(t, c, 603, d);
    }
  }
  for (unsigned p = 1; p <= KB_MAX_PARTITIONS; p++) {
    const kd_tpi_part_t *pp = &t->part[p - 1];
    if (!part_reported(t, p) || !pp->code) continue;
    part_msg(d, sizeof d, p, pp->code, pp->mode);
    send_line(t, c, pp->code, d);
    snprintf(d, sizeof d, "%u", p);
    send_line(t, c, pp->trouble_on ? 840 : 841, d);
  }
  if (t->part[0].lights_known) {
    snprintf(d, sizeof d, "%02X", t->part[0].lights);
    send_line(t, c, 510, d);
    snprintf(d, sizeof d, "%02X", t->part[0].flash);
    send_line(t, c, 511, d);
  }
  if (t->synced) {
    if (!(t->absent & KB_ABSENT_AC_POWER)) send_line(t, c, t->ac_power ? 803 : 802, NULL);
    if (!(t->absent & KB_ABSENT_BATTERY)) send_line(t, c, t->battery_ok ? 801 : 800, NULL);
    if (t->trouble849) {
      snprintf(d, sizeof d, "%02X", t->trouble849);
      send_line(t, c, 849, d);
    }
  }
}

/* ---------------------------------------------------------- commands */

static bool queue_cmd(kd_tpi_t *t, int slot, kb_ha_cmd_t *cmd) {
  kd_tpi_req_t *r;
  if (t->req_len == KD_TPI_REQS) {
    kb_ha_cmd_wipe(cmd);
    return false;
  }
  r = &t->req[(t->req_head + t->req_len++) % KD_TPI_REQS];
  r->client = (uint8_t)slot;
  r->cmd = *cmd;
  r->cmd.id_kind = 1;
  snprintf(r->cmd.id, sizeof r->cmd.id, "tpi-%u", t->next_id++ % 100000000u);
  kb_ha_cmd_wipe(cmd);
  return true;
}

bool kd_tpi_take(kd_tpi_t *t, kd_tpi_req_t *out) {
  if (!t->req_len) return false;
  *out = t->req[t->req_head];
  kb_ha_cmd_wipe(&t->req[t->req_head].cmd);
  t->req_head = (t->req_head + 1) % KD_TPI_REQS;
  t->req_len--;
  return true;
}

/* the state a command is checked against (partition p) */
static const kd_tpi_part_t *tpart(const kd_tpi_t *t, unsigned p) { return &t->part[p - 1]; }

static bool part_armed_like(uint16_t code) { return code == 652 || code == 654 || code == 656 || code == 657; }

/* a partition digit the configuration reports, or 0 */
static unsigned part_digit(const kd_tpi_t *t, char ch) {
  unsigned p;
  if (ch < '1' || ch > '8') return 0;
  p = (unsigned)(ch - '0');
  return p <= KB_MAX_PARTITIONS && (t->cfg.partitions & (1u << (p - 1))) ? p : 0;
}

/* Queues cmd (acked already) or, without a code to offer, asks the client
 * for one with 900 and keeps cmd until its 200 (docs/tpi.md "Codes"). */
static void arm_like(kd_tpi_t *t, int slot, kb_ha_cmd_t *cmd) {
  kd_tpi_client_t *c = &t->client[slot];
  char d[8];
  if (t->arm_code[0]) {
    memcpy(cmd->code, t->arm_code, strlen(t->arm_code) + 1);
    if (!queue_cmd(t, slot, cmd)) send_line(t, c, 673, NULL); /* unreachable in practice: checked before the ack */
    return;
  }
  kb_ha_cmd_wipe(&c->waiting);
  c->waiting = *cmd;
  kb_ha_cmd_wipe(cmd);
  c->code_wait = true;
  c->code_wait_until = t->now_ms + KD_TPI_CODE_WAIT_MS;
  snprintf(d, sizeof d, "%u%u", (unsigned)c->waiting.partition, (unsigned)t->cfg.code_length);
  send_line(t, c, 900, d);
  c->notes |= KD_TPI_NOTE_CODE_ASKED;
}

/* a complete, checked line of an authenticated client: cmd and data */
static void command(kd_tpi_t *t, int slot, unsigned cmd, const char *data, size_t dl) {
  kd_tpi_client_t *c = &t->client[slot];
  kb_ha_cmd_t hc;
  unsigned p = dl ? part_digit(t, data[0]) : 0;
  memset(&hc, 0, sizeof hc);
  switch (cmd) {
    case 0:   /* poll */
    case 74:  /* keep alive */
    case 57:  /* temperature broadcast: nothing to send (docs/tpi.md) */
      if ((cmd == 74 && dl != 1) || (cmd == 57 && (dl != 1 || (data[0] != '0' && data[0] != '1'))) ||
          (cmd == 0 && dl)) {
        send_err(t, c, cmd, 20);
        return;
      }
      if (cmd == 74 && !p) {
        send_err(t, c, cmd, 21);
        return;
      }
      send_ack(t, c, cmd);
      return;
    case 1:
      if (dl) break;
      send_ack(t, c, cmd);
      send_status(t, c);
      return;
    case 5: /* already logged in: acked, checked again */
      break;
    case 8:
      if (dl) break;
      send_ack(t, c, cmd);
      send_timers(t, c);
      return;
    case 10: /* the panel clock is keybusd --sync-time's job: acked only */
      if (dl != 10) {
        send_err(t, c, cmd, 25);
        return;
      }
      if (!all_digits(data, dl)) {
        send_err(t, c, cmd, 27);
        return;
      }
      send_ack(t, c, cmd);
      return;
    case 55:
    case 56:
      if (dl != 1 || (data[0] != '0' && data[0] != '1')) break;
      send_ack(t, c, cmd);
      if (cmd == 55) c->timestamps = data[0] == '1';
      else {
        c->time_broadcast = data[0] == '1';
        c->last_time_ms = 0; /* one now */
      }
      return;
    case 20: /* command output P n */
    case 30:
    case 31:
    case 32:
    case 33:
    case 40:
    case 60:
    case 70:
    case 71:
    case 72:
    case 73:
      break;
    case 200: {
      kb_ha_cmd_t w;
      if ((dl != 4 && dl != 6) || !all_digits(data, dl)) {
        send_err(t, c, cmd, all_digits(data, dl) ? 25 : 27);
        return;
      }
      if (!c->code_wait) {
        send_err(t, c, cmd, 26);
        return;
      }
      if (t->req_len == KD_TPI_REQS) {
        send_err(t, c, cmd, 18);
        return;
      }
      /* a 6-digit code for a 4-digit panel: IT-100 style padding "xxxx00" */
      if (dl == 6 && t->cfg.code_length == 4 && data[4] == '0' && data[5] == '0') dl = 4;
      send_ack(t, c, cmd);
      w = c->waiting;
      kb_ha_cmd_wipe(&c->waiting);
      c->code_wait = false;
      memcpy(w.code, data, dl);
      w.code[dl] = 0;
      (void)queue_cmd(t, slot, &w);
      return;
    }
    default:
      send_err(t, c, cmd, 22);
      return;
  }
  /* the commands that go to the panel */
  if (cmd == 5) {
    send_ack(t, c, cmd);
    if (ct_equal(data, dl, t->password, strlen(t->password))) send_line(t, c, 505, "1");
    else {
      send_line(t, c, 505, "0");
      c->closing = true;
      c->notes |= KD_TPI_NOTE_LOGIN_FAILED;
      login_failed(t, c->addr, t->now_ms);
    }
    return;
  }
  if (cmd == 1 || cmd == 8) { /* data where none belongs */
    send_err(t, c, cmd, 20);
    return;
  }
  if (cmd == 55 || cmd == 56) {
    send_err(t, c, cmd, 20);
    return;
  }
  if (!t->cfg.writable) {
    send_err(t, c, cmd, 22);
    return;
  }
  /* partition first (070 and 060 have none) */
  if (cmd != 70 && cmd != 60) {
    if (!dl) {
      send_err(t, c, cmd, 20);
      return;
    }
    if (!p) {
      send_err(t, c, cmd, data[0] >= '0' && data[0] <= '9' ? 21 : 27);
      return;
    }
  }
  /* nothing to go by yet, or the bus is silent (checked once the line's
   * syntax is: the client's mistakes first): the panel cannot be written to */
  bool unknown = !t->connected || (cmd != 60 && cmd != 70 && !tpart(t, p)->code);
  switch (cmd) {
    case 20:
      if (dl != 2 || data[1] < '1' || data[1] > '4') {
        send_err(t, c, cmd, dl != 2 ? 25 : 20);
        return;
      }
      hc.action = KB_HA_ACT_OUTPUT;
      hc.output = (uint8_t)(data[1] - '0');
      break;
    case 30:
    case 31:
    case 32:
    case 33: {
      uint16_t st = tpart(t, p)->code;
      if (cmd == 33 ? (dl != 1u + t->cfg.code_length || !all_digits(data + 1, dl - 1)) : dl != 1) {
        send_err(t, c, cmd, cmd == 33 && dl > 1 && !all_digits(data + 1, dl - 1) ? 27 : 25);
        return;
      }
      if (unknown) {
        send_err(t, c, cmd, 14);
        return;
      }
      if (st == 658) {
        send_err(t, c, cmd, 16);
        return;
      }
      if (st != 650 && st != 653) { /* not ready, armed, in a delay or in alarm */
        send_err(t, c, cmd, 24);
        return;
      }
      hc.action = cmd == 31 ? KB_HA_ACT_ARM_HOME : cmd == 32 ? KB_HA_ACT_ARM_NIGHT : KB_HA_ACT_ARM_AWAY;
      if (cmd == 33) {
        memcpy(hc.code, data + 1, dl - 1);
        hc.code[dl - 1] = 0;
      }
      break;
    }
    case 40: {
      uint16_t st = tpart(t, p)->code;
      if (!all_digits(data + 1, dl - 1)) { /* "None" from a client without a code */
        send_err(t, c, cmd, 27);
        return;
      }
      if (dl - 1 != t->cfg.code_length) {
        send_err(t, c, cmd, 25);
        return;
      }
      if (unknown) {
        send_err(t, c, cmd, 14);
        return;
      }
      if (!part_armed_like(st)) {
        send_err(t, c, cmd, 23);
        return;
      }
      hc.action = KB_HA_ACT_DISARM;
      memcpy(hc.code, data + 1, dl - 1);
      hc.code[dl - 1] = 0;
      break;
    }
    case 60:
      if (dl != 1 || data[0] < '1' || data[0] > '3') {
        send_err(t, c, cmd, dl != 1 ? 25 : 20);
        return;
      }
      hc.action = data[0] == '1' ? KB_HA_ACT_FIRE : data[0] == '2' ? KB_HA_ACT_AUX : KB_HA_ACT_PANIC;
      p = 1;
      break;
    case 70:
    case 71: {
      const char *k = cmd == 70 ? data : data + 1;
      size_t kl = cmd == 70 ? dl : dl - 1;
      if (kl < 1 || kl > (cmd == 70 ? 1u : 6u)) {
        send_err(t, c, cmd, 25);
        return;
      }
      for (size_t i = 0; i < kl; i++)
        if (!((k[i] >= '0' && k[i] <= '9') || k[i] == '*' || k[i] == '#')) {
          send_err(t, c, cmd, 27);
          return;
        }
      if (cmd == 70) p = 1;
      /* *1# is how clients ask for 616: answered from the panel's bypass
       * report, the keypad left alone (docs/tpi.md "Bypass") */
      if (cmd == 71 && kl == 3 && !memcmp(k, "*1#", 3)) {
        send_ack(t, c, cmd);
        if (!(t->absent & KB_ABSENT_ZONES_BYPASS)) send_bypass(t, c); /* a Classic reports none */
        return;
      }
      hc.action = KB_HA_ACT_KEYS;
      memcpy(hc.keys, k, kl);
      hc.keys[kl] = 0;
      break;
    }
    case 72:
    case 73:
      if (dl != 1) {
        send_err(t, c, cmd, 25);
        return;
      }
      hc.action = KB_HA_ACT_KEYS;
      memcpy(hc.keys, cmd == 72 ? "*5" : "*6", 3);
      break;
    default:
      send_err(t, c, cmd, 22);
      return;
  }
  hc.partition = (uint8_t)p;
  if (unknown) {
    kb_ha_cmd_wipe(&hc);
    send_err(t, c, cmd, 14);
    return;
  }
  if (t->req_len == KD_TPI_REQS) {
    kb_ha_cmd_wipe(&hc);
    send_err(t, c, cmd, 18);
    return;
  }
  send_ack(t, c, cmd);
  /* arming with no code and output control: the code the panel may ask for */
  if ((cmd == 30 || cmd == 31 || cmd == 32 || cmd == 20) && !hc.code[0]) arm_like(t, slot, &hc);
  else (void)queue_cmd(t, slot, &hc);
  kb_ha_cmd_wipe(&hc);
}

/* one line without its CR LF: framing, checksum, login, dispatch */
static void line(kd_tpi_t *t, int slot) {
  kd_tpi_client_t *c = &t->client[slot];
  char *s = c->line, cs[3];
  size_t n = c->line_len;
  unsigned cmd;
  bool printable = true;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E) printable = false;
  if (!printable) {
    send_err(t, c, 0, 27);
    return;
  }
  if (n < 5 || !all_digits(s, 3)) {
    send_err(t, c, 0, 20);
    return;
  }
  kd_tpi_checksum(s, n - 2, cs);
  /* clients should send upper case; lower case is taken too */
  if (!((s[n - 2] == cs[0] || (s[n - 2] >= 'a' && s[n - 2] <= 'f' && s[n - 2] - 'a' + 'A' == cs[0])) &&
        (s[n - 1] == cs[1] || (s[n - 1] >= 'a' && s[n - 1] <= 'f' && s[n - 1] - 'a' + 'A' == cs[1])))) {
    send_line(t, c, 501, NULL);
    c->notes |= KD_TPI_NOTE_BAD_LINE;
    c->last_err = 501;
    return;
  }
  cmd = (unsigned)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
  if (!c->authed) {
    /* the one thing before a login is the login: anything else is a failed one */
    send_ack(t, c, cmd);
    if (cmd == 5 && login_blocked(t, c->addr, t->now_ms)) {
      send_line(t, c, 505, "0");
      c->notes |= KD_TPI_NOTE_LOGIN_BLOCKED;
    } else if (cmd == 5 && ct_equal(s + 3, n - 5, t->password, strlen(t->password))) {
      send_line(t, c, 505, "1");
      c->authed = true;
      c->notes |= KD_TPI_NOTE_LOGIN_OK;
      send_timers(t, c); /* as a real Envisalink does after a login */
      return;
    } else {
      send_line(t, c, 505, "0");
      c->notes |= KD_TPI_NOTE_LOGIN_FAILED;
      login_failed(t, c->addr, t->now_ms);
    }
    c->closing = true;
    return;
  }
  command(t, slot, cmd, s + 3, n - 5);
}

void kd_tpi_input(kd_tpi_t *t, int slot, const uint8_t *buf, size_t n, uint64_t now_ms) {
  kd_tpi_client_t *c;
  if (!slot_ok(t, slot) || !buf) return;
  c = &t->client[slot];
  t->now_ms = now_ms;
  for (size_t i = 0; i < n && !c->closing && !c->overflow; i++) {
    uint8_t b = buf[i];
    if (b == '\r' || b == '\n') {
      if (c->discard) c->discard = false;
      else if (c->line_len) line(t, slot);
      wipe(c->line, sizeof c->line); /* it may have held the password or a code */
      c->line_len = 0;
      continue;
    }
    if (c->discard) continue;
    if (c->line_len == KD_TPI_LINE_MAX) {
      /* over-long: one answer, the rest of it skipped */
      send_err(t, c, 0, 2);
      wipe(c->line, sizeof c->line);
      c->line_len = 0;
      c->discard = true;
      continue;
    }
    c->line[c->line_len++] = (char)b;
  }
}

/* ------------------------------------------------------------- time */

void kd_tpi_tick(kd_tpi_t *t, uint64_t now_ms, const struct tm *local) {
  t->now_ms = now_ms;
  if (local) {
    t->local = *local;
    t->have_local = true;
  }
  for (int i = 0; i < KD_TPI_CLIENTS; i++) {
    kd_tpi_client_t *c = &t->client[i];
    if (!c->used || c->closing) continue;
    if (!c->authed && now_ms - c->since_ms >= KD_TPI_LOGIN_MS) {
      send_line(t, c, 505, "2");
      c->closing = true;
      c->notes |= KD_TPI_NOTE_LOGIN_TIMEOUT;
      continue;
    }
    if (c->code_wait && now_ms >= c->code_wait_until) {
      c->code_wait = false;
      kb_ha_cmd_wipe(&c->waiting);
      c->notes |= KD_TPI_NOTE_CODE_TIMEOUT;
    }
    if (c->authed && c->time_broadcast && t->have_local &&
        (!c->last_time_ms || now_ms - c->last_time_ms >= KD_TPI_TIME_MS)) {
      char d[16];
      snprintf(d, sizeof d, "%02d%02d%02d%02d%02d", t->local.tm_hour % 100, t->local.tm_min % 100,
               (t->local.tm_mon + 1) % 100, t->local.tm_mday % 100, t->local.tm_year % 100);
      send_line(t, c, 550, d);
      c->last_time_ms = now_ms ? now_ms : 1;
    }
  }
  if (t->trouble849 && now_ms - t->trouble849_ms >= KD_TPI_TROUBLE_MS) {
    char d[8];
    snprintf(d, sizeof d, "%02X", t->trouble849);
    broadcast(t, 849, d);
    t->trouble849_ms = now_ms;
  }
}

/* ------------------------------------------------------ Keybus state */

uint16_t kd_tpi_part_code(const kb_partition_t *p, uint8_t flash, uint8_t *mode) {
  if (mode) *mode = 0;
  if (!p || !p->known || !kb_proto_part_in_use(p->status)) return 0;
  if (p->alarm) return 654;
  if (p->entry_delay) return 657;
  if (p->exit_delay) return 656;
  if (p->armed != KB_ARMED_NONE) {
    if (mode) *mode = (uint8_t)((p->armed == KB_ARMED_STAY ? 1u : 0u) + (p->no_entry_delay ? 2u : 0u));
    return 652;
  }
  if (p->status == KB_ST_LOCKOUT) return 658;
  /* notices (0x8A-0x8F) and menus or prompts (0x9E up: "enter access code"
   * while an arming is typed): the keypad's business, not a change of
   * state; the last one sent stands (fact sheet 6.1) */
  if (p->status >= KB_ST_STAY_AWAY_ACTIVE) return 0;
  if (p->ready) return (flash & KB_LIGHT_READY) ? 653 : 650;
  return 651;
}

static void zone_flag(kd_tpi_t *t, uint8_t *bits, unsigned z, bool on, unsigned on_code, unsigned off_code) {
  char d[8];
  uint8_t m;
  if (z < 1 || z > KB_MAX_ZONES) return;
  m = (uint8_t)(1u << ((z - 1) % 8));
  if (((bits[(z - 1) / 8] & m) != 0) == on) return;
  bits[(z - 1) / 8] = (uint8_t)(on ? bits[(z - 1) / 8] | m : bits[(z - 1) / 8] & ~m);
  snprintf(d, sizeof d, "%03u", z);
  broadcast(t, on ? on_code : off_code, d);
}

/* the panel's live events that keybus keeps no state for */
static void panel_event(kd_tpi_t *t, const kb_ev_panel_t *pe) {
  unsigned z = pe->pev.number;
  if (pe->number != KB_EVENT_LIVE) return; /* an event buffer read: history, not news */
  switch (pe->pev.kind) {
    case KB_PEV_BELL_TROUBLE:
    case KB_PEV_BELL_RESTORED:
      if (t->bell_trouble != (pe->pev.kind == KB_PEV_BELL_TROUBLE)) {
        t->bell_trouble = pe->pev.kind == KB_PEV_BELL_TROUBLE;
        broadcast(t, t->bell_trouble ? 806 : 807, NULL);
      }
      break;
    case KB_PEV_FIRE_TROUBLE: broadcast(t, 842, NULL); break;
    case KB_PEV_FIRE_TROUBLE_RESTORED: broadcast(t, 843, NULL); break;
    case KB_PEV_ZONE_BATTERY_LOW:
    case KB_PEV_ZONE_BATTERY_RESTORED:
      zone_flag(t, t->zones_lowbat, z, pe->pev.kind == KB_PEV_ZONE_BATTERY_LOW, 821, 822);
      break;
    case KB_PEV_ZONE_FAULT:
    case KB_PEV_ZONE_FAULT_RESTORED:
      zone_flag(t, t->zones_fault, z, pe->pev.kind == KB_PEV_ZONE_FAULT, 605, 606);
      break;
    case KB_PEV_KEYPAD_TAMPER:
    case KB_PEV_EXPANDER_TAMPER:
    case KB_PEV_RF5132_TAMPER:
    case KB_PEV_PC5208_TAMPER:
    case KB_PEV_PC5204_TAMPER: broadcast(t, 829, NULL); break;
    case KB_PEV_KEYPAD_TAMPER_RESTORED:
    case KB_PEV_EXPANDER_TAMPER_RESTORED:
    case KB_PEV_RF5132_TAMPER_RESTORED:
    case KB_PEV_PC5208_TAMPER_RESTORED:
    case KB_PEV_PC5204_TAMPER_RESTORED: broadcast(t, 830, NULL); break;
    case KB_PEV_INSTALLER_ENTER: broadcast(t, 680, NULL); break;
    default: break;
  }
}

void kd_tpi_event(kd_tpi_t *t, const kb_event_t *ev) {
  if (!t || !ev) return;
  if (ev->type == KB_EV_PANEL_EVENT) panel_event(t, &ev->panel);
  if (ev->type == KB_EV_ACCESS_CODE && ev->partition >= 1 && ev->partition <= KB_MAX_PARTITIONS) {
    /* the user comes with the arming or disarming it goes with */
    kd_tpi_part_t *pp = &t->part[ev->partition - 1];
    pp->user = ev->access.user;
    pp->user_pending = 1; /* sent by kd_tpi_status, in its place among the state messages */
  }
}

static void user_msg(kd_tpi_t *t, unsigned p, bool armed) {
  kd_tpi_part_t *pp = &t->part[p - 1];
  char d[8];
  snprintf(d, sizeof d, "%u%04u", p, (unsigned)pp->user % 10000u);
  broadcast(t, armed ? 700 : 750, d);
  pp->user_pending = 0;
}

static void zone_bits(kd_tpi_t *t, const uint8_t *now, uint8_t *was, unsigned on_code, unsigned off_code,
                      bool with_part) {
  char d[8];
  for (unsigned z = 1; z <= zones_max(t); z++) {
    bool a = zbit(now, z), b = zbit(was, z);
    if (a == b) continue;
    if (with_part) snprintf(d, sizeof d, "%u%03u", zone_part(t, z), z);
    else snprintf(d, sizeof d, "%03u", z);
    broadcast(t, a ? on_code : off_code, d);
  }
  memcpy(was, now, KB_ZONE_BYTES);
}

void kd_tpi_status(kd_tpi_t *t, const kb_status_t *st, uint64_t now_ms) {
  char d[8];
  t->now_ms = now_ms;
  if (!st) return;
  t->absent = st->absent;
  t->zones_max = st->zones_max;
  /* the bus itself: 896/897 */
  if (st->connected != t->connected) {
    if (t->synced) broadcast(t, st->connected ? 897 : 896, NULL);
    t->connected = st->connected;
  }
  if (!st->synced) return;
  /* zones: the timers follow 609/610 */
  for (unsigned z = 1; z <= KB_MAX_ZONES; z++) {
    bool a = zbit(st->zones_open, z), b = zbit(t->zones_open, z);
    if (a && !b) t->zones_seen[(z - 1) / 8] |= (uint8_t)(1u << ((z - 1) % 8));
    if (!a && b) t->zone_closed_ms[z - 1] = now_ms;
  }
  zone_bits(t, st->zones_open, t->zones_open, 609, 610, false);
  zone_bits(t, st->zones_alarm, t->zones_alarm, 601, 602, true);
  if (!(st->absent & KB_ABSENT_ZONES_TAMPER)) zone_bits(t, st->zones_tamper, t->zones_tamper, 603, 604, true);
  memcpy(t->zones_bypass, st->zones_bypass, KB_ZONE_BYTES);
  /* partitions */
  for (unsigned p = 1; p <= KB_MAX_PARTITIONS; p++) {
    kd_tpi_part_t *pp = &t->part[p - 1];
    const kb_partition_t *pa = &st->part[p - 1];
    uint8_t mode = 0;
    uint16_t code;
    if (!part_reported(t, p)) continue;
    code = kd_tpi_part_code(pa, st->flash[p - 1], &mode);
    if (code && (code != pp->code || (code == 652 && mode != pp->mode))) {
      bool was_armed = part_armed_like(pp->code);
      part_msg(d, sizeof d, p, code, mode);
      if (was_armed && !part_armed_like(code)) {
        /* disarmed: 655, the user, then ready or not (docs/tpi.md) */
        snprintf(d, sizeof d, "%u", p);
        broadcast(t, 655, d);
        if (pp->user_pending) user_msg(t, p, false);
        broadcast(t, code, d);
      } else if (code == 652) {
        if (pp->user_pending) user_msg(t, p, true);
        broadcast(t, code, d);
      } else {
        broadcast(t, code, d);
      }
      pp->code = code;
      pp->mode = mode;
    }
    /* alone (the state changed in another poll): 700 while armed or arming */
    if (pp->user_pending && pp->code) user_msg(t, p, pp->code == 652 || pp->code == 656);
    /* one-shot notices from the status byte */
    if (pa->known && pa->status != pp->last_status) {
      snprintf(d, sizeof d, "%u", p);
      if (pa->status == KB_ST_WRONG_CODE) broadcast(t, 670, d);
      else if (pa->status == KB_ST_NOT_AVAILABLE || pa->status == KB_ST_NOT_AVAILABLE_2) broadcast(t, 671, d);
      else if (pa->status == KB_ST_ARMING_FAILED) broadcast(t, 659, d);
      pp->last_status = pa->status;
    }
    if (pa->known) {
      uint8_t tr = (pa->lights & KB_LIGHT_TROUBLE) ? 1 : 0;
      if (!pp->lights_known || tr != pp->trouble_on) {
        snprintf(d, sizeof d, "%u", p);
        broadcast(t, tr ? 840 : 841, d);
      }
      if (p == 1 && (!pp->lights_known || pa->lights != pp->lights)) {
        snprintf(d, sizeof d, "%02X", pa->lights);
        broadcast(t, 510, d);
      }
      if (p == 1 && (!pp->lights_known || st->flash[0] != pp->flash)) {
        snprintf(d, sizeof d, "%02X", st->flash[0]);
        broadcast(t, 511, d);
      }
      pp->trouble_on = tr;
      pp->lights = pa->lights;
      pp->flash = st->flash[0];
      pp->lights_known = true;
    }
  }
  /* keypad alarm keys: fire 621/622, aux 623/624, panic 625/626 */
  for (unsigned k = 0; k < 3; k++)
    if ((st->keypad_alarm[k] != 0) != (t->keypad_alarm[k] != 0)) {
      broadcast(t, 621u + 2u * k + (st->keypad_alarm[k] ? 0u : 1u), NULL);
      t->keypad_alarm[k] = st->keypad_alarm[k] ? 1 : 0;
    }
  /* troubles */
  if ((st->ac_power != 0) != (t->ac_power != 0) && !(st->absent & KB_ABSENT_AC_POWER))
    broadcast(t, st->ac_power ? 803 : 802, NULL);
  if ((st->battery_ok != 0) != (t->battery_ok != 0) && !(st->absent & KB_ABSENT_BATTERY))
    broadcast(t, st->battery_ok ? 801 : 800, NULL);
  if ((st->panel_flags ^ t->panel_flags) & KB_PANEL_PHONE) broadcast(t, st->panel_flags & KB_PANEL_PHONE ? 810 : 811, NULL);
  if ((st->panel_flags ^ t->panel_flags) & KB_PANEL_COMM) broadcast(t, st->panel_flags & KB_PANEL_COMM ? 814 : 815, NULL);
  t->ac_power = st->ac_power ? 1 : 0;
  t->battery_ok = st->battery_ok ? 1 : 0;
  t->panel_flags = st->panel_flags;
  {
    uint8_t b = trouble_bits(t);
    if (b != t->trouble849) {
      snprintf(d, sizeof d, "%02X", b);
      broadcast(t, 849, d);
      t->trouble849 = b;
      t->trouble849_ms = now_ms;
    }
  }
  t->synced = true;
}
