/* SPDX-License-Identifier: MIT
 *
 * keybus-reader --panel classic (classic.h). Lines are decoded one at a
 * time as they are read: a Classic log needs no lookahead (there is no
 * noise judgement: KeybusReader drops repeated frames, and kb_classic
 * takes the last frame to have repeated until the next).
 *
 * Times: a line's own timestamp; lines without one are taken as
 * consecutive frames, one frame period (51 ms) after the line before.
 */
#include "classic.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/kb_classic_text.h"
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
} ctx_t;

static void fmt_time(const ctx_t *c, char *buf, size_t n) {
  const kb_clt_line_t *l = c->cur;
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
      break;
    }
    case KB_CLT_KEYPAD:
      (void)kb_cls_keypad(&c->cls, l->b[0], l->b[1], 16, c->t_ms);
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

int classic_main(int mode, const char *const *files, int nfiles) {
  static ctx_t c;
  static FILE *in[256];
  int rc = 0;
  memset(&c, 0, sizeof c);
  c.mode = mode;
  if (nfiles > 256) nfiles = 256;
  for (int i = 0; i < nfiles; i++) {
    in[i] = strcmp(files[i], "-") ? fopen(files[i], "r") : stdin;
    if (!in[i]) {
      fprintf(stderr, "keybus-reader: cannot read %s: %s\n", files[i], strerror(errno));
      while (i-- > 0)
        if (in[i] != stdin) fclose(in[i]);
      return 2;
    }
  }
  kb_cls_init(&c.cls, KB_MODE_LOG, on_event, &c);
  for (int i = 0; i < nfiles; i++) {
    c.file = files[i];
    if (read_file(&c, in[i]) != 0) {
      fprintf(stderr, "keybus-reader: %s: could not be read completely\n", files[i]);
      rc = 2;
    }
    if (in[i] != stdin) fclose(in[i]);
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
