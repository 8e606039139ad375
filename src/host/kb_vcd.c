/* SPDX-License-Identifier: MIT
 *
 * kb_vcd.c - VCD reader and writer for the two Keybus wires (kb_vcd.h).
 */
#include "host/kb_vcd.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define TOK_MAX 256

/* ------------------------------------------------------------ reader */

static void verr(kb_vcd_reader_t *r, const char *msg, const char *tok) {
  if (r->nerr < KB_VCD_MAX_ERRORS) {
    if (tok)
      kb_errs_add(r->errs, r->name, r->tok_line, "%s \"%.40s\"", msg, tok);
    else
      kb_errs_add(r->errs, r->name, r->tok_line, "%s", msg);
  }
  r->nerr++;
  if (r->nerr == KB_VCD_MAX_ERRORS) {
    kb_errs_add(r->errs, r->name, r->tok_line, "too many errors, giving up");
    r->fatal = true;
  }
}

/* Next whitespace-separated token; false at end of file. Over-long tokens
 * are truncated (and reported). */
static bool next_tok(kb_vcd_reader_t *r, char *tok) {
  int ch;
  size_t n = 0;
  bool longtok = false;
  for (;;) {
    ch = getc(r->f);
    if (ch == EOF) {
      r->eof = true;
      return false;
    }
    if (ch == '\n') r->line++;
    if (!isspace(ch)) break;
  }
  r->tok_line = r->line;
  do {
    if (n < TOK_MAX - 1)
      tok[n++] = (char)ch;
    else
      longtok = true;
    ch = getc(r->f);
  } while (ch != EOF && !isspace(ch));
  if (ch == '\n') r->line++;
  if (ch == EOF) r->eof = true;
  tok[n] = 0;
  if (longtok) verr(r, "token too long", tok);
  return true;
}

/* Skips tokens through "$end". */
static void skip_to_end(kb_vcd_reader_t *r, const char *what) {
  char tok[TOK_MAX];
  int start = r->tok_line;
  while (next_tok(r, tok))
    if (strcmp(tok, "$end") == 0) return;
  r->tok_line = start;
  verr(r, "missing $end after", what);
}

static bool parse_u64(const char *s, uint64_t *v) {
  uint64_t x = 0;
  if (!*s) return false;
  for (; *s; s++) {
    if (!isdigit((unsigned char)*s)) return false;
    if (x > (UINT64_MAX - 9) / 10) return false;
    x = x * 10 + (uint64_t)(*s - '0');
  }
  *v = x;
  return true;
}

/* "$timescale 1 us $end" / "1us": sets mul/div. */
static void parse_timescale(kb_vcd_reader_t *r) {
  char tok[TOK_MAX], text[64] = "";
  size_t len = 0;
  uint64_t num = 0;
  const char *u;
  int exp10;
  int start = r->tok_line;
  bool ended = false;
  while (next_tok(r, tok)) {
    if (strcmp(tok, "$end") == 0) {
      ended = true;
      break;
    }
    if (len + strlen(tok) < sizeof text - 1) {
      strcpy(text + len, tok);
      len += strlen(tok);
    }
  }
  r->tok_line = start;
  if (!ended) {
    verr(r, "missing $end after", "$timescale");
    return;
  }
  u = text;
  while (isdigit((unsigned char)*u)) num = num * 10 + (uint64_t)(*u++ - '0');
  if (strcmp(u, "s") == 0) exp10 = 0;
  else if (strcmp(u, "ms") == 0) exp10 = -3;
  else if (strcmp(u, "us") == 0) exp10 = -6;
  else if (strcmp(u, "ns") == 0) exp10 = -9;
  else if (strcmp(u, "ps") == 0) exp10 = -12;
  else if (strcmp(u, "fs") == 0) exp10 = -15;
  else exp10 = 99;
  if ((num != 1 && num != 10 && num != 100) || exp10 == 99) {
    verr(r, "bad $timescale", text);
    return;
  }
  r->mul = num;
  r->div = 1;
  for (int e = exp10 + 6; e > 0; e--) r->mul *= 10;
  for (int e = exp10 + 6; e < 0; e++) r->div *= 10;
  if (r->div > 1 && r->mul > 1) { /* e.g. 100 ns = 1/10 us */
    r->div /= r->mul;
    r->mul = 1;
  }
}

