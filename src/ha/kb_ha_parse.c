/* SPDX-License-Identifier: MIT
 *
 * kb_ha_parse.c - the Home Assistant command parser (kb_ha_parse_command,
 * kb_ha.h): bounded JSON through jsmn. A file of its own so that a frontend
 * that takes no JSON commands (the ESPHome component) builds src/ha without
 * jsmn. Freestanding: string.h's mem/str functions only.
 */
#include <string.h>

#include "kb_ha.h"
#include "kb_ha_int.h"

/* jsmn (Debian's libjsmn-dev, header only; espressif/jsmn on ESP-IDF):
 * static so that nothing of it is exported, strict so that only real JSON
 * primitives tokenize. It needs stddef.h only (freestanding). */
#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

static const char *const act_names[KB_HA_ACT_COUNT] = {
    NULL,     "disarm", "arm_home", "arm_away", "arm_night", NULL, "bypass", "output", "set_time",
    "fire",   "aux",    "panic"};

typedef struct {
  const char *js;
  const jsmntok_t *t;
} tk_t;

static size_t tlen(const jsmntok_t *t) { return (size_t)(t->end - t->start); }

static bool teq(const tk_t *k, int i, const char *s) {
  size_t n = strlen(s);
  return tlen(&k->t[i]) == n && memcmp(k->js + k->t[i].start, s, n) == 0;
}

/* A plain string: no escapes, printable ASCII (nothing here needs more). */
static bool tplain(const tk_t *k, int i) {
  if (k->t[i].type != JSMN_STRING) return false;
  for (int j = k->t[i].start; j < k->t[i].end; j++)
    if (k->js[j] < 0x20 || k->js[j] > 0x7e || k->js[j] == '\\' || k->js[j] == '"') return false;
  return true;
}

/* A non-negative integer of at most `digits` digits, no sign, no fraction. */
static bool tuint(const tk_t *k, int i, unsigned digits, unsigned *v) {
  size_t n = tlen(&k->t[i]);
  if (k->t[i].type != JSMN_PRIMITIVE || n == 0 || n > digits) return false;
  *v = 0;
  for (size_t j = 0; j < n; j++) {
    char ch = k->js[k->t[i].start + (int)j];
    if (ch < '0' || ch > '9') return false;
    *v = *v * 10u + (unsigned)(ch - '0');
  }
  return true;
}

/* The token after i's subtree (jsmn: a key's size is 1, a container's its
 * members' count). */
static int tskip(const jsmntok_t *t, int n, int i) {
  int pend = 1;
  while (pend > 0 && i < n) {
    pend += t[i].size;
    pend--;
    i++;
  }
  return i;
}

/* jsmn checks less than JSON demands: in strict mode a value followed by
 * ':' becomes a key of its own ({"a":"b":"c"}) and a key may lack its
 * value. The token tree is checked here: an object holds string keys each
 * with one value, scalars hold nothing; nesting at most KB_HA_DEPTH deep
 * (no command needs more than an array in the object; bounded recursion).
 * Returns the index after token i's subtree, or -1. */
#define KB_HA_DEPTH 4

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* A JSON primitive: true, false, null or a number (jsmn's strict mode only
 * looks at the first character: "1:2" and "tru" pass it). */
static bool prim_ok(const char *s, size_t n) {
  size_t i = 0;
  if ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0) ||
      (n == 4 && memcmp(s, "null", 4) == 0))
    return true;
  if (i < n && s[i] == '-') i++;
  if (i < n && s[i] == '0') {
    i++;
  } else if (i < n && is_digit(s[i])) {
    while (i < n && is_digit(s[i])) i++;
  } else {
    return false;
  }
  if (i < n && s[i] == '.') {
    if (++i >= n || !is_digit(s[i])) return false;
    while (i < n && is_digit(s[i])) i++;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (i >= n || !is_digit(s[i])) return false;
    while (i < n && is_digit(s[i])) i++;
  }
  return i == n;
}

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Bytes of a token: a string's include its quotes (jsmn's do not). */
static int span_start(const jsmntok_t *x) { return x->type == JSMN_STRING ? x->start - 1 : x->start; }
static int span_end(const jsmntok_t *x) { return x->type == JSMN_STRING ? x->end + 1 : x->end; }

