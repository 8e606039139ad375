/* SPDX-License-Identifier: MIT
 *
 * keybus-reader: decodes Keybus traffic from logs users already have
 * (KeybusReader text logs of every version, ESPHome hex logs) and from VCD
 * files of the clock and data wires, which it replays edge by edge through
 * the same link layer the firmware uses.
 *
 *   keybus-reader [--json | --status | --state] [--vcd-out OUT.vcd] FILE...
 *
 * The FILEs in order form one input ("-" = stdin). A "# capture" comment line
 * starts a new capture with a fresh status model. Exit 0 when every input was
 * read (bad lines are reported on stderr and skipped), 2 for usage errors or
 * unreadable files. See docs/keybus-reader.md.
 *
 * The input is streamed: each record goes through a small window (the log
 * noise judgement needs the next status frame of the same command) and is
 * decoded and printed as soon as nothing before it waits, so memory stays
 * bounded whatever the input's size (WINDOW_MAX records at most).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classic.h"
#include "host/kb_capture.h"
#include "host/kb_edges.h"
#include "host/kb_json.h"
#include "host/kb_text.h"
#include "host/kb_vcd.h"
#include "host/kb_wave.h"
#include "keybus/kb_engine.h"
#include "keybus/kb_proto.h"

typedef enum { MODE_TEXT = 0, MODE_JSON, MODE_STATUS, MODE_STATE } mode_t_;

/* One input item: a log record, or a frame/connection change from a VCD. */
typedef struct {
  kb_cap_rec_t r;
  const char *file;
  int live;          /* from edges (VCD): the live noise filter applies */
  uint16_t noise;    /* log status frames: bytes judged as noise */
  int dropped;       /* log status frame whose every change is noise */
} item_t;

/* The records between the oldest status frame that waits for its
 * lookahead and the newest one (a ring). Past WINDOW_MAX the oldest waiting
 * frame is applied without judgement, as a frame with no successor is: a
 * log with one 0x1B and no other for 16,384 records costs 1.5 MB, not the
 * whole file. */
#define WINDOW_MAX 16384u

typedef struct out_s out_t;

typedef struct {
  item_t *v;
  size_t cap, head, n;
  uint64_t seq_head;  /* sequence number of v[head] */
  uint64_t seq_next;  /* of the next record pushed */
  /* per status command (0 = 0x05, 1 = 0x1B), within the capture section */
  int have_last[2];   /* a status frame of that command was seen */
  uint8_t last[2][KB_FRAME_BYTES];
  uint16_t last_bits[2];
  int pend[2];        /* a frame waits for its successor */
  uint64_t pend_seq[2];
  uint8_t pend_prev[2][KB_FRAME_BYTES]; /* the status frame before it */
  uint16_t pend_prev_bits[2];
  size_t high;        /* most records ever in the window */
  int oom;
  out_t *o;
  /* the replay link's ring of every VCD read (overflows added up, the
   * highest high-water mark): the health of --state */
  kb_link_stats_t vcd_stats;
  int has_vcd_stats;
} pipe_t;

static void run_item(out_t *o, const item_t *x);
static void pipe_push(pipe_t *p, const item_t *x);

/* ------------------------------------------------------------ VCD input *//* ------------------------------------------------------------ VCD input */

typedef struct {
  pipe_t *pipe;
  const char *file;
  kb_replay_t rp;
} vcd_ctx_t;

/* A frame's time is when the task took it from the link (the next message's
 * first edge, or the end of a long gap): monotonic, like a firmware task's
 * clock. Its start (f->t_start_us) can be long before that when the clock
 * stopped in the middle of it. */
static void vcd_frame(void *ctx, const kb_frame_t *f, uint64_t t) {
  vcd_ctx_t *c = ctx;
  item_t x;
  memset(&x, 0, sizeof x);
  x.file = c->file;
  x.live = 1;
  x.r.kind = KB_CAP_FRAME;
  x.r.source = KB_CAP_PANEL;
  memcpy(x.r.bytes, f->panel, KB_FRAME_BYTES);
  x.r.bits = f->panel_bits;
  x.r.nbytes = (uint8_t)kb_cap_nbytes(f->panel_bits);
  x.r.has_time = true;
  x.r.t = (double)t / 1e6;
  x.r.t_res_ms = 0;
  pipe_push(c->pipe, &x);
  if (f->module_seen) {
    x.r.source = KB_CAP_MODULE;
    memcpy(x.r.bytes, f->module, KB_FRAME_BYTES);
    x.r.bits = f->module_bits;
    x.r.nbytes = (uint8_t)kb_cap_nbytes(f->module_bits);
    x.r.has_under = true;
    x.r.under = f->panel[0];
    x.r.under_sub = f->panel_bits > 16 ? f->panel[2] : 0;
    pipe_push(c->pipe, &x);
  }
}

