/* SPDX-License-Identifier: MIT
 *
 * kb_scenario.c - the scenario language and its runner (see kb_scenario.h
 * and docs/scenarios.md).
 */
#include "sim/kb_scenario.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "host/kb_pev_text.h"
#include "host/kb_text.h"
#include "host/kb_vcd.h"
#include "keybus/kb_bus.h"
#include "keybus/kb_keys.h"
#include "keybus/kb_link.h"
#include "sim/kb_sim_panel.h"
#include "sim/kb_wire.h"
#include "sim/kb_sim_classic.h" /* issue 11: panel classic */

#define MAX_TOK 16
#define MAX_TIME_US (24ull * 3600ull * 1000000ull) /* times up to a day */
#define STR_MAX 64

/* ------------------------------------------------------------ model */

typedef enum { A_OPEN, A_CLOSE, A_KEYS, A_KEYPAD, A_AC, A_BATTERY, A_CUT, A_SETTIME, A_TAMPER, A_VZONE } act_kind_t;

typedef struct {
  uint64_t t;
  int line;
  uint8_t kind;
  uint8_t part;
  uint8_t on;      /* ac/battery ok, cut low, tamper on; vzone: kb_xpd_zone_t */
  uint8_t human;   /* keypad: keys at human speed */
  uint16_t n;      /* zone */
  uint64_t dur;    /* cut */
  char s[STR_MAX + 1];
  char code[KB_KEYS_CODE_MAX + 1];
  kb_time_t tm;
  int req;         /* key request number (0-based) for keys / set time */
} act_t;

typedef enum { W_BY, W_AT, W_BETWEEN } when_t;

typedef enum {
  C_PART, C_ZONE, C_TROUBLE, C_AC, C_BATTERY, C_PGM, C_KALARM, C_TIME, C_KEYBUS, C_SYNCED,
  C_GEN, C_RESULT, C_EVENT, C_LIGHT
} cond_kind_t;

/* partition predicates */
enum {
  P_READY, P_ARMED, P_STAY, P_AWAY, P_NIGHT, P_DISARMED, P_EXIT, P_ENTRY, P_ALARM, P_FIRE,
  P_NED, P_DISABLED, P_STATUS
};
/* zone predicates */
enum { Z_OPEN, Z_CLOSED, Z_ALARM, Z_TAMPER, Z_BYPASS };

/* key request results: kb_keys_result_t, plus one for a refused submit */
#define RES_REFUSED 100

typedef struct {
  int line;
  char *text;
  uint8_t neg;   /* "no": never true in the window / false at the time */
  uint8_t when;
  uint64_t t1, t2;
  uint8_t kind;
  uint8_t not_;  /* predicate negated ("not") */
  int a, b;      /* partition/zone/pgm/request/event type, predicate/number */
  int c;         /* status byte (-1 = any) / event on (-1 = any) */
  /* -1 = any: */
  int user;      /* event access_code: the code number */
  int pev_kind;  /* event panel_event: kb_pev kind */
  int pev_num;   /* its number (zone, code, ...) */
  int pev_part;  /* its partition */
  int reason;    /* result: kb_keys_reason_t */
  int attempts;  /* result: attempts made */
  kb_time_t tm;
  uint8_t state; /* 0 pending, 1 passed, 2 failed */
  char why[160];
} expect_t;

struct kb_scenario_s {
  char *name;
  kb_sim_cfg_t cfg;
  kb_wire_cfg_t wcfg;
  uint8_t keypad_lag;
  uint64_t end;
  act_t *act;
  size_t nact, capact;
  expect_t *exp;
  size_t nexp, capexp;
  int nreq;
  uint8_t classic; /* issue 11: `panel classic` (the Classic run below) */
  struct rt_s *rt; /* last run */
};

/* ------------------------------------------------------------ runtime */

typedef struct {
  uint8_t type, partition, on, value;
  uint16_t number;
  uint8_t pev_kind, pev_num, parts; /* KB_EV_PANEL_EVENT */
  uint64_t t;
} ev_rec_t;

/* What the runner keeps of each request's end (kb_keys keeps only the last
 * KB_KEYS_HISTORY results; a scenario may make many more requests). */
typedef struct {
  uint8_t made, ended, result, status, reason, attempts;
} req_end_t;

typedef struct rt_s {
  kb_scenario_t *s;
  const kb_scenario_opts_t *o;
  kb_sim_panel_t panel;
  kb_wire_t wire;
  kb_bus_t bus; /* link + engine + virtual keypad, one task entry */
  kb_xpd_t xpd; /* virtual zone expander(s) on the bus (config `expander N`) */
  kb_vcd_writer_t vw;
  uint64_t now;
  size_t next_act;
  int kp_of[9];       /* wire keypad index per partition, -1 = none */
  uint16_t *req_id;   /* per request: kb_keys id (0 = refused) */
  int *req_act;       /* per request: its action */
  req_end_t *req_end; /* per request: how it ended */
  ev_rec_t *ev;
  size_t nev, capev;
  /* Expectations are visited only while their window is open (the cost of
   * a step is the open ones, not all of them): state conditions in order
   * of their start (by_t1), opened into `open`; event conditions are judged
   * once their window has closed, in order of its end (by_t2). */
  size_t *by_t1, *by_t2, *open;
  size_t next_t1, next_t2, nopen, nevx; /* nevx: event conditions */
  uint64_t sync_t;    /* first task step at which the engine was synced (UINT64_MAX: never) */
  unsigned warnings;
  uint64_t visits, formats; /* work counters (kb_scenario_result_t) */
  int oom;
  int stop;
  /* issue 11, `panel classic`: the Classic panel, its wire and the port's
   * interrupts feeding the bus's Classic link (see run_classic()) */
  kb_simc_wire_t cw;
  kb_simc_port_t cport;
} rt_t;

/* ------------------------------------------------------------ parsing helpers */

static const char *const part_words[] = {"ready", "armed", "armed_stay", "armed_away",
                                         "armed_night", "disarmed", "exit_delay", "entry_delay",
                                         "alarm", "fire", "no_entry_delay", "disabled", "status"};
static const char *const zone_words[] = {"open", "closed", "alarm", "tamper", "bypass"};
/* kb_keys_result_t, in order */
static const char *const result_words[] = {"pending",      "done",         "rejected",
                                           "collided",     "timed_out",    "disconnected",
                                           "invalid",      "not_verified", "uncertain"};
#define N_RESULT_WORDS ((int)(sizeof result_words / sizeof result_words[0]))
/* kb_keys_reason_t, in order (NONE has no word) */
static const char *const reason_words[] = {NULL, "early", "disabled", "code_length"};
/* Bits of the keypad lights byte, b0 first (protocol notes §3.2). The engine
 * has no named constants for them; it should own this table. */
static const char *const light_words[] = {"ready",   "armed",   "memory", "bypass",
                                          "trouble", "program", "fire",   "backlight"};
/* Why kb_keys_submit() / kb_keys_set_time() refused a request. */
static const char *keys_err_text(kb_err_t err) {
  switch (err) {
    case KB_OK: return "ok";
    case KB_ERR_FULL: return "the queue is full";
    case KB_ERR_KEY: return "a key outside the alphabet, or too many";
    case KB_ERR_PARTITION: return "no such partition on this panel";
    case KB_ERR_CODE: return "the code is not 4 or 6 digits, not the panel's length, or has no place";
    case KB_ERR_RANGE: return "a value out of range";
    case KB_ERR_NOT_READY: return "the partition is not ready";
    default: break;
  }
  return "unknown error";
}

static const char *const ev_words[] = {
    "synced", "connected", "partition", "ready", "armed", "no_entry_delay", "exit_delay",
    "entry_delay", "alarm", "fire", "disabled", "access_code", "zone_open", "zone_alarm",
    "zone_tamper", "zone_bypass", "trouble", "ac_power", "battery", "pgm", "keypad_alarm", "time",
    "version", "panel_event", "key", "frame_error", "noise", "code_digits", "bell", "beep", "tone",
    "buzzer", "panel_flag", "module", "flash"};
_Static_assert(sizeof ev_words / sizeof ev_words[0] == KB_EV_COUNT, "a word per kb_event_type_t");

_Static_assert(N_RESULT_WORDS == KB_KEYS_UNKNOWN, "a word per kb_keys_result_t");
_Static_assert(sizeof reason_words / sizeof reason_words[0] == KB_KEYS_REASON_CODE_LENGTH + 1,
               "a word per kb_keys_reason_t");

/* What the number after `event TYPE` is, and its range. The partition and
 * zone limits are the later generation's; an early panel is checked after
 * the whole file is read (its `panel` line may come last). */
typedef enum { EN_NONE, EN_PART, EN_ZONE, EN_PGM, EN_KALARM, EN_CMD, EN_BUF, EN_BYTE, EN_BOOL } ev_num_t;

static ev_num_t ev_num_kind(int ty) {
  switch (ty) {
    case KB_EV_ZONE_OPEN:
    case KB_EV_ZONE_ALARM:
    case KB_EV_ZONE_TAMPER:
    case KB_EV_ZONE_BYPASS: return EN_ZONE;
    case KB_EV_PGM: return EN_PGM;
    case KB_EV_KEYPAD_ALARM: return EN_KALARM;
    case KB_EV_FRAME_ERROR: return EN_CMD;
    case KB_EV_PANEL_EVENT: return EN_BUF;
    case KB_EV_VERSION: return EN_BYTE;
    case KB_EV_SYNCED: return EN_BOOL;
    case KB_EV_TROUBLE:
    case KB_EV_AC_POWER:
    case KB_EV_BATTERY:
    case KB_EV_CONNECTED:
    case KB_EV_TIME:
    case KB_EV_BELL:
    case KB_EV_PANEL_FLAG:
    case KB_EV_MODULE: return EN_NONE;
    default: return EN_PART;
  }
}

/* Events whose `on` field carries a state (on|off means something). */
static bool ev_has_on(int ty) {
  switch (ty) {
    case KB_EV_SYNCED:
    case KB_EV_PARTITION:
    case KB_EV_ACCESS_CODE:
    case KB_EV_TIME:
    case KB_EV_VERSION:
    case KB_EV_PANEL_EVENT:
    case KB_EV_KEY:
    case KB_EV_FRAME_ERROR:
    case KB_EV_NOISE:
    case KB_EV_BEEP:
    case KB_EV_TONE:
    case KB_EV_BUZZER: return false;
    default: return true;
  }
}

/* Panel event kind by its kb_pev_kind_name(), -1 if none. */
static int pev_kind_index(const char *w) {
  for (int k = 0; k < KB_PEV_COUNT; k++)
    if (!strcmp(w, kb_pev_kind_name((kb_pev_kind_t)k))) return k;
  return -1;
}

/* Largest number a panel event kind carries (kb_pev.h), 0 when it has none. */
static unsigned long pev_num_max(int kind) {
  const char *l = kb_pev_number_label((kb_pev_kind_t)kind);
  if (!l) return 0;
  if (!strcmp(l, "zone")) return 64;
  if (!strcmp(l, "code")) return 95;
  if (!strcmp(l, "keypad")) return 8;
  if (!strcmp(l, "expander")) return 7;
  if (!strcmp(l, "output")) return 4;
  if (!strcmp(l, "phone")) return 2;
  return 255;
}

static int word_index(const char *w, const char *const *list, int n) {
  for (int i = 0; i < n; i++)
    if (list[i] && !strcmp(w, list[i])) return i;
  return -1;
}

typedef struct {
  const char *name;
  int line;
  char *err;
  size_t n;
  int failed;
} perr_t;

static int perr(perr_t *p, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  if (p->failed) return -1;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (p->n) snprintf(p->err, p->n, "%s:%d: %s", p->name, p->line, msg);
  p->failed = 1;
  return -1;
}

/* Unsigned decimal in [lo, hi]. */
/* Digits typed on a keypad may be an access code, a secret: shown as '.'
 * (as KeybusReader's hidden digits). */
static const char *mask_digits(const char *in, char *out, size_t n) {
  size_t i = 0;
  for (; in[i] && i + 1 < n; i++) out[i] = (in[i] >= '0' && in[i] <= '9') ? '.' : in[i];
  out[i] = '\0';
  return out;
}

