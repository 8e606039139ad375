/* SPDX-License-Identifier: MIT
 *
 * keybus-reader --panel classic (classic.h). Lines are decoded one at a
 * time as they are read: a Classic log needs no lookahead (there is no
 * noise judgement: KeybusReader drops repeated frames, and kb_classic
 * takes the last frame to have repeated until the next).
 *
 * Times: a line's own timestamp; lines without one are taken as
 * consecutive frames, one frame period (51 ms) after the line before.
 *
 * VCD input (three wires: clock, data, pc16) is replayed edge by edge
 * through the Classic link (kb_cls_link.h) and decoded live. --vcd-out
 * writes such a VCD: every frame of a log is repeated at the Classic frame
 * period until the next line's time (at most VCD_HOLD_US), so the replay
 * sees what the bus showed; a keypad line rides on the next frame.
 */
#include "classic.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/kb_capture.h"
#include "host/kb_classic_text.h"
#include "host/kb_cls_edges.h"
#include "host/kb_vcd.h"
#include "host/kb_json.h"
#include "host/kb_text.h"
#include "keybus/kb_classic.h"
#include "keybus/kb_proto.h"

typedef struct {
  int mode;
  kb_cls_t cls;
  const char *file;
  int lineno;
  const kb_clt_line_t *cur; /* the line being decoded (event times) */
  uint32_t t_ms;            /* its time */
  uint32_t last_ms;         /* time of the line before (lines without one) */
  /* --vcd-out */
  FILE *vcd;
  kb_vcd_writer_t vw;
  kb_cls_wave_t wave;
  kb_cls_frame_t vlast;     /* the last frame written (repeated in gaps) */
  int vhave;
  uint8_t vkey;             /* a keypad line's K0 for the next frame, 0xFF none */
  /* VCD input: the frame being printed */
  int in_vcd;
  double live_t; /* time of the frame or change being reported */
} ctx_t;

#define VCD_HOLD_US 10000000ull /* a log frame repeats at most 10 s */
#define FRAME_US ((uint64_t)31u * KB_CLS_HALF_US + KB_CLS_IDLE_US)

static void vcd_frame(ctx_t *c, const kb_cls_frame_t *f, uint64_t t_us, int timed) {
  kb_cls_frame_t x;
  if (!c->vcd) return;
  if (timed && c->vhave) {
    uint64_t held = 0;
    while (c->wave.t + FRAME_US <= t_us && held < VCD_HOLD_US) {
      kb_cls_wave_frame(&c->wave, &c->vlast);
      held += FRAME_US;
    }
  }
  if (timed && c->wave.t < t_us) kb_cls_wave_idle(&c->wave, t_us - c->wave.t);
  x = *f;
  x.kbits = 0;
  if (c->vkey != 0xFFu) {
    x.k[0] = c->vkey;
    x.k[1] = 0xFF;
    x.kbits = 16;
    c->vkey = 0xFF;
  }
  kb_cls_wave_frame(&c->wave, &x);
  c->vlast = *f;
  c->vlast.kbits = 0;
  c->vhave = 1;
}

static void fmt_time(const ctx_t *c, char *buf, size_t n) {
  const kb_clt_line_t *l = c->cur;
  if (c->in_vcd) {
    snprintf(buf, n, "%.6f:", c->live_t);
    return;
  }
  if (!l || !l->has_time) {
    snprintf(buf, n, "%s:%d:", c->file, c->lineno);
    return;
  }
  snprintf(buf, n, "%.*f:", l->t_res_ms <= 1 ? 3 : l->t_res_ms == 10 ? 2 : l->t_res_ms == 100 ? 1 : 0,
           l->t);
}

static void on_event(void *ctx, const kb_event_t *ev) {
  ctx_t *c = ctx;
  char ts[64], text[256];
  if (c->mode != CLS_OUT_STATUS || !kb_text_event_is_change(ev)) return;
  fmt_time(c, ts, sizeof ts);
  if (ev->type == KB_EV_SYNCED) /* (a PowerSeries text names its generation) */
    snprintf(text, sizeof text, "synced with the panel (Classic: PC-16 data seen)");
  else
    kb_text_event(ev, text, sizeof text);
  printf("%s %s\n", ts, text);
}

static cJSON *hex(uint8_t v) {
  char s[8];
  snprintf(s, sizeof s, "0x%02X", v);
  return cJSON_CreateString(s);
}