static void vcd_change(void *ctx, kb_link_change_t ch, uint64_t t) {
  vcd_ctx_t *c = ctx;
  item_t x;
  memset(&x, 0, sizeof x);
  x.file = c->file;
  x.live = 1;
  x.r.kind = ch == KB_LINK_CONNECTED ? KB_CAP_CONNECTED : KB_CAP_DISCONNECTED;
  x.r.has_time = true;
  x.r.t = (double)t / 1e6;
  pipe_push(c->pipe, &x);
}

static int read_vcd(FILE *f, const char *name, pipe_t *pipe) {
  static vcd_ctx_t c; /* the link is large; one VCD at a time */
  kb_vcd_reader_t r;
  kb_errs_t errs = {0};
  long n;
  memset(&c, 0, sizeof c);
  c.pipe = pipe;
  c.file = name;
  kb_replay_init(&c.rp, vcd_frame, vcd_change, &c);
  if (kb_vcd_open(&r, f, name, NULL, &errs) != 0) {
    for (size_t i = 0; i < errs.n; i++) fprintf(stderr, "keybus-reader: %s\n", errs.msg[i]);
    kb_errs_free(&errs);
    return -1;
  }
  n = kb_vcd_read_all(&r, kb_replay_cb, &c.rp);
  kb_replay_end(&c.rp, r.t_us);
  {
    kb_link_stats_t st;
    kb_link_stats(&c.rp.link, &st);
    pipe->vcd_stats.overflows += st.overflows;
    if (st.high_water > pipe->vcd_stats.high_water) pipe->vcd_stats.high_water = st.high_water;
    pipe->has_vcd_stats = 1;
  }
  for (size_t i = 0; i < errs.n; i++) fprintf(stderr, "keybus-reader: %s\n", errs.msg[i]);
  kb_errs_free(&errs);
  if (pipe->oom) return -1;
  return n < 0 ? -1 : 0;
}

/* ------------------------------------------------------------ log input */

/* Logs that print a fixed 16-byte buffer or a list with a trailing value
 * do not say how long the frame was: the command's length table does. */
static void unpad(kb_cap_rec_t *r) {
  uint8_t cmd, sub, n;
  if (!r->padded) return;
  if (r->source == KB_CAP_MODULE && r->logged_bits) {
    /* "(N)" on a hex module line is the bit count of the panel frame of the
     * same message: the module stream of that message has the same length */
    r->bits = r->logged_bits;
    r->nbytes = (uint8_t)kb_cap_nbytes(r->logged_bits);
    r->padded = false;
    return;
  }
  cmd = r->source == KB_CAP_MODULE ? r->under : r->bytes[0];
  sub = r->source == KB_CAP_MODULE ? r->under_sub : r->nbytes > 2 ? r->bytes[2] : 0;
  if (r->source == KB_CAP_MODULE && !r->has_under) return;
  n = kb_decode_frame_len(cmd, sub, r->nbytes);
  if (n) {
    r->nbytes = n;
    r->bits = (uint16_t)(8u * n - 7u);
  }
}

/* Line by line: each line's records go into the pipeline before the next
 * line is read, its messages to stderr. */
static int read_log(FILE *f, const char *name, pipe_t *pipe) {
  kb_cap_log_t log;
  int rc = 0, got, lineno = 0;
  kb_cap_init(&log);
  do {
    got = kb_cap_read_line(&log, f, name, &lineno);
    for (size_t i = 0; i < log.errs.n; i++) fprintf(stderr, "keybus-reader: %s\n", log.errs.msg[i]);
    for (size_t i = 0; i < log.n; i++) {
      item_t x;
      memset(&x, 0, sizeof x);
      x.r = log.rec[i];
      x.file = name;
      if (x.r.kind == KB_CAP_SECTION) {
        x.r.name = x.r.name ? strdup(x.r.name) : NULL;
        if (log.rec[i].name && !x.r.name) pipe->oom = 1;
      }
      if (x.r.kind == KB_CAP_FRAME) unpad(&x.r);
      pipe_push(pipe, &x);
    }
    if (log.oom) {
      fprintf(stderr, "keybus-reader: %s: out of memory\n", name);
      rc = -1;
    }
    kb_cap_clear(&log);
  } while (got > 0);
  if (got < 0 || pipe->oom) rc = -1;
  kb_cap_free(&log);
  return rc;
}

