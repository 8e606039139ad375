/* SPDX-License-Identifier: MIT
 *
 * classic.h - keybus-reader --panel classic: KeybusReader's Classic series
 * logs (src/host/kb_classic_text.h) decoded by kb_classic (kb_classic.h).
 * Called by main() once the options are read; prints to stdout, messages
 * to stderr. Returns the exit status (0, or 2 when a file could not be
 * read). See docs/classic.md. Also reader_open(), the opening of the
 * inputs both modes share (main.c's PowerSeries path calls it too).
 */
#ifndef KB_READER_CLASSIC_H_
#define KB_READER_CLASSIC_H_

#include <stdio.h>

#include "host/kb_capture.h"

/* Output modes, as main.c numbers them. */
enum { CLS_OUT_TEXT = 0, CLS_OUT_JSON, CLS_OUT_STATUS, CLS_OUT_STATE };

/* vcd_out: also write the frames as a Classic VCD (NULL: no). */
int classic_main(int mode, const char *const *files, int nfiles, const char *vcd_out);

/* Both modes' first step: every input opened (in[i], its kind in kinds[i])
 * before anything is decoded, then vcd_out created (*vcd; NULL when
 * vcd_out is NULL). On a failure the message is on stderr, what was opened
 * is closed again, and 2 is returned; else 0. */
int reader_open(const char *const *files, int nfiles, FILE **in, kb_capture_kind_t *kinds,
                const char *vcd_out, FILE **vcd);

#endif