static int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out) {
  unsigned long v = 0;
  if (!*s) return -1;
  for (; *s; s++) {
    unsigned long d = (unsigned long)(*s - '0');
    if (*s < '0' || *s > '9') return -1;
    if (v > (ULONG_MAX - d) / 10u) return -1; /* would overflow */
    v = v * 10u + d;
  }
  if (v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

static int parse_hex_byte(const char *s, int *out) {
  unsigned v = 0;
  if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2] || strlen(s) > 4) return -1;
  for (s += 2; *s; s++) {
    int d = isdigit((unsigned char)*s) ? *s - '0' : (*s >= 'a' && *s <= 'f') ? *s - 'a' + 10
                                                : (*s >= 'A' && *s <= 'F') ? *s - 'A' + 10 : -1;
    if (d < 0) return -1;
    v = v * 16u + (unsigned)d;
  }
  *out = (int)v;
  return 0;
}

/* A time: digits [. digits] unit (us, ms, s, m). */
static int parse_time(const char *s, uint64_t *out) {
  uint64_t ip = 0, frac = 0, scale = 1, mul;
  int nd = 0, nf = 0;
  while (isdigit((unsigned char)*s)) {
    if (ip > MAX_TIME_US) return -1;
    ip = ip * 10u + (uint64_t)(*s++ - '0');
    nd++;
  }
  if (*s == '.') {
    s++;
    while (isdigit((unsigned char)*s)) {
      if (nf < 9) {
        frac = frac * 10u + (uint64_t)(*s - '0');
        scale *= 10u;
      }
      nf++;
      s++;
    }
    if (!nf) return -1;
  }
  if (!nd && !nf) return -1;
  if (!strcmp(s, "us")) mul = 1;
  else if (!strcmp(s, "ms")) mul = 1000;
  else if (!strcmp(s, "s")) mul = 1000000;
  else if (!strcmp(s, "m")) mul = 60000000;
  else return -1;
  if (ip > MAX_TIME_US / mul) return -1;
  ip = ip * mul + frac * mul / scale;
  if (ip > MAX_TIME_US) return -1;
  *out = ip;
  return 0;
}

static int parse_prob(const char *s, double *out) {
  char *end;
  double v;
  errno = 0;
  v = strtod(s, &end);
  if (end == s || *end || errno || !(v >= 0.0 && v <= 1.0)) return -1;
  *out = v;
  return 0;
}

static int parse_onoff(const char *s, const char *on, const char *off) {
  if (!strcmp(s, on)) return 1;
  if (!strcmp(s, off)) return 0;
  return -1;
}

/* YYYY-MM-DD and HH:MM */
static int parse_datetime(const char *d, const char *hm, kb_time_t *t) {
  unsigned y, mo, dd, h, mi;
  char x;
  if (strlen(d) != 10 || sscanf(d, "%4u-%2u-%2u%c", &y, &mo, &dd, &x) != 3) return -1;
  if (d[4] != '-' || d[7] != '-') return -1;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !isdigit((unsigned char)d[i])) return -1;
  if (strlen(hm) != 5 || hm[2] != ':' || !isdigit((unsigned char)hm[0]) ||
      !isdigit((unsigned char)hm[1]) || !isdigit((unsigned char)hm[3]) ||
      !isdigit((unsigned char)hm[4]))
    return -1;
  h = (unsigned)((hm[0] - '0') * 10 + (hm[1] - '0'));
  mi = (unsigned)((hm[3] - '0') * 10 + (hm[4] - '0'));
  if (y < 2000 || y > 2099 || mo < 1 || mo > 12 || dd < 1 || dd > 31 || h > 23 || mi > 59)
    return -1;
  memset(t, 0, sizeof *t);
  t->year = (uint16_t)y;
  t->month = (uint8_t)mo;
  t->day = (uint8_t)dd;
  t->hour = (uint8_t)h;
  t->minute = (uint8_t)mi;
  t->valid = 1;
  return 0;
}

static int parse_code(const char *s, char *out, unsigned digits) {
  size_t n = strlen(s);
  if (n != 4 && n != 6) return -1;
  if (digits && n != digits) return -1;
  for (size_t i = 0; i < n; i++)
    if (!isdigit((unsigned char)s[i])) return -1;
  memcpy(out, s, n + 1);
  return 0;
}

/* Splits a line into tokens in place; "quoted" tokens keep their content
 * (quotes stripped, flagged in quoted[]); '#' outside quotes starts a
 * comment. Returns the count, or -1 (message in p). */
static int tokenize(perr_t *p, char *s, char **tok, uint8_t *quoted) {
  int n = 0;
  for (;;) {
    while (*s == ' ' || *s == '\t' || *s == '\r') s++;
    if (!*s || *s == '#') return n;
    if (n >= MAX_TOK) return perr(p, "too many words on the line");
    if (*s == '"') {
      char *e = strchr(s + 1, '"');
      if (!e) return perr(p, "unterminated string");
      quoted[n] = 1;
      tok[n++] = s + 1;
      *e = '\0';
      s = e + 1;
      if (*s && *s != ' ' && *s != '\t' && *s != '\r') return perr(p, "text right after a string");
      continue;
    }
    quoted[n] = 0;
    tok[n++] = s;
    while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '"') s++;
    if (*s == '"') return perr(p, "quote inside a word");
    if (*s) *s++ = '\0';
  }
}

static int push_act(kb_scenario_t *s, const act_t *a) {
  if (s->nact == s->capact) {
    size_t cap = s->capact ? s->capact * 2 : 16;
    act_t *v = realloc(s->act, cap * sizeof *v);
    if (!v) return -1;
    s->act = v;
    s->capact = cap;
  }
  s->act[s->nact++] = *a;
  return 0;
}

static int push_exp(kb_scenario_t *s, const expect_t *e) {
  if (s->nexp == s->capexp) {
    size_t cap = s->capexp ? s->capexp * 2 : 16;
    expect_t *v = realloc(s->exp, cap * sizeof *v);
    if (!v) return -1;
    s->exp = v;
    s->capexp = cap;
  }
  s->exp[s->nexp++] = *e;
  return 0;
}

/* ------------------------------------------------------------ configuration */

static int parse_config(perr_t *p, kb_scenario_t *s, char **t, const uint8_t *q, int n,
                        int *configured) {
  kb_sim_cfg_t *c = &s->cfg;
  unsigned long v, v2;
  const char *k = t[0];
  (void)q;
  if (!strcmp(k, "panel")) {
    int g;
    if (n == 2 && !strcmp(t[1], "classic")) { /* issue 11 */
      if (*configured) return perr(p, "'panel' must come before the other configuration lines");
      kb_sim_cfg_default(c, 1);
      c->seed = (uint32_t)s->wcfg.seed;
      s->classic = 1;
      return 0;
    }
    if (n != 2 || (g = parse_onoff(t[1], "later", "early")) < 0)
      return perr(p, "expected: panel later|early|classic");
    if (*configured) return perr(p, "'panel' must come before the other configuration lines");
    kb_sim_cfg_default(c, g);
    c->seed = (uint32_t)s->wcfg.seed;
    return 0;
  }
  *configured = 1;
  if (s->classic && (!strcmp(k, "ber") || !strcmp(k, "glitch") || !strcmp(k, "lost") || !strcmp(k, "jitter") ||
                     !strcmp(k, "trailing_bits"))) /* issue 11: not on the Classic wire yet */
    return perr(p, "panel classic: '%s' is not available yet", k);
  if (!strcmp(k, "partitions")) {
    uint8_t m = 0;
    if (n < 2) return perr(p, "expected: partitions N...");
    for (int i = 1; i < n; i++) {
      if (parse_uint(t[i], 1, c->later_gen ? 8 : 2, &v))
        return perr(p, "bad partition '%s' (1-%d)", t[i], c->later_gen ? 8 : 2);
      m |= (uint8_t)(1u << (v - 1u));
    }
    c->partitions = m;
  } else if (!strcmp(k, "zone")) {
    static const char *const types[] = {"unused", "delay", "instant", "interior", "fire", "24h"};
    int ty;
    if (n == 3 && parse_uint(t[1], 1, KB_SIM_ZONES, &v) == 0 && !strcmp(t[2], "unused")) {
      c->zone[v - 1].partition = 0;
      c->zone[v - 1].type = KB_SIM_ZONE_UNUSED;
      return 0;
    }
    if (n != 6 || strcmp(t[2], "partition") || strcmp(t[4], "type"))
      return perr(p, "expected: zone N partition P type delay|instant|interior|fire|24h");
    if (parse_uint(t[1], 1, KB_SIM_ZONES, &v)) return perr(p, "bad zone '%s' (1-64)", t[1]);
    if (parse_uint(t[3], 1, 8, &v2)) return perr(p, "bad partition '%s' (1-8)", t[3]);
    if ((ty = word_index(t[5], types, 6)) <= 0) return perr(p, "bad zone type '%s'", t[5]);
    if (!c->later_gen && (v > 32 || v2 > 2))
      return perr(p, "an early panel has zones 1-32 on partitions 1-2");
    c->zone[v - 1].partition = (uint8_t)v2;
    c->zone[v - 1].type = (uint8_t)ty;
  } else if (!strcmp(k, "code_digits")) {
    if (n != 2 || parse_uint(t[1], 4, 6, &v) || v == 5) return perr(p, "expected: code_digits 4|6");
    if (v != c->code_digits) memset(c->code, 0, sizeof c->code);
    c->code_digits = (uint8_t)v;
  } else if (!strcmp(k, "code") || !strcmp(k, "master")) {
    int master = k[0] == 'm';
    const char *d = master ? (n == 2 ? t[1] : NULL) : (n == 3 ? t[2] : NULL);
    if (!d) return perr(p, master ? "expected: master DIGITS" : "expected: code N DIGITS");
    if (master) v = KB_SIM_MASTER;
    else if (parse_uint(t[1], 1, 42, &v) || (v >= 35 && v <= 39))
      return perr(p, "bad code number '%s' (1-34, 40-42)", t[1]);
    if (parse_code(d, c->code[v], c->code_digits))
      return perr(p, "a code is %u digits here (code_digits)", c->code_digits);
  } else if (!strcmp(k, "exit_delay") || !strcmp(k, "entry_delay") || !strcmp(k, "output_pulse")) {
    uint64_t us;
    if (n != 2 || parse_time(t[1], &us) || us % 1000000u || us / 1000000u > 255)
      return perr(p, "expected: %s SECONDS (whole seconds, e.g. 10s, at most 255s)", k);
    if (k[1] == 'x') c->exit_delay_s = (uint16_t)(us / 1000000u);
    else if (k[1] == 'n') c->entry_delay_s = (uint16_t)(us / 1000000u);
    else c->cmd_output_pulse_s = (uint16_t)(us / 1000000u);
  } else if (!strcmp(k, "quick_arm")) {
    int o;
    if (n != 2 || (o = parse_onoff(t[1], "on", "off")) < 0) return perr(p, "expected: quick_arm on|off");
    c->quick_arm = (uint8_t)o;
  } else if (!strcmp(k, "output")) {
    if (n != 4 || strcmp(t[2], "pgm") || parse_uint(t[1], 1, 4, &v) || parse_uint(t[3], 0, 14, &v2))
      return perr(p, "expected: output 1-4 pgm 0-14");
    c->cmd_output_pgm[v - 1] = (uint8_t)v2;
  } else if (!strcmp(k, "start_time")) {
    kb_time_t tm;
    if (n != 3 || parse_datetime(t[1], t[2], &tm)) return perr(p, "expected: start_time YYYY-MM-DD HH:MM");
    c->start.year = tm.year;
    c->start.month = tm.month;
    c->start.day = tm.day;
    c->start.hour = tm.hour;
    c->start.minute = tm.minute;
  } else if (!strcmp(k, "ber") || !strcmp(k, "glitch") || !strcmp(k, "lost")) {
    double x;
    if (n != 2 || parse_prob(t[1], &x)) return perr(p, "expected: %s PROBABILITY (0 to 1)", k);
    if (k[0] == 'b') s->wcfg.ber = x;
    else if (k[0] == 'g') s->wcfg.glitch_rate = x;
    else s->wcfg.lost_rate = x;
  } else if (!strcmp(k, "jitter")) {
    uint64_t us;
    if (n != 2 || parse_time(t[1], &us) || us > 100) return perr(p, "expected: jitter TIME (at most 100us)");
    s->wcfg.jitter_us = (uint32_t)us;
  } else if (!strcmp(k, "keypad_lag")) {
    uint64_t us;
    if (n != 2 || parse_time(t[1], &us) || us > 200) return perr(p, "expected: keypad_lag TIME (at most 200us)");
    s->keypad_lag = (uint8_t)us;
  } else if (!strcmp(k, "trailing_bits")) {
    if (n != 2 || parse_uint(t[1], 0, 7, &v)) return perr(p, "expected: trailing_bits 0-7");
    c->trailing_bits = (uint8_t)v;
  } else if (!strcmp(k, "expander")) {
    if (n != 2 || parse_uint(t[1], 0, c->later_gen ? 7 : 3, &v))
      return perr(p, "expected: expander N (0-%d)", c->later_gen ? 7 : 3);
    c->expanders |= (uint8_t)(1u << v);
  } else if (!strcmp(k, "seed")) {
    if (n != 2 || parse_uint(t[1], 0, 0xFFFFFFFFul, &v)) return perr(p, "expected: seed N");
    s->wcfg.seed = v;
    c->seed = (uint32_t)v;
  } else {
    return perr(p, "unknown line '%s'", k);
  }
  return 0;
}

