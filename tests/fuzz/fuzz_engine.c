/* SPDX-License-Identifier: MIT
 *
 * fuzz_engine.c - the engine (src/core) fed arbitrary frames in both input
 * modes. Input: byte 0 picks the mode (bit 0: log, else live), then records
 * (see the switch; tests/fuzz/seeds.py writes the same format):
 *   0 panel   n, bits u16, noise u16, dt u16 (ms), n bytes -> kb_engine_panel
 *   1 module  under, sub, n, bits u16, dt u16, n bytes     -> kb_engine_module
 *   2 frame   panel_bits, module_bits, module_seen, wrote, dt u16, np, panel
 *             bytes, nm, module bytes                      -> kb_engine_frame
 *   3 connected flag, dt u16          -> kb_engine_connected, frame_age_ms
 *   4 judge   soon, then prev/cur/next as (n, bits u16, bytes) -> the log
 *             judgement, and cur to kb_engine_panel with its noise mask
 *   5 link stats (4 x u32, high water)  -> kb_engine_link_stats
 *   6 time    t = u32 (jumps, wraps)
 * Invariants: the engine never reads past what it is given (ASan: the frame
 * buffers are exactly n bytes long, on the heap); the decoded length is
 * within the bytes available; callbacks see valid event types.
 */
#include "fuzz.h"

#include "keybus/kb_decode.h"
#include "keybus/kb_engine.h"

static kb_engine_t eng;

static void on_event(void *ctx, const kb_event_t *ev) {
  (void)ctx;
  FZ_ASSERT(ev != NULL);
  FZ_ASSERT(ev->type < KB_EV_COUNT && ev->partition <= KB_MAX_PARTITIONS);
  if (ev->type == KB_EV_ZONE_OPEN || ev->type == KB_EV_ZONE_ALARM || ev->type == KB_EV_ZONE_TAMPER ||
      ev->type == KB_EV_ZONE_BYPASS)
    FZ_ASSERT(ev->zone.zone >= 1 && ev->zone.zone <= KB_MAX_ZONES);
  if (ev->type == KB_EV_MODULE) FZ_ASSERT(ev->module.device <= KB_DEVICE_PC5204);
}

/* n bytes from the input in a heap block of exactly n bytes, n = 0 too
 * (ASan sees any read past them); NULL only when out of memory. */
static uint8_t *take(fz_t *z, uint8_t n) {
  uint8_t *b = malloc(n);
  if (b) fz_bytes(z, b, n);
  return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_t z = {data, size};
  uint32_t t = 0;
  kb_engine_mode_t mode = (fz_u8(&z) & 1) ? KB_MODE_LOG : KB_MODE_LIVE;
  kb_engine_init(&eng, mode, on_event, NULL);
  while (z.n) {
    uint8_t op = fz_u8(&z);
    switch (op % 7) {
      case 0: {
        uint8_t n = (uint8_t)(fz_u8(&z) % (KB_FRAME_BYTES + 1));
        uint16_t bits = fz_u16(&z), noise = fz_u16(&z);
        uint8_t *b;
        kb_decoded_t d;
        t += fz_u16(&z);
        b = take(&z, n);
        if (!b) return 0;
        memset(&d, 0, sizeof d);
        (void)kb_engine_panel(&eng, b, n, bits, mode == KB_MODE_LOG ? noise : 0, t, &d);
        FZ_ASSERT(d.nbytes <= KB_FRAME_BYTES);
        free(b);
        break;
      }
      case 1: {
        uint8_t under = fz_u8(&z), sub = fz_u8(&z);
        uint8_t n = (uint8_t)(fz_u8(&z) % (KB_FRAME_BYTES + 1));
        uint16_t bits = fz_u16(&z);
        uint8_t *b;
        kb_decoded_t d;
        t += fz_u16(&z);
        b = take(&z, n);
        if (!b) return 0;
        memset(&d, 0, sizeof d);
        (void)kb_engine_module(&eng, under, sub, b, n, bits, t, &d);
        FZ_ASSERT(d.nbytes <= KB_FRAME_BYTES);
        free(b);
        break;
      }
      case 2: {
        kb_frame_t f;
        uint8_t np, nm;
        memset(&f, 0, sizeof f);
        f.panel_bits = fz_u8(&z);
        f.module_bits = fz_u8(&z);
        f.module_seen = fz_u8(&z) & 1;
        f.wrote = fz_u8(&z);
        t += fz_u16(&z);
        np = (uint8_t)(fz_u8(&z) % (KB_FRAME_BYTES + 1));
        fz_bytes(&z, f.panel, np);
        nm = (uint8_t)(fz_u8(&z) % (KB_FRAME_BYTES + 1));
        fz_bytes(&z, f.module, nm);
        f.t_start_us = t * 1000u;
        kb_engine_frame(&eng, &f, t);
        break;
      }
      case 3: {
        uint8_t on = fz_u8(&z) & 1;
        t += fz_u16(&z);
        kb_engine_connected(&eng, on != 0, t);
        (void)kb_engine_frame_age_ms(&eng, t);
        break;
      }
      case 4: {
        uint8_t soon = fz_u8(&z) & 1, n[3], *b[3];
        uint16_t bits[3], mask;
        for (int i = 0; i < 3; i++) {
          n[i] = (uint8_t)(fz_u8(&z) % (KB_FRAME_BYTES + 1));
          bits[i] = fz_u16(&z);
          b[i] = take(&z, n[i]);
          /* kb_filter_log_judge takes frames "as bytes with their bit
           * counts": the caller guarantees bits fit the bytes */
          if (bits[i] > 8u * n[i]) bits[i] = (uint16_t)(8u * n[i]);
        }
        if (b[0] && b[1] && b[2]) { /* an empty prev/next is "none" (NULL) */
          mask = kb_filter_log_judge(n[0] ? b[0] : NULL, bits[0], b[1], bits[1],
                                     n[2] ? b[2] : NULL, bits[2], soon != 0);
          (void)kb_engine_panel(&eng, b[1], n[1], bits[1], mode == KB_MODE_LOG ? mask : 0, t,
                                NULL);
        }
        for (int i = 0; i < 3; i++) free(b[i]);
        break;
      }
      case 5: {
        kb_link_stats_t s;
        s.messages = fz_u32(&z);
        s.frames = fz_u32(&z);
        s.overflows = fz_u32(&z);
        s.runts = fz_u32(&z);
        s.high_water = fz_u8(&z);
        kb_engine_link_stats(&eng, &s);
        break;
      }
      default:
        t = fz_u32(&z);
        break;
    }
  }
  return 0;
}
