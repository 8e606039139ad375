/* SPDX-License-Identifier: MIT
 *
 * decode_bench.c - drives the task-side path (frame checks, noise filter,
 * decode, status model, a no-op event callback) over two corpora, for
 * instruction counting under callgrind. bench/bench.sh runs it; see
 * bench/README.md for the method.
 *
 *   decode_bench golden GOLDEN [dump]  the golden frames (tests/data/golden.jsonl)
 *                                      through kb_engine_panel()/kb_engine_module()
 *                                      (run under callgrind --toggle-collect=
 *                                      kb_engine_panel --toggle-collect=kb_engine_module)
 *   decode_bench mix MIXFILE [dump]    the reference mix through kb_engine_frame()
 *                                      (run under --toggle-collect=kb_engine_frame)
 *   decode_bench speed GOLDEN MIXFILE  native wall-clock frames per second
 *
 * Both corpora run after one valid 0x05 has opened the start-up gate (its cost
 * is zeroed). With "dump", callgrind stats are dumped after every frame
 * (label "frame N CORPUS SOURCE CMD"); collection is on only inside the engine
 * entry points, so each dump holds exactly one frame.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <valgrind/callgrind.h>

#include "keybus/kb_engine.h"
#include "mix.h"

#define MAX_FRAMES 2048
#define MAX_BYTES 64

/* ------------------------------------------------------------ the corpus */

typedef struct {
  uint8_t module;            /* 0 panel, 1 module */
  uint8_t under, under_sub;  /* module frames: command answered */
  uint8_t n;                 /* bytes */
  uint16_t bits;
  uint8_t b[MAX_BYTES];
} gframe_t;

static gframe_t golden[MAX_FRAMES];
static int ngolden;

static mix_t mix;
static kb_frame_t mix_frames[MIX_MAX_TYPES]; /* one per message type of the mix */

static void die(const char *what, const char *path, int line) {
  fprintf(stderr, "decode_bench: %s:%d: %s\n", path, line, what);
  exit(1);
}

/* Value of "key": in a JSON line (flat objects only; enough for golden.jsonl). */
static const char *json_value(const char *line, const char *key) {
  char pat[32];
  const char *p;
  snprintf(pat, sizeof pat, "\"%s\":", key);
  p = strstr(line, pat);
  if (!p) return NULL;
  p += strlen(pat);
  while (*p == ' ') p++;
  return p;
}

static void load_golden(const char *path) {
  FILE *f = fopen(path, "r");
  char line[8192];
  int ln = 0;
  if (!f) {
    perror(path);
    exit(1);
  }
  while (fgets(line, sizeof line, f)) {
    gframe_t *g = &golden[ngolden];
    const char *src, *bytes, *bits, *under;
    ln++;
    if (line[0] != '{') continue;
    if (ngolden == MAX_FRAMES) die("too many frames", path, ln);
    memset(g, 0, sizeof *g);
    src = json_value(line, "source");
    bytes = json_value(line, "bytes");
    bits = json_value(line, "bits");
    if (!src || !bytes || !bits || *bytes != '[') die("source/bytes/bits missing", path, ln);
    if (!strncmp(src, "\"module\"", 8)) g->module = 1;
    else if (strncmp(src, "\"panel\"", 7)) die("unknown source", path, ln);
    for (const char *p = bytes + 1; *p && *p != ']'; p++) {
      if (*p != '"') continue;
      if (g->n == MAX_BYTES) die("too many bytes", path, ln);
      g->b[g->n++] = (uint8_t)strtoul(p + 1, NULL, 16);
      p = strchr(p + 1, '"');
      if (!p) die("bad bytes", path, ln);
    }
    g->bits = (uint16_t)strtoul(bits, NULL, 10);
    under = json_value(line, "under");
    if (g->module && under && *under == '"') { /* "0xCC" or "0xCC.SS"; null -> 0 */
      char *end;
      g->under = (uint8_t)strtoul(under + 1, &end, 16);
      if (*end == '.') g->under_sub = (uint8_t)strtoul(end + 1, NULL, 16);
    }
    ngolden++;
  }
  fclose(f);
  if (!ngolden) die("no frames", path, ln);
}

/* The mix file (format: bench/reference-mix.txt, read by mix.c). Each message
 * type becomes the kb_frame_t the link would publish: panel bytes, panel_bits
 * = 8N-7 plus the trailing bit, module bytes (released = 1s, stop bit 1),
 * module_bits equal to panel_bits (both streams are sampled in every clock
 * cycle), module_seen when any module bit of the message reads 0. */
static void load_mix(const char *path) {
  mix_load(&mix, path, "decode_bench");
  for (int t = 0; t < mix.ntypes; t++) {
    const mix_msg_t *m = &mix.types[t];
    kb_frame_t *f = &mix_frames[t];
    int n = m->nbytes;
    if (n > KB_FRAME_BYTES) {
      fprintf(stderr, "decode_bench: %s: %s: more than %d bytes\n", path, m->name, KB_FRAME_BYTES);
      exit(1);
    }
    memset(f, 0, sizeof *f);
    memcpy(f->panel, m->panel, (size_t)n);
    memset(f->module, 0xFF, sizeof f->module);
    memcpy(f->module, m->module, (size_t)n);
    f->panel_bits = (uint8_t)(8 * n - 7 + 1);
    f->module_bits = f->panel_bits;
    f->module_seen = (f->module[1] & 1u) == 0;
    for (int i = 0; i < n; i++)
      if (i != 1 && f->module[i] != 0xFF) f->module_seen = 1;
  }
}

