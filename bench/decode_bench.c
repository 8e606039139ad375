/* SPDX-License-Identifier: MIT
 *
 * decode_bench.c - drives the task side as a firmware would run it, through
 * kb_bus_poll() (ring peek/pop, frame checks, noise filter, decode, status
 * model, a no-op event callback, the keypad's step with the frame and the
 * periodic one, the disconnected rule, the link statistics and the clock),
 * over two corpora, for instruction counting under callgrind. bench/bench.sh
 * runs it; see bench/README.md for the method.
 *
 * Every message is clocked into the link edge by edge, as a port's
 * interrupts would (falling edge, module sample +250 us, rising edge +500,
 * panel sample +750, 1 ms per bit, a trailing cycle, then the clock high for
 * 2000 + ((i * 613) mod 2001) us); the next message's first falling edge
 * publishes it, and the task polls once then: each poll drains exactly one
 * frame. Collection (--toggle-collect=kb_bus_poll) is on inside the polls
 * only, so the interrupt side is not counted.
 *
 *   decode_bench golden GOLDEN [dump]  the panel lines of tests/data/golden.jsonl,
 *                                      each with the module line that follows it
 *                                      when that line answered it (see load_golden)
 *   decode_bench mix MIXFILE [dump]    the reference mix, in cycle order
 *   decode_bench speed GOLDEN MIXFILE  native wall-clock frames per second
 *                                      (edges and polls together)
 *
 * Both corpora run after one valid 0x05 has opened the start-up gate (that
 * poll, and the first one's connected event, are not counted). With "dump",
 * callgrind stats are dumped after every poll (label "frame N CORPUS SOURCE
 * CMD"), then after 16 polls with nothing to drain ("idle N").
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <valgrind/callgrind.h>

#include "keybus/kb_bus.h"
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

/* ---------------------------------------------------------- the messages */

/* One message as the port clocks it: panel and module bit strings of the
 * same clock cycles (the module stream released, 1, where nobody spoke). */
typedef struct {
  uint8_t cmd, sub;   /* for the labels: command, and byte 2 of an 0xE6 */
  uint8_t has_module; /* a golden module line rides on it */
  uint16_t nbits;
  uint8_t pb[8 * MAX_BYTES], mb[8 * MAX_BYTES];
} msg_t;

static msg_t msgs[MAX_FRAMES];
static int nmsgs, orphans;
static int mix_base; /* msgs[] index of the mix's first type */

/* Bit k (0 = MSB of byte 0) of a line in document convention: byte 1 is
 * the stop bit alone. Bits past the bytes read 1 (released). */
static uint8_t line_bit(const uint8_t *b, int n, int k) {
  if (k < 8) return k / 8 < n ? (uint8_t)((b[0] >> (7 - k)) & 1u) : 1u;
  if (k == 8) return n > 1 ? (uint8_t)(b[1] & 1u) : 1u;
  k -= 9;
  return 2 + k / 8 < n ? (uint8_t)((b[2 + k / 8] >> (7 - k % 8)) & 1u) : 1u;
}

static void make_msg(msg_t *m, const uint8_t *p, int n, int nbits) {
  memset(m, 0, sizeof *m);
  if (nbits > 8 * MAX_BYTES) nbits = 8 * MAX_BYTES;
  m->nbits = (uint16_t)nbits;
  m->cmd = p[0];
  m->sub = n > 2 ? p[2] : 0;
  for (int k = 0; k < nbits; k++) {
    m->pb[k] = line_bit(p, n, k);
    m->mb[k] = 1;
  }
}

static msg_t *new_msg(const uint8_t *p, int n, int nbits) {
  if (nmsgs == MAX_FRAMES) {
    fprintf(stderr, "decode_bench: too many messages\n");
    exit(1);
  }
  make_msg(&msgs[nmsgs], p, n, nbits);
  return &msgs[nmsgs++];
}