/* [from, to) holds white space and exactly one `sep` (none when sep is 0):
 * jsmn does not check separators ({"a":1,,"b":2} and {"a":1 "b":2} pass it). */
static bool gap(const char *js, int from, int to, char sep) {
  bool seen = false;
  if (from > to) return false;
  for (int j = from; j < to; j++) {
    if (is_ws(js[j])) continue;
    if (sep && js[j] == sep && !seen) {
      seen = true;
      continue;
    }
    return false;
  }
  return sep ? seen : true;
}

static int tree(const char *js, const jsmntok_t *t, int n, int i, int depth) {
  if (i >= n || depth > KB_HA_DEPTH) return -1;
  const jsmntok_t *x = &t[i++];
  if (x->type == JSMN_OBJECT || x->type == JSMN_ARRAY) {
    int pos = x->start + 1;
    for (int k = 0; k < x->size; k++) {
      char sep = k ? ',' : 0;
      if (x->type == JSMN_OBJECT) {
        if (i >= n || t[i].type != JSMN_STRING || t[i].size != 1 ||
            !gap(js, pos, span_start(&t[i]), sep))
          return -1;
        pos = span_end(&t[i++]);
        sep = ':';
      }
      if (i >= n || !gap(js, pos, span_start(&t[i]), sep)) return -1;
      int next = tree(js, t, n, i, depth + 1);
      if (next < 0) return -1;
      pos = span_end(&t[i]);
      i = next;
    }
    return gap(js, pos, x->end - 1, 0) ? i : -1;
  }
  if (x->size != 0) return -1;
  if (x->type == JSMN_PRIMITIVE && !prim_ok(js + x->start, (size_t)(x->end - x->start))) return -1;
  return i;
}

static bool key_char_ok(char ch) {
  static const char alpha[] = "0123456789*#swncrxb<>[]{}fap@SWNCRXBFAP";
  for (const char *a = alpha; *a; a++)
    if (*a == ch) return true;
  return false;
}

static unsigned dig2(const char *s) { return (unsigned)(s[0] - '0') * 10u + (unsigned)(s[1] - '0'); }

/* "YYYY-MM-DD HH:MM" or "YYYY-MM-DDTHH:MM": a real date of 2000-2099. */
static bool parse_time(const char *s, size_t n, kb_ha_cmd_t *c) {
  static const uint8_t mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  static const char shape[] = "dddd-dd-dd_dd:dd";
  if (n != 16) return false;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i], want = shape[i];
    if (want == 'd' ? (ch < '0' || ch > '9') : want == '_' ? (ch != ' ' && ch != 'T') : ch != want)
      return false;
  }
  unsigned y = dig2(s) * 100u + dig2(s + 2), mo = dig2(s + 5), d = dig2(s + 8), h = dig2(s + 11),
           mi = dig2(s + 14);
  if (y < 2000 || y > 2099 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59)
    return false;
  if (mo == 2 && d == 29 && (y % 4u) != 0) return false; /* 2000 was a leap year */
  c->year = (uint16_t)y;
  c->month = (uint8_t)mo;
  c->day = (uint8_t)d;
  c->hour = (uint8_t)h;
  c->minute = (uint8_t)mi;
  return true;
}

static kb_ha_perr_t parse_id(const tk_t *k, int v, kb_ha_cmd_t *c) {
  size_t n = tlen(&k->t[v]);
  unsigned dummy;
  if (n == 0 || n > KB_HA_CMD_ID_MAX) return KB_HA_PERR_ID;
  if (k->t[v].type == JSMN_STRING) {
    for (int j = k->t[v].start; j < k->t[v].end; j++) {
      char ch = k->js[j];
      if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '_' || ch == '-' || ch == '.' || ch == ':'))
        return KB_HA_PERR_ID;
    }
    c->id_kind = 1;
  } else if (tuint(k, v, 9, &dummy)) {
    c->id_kind = 2;
  } else {
    return KB_HA_PERR_ID;
  }
  memcpy(c->id, k->js + k->t[v].start, n);
  c->id[n] = '\0';
  return KB_HA_PERR_OK;
}

