/* SPDX-License-Identifier: MIT
 *
 * kb_capture.c - text capture log parser (kb_capture.h).
 */
#include "host/kb_capture.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LINE_CAP 4096 /* longer lines are parsed from their first 4095 bytes */

/* ------------------------------------------------------------ errors */

void kb_errs_add(kb_errs_t *e, const char *name, int line, const char *fmt, ...) {
  char text[512], *s;
  int k;
  va_list ap;
  size_t len;
  if (e->n == e->cap) {
    size_t cap = e->cap ? e->cap * 2 : 16;
    char **nm = realloc(e->msg, cap * sizeof *nm);
    if (!nm) return;
    e->msg = nm;
    e->cap = cap;
  }
  if (line > 0)
    k = snprintf(text, sizeof text, "%s:%d: ", name ? name : "?", line);
  else
    k = snprintf(text, sizeof text, "%s: ", name ? name : "?");
  if (k < 0) k = 0;
  if ((size_t)k >= sizeof text) k = (int)sizeof text - 1;
  va_start(ap, fmt);
  vsnprintf(text + k, sizeof text - (size_t)k, fmt, ap);
  va_end(ap);
  len = strlen(text);
  s = malloc(len + 1);
  if (!s) return;
  memcpy(s, text, len + 1);
  e->msg[e->n++] = s;
}

void kb_errs_free(kb_errs_t *e) {
  for (size_t i = 0; i < e->n; i++) free(e->msg[i]);
  free(e->msg);
  e->msg = NULL;
  e->n = e->cap = 0;
}

/* --------------------------------------------------- input detection */

/* UTF-8 byte order mark: editors on Windows put one before the first line. */
static const char BOM[] = "\xEF\xBB\xBF";

kb_capture_kind_t kb_capture_detect(const char *buf, size_t n) {
  size_t i = 0;
  if (n >= 3 && memcmp(buf, BOM, 3) == 0) i = 3;
  while (i < n && isspace((unsigned char)buf[i])) i++;
  if (i + 1 < n && buf[i] == '$' && isalpha((unsigned char)buf[i + 1])) return KB_CAPTURE_VCD;
  return KB_CAPTURE_TEXT;
}

