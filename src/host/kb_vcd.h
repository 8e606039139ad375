/* SPDX-License-Identifier: MIT
 *
 * kb_vcd.h - Value Change Dump (IEEE 1364 §18) reader and writer for the two
 * Keybus wires (logic-analyser captures in, simulator output out).
 *
 * Reader
 *   Header: $timescale (1/10/100 s, ms, us, ns, ps, fs; "1us" or "1 us";
 *   missing = 1 us), $var <type> <size> <id> <name> [bit] $end; $scope,
 *   $upscope, $date, $version, $comment and unknown keywords are skipped to
 *   their $end. Wires (1-bit vars only): the clock is the first whose name
 *   contains (case-insensitively) "clock", "clk" or "yellow"; the data line
 *   the first other one containing "data", "dat" or "green"; the Classic
 *   panels' PC-16 line (KB_EDGE_PC16) the first other one whose name contains
 *   "pc16", "pc-16" or "pgm" (by name only: none is fine). A role not found
 *   by name takes the first remaining 1-bit var in declaration order (so two
 *   unnamed wires are clock then data). kb_vcd_opts_t can name them exactly.
 *   Body: "#<time>", scalar changes "0!", "1!", "x!", "z!", vector changes
 *   "b0 !" (the LSB is used), reals "r1.5 !" (ignored); $dumpvars, $dumpall,
 *   $dumpon, $dumpoff, $end are transparent, $comment ... $end is skipped.
 *   'z' reads as 1 (a released open-collector line), 'x' is ignored.
 *   Output: time-ordered edges (t_us = time * timescale, truncated to whole
 *   microseconds) of the two selected wires; the first value of each wire is
 *   reported, afterwards only changes.
 *   Any number of variables may be declared (only 1-bit ones are wire
 *   candidates); a UTF-8 byte order mark before the first keyword is skipped.
 *   Errors ("name:line: message") are collected and reading goes on; after
 *   KB_VCD_MAX_ERRORS, or when no two wires can be selected, reading stops
 *   (kb_vcd_next() returns -1). Any byte sequence is safe to feed.
 *   Value changes of identifiers that no $var declared are ignored with a
 *   warning, not an error (the selected wires are declared, so nothing
 *   decoded is lost; the file is still broken and the user should know):
 *   the first one "name:line: warning: ...", then a count in `undeclared`
 *   and, at the end, "name: warning: N value changes of undeclared
 *   identifiers ignored". Warnings do not count towards KB_VCD_MAX_ERRORS.
 *
 * Writer
 *   $date, $version keybus, $timescale 1us, module scope "keybus" with wires
 *   "clock" (id '!') and "data" (id '"'), initial values in $dumpvars, then
 *   "#t" lines and changes. Opens in PulseView and GTKWave.
 */
#ifndef KB_HOST_VCD_H_
#define KB_HOST_VCD_H_

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "host/kb_capture.h"
#include "host/kb_edges.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KB_VCD_MAX_ERRORS 50
#define KB_VCD_ID_MAX 32
#define KB_VCD_NAME_MAX 64

typedef struct {
  const char *clock_name; /* exact (case-insensitive) var name, or NULL */
  const char *data_name;
} kb_vcd_opts_t;

typedef struct {
  FILE *f;
  const char *name;
  int line;        /* current line (1-based) */
  int tok_line;    /* line of the last token */
  bool eof, fatal;
  /* time scale: t_us = t * mul / div */
  uint64_t mul, div;
  uint64_t t_raw;  /* last "#t" */
  uint64_t t_us;   /* its value in microseconds */
  bool have_time;
  /* selected ids: [KB_EDGE_CLOCK], [KB_EDGE_DATA], [KB_EDGE_PC16] (the
   * Classic panels' PGM line: "" when no var is named pc16/pc-16/pgm) */
  char id[3][KB_VCD_ID_MAX];
  char var[3][KB_VCD_NAME_MAX];   /* their names */
  int8_t level[3];                /* last reported level, -1 = none yet */
  kb_errs_t *errs;
  unsigned nerr;
  uint64_t changes; /* value changes seen on the selected wires */
  uint64_t undeclared; /* value changes of identifiers no $var declared (ignored) */
  int undeclared_line; /* line of the first one */
  char **ids;       /* every declared identifier, sorted (internal) */
  size_t nids;
} kb_vcd_reader_t;

/* Reads the header (through $enddefinitions) and selects the wires. errs
 * receives the messages (must outlive the reader). Returns 0, or -1 (fatal;
 * reason in errs). opts may be NULL. */
int kb_vcd_open(kb_vcd_reader_t *r, FILE *f, const char *name, const kb_vcd_opts_t *opts,
                kb_errs_t *errs);

/* Next edge: 1 = *e filled, 0 = end of file, -1 = stopped on errors. At the
 * end (0 or -1) the reader releases what it allocated and adds the summary
 * of undeclared identifiers (if any) to errs. */
int kb_vcd_next(kb_vcd_reader_t *r, kb_edge_t *e);

/* Releases what kb_vcd_open() allocated; for a caller that stops before
 * kb_vcd_next() returned 0 or -1. Safe to call more than once. */
void kb_vcd_close(kb_vcd_reader_t *r);

/* Whole file to a sink. Returns the number of edges, or -1. r->t_us holds
 * the last time stamp afterwards (useful for kb_edges_advance()). */
long kb_vcd_read_all(kb_vcd_reader_t *r, kb_edge_fn fn, void *ctx);

typedef struct {
  FILE *f;
  uint64_t t;      /* last "#t" written */
  uint8_t clk, dat, pc16;
  bool has_pc16;   /* Classic: the third wire "pc16" is declared */
  bool err;        /* an edge went back in time, or a write failed */
  uint64_t edges;
} kb_vcd_writer_t;

/* Writes the header and the initial levels at time t0_us. date = NULL: now.
 * Returns 0 or -1 (write error). */
int kb_vcd_writer_begin(kb_vcd_writer_t *w, FILE *f, const char *date, uint64_t t0_us,
                        bool clock0, bool data0);

/* The same for a Classic series capture: wires "clock", "data" and "pc16"
 * (id '#'), all high at t0_us (issue 11). */
int kb_vcd_writer_begin_classic(kb_vcd_writer_t *w, FILE *f, const char *date, uint64_t t0_us);

/* One edge (time-ordered; an earlier time sets err and is dropped; a
 * non-change is skipped). Returns 0 or -1. */
int kb_vcd_writer_edge(kb_vcd_writer_t *w, const kb_edge_t *e);

/* kb_edge_fn wrapper: ctx is the kb_vcd_writer_t. */
void kb_vcd_writer_cb(void *ctx, const kb_edge_t *e);

/* Writes a final "#t_end" (if later than the last) and flushes. 0 or -1. */
int kb_vcd_writer_end(kb_vcd_writer_t *w, uint64_t t_end_us);

#ifdef __cplusplus
}
#endif

#endif /* KB_HOST_VCD_H_ */