static const char *check_name(kb_cls_check_t k) {
  switch (k) {
    case KB_CLS_OK: return "ok";
    case KB_CLS_RUNT: return "runt";
    case KB_CLS_LONG: return "length";
    case KB_CLS_NO_PC16: return "no_pc16";
    default: return "pc16_idle";
  }
}

static const char *check_note(kb_cls_check_t k) {
  switch (k) {
    case KB_CLS_NO_PC16: return " (waiting: no PC-16 data, PC16-OUT not configured)";
    case KB_CLS_PC16_IDLE: return " (dropped: PC-16 line idle)";
    default: return "";
  }
}

static void print_json(ctx_t *c, const kb_clt_line_t *l, int panel, kb_cls_check_t k, const char *text) {
  cJSON *o = cJSON_CreateObject(), *b, *f;
  char ts[64], *s;
  if (!o) return;
  cJSON_AddStringToObject(o, "panel", "classic");
  cJSON_AddStringToObject(o, "source", panel ? "panel" : "keypad");
  b = cJSON_AddArrayToObject(o, "bytes");
  for (unsigned i = 0; i < (panel ? 4u : 2u); i++) {
    char h[4];
    snprintf(h, sizeof h, "%02X", l->b[i]);
    cJSON_AddItemToArray(b, cJSON_CreateString(h));
  }
  cJSON_AddNumberToObject(o, "bits", 16);
  cJSON_AddStringToObject(o, "check", panel ? check_name(k) : "ok");
  cJSON_AddBoolToObject(o, "synced", c->cls.status.synced);
  cJSON_AddStringToObject(o, "text", text);
  f = cJSON_AddObjectToObject(o, "fields");
  if (panel) {
    cJSON *a = cJSON_AddArrayToObject(f, "lights");
    uint8_t lights = kb_cls_lights(l->b[1]);
    for (unsigned i = 0; i < 8; i++)
      if (lights & (1u << i)) cJSON_AddItemToArray(a, cJSON_CreateString(kb_text_light(i)));
    cJSON_AddBoolToObject(f, "beep", (l->b[1] & KB_CLS_D1_BEEP) != 0);
    a = cJSON_AddArrayToObject(f, "zone_lights");
    for (unsigned z = 0; z < 8; z++)
      if (l->b[0] & (0x80u >> z)) cJSON_AddItemToArray(a, cJSON_CreateNumber(z + 1));
    a = cJSON_AddArrayToObject(f, "pc16");
    for (unsigned i = 0; i < 8; i++)
      if (l->b[3] & (0x80u >> i)) cJSON_AddItemToArray(a, cJSON_CreateString(kb_clt_pc16_name(i)));
    a = cJSON_AddArrayToObject(f, "zones_alarm");
    for (unsigned z = 0; z < 6; z++)
      if (l->b[2] & (0x80u >> z)) cJSON_AddItemToArray(a, cJSON_CreateNumber(z + 1));
    cJSON_AddBoolToObject(f, "fire_alarm", (l->b[2] & KB_CLS_P0_FIRE) != 0);
  } else {
    const char *name = kb_clt_key_name(l->b[0]);
    cJSON_AddStringToObject(f, "key", name ? name : "");
    cJSON_AddItemToObject(f, "code", hex(l->b[0]));
  }
  cJSON_AddStringToObject(o, "file", c->file);
  cJSON_AddNumberToObject(o, "line", c->lineno);
  if (l->has_time) {
    fmt_time(c, ts, sizeof ts);
    ts[strlen(ts) - 1] = '\0'; /* no ':' */
    cJSON_AddStringToObject(o, "time", ts);
  }
  s = cJSON_PrintUnformatted(o);
  if (s) puts(s);
  free(s);
  cJSON_Delete(o);
}