typedef struct {
  char id[KB_VCD_ID_MAX];
  char name[KB_VCD_NAME_MAX];
} var_t;

/* Growable list of the 1-bit variables (candidates for the two wires). */
typedef struct {
  var_t *v;
  size_t n, cap;
} vars_t;

static bool vars_add(vars_t *vs, const char *id, const char *name) {
  if (vs->n == vs->cap) {
    size_t cap = vs->cap ? vs->cap * 2 : 64;
    var_t *nv = realloc(vs->v, cap * sizeof *nv);
    if (!nv) return false;
    vs->v = nv;
    vs->cap = cap;
  }
  memcpy(vs->v[vs->n].id, id, strlen(id) + 1);
  strncpy(vs->v[vs->n].name, name, sizeof vs->v[vs->n].name - 1);
  vs->v[vs->n].name[sizeof vs->v[vs->n].name - 1] = 0;
  vs->n++;
  return true;
}

/* Every declared identifier (any width), to tell an undeclared one. */
static bool ids_add(kb_vcd_reader_t *r, size_t *cap, const char *id) {
  char *s;
  if (r->nids == *cap) {
    size_t nc = *cap ? *cap * 2 : 64;
    char **n = realloc(r->ids, nc * sizeof *n);
    if (!n) return false;
    r->ids = n;
    *cap = nc;
  }
  s = malloc(strlen(id) + 1);
  if (!s) return false;
  strcpy(s, id);
  r->ids[r->nids++] = s;
  return true;
}