/* ------------------------------------------------------------ actions */

static int check_keys(perr_t *p, const char *str, int physical) {
  size_t n = strlen(str);
  if (!n) return perr(p, "empty key string");
  if (n > (physical ? (size_t)STR_MAX : (size_t)KB_KEYS_MAX))
    return perr(p, "key string too long (at most %d keys)", physical ? STR_MAX : KB_KEYS_MAX);
  for (size_t i = 0; i < n; i++) {
    if (str[i] == '@' && !physical) continue;
    if (kb_keys_code(str[i]) == 0xFF) return perr(p, "'%c' is not a key", str[i]);
  }
  return 0;
}

static int parse_action(perr_t *p, kb_scenario_t *s, char **t, const uint8_t *q, int n,
                        uint64_t at) {
  act_t a;
  unsigned long v;
  memset(&a, 0, sizeof a);
  a.t = at;
  a.line = p->line;
  a.req = -1;
  if (n < 1) return perr(p, "'at' needs an action");
  if ((!strcmp(t[0], "open") || !strcmp(t[0], "close"))) {
    if (n != 3 || strcmp(t[1], "zone") || parse_uint(t[2], 1, KB_SIM_ZONES, &v))
      return perr(p, "expected: %s zone N (1-64)", t[0]);
    a.kind = t[0][0] == 'o' ? A_OPEN : A_CLOSE;
    a.n = (uint16_t)v;
  } else if (!strcmp(t[0], "tamper")) {
    int o = n == 4 ? parse_onoff(t[3], "on", "off") : -1;
    if (o < 0 || strcmp(t[1], "zone") || parse_uint(t[2], 1, KB_SIM_ZONES, &v))
      return perr(p, "expected: tamper zone N (1-64) on|off");
    a.kind = A_TAMPER;
    a.n = (uint16_t)v;
    a.on = (uint8_t)o;
  } else if (!strcmp(t[0], "vzone")) {
    static const char *const st[] = {"closed", "open", "tamper"};
    int o = n == 3 ? word_index(t[2], st, 3) : -1;
    if (o < 0 || parse_uint(t[1], 1, KB_SIM_ZONES, &v))
      return perr(p, "expected: vzone N (1-64) open|closed|tamper");
    a.kind = A_VZONE;
    a.n = (uint16_t)v;
    a.on = (uint8_t)o; /* kb_xpd_zone_t: closed 0, open 1, tamper 2 */
  } else if (!strcmp(t[0], "keys") || !strcmp(t[0], "keypad")) {
    int phys = !strcmp(t[0], "keypad");
    if (phys && n == 4 && !q[3] && !strcmp(t[3], "human")) {
      a.human = 1;
      n = 3;
    }
    if (!(n == 3 || (!phys && n == 5)) || !q[2] || parse_uint(t[1], 1, 8, &v))
      return perr(p, phys ? "expected: keypad P \"KEYS\" [human]" : "expected: keys P \"KEYS\" [code DIGITS]");
    if (check_keys(p, t[2], phys)) return -1;
    a.kind = phys ? A_KEYPAD : A_KEYS;
    a.part = (uint8_t)v;
    snprintf(a.s, sizeof a.s, "%s", t[2]);
    if (n == 5) {
      if (strcmp(t[3], "code") || parse_code(t[4], a.code, 0))
        return perr(p, "expected: code DIGITS (4 or 6 digits)");
    }
    if (!phys) a.req = s->nreq++;
  } else if (!strcmp(t[0], "ac") || !strcmp(t[0], "battery")) {
    int o = n == 2 ? (t[0][0] == 'a' ? parse_onoff(t[1], "on", "off") : parse_onoff(t[1], "ok", "low")) : -1;
    if (o < 0) return perr(p, t[0][0] == 'a' ? "expected: ac on|off" : "expected: battery ok|low");
    a.kind = t[0][0] == 'a' ? A_AC : A_BATTERY;
    a.on = (uint8_t)o;
  } else if (!strcmp(t[0], "cut")) {
    if ((n != 3 && n != 4) || strcmp(t[1], "bus") || parse_time(t[2], &a.dur) || !a.dur ||
        (n == 4 && strcmp(t[3], "low")))
      return perr(p, "expected: cut bus DURATION [low]");
    a.kind = A_CUT;
    a.on = n == 4;
  } else if (!strcmp(t[0], "set")) {
    if ((n != 6 && n != 8) || strcmp(t[1], "time") || strcmp(t[4], "code") ||
        (n == 8 && strcmp(t[6], "partition")))
      return perr(p, "expected: set time YYYY-MM-DD HH:MM code DIGITS [partition P]");
    if (parse_datetime(t[2], t[3], &a.tm)) return perr(p, "bad date/time (YYYY-MM-DD HH:MM, 2000-2099)");
    if (parse_code(t[5], a.code, 0)) return perr(p, "bad code (4 or 6 digits)");
    a.part = 1;
    if (n == 8) {
      if (parse_uint(t[7], 1, 8, &v)) return perr(p, "bad partition '%s'", t[7]);
      a.part = (uint8_t)v;
    }
    a.kind = A_SETTIME;
    a.req = s->nreq++;
  } else {
    return perr(p, "unknown action '%s'", t[0]);
  }
  if (push_act(s, &a)) return perr(p, "out of memory");
  return 0;
}

/* ------------------------------------------------------------ expectations */

static int parse_cond(perr_t *p, kb_scenario_t *s, char **t, int n, expect_t *e, int last_req) {
  unsigned long v;
  int i;
  const char *k = n > 0 ? t[0] : "";
  e->c = -1;
  e->user = e->pev_kind = e->pev_num = e->pev_part = e->reason = e->attempts = -1;
  if (!strcmp(k, "partition") && n >= 3 && !strcmp(t[2], "light")) {
    int o = 1;
    if (n < 4 || n > 5 || parse_uint(t[1], 1, 8, &v) || (i = word_index(t[3], light_words, 8)) < 0 ||
        (n == 5 && (o = parse_onoff(t[4], "on", "off")) < 0))
      return perr(p, "expected: partition 1-8 light "
                     "ready|armed|memory|bypass|trouble|program|fire|backlight [on|off]");
    e->kind = C_LIGHT;
    e->a = (int)v;
    e->b = i;
    e->c = o;
  } else if (!strcmp(k, "partition") || !strcmp(k, "zone")) {
    int part = k[0] == 'p';
    int at = 2;
    if (n < 3 || parse_uint(t[1], 1, part ? 8 : 64, &v))
      return perr(p, part ? "expected: partition 1-8 [not] STATE" : "expected: zone 1-64 [not] STATE");
    e->kind = part ? C_PART : C_ZONE;
    e->a = (int)v;
    if (!strcmp(t[2], "not")) {
      e->not_ = 1;
      at = 3;
    }
    if (at >= n) return perr(p, "missing state");
    i = part ? word_index(t[at], part_words, 13) : word_index(t[at], zone_words, 5);
    if (i < 0) return perr(p, "unknown %s state '%s'", k, t[at]);
    e->b = i;
    if (part && i == P_STATUS) {
      if (at + 2 != n || parse_hex_byte(t[at + 1], &e->c)) return perr(p, "expected: status 0xNN");
    } else if (at + 1 != n) {
      return perr(p, "unexpected '%s'", t[at + 1]);
    }
  } else if (!strcmp(k, "trouble") || !strcmp(k, "ac_power") || !strcmp(k, "battery")) {
    int o = n == 2 ? (k[0] == 'b' ? parse_onoff(t[1], "ok", "low") : parse_onoff(t[1], "on", "off")) : -1;
    if (o < 0) return perr(p, k[0] == 'b' ? "expected: battery ok|low" : "expected: %s on|off", k);
    e->kind = k[0] == 't' ? C_TROUBLE : k[0] == 'a' ? C_AC : C_BATTERY;
    e->a = o;
  } else if (!strcmp(k, "pgm")) {
    int o;
    if (n != 3 || parse_uint(t[1], 1, 14, &v) || (o = parse_onoff(t[2], "on", "off")) < 0)
      return perr(p, "expected: pgm 1-14 on|off");
    e->kind = C_PGM;
    e->a = (int)v;
    e->b = o;
  } else if (!strcmp(k, "keypad_alarm")) {
    static const char *const ak[] = {"fire", "aux", "panic"};
    int o = 1;
    if (n < 2 || n > 3 || (i = word_index(t[1], ak, 3)) < 0 ||
        (n == 3 && (o = parse_onoff(t[2], "on", "off")) < 0))
      return perr(p, "expected: keypad_alarm fire|aux|panic [on|off]");
    e->kind = C_KALARM;
    e->a = i;
    e->b = o;
  } else if (!strcmp(k, "time")) {
    if (n != 3 || parse_datetime(t[1], t[2], &e->tm)) return perr(p, "expected: time YYYY-MM-DD HH:MM");
    e->kind = C_TIME;
  } else if (!strcmp(k, "keybus")) {
    int o;
    if (n != 2 || (o = parse_onoff(t[1], "connected", "disconnected")) < 0)
      return perr(p, "expected: keybus connected|disconnected");
    e->kind = C_KEYBUS;
    e->a = o;
  } else if (!strcmp(k, "synced")) {
    if (n != 1) return perr(p, "expected: synced");
    e->kind = C_SYNCED;
  } else if (!strcmp(k, "panel")) {
    int o;
    if (n != 2 || (o = parse_onoff(t[1], "early", "later")) < 0) return perr(p, "expected: panel early|later");
    e->kind = C_GEN;
    e->a = o;
  } else if (!strcmp(k, "result")) {
    int at = 3;
    if (n < 3) return perr(p, "expected: result last|N RESULT [status 0xNN]");
    if (!strcmp(t[1], "last")) {
      if (last_req < 0) return perr(p, "'result last': no key request before this line");
      e->a = last_req;
    } else if (parse_uint(t[1], 1, (unsigned long)(s->nreq > 0 ? s->nreq : 1), &v) || s->nreq == 0) {
      return perr(p, "bad request number '%s' (1-%d, in file order)", t[1], s->nreq);
    } else {
      e->a = (int)v - 1;
    }
    if (!strcmp(t[2], "refused")) i = RES_REFUSED;
    else if ((i = word_index(t[2], result_words, N_RESULT_WORDS)) < 0)
      return perr(p, "unknown result '%s'", t[2]);
    e->b = i;
    while (at < n) { /* [status 0xNN] [reason R] [attempts K], any order */
      if (at + 1 >= n) return perr(p, "'%s' needs a value", t[at]);
      if (!strcmp(t[at], "status") && e->c < 0) {
        if (i != KB_KEYS_REJECTED) return perr(p, "'status' goes with the result 'rejected'");
        if (parse_hex_byte(t[at + 1], &e->c)) return perr(p, "expected: status 0xNN");
      } else if (!strcmp(t[at], "reason") && e->reason < 0) {
        if (i != KB_KEYS_INVALID) return perr(p, "'reason' goes with the result 'invalid'");
        if ((e->reason = word_index(t[at + 1], reason_words, KB_KEYS_REASON_CODE_LENGTH + 1)) < 0)
          return perr(p, "expected: reason early|disabled|code_length");
      } else if (!strcmp(t[at], "attempts") && e->attempts < 0) {
        if (parse_uint(t[at + 1], 1, 255, &v)) return perr(p, "bad attempts '%s' (1-255)", t[at + 1]);
        e->attempts = (int)v;
      } else {
        return perr(p, "unexpected '%s'", t[at]);
      }
      at += 2;
    }
    e->kind = C_RESULT;
  } else if (!strcmp(k, "event")) {
    int ty, at = 2;
    ev_num_t nk;
    if (n < 2 || (ty = word_index(t[1], ev_words, KB_EV_COUNT)) < 0)
      return perr(p, "expected: event TYPE [N] [on|off]");
    e->kind = C_EVENT;
    e->a = ty;
    e->b = -1;
    nk = ev_num_kind(ty);
    if (ty == KB_EV_PANEL_EVENT && at < n && (i = pev_kind_index(t[at])) >= 0) {
      /* event panel_event KIND [N] [partition P] */
      unsigned long hi = pev_num_max(i);
      e->pev_kind = i;
      at++;
      if (at < n && isdigit((unsigned char)t[at][0])) {
        if (!hi) return perr(p, "a %s event carries no number", t[at - 1]);
        if (parse_uint(t[at], 1, hi, &v))
          return perr(p, "bad %s number '%s' (1-%lu)", kb_pev_number_label((kb_pev_kind_t)i), t[at], hi);
        e->pev_num = (int)v;
        at++;
      }
      if (at < n && !strcmp(t[at], "partition")) {
        if (at + 1 >= n || parse_uint(t[at + 1], 1, 8, &v))
          return perr(p, "expected: partition 1-8");
        e->pev_part = (int)v;
        at += 2;
      }
    } else if (at < n && strcmp(t[at], "on") && strcmp(t[at], "off") && strcmp(t[at], "user")) {
      static const char *const ak[] = {"fire", "aux", "panic"};
      unsigned long lo = 0, hi = 0;
      const char *what = "";
      switch (nk) {
        case EN_NONE: return perr(p, "a %s event carries no number", t[1]);
        case EN_PART: lo = 1, hi = 8, what = "partition"; break;
        case EN_ZONE: lo = 1, hi = KB_SIM_ZONES, what = "zone"; break;
        case EN_PGM: lo = 1, hi = 14, what = "PGM"; break;
        case EN_KALARM: lo = 1, hi = 3, what = "keypad alarm (fire|aux|panic or 1-3)"; break;
        case EN_CMD: lo = 0, hi = 255, what = "command"; break;
        case EN_BUF: lo = 0, hi = 1023, what = "event-buffer entry (or 'live'; or a panel event kind)"; break;
        case EN_BYTE: lo = 0, hi = 255, what = "value"; break;
        case EN_BOOL: lo = 0, hi = 1, what = "value"; break;
      }
      if (nk == EN_KALARM && (i = word_index(t[at], ak, 3)) >= 0) e->b = i + 1;
      else if (nk == EN_BUF && (!strcmp(t[at], "live") || !strcmp(t[at], "65535"))) e->b = 0xFFFF;
      else if (parse_uint(t[at], lo, hi, &v)) return perr(p, "bad %s '%s' (%lu-%lu)", what, t[at], lo, hi);
      else e->b = (int)v;
      at++;
    }
    if (ty == KB_EV_ACCESS_CODE && at < n && !strcmp(t[at], "user")) {
      /* event access_code [P] user N: the code number (kb_pev.h numbering) */
      if (at + 1 >= n || parse_uint(t[at + 1], 1, 95, &v)) return perr(p, "expected: user 1-95");
      e->user = (int)v;
      at += 2;
    }
    if (at < n && (!strcmp(t[at], "on") || !strcmp(t[at], "off"))) {
      if (!ev_has_on(ty)) return perr(p, "a %s event has no on|off", t[1]);
      e->c = t[at][1] == 'n';
      at++;
    }
    if (at != n) return perr(p, "unexpected '%s'", t[at]);
  } else {
    return perr(p, "unknown expectation '%s'", k);
  }
  return 0;
}

