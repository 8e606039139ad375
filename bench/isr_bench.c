/* SPDX-License-Identifier: MIT
 *
 * isr_bench.c - drives kb_link_edge()/kb_link_sample() with the reference
 * message mix (bench/reference-mix.txt) and with forced worst cases, for
 * instruction counting under callgrind. bench/bench.sh runs it; see
 * bench/README.md for the method.
 *
 *   isr_bench mix MIXFILE          the mix only (mean figures: run under
 *                                  callgrind --toggle-collect=kb_link_edge ...)
 *   isr_bench sig MIXFILE          (binary built with kb_link.c compiled with
 *                                  -fsanitize-coverage=trace-pc) mix + forced
 *                                  cases; prints one line per distinct path
 *                                  through a handler: "sig HANDLER ID FIRST
 *                                  NMIX NFORCED" (FIRST = index of its first call)
 *   isr_bench measure MIXFILE N... mix + forced cases; around call number N
 *                                  dumps callgrind stats ("pre", then "call N")
 *                                  so that the dump holds that call alone.
 *
 * With KB_BENCH_IDLE=1 in the environment the link's idle call
 * (kb_link_idle, kb_port.h 2b) is made in every gap, KB_GAP_US + 20 us after
 * the trailing rising edge, as a port with an idle one-shot makes it (so
 * the frames are published there, not at the next boundary); it is a third
 * handler ("idle"), measured apart. KB_BENCH_IDLE=0 (or unset): no idle
 * call, the stimulus of the figures before it.
 *
 * With KB_BENCH_WRITE=1 in the environment a key is written continuously:
 * whenever the write path is idle after a message, the "task" (between
 * messages, not counted) arms the next key of a rotation (partition 1 and 2
 * slots of 0x05/0x0A, partition 3 and 4 slots (0x0A only in this mix), an
 * alarm key in byte 0 of two messages), so the interrupt handlers run with
 * a key armed, being driven or waiting for its slot nearly all the time.
 *
 * Timing (from the mix file's header): bit k of message i is a falling edge,
 * module sample 250 us later (clock low), rising edge 500 us after the falling
 * edge, panel sample 250 us after that; then one trailing cycle with both
 * lines released; then the clock stays high for 2000 + ((i * 613) mod 2001) us
 * before the next message's falling edge. The task pops every frame between
 * messages (not counted).
 *
 * Built with -DKB_BENCH_PORT (and ports/template/kb_port_template.c plus the
 * stub platform bench/port_stubs.c) the same stimulus goes through the
 * template port's handlers instead: each clock edge sets the stub input
 * register's clock bit and the stub clock, then calls kbp_clock_isr(); each
 * sample sets the clock and data bits and calls kbp_sample_isr(). The
 * virtual keypad is enabled (the clock handler drives the write pin on
 * every edge). Same modes, same figures, handlers kbp_clock_isr and
 * kbp_sample_isr in place of kb_link_edge and kb_link_sample (and, built
 * with -DKBP_IDLE_TIMER=1, kbp_idle_isr in place of kb_link_idle).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <valgrind/callgrind.h>

#include "keybus/kb_link.h"
#include "mix.h"

#ifdef KB_BENCH_PORT
#include "kb_port_template.h"
/* the stub platform's registers (bench/port_stubs.c) */
extern uint32_t stub_gpio_in, stub_gpio_out, stub_now_us;
#define STUB_DATA 0x10u
#define STUB_CLOCK 0x20u
#endif

#define MAX_SIGS 512

static mix_t mix;

static kb_link_t link_state;
static uint32_t now_us;

/* ------------------------------------------------------------- call hooks */

enum { MODE_MIX, MODE_SIG, MODE_MEASURE };
enum { H_EDGE, H_SAMPLE, H_IDLE };
static int mode;
static int phase; /* 0 = mix, 1 = forced cases */
static unsigned long call_no;
static unsigned long n_edges, n_samples, n_idles;
static int idle_mode;
static unsigned long *sel;
static int nsel, next_sel;

#ifdef KB_BENCH_SIG
/* Called at every basic block of kb_link.c (compiled with
 * -fsanitize-coverage=trace-pc): hashes the path a call takes. */
static uint64_t path_hash;
void __sanitizer_cov_trace_pc(void);
void __sanitizer_cov_trace_pc(void) {
  path_hash = (path_hash ^ (uint64_t)(uintptr_t)__builtin_return_address(0)) * 0x100000001b3ull;
}
#endif

typedef struct {
  int handler;
  uint64_t id;
  unsigned long first, n[2];
} path_sig_t;
static path_sig_t sigs[MAX_SIGS];
static int nsigs;

static void pre_call(void) {
#ifdef KB_BENCH_SIG
  path_hash = 0xcbf29ce484222325ull;
#endif
  if (mode == MODE_MEASURE && next_sel < nsel && sel[next_sel] == call_no) CALLGRIND_DUMP_STATS_AT("pre");
}

