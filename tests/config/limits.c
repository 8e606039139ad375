/* SPDX-License-Identifier: MIT
 *
 * limits.c - the engine and the virtual keypad built at a configuration the
 * #error checks of kb_config.h allow (tests/cli/config_limits.sh builds it
 * at the smallest and the largest, with ASan+UBSan and KB_ASSERT aborting):
 * every known command and sub-command with bytes drawn from a fixed seed,
 * checksums made right half of the time, in both input modes, each frame
 * also fed through kb_engine_frame() with module data, and key requests for
 * every partition stepped through those frames. Nothing is asserted about
 * the decode: what this checks is that no configuration reads or writes out
 * of bounds (the sanitizers abort) and that the model stays within its
 * configured sizes.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "keybus/kb_decode.h"
#include "keybus/kb_engine.h"
#include "keybus/kb_keys.h"
#include "keybus/kb_link.h"

static uint32_t rng = 12345u;
static uint8_t rnd(void) {
  rng = rng * 1103515245u + 12345u;
  return (uint8_t)(rng >> 16);
}

static unsigned events;
static void on_event(void *ctx, const kb_event_t *ev) {
  (void)ctx;
  if (ev->partition > KB_MAX_PARTITIONS) {
    fprintf(stderr, "event for partition %u > KB_MAX_PARTITIONS\n", ev->partition);
    abort();
  }
  if ((ev->type == KB_EV_ZONE_OPEN || ev->type == KB_EV_ZONE_ALARM ||
       ev->type == KB_EV_ZONE_TAMPER || ev->type == KB_EV_ZONE_BYPASS) &&
      (ev->zone.zone < 1 || ev->zone.zone > KB_MAX_ZONES)) {
    fprintf(stderr, "zone event for zone %u > KB_MAX_ZONES\n", ev->zone.zone);
    abort();
  }
  events++;
}

int main(void) {
  static kb_engine_t e;
  static kb_link_t l;
  static kb_keys_t k;
  kb_frame_t f;
  unsigned frames = 0, submitted = 0;
  for (int mode = 0; mode < 2; mode++) {
    kb_engine_init(&e, mode ? KB_MODE_LOG : KB_MODE_LIVE, on_event, NULL);
    kb_link_init(&l);
    kb_keys_init(&k, NULL, NULL);
    for (int round = 0; round < 400; round++) {
      for (unsigned cmd = 0; cmd < 256; cmd++) {
        for (unsigned sub = 0; sub < (cmd == 0xE6 ? 0x42u : 1u); sub++) {
          uint8_t a, b, b_[KB_FRAME_BYTES];
          uint8_t n;
          if (!kb_decode_lengths((uint8_t)cmd, (uint8_t)sub, &a, &b)) continue;
          n = (round & 1) ? b : a;
          if (n < 2 || n > KB_FRAME_BYTES) continue;
          memset(b_, 0, sizeof b_);
          b_[0] = (uint8_t)cmd;
          for (uint8_t i = 2; i < n; i++) b_[i] = rnd();
          if (cmd == 0xE6 && n > 2) b_[2] = (uint8_t)sub;
          if ((round & 2) && kb_decode_has_checksum((uint8_t)cmd, (uint8_t)sub)) {
            uint8_t s = b_[0];
            for (uint8_t i = 2; i + 1u < n; i++) s = (uint8_t)(s + b_[i]);
            b_[n - 1] = s;
          }
          (void)kb_engine_panel(&e, b_, n, (uint16_t)(8u * n - 7u), 0, (uint32_t)frames, NULL);
          memset(&f, 0, sizeof f);
          memcpy(f.panel, b_, n);
          for (unsigned i = 0; i < KB_FRAME_BYTES; i++) f.module[i] = rnd() | (uint8_t)(round & 4 ? 0 : 0xFF);
          f.panel_bits = (uint8_t)(8u * n - 7u);
          f.module_bits = f.panel_bits;
          f.wrote = (round & 8) ? (uint8_t)(KB_FRAME_WROTE | (rnd() & 0x7Fu)) : 0;
          f.t_start_us = (uint32_t)frames * 1000u;
          if (mode == 0) kb_engine_frame(&e, &f, (uint32_t)frames);
          if (round % 16 == 0 && cmd == 0x05) {
            uint8_t p = (uint8_t)(1u + rnd() % KB_MAX_PARTITIONS);
            static const char *const req[] = {"w", "s", "1234", "*1", "*6", "#", "f", "*9"};
            if (kb_keys_submit(&k, &e, p, req[rnd() % 8u], (rnd() & 1) ? "1234" : NULL,
                               f.t_start_us, NULL) == KB_OK)
              submitted++;
          }
          kb_keys_step(&k, &l, &e, &f, f.t_start_us);
          frames++;
        }
      }
    }
  }
  printf("limits: KB_MAX_PARTITIONS=%d KB_MAX_ZONES=%d: %u frames, %u events, %u key requests, "
         "no fault\n", KB_MAX_PARTITIONS, KB_MAX_ZONES, frames, events, submitted);
  return 0;
}