enum { F_PART = 1, F_ACTION = 2, F_CODE = 4, F_KEYS = 8, F_ZONES = 16, F_OUTPUT = 32, F_TIME = 64,
       F_ID = 128 };

static kb_ha_perr_t parse_fields(const tk_t *k, int ntok, kb_ha_cmd_t *c, unsigned *seen) {
  static const char *const names[8] = {"partition", "action", "code", "keys",
                                       "zones",     "output", "time", "id"};
  int i = 1;
  for (int m = 0; m < k->t[0].size; m++) {
    if (i + 1 >= ntok || k->t[i].type != JSMN_STRING || !tplain(k, i)) return KB_HA_PERR_FIELD;
    int v = i + 1;
    unsigned f = 0, u = 0;
    for (unsigned j = 0; j < 8; j++)
      if (teq(k, i, names[j])) f = 1u << j;
    if (!f || (*seen & f)) return KB_HA_PERR_FIELD;
    *seen |= f;
    size_t n = tlen(&k->t[v]);
    const char *s = k->js + k->t[v].start;
    switch (f) {
    case F_PART:
      if (!tuint(k, v, 3, &u)) return KB_HA_PERR_TYPE;
      if (u < 1 || u > KB_MAX_PARTITIONS) return KB_HA_PERR_PARTITION;
      c->partition = (uint8_t)u;
      break;
    case F_ACTION:
      if (k->t[v].type != JSMN_STRING) return KB_HA_PERR_TYPE;
      for (unsigned a = 1; a < KB_HA_ACT_COUNT; a++)
        if (act_names[a] && teq(k, v, act_names[a])) c->action = (uint8_t)a;
      if (!c->action) return KB_HA_PERR_ACTION;
      break;
    case F_CODE:
      if (k->t[v].type != JSMN_STRING) return KB_HA_PERR_TYPE;
      if (n != 0 && n != 4 && n != 6) return KB_HA_PERR_CODE;
      for (size_t j = 0; j < n; j++)
        if (s[j] < '0' || s[j] > '9') return KB_HA_PERR_CODE;
      memcpy(c->code, s, n); /* "" = none: what HA's template sends without a code */
      c->code[n] = '\0';
      break;
    case F_KEYS:
      if (k->t[v].type != JSMN_STRING) return KB_HA_PERR_TYPE;
      if (n == 0 || n > KB_KEYS_MAX) return KB_HA_PERR_KEYS;
      for (size_t j = 0; j < n; j++)
        if (!key_char_ok(s[j])) return KB_HA_PERR_KEYS;
      memcpy(c->keys, s, n);
      c->keys[n] = '\0';
      break;
    case F_ZONES: {
      int sz = k->t[v].size;
      if (k->t[v].type != JSMN_ARRAY) return KB_HA_PERR_TYPE;
      if (sz < 1 || sz > KB_HA_BYPASS_MAX || v + sz >= ntok) return KB_HA_PERR_ZONES;
      for (int z = 0; z < sz; z++) {
        if (v + 1 + z >= ntok || !tuint(k, v + 1 + z, 3, &u)) return KB_HA_PERR_TYPE;
        if (u < 1 || u > KB_MAX_ZONES) return KB_HA_PERR_ZONES;
        for (unsigned q = 0; q < c->n_zones; q++) /* twice would bypass and restore it */
          if (c->zones[q] == u) return KB_HA_PERR_ZONES;
        c->zones[c->n_zones++] = (uint8_t)u;
      }
      break;
    }
    case F_OUTPUT:
      if (!tuint(k, v, 3, &u)) return KB_HA_PERR_TYPE;
      if (u < 1 || u > 4) return KB_HA_PERR_OUTPUT;
      c->output = (uint8_t)u;
      break;
    case F_TIME:
      if (k->t[v].type != JSMN_STRING) return KB_HA_PERR_TYPE;
      if (!parse_time(s, n, c)) return KB_HA_PERR_TIME;
      break;
    default: /* F_ID: read by the first pass */
      break;
    }
    i = tskip(k->t, ntok, v);
  }
  return KB_HA_PERR_OK;
}