static void post_call(int handler) {
  if (mode == MODE_MEASURE && next_sel < nsel && sel[next_sel] == call_no) {
    char label[64];
    snprintf(label, sizeof label, "call %lu", call_no);
    CALLGRIND_DUMP_STATS_AT(label);
    next_sel++;
  }
#ifdef KB_BENCH_SIG
  if (mode == MODE_SIG) {
    int i;
    for (i = 0; i < nsigs; i++)
      if (sigs[i].handler == handler && sigs[i].id == path_hash) break;
    if (i == nsigs) {
      if (nsigs == MAX_SIGS) {
        fprintf(stderr, "isr_bench: too many paths\n");
        exit(1);
      }
      sigs[nsigs].handler = handler;
      sigs[nsigs].id = path_hash;
      sigs[nsigs].first = call_no;
      nsigs++;
    }
    sigs[i].n[phase]++;
  }
#else
  (void)handler;
#endif
  call_no++;
}

static void edge(bool high, uint32_t t) {
#ifdef KB_BENCH_PORT
  stub_gpio_in = (stub_gpio_in & ~STUB_CLOCK) | (high ? STUB_CLOCK : 0u);
  stub_now_us = t;
  pre_call();
  kbp_clock_isr(NULL);
#else
  pre_call();
  (void)kb_link_edge(&link_state, high, t);
#endif
  post_call(H_EDGE);
  if (!phase) n_edges++;
}

static void sample(bool high, bool data) {
#ifdef KB_BENCH_PORT
  stub_gpio_in = (high ? STUB_CLOCK : 0u) | (data ? STUB_DATA : 0u);
  pre_call();
  kbp_sample_isr(NULL);
#else
  pre_call();
  kb_link_sample(&link_state, high, data);
#endif
  post_call(H_SAMPLE);
  if (!phase) n_samples++;
}

/* The idle call at t (the clock high since the trailing rising edge). */
static void idle_call(uint32_t t) {
#ifdef KB_BENCH_PORT
#if KBP_IDLE_TIMER
  stub_gpio_in |= STUB_CLOCK;
  stub_now_us = t;
  pre_call();
  kbp_idle_isr(NULL);
#else
  (void)t;
  fprintf(stderr, "isr_bench: KB_BENCH_IDLE=1 needs the port built with KBP_IDLE_TIMER=1\n");
  exit(2);
#endif
#else
  pre_call();
  (void)kb_link_idle(&link_state, true, t);
#endif
  post_call(H_IDLE);
  if (!phase) n_idles++;
}

/* --------------------------------------------------------------- messages */

static void cycle_bits(int mbit, int pbit) {
  edge(false, now_us);
  sample(false, mbit);
  edge(true, now_us + 500u);
  sample(true, pbit);
}

/* Sends nbits bits (panel/module bit strings), the trailing cycle, then the
 * idle gap. */
static void send_bits(const uint8_t *pb, const uint8_t *mb, int nbits, uint32_t gap_us) {
  for (int k = 0; k < nbits; k++) {
    cycle_bits(mb[k], pb[k]);
    now_us += 1000u;
  }
  cycle_bits(1, 1);
  if (idle_mode) idle_call(now_us + 500u + KB_GAP_US + 20u); /* gap_us >= 2000 */
  now_us += 500u + gap_us;
}

static int to_bits(const uint8_t *bytes, int nbytes, uint8_t *bits) {
  int n = 0;
  for (int b = 0; b < nbytes; b++) {
    if (b == 1) {
      bits[n++] = bytes[1] & 1u;
      continue;
    }
    for (int k = 7; k >= 0; k--) bits[n++] = (bytes[b] >> k) & 1u;
  }
  return n;
}

static void send_msg(const mix_msg_t *m, uint32_t gap_us) {
  uint8_t pb[8 * MIX_MAX_BYTES], mb[8 * MIX_MAX_BYTES];
  int n = to_bits(m->panel, m->nbytes, pb);
  to_bits(m->module, m->nbytes, mb);
  send_bits(pb, mb, n, gap_us);
}

static int write_mode;
static unsigned long keys_armed, keys_written;
static unsigned rot;

static void drain(void) {
  const kb_frame_t *f;
  while ((f = kb_link_peek(&link_state)) != NULL) {
    if (f->wrote) keys_written++;
    kb_link_pop(&link_state);
  }
  if (write_mode && kb_link_write_idle(&link_state)) {
    static const uint8_t slot[10] = {2, 3, 0, 2, 3, 8, 2, 3, 0, 9};
    uint8_t b = slot[rot % 10u], key = (rot & 1u) ? 0x16 : 0x00;
    if (b == 0) key = 0xBB;
    if (kb_link_write_arm(&link_state, key, b, 0x05, 0x0A, b == 0 ? 2 : 1) == KB_OK) keys_armed++;
    rot++;
  }
}

