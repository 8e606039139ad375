/* SPDX-License-Identifier: MIT
 *
 * kb_wave.h - Keybus waveform generator: messages in, timed clock/data edges
 * out (for the VCD writer, tests, benchmarks and the simulator).
 *
 * Timing (protocol notes §1.2-1.4, §1.7), per message of `bits` bit cells:
 *   - the bus idles with the clock high for gap_us (default 5000 us) before
 *     the message (before the first one too, counted from kb_wave_init());
 *   - bit cell k = a low phase of half_us (default 500 us) then a high phase
 *     of half_us. At the falling edge the panel releases the data line and
 *     the module drives module bit k, so data = module bit k (after
 *     module_lag_us, default 0); at the rising edge the panel drives panel bit
 *     k (after panel_lag_us, default 0), so data = panel bit k (modules
 *     release). The data line is the wired-AND of both drivers;
 *   - after the last cell: one more low phase with both released and a
 *     rising edge; the clock then stays high (data high) until the next
 *     message. A link layer therefore reads one extra trailing bit (value 1)
 *     in each stream: it reports bits + 1 panel and module bits.
 * Only real level changes are emitted, in time order; a clock edge comes
 * before a data change at the same time.
 *
 * Bit k of a frame (document convention, kb_link.h): k < 8 is byte 0 MSB
 * first, k == 8 is byte 1 (its bit 0), k >= 9 is byte 2 + (k-9)/8 MSB first.
 * Bits past the last complete byte (trailing bits, bits > 8*N-7) are taken
 * from the next byte RIGHT-aligned (its low `t` bits, MSB first), which is
 * how a shifting capture (and the hex logs) store a partial byte.
 */
#ifndef KB_HOST_WAVE_H_
#define KB_HOST_WAVE_H_

#include <stdint.h>

#include "host/kb_edges.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest bit count a message may clock: KB_FRAME_BYTES bytes + 7 bits. */
#define KB_WAVE_MAX_BITS (8u * KB_FRAME_BYTES - 7u + 7u)

typedef struct {
  uint64_t t_us;          /* now: end of the last emitted rising edge / init */
  uint8_t clk, dat;       /* current levels */
  uint32_t half_us;       /* clock half period, default 500 */
  uint32_t gap_us;        /* idle high before each message, default 5000 */
  uint32_t module_lag_us; /* module data change after the falling edge, default 0 (< half_us) */
  uint32_t panel_lag_us;  /* panel data change after the rising edge, default 0 (< half_us) */
  kb_edge_fn fn;          /* output */
  void *ctx;
  uint32_t edges;         /* edges emitted */
} kb_wave_t;

/* Idle bus (both lines high) at t0_us; defaults as above; edges go to fn. */
void kb_wave_init(kb_wave_t *w, uint64_t t0_us, kb_edge_fn fn, void *ctx);

/* Value (0/1) of bit k of a frame of `bits` bits stored in document
 * convention (see above) in a buffer of KB_FRAME_BYTES bytes; bits that
 * would lie past the buffer read 1. */
int kb_wave_bit(const uint8_t *bytes, unsigned bits, unsigned k);

/* Clocks one message: `bits` cells (1..KB_WAVE_MAX_BITS; for N bytes 8*N-7,
 * plus trailing bits if wanted); panel and module (if given) are buffers of
 * KB_FRAME_BYTES bytes (see kb_wave_bit()). module == NULL: no module speaks
 * (all 1).
 * Returns the number of edges emitted, 0 when bits is out of range. */
unsigned kb_wave_message(kb_wave_t *w, const uint8_t *panel, const uint8_t *module,
                         unsigned bits);

/* Lets the bus idle (clock high) for us microseconds more. */
void kb_wave_idle(kb_wave_t *w, uint64_t us);

/* Current time (after the last edge / idle). */
uint64_t kb_wave_now(const kb_wave_t *w);

#ifdef __cplusplus
}
#endif

#endif /* KB_HOST_WAVE_H_ */
