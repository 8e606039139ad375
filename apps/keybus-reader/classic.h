/* SPDX-License-Identifier: MIT
 *
 * classic.h - keybus-reader --panel classic: KeybusReader's Classic series
 * logs (src/host/kb_classic_text.h) decoded by kb_classic (kb_classic.h).
 * Called by main() once the options are read; prints to stdout, messages
 * to stderr. Returns the exit status (0, or 2 when a file could not be
 * read). See docs/classic.md.
 */
#ifndef KB_READER_CLASSIC_H_
#define KB_READER_CLASSIC_H_

/* Output modes, as main.c numbers them. */
enum { CLS_OUT_TEXT = 0, CLS_OUT_JSON, CLS_OUT_STATUS, CLS_OUT_STATE };

/* vcd_out: also write the frames as a Classic VCD (NULL: no). */
int classic_main(int mode, const char *const *files, int nfiles, const char *vcd_out);

#endif
