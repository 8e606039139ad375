/* SPDX-License-Identifier: MIT
 *
 * test_soak.c - the write-safety soak (issue 6, "Proof"): the engine and its
 * virtual keypad on the virtual wire against the simulated panel, many seeds
 * at a bit error rate of 1e-3 with clock glitches, lost edges and jitter,
 * each seed running a mix of arm, disarm, bypass, set-time and wrong-code
 * requests one after the other. A checker compares every request's result
 * with the ground truth: the keys the panel actually read back from the bus
 * (kb_wire_msg_t.module of every message, the panel's own view) and what the
 * panel did (kb_sim_panel_truth(): armed state and mode, clock, bypass).
 *
 * Counted, and required to be 0:
 *   twice       an attempt's keys, as the panel received them, are not a
 *               prefix of the request's keys (a key received twice, or one
 *               nobody typed), the `#` of the keypad's own clear aside
 *   after_rej   a key other than `#` received after a wrong code was complete
 *   unrequested a change of the armed state or mode, the clock or a bypass
 *               that the request did not ask for
 *   disagree    a result that says otherwise than what the panel did: done
 *               without the effect, or a failure with the effect
 * Reported: requests that could succeed and did (done), uncertain results.
 * Required: >= 95 % done at BER 1e-3 with retries, 100 % on a clean bus.
 *
 * The figures go to stderr ("soak: ..." lines, read by bench/bench.sh and
 * quoted in docs/noise.md). SOAK_SEEDS / SOAK_CLEAN_SEEDS set the counts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "keybus/kb_engine.h"
#include "keybus/kb_bus.h"
#include "keybus/kb_keys.h"
#include "keybus/kb_link.h"
#include "sim/kb_sim_panel.h"
#include "sim/kb_wire.h"

#ifndef SOAK_SEEDS
#define SOAK_SEEDS 200
#endif
#ifndef SOAK_CLEAN_SEEDS
#define SOAK_CLEAN_SEEDS 20
#endif
#define MAX_RX 512

/* ------------------------------------------------------------ requests */

enum { R_SET_TIME, R_SET_TIME_WRONG, R_ARM_STAY, R_ARM_AWAY, R_ARM_WRONG, R_DIGITS_WRONG,
       R_DISARM, R_BYPASS, R_KINDS };
static const char *const kind_name[R_KINDS] = {"set_time", "set_time_wrong", "arm_stay",
                                               "arm_away", "arm_wrong", "digits_wrong",
                                               "disarm", "bypass"};
/* one seed's sequence: every kind, in an order where each can succeed */
static const uint8_t SEQ[] = {R_SET_TIME, R_ARM_WRONG, R_ARM_STAY,       R_DISARM,
                              R_BYPASS,   R_SET_TIME_WRONG, R_DIGITS_WRONG, R_ARM_AWAY,
                              R_DISARM,   R_BYPASS};
#define NSEQ (sizeof SEQ / sizeof SEQ[0])

typedef struct {
  uint64_t messages;
  unsigned requests, could, done, uncertain, retried;
  unsigned twice, after_rej, unrequested, disagree;
  unsigned garbled; /* the panel read another key than the one driven, whose
                       echo was then not confirmed (followed by the clear) */
  unsigned skipped; /* a request whose precondition an earlier failure broke */
  unsigned results[KB_KEYS_UNKNOWN + 1];
  unsigned kind_could[R_KINDS], kind_done[R_KINDS];
} tally_t;

/* ------------------------------------------------------------ run state */

static kb_sim_panel_t P;
static kb_wire_t W;
static kb_bus_t BUS; /* link + engine + virtual keypad */

static char rx[MAX_RX]; /* keys partition 1 received, as alphabet characters */
static uint64_t rx_t[MAX_RX];
static int nrx;
static uint64_t retry_t[8];
static int nretry;
static int ended;       /* the active request ended */
static uint8_t end_result;

static char key_char(uint8_t code) {
  static const char all[] = "0123456789*#swn";
  for (const char *c = all; *c; c++)
    if (kb_keys_code(*c) == code) return *c;
  return '?';
}

static void on_msg(void *ctx, const kb_wire_msg_t *m) {
  (void)ctx;
  /* partition 1's slot: module byte 2 of 0x05 / 0x0A, as the panel read it */
  if ((m->panel[0] == 0x05 || m->panel[0] == 0x0A) && m->bits >= 17u && m->module[2] != 0xFF &&
      nrx < MAX_RX) {
    rx[nrx] = key_char(m->module[2]);
    rx_t[nrx++] = m->t_start;
  }
}