#define NO_BASE UINT64_MAX
#define REPEAT_MAX_LINES 200000u /* statements `repeat` blocks may expand to (memory) */

/* Parser state across lines. Inside a `repeat` block (base != NO_BASE) the
 * times are relative to the repetition's start: `+T`. */
typedef struct {
  kb_scenario_t *s;
  perr_t *p;
  uint64_t since, tmax, base;
  int last_req, configured, have_end;
  unsigned rep, nrep;        /* repetition being expanded (1-based), of nrep */
  unsigned long rep_n;       /* `repeat` line just read: count, */
  uint64_t rep_every, rep_from; /* period and start */
} pstate_t;

/* A time of an `at`/`expect` line: absolute outside a block, `+T` inside. */
static int ptime(const pstate_t *st, const char *str, uint64_t *out) {
  if (st->base == NO_BASE) return parse_time(str, out);
  if (str[0] != '+' || parse_time(str + 1, out) || *out > MAX_TIME_US - st->base) return -1;
  *out += st->base;
  return 0;
}

static int parse_expect(perr_t *p, kb_scenario_t *s, char **t, int n, const pstate_t *st,
                        const char *text) {
  uint64_t since = st->since;
  int last_req = st->last_req;
  expect_t e;
  int start = 0;
  memset(&e, 0, sizeof e);
  e.line = p->line;
  if (n > 0 && !strcmp(t[0], "no")) {
    e.neg = 1;
    start = 1;
  }
  if (n >= 3 && !strcmp(t[n - 3], "between")) {
    if (ptime(st, t[n - 2], &e.t1) || ptime(st, t[n - 1], &e.t2) || e.t2 < e.t1)
      return perr(p, st->base == NO_BASE ? "expected: between T1 T2 (T1 <= T2, e.g. 10s 20s)"
                                         : "expected: between +T1 +T2 (times in 'repeat' are relative)");
    e.when = W_BETWEEN;
    n -= 3;
  } else if (n >= 2 && (!strcmp(t[n - 2], "by") || !strcmp(t[n - 2], "at"))) {
    uint64_t x;
    if (ptime(st, t[n - 1], &x))
      return perr(p, st->base == NO_BASE ? "bad time '%s' (e.g. 2s, 1.5s, 500ms)"
                                         : "bad time '%s' (times in 'repeat' are relative: +2s)", t[n - 1]);
    if (t[n - 2][0] == 'b') {
      if (x < since) return perr(p, "'by' time is before the last action above it");
      e.when = W_BY;
      e.t1 = since;
      e.t2 = x;
    } else {
      e.when = W_AT;
      e.t1 = e.t2 = x;
    }
    n -= 2;
  } else {
    return perr(p, "an expectation ends with 'by T', 'at T' or 'between T1 T2'");
  }
  if (parse_cond(p, s, t + start, n - start, &e, last_req)) return -1;
  if (e.kind == C_EVENT && e.when == W_AT) return perr(p, "an event expectation needs 'by' or 'between'");
  e.text = malloc(strlen(text) + 1);
  if (!e.text) return perr(p, "out of memory");
  strcpy(e.text, text);
  if (push_exp(s, &e)) {
    free(e.text);
    return perr(p, "out of memory");
  }
  return 0;
}

/* issue 11, `panel classic`: key requests need the Classic virtual keypad
 * in kb_keys (not yet), the Classic wire has no cut yet; the panel has
 * zones 1-8 and partition 1. */
static void classic_limits(perr_t *p, const kb_scenario_t *s) {
  if (s->cfg.expanders) perr(p, "panel classic: no zone expanders on the Classic bus");
  for (size_t i = 0; i < s->nact && !p->failed; i++) {
    const act_t *a = &s->act[i];
    p->line = a->line;
    if (a->kind == A_SETTIME)
      perr(p, "panel classic: set time is not available (the Classic has no clock)");
    else if (a->kind == A_VZONE)
      perr(p, "panel classic: no zone expanders on the Classic bus");
    else if (a->kind == A_CUT)
      perr(p, "panel classic: cut bus is not available yet");
    else if ((a->kind == A_OPEN || a->kind == A_CLOSE || a->kind == A_TAMPER) && a->n > 8)
      perr(p, "panel classic: zones 1-8");
    else if (a->kind == A_KEYPAD && a->part != 1)
      perr(p, "panel classic: partition 1 only");
  }
}

/* An early-generation panel has partitions 1-2 and zones 1-32: a condition
 * or a zone/keypad action beyond them could never hold or act (key requests
 * are left alone: the engine refusing them is a case worth testing). */
static void early_limits(perr_t *p, const kb_scenario_t *s) {
  static const char msg_p[] = "an early panel has partitions 1-2", msg_z[] = "an early panel has zones 1-32";
  for (size_t i = 0; i < s->nact && !p->failed; i++) {
    const act_t *a = &s->act[i];
    p->line = a->line;
    if ((a->kind == A_OPEN || a->kind == A_CLOSE || a->kind == A_TAMPER || a->kind == A_VZONE) &&
        a->n > 32)
      perr(p, "%s", msg_z);
    if (a->kind == A_KEYPAD && a->part > 2) perr(p, "%s", msg_p);
  }
  for (size_t i = 0; i < s->nexp && !p->failed; i++) {
    const expect_t *e = &s->exp[i];
    p->line = e->line;
    if ((e->kind == C_PART || e->kind == C_LIGHT) && e->a > 2) perr(p, "%s", msg_p);
    if (e->kind == C_ZONE && e->a > 32) perr(p, "%s", msg_z);
    if (e->kind == C_EVENT) {
      ev_num_t nk = ev_num_kind(e->a);
      if (nk == EN_PART && e->b > 2) perr(p, "%s", msg_p);
      if (nk == EN_ZONE && e->b > 32) perr(p, "%s", msg_z);
      if (e->pev_part > 2) perr(p, "%s", msg_p);
      if (e->pev_num > 32 && !strcmp(kb_pev_number_label((kb_pev_kind_t)e->pev_kind), "zone")) perr(p, "%s", msg_z);
    }
  }
}

static void rt_free(rt_t *r) {
  if (!r) return;
  free(r->req_id);
  free(r->req_act);
  free(r->req_end);
  free(r->ev);
  free(r->by_t1);
  free(r->by_t2);
  free(r->open);
  free(r);
}

void kb_scenario_free(kb_scenario_t *s) {
  if (!s) return;
  for (size_t i = 0; i < s->nexp; i++) free(s->exp[i].text);
  free(s->exp);
  free(s->act);
  free(s->name);
  rt_free(s->rt);
  free(s);
}

/* ------------------------------------------------------------ the file */

enum { LINE_OK = 0, LINE_ERR = -1, LINE_REPEAT = 1, LINE_END_REPEAT = 2 };