FILE *kb_capture_open(const char *path, kb_capture_kind_t *kind) {
  FILE *f;
  char head[512];
  size_t n;
  if (strcmp(path, "-") == 0) {
    char chunk[8192];
    size_t k;
    f = tmpfile();
    if (!f) return NULL;
    while ((k = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
      if (fwrite(chunk, 1, k, f) != k) {
        fclose(f);
        return NULL;
      }
    }
    if (ferror(stdin)) {
      fclose(f);
      errno = EIO;
      return NULL;
    }
  } else {
    f = fopen(path, "rb");
    if (!f) return NULL;
  }
  rewind(f);
  n = fread(head, 1, sizeof head, f);
  if (kind) *kind = kb_capture_detect(head, n);
  rewind(f);
  return f;
}

/* ----------------------------------------------------------- helpers */

unsigned kb_cap_nbytes(unsigned bits) {
  unsigned n;
  if (bits < 8) return 0;
  if (bits < 9) return 1;
  n = (bits + 7) / 8;
  return n > KB_FRAME_BYTES ? KB_FRAME_BYTES : n;
}

void kb_cap_init(kb_cap_log_t *log) { memset(log, 0, sizeof *log); }

void kb_cap_free(kb_cap_log_t *log) {
  for (size_t i = 0; i < log->n; i++) free((void *)log->rec[i].name);
  free(log->rec);
  kb_errs_free(&log->errs);
  kb_cap_init(log);
}

static kb_cap_rec_t *new_rec(kb_cap_log_t *log, kb_cap_kind_t kind, int lineno) {
  kb_cap_rec_t *r;
  if (log->n == log->cap) {
    size_t cap = log->cap ? log->cap * 2 : 64;
    kb_cap_rec_t *nr = realloc(log->rec, cap * sizeof *nr);
    if (!nr) {
      log->oom = true;
      return NULL;
    }
    log->rec = nr;
    log->cap = cap;
  }
  r = &log->rec[log->n++];
  memset(r, 0, sizeof *r);
  r->kind = kind;
  r->lineno = lineno;
  return r;
}

static const char *skip_ws(const char *p) {
  while (*p == ' ' || *p == '\t') p++;
  return p;
}

static bool starts(const char *p, const char *s) { return strncmp(p, s, strlen(s)) == 0; }

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static size_t tok_len(const char *p) {
  size_t n = 0;
  while (p[n] && p[n] != ' ' && p[n] != '\t') n++;
  return n;
}

/* "h:mm:ss" / "hh:mm:ss" with optional ".f{1,6}": returns length or 0. */
static size_t parse_clock(const char *p, double *t, int *res_ms) {
  const char *s = p;
  int h = 0, m, sec, nd = 0;
  double frac = 0, scale = 0.1;
  while (isdigit((unsigned char)*s) && nd < 2) h = h * 10 + (*s++ - '0'), nd++;
  if (nd == 0 || *s != ':') return 0;
  s++;
  if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':') return 0;
  m = (s[0] - '0') * 10 + (s[1] - '0');
  s += 3;
  if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1])) return 0;
  sec = (s[0] - '0') * 10 + (s[1] - '0');
  s += 2;
  if (isdigit((unsigned char)*s)) return 0;
  *res_ms = 1000;
  if (*s == '.' && isdigit((unsigned char)s[1])) {
    int fd = 0;
    s++;
    while (isdigit((unsigned char)*s)) {
      if (fd < 6) frac += (*s - '0') * scale, scale /= 10;
      fd++;
      s++;
    }
    *res_ms = fd >= 3 ? 1 : (fd == 2 ? 10 : 100);
  }
  *t = h * 3600.0 + m * 60.0 + sec + frac;
  return (size_t)(s - p);
}

/* KeybusReader "<secs>.<frac>:" : returns length (including ':') or 0. */
static size_t parse_kr_time(const char *p, double *t, int *res_ms) {
  const char *s = p;
  double v = 0, scale = 0.1;
  int nd = 0, fd = 0;
  while (isdigit((unsigned char)*s)) v = v * 10 + (*s++ - '0'), nd++;
  if (nd == 0 || nd > 12 || *s != '.') return 0;
  s++;
  while (isdigit((unsigned char)*s)) {
    v += (*s++ - '0') * scale;
    scale /= 10;
    fd++;
  }
  if (fd == 0 || *s != ':') return 0;
  *t = v;
  *res_ms = fd >= 3 ? 1 : (fd == 2 ? 10 : 100);
  return (size_t)(s + 1 - p);
}

/* Line context shared by the format parsers. */
typedef struct {
  kb_cap_log_t *log;
  const char *name;
  int lineno;
  bool has_time;
  double t;
  int res;
} line_ctx_t;

static kb_cap_rec_t *frame_rec(line_ctx_t *c, kb_cap_src_t src, kb_cap_fmt_t fmt) {
  kb_cap_rec_t *r = new_rec(c->log, KB_CAP_FRAME, c->lineno);
  if (!r) return NULL;
  r->source = src;
  r->fmt = fmt;
  r->has_time = c->has_time;
  r->t = c->t;
  r->t_res_ms = c->has_time ? c->res : 0;
  return r;
}

