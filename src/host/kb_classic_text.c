/* SPDX-License-Identifier: MIT
 * KeybusReader's Classic series lines (kb_classic_text.h). */
#include "host/kb_classic_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "keybus/kb_classic.h"

static const char *const light_names[8] = {"Ready", "Armed",   "Memory", "Bypass",
                                           "Trouble", "Program", "Fire", "Beep"};
static const char *const pc16_names[8] = {"Trouble", "Bypassed zones", "Armed (side A)",
                                          "Armed (side B)", "Keypad Panic alarm",
                                          "Keypad Aux alarm", "Keypad Fire alarm", "Alarm"};
static const struct {
  uint8_t k0;
  const char *name;
} key_names[] = {
    {0xBE, "1"}, {0xDE, "2"}, {0xEE, "3"}, {0xBD, "4"}, {0xDD, "5"}, {0xED, "6"},
    {0xBB, "7"}, {0xDB, "8"}, {0xEB, "9"}, {0xD7, "0"}, {0xB7, "*"}, {0xE7, "#"},
    {0x3F, "Fire alarm"}, {0x5F, "Aux alarm"}, {0x6F, "Panic alarm"},
};

const char *kb_clt_light_name(unsigned i) { return i < 8u ? light_names[i] : "?"; }
const char *kb_clt_pc16_name(unsigned i) { return i < 8u ? pc16_names[i] : "?"; }

const char *kb_clt_key_name(uint8_t k0) {
  for (size_t i = 0; i < sizeof key_names / sizeof key_names[0]; i++)
    if (key_names[i].k0 == k0) return key_names[i].name;
  return NULL;
}

/* ------------------------------------------------------------- parsing */

typedef struct {
  const char *p, *end;
} cur_t;

static int at(const cur_t *c, size_t i) { return c->p + i < c->end ? (unsigned char)c->p[i] : -1; }
static int is_digit(int ch) { return ch >= '0' && ch <= '9'; }
static void skip_blank(cur_t *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t')) c->p++;
}
static int starts(const cur_t *c, const char *s) {
  size_t n = strlen(s);
  return (size_t)(c->end - c->p) >= n && memcmp(c->p, s, n) == 0;
}

/* "hh:mm:ss(.fff)? -> " (Arduino serial monitor). */
static int parse_monitor(cur_t *c, double *t, int *res) {
  cur_t s = *c;
  int h = 0, nd = 0, m, sec, fd = 0;
  double frac = 0, scale = 0.1;
  while (is_digit(at(&s, 0)) && nd < 2) h = h * 10 + (*s.p++ - '0'), nd++;
  if (!nd || at(&s, 0) != ':' || !is_digit(at(&s, 1)) || !is_digit(at(&s, 2)) || at(&s, 3) != ':' ||
      !is_digit(at(&s, 4)) || !is_digit(at(&s, 5)))
    return 0;
  m = (s.p[1] - '0') * 10 + (s.p[2] - '0');
  sec = (s.p[4] - '0') * 10 + (s.p[5] - '0');
  s.p += 6;
  if (at(&s, 0) == '.') {
    s.p++;
    while (is_digit(at(&s, 0))) {
      if (fd < 6) frac += (*s.p - '0') * scale, scale /= 10;
      fd++;
      s.p++;
    }
    if (!fd) return 0;
  }
  skip_blank(&s);
  if (!starts(&s, "->")) return 0;
  s.p += 2;
  skip_blank(&s);
  *t = h * 3600.0 + m * 60.0 + sec + frac;
  *res = fd >= 3 ? 1 : fd == 2 ? 10 : fd == 1 ? 100 : 1000;
  *c = s;
  return 1;
}

/* KeybusReader "<secs>.<frac>:". */
static int parse_kr_time(cur_t *c, double *t, int *res) {
  cur_t s = *c;
  double v = 0, scale = 0.1;
  int nd = 0, fd = 0;
  while (is_digit(at(&s, 0))) {
    if (++nd > 12) return 0;
    v = v * 10 + (*s.p++ - '0');
  }
  if (!nd || at(&s, 0) != '.') return 0;
  s.p++;
  while (is_digit(at(&s, 0))) {
    if (fd < 6) v += (*s.p - '0') * scale, scale /= 10;
    fd++;
    s.p++;
  }
  if (!fd || at(&s, 0) != ':') return 0;
  s.p++;
  skip_blank(&s);
  *t = v;
  *res = fd >= 3 ? 1 : fd == 2 ? 10 : 100;
  *c = s;
  return 1;
}

/* A run of binary digits: its length (0 when none). */
static size_t binary_run(const cur_t *c) {
  size_t n = 0;
  while (at(c, n) == '0' || at(c, n) == '1') n++;
  return n;
}

static kb_clt_kind_t fail(kb_clt_line_t *o, const char *msg) {
  o->kind = KB_CLT_ERROR;
  snprintf(o->err, sizeof o->err, "%s", msg);
  return o->kind;
}