/* One line (modified in place). */
static int parse_line(pstate_t *st, char *line) {
  perr_t *p = st->p;
  kb_scenario_t *s = st->s;
  char *tok[MAX_TOK], copy[512];
  uint8_t q[MAX_TOK];
  int n;
  bool inblock = st->base != NO_BASE;
  { /* the line as echoed in messages: without its indentation and comment */
    const char *w = line;
    while (*w == ' ' || *w == '\t') w++;
    snprintf(copy, sizeof copy, "%s", w);
  }
  {
    size_t cl;
    int inq = 0;
    for (char *c = copy; *c; c++) {
      if (*c == '"') inq = !inq;
      if (*c == '#' && !inq) {
        *c = '\0';
        break;
      }
    }
    cl = strlen(copy);
    while (cl && (copy[cl - 1] == '\r' || copy[cl - 1] == ' ' || copy[cl - 1] == '\t')) copy[--cl] = '\0';
    if (inblock && cl + 40 < sizeof copy)
      snprintf(copy + cl, sizeof copy - cl, " [repeat %u of %u]", st->rep, st->nrep);
  }
  n = tokenize(p, line, tok, q);
  if (n < 0) return LINE_ERR;
  if (n == 0) return LINE_OK;
  if (!strcmp(tok[0], "at")) {
    uint64_t at;
    if (n < 3 || ptime(st, tok[1], &at))
      return perr(p, inblock ? "expected: at +TIME ACTION (times in 'repeat' are relative, e.g. at +2s open zone 3)"
                             : "expected: at TIME ACTION (e.g. at 2s open zone 3)");
    if (st->have_end && at > s->end) return perr(p, "action after 'end'");
    if (parse_action(p, s, tok + 2, q + 2, n - 2, at)) return LINE_ERR;
    st->since = at;
    if (at > st->tmax) st->tmax = at;
    if (s->act[s->nact - 1].req >= 0) st->last_req = s->act[s->nact - 1].req;
    if (s->act[s->nact - 1].kind == A_CUT && at + s->act[s->nact - 1].dur > st->tmax)
      st->tmax = at + s->act[s->nact - 1].dur;
  } else if (!strcmp(tok[0], "expect")) {
    if (parse_expect(p, s, tok + 1, n - 1, st, copy)) return LINE_ERR;
    if (s->exp[s->nexp - 1].t2 > st->tmax) st->tmax = s->exp[s->nexp - 1].t2;
  } else if (!strcmp(tok[0], "repeat")) {
    /* repeat N every D from T */
    if (inblock) return perr(p, "'repeat' inside 'repeat'");
    if (n != 6 || strcmp(tok[2], "every") || strcmp(tok[4], "from") || parse_uint(tok[1], 1, 100000, &st->rep_n) ||
        parse_time(tok[3], &st->rep_every) || !st->rep_every || parse_time(tok[5], &st->rep_from))
      return perr(p, "expected: repeat N every PERIOD from TIME (N 1-100000, e.g. repeat 50 every 30s from 10s)");
    if (st->rep_from + (st->rep_n - 1u) * st->rep_every > MAX_TIME_US)
      return perr(p, "the last repetition would start after a day");
    return LINE_REPEAT;
  } else if (!strcmp(tok[0], "end") && n == 2 && !strcmp(tok[1], "repeat")) {
    if (!inblock) return perr(p, "'end repeat' without 'repeat'");
    return LINE_END_REPEAT;
  } else if (inblock) {
    return perr(p, "only 'at' and 'expect' lines go inside 'repeat'");
  } else if (!strcmp(tok[0], "end")) {
    if (n != 2 || parse_time(tok[1], &s->end) || !s->end) return perr(p, "expected: end TIME (e.g. end 60s)");
    if (st->have_end) return perr(p, "a second 'end'");
    st->have_end = 1;
  } else {
    if (parse_config(p, s, tok, q, n, &st->configured)) return LINE_ERR;
  }
  return LINE_OK;
}

typedef struct {
  char *text;
  int line;
} bline_t;

/* Expands a `repeat` block: its lines once per repetition, times relative
 * to the repetition's start, `by` windows of a repetition's first lines
 * opening at that start. Messages name the block's own lines. */
static int expand(pstate_t *st, const bline_t *b, size_t nb, size_t *budget) {
  int rc = 0;
  if (nb && st->rep_n > *budget / nb) return perr(st->p, "'repeat' expands to too many lines");
  *budget -= nb * st->rep_n;
  st->nrep = (unsigned)st->rep_n;
  for (unsigned long i = 0; i < st->rep_n && !rc; i++) {
    st->rep = (unsigned)i + 1u;
    st->base = st->rep_from + i * st->rep_every;
    st->since = st->base;
    for (size_t j = 0; j < nb && !rc; j++) {
      char *dup = malloc(strlen(b[j].text) + 1);
      if (!dup) return perr(st->p, "out of memory");
      strcpy(dup, b[j].text);
      st->p->line = b[j].line;
      rc = parse_line(st, dup) == LINE_ERR ? -1 : 0;
      free(dup);
    }
  }
  st->base = NO_BASE;
  return rc;
}

int kb_scenario_parse(kb_scenario_t **out, const char *text, size_t len, const char *name,
                      char *err, size_t errn) {
  kb_scenario_t *s;
  perr_t p;
  pstate_t st;
  char *buf, *line, *next;
  bline_t *blk = NULL;
  size_t nblk = 0, capblk = 0, budget = REPEAT_MAX_LINES;
  int inblock = 0, rep_line = 0;
  *out = NULL;
  if (errn) err[0] = '\0';
  memset(&p, 0, sizeof p);
  p.name = name ? name : "scenario";
  p.err = err;
  p.n = errn;
  s = calloc(1, sizeof *s);
  buf = malloc(len + 1);
  if (!s || !buf || !(s->name = malloc(strlen(p.name) + 1))) {
    free(buf);
    kb_scenario_free(s);
    perr(&p, "out of memory");
    return KB_SCN_MALFORMED;
  }
  strcpy(s->name, p.name);
  {
    const char *z = memchr(text, '\0', len);
    if (z) {
      p.line = 1;
      for (const char *c = text; c < z; c++) p.line += *c == '\n';
      free(buf);
      kb_scenario_free(s);
      perr(&p, "NUL byte in the line");
      return KB_SCN_MALFORMED;
    }
  }
  memcpy(buf, text, len);
  buf[len] = '\0';
  kb_sim_cfg_default(&s->cfg, 1);
  kb_wire_cfg_default(&s->wcfg);
  s->keypad_lag = 120;
  memset(&st, 0, sizeof st);
  st.s = s;
  st.p = &p;
  st.base = NO_BASE;
  st.last_req = -1;
  for (line = buf; line && !p.failed; line = next) {
    int rc;
    next = strchr(line, '\n');
    if (next) *next++ = '\0';
    p.line++;
    if (inblock) {
      /* a block line is kept raw and parsed once per repetition; only its
       * end is recognised now */
      char tmp[32];
      const char *w = line;
      while (*w == ' ' || *w == '\t') w++;
      snprintf(tmp, sizeof tmp, "%s", w);
      if (!strncmp(tmp, "end", 3) && (tmp[3] == ' ' || tmp[3] == '\t')) {
        char *dup = malloc(strlen(line) + 1);
        if (!dup) {
          perr(&p, "out of memory");
          break;
        }
        strcpy(dup, line);
        st.base = 0; /* parse as a block line */
        rc = parse_line(&st, dup);
        st.base = NO_BASE;
        free(dup);
        if (rc == LINE_ERR) break;
        if (rc == LINE_END_REPEAT) {
          int here = p.line;
          inblock = 0;
          if (expand(&st, blk, nblk, &budget)) break;
          p.line = here;
          for (size_t i = 0; i < nblk; i++) free(blk[i].text);
          nblk = 0;
          continue;
        }
      }
      if (nblk == capblk) {
        size_t cap = capblk ? capblk * 2 : 16;
        bline_t *v = realloc(blk, cap * sizeof *v);
        if (!v) {
          perr(&p, "out of memory");
          break;
        }
        blk = v;
        capblk = cap;
      }
      blk[nblk].text = malloc(strlen(line) + 1);
      if (!blk[nblk].text) {
        perr(&p, "out of memory");
        break;
      }
      strcpy(blk[nblk].text, line);
      blk[nblk++].line = p.line;
      continue;
    }
    rc = parse_line(&st, line);
    if (rc == LINE_ERR) break;
    if (rc == LINE_REPEAT) {
      inblock = 1;
      rep_line = p.line;
    }
  }
  for (size_t i = 0; i < nblk; i++) free(blk[i].text);
  free(blk);
  free(buf);
  if (!p.failed && inblock) {
    p.line = rep_line;
    perr(&p, "'repeat' without 'end repeat'");
  }
  if (!p.failed) {
    /* every expectation must be judgeable within the run */
    if (!st.have_end) s->end = st.tmax + 1000000u;
    for (size_t i = 0; i < s->nexp; i++)
      if (s->exp[i].t2 > s->end) {
        p.line = s->exp[i].line;
        perr(&p, "expectation time is after 'end'");
        break;
      }
    for (size_t i = 0; i < s->nact && !p.failed; i++)
      if (s->act[i].t > s->end) {
        p.line = s->act[i].line;
        perr(&p, "action after 'end'");
      }
    if (!p.failed && !s->cfg.later_gen) early_limits(&p, s);
    for (size_t i = 0; i < s->nact && !p.failed; i++) /* a virtual zone needs its expander */
      if (s->act[i].kind == A_VZONE && !((s->cfg.expanders >> ((s->act[i].n - 1u) / 8u)) & 1u)) {
        p.line = s->act[i].line;
        perr(&p, "vzone %u: no 'expander %u' line", s->act[i].n, (s->act[i].n - 1u) / 8u);
      }
    if (!p.failed && s->classic) classic_limits(&p, s); /* issue 11 */
  }
  if (p.failed) {
    kb_scenario_free(s);
    return KB_SCN_MALFORMED;
  }
  *out = s;
  return KB_SCN_OK;
}

int kb_scenario_load(kb_scenario_t **out, const char *path, char *err, size_t n) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t len = 0, cap = 0;
  int rc;
  *out = NULL;
  if (!f) {
    if (n) snprintf(err, n, "%s: cannot read: %s", path, strerror(errno));
    return KB_SCN_UNREADABLE;
  }
  for (;;) {
    size_t got;
    if (len == cap) {
      char *b;
      if (cap >= ((size_t)16 << 20)) {
        if (n) snprintf(err, n, "%s: file too large", path);
        free(buf);
        fclose(f);
        return KB_SCN_UNREADABLE;
      }
      cap = cap ? cap * 2 : 4096;
      b = realloc(buf, cap);
      if (!b) {
        free(buf);
        fclose(f);
        if (n) snprintf(err, n, "%s: out of memory", path);
        return KB_SCN_UNREADABLE;
      }
      buf = b;
    }
    got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    if (n) snprintf(err, n, "%s: cannot read: %s", path, strerror(errno));
    free(buf);
    fclose(f);
    return KB_SCN_UNREADABLE;
  }
  fclose(f);
  rc = kb_scenario_parse(out, buf ? buf : "", len, path, err, n);
  free(buf);
  return rc;
}

/* ------------------------------------------------------------ running */

static void say(rt_t *r, bool always, const char *fmt, ...) {
  va_list ap;
  FILE *f = r->o->out;
  if (!f || (r->o->quiet && !always)) return;
  fprintf(f, "%9.3f  ", (double)r->now / 1e6);
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  fputc('\n', f);
  fflush(f);
}

/* A request's keys as printed: digits masked unless the caller asked to see
 * them (a disarm is digits whichever way it was sent). */
static const char *shown_keys(const rt_t *r, const char *in, char *out, size_t n) {
  if (r->o->show_keys) {
    snprintf(out, n, "%s", in);
    return out;
  }
  return mask_digits(in, out, n);
}

/* The scenario's view of an event: `on` the state of the types that carry
 * one, `value` and `number` what `expect event` compares (see ev_match()). */