/* ------------------------------------------------ log noise judgement */

static int panel_status_ok(const item_t *x) {
  kb_decoded_t d;
  if (x->r.kind != KB_CAP_FRAME || x->r.source != KB_CAP_PANEL || x->live) return 0;
  if (x->r.bytes[0] != KB_CMD_STATUS && x->r.bytes[0] != KB_CMD_STATUS_HIGH) return 0;
  kb_decode_panel(x->r.bytes, x->r.nbytes, x->r.bits, &d);
  return d.check == KB_CHECK_OK;
}

static long long ms_at_res(const item_t *x) {
  long long ms = llround(x->r.t * 1000.0);
  int res = x->r.t_res_ms > 0 ? x->r.t_res_ms : 1;
  return ms - ms % res;
}

/* One frame of lookahead per status command, within each capture: cur is
 * judged against the status frame of the same command before it (prev) and
 * the one after it (next). */
static void judge(item_t *cur, const uint8_t *prev, uint16_t prev_bits, const item_t *next) {
  int soon = 1;
  if (cur->r.has_time && next->r.has_time) {
    long long dt = ms_at_res(next) - ms_at_res(cur);
    soon = dt >= 0 && dt < 1000;
  }
  cur->noise = kb_filter_log_judge(prev, prev_bits, cur->r.bytes, cur->r.bits, next->r.bytes,
                                   next->r.bits, soon != 0);
  if (cur->noise) {
    /* every changed byte is noise: the frame carries nothing new */
    int all = 1;
    for (uint8_t k = 2; k < cur->r.nbytes && k < 10; k++)
      if (cur->r.bytes[k] != prev[k] &&
          !(cur->noise & (1u << ((cur->r.bytes[0] == KB_CMD_STATUS_HIGH ? 8u : 0u) + k - 2u))))
        all = 0;
    cur->dropped = all;
  }
}

/* ----------------------------------------------------------- pipeline */

static item_t *at_seq(pipe_t *p, uint64_t seq) {
  return &p->v[(p->head + (size_t)(seq - p->seq_head)) % p->cap];
}

static int waiting(const pipe_t *p, uint64_t seq) {
  return (p->pend[0] && p->pend_seq[0] == seq) || (p->pend[1] && p->pend_seq[1] == seq);
}

/* Decodes and prints the records at the front that nothing waits for. */
static void flush(pipe_t *p) {
  while (p->n && !waiting(p, p->seq_head)) {
    item_t *x = &p->v[p->head];
    run_item(p->o, x);
    if (x->r.kind == KB_CAP_SECTION) free((void *)x->r.name);
    p->head = (p->head + 1) % p->cap;
    p->n--;
    p->seq_head++;
  }
}

static int grow(pipe_t *p) {
  size_t cap = p->cap ? p->cap * 2 : 256;
  item_t *v = malloc(cap * sizeof *v);
  if (!v) return -1;
  for (size_t i = 0; i < p->n; i++) v[i] = p->v[(p->head + i) % p->cap];
  free(p->v);
  p->v = v;
  p->cap = cap;
  p->head = 0;
  return 0;
}

static void pipe_push(pipe_t *p, const item_t *x) {
  item_t *slot;
  int c = -1;
  if (x->r.kind == KB_CAP_SECTION) {
    /* a new capture: the frames waiting have no successor (applied as
     * they are) and the next capture's frames no predecessor */
    p->pend[0] = p->pend[1] = 0;
    p->have_last[0] = p->have_last[1] = 0;
  } else if (panel_status_ok(x)) {
    c = x->r.bytes[0] == KB_CMD_STATUS_HIGH;
  }
  while (p->n == p->cap) { /* (cap doubles from 256 up to WINDOW_MAX) */
    if (p->cap < WINDOW_MAX && grow(p) == 0) break;
    if (!p->pend[0] && !p->pend[1]) { /* nothing to release: out of memory */
      p->oom = 1;
      return;
    }
    /* the window is full: the oldest waiting frame goes without its
     * lookahead (as one with no successor), and what follows it with it */
    if (p->pend[0] && (!p->pend[1] || p->pend_seq[0] < p->pend_seq[1]))
      p->pend[0] = 0;
    else
      p->pend[1] = 0;
    flush(p);
  }
  slot = &p->v[(p->head + p->n) % p->cap];
  *slot = *x;
  p->n++;
  if (p->n > p->high) p->high = p->n;
  if (c >= 0) {
    uint64_t seq = p->seq_next;
    if (p->pend[c]) {
      judge(at_seq(p, p->pend_seq[c]), p->pend_prev[c], p->pend_prev_bits[c], slot);
      p->pend[c] = 0;
    }
    if (p->have_last[c]) {
      p->pend[c] = 1;
      p->pend_seq[c] = seq;
      memcpy(p->pend_prev[c], p->last[c], KB_FRAME_BYTES);
      p->pend_prev_bits[c] = p->last_bits[c];
    }
    memcpy(p->last[c], x->r.bytes, KB_FRAME_BYTES);
    p->last_bits[c] = x->r.bits;
    p->have_last[c] = 1;
  }
  p->seq_next++;
  flush(p);
}