static void run_line(ctx_t *c, const kb_clt_line_t *l) {
  char text[512], ts[64];
  kb_cls_check_t k = KB_CLS_OK;
  int panel = l->kind == KB_CLT_PANEL;
  c->cur = l;
  c->t_ms = l->has_time ? (uint32_t)(llround(l->t * 1000.0) & 0xFFFFFFFFll) : c->last_ms + KB_CLS_FRAME_MS;
  switch (l->kind) {
    case KB_CLT_SECTION:
      kb_cls_init(&c->cls, KB_MODE_LOG, on_event, c);
      if (c->mode == CLS_OUT_TEXT || c->mode == CLS_OUT_STATUS)
        printf("# %.*s\n", l->name_len ? (int)l->name_len : 7, l->name_len ? l->name : "capture");
      return;
    case KB_CLT_CONNECTED:
    case KB_CLT_DISCONNECTED:
      kb_cls_connected(&c->cls, l->kind == KB_CLT_CONNECTED, c->t_ms);
      c->last_ms = c->t_ms;
      return;
    case KB_CLT_PANEL: {
      kb_cls_frame_t f;
      memset(&f, 0, sizeof f);
      memcpy(f.d, l->b, 2);
      memcpy(f.p, l->b + 2, 2);
      f.bits = KB_CLS_FRAME_BITS;
      k = kb_cls_frame(&c->cls, &f, c->t_ms);
      kb_clt_format_panel(l->b, text, sizeof text);
      vcd_frame(c, &f, l->has_time ? (uint64_t)llround(l->t * 1e6) : 0, l->has_time);
      break;
    }
    case KB_CLT_KEYPAD:
      (void)kb_cls_keypad(&c->cls, l->b[0], l->b[1], 16, c->t_ms);
      c->vkey = l->b[0];
      if (c->vhave) { /* the key rides on a repeat of the last frame, at its time */
        kb_cls_frame_t f = c->vlast;
        vcd_frame(c, &f, l->has_time ? (uint64_t)llround(l->t * 1e6) : 0, l->has_time);
      }
      kb_clt_format_keypad(l->b[0], l->b[1], text, sizeof text);
      break;
    default:
      return;
  }
  c->last_ms = c->t_ms;
  if (c->mode == CLS_OUT_JSON) {
    print_json(c, l, panel, k, text);
  } else if (c->mode == CLS_OUT_TEXT) {
    fmt_time(c, ts, sizeof ts);
    printf("%s %s%s\n", ts, text, check_note(k));
  }
}

static int read_file(ctx_t *c, FILE *in) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  c->lineno = 0;
  while ((n = getline(&line, &cap, in)) >= 0) {
    kb_clt_line_t l;
    c->lineno++;
    if (memchr(line, '\0', (size_t)n)) {
      fprintf(stderr, "keybus-reader: %s:%d: a NUL byte in the line\n", c->file, c->lineno);
      continue;
    }
    if (kb_clt_parse(line, (size_t)n, &l) == KB_CLT_ERROR) {
      fprintf(stderr, "keybus-reader: %s:%d: %s\n", c->file, c->lineno, l.err);
      continue;
    }
    run_line(c, &l);
  }
  free(line);
  return ferror(in) ? -1 : 0;
}

/* A frame the Classic link published from a VCD: decoded live, printed
 * as KeybusReader would (a panel line, and a keypad line when a key
 * spoke). */
static void vcd_on_frame(void *ctx, const kb_cls_frame_t *f, uint64_t t_us) {
  ctx_t *c = ctx;
  kb_clt_line_t l;
  char text[512], ts[64];
  kb_cls_check_t k;
  memset(&l, 0, sizeof l);
  l.kind = KB_CLT_PANEL;
  memcpy(l.b, f->d, 2);
  memcpy(l.b + 2, f->p, 2);
  l.has_time = true;
  l.t = (double)t_us / 1e6;
  l.t_res_ms = 1;
  c->live_t = l.t;
  c->t_ms = (uint32_t)(t_us / 1000u);
  k = kb_cls_frame(&c->cls, f, c->t_ms);
  if (f->bits == KB_CLS_FRAME_BITS) vcd_frame(c, f, t_us, 1);
  if (c->vcd && f->kbits >= 8u && f->k[0] != 0xFFu) c->vkey = f->k[0];
  fmt_time(c, ts, sizeof ts);
  if (c->mode == CLS_OUT_TEXT || c->mode == CLS_OUT_JSON) {
    if (f->bits != KB_CLS_FRAME_BITS) {
      if (c->mode == CLS_OUT_TEXT) printf("%s frame of %u bits dropped (a Classic frame has 16)\n", ts, f->bits);
    } else {
      kb_clt_format_panel(l.b, text, sizeof text);
      if (c->mode == CLS_OUT_TEXT) printf("%s %s%s\n", ts, text, check_note(k));
      else print_json(c, &l, 1, k, text);
    }
    if (f->kbits >= 8u && f->k[0] != 0xFFu) {
      l.kind = KB_CLT_KEYPAD;
      l.b[0] = f->k[0];
      l.b[1] = f->k[1];
      kb_clt_format_keypad(f->k[0], f->k[1], text, sizeof text);
      if (c->mode == CLS_OUT_TEXT) printf("%s %s\n", ts, text);
      else print_json(c, &l, 0, KB_CLS_OK, text);
    }
  }
}