static void on_note(void *ctx, const kb_keys_note_t *n) {
  (void)ctx;
  if (n->type == KB_KEYS_NOTE_RETRY && nretry < 8) retry_t[nretry++] = W.t;
  if (n->type == KB_KEYS_NOTE_END) {
    ended = 1;
    end_result = n->result;
  }
}

static void task(void *ctx, uint64_t now) {
  (void)ctx;
  kb_bus_poll(&BUS, (uint32_t)now);
}

/* ------------------------------------------------------------ truth */

typedef struct {
  uint8_t armed;  /* 0 none, else kb_sim_arm_t of the arming (exit delay counts) */
  uint32_t minutes; /* panel clock, minutes since 2000 (months as 31 days: only differences) */
  uint8_t bypass3;
} snap_t;

static snap_t snap(void) {
  const kb_sim_truth_t *t = kb_sim_panel_truth(&P);
  snap_t s;
  s.armed = t->part[0].exit_delay ? t->part[0].exit_target : t->part[0].armed;
  s.minutes = (((uint32_t)(t->time.year - 2000u) * 12u + t->time.month) * 31u + t->time.day) *
                  1440u + t->time.hour * 60u + t->time.minute;
  s.bypass3 = (uint8_t)((t->zones_bypass[0] >> 2) & 1u);
  return s;
}

/* Is got (n keys) a prefix of want? */
static bool prefix_of(const char *got, int n, const char *want) {
  if (n <= 0) return true;
  return (int)strlen(want) >= n && memcmp(got, want, (size_t)n) == 0;
}

/* ------------------------------------------------------------ one seed */