/* End of the input: what still waits has no successor. */
static void pipe_end(pipe_t *p) {
  p->pend[0] = p->pend[1] = 0;
  flush(p);
  free(p->v);
  p->v = NULL;
  p->cap = p->n = 0;
}

/* ------------------------------------------------------------- output */

struct out_s {
  mode_t_ mode;
  kb_engine_t eng;
  const item_t *cur;
  /* VCD out */
  FILE *vcd;
  kb_vcd_writer_t vw;
  kb_wave_t wave;
  uint8_t last_panel[256][KB_FRAME_BYTES];
  uint16_t last_bits[256];
  int pending_panel; /* a panel frame waiting for a possible module line */
  uint8_t pp[KB_FRAME_BYTES];
  uint16_t pp_bits;
  int pp_reps;
};

static void fmt_time(const item_t *x, char *buf, size_t n) {
  if (!x->r.has_time) {
    snprintf(buf, n, "%s:%d", x->file, x->r.lineno);
    return;
  }
  if (x->live) {
    snprintf(buf, n, "%.6f", x->r.t);
  } else if (x->r.t_res_ms == 10) {
    snprintf(buf, n, "%.2f", x->r.t);
  } else {
    long long ms = llround(x->r.t * 1000.0);
    long long s = ms / 1000;
    if (x->r.t_res_ms == 1)
      snprintf(buf, n, "%02lld:%02lld:%02lld.%03lld", s / 3600 % 100, s / 60 % 60, s % 60, ms % 1000);
    else
      snprintf(buf, n, "%02lld:%02lld:%02lld", s / 3600 % 100, s / 60 % 60, s % 60);
  }
}

static void on_event(void *ctx, const kb_event_t *ev) {
  out_t *o = ctx;
  char ts[64], text[256];
  if (o->mode != MODE_STATUS) return;
  if (!kb_text_event_is_change(ev)) return;
  fmt_time(o->cur, ts, sizeof ts);
  kb_text_event(ev, text, sizeof text);
  printf("%s %s\n", ts, text);
}

static uint32_t t_ms(const item_t *x) {
  return x->r.has_time ? (uint32_t)(llround(x->r.t * 1000.0) & 0xFFFFFFFFll) : 0;
}

/* VCD out: one message per frame; log status frames K times so that the
 * replay (live filter) reaches the same states; module lines ride on their
 * panel frame, or on the last panel frame of that command. */
static void vcd_flush(out_t *o, const uint8_t *module) {
  if (!o->pending_panel) return;
  for (int i = 0; i < o->pp_reps; i++) {
    kb_wave_message(&o->wave, o->pp, i == 0 ? module : NULL, o->pp_bits);
    kb_wave_idle(&o->wave, 5000);
  }
  o->pending_panel = 0;
}

static void vcd_item(out_t *o, const item_t *x, const kb_decoded_t *d) {
  if (!o->vcd || x->r.kind != KB_CAP_FRAME) return;
  if (x->r.source == KB_CAP_PANEL) {
    uint16_t bits;
    vcd_flush(o, NULL);
    if (d->check != KB_CHECK_OK) return; /* garbage is not replayed */
    bits = (uint16_t)(8u * d->nbytes - 7u);
    memcpy(o->pp, x->r.bytes, KB_FRAME_BYTES);
    o->pp_bits = bits;
    o->pp_reps = (d->parts_kind == KB_PARTS_STATUS && !x->live && !x->dropped) ? KB_FILTER_K : 1;
    o->pending_panel = 1;
    memcpy(o->last_panel[x->r.bytes[0]], x->r.bytes, KB_FRAME_BYTES);
    o->last_bits[x->r.bytes[0]] = bits;
  } else {
    uint8_t under = x->r.under;
    if (!x->r.has_under) return;
    if (o->pending_panel && o->pp[0] == under) {
      vcd_flush(o, x->r.bytes);
      return;
    }
    vcd_flush(o, NULL);
    if (!o->last_bits[under]) return;
    memcpy(o->pp, o->last_panel[under], KB_FRAME_BYTES);
    o->pp_bits = o->last_bits[under];
    o->pp_reps = 1;
    o->pending_panel = 1;
    vcd_flush(o, x->r.bytes);
  }
}