static void ev_record(const kb_event_t *ev, ev_rec_t *x) {
  x->type = ev->type;
  x->partition = ev->partition;
  x->on = 0;
  x->value = 0;
  x->number = 0;
  x->pev_kind = x->pev_num = x->parts = 0;
  switch (ev->type) {
    case KB_EV_SYNCED: x->on = 1; x->value = ev->synced.early; break;
    case KB_EV_PARTITION: break;
    case KB_EV_ARMED: x->on = ev->armed.on; x->value = ev->armed.mode; break;
    case KB_EV_EXIT_DELAY: x->on = ev->exit_delay.on; x->value = ev->exit_delay.target; break;
    case KB_EV_ACCESS_CODE:
      x->on = 1;
      x->value = ev->access.user;
      x->pev_kind = ev->access.pev.kind;
      x->pev_num = ev->access.pev.number;
      x->parts = ev->access.parts;
      break;
    case KB_EV_ZONE_OPEN:
    case KB_EV_ZONE_ALARM:
    case KB_EV_ZONE_TAMPER:
    case KB_EV_ZONE_BYPASS: x->on = ev->zone.on; x->number = ev->zone.zone; break;
    case KB_EV_PGM: x->on = ev->pgm.on; x->number = ev->pgm.output; break;
    case KB_EV_KEYPAD_ALARM: x->on = ev->keypad_alarm.on; x->value = ev->keypad_alarm.key; break;
    case KB_EV_TIME: x->on = 0; break;
    case KB_EV_VERSION: x->on = 1; x->value = ev->version.version; break;
    case KB_EV_CODE_DIGITS: x->on = 1; x->value = ev->code_digits.digits; break;
    case KB_EV_PANEL_EVENT:
      x->value = ev->panel.cmd;
      x->number = ev->panel.number;
      x->pev_kind = ev->panel.pev.kind;
      x->pev_num = ev->panel.pev.number;
      x->parts = ev->panel.parts;
      break;
    case KB_EV_KEY: x->on = 1; x->value = ev->key.code; x->number = ev->key.cmd; break;
    case KB_EV_FRAME_ERROR: x->value = ev->frame_error.check; x->number = ev->frame_error.cmd; break;
    case KB_EV_NOISE: x->value = ev->noise.byte; x->number = ev->noise.cmd; break;
    case KB_EV_BEEP:
    case KB_EV_TONE: x->value = ev->sound.beeps; break;
    case KB_EV_BUZZER: x->value = ev->sound.seconds; break;
    case KB_EV_PANEL_FLAG: x->on = ev->panel_flag.on; x->value = ev->panel_flag.flag; break;
    case KB_EV_MODULE:
      x->on = ev->module.on;
      x->value = ev->module.device;
      x->number = ev->module.number;
      break;
    default: x->on = ev->state.on; break; /* the `state` family */
  }
}

static void on_event(void *ctx, const kb_event_t *ev) {
  rt_t *r = ctx;
  char text[256];
  if (r->nev == r->capev) {
    size_t cap = r->capev ? r->capev * 2 : 256;
    ev_rec_t *v = realloc(r->ev, cap * sizeof *v);
    if (!v) {
      r->oom = 1;
      return;
    }
    r->ev = v;
    r->capev = cap;
  }
  {
    ev_rec_t *x = &r->ev[r->nev++];
    ev_record(ev, x);
    x->t = r->now;
  }
  if (!kb_text_event_is_change(ev)) return;
  kb_text_event(ev, text, sizeof text);
  say(r, false, "%s", text);
}

static const char *result_name(int res) {
  if (res == RES_REFUSED) return "refused";
  if (res >= 0 && res < N_RESULT_WORDS) return result_words[res];
  return "unknown";
}

static const char *reason_name(int reason) {
  return reason > 0 && reason <= KB_KEYS_REASON_CODE_LENGTH ? reason_words[reason] : "none";
}

/* The request (0-based) that kb_keys numbered id, -1 if none. Searched from
 * the last one made: the requests being typed are the recent ones. */
static int req_of_id(const rt_t *r, uint16_t id) {
  if (!id) return -1;
  for (int i = r->s->nreq - 1; i >= 0; i--)
    if (r->req_id[i] == id) return i;
  return -1;
}

static void on_keys(void *ctx, const kb_keys_note_t *nt) {
  rt_t *r = ctx;
  int req = req_of_id(r, nt->id);
  const act_t *a;
  req_end_t *x;
  char lab[STR_MAX + 64], shown[STR_MAX + 1], more[64];
  switch (nt->type) {
    case KB_KEYS_NOTE_CLEAR:
      if (req >= 0)
        say(r, false, "key request %d: typed # to clear the unfinished entry on partition %u", req + 1,
            nt->partition);
      else
        say(r, false, "virtual keypad: typed # to clear an unfinished entry on partition %u", nt->partition);
      return;
    case KB_KEYS_NOTE_RETRY:
      if (req >= 0) say(r, false, "key request %d: attempt %u", req + 1, nt->index);
      return;
    case KB_KEYS_NOTE_END:
      break;
    default:
      return;
  }
  if (req < 0) return;
  x = &r->req_end[req];
  x->ended = 1;
  x->result = nt->result;
  x->status = nt->status;
  x->reason = nt->reason;
  {
    kb_keys_info_t info;
    memset(&info, 0, sizeof info);
    /* kb_keys records the result before it sends the note */
    x->attempts = kb_keys_result(&r->bus.keys, nt->id, &info) == nt->result ? info.attempts : 0;
  }
  a = &r->s->act[r->req_act[req]];
  if (a->kind == A_KEYS)
    snprintf(lab, sizeof lab, "key request %d (partition %u \"%s\")", req + 1, a->part,
             shown_keys(r, a->s, shown, sizeof shown));
  else
    snprintf(lab, sizeof lab, "key request %d (partition %u, set time)", req + 1, a->part);
  more[0] = '\0';
  if (x->attempts > 1) snprintf(more, sizeof more, ", after %u attempts", x->attempts);
  if (nt->result == KB_KEYS_REJECTED)
    say(r, false, "%s: rejected, status 0x%02X %s%s", lab, nt->status,
        kb_text_status(nt->status) ? kb_text_status(nt->status) : "", more);
  else if (nt->result == KB_KEYS_INVALID && nt->reason)
    say(r, false, "%s: invalid, reason %s%s", lab, reason_name(nt->reason), more);
  else
    say(r, false, "%s: %s%s", lab, result_name(nt->result), more);
}

static void apply(rt_t *r, const act_t *a) {
  uint64_t now = r->now;
  char shown[STR_MAX + 1];
  switch (a->kind) {
    case A_OPEN:
    case A_CLOSE:
      say(r, false, "> %s zone %u", a->kind == A_OPEN ? "open" : "close", a->n);
      kb_sim_panel_zone(&r->panel, a->n, a->kind == A_OPEN, now);
      break;
    case A_TAMPER:
      say(r, false, "> tamper zone %u %s", a->n, a->on ? "on" : "off");
      kb_sim_panel_zone_tamper(&r->panel, a->n, a->on, now);
      break;
    case A_VZONE: {
      static const char *const st[] = {"closed", "open", "tamper"};
      kb_err_t err = kb_xpd_set_zone(&r->xpd, (uint8_t)a->n, (kb_xpd_zone_t)a->on);
      say(r, false, "> virtual zone %u %s", a->n, st[a->on % 3u]);
      if (err != KB_OK) say(r, true, "warning: virtual zone %u: %s", a->n, kb_err_name(err));
      break;
    }
    case A_AC:
      say(r, false, "> AC power %s", a->on ? "on" : "off");
      kb_sim_panel_ac(&r->panel, a->on, now);
      break;
    case A_BATTERY:
      say(r, false, "> battery %s", a->on ? "ok" : "low");
      kb_sim_panel_battery(&r->panel, a->on, now);
      break;
    case A_CUT:
      say(r, false, "> bus cut for %.3f s (clock held %s)", (double)a->dur / 1e6, a->on ? "low" : "high");
      if (!kb_wire_cut(&r->wire, now, a->dur, a->on)) say(r, true, "warning: too many cuts, ignored");
      break;
    case A_KEYPAD: {
      int *kp = &r->kp_of[a->part];
      say(r, false, "> keypad on partition %u types \"%s\"%s", a->part, shown_keys(r, a->s, shown, sizeof shown),
          a->human ? " at human speed" : "");
      if (*kp < 0) *kp = kb_wire_keypad_add(&r->wire, a->part, r->s->keypad_lag);
      if (*kp < 0) {
        say(r, true, "warning: no room for another keypad, keys ignored");
        break;
      }
      /* users' captures: 0.3-0.6 s between key presses */
      kb_wire_keypad_pace(&r->wire, *kp, a->human ? 300000u : 0u, a->human ? 600000u : 0u);
      for (const char *c = a->s; *c; c++) {
        uint8_t code = kb_keys_code(*c);
        int alarm = *c == 'f' || *c == 'F' || *c == 'a' || *c == 'A' || *c == 'p' || *c == 'P';
        if (!kb_wire_keypad_key(&r->wire, *kp, (uint16_t)(code | (alarm ? KB_WIRE_ALARM : 0u))))
          say(r, true, "warning: keypad queue full");
      }
      break;
    }
    case A_KEYS:
    case A_SETTIME: {
      uint16_t id = 0;
      kb_err_t err;
      if (a->kind == A_KEYS) {
        say(r, false, "> key request %d: partition %u \"%s\"%s", a->req + 1, a->part,
            shown_keys(r, a->s, shown, sizeof shown), a->code[0] ? " with a code" : "");
        if (r->s->classic) /* the Classic back end: kb_bus picks it by series */
          err = kb_bus_keys_submit(&r->bus, a->part, a->s, a->code[0] ? a->code : NULL, &id);
        else
          err = kb_keys_submit(&r->bus.keys, r->o->ignore_frames ? NULL : &r->bus.engine, a->part, a->s,
                               a->code[0] ? a->code : NULL, (uint32_t)now, &id);
      } else {
        say(r, false, "> key request %d: set time %04u-%02u-%02u %02u:%02u on partition %u", a->req + 1,
            a->tm.year, a->tm.month, a->tm.day, a->tm.hour, a->tm.minute, a->part);
        err = kb_keys_set_time(&r->bus.keys, &r->bus.engine, a->part, a->tm.year, a->tm.month, a->tm.day,
                               a->tm.hour, a->tm.minute, a->code, (uint32_t)now, &id);
      }
      if (err != KB_OK) {
        id = 0;
        say(r, false, "key request %d refused: %s", a->req + 1, keys_err_text(err));
      }
      r->req_id[a->req] = id;
      r->req_end[a->req].made = 1;
      break;
    }
    default:
      break;
  }
}

static bool bit_of(const uint8_t *m, int z) { return (m[(z - 1) / 8] >> ((z - 1) % 8)) & 1u; }

/* Formats the reason only when asked (why != NULL): the runner asks only
 * when it prints a result. */
#define WHY(...)                              \
  do {                                        \
    if (why) snprintf(why, n, __VA_ARGS__);   \
  } while (0)

