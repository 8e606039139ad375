/* SPDX-License-Identifier: MIT
 *
 * test_scenario.c - the scenario runner's handling of the virtual keypad's
 * notes and results (issue 6): `uncertain`, an invalid request's reason,
 * attempts, the `#` it typed on its own to clear an entry (CLEAR) and its
 * retries (RETRY). The notes are fed to the runner's callback by hand, so
 * the test does not depend on when kb_keys produces them; the runner's
 * statics are reached by including the .c (as nanopb's unit tests do).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sim/kb_scenario.c"

typedef struct {
  kb_scenario_t *s;
  rt_t *r;
  kb_scenario_opts_t o;
  FILE *out;
  char *buf;
  size_t len;
} fix_t;

static const char text[] =
    "at 1s keys 3 \"w\" code 1234\n"              /* request 1 */
    "at 2s keys 1 \"1234\"\n"                     /* request 2 */
    "at 3s keys 1 \"s\" code 1234\n"              /* request 3 */
    "expect result 1 invalid reason disabled by 5s\n"
    "expect result 2 uncertain by 5s\n"
    "expect result 3 done attempts 2 by 5s\n"
    "expect result 1 invalid reason early by 5s\n"
    "expect result 1 invalid by 5s\n"
    "end 6s\n";

/* A runner set up as kb_scenario_run() would, without running the wire:
 * the three requests made, with kb_keys ids 11, 12, 13. */
static void fix_init(fix_t *f, bool show_keys) {
  char err[256];
  memset(f, 0, sizeof *f);
  KT_EQ(kb_scenario_parse(&f->s, text, strlen(text), "t.kbs", err, sizeof err), KB_SCN_OK);
  if (!f->s) {
    fprintf(stderr, "%s\n", err);
    abort();
  }
  f->out = open_memstream(&f->buf, &f->len);
  f->o.out = f->out;
  f->o.show_keys = show_keys;
  f->r = calloc(1, sizeof *f->r);
  f->s->rt = f->r;
  f->r->s = f->s;
  f->r->o = &f->o;
  f->r->req_id = calloc(3, sizeof *f->r->req_id);
  f->r->req_act = calloc(3, sizeof *f->r->req_act);
  f->r->req_end = calloc(3, sizeof *f->r->req_end);
  if (!f->out || !f->r->req_id || !f->r->req_act || !f->r->req_end) abort();
  kb_keys_init(&f->r->bus.keys, on_keys, f->r);
  for (int i = 0; i < 3; i++) {
    f->r->req_id[i] = (uint16_t)(11 + i);
    f->r->req_act[i] = i; /* the actions are in file order */
    f->r->req_end[i].made = 1;
  }
  f->r->now = 4000000u;
}

static const char *fix_out(fix_t *f) {
  fflush(f->out);
  return f->buf ? f->buf : "";
}

static void fix_free(fix_t *f) {
  fclose(f->out);
  free(f->buf);
  kb_scenario_free(f->s);
}

static void note(fix_t *f, uint8_t type, uint16_t id, uint8_t partition, uint8_t index, uint8_t result,
                 uint8_t reason) {
  kb_keys_note_t n;
  memset(&n, 0, sizeof n);
  n.type = type;
  n.id = id;
  n.partition = partition;
  n.index = index;
  n.result = result;
  n.reason = reason;
  on_keys(f->r, &n);
}

/* kb_keys' history as it is when it sends the END note. */
static void hist(fix_t *f, int slot, uint16_t id, uint8_t result, uint8_t reason, uint8_t attempts) {
  f->r->bus.keys.hist[slot].id = id;
  f->r->bus.keys.hist[slot].info.result = result;
  f->r->bus.keys.hist[slot].info.reason = reason;
  f->r->bus.keys.hist[slot].info.attempts = attempts;
}

static bool holds(fix_t *f, size_t i) { return cond_now(f->r, &f->s->exp[i], NULL, 0); }

