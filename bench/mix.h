/* SPDX-License-Identifier: MIT
 *
 * mix.h - the reference message mix (bench/reference-mix.txt) as read by the
 * bench programs: message types (NAME: panel bytes | module bytes), the
 * cycle of type names, and the number of messages to send.
 */
#ifndef KB_BENCH_MIX_H
#define KB_BENCH_MIX_H

#include <stdint.h>

#define MIX_MAX_TYPES 32
#define MIX_MAX_CYCLE 256
#define MIX_MAX_BYTES 64

typedef struct {
  char name[16];
  uint8_t panel[MIX_MAX_BYTES];  /* document convention: index 1 = stop bit alone */
  uint8_t module[MIX_MAX_BYTES]; /* absent in the file: released (0xFF, stop bit 1) */
  int nbytes;                    /* >= 2, the same for both streams */
} mix_msg_t;

typedef struct {
  mix_msg_t types[MIX_MAX_TYPES];
  int ntypes;
  int cycle[MIX_MAX_CYCLE]; /* indices into types */
  int ncycle;
  long nmessages;
} mix_t;

/* Reads the mix file into *mix; on any error prints "PROG: PATH:LINE: what"
 * and exits with status 1. */
void mix_load(mix_t *mix, const char *path, const char *prog);

/* Message i of the run: the cycle repeats. */
static inline const mix_msg_t *mix_message(const mix_t *mix, long i) {
  return &mix->types[mix->cycle[i % mix->ncycle]];
}

#endif