/* The bits as captured, grouped like the logs print them: the command byte,
 * the stop bit alone, 8-bit groups, then any trailing bits. */
static void format_bits(const item_t *x, const kb_decoded_t *d, char *buf, size_t n) {
  size_t len = 0;
  for (uint8_t i = 0; i < d->nbytes && len + 10 < n; i++) {
    unsigned w = i == 1 ? 1u : 8u;
    if (i) buf[len++] = ' ';
    for (unsigned k = w; k-- > 0;) buf[len++] = (char)('0' + ((x->r.bytes[i] >> k) & 1u));
  }
  if (d->trailing && d->nbytes < KB_FRAME_BYTES && len + 10 < n) {
    buf[len++] = ' ';
    for (unsigned k = d->trailing; k-- > 0;) buf[len++] = (char)('0' + ((x->r.bytes[d->nbytes] >> k) & 1u));
  }
  buf[len] = '\0';
}

static void print_frame(out_t *o, const item_t *x, const kb_decoded_t *d) {
  char text[512], label[16], ts[64], bits[200];
  kb_text_frame(d, text, sizeof text);
  if (o->mode == MODE_JSON) {
    cJSON *j = kb_json_frame(d, x->r.bytes, x->r.bits, o->eng.status.synced, text);
    char *s;
    if (!j) return;
    if (!x->r.has_under && x->r.source == KB_CAP_MODULE) cJSON_ReplaceItemInObject(j, "cmd", cJSON_CreateNull());
    if (x->r.lineno) {
      cJSON_AddStringToObject(j, "file", x->file);
      cJSON_AddNumberToObject(j, "line", x->r.lineno);
    }
    if (x->r.has_time) {
      fmt_time(x, ts, sizeof ts);
      cJSON_AddStringToObject(j, "time", ts);
    }
    if (x->noise) cJSON_AddBoolToObject(j, "noise", x->dropped);
    s = cJSON_PrintUnformatted(j);
    if (s) puts(s);
    free(s);
    cJSON_Delete(j);
  } else if (o->mode == MODE_TEXT) {
    fmt_time(x, ts, sizeof ts);
    kb_text_label(d, label, sizeof label);
    format_bits(x, d, bits, sizeof bits);
    if (x->r.source == KB_CAP_MODULE)
      printf("%s %s [%s/%s] %s\n", ts, bits, d->alarm_key ? "Keypad" : "Module",
             x->r.has_under ? label : "?", text);
    else
      printf("%s %s [%s] %s%s\n", ts, bits, label, text, x->dropped ? " (dropped as noise)" : "");
  }
}

static void new_capture(out_t *o) { kb_engine_init(&o->eng, KB_MODE_LOG, on_event, o); }

static void run_item(out_t *o, const item_t *x) {
  kb_decoded_t d;
  o->cur = x;
  switch (x->r.kind) {
    case KB_CAP_SECTION:
      vcd_flush(o, NULL);
      new_capture(o);
      if (o->mode == MODE_STATUS || o->mode == MODE_TEXT) printf("# %s\n", x->r.name ? x->r.name : "capture");
      return;
    case KB_CAP_CONNECTED:
    case KB_CAP_DISCONNECTED:
      kb_engine_connected(&o->eng, x->r.kind == KB_CAP_CONNECTED, t_ms(x));
      return;
    case KB_CAP_OVERFLOW:
      if (o->mode == MODE_TEXT) printf("%s:%d: the logging tool reported a buffer overflow\n", x->file, x->r.lineno);
      return;
    default:
      break;
  }
  kb_engine_set_mode(&o->eng, x->live ? KB_MODE_LIVE : KB_MODE_LOG);
  if (x->r.source == KB_CAP_PANEL)
    (void)kb_engine_panel(&o->eng, x->r.bytes, x->r.nbytes, x->r.bits, x->noise, t_ms(x), &d);
  else
    (void)kb_engine_module(&o->eng, x->r.has_under ? x->r.under : 0, x->r.under_sub, x->r.bytes,
                           x->r.nbytes, x->r.bits, t_ms(x), &d);
  print_frame(o, x, &d);
  vcd_item(o, x, &d);
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: keybus-reader [--panel classic] [--json | --status | --state] [--vcd-out OUT.vcd] FILE...\n"
          "  Decodes DSC Keybus traffic from KeybusReader/ESPHome logs or VCD captures.\n"
          "  --panel classic  a Classic series panel (PC1500/PC1550/PC2550): KeybusReader's\n"
          "              Classic logs (docs/classic.md)\n"
          "  (default)   one line per frame: time, command, meaning\n"
          "  --json      one JSON object per frame\n"
          "  --status    one line per change of the status model\n"
          "  --state     the status model after the last frame, as JSON\n"
          "  --vcd-out F also write the frames as clock/data waveforms (VCD)\n"
          "  FILE        a log or a .vcd; '-' reads stdin; several files form one input\n");
}