/* The condition, read from the engine (never the panel model). */
static bool cond_now(rt_t *r, const expect_t *e, char *why, size_t n) {
  const kb_status_t *st = kb_bus_status(&r->bus);
  bool v = false;
  if (why) r->formats++;
  switch (e->kind) {
    case C_PART: {
      const kb_partition_t *pt = &st->part[e->a - 1];
      if (!st->synced || !pt->known) {
        WHY("partition %d: nothing decoded", e->a);
        return false;
      }
      switch (e->b) {
        case P_READY: v = pt->ready; break;
        case P_ARMED: v = pt->armed != KB_ARMED_NONE; break;
        case P_STAY: v = pt->armed == KB_ARMED_STAY; break;
        case P_AWAY: v = pt->armed == KB_ARMED_AWAY; break;
        case P_NIGHT: v = pt->armed != KB_ARMED_NONE && pt->no_entry_delay; break;
        case P_DISARMED: v = pt->armed == KB_ARMED_NONE && !pt->exit_delay; break;
        case P_EXIT: v = pt->exit_delay; break;
        case P_ENTRY: v = pt->entry_delay; break;
        case P_ALARM: v = pt->alarm; break;
        case P_FIRE: v = pt->fire; break;
        case P_NED: v = pt->no_entry_delay; break;
        case P_DISABLED: v = pt->disabled; break;
        case P_STATUS: v = pt->status == e->c; break;
        default: break;
      }
      WHY("partition %d: status 0x%02X%s%s, armed %s%s%s%s", e->a, pt->status,
          pt->ready ? ", ready" : ", not ready", pt->exit_delay ? ", exit delay" : "",
          pt->armed == KB_ARMED_AWAY ? "away" : pt->armed == KB_ARMED_STAY ? "stay" : "no",
          pt->entry_delay ? ", entry delay" : "", pt->alarm ? ", alarm" : "", pt->fire ? ", fire" : "");
      return (e->not_ ? !v : v);
    }
    case C_LIGHT: {
      const kb_partition_t *pt = &st->part[e->a - 1];
      if (!st->synced || !pt->known) {
        WHY("partition %d: nothing decoded", e->a);
        return false;
      }
      v = (pt->lights >> e->b) & 1u;
      if (why) {
        size_t k = (size_t)snprintf(why, n, "partition %d: lights 0x%02X", e->a, pt->lights);
        for (int i = 0; i < 8 && k < n; i++)
          if ((pt->lights >> i) & 1u) k += (size_t)snprintf(why + k, n - k, " %s", light_words[i]);
      }
      return v == (e->c != 0);
    }
    case C_ZONE:
      if (!st->synced) {
        WHY("nothing decoded");
        return false;
      }
      switch (e->b) {
        case Z_OPEN: v = bit_of(st->zones_open, e->a); break;
        case Z_CLOSED: v = !bit_of(st->zones_open, e->a); break;
        case Z_ALARM: v = bit_of(st->zones_alarm, e->a); break;
        case Z_TAMPER: v = bit_of(st->zones_tamper, e->a); break;
        case Z_BYPASS: v = bit_of(st->zones_bypass, e->a); break;
        default: break;
      }
      WHY("zone %d: %s%s%s%s", e->a, bit_of(st->zones_open, e->a) ? "open" : "closed",
          bit_of(st->zones_alarm, e->a) ? ", alarm" : "", bit_of(st->zones_tamper, e->a) ? ", tamper" : "",
          bit_of(st->zones_bypass, e->a) ? ", bypassed" : "");
      return e->not_ ? !v : v;
    case C_TROUBLE:
    case C_AC:
    case C_BATTERY: {
      uint8_t x = e->kind == C_TROUBLE ? st->trouble : e->kind == C_AC ? st->ac_power : st->battery_ok;
      WHY("%s", st->synced ? (x ? "on/ok" : "off/low") : "nothing decoded");
      return st->synced && (x != 0) == (e->a != 0);
    }
    case C_PGM: {
      bool on = (st->pgm >> (e->a - 1)) & 1u;
      WHY("pgm %d %s", e->a, st->synced ? (on ? "on" : "off") : "(nothing decoded)");
      return st->synced && on == (e->b != 0);
    }
    case C_KALARM:
      WHY("keypad alarm %s", st->keypad_alarm[e->a] ? "raised" : "not raised");
      return st->synced && (st->keypad_alarm[e->a] != 0) == (e->b != 0);
    case C_TIME:
      WHY("panel time %04u-%02u-%02u %02u:%02u%s", st->time.year, st->time.month, st->time.day,
          st->time.hour, st->time.minute, st->time.valid ? "" : " (not valid)");
      return st->synced && st->time.valid && st->time.year == e->tm.year && st->time.month == e->tm.month &&
             st->time.day == e->tm.day && st->time.hour == e->tm.hour && st->time.minute == e->tm.minute;
    case C_KEYBUS:
      WHY("keybus %s", st->connected ? "connected" : "disconnected");
      return (st->connected != 0) == (e->a != 0);
    case C_SYNCED:
      WHY("%s", st->synced ? "synced" : "not synced");
      return st->synced != 0;
    case C_GEN:
      /* a PowerSeries generation: a Classic panel is neither */
      WHY("%s", !st->synced                         ? "not synced"
                : st->series == KB_SERIES_CLASSIC ? "Classic series"
                : st->early                       ? "early generation"
                                                  : "later generation");
      return st->synced && st->series != KB_SERIES_CLASSIC && (st->early != 0) == (e->a != 0);
    case C_RESULT: {
      uint16_t id = r->req_id[e->a];
      const req_end_t *x = &r->req_end[e->a];
      int res, status = 0, reason = 0, attempts = 0;
      if (!x->made) {
        WHY("request %d not made yet", e->a + 1);
        return false;
      }
      if (!id) {
        res = RES_REFUSED;
      } else if (x->ended) {
        res = x->result;
        status = x->status;
        reason = x->reason;
        attempts = x->attempts;
      } else {
        kb_keys_info_t info;
        memset(&info, 0, sizeof info);
        res = (int)kb_bus_keys_result(&r->bus, id, &info);
        attempts = info.attempts;
      }
      if (why) {
        size_t k = (size_t)snprintf(why, n, "request %d: %s", e->a + 1, result_name(res));
        if (res == KB_KEYS_REJECTED && k < n) k += (size_t)snprintf(why + k, n - k, ", status 0x%02X", status);
        if (res == KB_KEYS_INVALID && k < n) k += (size_t)snprintf(why + k, n - k, ", reason %s", reason_name(reason));
        if (attempts && k < n) snprintf(why + k, n - k, ", %d attempt%s", attempts, attempts == 1 ? "" : "s");
      }
      return res == e->b && (e->c < 0 || status == e->c) && (e->reason < 0 || reason == e->reason) &&
             (e->attempts < 0 || attempts == e->attempts);
    }
    default:
      return false;
  }
}

static bool ev_match(const expect_t *e, const ev_rec_t *x) {
  int num;
  if (x->type != e->a) return false;
  if (e->c >= 0 && x->on != e->c) return false;
  if (e->user >= 0 && x->value != e->user) return false;
  if (e->pev_kind >= 0) {
    if (x->pev_kind != e->pev_kind) return false;
    if (e->pev_num >= 0 && x->pev_num != e->pev_num) return false;
    if (e->pev_part >= 0 && !((x->parts >> (e->pev_part - 1)) & 1u)) return false;
  }
  if (e->b < 0) return true;
  switch (x->type) {
    case KB_EV_ZONE_OPEN:
    case KB_EV_ZONE_ALARM:
    case KB_EV_ZONE_TAMPER:
    case KB_EV_ZONE_BYPASS:
    case KB_EV_PGM:
    case KB_EV_FRAME_ERROR:
    case KB_EV_PANEL_EVENT: num = x->number; break;
    case KB_EV_KEYPAD_ALARM:
    case KB_EV_VERSION:
    case KB_EV_SYNCED: num = x->value; break;
    case KB_EV_TROUBLE:
    case KB_EV_AC_POWER:
    case KB_EV_BATTERY:
    case KB_EV_CONNECTED:
    case KB_EV_TIME: num = -2; break;
    default: num = x->partition; break;
  }
  return num == e->b;
}

/* The first event the engine reported in [t1, t2] that matches, or NULL.
 * Events are recorded in time order: a binary search finds the window. */
static const ev_rec_t *find_event(const rt_t *r, const expect_t *e) {
  size_t lo = 0, hi = r->nev;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (r->ev[mid].t < e->t1) lo = mid + 1;
    else hi = mid;
  }
  for (; lo < r->nev && r->ev[lo].t <= e->t2; lo++)
    if (ev_match(e, &r->ev[lo])) return &r->ev[lo];
  return NULL;
}

/* `expect no ...` passes only when the engine had decoded something to
 * judge by: it must have synced. Conditions about the link, the start-up
 * gate itself and key requests do not need it. */
static bool needs_sync(const expect_t *e) {
  if (e->kind == C_KEYBUS || e->kind == C_SYNCED || e->kind == C_RESULT) return false;
  if (e->kind == C_EVENT && (e->a == KB_EV_SYNCED || e->a == KB_EV_CONNECTED)) return false;
  return true;
}

static void fail(rt_t *r, expect_t *e, const char *fmt, ...) {
  va_list ap;
  e->state = 2;
  va_start(ap, fmt);
  vsnprintf(e->why, sizeof e->why, fmt, ap);
  va_end(ap);
  if (r->o->out) {
    fprintf(r->o->out, "%s:%d: FAILED: %s (%s)\n", r->s->name, e->line, e->text, e->why);
    fflush(r->o->out);
  }
}

static void warn(rt_t *r, const expect_t *e, const char *fmt, ...) {
  va_list ap;
  r->warnings++;
  if (!r->o->out) return;
  fprintf(r->o->out, "%s:%d: warning: %s (", r->s->name, e->line, e->text);
  va_start(ap, fmt);
  vfprintf(r->o->out, fmt, ap);
  va_end(ap);
  fprintf(r->o->out, ")\n");
  fflush(r->o->out);
}

/* `no` passes at the end of its window [t1, t2] (clipped to the run) only
 * when the engine synced by then. */
static void pass_no(rt_t *r, expect_t *e) {
  uint64_t end = e->t2 < r->now ? e->t2 : r->now;
  if (needs_sync(e) && r->sync_t > end)
    fail(r, e, "the engine never synced by %.3fs: nothing decoded to judge by", (double)end / 1e6);
  else
    e->state = 1;
}

static void judge_event(rt_t *r, expect_t *e) {
  const ev_rec_t *hit = find_event(r, e);
  r->visits++;
  if (e->neg && hit)
    fail(r, e, "the engine reported it at %.3fs", (double)hit->t / 1e6);
  else if (!e->neg && !hit)
    fail(r, e, "the engine reported no such event between %.3fs and %.3fs", (double)e->t1 / 1e6,
         (double)e->t2 / 1e6);
  else if (e->neg)
    pass_no(r, e);
  else
    e->state = 1;
}

/* A state condition whose window is open (now >= t1). */
static void judge_state(rt_t *r, expect_t *e, bool final) {
  uint64_t now = r->now;
  char why[160];
  bool c;
  r->visits++;
  if (e->when == W_AT) {
    c = cond_now(r, e, NULL, 0);
    if (c != (bool)e->neg) {
      if (e->neg && needs_sync(e) && !kb_bus_status(&r->bus)->synced)
        fail(r, e, "at %.3fs the engine was not synced: nothing decoded to judge by", (double)now / 1e6);
      else
        e->state = 1;
    } else {
      (void)cond_now(r, e, why, sizeof why);
      fail(r, e, "at %.3fs: %s", (double)now / 1e6, why);
    }
    return;
  }
  if (now > e->t2) {
    if (e->neg) {
      pass_no(r, e);
    } else {
      (void)cond_now(r, e, why, sizeof why);
      fail(r, e, "not seen by %.3fs; at %.3fs: %s", (double)e->t2 / 1e6, (double)now / 1e6, why);
    }
    return;
  }
  c = cond_now(r, e, NULL, 0);
  if (c && !e->neg) {
    e->state = 1;
  } else if (c && e->neg) {
    (void)cond_now(r, e, why, sizeof why);
    fail(r, e, "seen at %.3fs: %s", (double)now / 1e6, why);
  } else if (final && !e->neg) {
    (void)cond_now(r, e, why, sizeof why);
    fail(r, e, "not seen; the run ended at %.3fs: %s", (double)now / 1e6, why);
  } else if (final) {
    pass_no(r, e);
  }
}

static int cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return x < y ? -1 : x > y;
}

/* Opens the state conditions whose window starts at this step, before the
 * step's actions are applied: a `by` condition that holds already then
 * cannot show the action's effect (a warning, not a failure). */
static void open_due(rt_t *r) {
  expect_t *x = r->s->exp;
  size_t nstate = r->s->nexp - r->nevx;
  bool added = false;
  while (r->next_t1 < nstate && x[r->by_t1[r->next_t1]].t1 <= r->now) {
    expect_t *e = &x[r->by_t1[r->next_t1]];
    char why[160];
    if (e->when == W_BY && !e->neg && cond_now(r, e, NULL, 0)) {
      (void)cond_now(r, e, why, sizeof why);
      warn(r, e, "it already holds when its window opens at %.3fs: %s", (double)r->now / 1e6, why);
    }
    r->open[r->nopen++] = r->by_t1[r->next_t1++];
    added = true;
  }
  if (added && r->nopen > 1) qsort(r->open, r->nopen, sizeof *r->open, cmp_size); /* file order */
}

/* Judges what can be judged at this step: the cost is the expectations
 * whose window is open, plus those opening or closing now. */
static void check(rt_t *r, bool final) {
  expect_t *x = r->s->exp;
  size_t m = 0, nstate = r->s->nexp - r->nevx;
  while (r->next_t2 < r->nevx && (final || x[r->by_t2[r->next_t2]].t2 < r->now))
    judge_event(r, &x[r->by_t2[r->next_t2++]]);
  open_due(r);
  for (size_t k = 0; k < r->nopen; k++) {
    expect_t *e = &x[r->open[k]];
    judge_state(r, e, final);
    if (!e->state) r->open[m++] = r->open[k];
  }
  r->nopen = m;
  if (final)
    for (size_t i = r->next_t1; i < nstate; i++) {
      expect_t *e = &x[r->by_t1[i]];
      if (!e->state) fail(r, e, "the run ended at %.3fs before the time came", (double)r->now / 1e6);
    }
}