static void test_notes_printed(void) {
  fix_t f;
  const char *o;
  fix_init(&f, false);
  note(&f, KB_KEYS_NOTE_RETRY, 13, 1, 2, 0, 0);
  note(&f, KB_KEYS_NOTE_CLEAR, 12, 1, 0, 0, 0);
  note(&f, KB_KEYS_NOTE_CLEAR, 0, 2, 0, 0, 0);
  hist(&f, 0, 11, KB_KEYS_INVALID, KB_KEYS_REASON_DISABLED, 1);
  note(&f, KB_KEYS_NOTE_END, 11, 3, 0, KB_KEYS_INVALID, KB_KEYS_REASON_DISABLED);
  hist(&f, 1, 12, KB_KEYS_UNCERTAIN, 0, 3);
  note(&f, KB_KEYS_NOTE_END, 12, 1, 0, KB_KEYS_UNCERTAIN, 0);
  hist(&f, 2, 13, KB_KEYS_DONE, 0, 2);
  note(&f, KB_KEYS_NOTE_END, 13, 1, 0, KB_KEYS_DONE, 0);
  o = fix_out(&f);
  KT_CHECK(strstr(o, "key request 3: attempt 2\n") != NULL);
  KT_CHECK(strstr(o, "key request 2: typed # to clear the unfinished entry on partition 1\n") != NULL);
  KT_CHECK(strstr(o, "virtual keypad: typed # to clear an unfinished entry on partition 2\n") != NULL);
  KT_CHECK(strstr(o, "key request 1 (partition 3 \"w\"): invalid, reason disabled\n") != NULL);
  KT_CHECK(strstr(o, "key request 2 (partition 1 \"....\"): uncertain, after 3 attempts\n") != NULL);
  KT_CHECK(strstr(o, "key request 3 (partition 1 \"s\"): done, after 2 attempts\n") != NULL);
  KT_CHECK(strstr(o, "1234") == NULL); /* neither the keys nor the code */
  fix_free(&f);
}

static void test_show_keys(void) {
  fix_t f;
  fix_init(&f, true);
  hist(&f, 0, 12, KB_KEYS_DONE, 0, 1);
  note(&f, KB_KEYS_NOTE_END, 12, 1, 0, KB_KEYS_DONE, 0);
  KT_CHECK(strstr(fix_out(&f), "key request 2 (partition 1 \"1234\"): done\n") != NULL);
  fix_free(&f);
}

static void test_results_matched(void) {
  fix_t f;
  fix_init(&f, false);
  /* nothing ended yet: kb_keys knows none of the ids */
  KT_CHECK(!holds(&f, 0));
  KT_CHECK(!holds(&f, 1));
  hist(&f, 0, 11, KB_KEYS_INVALID, KB_KEYS_REASON_DISABLED, 1);
  note(&f, KB_KEYS_NOTE_END, 11, 3, 0, KB_KEYS_INVALID, KB_KEYS_REASON_DISABLED);
  hist(&f, 1, 12, KB_KEYS_UNCERTAIN, 0, 3);
  note(&f, KB_KEYS_NOTE_END, 12, 1, 0, KB_KEYS_UNCERTAIN, 0);
  hist(&f, 2, 13, KB_KEYS_DONE, 0, 3);
  note(&f, KB_KEYS_NOTE_END, 13, 1, 0, KB_KEYS_DONE, 0);
  KT_CHECK(holds(&f, 0));  /* invalid reason disabled */
  KT_CHECK(holds(&f, 1));  /* uncertain */
  KT_CHECK(!holds(&f, 2)); /* done, but after 3 attempts, not 2 */
  KT_CHECK(!holds(&f, 3)); /* the reason was disabled, not early */
  KT_CHECK(holds(&f, 4));  /* invalid, any reason */
  /* the runner keeps the end although kb_keys forgot it */
  memset(f.r->bus.keys.hist, 0, sizeof f.r->bus.keys.hist);
  KT_CHECK(holds(&f, 0));
  KT_CHECK(holds(&f, 1));
  {
    char why[160];
    (void)cond_now(f.r, &f.s->exp[2], why, sizeof why);
    KT_STREQ(why, "request 3: done, 3 attempts");
    (void)cond_now(f.r, &f.s->exp[3], why, sizeof why);
    KT_STREQ(why, "request 1: invalid, reason disabled, 1 attempt");
  }
  fix_free(&f);
}