static void run_mix(void) {
  now_us = 1000000u;
  for (long i = 0; i < mix.nmessages; i++) {
    send_msg(mix_message(&mix, i), 2000u + (uint32_t)((i * 613) % 2001));
    drain();
  }
  edge(false, now_us); /* the boundary that publishes the last message */
  drain();
}

/* Forced cases: ring full, the 16-byte cap (and the long-message count clamp),
 * a runt, the microsecond counter wrapping inside a message and across a gap. */
static void run_forced(void) {
  static uint8_t pb[2048], mb[2048];
  const mix_msg_t *m = mix_message(&mix, 0);
  phase = 1;
  /* ring full: no pops */
  for (int i = 0; i < KB_FRAME_RING + 4; i++) send_msg(mix_message(&mix, i), 3000u);
  drain();
  /* long messages past the cap, zeros in both streams */
  for (int i = 0; i < 2048; i++) pb[i] = (uint8_t)(i % 3 == 0), mb[i] = (uint8_t)(i % 7 != 0);
  send_bits(pb, mb, 200, 3000u);
  send_bits(pb, mb, 1200, 3000u);
  send_bits(pb, mb, 5, 3000u); /* runt */
  drain();
  /* counter wrap: inside a message and in the gap */
  now_us = (uint32_t)0u - 20300u;
  for (int i = 0; i < 3; i++) send_msg(m, 2500u);
  now_us = (uint32_t)0u - 600u;
  send_msg(m, 2500u);
  edge(false, now_us);
  drain();
}

static int cmp_ul(const void *a, const void *b) {
  unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: isr_bench mix|sig|measure MIXFILE [CALL...]\n");
    return 2;
  }
  if (!strcmp(argv[1], "mix")) mode = MODE_MIX;
  else if (!strcmp(argv[1], "sig")) mode = MODE_SIG;
  else if (!strcmp(argv[1], "measure")) mode = MODE_MEASURE;
  else return 2;
#ifndef KB_BENCH_SIG
  if (mode == MODE_SIG) {
    fprintf(stderr, "isr_bench: sig needs the trace-pc build\n");
    return 2;
  }
#endif
  write_mode = getenv("KB_BENCH_WRITE") && !strcmp(getenv("KB_BENCH_WRITE"), "1");
  idle_mode = getenv("KB_BENCH_IDLE") && !strcmp(getenv("KB_BENCH_IDLE"), "1");
  mix_load(&mix, argv[2], "isr_bench");
  nsel = argc - 3;
  sel = calloc((size_t)nsel + 1, sizeof *sel);
  for (int i = 0; i < nsel; i++) sel[i] = strtoul(argv[3 + i], NULL, 10);
  qsort(sel, (size_t)nsel, sizeof *sel, cmp_ul);

  kb_link_init(&link_state);
#ifdef KB_BENCH_PORT
  stub_gpio_in = STUB_CLOCK | STUB_DATA; /* both lines idle high */
  kbp_start(&link_state);
#endif
  run_mix();
  kb_link_stats_t s;
  kb_link_stats(&link_state, &s);
  printf("mix messages=%ld edges=%lu samples=%lu idles=%lu frames=%lu overflows=%lu runts=%lu\n",
         mix.nmessages, n_edges, n_samples, n_idles, (unsigned long)s.frames,
         (unsigned long)s.overflows, (unsigned long)s.runts);
  if (s.frames != (uint32_t)mix.nmessages || s.overflows || s.runts) {
    fprintf(stderr, "isr_bench: the mix did not come through whole\n");
    return 1;
  }
  if (write_mode) {
    printf("write keys_armed=%lu frames_written=%lu\n", keys_armed, keys_written);
    if (keys_written < (unsigned long)mix.nmessages / 4) {
      fprintf(stderr, "isr_bench: write mode wrote too few keys\n");
      return 1;
    }
  }
  if (mode != MODE_MIX) {
    run_forced();
    kb_link_stats(&link_state, &s);
    printf("forced frames=%lu overflows=%lu runts=%lu high_water=%u\n", (unsigned long)s.frames,
           (unsigned long)s.overflows, (unsigned long)s.runts, s.high_water);
    if (!s.overflows || !s.runts || s.high_water != KB_FRAME_RING) {
      fprintf(stderr, "isr_bench: forced cases did not reach their paths\n");
      return 1;
    }
  }
  for (int i = 0; i < nsigs; i++)
    printf("sig %s %016llx %lu %lu %lu\n",
           sigs[i].handler == H_EDGE ? "edge" : sigs[i].handler == H_SAMPLE ? "sample" : "idle",
           (unsigned long long)sigs[i].id, sigs[i].first, sigs[i].n[0], sigs[i].n[1]);
  free(sel);
  return 0;
}