static void vcd_on_change(void *ctx, kb_link_change_t ch, uint64_t t_us) {
  ctx_t *c = ctx;
  c->live_t = (double)t_us / 1e6;
  kb_cls_connected(&c->cls, ch == KB_LINK_CONNECTED, (uint32_t)(t_us / 1000u));
}

static int read_vcd(ctx_t *c, FILE *in) {
  static kb_cls_replay_t rp;
  kb_vcd_reader_t r;
  kb_errs_t errs = {0};
  long n;
  kb_cls_set_mode(&c->cls, KB_MODE_LIVE);
  c->in_vcd = 1;
  kb_cls_replay_init(&rp, 0, vcd_on_frame, vcd_on_change, c);
  if (kb_vcd_open(&r, in, c->file, NULL, &errs) != 0) {
    for (size_t i = 0; i < errs.n; i++) fprintf(stderr, "keybus-reader: %s\n", errs.msg[i]);
    kb_errs_free(&errs);
    return -1;
  }
  if (!r.id[KB_EDGE_PC16][0])
    fprintf(stderr, "keybus-reader: %s: no PC-16 wire (a var named pc16 or pgm): the status waits for PC-16 data\n", c->file);
  n = kb_vcd_read_all(&r, kb_cls_replay_cb, &rp);
  kb_cls_replay_end(&rp, r.t_us);
  {
    kb_link_stats_t st;
    kb_cls_link_stats(&rp.link, &st);
    c->cls.health.ring_overflows += st.overflows;
    if (st.high_water > c->cls.health.ring_high_water) c->cls.health.ring_high_water = st.high_water;
  }
  for (size_t i = 0; i < errs.n; i++) fprintf(stderr, "keybus-reader: %s\n", errs.msg[i]);
  kb_errs_free(&errs);
  kb_cls_set_mode(&c->cls, KB_MODE_LOG);
  c->in_vcd = 0;
  return n < 0 ? -1 : 0;
}

int reader_open(const char *const *files, int nfiles, FILE **in, kb_capture_kind_t *kinds,
                const char *vcd_out, FILE **vcd) {
  *vcd = NULL;
  for (int i = 0; i < nfiles; i++) {
    in[i] = kb_capture_open(files[i], &kinds[i]);
    if (!in[i]) {
      fprintf(stderr, "keybus-reader: cannot read %s: %s\n", files[i], strerror(errno));
      while (i-- > 0) fclose(in[i]);
      return 2;
    }
  }
  if (vcd_out) {
    *vcd = fopen(vcd_out, "w");
    if (!*vcd) {
      fprintf(stderr, "keybus-reader: cannot write %s: %s\n", vcd_out, strerror(errno));
      for (int i = 0; i < nfiles; i++) fclose(in[i]);
      return 2;
    }
  }
  return 0;
}

int classic_main(int mode, const char *const *files, int nfiles, const char *vcd_out) {
  static ctx_t c;
  static FILE *in[256];
  static kb_capture_kind_t kinds[256];
  int rc = 0;
  memset(&c, 0, sizeof c);
  c.mode = mode;
  c.vkey = 0xFF;
  if (nfiles > 256) nfiles = 256;
  if (reader_open(files, nfiles, in, kinds, vcd_out, &c.vcd) != 0) return 2;
  if (c.vcd) {
    kb_vcd_writer_begin_classic(&c.vw, c.vcd, NULL, 0);
    kb_cls_wave_init(&c.wave, 0, kb_vcd_writer_cb, &c.vw);
  }
  kb_cls_init(&c.cls, KB_MODE_LOG, on_event, &c);
  for (int i = 0; i < nfiles; i++) {
    c.file = files[i];
    if ((kinds[i] == KB_CAPTURE_VCD ? read_vcd(&c, in[i]) : read_file(&c, in[i])) != 0) {
      fprintf(stderr, "keybus-reader: %s: could not be read completely\n", files[i]);
      rc = 2;
    }
    fclose(in[i]);
  }
  if (c.vcd) {
    kb_cls_wave_idle(&c.wave, 10000);
    if (kb_vcd_writer_end(&c.vw, c.wave.t) != 0 || c.vw.err || fclose(c.vcd) != 0) {
      fprintf(stderr, "keybus-reader: error writing %s\n", vcd_out);
      rc = 2;
    }
  }
  if (mode == CLS_OUT_STATE) {
    cJSON *j = kb_json_status(&c.cls.status, &c.cls.health);
    char *s = j ? cJSON_Print(j) : NULL;
    if (s) puts(s);
    free(s);
    cJSON_Delete(j);
  }
  fflush(stdout);
  return rc;
}