int main(int argc, char **argv) {
  static out_t o;
  static pipe_t pipe;
  const char *vcd_out = NULL;
  const char *files[256];
  static FILE *in[256];
  static kb_capture_kind_t kinds[256];
  int nfiles = 0, rc = 0;
  int classic = 0; /* --panel classic (issue 11): classic.c decodes */

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--panel")) {
      if (++i >= argc || (strcmp(argv[i], "classic") && strcmp(argv[i], "powerseries"))) {
        fprintf(stderr, "keybus-reader: --panel needs classic or powerseries\n");
        usage(stderr);
        return 2;
      }
      classic = !strcmp(argv[i], "classic");
    } else if (!strcmp(a, "--json")) o.mode = MODE_JSON;
    else if (!strcmp(a, "--status")) o.mode = MODE_STATUS;
    else if (!strcmp(a, "--state")) o.mode = MODE_STATE;
    else if (!strcmp(a, "--vcd-out")) {
      if (++i >= argc) {
        fprintf(stderr, "keybus-reader: --vcd-out needs a file name\n");
        usage(stderr);
        return 2;
      }
      vcd_out = argv[i];
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "keybus-reader: unknown option %s\n", a);
      usage(stderr);
      return 2;
    } else if (nfiles < (int)(sizeof files / sizeof files[0])) {
      files[nfiles++] = a;
    } else {
      fprintf(stderr, "keybus-reader: too many files\n");
      return 2;
    }
  }
  if (!nfiles) {
    usage(stderr);
    return 2;
  }
  if (classic) return classic_main((int)o.mode, files, nfiles, vcd_out);

  /* Every file is opened before anything is decoded: a missing one prints
   * nothing but the error (as when the whole input was read first). */
  if (reader_open(files, nfiles, in, kinds, vcd_out, &o.vcd) != 0) return 2;
  if (o.vcd) {
    kb_vcd_writer_begin(&o.vw, o.vcd, NULL, 0, true, true);
    kb_wave_init(&o.wave, 0, kb_vcd_writer_cb, &o.vw);
  }
  pipe.o = &o;
  new_capture(&o);
  for (int i = 0; i < nfiles; i++) {
    if ((kinds[i] == KB_CAPTURE_VCD ? read_vcd(in[i], files[i], &pipe)
                                  : read_log(in[i], files[i], &pipe)) != 0) {
      fprintf(stderr, "keybus-reader: %s: could not be read completely\n", files[i]);
      rc = 2;
    }
    fclose(in[i]);
  }
  pipe_end(&pipe);
  if (pipe.has_vcd_stats) kb_engine_link_stats(&o.eng, &pipe.vcd_stats);
  vcd_flush(&o, NULL);
  if (o.mode == MODE_STATE) {
    cJSON *j = kb_json_state(&o.eng);
    char *s = j ? cJSON_Print(j) : NULL;
    if (s) puts(s);
    free(s);
    cJSON_Delete(j);
  }
  if (o.vcd) {
    kb_wave_idle(&o.wave, 10000);
    if (kb_vcd_writer_end(&o.vw, kb_wave_now(&o.wave)) != 0 || o.vw.err || fclose(o.vcd) != 0) {
      fprintf(stderr, "keybus-reader: error writing %s\n", vcd_out);
      rc = 2;
    }
  }
  if (getenv("KEYBUS_READER_WINDOW"))
    fprintf(stderr, "keybus-reader: window high-water mark %zu records\n", pipe.high);
  fflush(stdout);
  return rc;
}