static void run_seed(uint32_t seed, bool noisy, tally_t *tl) {
  kb_sim_cfg_t pc;
  kb_wire_cfg_t wc;
  kb_wire_port_t port = {kb_bus_link(&BUS), task, NULL};
  kb_sim_cfg_default(&pc, 1);
  pc.seed = seed;
  pc.exit_delay_s = 5;
  kb_wire_cfg_default(&wc);
  wc.seed = seed;
  if (noisy) {
    wc.ber = 1e-3;
    wc.glitch_rate = 1e-4;
    wc.lost_rate = 1e-5;
    wc.jitter_us = 100;
  }
  {
    const kb_bus_cfg_t bc = {NULL, NULL, on_note, NULL};
    kb_bus_init(&BUS, &bc);
  }
  kb_sim_panel_init(&P, &pc, 0);
  kb_wire_init(&W, &wc, &P, &port, NULL, 0);
  W.on_msg = on_msg;
  nrx = 0;
  kb_wire_run_until(&W, 3000000u);

  for (size_t i = 0; i < NSEQ; i++) {
    uint8_t kind = SEQ[i];
    char want[32], want_nocode[32];
    const char *keys = NULL, *code = NULL;
    char tm[8] = "";
    uint16_t id = 0;
    kb_err_t err = KB_OK;
    uint8_t hh = (uint8_t)((seed + i) % 24u), mm = (uint8_t)((seed * 7u + i) % 60u);
    snap_t before = snap(), after;
    const kb_sim_truth_t *tr = kb_sim_panel_truth(&P);
    /* each kind from the state it is meant for: an earlier request that did
     * not reach its goal may have left another (then this one is skipped) */
    bool disarmed = before.armed == 0 && !tr->part[0].alarm;
    bool pre = kind == R_DISARM ? before.armed != 0
                                : disarmed && (tr->part[0].ready || kind == R_BYPASS ||
                                               kind == R_DIGITS_WRONG || kind == R_ARM_WRONG);
    if (!pre) {
      tl->skipped++;
      continue;
    }
    uint64_t t0 = W.t;
    int rx0 = nrx;
    nretry = 0;
    ended = 0;
    switch (kind) {
      case R_SET_TIME:
      case R_SET_TIME_WRONG:
        code = kind == R_SET_TIME ? "1234" : "9999";
        err = kb_bus_set_time(&BUS, 1, 2025, 3, 4, hh, mm, code, &id);
        snprintf(tm, sizeof tm, "%02u%02u", hh, mm);
        snprintf(want, sizeof want, "*6%s1%s0304%s#", code, tm, "25");
        snprintf(want_nocode, sizeof want_nocode, "*61%s030425#", tm);
        break;
      case R_ARM_STAY: keys = "s", code = "1234"; break;
      case R_ARM_AWAY: keys = "w", code = "1234"; break;
      case R_ARM_WRONG: keys = "w", code = "9999"; break;
      case R_DIGITS_WRONG: keys = "4321"; break;
      case R_DISARM: keys = "1234"; break;
      default: keys = "*103#"; break;
    }
    if (keys) {
      err = kb_bus_keys_submit(&BUS, 1, keys, code, &id);
      snprintf(want, sizeof want, "%s%s", keys, code ? code : "");
      snprintf(want_nocode, sizeof want_nocode, "%s", keys);
    }
    KT_EQ(err, KB_OK);
    if (err != KB_OK) continue;
    while (!ended && W.t < t0 + 60000000u) kb_wire_step(&W);
    kb_wire_run_until(&W, W.t + 2500000u); /* brief statuses end; clears finish */
    after = snap();
    tl->requests++;
    tl->results[end_result <= KB_KEYS_UNKNOWN ? end_result : KB_KEYS_UNKNOWN]++;
    if (nretry) tl->retried++;

    /* keys as the panel received them: each attempt a prefix of the
     * request's keys, the `#` of the keypad's clear stripped at its end */
    {
      int a = rx0;
      for (int seg = 0; seg <= nretry; seg++) {
        uint64_t end_t = seg < nretry ? retry_t[seg] : UINT64_MAX;
        int b = a;
        while (b < nrx && rx_t[b] < end_t) b++;
        int n = b - a, clears = 0;
        while (n > 0 && rx[a + n - 1] == '#' && !prefix_of(rx + a, n, want)) n--, clears++;
        /* noise may make the panel read another key than the one driven
         * (clock glitches shift its cycles or ours): the keypad sees its
         * echo fail and clears; that last key before the clear is garbled,
         * not typed twice */
        if (clears && n > 0 && !prefix_of(rx + a, n, want) && !prefix_of(rx + a, n, want_nocode) &&
            (prefix_of(rx + a, n - 1, want) || prefix_of(rx + a, n - 1, want_nocode))) {
          tl->garbled++;
          n--;
        }
        if (!prefix_of(rx + a, n, want) && !prefix_of(rx + a, n, want_nocode)) {
          tl->twice++;
          fprintf(stderr, "soak: seed %u request %zu (%s): received \"%.*s\", typed \"%s\"\n",
                  seed, i, kind_name[kind], b - a, rx + a, want);
        }
        a = b;
      }
    }
    /* wrong codes: nothing but `#` after the code */
    if (kind == R_ARM_WRONG || kind == R_SET_TIME_WRONG || kind == R_DIGITS_WRONG) {
      const char *stop = kind == R_ARM_WRONG ? "w9999" : kind == R_DIGITS_WRONG ? "4321" : "*69999";
      int m = 0;
      for (int j = rx0; j < nrx; j++) {
        if (stop[m] == '\0') {
          if (rx[j] != '#') {
            tl->after_rej++;
            fprintf(stderr, "soak: seed %u request %zu (%s): key '%c' after the wrong code\n",
                    seed, i, kind_name[kind], rx[j]);
          }
        } else if (rx[j] == stop[m]) {
          m++;
        } else if (rx[j] != '#') {
          m = 0;
          if (rx[j] == stop[0]) m = 1;
        }
      }
    }
    /* what the panel did */
    {
      uint32_t elapsed_min = (uint32_t)((W.t - t0) / 60000000u) + 1u;
      bool armed_changed = after.armed != before.armed;
      bool bypass_changed = after.bypass3 != before.bypass3;
      int32_t drift = (int32_t)(after.minutes - before.minutes);
      bool clock_jumped = drift < 0 || drift > (int32_t)elapsed_min;
      bool effect = false, could = false, bad = false;
      uint32_t target = (((25u * 12u + 3u) * 31u + 4u) * 1440u) + hh * 60u + mm;
      switch (kind) {
        case R_SET_TIME:
          could = true;
          effect = after.minutes - target <= elapsed_min;
          bad = armed_changed || bypass_changed;
          break;
        case R_ARM_STAY:
        case R_ARM_AWAY:
          could = true;
          effect = after.armed == (kind == R_ARM_STAY ? KB_SIM_ARM_STAY : KB_SIM_ARM_AWAY);
          bad = (armed_changed && !effect) || clock_jumped;
          break;
        case R_DISARM:
          could = true;
          effect = after.armed == 0 && before.armed != 0;
          bad = clock_jumped || (armed_changed && !effect);
          break;
        case R_BYPASS:
          could = true;
          effect = bypass_changed;
          bad = armed_changed || clock_jumped;
          break;
        default: /* wrong codes: nothing may change */
          bad = armed_changed || bypass_changed || clock_jumped;
          break;
      }
      if (bad) {
        tl->unrequested++;
        fprintf(stderr, "soak: seed %u request %zu (%s): unrequested change (armed %u->%u, "
                "bypass %u->%u, clock %+d min)\n", seed, i, kind_name[kind], before.armed,
                after.armed, before.bypass3, after.bypass3, drift);
      }
      if (could) tl->could++, tl->kind_could[kind]++;
      if (could && end_result == KB_KEYS_DONE) tl->kind_done[kind]++;
      if (end_result == KB_KEYS_UNCERTAIN) {
        tl->uncertain++;
        if (getenv("SOAK_VERBOSE"))
          fprintf(stderr, "soak: seed %u request %zu (%s): uncertain after %d retries, received \"%.*s\"\n",
                  seed, i, kind_name[kind], nretry, nrx - rx0, rx + rx0);
      } else if ((end_result == KB_KEYS_DONE) != effect) {
        tl->disagree++;
        fprintf(stderr, "soak: seed %u request %zu (%s): result %u but the panel %s\n", seed, i,
                kind_name[kind], end_result, effect ? "did it" : "did not");
      }
      if (could && end_result == KB_KEYS_DONE) tl->done++;
    }
  }
  tl->messages += W.st.messages;
}