/* Panel frames remember their command; module frames get `under`. */
static void finish_frame(line_ctx_t *c, kb_cap_rec_t *r, int under, int under_sub) {
  kb_cap_log_t *log = c->log;
  if (r->source == KB_CAP_PANEL) {
    log->panel_frames++;
    if (r->nbytes >= 1 || r->bits >= 8) {
      log->have_last = true;
      log->last_cmd = r->bytes[0];
      log->last_sub = (r->bytes[0] == 0xE6 && r->nbytes >= 3) ? r->bytes[2] : 0;
      log->last_has_time = c->has_time;
      log->last_t = c->t;
    }
    return;
  }
  log->module_frames++;
  if (under >= 0) {
    r->has_under = true;
    r->under = (uint8_t)under;
    if (under_sub >= 0)
      r->under_sub = (uint8_t)under_sub;
    else if (under == 0xE6 && log->have_last && log->last_cmd == 0xE6)
      r->under_sub = log->last_sub;
  } else {
    /* Old KeybusReader versions print module data without saying which
     * command carried it. The line right after a panel line (same message:
     * within 50 ms) or after a status command belongs to that command.
     * Otherwise module data of the length of a status frame came with a
     * repeated 0x05 the tool did not print (it drops repeated status
     * frames but keeps their module data). */
    bool same_msg = log->have_last && c->has_time && log->last_has_time &&
                    c->t - log->last_t <= 0.05 && c->t >= log->last_t;
    bool status = log->have_last && (log->last_cmd == 0x05 || log->last_cmd == 0x1B ||
                                     log->last_cmd == 0x0A || log->last_cmd == 0x0F);
    if (!same_msg && !status && (r->nbytes == 6 || r->nbytes == 10)) {
      r->has_under = true;
      r->under_guessed = true;
      r->under = 0x05;
      r->under_sub = 0;
    } else if (log->have_last) {
      r->has_under = true;
      r->under_guessed = !same_msg;
      r->under = log->last_cmd;
      r->under_sub = log->last_sub;
    }
  }
}

/* Parses "0xNN" or "0xNN.SS" at p (after "[" / "[Module/"). p may end
 * anywhere (the line can be cut at the buffer's end): each character is read
 * only after the one before it was checked, so the scan never passes the
 * terminating NUL. */
static bool parse_label_cmd(const char *p, int *cmd, int *sub) {
  int a, b;
  if (p[0] != '0' || (p[1] != 'x' && p[1] != 'X')) return false;
  if ((a = hexval((unsigned char)p[2])) < 0) return false;
  if ((b = hexval((unsigned char)p[3])) < 0) return false;
  *cmd = a * 16 + b;
  *sub = -1;
  if (p[4] == '.' && hexval((unsigned char)p[5]) >= 0 && hexval((unsigned char)p[6]) >= 0)
    *sub = hexval((unsigned char)p[5]) * 16 + hexval((unsigned char)p[6]);
  return true;
}

/* ----------------------------------------------------- binary format */

static bool binary_token(const char *p, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++)
    if (p[i] != '0' && p[i] != '1' && p[i] != '.') return false;
  return true;
}