/* -------------------------------------------------------------- the runs */

static unsigned long nevents;

/* No-op event callback (kept out of line: the engine calls it through a
 * pointer). */
static void on_event(void *ctx, const kb_event_t *ev) {
  (void)ctx;
  (void)ev;
}

/* counting variant for the native run, to show the callback was reached */
static void on_event_count(void *ctx, const kb_event_t *ev) {
  (void)ctx;
  (void)ev;
  nevents++;
}

static kb_engine_t eng;

static void prime(kb_event_cb cb) {
  static const uint8_t sync[] = {0x05, 0x00, 0x81, 0x01, 0x91, 0xC7};
  kb_engine_init(&eng, KB_INPUT_LIVE, cb, NULL);
  (void)kb_engine_panel(&eng, sync, sizeof sync, 8 * sizeof sync - 7, 0, 0, NULL);
  if (!eng.status.synced) {
    fprintf(stderr, "decode_bench: priming 0x05 did not open the gate\n");
    exit(1);
  }
  CALLGRIND_ZERO_STATS;
}

static void dump(int dumping, long i, const char *corpus, const char *src, uint8_t cmd,
                 uint8_t sub, int has_sub) {
  char label[96];
  if (!dumping) return;
  if (has_sub)
    snprintf(label, sizeof label, "frame %ld %s %s %02X.%02X", i, corpus, src, cmd, sub);
  else
    snprintf(label, sizeof label, "frame %ld %s %s %02X", i, corpus, src, cmd);
  CALLGRIND_DUMP_STATS_AT(label);
}

/* Golden frames in file order: every module line follows the panel line it
 * answered when that panel frame is in the corpus, else the previous frame. */
static void run_golden(int dumping) {
  uint32_t t = 100;
  for (int i = 0; i < ngolden; i++, t += 10) {
    const gframe_t *g = &golden[i];
    if (g->module) {
      (void)kb_engine_module(&eng, g->under, g->under_sub, g->b, g->n, g->bits, t, NULL);
      dump(dumping, i, "golden", "module", g->under, g->under_sub, g->under == 0xE6);
    } else {
      (void)kb_engine_panel(&eng, g->b, g->n, g->bits, 0, t, NULL);
      dump(dumping, i, "golden", "panel", g->b[0], g->n > 2 ? g->b[2] : 0, g->b[0] == 0xE6);
    }
  }
}

static void run_mix(int dumping) {
  uint32_t t = 100;
  for (long i = 0; i < mix.nmessages; i++, t += 5) {
    const kb_frame_t *f = &mix_frames[mix.cycle[i % mix.ncycle]];
    kb_engine_frame(&eng, f, t);
    dump(dumping, i, "mix", f->module_seen ? "panel+module" : "panel", f->panel[0], 0, 0);
  }
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Native: repeat each corpus until at least 0.5 s has passed. */
static void speed(void) {
  const char *names[2] = {"golden", "mix"};
  for (int c = 0; c < 2; c++) {
    double t0 = now_s(), dt;
    unsigned long frames = 0, reps = 0;
    nevents = 0;
    do {
      prime(on_event_count);
      if (c == 0) {
        run_golden(0);
        frames += (unsigned long)ngolden;
      } else {
        run_mix(0);
        frames += (unsigned long)mix.nmessages;
      }
      reps++;
      dt = now_s() - t0;
    } while (dt < 0.5);
    printf("speed %s frames=%lu reps=%lu seconds=%.3f fps=%.0f events_per_rep=%lu\n", names[c],
           frames, reps, dt, (double)frames / dt, nevents / reps);
  }
}

int main(int argc, char **argv) {
  int dumping = argc > 3 && !strcmp(argv[3], "dump");
  if (argc < 3) {
    fprintf(stderr, "usage: decode_bench golden GOLDEN [dump] | mix MIXFILE [dump] | speed GOLDEN MIXFILE\n");
    return 2;
  }
  if (!strcmp(argv[1], "golden")) {
    load_golden(argv[2]);
    prime(on_event);
    run_golden(dumping);
    int nmod = 0;
    for (int i = 0; i < ngolden; i++) nmod += golden[i].module;
    printf("golden frames=%d panel=%d module=%d frames_ok=%lu\n", ngolden, ngolden - nmod, nmod,
           (unsigned long)eng.health.frames_ok - 1ul);
  } else if (!strcmp(argv[1], "mix")) {
    load_mix(argv[2]);
    prime(on_event);
    run_mix(dumping);
    printf("mix frames=%ld frames_ok=%lu\n", mix.nmessages, (unsigned long)eng.health.frames_ok - 1ul);
  } else if (!strcmp(argv[1], "speed") && argc > 3) {
    load_golden(argv[2]);
    load_mix(argv[3]);
    speed();
  } else {
    return 2;
  }
  return 0;
}