/* ------------------------------------------------------------ cases */

static tally_t noisy_t, clean_t;

static void report(const char *name, const tally_t *t, unsigned seeds) {
  fprintf(stderr,
          "soak: %s: %u seeds, %u requests, %llu messages; keys received twice %u, keys after a "
          "rejection %u, unrequested changes %u, results disagreeing %u; done %u of %u that "
          "could succeed (%.1f %%), uncertain %u, retried %u, garbled by noise %u\n",
          name, seeds, t->requests, (unsigned long long)t->messages, t->twice, t->after_rej,
          t->unrequested, t->disagree, t->done, t->could,
          t->could ? 100.0 * t->done / t->could : 0.0, t->uncertain, t->retried, t->garbled);
  fprintf(stderr, "soak: %s results: done %u rejected %u collided %u timed_out %u "
          "disconnected %u invalid %u uncertain %u\n", name, t->results[KB_KEYS_DONE],
          t->results[KB_KEYS_REJECTED], t->results[KB_KEYS_COLLIDED],
          t->results[KB_KEYS_TIMED_OUT], t->results[KB_KEYS_DISCONNECTED],
          t->results[KB_KEYS_INVALID], t->results[KB_KEYS_UNCERTAIN]);
  fprintf(stderr, "soak: %s: skipped %u (precondition broken by an earlier request); done by kind:",
          name, t->skipped);
  for (int k = 0; k < R_KINDS; k++)
    if (t->kind_could[k]) fprintf(stderr, " %s %u/%u", kind_name[k], t->kind_done[k], t->kind_could[k]);
  fprintf(stderr, "\n");
}

static void test_soak_noisy(void) {
  memset(&noisy_t, 0, sizeof noisy_t);
  for (uint32_t s = 1; s <= SOAK_SEEDS; s++) run_seed(s, true, &noisy_t);
  report("ber 1e-3", &noisy_t, SOAK_SEEDS);
  KT_EQ(noisy_t.requests + noisy_t.skipped, SOAK_SEEDS * NSEQ);
  KT_EQ(noisy_t.twice, 0);
  KT_EQ(noisy_t.after_rej, 0);
  KT_EQ(noisy_t.unrequested, 0);
  KT_EQ(noisy_t.disagree, 0);
  KT_CHECK(noisy_t.done * 100u >= noisy_t.could * 95u);
}

static void test_soak_clean(void) {
  memset(&clean_t, 0, sizeof clean_t);
  for (uint32_t s = 1; s <= SOAK_CLEAN_SEEDS; s++) run_seed(s, false, &clean_t);
  report("clean", &clean_t, SOAK_CLEAN_SEEDS);
  KT_EQ(clean_t.twice, 0);
  KT_EQ(clean_t.after_rej, 0);
  KT_EQ(clean_t.unrequested, 0);
  KT_EQ(clean_t.disagree, 0);
  KT_EQ(clean_t.uncertain, 0);
  KT_EQ(clean_t.done, clean_t.could);
}

KT_MAIN(KT_CASE(test_soak_clean), KT_CASE(test_soak_noisy))