/* forced: -1 or a kb_cap_src_t; under: -1 or the module's command. */
static void parse_binary(line_ctx_t *c, const char *p, int forced, int under) {
  enum { MAXG = KB_FRAME_BYTES + 2 };
  const char *g[MAXG];
  size_t gl[MAXG];
  size_t ng = 0, bits = 0;
  int label_src = -1, label_cmd = -1, label_sub = -1, src;
  kb_cap_rec_t *r;
  p = skip_ws(p);
  while (*p) {
    size_t n = tok_len(p);
    if (!binary_token(p, n)) break;
    if (memchr(p, '.', n)) { /* masked digits (hideKeypadDigits) */
      c->log->skipped++;
      return;
    }
    if (ng == MAXG) {
      kb_errs_add(&c->log->errs, c->name, c->lineno, "frame too long (more than %d groups)", MAXG);
      return;
    }
    g[ng] = p;
    gl[ng] = n;
    ng++;
    bits += n;
    p = skip_ws(p + n);
  }
  for (size_t i = 0; i < ng; i++) {
    bool ok = i == 0 ? gl[i] == 8 : i == 1 ? gl[i] == 1 : (gl[i] == 8 || (i == ng - 1 && i >= 2 && gl[i] < 8));
    if (!ok) {
      kb_errs_add(&c->log->errs, c->name, c->lineno, "bad binary group \"%.*s\"", (int)(gl[i] > 40 ? 40 : gl[i]), g[i]);
      return;
    }
  }
  /* label */
  if (p[0] == '[') {
    if (parse_label_cmd(p + 1, &label_cmd, &label_sub)) {
      label_src = KB_CAP_PANEL;
      label_cmd = label_sub = -1; /* panel command comes from the bits */
    } else if (starts(p, "[Module/") && parse_label_cmd(p + 8, &label_cmd, &label_sub)) {
      label_src = KB_CAP_MODULE;
    } else if (starts(p, "[Keypad]") || starts(p, "[Digit]") || starts(p, "[Module")) {
      label_src = KB_CAP_MODULE;
      label_cmd = label_sub = -1;
    } else {
      label_cmd = label_sub = -1;
    }
  }
  if (forced >= 0)
    src = forced;
  else if (label_src >= 0)
    src = label_src;
  else
    src = (ng >= 2 && g[1][0] == '1') ? KB_CAP_MODULE : KB_CAP_PANEL;
  r = frame_rec(c, (kb_cap_src_t)src, KB_CAP_FMT_BINARY);
  if (!r) return;
  for (size_t i = 0; i < ng && i < KB_FRAME_BYTES; i++) {
    unsigned v = 0;
    for (size_t j = 0; j < gl[i]; j++) v = (v << 1) | (unsigned)(g[i][j] - '0');
    r->bytes[i] = (uint8_t)v;
  }
  r->bits = (uint16_t)bits;
  r->nbytes = (uint8_t)kb_cap_nbytes((unsigned)bits);
  if (under < 0 && label_cmd >= 0) under = label_cmd;
  finish_frame(c, r, under, under >= 0 && under == label_cmd ? label_sub : -1);
}

/* ------------------------------------------------------- hex formats */

/* Finds a hex source tag: returns its position, sets *src. */
static const char *find_hex_tag(const char *p, kb_cap_src_t *src) {
  const char *m1 = strstr(p, "[Module"), *m2 = strstr(p, "Moduledata:");
  const char *p1 = strstr(p, "[Panel"), *p2 = strstr(p, "Paneldata:");
  const char *best = NULL;
  const char *cand[4] = {m1, m2, p1, p2};
  for (int i = 0; i < 4; i++) {
    if (cand[i] && (!best || cand[i] < best)) {
      best = cand[i];
      *src = i < 2 ? KB_CAP_MODULE : KB_CAP_PANEL;
    }
  }
  return best;
}

static bool hex2_token(const char *p, size_t n, int *v) {
  int a, b;
  if (n != 2) return false;
  a = hexval((unsigned char)p[0]);
  b = hexval((unsigned char)p[1]);
  if (a < 0 || b < 0) return false;
  *v = a * 16 + b;
  return true;
}