/* Every kb_keys_result_t has its word, and the words parse back. */
static void test_result_words(void) {
  char line[128], err[256];
  for (int i = 0; i < KB_KEYS_UNKNOWN; i++) {
    kb_scenario_t *s = NULL;
    snprintf(line, sizeof line, "at 1s keys 1 \"c\"\nexpect result 1 %s by 2s\n", result_name(i));
    KT_EQ(kb_scenario_parse(&s, line, strlen(line), "w.kbs", err, sizeof err), KB_SCN_OK);
    if (s) KT_EQ(s->exp[0].b, i);
    kb_scenario_free(s);
  }
  KT_STREQ(result_name(KB_KEYS_UNCERTAIN), "uncertain");
  KT_STREQ(reason_name(KB_KEYS_REASON_CODE_LENGTH), "code_length");
}

/* Runs a generated scenario without output; returns the run's result. */
static kb_scenario_result_t run_text(const char *txt, int *rc) {
  kb_scenario_t *s = NULL;
  kb_scenario_opts_t o;
  kb_scenario_result_t res;
  char err[256];
  memset(&o, 0, sizeof o);
  memset(&res, 0, sizeof res);
  *rc = -1;
  if (kb_scenario_parse(&s, txt, strlen(txt), "gen.kbs", err, sizeof err) != KB_SCN_OK) {
    fprintf(stderr, "%s\n", err);
    return res;
  }
  *rc = kb_scenario_run(s, &o, &res);
  kb_scenario_free(s);
  return res;
}

#define NCOST 1000

/* Issue 6 item 14: a step costs the windows open at it, and reasons are
 * formatted only for printed lines. The runner used to visit every
 * expectation at every step and format each open one's reason. */
static void test_cost_long_windows(void) {
  size_t cap = NCOST * 64 + 64, k = 0;
  char *txt = malloc(cap);
  kb_scenario_result_t res;
  int rc;
  if (!txt) abort();
  for (int i = 0; i < NCOST; i++) k += (size_t)snprintf(txt + k, cap - k, "expect no partition 1 alarm between 1s 10m\n");
  snprintf(txt + k, cap - k, "end 10m\n");
  res = run_text(txt, &rc);
  KT_EQ(rc, 0);
  KT_EQ(res.passed, NCOST);
  KT_EQ(res.formats, 0); /* nothing printed: nothing formatted */
  /* every window is open at every step: NCOST visits per step, no more */
  KT_CHECK(res.visits <= (uint64_t)NCOST * (res.messages + 2u));
  free(txt);
}

static void test_cost_disjoint_windows(void) {
  size_t cap = NCOST * 128 + 64, k = 0;
  char *txt = malloc(cap);
  kb_scenario_result_t res;
  int rc;
  if (!txt) abort();
  /* NCOST state windows of 0.2 s and NCOST event windows, one a second */
  for (int i = 1; i <= NCOST; i++)
    k += (size_t)snprintf(txt + k, cap - k,
                          "expect no partition 1 alarm between %ds %d.2s\n"
                          "expect no event zone_alarm 1 between %ds %d.2s\n",
                          i, i, i, i);
  snprintf(txt + k, cap - k, "end %ds\n", NCOST + 1);
  res = run_text(txt, &rc);
  KT_EQ(rc, 0);
  KT_EQ(res.passed, 2 * NCOST);
  KT_EQ(res.formats, 0);
  /* a 0.2 s window sees a handful of steps (one per message, ~13 a second
   * here); an event condition is judged once. Visiting every expectation at
   * every step would be ~2 * NCOST * messages. */
  fprintf(stderr, "cost: %d state + %d event windows, %llu messages: %llu visits, %llu formats\n", NCOST, NCOST,
          (unsigned long long)res.messages, (unsigned long long)res.visits, (unsigned long long)res.formats);
  KT_CHECK(res.messages > 10000u);
  KT_CHECK(res.visits <= (uint64_t)NCOST * 10u + NCOST);
  KT_CHECK(res.visits >= (uint64_t)NCOST * 2u);
  free(txt);
}

KT_MAIN(KT_CASE(test_notes_printed), KT_CASE(test_show_keys), KT_CASE(test_results_matched),
        KT_CASE(test_result_words), KT_CASE(test_cost_long_windows), KT_CASE(test_cost_disjoint_windows))