static void task(void *ctx, uint64_t now) {
  rt_t *r = ctx;
  r->now = now;
  if (r->o->ignore_frames) { /* test hook: the frames go nowhere */
    while (kb_link_peek(&r->bus.link) != NULL) kb_link_pop(&r->bus.link);
    (void)kb_link_tick(&r->bus.link, (uint32_t)now);
  } else {
    kb_bus_poll(&r->bus, (uint32_t)now);
  }
  if (r->sync_t == UINT64_MAX && kb_bus_status(&r->bus)->synced) r->sync_t = now;
  open_due(r);
  while (r->next_act < r->s->nact && r->s->act[r->next_act].t <= now) apply(r, &r->s->act[r->next_act++]);
  check(r, false);
  if (r->o->pace && r->o->pace(r->o->pace_ctx, now)) r->stop = 1;
}

static int act_cmp(const void *a, const void *b) {
  const act_t *x = a, *y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  return x->line < y->line ? -1 : x->line > y->line;
}

typedef struct {
  uint64_t t;
  size_t i;
} key_t_;

static int key_cmp(const void *a, const void *b) {
  const key_t_ *x = a, *y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  return x->i < y->i ? -1 : x->i > y->i;
}

/* Fills the two visiting orders (state conditions by start, event
 * conditions by end of window). */
static int plan(rt_t *r) {
  const kb_scenario_t *s = r->s;
  key_t_ *k1 = malloc((s->nexp + 1) * sizeof *k1), *k2 = malloc((s->nexp + 1) * sizeof *k2);
  size_t n1 = 0, n2 = 0;
  r->by_t1 = malloc((s->nexp + 1) * sizeof *r->by_t1);
  r->by_t2 = malloc((s->nexp + 1) * sizeof *r->by_t2);
  r->open = malloc((s->nexp + 1) * sizeof *r->open);
  if (!k1 || !k2 || !r->by_t1 || !r->by_t2 || !r->open) {
    free(k1);
    free(k2);
    return -1;
  }
  for (size_t i = 0; i < s->nexp; i++) {
    if (s->exp[i].kind == C_EVENT) {
      k2[n2].t = s->exp[i].t2;
      k2[n2++].i = i;
    } else {
      k1[n1].t = s->exp[i].t1;
      k1[n1++].i = i;
    }
  }
  qsort(k1, n1, sizeof *k1, key_cmp);
  qsort(k2, n2, sizeof *k2, key_cmp);
  for (size_t i = 0; i < n1; i++) r->by_t1[i] = k1[i].i;
  for (size_t i = 0; i < n2; i++) r->by_t2[i] = k2[i].i;
  r->nevx = n2;
  free(k1);
  free(k2);
  return 0;
}

/* ------------------------------------------ Classic series (issue 11)
 *
 * `panel classic`: the scenario's actions go to the PowerSeries panel model
 * as usual (apply() is shared) and are mirrored, every frame, into the
 * Classic panel model (kb_sim_classic.h): its open zones 1-8, a fire-type
 * zone open = fire, AC or battery trouble = trouble, and the keys of the
 * physical keypads. Its frames go out as clock/data/PC-16 edges to the
 * port's interrupts (kb_simc_port_t) on the bus's Classic link
 * (kb_bus_set_series(KB_SERIES_CLASSIC)); the task is kb_bus_poll(), as
 * for PowerSeries, so the conditions read kb_bus_status() and key requests
 * (`keys`) go through the bus's virtual keypad (kb_keys, Classic back
 * end). `set time` (the Classic has no clock), `cut bus` and the noise
 * words are refused at load: classic_limits(). */

static int cls_edge(void *ctx, const kb_edge_t *e) {
  rt_t *r = ctx;
  if (r->o->vcd) (void)kb_vcd_writer_edge(&r->vw, e);
  return kb_simc_port_edge(&r->cport, e);
}

/* The Classic character of a key code a physical keypad queued. */
static char cls_key_char(uint16_t q) {
  static const char keys[] = "0123456789*#FAP";
  for (const char *c = keys; *c; c++)
    if (kb_cls_key_to_ps(kb_cls_key_code(*c)) == (uint8_t)q) return *c;
  return 0;
}

static void cls_mirror(rt_t *r) {
  const kb_sim_truth_t *tr = &r->panel.truth;
  kb_simc_t *p = &r->cw.panel;
  bool fire = false;
  for (unsigned z = 1; z <= 8u; z++) {
    bool open = (tr->zones_open[0] >> (z - 1u)) & 1u;
    if (r->s->cfg.zone[z - 1u].type == KB_SIM_ZONE_FIRE) {
      fire = fire || open;
      open = false;
    }
    if (((p->open >> (z - 1u)) & 1u) != open) kb_simc_zone(p, z, open, r->cw.wave.t);
  }
  kb_simc_fire(p, fire);
  kb_simc_trouble(p, !tr->ac_ok || !tr->battery_ok);
  for (unsigned i = 0; i < r->wire.nkp; i++) {
    kb_wire_keypad_t *k = &r->wire.kp[i];
    while (k->q_len) {
      char ch[2] = {cls_key_char(k->q[k->q_head]), 0};
      k->q_head = (uint8_t)((k->q_head + 1u) % KB_WIRE_KEYQ);
      k->q_len--;
      if (ch[0]) (void)kb_simc_wire_keys(&r->cw, ch);
    }
  }
}

static void cls_task(rt_t *r, uint64_t now) {
  r->now = now;
  kb_simc_port_advance(&r->cport, now); /* the sample of the last edge */
  if (r->o->ignore_frames) { /* test hook: the frames go nowhere */
    kb_cls_link_t *l = kb_bus_cls_link(&r->bus);
    while (kb_cls_link_peek(l) != NULL) kb_cls_link_pop(l);
    (void)kb_cls_link_tick(l, (uint32_t)now);
  } else {
    kb_bus_poll(&r->bus, (uint32_t)now);
  }
  if (r->sync_t == UINT64_MAX && kb_bus_status(&r->bus)->synced) r->sync_t = now;
  open_due(r);
  while (r->next_act < r->s->nact && r->s->act[r->next_act].t <= now) apply(r, &r->s->act[r->next_act++]);
  cls_mirror(r);
  check(r, false);
  if (r->o->pace && r->o->pace(r->o->pace_ctx, now)) r->stop = 1;
}

/* Returns 0, or 2 when the VCD output cannot be started. */
static int run_classic(rt_t *r) {
  const kb_scenario_t *s = r->s;
  kb_simc_cfg_t cfg;
  /* (set time and cuts were refused at parse time: classic_limits()) */
  memset(&cfg, 0, sizeof cfg);
  cfg.exit_delay_ms = (uint32_t)s->cfg.exit_delay_s * 1000u;
  if (!cfg.exit_delay_ms) cfg.exit_delay_ms = 1000u;
  memcpy(cfg.code, s->cfg.code[1], sizeof cfg.code - 1u);
  if (kb_bus_set_series(&r->bus, KB_SERIES_CLASSIC) != KB_OK) return 2;
  kb_simc_port_init(&r->cport, kb_bus_cls_link(&r->bus));
  if (r->o->vcd && kb_vcd_writer_begin_classic(&r->vw, r->o->vcd, "keybus-sim", 0) != 0) return 2;
  kb_simc_wire_init(&r->cw, &cfg, 1000, cls_edge, r);
  while (r->cw.wave.t < s->end && !r->stop && !r->oom) {
    cls_task(r, r->cw.wave.t);
    (void)kb_simc_wire_step(&r->cw);
  }
  kb_simc_port_advance(&r->cport, r->cw.wave.t);
  kb_cls_link_finish(kb_bus_cls_link(&r->bus)); /* the last frame, as a replay's end */
  cls_task(r, r->cw.wave.t);
  return 0;
}

const kb_engine_t *kb_scenario_engine(const kb_scenario_t *s) { return s && s->rt ? &s->rt->bus.engine : NULL; }

int kb_scenario_run(kb_scenario_t *s, const kb_scenario_opts_t *o, kb_scenario_result_t *res) {
  rt_t *r;
  kb_wire_port_t port;
  int rc = 0;
  memset(res, 0, sizeof *res);
  rt_free(s->rt);
  s->rt = NULL;
  for (size_t i = 0; i < s->nexp; i++) {
    s->exp[i].state = 0;
    s->exp[i].why[0] = '\0';
  }
  r = calloc(1, sizeof *r);
  if (!r) return 2;
  s->rt = r;
  r->s = s;
  r->o = o;
  r->sync_t = UINT64_MAX;
  r->req_id = calloc((size_t)s->nreq + 1, sizeof *r->req_id);
  r->req_act = calloc((size_t)s->nreq + 1, sizeof *r->req_act);
  r->req_end = calloc((size_t)s->nreq + 1, sizeof *r->req_end);
  if (!r->req_id || !r->req_act || !r->req_end || plan(r)) return 2;
  if (s->nact > 1) qsort(s->act, s->nact, sizeof *s->act, act_cmp);
  for (int i = 0; i < s->nreq; i++) r->req_act[i] = -1;
  for (size_t i = 0; i < s->nact; i++)
    if (s->act[i].req >= 0) r->req_act[s->act[i].req] = (int)i;
  for (int i = 0; i < 9; i++) r->kp_of[i] = -1;
  {
    const kb_bus_cfg_t bc = {on_event, r, on_keys, r};
    kb_bus_init(&r->bus, &bc);
  }
  kb_xpd_init(&r->xpd);
  if (s->cfg.expanders) { /* the engine's side emulates the expanders the panel has */
    for (uint8_t e = 0; e < KB_XPD_EXPANDERS; e++)
      if (((s->cfg.expanders >> e) & 1u) && kb_xpd_enable(&r->xpd, e, true) != KB_OK) return 2;
    if (kb_bus_xpd_attach(&r->bus, &r->xpd) != KB_OK) return 2;
  }
  kb_sim_panel_init(&r->panel, &s->cfg, 0);
  if (s->classic) { /* issue 11 */
    kb_wire_init(&r->wire, &s->wcfg, &r->panel, NULL, NULL, 0); /* keypad queues only */
    if (run_classic(r) != 0) return 2;
  } else {
    if (o->vcd && kb_vcd_writer_begin(&r->vw, o->vcd, "keybus-sim", 0, true, true) != 0) return 2;
    port.link = kb_bus_link(&r->bus);
    port.task = task;
    port.ctx = r;
    kb_wire_init(&r->wire, &s->wcfg, &r->panel, &port, o->vcd ? &r->vw : NULL, 0);
    while (r->wire.t < s->end && !r->stop && !r->oom) kb_wire_step(&r->wire);
  }
  if (!r->stop) {
    if (!s->classic) kb_wire_finish(&r->wire);
    check(r, true);
  } else {
    res->stopped = true;
    for (size_t i = 0; i < s->nexp; i++)
      if (!s->exp[i].state) {
        s->exp[i].state = 2; /* not judged: counts as failed, not reported one by one */
        res->unjudged++;
      }
  }
  if (o->vcd && (kb_vcd_writer_end(&r->vw, (s->classic ? r->cw.wave.t : r->wire.t) + 10000u) != 0 || r->vw.err))
    rc = 2;
  if (r->oom) rc = 2;
  res->expects = (unsigned)s->nexp;
  for (size_t i = 0; i < s->nexp; i++) {
    if (s->exp[i].state == 1) res->passed++;
    else res->failed++;
  }
  res->warnings = r->warnings;
  res->visits = r->visits;
  res->formats = r->formats;
  res->end_us = s->classic ? r->cw.wave.t : r->wire.t;
  res->messages = s->classic ? r->cw.frames : r->wire.st.messages;
  res->flips = r->wire.st.flips;
  res->msgs_hit = r->wire.st.msgs_hit;
  if (!rc && res->failed) rc = 1;
  return rc;
}