/* "(N)" token: returns N or -1. */
static long bitcount_token(const char *p, size_t n) {
  long v = 0;
  if (n < 3 || p[0] != '(' || p[n - 1] != ')') return -1;
  for (size_t i = 1; i < n - 1; i++) {
    if (!isdigit((unsigned char)p[i]) || v > 100000) return -1;
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

static void parse_hex(line_ctx_t *c, const char *tag, kb_cap_src_t src) {
  const char *p = tag;
  int cmd = -1, v;
  uint8_t vals[KB_FRAME_BYTES];
  size_t nv = 0;
  long n_bits = -1;
  kb_cap_rec_t *r;
  /* the command field: first token "XX:" after the tag */
  while (*p) {
    size_t n;
    p = skip_ws(p);
    n = tok_len(p);
    if (n == 3 && p[2] == ':' && hex2_token(p, 2, &v)) {
      cmd = v;
      p += n;
      break;
    }
    p += n;
  }
  if (cmd < 0) {
    kb_errs_add(&c->log->errs, c->name, c->lineno, "hex frame without a command field");
    return;
  }
  for (;;) {
    size_t n;
    p = skip_ws(p);
    if (!*p) break;
    n = tok_len(p);
    if (n_bits < 0 && hex2_token(p, n, &v)) {
      if (nv == KB_FRAME_BYTES) {
        kb_errs_add(&c->log->errs, c->name, c->lineno, "more than %d hex bytes", KB_FRAME_BYTES);
        return;
      }
      vals[nv++] = (uint8_t)v;
    } else if (n_bits < 0 && nv > 0 && (n_bits = bitcount_token(p, n)) >= 0) {
      /* bit count; nothing may follow */
    } else {
      kb_errs_add(&c->log->errs, c->name, c->lineno, "bad hex token \"%.*s\"", (int)(n > 40 ? 40 : n), p);
      return;
    }
    p += n;
  }
  if (nv == 0) {
    kb_errs_add(&c->log->errs, c->name, c->lineno, "hex frame without bytes");
    return;
  }
  r = frame_rec(c, src, KB_CAP_FMT_HEX);
  if (!r) return;
  memcpy(r->bytes, vals, nv);
  if (n_bits > 0) r->logged_bits = (uint16_t)n_bits;
  if (src == KB_CAP_PANEL && n_bits > 0) {
    r->bits = (uint16_t)n_bits;
    r->nbytes = (uint8_t)kb_cap_nbytes((unsigned)n_bits);
  } else {
    r->nbytes = (uint8_t)nv;
    r->bits = (uint16_t)(nv >= 2 ? 8 * nv - 7 : 8);
    r->padded = true;
  }
  finish_frame(c, r, src == KB_CAP_MODULE ? cmd : -1, -1);
}

/* Comma lists. last7: keep only the last 7 values. */
static void parse_list(line_ctx_t *c, const char *p, bool last7) {
  uint8_t vals[64];
  size_t nv = 0, first = 0;
  kb_cap_rec_t *r;
  for (;;) {
    int a, b, v;
    p = skip_ws(p);
    if (!*p) break;
    a = hexval((unsigned char)p[0]);
    b = a >= 0 ? hexval((unsigned char)p[1]) : -1;
    if (a < 0) goto bad;
    v = b >= 0 ? a * 16 + b : a;
    p += b >= 0 ? 2 : 1;
    if (nv == sizeof vals) goto bad;
    vals[nv++] = (uint8_t)v;
    p = skip_ws(p);
    if (*p == ',') p++;
    else if (*p) goto bad;
  }
  if (nv == 0 || (last7 && nv < 7) || (!last7 && nv > KB_FRAME_BYTES)) {
    kb_errs_add(&c->log->errs, c->name, c->lineno, "wrong number of values (%zu)", nv);
    return;
  }
  if (last7) first = nv - 7;
  r = frame_rec(c, KB_CAP_PANEL, KB_CAP_FMT_LIST);
  if (!r) return;
  memcpy(r->bytes, vals + first, nv - first);
  r->nbytes = (uint8_t)(nv - first);
  r->bits = (uint16_t)(r->nbytes >= 2 ? 8 * r->nbytes - 7 : 8);
  r->padded = true;
  finish_frame(c, r, -1, -1);
  return;
bad:
  kb_errs_add(&c->log->errs, c->name, c->lineno, "bad value list near \"%.20s\"", p);
}

/* "...data ... 00 00 (67)" with no Panel/Module tag after a wall clock. */
static bool untagged_hex(const char *p) {
  size_t nv = 0;
  int v;
  for (;;) {
    size_t n;
    p = skip_ws(p);
    if (!*p) return false;
    n = tok_len(p);
    if (hex2_token(p, n, &v))
      nv++;
    else
      return nv > 0 && bitcount_token(p, n) >= 0 && !*skip_ws(p + n);
    p += n;
  }
}

/* "| key | bits |" */
static void parse_table(line_ctx_t *c, const char *p) {
  while (*p) {
    const char *cell = skip_ws(p + 1), *end = strchr(p + 1, '|');
    size_t n = tok_len(cell);
    if (n == 8 && binary_token(cell, n)) {
      char tmp[LINE_CAP];
      size_t len = end ? (size_t)(end - cell) : strlen(cell);
      memcpy(tmp, cell, len);
      tmp[len] = 0;
      parse_binary(c, tmp, -1, -1);
      return;
    }
    if (!end) break;
    p = end;
  }
  c->log->ignored++;
}

/* -------------------------------------------------------------- lines */

static bool is_section(const char *p) {
  p = skip_ws(p + 1);
  return strncasecmp(p, "capture", 7) == 0 && !isalnum((unsigned char)p[7]);
}

void kb_cap_parse_line(kb_cap_log_t *log, const char *line, int lineno, const char *name) {
  char buf[LINE_CAP];
  size_t len = strlen(line);
  char *p, *q;
  line_ctx_t c;
  double wt = 0;
  int wres = 0;
  bool wall = false, kr = false;
  int forced = -1, under = -1;
  kb_cap_src_t hsrc = KB_CAP_PANEL;
  const char *tag;
  size_t n;

  if (len >= sizeof buf) len = sizeof buf - 1;
  memcpy(buf, line, len);
  buf[len] = 0;
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
                     buf[len - 1] == '\t'))
    buf[--len] = 0;
  log->lines++;
  memset(&c, 0, sizeof c);
  c.log = log;
  c.name = name;
  c.lineno = lineno;

  /* a byte order mark is no part of the line (skipped on any line: files
   * joined with cat keep theirs) */
  p = (char *)skip_ws(strncmp(buf, BOM, 3) == 0 ? buf + 3 : buf);
  if (!*p) {
    log->blank++;
    return;
  }
  if (*p == '#') {
    log->comments++;
    if (is_section(p)) {
      kb_cap_rec_t *r = new_rec(log, KB_CAP_SECTION, lineno);
      const char *s = skip_ws(p + 1);
      char *nm = malloc(strlen(s) + 1);
      if (r && nm) {
        strcpy(nm, s);
        r->name = nm;
      } else {
        free(nm);
        if (r) log->n--;
        log->oom = true;
      }
      log->have_last = false;
    }
    return;
  }
  if (starts(p, "//") || starts(p, "...") || *p == '(' || starts(p, "----")) {
    log->skipped++;
    return;
  }
  if ((q = strstr(p, "//")) != NULL) *q = 0;
  if ((q = strstr(p, "----")) != NULL) *q = 0;
  len = strlen(p);
  while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t')) p[--len] = 0;
  if (*p == '|') {
    parse_table(&c, p);
    return;
  }

  /* wall-clock prefixes: "[hh:mm:ss(.mmm)]", "hh:mm:ss.mmm -> ", "hh:mm:ss | " */
  if (p[0] == '[' && (n = parse_clock(p + 1, &wt, &wres)) > 0 && p[1 + n] == ']') {
    wall = true;
    p += n + 2;
  } else if ((n = parse_clock(p, &wt, &wres)) > 0 && (p[n] == ' ' || p[n] == '\t')) {
    wall = true;
    p += n;
  }
  p = (char *)skip_ws(p);
  if (wall && starts(p, "->")) p = (char *)skip_ws(p + 2);
  if ((n = parse_kr_time(p, &c.t, &c.res)) > 0) {
    kr = true;
    p = (char *)skip_ws(p + n);
  }
  c.has_time = kr || wall;
  if (!kr && wall) {
    c.t = wt;
    c.res = wres;
  }
  if (starts(p, "[PANEL]")) {
    forced = KB_CAP_PANEL;
    p = (char *)skip_ws(p + 7);
  } else if (starts(p, "[MODULE]")) {
    int a, b;
    forced = KB_CAP_MODULE;
    p = (char *)skip_ws(p + 8);
    a = hexval((unsigned char)p[0]);
    b = a >= 0 ? hexval((unsigned char)p[1]) : -1;
    if (a >= 0 && b >= 0 && p[2] == ':') {
      under = a * 16 + b;
      p = (char *)skip_ws(p + 3);
    } else if (a >= 0 && p[1] == ':') {
      under = a;
      p = (char *)skip_ws(p + 2);
    }
  }

  n = tok_len(p);
  if (binary_token(p, n) && (n >= 4 || kr || forced >= 0)) {
    parse_binary(&c, p, forced, under);
    return;
  }
  if ((tag = find_hex_tag(p, &hsrc)) != NULL) {
    parse_hex(&c, tag, hsrc);
    return;
  }
  if ((q = strstr(p, "Panel command data:")) != NULL) {
    parse_list(&c, q + strlen("Panel command data:"), false);
    return;
  }
  if ((q = strstr(p, "Partition")) != NULL) {
    const char *s = q + 9;
    while (isdigit((unsigned char)*s)) s++;
    if (s > q + 9 && starts(s, " changed data:")) {
      parse_list(&c, s + strlen(" changed data:"), true);
      return;
    }
  }
  if (strstr(p, "Keybus connected") || strstr(p, "Keybus disconnected") ||
      strstr(p, "Keybus buffer overflow")) {
    kb_cap_kind_t k = strstr(p, "Keybus connected")      ? KB_CAP_CONNECTED
                      : strstr(p, "Keybus disconnected") ? KB_CAP_DISCONNECTED
                                                         : KB_CAP_OVERFLOW;
    kb_cap_rec_t *r = new_rec(log, k, lineno);
    if (r) {
      r->has_time = c.has_time;
      r->t = c.t;
      r->t_res_ms = c.has_time ? c.res : 0;
    }
    return;
  }
  if (wall && untagged_hex(p)) {
    kb_errs_add(&log->errs, name, lineno, "hex frame without a Panel/Module tag");
    return;
  }
  log->ignored++;
}

