/* SPDX-License-Identifier: MIT
 *
 * fuzz_link.c - the link layer (src/core/kb_link.c) driven as a port and a
 * task would, in any order, with times that wrap and go backwards. Input:
 * records (tests/fuzz/seeds.py writes the same format):
 *   op % 12 = 0 edge      level = op bit 4, t += u16
 *             1 edge      level = op bit 4, t += (int32_t)u32 (back, wrap)
 *             2 sample    clock = op bit 4, data = op bit 5
 *             3 drain     peek/pop every frame
 *             4 pop one
 *             5 tick      now = t (+ u16 ms when op bit 4)
 *             6 arm       key, slot_byte, cmd_a, cmd_b, messages
 *             7 cancel    8 wipe    9 abort    10 finish
 *             11 stats, quiet, idle, tag
 * Invariants (kb_link.h): never more than KB_FRAME_RING frames waiting; a
 * frame has >= 8 panel bits; its `wrote` tag, when set, is a tag of an arm
 * that was made (flag, generation, slot byte < KB_FRAME_BYTES); the write
 * line is pulled low only on a falling edge, never before the first arm,
 * and never after kb_link_write_abort() until the next arm; the stats agree
 * with what was popped.
 */
#include "fuzz.h"

#include "keybus/kb_link.h"

static kb_link_t link_;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_t z = {data, size};
  uint32_t t = 0, popped = 0;
  bool ever_armed = false, aborted = false;
  uint8_t issued[256]; /* tags of the arms made (a frame of an older arm may still wait) */
  memset(issued, 0, sizeof issued);
  kb_link_init(&link_);
  while (z.n) {
    uint8_t op = fz_u8(&z);
    switch (op % 12) {
      case 0:
      case 1: {
        bool high = (op >> 4) & 1;
        kb_link_write_t w;
        if (op % 12 == 0)
          t += fz_u16(&z);
        else
          t += (uint32_t)(int32_t)fz_u32(&z);
        w = kb_link_edge(&link_, high, t);
        FZ_ASSERT(w == KB_LINK_WRITE_RELEASE || w == KB_LINK_WRITE_PULL_LOW);
        if (w == KB_LINK_WRITE_PULL_LOW) {
          FZ_ASSERT(!high);
          FZ_ASSERT(ever_armed);
          FZ_ASSERT(!aborted);
        }
        break;
      }
      case 2:
        kb_link_sample(&link_, (op >> 4) & 1, (op >> 5) & 1);
        break;
      case 3:
      case 4: {
        const kb_frame_t *f;
        unsigned n = 0;
        while ((f = kb_link_peek(&link_)) != NULL) {
          FZ_ASSERT(++n <= KB_FRAME_RING);
          FZ_ASSERT(f->panel_bits >= 8);
          if (f->wrote) {
            FZ_ASSERT(f->wrote & KB_FRAME_WROTE);
            FZ_ASSERT(KB_FRAME_WROTE_BYTE(f->wrote) < KB_FRAME_BYTES);
            FZ_ASSERT(ever_armed && issued[f->wrote]);
          }
          kb_link_pop(&link_);
          popped++;
          if (op % 12 == 4) break;
        }
        break;
      }
      case 5: {
        uint32_t now = t + ((op >> 4) & 1 ? (uint32_t)fz_u16(&z) * 1000u : 0u);
        kb_link_change_t c = kb_link_tick(&link_, now);
        FZ_ASSERT(c == KB_LINK_NO_CHANGE || c == KB_LINK_CONNECTED || c == KB_LINK_DISCONNECTED);
        FZ_ASSERT(kb_link_connected(&link_) == (c == KB_LINK_CONNECTED) || c == KB_LINK_NO_CHANGE);
        break;
      }
      case 6: {
        uint8_t key = fz_u8(&z), slot = fz_u8(&z), a = fz_u8(&z), b = fz_u8(&z), m = fz_u8(&z);
        bool idle = kb_link_write_idle(&link_);
        if (kb_link_write_arm(&link_, key, slot, a, b, m) == KB_OK) {
          uint8_t tag = kb_link_write_tag(&link_);
          FZ_ASSERT(idle && slot != 1 && slot < KB_FRAME_BYTES && m != 0);
          FZ_ASSERT(tag & KB_FRAME_WROTE);
          FZ_ASSERT(KB_FRAME_WROTE_BYTE(tag) == slot);
          FZ_ASSERT(!kb_link_write_idle(&link_));
          issued[tag] = 1;
          ever_armed = true;
          aborted = false;
        }
        break;
      }
      case 7:
        kb_link_write_cancel(&link_);
        break;
      case 8:
        kb_link_write_wipe(&link_);
        break;
      case 9:
        kb_link_write_abort(&link_);
        aborted = true;
        break;
      case 10:
        kb_link_finish(&link_);
        break;
      default: {
        kb_link_stats_t s;
        kb_link_stats(&link_, &s);
        FZ_ASSERT(s.high_water <= KB_FRAME_RING);
        FZ_ASSERT(s.frames >= popped);
        FZ_ASSERT(s.frames - popped <= KB_FRAME_RING);
        (void)kb_link_quiet_us(&link_, t);
        (void)kb_link_write_idle(&link_);
        (void)kb_link_write_tag(&link_);
        break;
      }
    }
  }
  return 0;
}
