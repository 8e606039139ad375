/* SPDX-License-Identifier: MIT
 *
 * fuzz_keys.c - the virtual keypad (src/core/kb_keys.c) with the engine and
 * the link, inside a kb_bus (src/core/kb_bus.c: its poll drains the ring,
 * ticks and steps the keypad, with its own ms clock): requests with arbitrary strings, codes and partitions, stepped
 * with arbitrary frames and times, and messages clocked through the link
 * (kb_wave -> kb_edges -> kb_link, so the keypad's armed keys are really
 * driven and tagged). Input: records (tests/fuzz/seeds.py writes them):
 *   op % 6 = 0 submit    partition, len, keys, has_code, code len, code
 *            1 set_time  partition, year u16, month, day, hour, minute,
 *                        code len, code
 *            2 frame     as fuzz_engine's frame record; wrote = the link's
 *                        tag when op bit 4, else the byte given; dt u16 x
 *                        100 us -> kb_engine_frame, kb_keys_step(f)
 *            3 poll      dt u16 x 100 us -> kb_bus_poll (tick, keypad step)
 *            4 result    id u16 -> kb_keys_result
 *            5 message   bits, n, panel bytes, gap u16 x 100 us: clocked
 *                        through the link; kb_bus_poll after every edge
 *                        (each published frame to the engine and the
 *                        keypad, then popped)
 * Invariants (kb_keys.h): a refused request queues nothing; an accepted one
 * gets a nonzero id and the queue never holds more than KB_KEYS_QUEUE;
 * results and notes are in range; every request submitted ends with one
 * result at most once; a code digit is never reported in a note (key 0).
 */
#include "fuzz.h"

#include "host/kb_edges.h"
#include "host/kb_wave.h"
#include "keybus/kb_bus.h"
#include "keybus/kb_engine.h"
#include "keybus/kb_keys.h"
#include "keybus/kb_link.h"

static kb_bus_t bus;
#define link_ (bus.link)
#define eng (bus.engine)
#define keys (bus.keys)
static kb_edges_t adapt;
static kb_wave_t wave;
static uint32_t now;
static uint8_t ended[65536 / 8];

static void on_note(void *ctx, const kb_keys_note_t *n) {
  (void)ctx;
  FZ_ASSERT(n->type <= KB_KEYS_NOTE_RETRY);
  if (n->type == KB_KEYS_NOTE_END) {
    FZ_ASSERT(n->result > KB_KEYS_PENDING && n->result < KB_KEYS_UNKNOWN);
    FZ_ASSERT(n->id != 0);
    FZ_ASSERT(!(ended[n->id / 8] & (1u << (n->id % 8)))); /* one result per request */
    ended[n->id / 8] |= (uint8_t)(1u << (n->id % 8));
  }
}

static void on_edge(void *ctx, const kb_edge_t *e) {
  (void)ctx;
  now = (uint32_t)e->t_us;
  kb_edges_feed(&adapt, e);
  kb_bus_poll(&bus, now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_t z = {data, size};
  now = 0;
  memset(ended, 0, sizeof ended);
  {
    const kb_bus_cfg_t cfg = {NULL, NULL, on_note, NULL};
    kb_bus_init(&bus, &cfg);
  }
  kb_edges_init(&adapt, &link_);
  kb_wave_init(&wave, 0, on_edge, NULL);
  while (z.n) {
    uint8_t op = fz_u8(&z);
    switch (op % 6) {
      case 0:
      case 1: {
        char k[64], code[16];
        uint8_t part = fz_u8(&z), before = kb_keys_pending(&keys);
        uint16_t id = 0;
        kb_err_t err;
        if (op % 6 == 0) {
          uint8_t has_code;
          fz_str(&z, k, fz_u8(&z) % 40u, sizeof k);
          has_code = fz_u8(&z) & 1;
          fz_str(&z, code, fz_u8(&z) % 10u, sizeof code);
          err = kb_keys_submit(&keys, &eng, part, k, has_code ? code : NULL, now, &id);
        } else {
          uint16_t year = fz_u16(&z);
          uint8_t mo = fz_u8(&z), d = fz_u8(&z), h = fz_u8(&z), mi = fz_u8(&z);
          fz_str(&z, code, fz_u8(&z) % 10u, sizeof code);
          err = kb_keys_set_time(&keys, &eng, part, year, mo, d, h, mi, code, now, &id);
        }
        if (err == KB_OK) {
          FZ_ASSERT(id != 0);
          FZ_ASSERT(kb_keys_pending(&keys) == before + 1);
          FZ_ASSERT(kb_keys_result(&keys, id, NULL) == KB_KEYS_PENDING);
        } else {
          FZ_ASSERT(kb_keys_pending(&keys) == before);
        }
        FZ_ASSERT(kb_keys_pending(&keys) <= KB_KEYS_QUEUE);
        break;
      }
      case 2: {
        kb_frame_t f;
        uint8_t np, nm, w;
        memset(&f, 0, sizeof f);
        f.panel_bits = fz_u8(&z);
        f.module_bits = fz_u8(&z);
        f.module_seen = fz_u8(&z) & 1;
        w = fz_u8(&z);
        f.wrote = (op >> 4) & 1 ? kb_link_write_tag(&link_) : w;
        now += (uint32_t)fz_u16(&z) * 100u;
        np = (uint8_t)(fz_u8(&z) % (KB_FRAME_BYTES + 1));
        fz_bytes(&z, f.panel, np);
        nm = (uint8_t)(fz_u8(&z) % (KB_FRAME_BYTES + 1));
        fz_bytes(&z, f.module, nm);
        f.t_start_us = now;
        kb_engine_frame(&eng, &f, now / 1000u);
        kb_keys_step(&keys, &link_, &eng, &f, now);
        break;
      }
      case 3:
        now += (uint32_t)fz_u16(&z) * 100u;
        kb_bus_poll(&bus, now);
        FZ_ASSERT(kb_bus_health(&bus)->ring_high_water <= KB_FRAME_RING);
        break;
      case 4: {
        kb_keys_info_t info;
        kb_keys_result_t r = kb_keys_result(&keys, fz_u16(&z), &info);
        FZ_ASSERT(r <= KB_KEYS_UNKNOWN);
        break;
      }
      default: {
        uint8_t p[KB_FRAME_BYTES], n;
        unsigned bits = fz_u8(&z);
        uint64_t gap = (uint64_t)fz_u16(&z) * 100u;
        n = (uint8_t)(fz_u8(&z) % (KB_FRAME_BYTES + 1));
        fz_bytes(&z, p, n);
        memset(p + n, 0, sizeof p - n);
        if (bits < 8) bits = 8u * (n > 1 ? n : 2u) - 7u;
        if (bits > KB_WAVE_MAX_BITS) bits = KB_WAVE_MAX_BITS;
        kb_wave_idle(&wave, gap);
        (void)kb_wave_message(&wave, p, NULL, bits);
        kb_wave_idle(&wave, 2000);
        kb_edges_advance(&adapt, kb_wave_now(&wave));
        now = (uint32_t)kb_wave_now(&wave);
        kb_bus_poll(&bus, now);
        break;
      }
    }
    FZ_ASSERT(kb_keys_pending(&keys) <= KB_KEYS_QUEUE);
  }
  return 0;
}
