/* SPDX-License-Identifier: MIT
 *
 * kb_wave.c - Keybus waveform generator (kb_wave.h).
 */
#include "host/kb_wave.h"

void kb_wave_init(kb_wave_t *w, uint64_t t0_us, kb_edge_fn fn, void *ctx) {
  w->t_us = t0_us;
  w->clk = 1;
  w->dat = 1;
  w->half_us = 500;
  w->gap_us = 5000;
  w->module_lag_us = 0;
  w->panel_lag_us = 0;
  w->fn = fn;
  w->ctx = ctx;
  w->edges = 0;
}

int kb_wave_bit(const uint8_t *bytes, unsigned bits, unsigned k) {
  unsigned idx, full, t, j;
  if (k < 8) return (bytes[0] >> (7 - k)) & 1;
  if (k == 8) return bytes[1] & 1;
  idx = 2 + (k - 9) / 8;
  /* a frame buffer holds KB_FRAME_BYTES bytes: bits past it (the trailing
   * bits of a message of KB_FRAME_BYTES complete bytes) read 1, a released
   * line (found by tests/fuzz/fuzz_keys: it read one byte past the buffer) */
  if (idx >= KB_FRAME_BYTES) return 1;
  /* complete bytes of the frame: bits = 8*full - 7 + t, 0 <= t < 8 */
  full = bits >= 9 ? (bits + 7) / 8 : 1;
  if (idx < full) return (bytes[idx] >> (7 - (k - 9) % 8)) & 1;
  /* trailing bit: right-aligned in bytes[full] */
  t = bits - (8 * full - 7);
  j = (k - 9) % 8; /* position among the trailing bits */
  return (bytes[idx] >> (t - 1 - j)) & 1;
}

static void emit(kb_wave_t *w, uint64_t t, uint8_t wire, uint8_t level) {
  kb_edge_t e;
  uint8_t *cur = wire == KB_EDGE_CLOCK ? &w->clk : &w->dat;
  if (*cur == level) return;
  *cur = level;
  e.t_us = t;
  e.wire = wire;
  e.level = level;
  w->edges++;
  if (w->fn) w->fn(w->ctx, &e);
}

unsigned kb_wave_message(kb_wave_t *w, const uint8_t *panel, const uint8_t *module,
                         unsigned bits) {
  uint32_t before = w->edges;
  uint64_t t;
  unsigned k;
  if (bits < 1 || bits > KB_WAVE_MAX_BITS || !panel) return 0;
  t = w->t_us + w->gap_us;
  for (k = 0; k <= bits; k++) {
    /* k == bits: the extra cell with both drivers released */
    uint8_t m = (k < bits && module) ? (uint8_t)kb_wave_bit(module, bits, k) : 1;
    uint8_t p = k < bits ? (uint8_t)kb_wave_bit(panel, bits, k) : 1;
    emit(w, t, KB_EDGE_CLOCK, 0);
    emit(w, t + w->module_lag_us, KB_EDGE_DATA, m);
    t += w->half_us;
    emit(w, t, KB_EDGE_CLOCK, 1);
    if (k < bits) {
      emit(w, t + w->panel_lag_us, KB_EDGE_DATA, p);
      t += w->half_us;
    }
  }
  w->t_us = t; /* the last rising edge */
  return (unsigned)(w->edges - before);
}

void kb_wave_idle(kb_wave_t *w, uint64_t us) { w->t_us += us; }

uint64_t kb_wave_now(const kb_wave_t *w) { return w->t_us; }