static int cmp_id(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool declared(const kb_vcd_reader_t *r, const char *id) {
  const char *key = id;
  return r->nids && bsearch(&key, r->ids, r->nids, sizeof *r->ids, cmp_id) != NULL;
}

void kb_vcd_close(kb_vcd_reader_t *r) {
  for (size_t i = 0; i < r->nids; i++) free(r->ids[i]);
  free(r->ids);
  r->ids = NULL;
  r->nids = 0;
}

static bool name_has(const char *name, const char *const *keys) {
  char low[KB_VCD_NAME_MAX];
  size_t i;
  for (i = 0; name[i] && i < sizeof low - 1; i++) low[i] = (char)tolower((unsigned char)name[i]);
  low[i] = 0;
  for (; *keys; keys++)
    if (strstr(low, *keys)) return true;
  return false;
}

int kb_vcd_open(kb_vcd_reader_t *r, FILE *f, const char *name, const kb_vcd_opts_t *opts,
                kb_errs_t *errs) {
  static const char *const clock_keys[] = {"clock", "clk", "yellow", NULL};
  static const char *const data_keys[] = {"data", "dat", "green", NULL};
  static const char *const pc16_keys[] = {"pc16", "pc-16", "pgm", NULL};
  char tok[TOK_MAX];
  vars_t vs = {NULL, 0, 0};
  var_t *vars;
  size_t nvars, ids_cap = 0;
  int sel[3] = {-1, -1, -1};
  bool body = false, first = true;
  memset(r, 0, sizeof *r);
  r->f = f;
  r->name = name ? name : "?";
  r->line = 1;
  r->mul = r->div = 1;
  r->level[0] = r->level[1] = r->level[2] = -1;
  r->errs = errs;
  while (!body && !r->fatal && next_tok(r, tok)) {
    if (first) { /* a UTF-8 byte order mark before the first keyword */
      first = false;
      if (strncmp(tok, "\xEF\xBB\xBF", 3) == 0) {
        memmove(tok, tok + 3, strlen(tok + 3) + 1);
        if (!*tok) continue;
      }
    }
    if (strcmp(tok, "$enddefinitions") == 0) {
      skip_to_end(r, tok);
      body = true;
    } else if (strcmp(tok, "$timescale") == 0) {
      parse_timescale(r);
    } else if (strcmp(tok, "$var") == 0) {
      char f4[4][TOK_MAX];
      int k = 0, start = r->tok_line;
      bool ended = false;
      while (next_tok(r, tok)) {
        if (strcmp(tok, "$end") == 0) {
          ended = true;
          break;
        }
        if (k < 4) strcpy(f4[k], tok);
        k++;
      }
      r->tok_line = start;
      if (!ended || k < 4) {
        verr(r, ended ? "short $var" : "missing $end after", "$var");
        continue;
      }
      if (!ids_add(r, &ids_cap, f4[2])) goto oom;
      if (strcmp(f4[1], "1") != 0) continue; /* only 1-bit wires */
      if (strlen(f4[2]) >= KB_VCD_ID_MAX) {
        verr(r, "identifier too long", f4[2]);
        continue;
      }
      if (!vars_add(&vs, f4[2], f4[3])) goto oom;
    } else if (tok[0] == '$') {
      skip_to_end(r, tok); /* $date $version $comment $scope $upscope ... */
    } else {
      verr(r, "unexpected token in header", tok);
    }
  }
  vars = vs.v;
  nvars = vs.n;
  if (r->nids) qsort(r->ids, r->nids, sizeof *r->ids, cmp_id);
  if (r->fatal) goto fail;
  if (!body) {
    kb_errs_add(errs, r->name, r->line, "no $enddefinitions");
    goto fail;
  }
  /* select the wires */
  for (size_t i = 0; i < nvars; i++) {
    if (opts && opts->clock_name) {
      if (sel[0] < 0 && strcasecmp(vars[i].name, opts->clock_name) == 0) sel[0] = (int)i;
    } else if (sel[0] < 0 && name_has(vars[i].name, clock_keys)) {
      sel[0] = (int)i;
    }
  }
  /* the Classic panels' PC-16 line: by name only (issue 11), and never a
   * clock or data candidate, so a two-wire capture reads as before */
  for (size_t i = 0; i < nvars && sel[2] < 0; i++)
    if ((int)i != sel[0] && name_has(vars[i].name, pc16_keys) &&
        !(opts && opts->data_name && strcasecmp(vars[i].name, opts->data_name) == 0))
      sel[2] = (int)i;
  for (size_t i = 0; i < nvars; i++) {
    if ((int)i == sel[0] || (int)i == sel[2]) continue;
    if (opts && opts->data_name) {
      if (sel[1] < 0 && strcasecmp(vars[i].name, opts->data_name) == 0) sel[1] = (int)i;
    } else if (sel[1] < 0 && name_has(vars[i].name, data_keys)) {
      sel[1] = (int)i;
    }
  }
  if ((opts && opts->clock_name && sel[0] < 0) || (opts && opts->data_name && sel[1] < 0)) {
    kb_errs_add(errs, r->name, 0, "named clock/data wire not found");
    goto fail;
  }
  for (int w = 0; w < 2; w++)
    for (size_t i = 0; sel[w] < 0 && i < nvars; i++)
      if ((int)i != sel[0] && (int)i != sel[1] && (int)i != sel[2]) sel[w] = (int)i;
  if (sel[0] < 0 || sel[1] < 0) {
    kb_errs_add(errs, r->name, 0, "need two 1-bit wires (clock and data), found %zu", nvars);
    goto fail;
  }
  for (int w = 0; w < 3; w++) {
    if (sel[w] < 0) continue;
    strcpy(r->id[w], vars[sel[w]].id);
    strcpy(r->var[w], vars[sel[w]].name);
  }
  free(vars);
  return 0;
oom:
  kb_errs_add(errs, r->name, 0, "out of memory");
fail:
  free(vs.v);
  kb_vcd_close(r);
  r->fatal = true;
  return -1;
}

/* Applies value v ('0','1','z'...) to id; fills *e on a reportable change. */
static int apply(kb_vcd_reader_t *r, char v, const char *id, kb_edge_t *e) {
  int level, hit = 0;
  if (v == '0') level = 0;
  else if (v == '1' || v == 'z' || v == 'Z') level = 1;
  else if (v == 'x' || v == 'X') return 0;
  else {
    verr(r, "bad value", id);
    return 0;
  }
  if (strcmp(id, r->id[0]) != 0 && strcmp(id, r->id[1]) != 0 &&
      (!r->id[2][0] || strcmp(id, r->id[2]) != 0)) {
    /* not ours; an identifier no $var declared is a broken file (or a
     * broken converter): said once, counted, summed up at the end */
    if (!declared(r, id) && r->undeclared++ == 0) {
      r->undeclared_line = r->tok_line;
      kb_errs_add(r->errs, r->name, r->tok_line,
                  "warning: value change of undeclared identifier \"%.40s\" ignored (more are "
                  "counted, not shown)", id);
    }
    return 0;
  }
  for (int w = 0; w < 3; w++) {
    if (!r->id[w][0] || strcmp(id, r->id[w]) != 0) continue;
    r->changes++;
    if (r->level[w] == level) continue;
    r->level[w] = (int8_t)level;
    e->t_us = r->t_us;
    e->wire = (uint8_t)w;
    e->level = (uint8_t)level;
    hit = 1;
    break; /* the same id cannot be both wires */
  }
  return hit;
}

/* End of the body (EOF or fatal): the summary, the identifiers freed. */
static int finish(kb_vcd_reader_t *r, int rc) {
  if (r->undeclared && r->ids) /* once: ids is NULL after */
    kb_errs_add(r->errs, r->name, 0,
                "warning: %llu value change%s of undeclared identifiers ignored",
                (unsigned long long)r->undeclared, r->undeclared == 1 ? "" : "s");
  kb_vcd_close(r);
  return rc;
}

int kb_vcd_next(kb_vcd_reader_t *r, kb_edge_t *e) {
  char tok[TOK_MAX], id[TOK_MAX];
  while (!r->fatal) {
    if (!next_tok(r, tok)) return finish(r, 0);
    switch (tok[0]) {
    case '#': {
      uint64_t t, us;
      if (!parse_u64(tok + 1, &t)) {
        verr(r, "bad time", tok);
        break;
      }
      if (r->mul > 1 && t > UINT64_MAX / r->mul) {
        verr(r, "time overflows", tok);
        break;
      }
      us = t * r->mul / r->div;
      if (r->have_time && t < r->t_raw) {
        verr(r, "time goes backwards", tok);
        break;
      }
      r->have_time = true;
      r->t_raw = t;
      r->t_us = us;
      break;
    }
    case '0': case '1': case 'x': case 'X': case 'z': case 'Z':
      if (!tok[1]) {
        verr(r, "value without identifier", tok);
        break;
      }
      if (apply(r, tok[0], tok + 1, e)) return 1;
      break;
    case 'b': case 'B': {
      size_t n = strlen(tok);
      char v = tok[n - 1];
      bool ok = n >= 2;
      for (size_t i = 1; i < n; i++)
        if (!strchr("01xXzZ", tok[i])) ok = false;
      if (!next_tok(r, id)) {
        verr(r, "vector value without identifier", tok);
        return finish(r, 0);
      }
      if (!ok) {
        verr(r, "bad vector value", tok);
        break;
      }
      if (apply(r, v, id, e)) return 1;
      break;
    }
    case 'r': case 'R':
      if (!next_tok(r, id)) {
        verr(r, "real value without identifier", tok);
        return finish(r, 0);
      }
      break;
    case '$':
      if (strcmp(tok, "$comment") == 0) {
        skip_to_end(r, tok);
      } else if (strcmp(tok, "$dumpvars") && strcmp(tok, "$dumpall") && strcmp(tok, "$dumpon") &&
                 strcmp(tok, "$dumpoff") && strcmp(tok, "$end")) {
        verr(r, "unexpected keyword", tok);
      }
      break;
    default:
      verr(r, "bad token", tok);
      break;
    }
  }
  return finish(r, -1);
}

long kb_vcd_read_all(kb_vcd_reader_t *r, kb_edge_fn fn, void *ctx) {
  kb_edge_t e;
  long n = 0;
  int rc;
  while ((rc = kb_vcd_next(r, &e)) == 1) {
    n++;
    if (fn) fn(ctx, &e);
  }
  return rc < 0 ? -1 : n;
}

/* ------------------------------------------------------------ writer */

static const char wire_id[3] = {'!', '"', '#'};

int kb_vcd_writer_begin_classic(kb_vcd_writer_t *w, FILE *f, const char *date, uint64_t t0_us) {
  char now[64];
  memset(w, 0, sizeof *w);
  w->f = f;
  w->t = t0_us;
  w->clk = w->dat = w->pc16 = 1;
  w->has_pc16 = true;
  if (!date) {
    time_t tt = time(NULL);
    struct tm tmv;
    if (gmtime_r(&tt, &tmv) && strftime(now, sizeof now, "%Y-%m-%d %H:%M:%S UTC", &tmv) > 0)
      date = now;
    else
      date = "unknown";
  }
  fprintf(f,
          "$date\n  %s\n$end\n"
          "$version\n  keybus (Classic series)\n$end\n"
          "$timescale 1us $end\n"
          "$scope module keybus $end\n"
          "$var wire 1 %c clock $end\n"
          "$var wire 1 %c data $end\n"
          "$var wire 1 %c pc16 $end\n"
          "$upscope $end\n"
          "$enddefinitions $end\n"
          "#%llu\n"
          "$dumpvars\n1%c\n1%c\n1%c\n$end\n",
          date, wire_id[0], wire_id[1], wire_id[2], (unsigned long long)t0_us, wire_id[0],
          wire_id[1], wire_id[2]);
  if (ferror(f)) w->err = true;
  return w->err ? -1 : 0;
}

int kb_vcd_writer_begin(kb_vcd_writer_t *w, FILE *f, const char *date, uint64_t t0_us,
                        bool clock0, bool data0) {
  char now[64];
  memset(w, 0, sizeof *w);
  w->f = f;
  w->t = t0_us;
  w->clk = clock0 ? 1 : 0;
  w->dat = data0 ? 1 : 0;
  if (!date) {
    time_t tt = time(NULL);
    struct tm tmv;
    if (gmtime_r(&tt, &tmv) && strftime(now, sizeof now, "%Y-%m-%d %H:%M:%S UTC", &tmv) > 0)
      date = now;
    else
      date = "unknown";
  }
  fprintf(f,
          "$date\n  %s\n$end\n"
          "$version\n  keybus\n$end\n"
          "$timescale 1us $end\n"
          "$scope module keybus $end\n"
          "$var wire 1 %c clock $end\n"
          "$var wire 1 %c data $end\n"
          "$upscope $end\n"
          "$enddefinitions $end\n"
          "#%llu\n"
          "$dumpvars\n%d%c\n%d%c\n$end\n",
          date, wire_id[0], wire_id[1], (unsigned long long)t0_us, w->clk, wire_id[0], w->dat,
          wire_id[1]);
  if (ferror(f)) w->err = true;
  return w->err ? -1 : 0;
}

int kb_vcd_writer_edge(kb_vcd_writer_t *w, const kb_edge_t *e) {
  uint8_t *cur, level = e->level ? 1 : 0;
  if (e->wire > (w->has_pc16 ? 2 : 1)) {
    w->err = true;
    return -1;
  }
  if (e->t_us < w->t) {
    w->err = true;
    return -1;
  }
  cur = e->wire == KB_EDGE_CLOCK ? &w->clk : e->wire == KB_EDGE_DATA ? &w->dat : &w->pc16;
  if (*cur == level) return 0;
  *cur = level;
  if (e->t_us != w->t) {
    w->t = e->t_us;
    fprintf(w->f, "#%llu\n", (unsigned long long)w->t);
  }
  fprintf(w->f, "%d%c\n", level, wire_id[e->wire]);
  w->edges++;
  return 0;
}

void kb_vcd_writer_cb(void *ctx, const kb_edge_t *e) { (void)kb_vcd_writer_edge(ctx, e); }

int kb_vcd_writer_end(kb_vcd_writer_t *w, uint64_t t_end_us) {
  if (t_end_us > w->t) {
    w->t = t_end_us;
    fprintf(w->f, "#%llu\n", (unsigned long long)w->t);
  }
  if (fflush(w->f) != 0 || ferror(w->f)) w->err = true;
  return w->err ? -1 : 0;
}