/* The golden lines as bus messages. A panel line is a message; a module
 * line rides on it (its module stream) when it comes right after it and
 * answered its command (and sub-command for 0xE6). The other module lines
 * are module data printed without the panel message it answered (a log's
 * line): no message can carry them through the ring, they are left out and
 * counted (`orphans`). */
static void golden_msgs(void) {
  for (int i = 0; i < ngolden; i++) {
    const gframe_t *g = &golden[i];
    if (g->module) {
      const gframe_t *p = i ? &golden[i - 1] : NULL;
      msg_t *m = nmsgs ? &msgs[nmsgs - 1] : NULL;
      if (m && p && !p->module && g->under == p->b[0] &&
          (p->b[0] != 0xE6 || (p->n > 2 && g->under_sub == p->b[2]))) {
        for (int k = 0; k < m->nbits; k++) m->mb[k] = line_bit(g->b, g->n, k);
        m->has_module = 1;
      } else {
        orphans++;
      }
      continue;
    }
    if (g->bits < 8) {
      fprintf(stderr, "decode_bench: golden line %d: %u bits, a runt\n", i + 1, g->bits);
      exit(1);
    }
    (void)new_msg(g->b, g->n, g->bits);
  }
}

/* The mix file (format: bench/reference-mix.txt, read by mix.c): one
 * message per type, 8N-7 bits of panel and module bytes; the run follows the
 * cycle. */
static void load_mix(const char *path) {
  mix_load(&mix, path, "decode_bench");
  mix_base = nmsgs;
  for (int t = 0; t < mix.ntypes; t++) {
    const mix_msg_t *mm = &mix.types[t];
    int n = mm->nbytes < MAX_BYTES ? mm->nbytes : MAX_BYTES;
    msg_t *m = new_msg(mm->panel, n, 8 * n - 7);
    for (int k = 0; k < m->nbits; k++) m->mb[k] = line_bit(mm->module, n, k);
    m->has_module = 0;
    for (int k = 0; k < m->nbits; k++)
      if (!m->mb[k]) m->has_module = 1;
  }
}

/* -------------------------------------------------------- the port, faked */

static kb_bus_t bus;
static uint32_t now_us;

static void cycle_bits(uint8_t mbit, uint8_t pbit) {
  kb_link_t *l = kb_bus_link(&bus);
  (void)kb_link_edge(l, false, now_us);
  kb_link_sample(l, false, mbit);
  (void)kb_link_edge(l, true, now_us + 500u);
  kb_link_sample(l, true, pbit);
  now_us += 1000u;
}

/* Clocks message m (its first falling edge publishes the one before), the
 * trailing cycle and the gap. */