/* Which fields each action needs (and no others besides partition, code, id). */
static kb_ha_perr_t check_action(kb_ha_cmd_t *c, unsigned seen) {
  unsigned extra = seen & ~(unsigned)(F_PART | F_ACTION | F_CODE | F_ID);
  if (!(seen & F_PART)) return KB_HA_PERR_PARTITION;
  if (seen & F_KEYS) {
    if (seen & F_ACTION) return KB_HA_PERR_ACTION;
    c->action = KB_HA_ACT_KEYS;
    extra &= ~(unsigned)F_KEYS;
  }
  switch (c->action) {
  case KB_HA_ACT_NONE: return KB_HA_PERR_ACTION;
  case KB_HA_ACT_DISARM:
    if (!c->code[0]) return KB_HA_PERR_CODE; /* a disarm is its code */
    break;
  case KB_HA_ACT_BYPASS:
    if (!(seen & F_ZONES)) return KB_HA_PERR_ZONES;
    extra &= ~(unsigned)F_ZONES;
    break;
  case KB_HA_ACT_OUTPUT:
    if (!(seen & F_OUTPUT)) return KB_HA_PERR_OUTPUT;
    extra &= ~(unsigned)F_OUTPUT;
    break;
  case KB_HA_ACT_SET_TIME:
    if (!(seen & F_TIME)) return KB_HA_PERR_TIME;
    if (!c->code[0]) return KB_HA_PERR_CODE; /* the *6 menu needs the master code */
    extra &= ~(unsigned)F_TIME;
    break;
  case KB_HA_ACT_FIRE:
  case KB_HA_ACT_AUX:
  case KB_HA_ACT_PANIC:
    /* an alarm key is the whole request: a code has nowhere to go */
    if (c->code[0]) return KB_HA_PERR_CODE;
    break;
  default: break;
  }
  return extra ? KB_HA_PERR_FIELD : KB_HA_PERR_OK;
}

kb_ha_perr_t kb_ha_parse_command(const char *json, size_t len, kb_ha_cmd_t *out) {
  jsmn_parser p;
  jsmntok_t t[KB_HA_TOKENS];
  tk_t k;
  unsigned seen = 0;
  kb_ha_perr_t e;
  if (!out) return KB_HA_PERR_SIZE;
  kb_ha_cmd_wipe(out);
  if (!json || len == 0 || len > KB_HA_CMD_MAX) return KB_HA_PERR_SIZE;
  jsmn_init(&p);
  int n = jsmn_parse(&p, json, len, t, KB_HA_TOKENS);
  if (n < 1 || t[0].type != JSMN_OBJECT || tree(json, t, n, 0, 0) != n ||
      !gap(json, 0, t[0].start, 0)) /* jsmn skips a ',' or ':' before the object */
    return KB_HA_PERR_JSON;
  /* one object and nothing after it but white space (jsmn stops at a NUL
   * and would accept a second value) */
  for (size_t j = (size_t)t[0].end; j < len; j++)
    if (json[j] != ' ' && json[j] != '\t' && json[j] != '\r' && json[j] != '\n')
      return KB_HA_PERR_JSON;
  k.js = json;
  k.t = t;
  /* first pass: the id alone, so that an error result can still name it */
  for (int m = 0, i = 1; m < t[0].size && i + 1 < n; m++) {
    if (t[i].type == JSMN_STRING && teq(&k, i, "id") && parse_id(&k, i + 1, out) != KB_HA_PERR_OK) {
      out->id_kind = 0;
      out->id[0] = '\0';
      break;
    }
    i = tskip(t, n, i + 1);
  }
  e = parse_fields(&k, n, out, &seen);
  if (e == KB_HA_PERR_OK && (seen & F_ID) && !out->id_kind) e = KB_HA_PERR_ID;
  if (e == KB_HA_PERR_OK) e = check_action(out, seen);
  if (e != KB_HA_PERR_OK) kb_ha_wipe_keep_id(out); /* no code, no half-read request */
  return e;
}