kb_clt_kind_t kb_clt_parse(const char *line, size_t len, kb_clt_line_t *o) {
  cur_t c = {line, line + len};
  uint8_t b[4];
  unsigned ng = 0;
  memset(o, 0, sizeof *o);
  while (c.end > c.p && (c.end[-1] == '\n' || c.end[-1] == '\r' || c.end[-1] == ' ' || c.end[-1] == '\t'))
    c.end--;
  if (c.end - c.p >= 3 && (unsigned char)c.p[0] == 0xEF && (unsigned char)c.p[1] == 0xBB &&
      (unsigned char)c.p[2] == 0xBF)
    c.p += 3; /* UTF-8 byte order mark */
  skip_blank(&c);
  if (at(&c, 0) == '#') {
    c.p++;
    skip_blank(&c);
    if (starts(&c, "capture") && (c.end - c.p == 7 || at(&c, 7) == ' ' || at(&c, 7) == '\t')) {
      c.p += 7;
      skip_blank(&c);
      o->kind = KB_CLT_SECTION;
      o->name = c.p;
      o->name_len = (size_t)(c.end - c.p);
    }
    return o->kind;
  }
  if (parse_monitor(&c, &o->t, &o->t_res_ms)) o->has_time = true;
  if (parse_kr_time(&c, &o->t, &o->t_res_ms)) o->has_time = true;
  if (starts(&c, "Keybus connected")) return o->kind = KB_CLT_CONNECTED;
  if (starts(&c, "Keybus disconnected")) return o->kind = KB_CLT_DISCONNECTED;
  /* the binary groups, then the tag */
  while (ng < 4 && binary_run(&c)) {
    size_t n = binary_run(&c);
    if (n != 8) return fail(o, "a byte must be 8 binary digits");
    b[ng] = 0;
    for (size_t i = 0; i < 8; i++) b[ng] = (uint8_t)(b[ng] << 1 | (uint8_t)(c.p[i] - '0'));
    ng++;
    c.p += 8;
    if (at(&c, 0) != ' ' && at(&c, 0) != '\t') break;
    skip_blank(&c);
  }
  if (!ng) return KB_CLT_IGNORED;
  if (binary_run(&c)) return fail(o, "more than 4 bytes");
  if (starts(&c, "[Panel]")) {
    if (ng != 4) return fail(o, "a panel line has 4 bytes: D0 D1 P0 P1");
    memcpy(o->b, b, 4);
    return o->kind = KB_CLT_PANEL;
  }
  if (starts(&c, "[Keypad]")) {
    const char *want;
    if (ng != 2) return fail(o, "a keypad line has 2 bytes: K0 K1");
    c.p += 8;
    skip_blank(&c);
    want = kb_clt_key_name(b[0]);
    /* the printed key must be the code's (a misaligned capture is not) */
    if (c.p < c.end) {
      size_t n = (size_t)(c.end - c.p);
      if (!want || strlen(want) != n || memcmp(want, c.p, n) != 0)
        return fail(o, "the key printed is not the key code's");
    }
    memcpy(o->b, b, 2);
    return o->kind = KB_CLT_KEYPAD;
  }
  if (ng == 4 || ng == 2) return fail(o, "bytes without a [Panel] or [Keypad] tag");
  return KB_CLT_IGNORED;
}

/* ------------------------------------------------------------ printing */

typedef struct {
  char *buf;
  size_t n, len;
} sb_t;

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void add(sb_t *s, const char *fmt, ...) {
  va_list ap;
  int r;
  va_start(ap, fmt);
  r = vsnprintf(s->len < s->n ? s->buf + s->len : NULL, s->len < s->n ? s->n - s->len : 0, fmt, ap);
  va_end(ap);
  if (r > 0) s->len += (size_t)r;
}

static void add_bits(sb_t *s, uint8_t v) {
  char t[9];
  for (unsigned i = 0; i < 8; i++) t[i] = (char)('0' + ((v >> (7u - i)) & 1u));
  t[8] = '\0';
  add(s, "%s", t);
}

size_t kb_clt_format_panel(const uint8_t b[4], char *buf, size_t n) {
  sb_t s = {buf, n, 0};
  unsigned k = 0;
  if (n) buf[0] = '\0';
  for (unsigned i = 0; i < 4; i++) {
    add_bits(&s, b[i]);
    add(&s, " ");
  }
  add(&s, "[Panel] Lights:");
  for (unsigned i = 0; i < 8; i++)
    if (b[1] & (0x80u >> i)) add(&s, " %s", light_names[i]), k++;
  if (!k) add(&s, " none");
  add(&s, " | Status:");
  k = 0;
  for (unsigned i = 0; i < 8; i++)
    if (b[3] & (0x80u >> i)) add(&s, " %s", pc16_names[i]), k++;
  if (!k) add(&s, " none");
  add(&s, " | Zones open:");
  k = 0;
  for (unsigned z = 0; z < 8; z++)
    if (b[0] & (0x80u >> z)) add(&s, " %u", z + 1u), k++;
  if (!k) add(&s, " none");
  if (b[2] & 0xFEu) {
    add(&s, " | Zone alarm:");
    for (unsigned z = 0; z < 7; z++)
      if (b[2] & (0x80u >> z)) add(&s, " %u", z + 1u);
  }
  if (b[2] & KB_CLS_P0_FIRE) add(&s, " | Fire alarm");
  return s.len;
}

size_t kb_clt_format_keypad(uint8_t k0, uint8_t k1, char *buf, size_t n) {
  sb_t s = {buf, n, 0};
  const char *k = kb_clt_key_name(k0);
  if (n) buf[0] = '\0';
  add_bits(&s, k0);
  add(&s, " ");
  add_bits(&s, k1);
  add(&s, " [Keypad] %s", k ? k : "unknown");
  return s.len;
}
