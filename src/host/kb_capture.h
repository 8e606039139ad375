/* SPDX-License-Identifier: MIT
 *
 * kb_capture.h - text capture logs in, frame records out (host only).
 *
 * Formats recognised line by line (a file may mix them):
 *   KeybusReader binary, every version: "<secs>.<cs>: <8 bits> <stop bit>
 *     <8-bit groups...> [label] text". Optional Arduino serial-monitor prefix
 *     "hh:mm:ss.mmm -> "; lines without a timestamp; Dilbert66 expander
 *     variant "40088.02:[PANEL] bits ..." / "[MODULE] 4C: bits ..." (the hex
 *     before ':' is the command the module data was captured under, "5" =
 *     0x05); Markdown table rows "| key | bits |" (module key frames).
 *   ESPHome hex (Dilbert66): a "[Panel", "Paneldata:", "[Module" or
 *     "Moduledata:" tag, then "CC: b0 b1 ... [(N)]" (CC = command field, up to
 *     16 hex bytes, N = bit count), with wall clock "[hh:mm:ss(.mmm)]" or
 *     web-log "hh:mm:ss | " prefix, optional "[date]" or "date time" between.
 *   2020 Dilbert66 comma lists: "Panel command data: 05,00,81,01,00,C7,00"
 *     and "Partition<n> changed data: ..." whose LAST 7 values are the frame.
 *   "Keybus connected" / "Keybus disconnected" / "Keybus buffer overflow".
 * Comments: a line whose first non-blank is '#'. "# capture ..." starts a new
 * section (record KB_CAP_SECTION; it also forgets the last panel command).
 * Skipped silently (counted in `skipped`): masked "........" frames, poster
 * annotations (lines starting "//", "...", "(", "----"); text after "//" or
 * "----" on a line is dropped before parsing. Other lines that are not frames
 * are ignored (counted in `ignored`). Frame-looking lines that are malformed
 * give an error "name:line: message" and parsing continues. Lines longer than
 * 4095 bytes are parsed from their first 4095 bytes; a line with a NUL byte
 * is an error. A UTF-8 byte order mark at the start of a line is skipped.
 *
 * Frame bytes use the document convention (kb_link.h): [0] command, [1] the
 * stop bit alone (0/1), [2..] data. `bits` counts bits as captured;
 * `nbytes` = complete bytes (kb_cap_nbytes(bits)); trailing bits (bits past
 * 8*nbytes-7) sit RIGHT-aligned in bytes[nbytes]. Bytes not covered are 0.
 *   binary lines: bits = number of binary digits (stop bit and a trailing
 *     partial group included).
 *   hex Panel lines with "(N)": bits = N, padded = false.
 *   other hex lines (Module lines - their "(N)" is the bit count of the
 *     panel frame of the same message, which is also the module stream's
 *     length; it is kept in logged_bits for the caller to apply - and lines
 *     without "(N)"), and comma
 *     lists: nbytes = number of values, bits = 8*nbytes-7, padded = true: the
 *     values may include zero padding or trailing-bit bytes; the decoder
 *     must trim to the command's known length.
 */
#ifndef KB_HOST_CAPTURE_H_
#define KB_HOST_CAPTURE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "keybus/kb_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------- error lists */

/* Growable list of messages "name:line: text". Zero-initialise. */
typedef struct {
  char **msg;
  size_t n, cap;
} kb_errs_t;

