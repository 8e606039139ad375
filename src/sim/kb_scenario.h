/* SPDX-License-Identifier: MIT
 *
 * kb_scenario.h - closed-loop scenarios: a small text language (see
 * docs/scenarios.md) that configures the simulated panel, schedules actions
 * in virtual time (zones, AC, keys through the engine's virtual keypad,
 * physical keypads, bus cuts) and states expectations about what the ENGINE
 * decoded (kb_engine_t status, its events, kb_keys results) -- never about
 * the panel model's truth.
 *
 *   kb_scenario_t *s;
 *   if (kb_scenario_load(&s, "x.kbs", err, sizeof err) != 0) ... // err: "x.kbs:3: ..."
 *   kb_scenario_run(s, &opts, &res);
 *   kb_scenario_free(s);
 *
 * Everything runs in virtual time as fast as the machine goes, unless the
 * caller's pace hook sleeps. A step of the run costs the expectations whose
 * window is open at it; reasons are formatted only for printed lines.
 *
 * Secrets: every digit of a key request or a physical keypad's keys is
 * printed as '.' unless kb_scenario_opts_t.show_keys; a request's access
 * code is never printed.
 *
 * Who may call: one thread per scenario object (it keeps the last run).
 */
#ifndef KB_SIM_SCENARIO_H_
#define KB_SIM_SCENARIO_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "keybus/kb_engine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kb_scenario_s kb_scenario_t;

/* Load results. */
#define KB_SCN_OK 0
#define KB_SCN_UNREADABLE (-1) /* the file could not be read */
#define KB_SCN_MALFORMED (-2)  /* a line is wrong: err = "name:line: message" */

/* Parses a scenario from memory (name is used in messages). On error *out is
 * NULL and err (n bytes) says where and why. Any input is safe. */
int kb_scenario_parse(kb_scenario_t **out, const char *text, size_t len, const char *name,
                      char *err, size_t n);

/* Reads and parses a file. */
int kb_scenario_load(kb_scenario_t **out, const char *path, char *err, size_t n);

typedef struct {
  FILE *out;           /* progress and failures (NULL = nothing printed) */
  bool quiet;          /* only failures and the summary line */
  bool ignore_frames;  /* test hook: the engine side drops every frame */
  bool show_keys;      /* debugging: print the digits of key requests (masked
                          as '.' by default: they may be access codes) */
  FILE *vcd;           /* waveform output (NULL = none) */
  /* called after every message with the virtual time; return nonzero to
   * stop the run (realtime pacing and Ctrl-C live in the app) */
  int (*pace)(void *ctx, uint64_t now_us);
  void *pace_ctx;
} kb_scenario_opts_t;

typedef struct {
  unsigned expects, passed, failed;
  bool stopped;        /* the pace hook stopped the run */
  unsigned unjudged;   /* expectations left unjudged by a stop (counted as failed) */
  unsigned warnings;   /* warnings printed (e.g. a `by` condition that already held) */
  /* work done judging (the cost test): expectations visited at task steps
   * (each visit of an open window, each event condition judged), and
   * reasons formatted (only for printed lines) */
  uint64_t visits, formats;
  uint64_t end_us;     /* virtual time at the end */
  uint64_t messages;   /* messages on the wire */
  uint64_t flips, msgs_hit; /* noise */
} kb_scenario_result_t;

/* Runs the scenario once. Returns 0 when every expectation passed, 1 when
 * one failed (or the run was stopped before it could be judged), 2 when the
 * run could not be set up (out of memory, VCD write error). */
int kb_scenario_run(kb_scenario_t *s, const kb_scenario_opts_t *o, kb_scenario_result_t *r);

/* The engine of the last run (its state at the end), NULL before a run. */
const kb_engine_t *kb_scenario_engine(const kb_scenario_t *s);

void kb_scenario_free(kb_scenario_t *s);

#ifdef __cplusplus
}
#endif

#endif /* KB_SIM_SCENARIO_H_ */