static void send(const msg_t *m, long i) {
  for (int k = 0; k < m->nbits; k++) cycle_bits(m->mb[k], m->pb[k]);
  cycle_bits(1, 1);
  now_us += 2000u + (uint32_t)((i * 613) % 2001);
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

static const msg_t *prime_msg(void) {
  static msg_t m;
  static const uint8_t sync[] = {0x05, 0x00, 0x81, 0x01, 0x91, 0xC7};
  make_msg(&m, sync, sizeof sync, 8 * (int)sizeof sync - 7);
  return &m;
}

/* Message i of a run: the golden messages in order, the mix by its cycle. */
static const msg_t *msg_at(int is_mix, long i) {
  return is_mix ? &msgs[mix_base + mix.cycle[i % mix.ncycle]] : &msgs[i];
}

static void dump(int dumping, long i, const char *corpus, const msg_t *m) {
  char label[96];
  const char *src = m->has_module ? "panel+module" : "panel";
  if (!dumping) return;
  if (m->cmd == 0xE6)
    snprintf(label, sizeof label, "frame %ld %s %s %02X.%02X", i, corpus, src, m->cmd, m->sub);
  else
    snprintf(label, sizeof label, "frame %ld %s %s %02X", i, corpus, src, m->cmd);
  CALLGRIND_DUMP_STATS_AT(label);
}

/* The run: the priming 0x05 opens the gate (its poll not counted), then
 * every message of the corpus, each drained by the poll that follows the
 * next message's boundary. Returns the frames drained by counted polls. */
static long run(kb_event_cb cb, const char *corpus, long count, int dumping) {
  const kb_bus_cfg_t cfg = {cb, NULL, NULL, NULL};
  int is_mix = !strcmp(corpus, "mix");
  kb_link_stats_t s0, s1;
  long frames = 0;
  kb_bus_init(&bus, &cfg);
  now_us = 1000000u;
  send(prime_msg(), 0);
  for (long i = 0; i <= count; i++) {
    if (i < count)
      send(msg_at(is_mix, i), i); /* its first edge publishes message i - 1 */
    else
      (void)kb_link_edge(kb_bus_link(&bus), false, now_us); /* the boundary after the last */
    kb_bus_poll(&bus, now_us);
    if (i == 0) { /* that was the priming 0x05 */
      if (!kb_bus_status(&bus)->synced) {
        fprintf(stderr, "decode_bench: priming 0x05 did not open the gate\n");
        exit(1);
      }
      kb_link_stats(kb_bus_link(&bus), &s0);
      CALLGRIND_ZERO_STATS;
      continue;
    }
    frames++;
    dump(dumping, i - 1, corpus, msg_at(is_mix, i - 1));
  }
  kb_link_stats(kb_bus_link(&bus), &s1);
  if (s1.frames - s0.frames != (uint32_t)frames || s1.runts || s1.overflows ||
      kb_link_peek(kb_bus_link(&bus)) != NULL) {
    fprintf(stderr, "decode_bench: %s: %lu frames published for %ld polls (runts %lu, overflows %lu)\n",
            corpus, (unsigned long)(s1.frames - s0.frames), frames, (unsigned long)s1.runts,
            (unsigned long)s1.overflows);
    exit(1);
  }
  if (dumping) /* polls with nothing to drain: the cost of polling often */
    for (int k = 0; k < 16; k++) {
      char label[32];
      now_us += 1000u;
      kb_bus_poll(&bus, now_us);
      snprintf(label, sizeof label, "idle %d", k);
      CALLGRIND_DUMP_STATS_AT(label);
    }
  return frames;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Native: repeat each corpus until at least 0.5 s has passed. The golden
 * messages come first in msgs[], the mix types after them. */
static int golden_n;

static void speed(void) {
  const char *names[2] = {"golden", "mix"};
  for (int c = 0; c < 2; c++) {
    double t0 = now_s(), dt;
    unsigned long frames = 0, reps = 0;
    nevents = 0;
    do {
      frames += (unsigned long)run(on_event_count, names[c], c == 0 ? golden_n : mix.nmessages, 0);
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
    long frames;
    int nmod = 0;
    load_golden(argv[2]);
    golden_msgs();
    frames = run(on_event, "golden", nmsgs, dumping);
    for (int i = 0; i < nmsgs; i++) nmod += msgs[i].has_module;
    printf("golden frames=%ld with_module=%d lines=%d orphan_module_lines=%d frames_ok=%lu\n", frames,
           nmod, ngolden, orphans, (unsigned long)kb_bus_health(&bus)->frames_ok - 1ul);
  } else if (!strcmp(argv[1], "mix")) {
    long frames;
    load_mix(argv[2]);
    frames = run(on_event, "mix", mix.nmessages, dumping);
    printf("mix frames=%ld frames_ok=%lu\n", frames, (unsigned long)kb_bus_health(&bus)->frames_ok - 1ul);
  } else if (!strcmp(argv[1], "speed") && argc > 3) {
    load_golden(argv[2]);
    golden_msgs();
    golden_n = nmsgs;
    load_mix(argv[3]);
    speed();
  } else {
    return 2;
  }
  return 0;
}
