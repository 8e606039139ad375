/* SPDX-License-Identifier: MIT
 *
 * fuzz.h - helpers shared by the libFuzzer targets in tests/fuzz (see
 * docs/fuzzing.md): a reader that takes bytes from the fuzzer's input (0
 * once it is used up, so every input is a valid program) and FZ_ASSERT for
 * the invariants a target checks (a failed one aborts: libFuzzer saves the
 * input as a crash).
 *
 * Targets use public headers only (include/keybus, src/host, src/sim), so
 * they survive changes inside the modules they drive.
 */
#ifndef KB_TESTS_FUZZ_H_
#define KB_TESTS_FUZZ_H_

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_ASSERT(c)                                                              \
  do {                                                                            \
    if (!(c)) {                                                                   \
      fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c); \
      abort();                                                                    \
    }                                                                             \
  } while (0)

typedef struct {
  const uint8_t *p;
  size_t n;
} fz_t;

static inline uint8_t fz_u8(fz_t *z) {
  if (!z->n) return 0;
  z->n--;
  return *z->p++;
}

static inline uint16_t fz_u16(fz_t *z) {
  uint16_t v = fz_u8(z);
  return (uint16_t)(v | (uint16_t)fz_u8(z) << 8);
}

static inline uint32_t fz_u32(fz_t *z) {
  uint32_t v = fz_u16(z);
  return v | (uint32_t)fz_u16(z) << 16;
}

/* Copies up to `want` bytes into out (the rest zero); returns how many came
 * from the input. */
static inline size_t fz_bytes(fz_t *z, uint8_t *out, size_t want) {
  size_t k = want < z->n ? want : z->n;
  memcpy(out, z->p, k);
  memset(out + k, 0, want - k);
  z->p += k;
  z->n -= k;
  return k;
}

/* A NUL-terminated string of up to len bytes (cap includes the NUL). */
static inline void fz_str(fz_t *z, char *out, size_t len, size_t cap) {
  if (len > cap - 1) len = cap - 1;
  len = fz_bytes(z, (uint8_t *)out, len);
  out[len] = 0;
}

#endif