void kb_errs_add(kb_errs_t *e, const char *name, int line, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
void kb_errs_free(kb_errs_t *e);

/* ---------------------------------------------------- input detection */

/* What a capture file holds (the engine's KB_MODE_* says how its frames
 * are judged: a different thing). */
typedef enum { KB_CAPTURE_TEXT = 0, KB_CAPTURE_VCD = 1 } kb_capture_kind_t;

/* VCD when the first non-blank character is '$' followed by a letter (a
 * declaration keyword: $date, $version, $timescale, $comment, $scope, $var,
 * ...); text otherwise. */
kb_capture_kind_t kb_capture_detect(const char *buf, size_t n);

/* Opens path ("-" = stdin) for reading and detects its kind. stdin is copied
 * to a temporary file first, so the returned stream is always rewound to the
 * start and may be closed with fclose(). NULL (errno set) on failure. */
FILE *kb_capture_open(const char *path, kb_capture_kind_t *kind);

/* ------------------------------------------------------------ records */

typedef enum {
  KB_CAP_FRAME = 0,
  KB_CAP_SECTION,      /* "# capture ..." header; name = text after "# " */
  KB_CAP_CONNECTED,    /* "Keybus connected" */
  KB_CAP_DISCONNECTED, /* "Keybus disconnected" */
  KB_CAP_OVERFLOW      /* "Keybus buffer overflow" */
} kb_cap_kind_t;

typedef enum { KB_CAP_PANEL = 0, KB_CAP_MODULE = 1 } kb_cap_src_t;

typedef enum {
  KB_CAP_FMT_BINARY = 0, /* KeybusReader binary digits */
  KB_CAP_FMT_HEX,        /* ESPHome hex buffer */
  KB_CAP_FMT_LIST        /* 2020 comma-separated values */
} kb_cap_fmt_t;

typedef struct {
  kb_cap_kind_t kind;
  int lineno;                    /* 1-based line in the input */
  kb_cap_src_t source;           /* frames: panel or module stream */
  kb_cap_fmt_t fmt;              /* frames: line format */
  uint8_t bytes[KB_FRAME_BYTES]; /* frames: document convention */
  uint8_t nbytes;                /* complete bytes (padded: values given) */
  bool padded;                   /* length not known from the log (see top) */
  uint16_t bits;                 /* bits as captured (see top) */
  uint16_t logged_bits;          /* hex "(N)" as printed, 0 if none */
  bool has_time;
  double t;     /* seconds: KeybusReader secs.cs, else wall clock of the day */
  int t_res_ms; /* 10 for secs.cs, 1000 for hh:mm:ss, 1 for .mmm */
  bool has_under; /* module frames: command captured under is known */
  bool under_guessed; /* under was inferred, not printed (see kb_capture.c) */
  uint8_t under, under_sub; /* under_sub: 0xE6 sub-command (byte 2) */
  const char *name; /* sections: header text (owned by the log), else NULL */
} kb_cap_rec_t;

typedef struct {
  kb_cap_rec_t *rec;
  size_t n, cap;
  kb_errs_t errs;
  /* line counters */
  unsigned lines, blank, comments, skipped, ignored;
  unsigned panel_frames, module_frames;
  /* parser state */
  bool have_last;
  uint8_t last_cmd, last_sub;
  bool last_has_time;
  double last_t;
  bool oom;
} kb_cap_log_t;

/* Complete bytes (document convention) of a frame of `bits` bits:
 * 0 below 8 bits, 1 for 8, (bits + 7) / 8 from 9 on, at most KB_FRAME_BYTES. */
unsigned kb_cap_nbytes(unsigned bits);

/* Zero-initialises a log. */
void kb_cap_init(kb_cap_log_t *log);

/* Parses one line (without or with its newline) as line number lineno of
 * the input called name; appends records/errors to log. */
void kb_cap_parse_line(kb_cap_log_t *log, const char *line, int lineno, const char *name);

/* Parses a whole stream. Returns 0, or -1 on a read error / out of memory
 * (also recorded in errs). Line errors do not make it fail. */
int kb_cap_parse_stream(kb_cap_log_t *log, FILE *f, const char *name);

/* Streaming: reads the next line of f (line number ++*lineno) and parses it
 * into log, as kb_cap_parse_stream() does for each line, in bounded memory
 * whatever the line's length (only its first 4095 bytes are kept; a NUL
 * byte anywhere in it makes it an error). Returns 1 when a line was read,
 * 0 at the end of the input, -1 on a read error (recorded in errs). */
int kb_cap_read_line(kb_cap_log_t *log, FILE *f, const char *name, int *lineno);

/* Streaming: releases the records (and their names) and the messages
 * collected so far but keeps the counters and the parser state (the last
 * panel command that module lines refer to): a caller that takes the
 * records line by line calls it after each line, so that memory stays
 * bounded. Sets `oom` back to false. */
void kb_cap_clear(kb_cap_log_t *log);

/* Parses a file ("-" = stdin). -1 when it cannot be opened (error recorded). */
int kb_cap_parse_file(kb_cap_log_t *log, const char *path);

/* Releases records, names and errors; the log is re-initialised. */
void kb_cap_free(kb_cap_log_t *log);

#ifdef __cplusplus
}
#endif

#endif /* KB_HOST_CAPTURE_H_ */