void kb_cap_clear(kb_cap_log_t *log) {
  for (size_t i = 0; i < log->n; i++) free((void *)log->rec[i].name);
  log->n = 0;
  kb_errs_free(&log->errs);
  log->oom = false;
}

int kb_cap_read_line(kb_cap_log_t *log, FILE *f, const char *name, int *lineno) {
  char buf[LINE_CAP];
  size_t len = 0;
  bool nul = false;
  int ch = EOF;
  /* getc keeps memory bounded whatever the line's length (getline would
   * grow its buffer to a gigabyte line); the parser reads 4095 bytes */
  while ((ch = getc(f)) != EOF) {
    if (ch == 0) nul = true;
    if (len < sizeof buf - 1) buf[len++] = (char)ch;
    if (ch == '\n') break;
  }
  if (ch == EOF && len == 0 && !nul) {
    if (ferror(f)) {
      kb_errs_add(&log->errs, name, 0, "read error");
      return -1;
    }
    return 0;
  }
  buf[len] = 0;
  ++*lineno;
  if (nul) /* NUL bytes: binary junk */
    kb_errs_add(&log->errs, name, *lineno, "NUL byte in line");
  else
    kb_cap_parse_line(log, buf, *lineno, name);
  return 1;
}

int kb_cap_parse_stream(kb_cap_log_t *log, FILE *f, const char *name) {
  int lineno = 0, rc = 0, got;
  while ((got = kb_cap_read_line(log, f, name, &lineno)) > 0) {
  }
  if (got < 0) rc = -1;
  if (log->oom) {
    kb_errs_add(&log->errs, name, 0, "out of memory");
    rc = -1;
  }
  return rc;
}

int kb_cap_parse_file(kb_cap_log_t *log, const char *path) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
  int rc;
  if (!f) {
    kb_errs_add(&log->errs, path, 0, "cannot open: %s", strerror(errno));
    return -1;
  }
  rc = kb_cap_parse_stream(log, f, strcmp(path, "-") == 0 ? "<stdin>" : path);
  if (f != stdin) fclose(f);
  return rc;
}
