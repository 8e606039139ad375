/* SPDX-License-Identifier: MIT
 *
 * kb_link_isr.h - the link layer's interrupt side, inline: the bodies of
 * kb_link_edge(), kb_link_sample() and kb_link_idle() for a port that wants
 * its interrupt handlers to be one function each with no call layers.
 *
 * What it promises
 *   kb_link_isr_edge(), kb_link_isr_sample() and kb_link_isr_idle() ARE the
 *   link's interrupt side: src/core/kb_link.c defines the out-of-line
 *   kb_link_edge(), kb_link_sample() and kb_link_idle() as one call to each,
 *   so there is one implementation. Same contract as those (kb_link.h): O(1), no loop over a frame, no
 *   division, no atomic read-modify-write, no library call (no memset or
 *   memcpy), no constant table (nothing a flash-cached ESP32 could miss).
 *   Every function here carries KB_ISR_FN, so a compiler that does not
 *   inline one (e.g. at -O0/-Og) still places it where the interrupt can run
 *   it; the one deliberately out-of-line helper (the message boundary, the
 *   rarest and longest path) is reached by a tail call.
 *
 * Who calls what, from where
 *   kb_link_isr_edge()    a port's clock interrupt (both edges), instead of
 *                         kb_link_edge(); see kb_port.h.
 *   kb_link_isr_sample()  a port's sample interrupt (KB_SAMPLE_US after each
 *                         edge), instead of kb_link_sample().
 *   kb_link_isr_idle()    optional: a port's idle interrupt (more than
 *                         KB_GAP_US after the last rising edge, kb_port.h 2b),
 *                         instead of kb_link_idle().
 *   A port uses either these or the out-of-line ones, never mixes them on one
 *   kb_link_t at the same time (both are correct; mixing is just pointless).
 *   The rules of kb_link.h hold unchanged: the edge, sample and idle handlers
 *   never preempt each other, KB_BARRIER() is a real fence when interrupt and
 *   task run on different cores (kb_port.h).
 *   Everything named kb_link_isr_*() other than those three is internal
 *   (shared with kb_link.c's task side, which starts and publishes messages
 *   too).
 */
#ifndef KB_LINK_ISR_H_
#define KB_LINK_ISR_H_

#include <stdbool.h>
#include <stdint.h>

#include "keybus/kb_config.h"
#include "keybus/kb_link.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Each stream keeps an accumulator with a sentinel bit above the byte: a
 * plain byte starts as 1 << 8 and a 1-bit byte (the stop bit at index 1) as
 * 1 << 15, so the byte is complete when the sentinel reaches bit 16, with no
 * bit counter to maintain. */
#define KB_LINK_SENTINEL_BYTE 0x100u  /* 8 bits to go */
#define KB_LINK_SENTINEL_STOP 0x8000u /* 1 bit to go: byte 1 holds the stop bit alone */
#define KB_LINK_SENTINEL_FULL 0x10000u

/* The hot paths are forced inline (the common edge then needs no register
 * saves); the boundary is forced out of line and reached by a tail call. */
#if defined(__GNUC__) || defined(__clang__)
#define KB_LINK_ISR_INLINE static inline __attribute__((always_inline))
#define KB_LINK_ISR_OUTLINE static __attribute__((noinline, unused))
#else
#define KB_LINK_ISR_INLINE static inline
#define KB_LINK_ISR_OUTLINE static inline
#endif

/* ------------------------------------------------- Internal helpers */

/* Starts capturing a message into l->cur (= slot[head]); in_msg = 0 for the
 * unpublished capture before the first boundary. Also run by the task
 * (kb_link_init, kb_link_finish) when no interrupt can run. */
KB_LINK_ISR_INLINE KB_ISR_FN void kb_link_isr_start(kb_link_t *l, uint32_t now_us, uint8_t in_msg) {
  kb_frame_t *f = l->cur;
  f->t_start_us = now_us;
  f->module_seen = 0;
  /* a slot reused after a runt or an overflow was never popped: its old
   * write tag must not name this message */
  f->wrote = 0;
  l->p_ptr = f->panel;
  l->m_ptr = f->module;
  l->p_acc = KB_LINK_SENTINEL_BYTE;
  l->m_acc = KB_LINK_SENTINEL_BYTE;
  l->p_count = 0;
  l->m_count = 0;
  l->p_idx = 0;
  l->m_idx = 0;
  l->in_msg = in_msg;
}

/* Ends the message in slot[head]: runt, overflow or published frame. */
KB_LINK_ISR_INLINE KB_ISR_FN void kb_link_isr_publish(kb_link_t *l) {
  kb_frame_t *f = l->cur;
  uint8_t next, tail;
  int waiting;
  if (l->p_count < 8u) {
    l->runts++;
    return;
  }
  next = (uint8_t)(l->head + 1u);
  if (next == KB_LINK_RING_SLOTS) next = 0;
  tail = l->tail;
  if (next == tail) { /* full: the slot is reused, committed frames untouched */
    l->overflows++;
    return;
  }
  f->panel_bits = (uint8_t)l->p_count; /* <= 255: see kb_link_isr_next_byte() */
  f->module_bits = (uint8_t)l->m_count;
  waiting = (int)next - (int)tail;
  if (waiting < 0) waiting += KB_LINK_RING_SLOTS;
  if (waiting > l->high_water) l->high_water = (uint8_t)waiting;
  l->frames++;
  KB_BARRIER(); /* the frame's stores before the index that publishes it */
  l->head = next;
  l->cur = &l->slot[next];
}

/* Falling edge after more than KB_GAP_US of clock high. Out of line (and
 * reached by a tail call) so that the common edge needs no register saves.
 * When kb_link_isr_idle() has already ended the message (in_msg = 0), only
 * the new one starts: nothing is published twice, and `messages` (message
 * starts) is counted here either way. */
KB_LINK_ISR_OUTLINE KB_ISR_FN kb_link_write_t kb_link_isr_boundary(kb_link_t *l, uint32_t now_us) {
  l->messages++;
  if (l->in_msg) kb_link_isr_publish(l);
  kb_link_isr_start(l, now_us, 1);
  return (kb_link_write_t)l->wr_bnext; /* planned by the last panel sample */
}

/* Virtual-keypad write plan, run by each panel sample while a key is armed:
 * decides what the next falling edge drives, both if it is the next low
 * phase of this message (wr_next) and if it starts a new message (wr_bnext),
 * so that the edge itself only returns a byte. c = panel bits read = index of
 * the next low phase; acc's low byte is the command byte when c == 8. */
KB_LINK_ISR_INLINE KB_ISR_FN void kb_link_isr_plan(kb_link_t *l, uint32_t c, uint32_t acc) {
  uint32_t k;
  uint8_t go;
  if (c == 1u) { /* a message began at the last boundary */
    if (l->wr_started) {
      /* the last message ended inside the key's slot: its first bits went
       * out, and the panel (whose view of the bus may differ from ours) may
       * have read the whole key. A key goes on the bus at most once: this
       * message counts as written; the task sees the short echo. */
      l->wr_started = 0;
      l->wr_go = 0;
      if (--l->wr_reps == 0u) {
        l->wr_next = 0;
        l->wr_bnext = 0;
        KB_BARRIER(); /* the plan cleared before the path is handed back */
        l->wr_gate.by[KB_LINK_GATE_KEY] = 0;
        return;
      }
    }
    if (l->wr_cancel) {
      l->wr_next = 0;
      l->wr_bnext = 0;
      KB_BARRIER(); /* the plan cleared before the path is handed back */
      l->wr_gate.by[KB_LINK_GATE_KEY] = 0;
      return;
    }
    /* alarm slot: its first bit went out at that boundary if a sample
     * before it had seen the key */
    go = (uint8_t)(l->wr_primed & (l->wr_cycle == 0u));
    l->wr_go = go;
    l->cur->wrote = (uint8_t)(l->wr_wrote & (uint8_t)(0u - go));
  } else if (c == 8u && l->wr_cycle != 0u) { /* the command byte is complete */
    uint8_t cmd = (uint8_t)acc;
    l->wr_go = (uint8_t)(cmd == l->wr_cmd_a || cmd == l->wr_cmd_b);
  }
  k = c - l->wr_cycle; /* offset of the next low phase in the slot */
  if (!l->wr_go) {
    /* outside a slot being written: the plan for a boundary (alarm slot
     * only) is valid from here on; inside one it already is, or not needed */
    l->wr_primed = 1;
    l->wr_bnext = l->wr_bfirst;
    l->wr_next = 0;
    return;
  }
  if (k < 8u) {
    l->wr_next = (uint8_t)(((uint32_t)l->wr_key << k & 0x80u) == 0u);
    if (k == 0u) {
      l->cur->wrote = l->wr_wrote; /* flag, generation, slot byte */
      l->wr_started = (uint8_t)(l->wr_cycle != 0u);
    }
    return;
  }
  l->wr_next = 0;
  if (k == 8u) { /* the slot's last bit has been driven */
    l->wr_go = 0;
    l->wr_started = 0;
    if (--l->wr_reps == 0u) {
      l->wr_bnext = 0;
      KB_BARRIER(); /* the plan cleared before the path is handed back */
      l->wr_gate.by[KB_LINK_GATE_KEY] = 0;
    }
  }
}

/* Module-reply writer plan (kb_link_xw_t), run by each panel sample while a
 * writer is attached: returns its drive value for the next falling edge
 * inside this message (1 = pull low; kb_link_isr_writers() merges it into
 * wr_next). c = panel bits read = index of the next low phase; the images
 * start at low phase 9 (module byte 2). O(1): a few compares, one index. */
KB_LINK_ISR_INLINE KB_ISR_FN uint8_t kb_link_isr_xw(const kb_link_t *l, kb_link_xw_t *x,
                                                    uint32_t c, uint32_t acc) {
  uint32_t k;
  if (c <= 8u) {
    if (c == 8u) { /* the command byte is complete */
      uint32_t i = acc & 31u, m = x->map_img[i];
      if (m != 0u && x->map_cmd[i] == (uint8_t)acc) {
        uint8_t b = x->bank;
        if (m == KB_LINK_XW_E6) {
          x->busy_frames = l->frames;
          x->busy = (uint8_t)(b + 1u);
          x->e6 = 1;
          x->latched = b;
        } else if ((x->on[b] >> (m - 1u)) & 1u) { /* an all-1s image drives nothing */
          x->busy_frames = l->frames;
          x->busy = (uint8_t)(b + 1u);
          x->cur = x->img[b][m - 1u];
        }
      }
    } else if (c == 1u) { /* a new message: nothing chosen yet */
      x->cur = (const uint8_t *)0;
      x->e6 = 0;
      x->busy = 0;
    }
    return 0;
  }
  if (x->cur == (const uint8_t *)0) {
    uint32_t s;
    /* panel byte 2 (bits 9..16) is complete once 17 bits are read; the
     * E6 images start with module byte 3, low phase 17 = the next one */
    if (c != 17u || !x->e6) return 0;
    x->e6 = 0;
    s = (acc & 0xFFu) - 8u; /* panel byte 2: 0x08/0x0A/0x0C/0x0E = expanders 4..7 */
    if (s >= 8u || (s & 1u)) { /* another 0xE6 */
      x->busy = 0;
      return 0;
    }
    s = KB_LINK_XW_IMG_E6 + (s >> 1);
    if (!((x->on[x->latched] >> s) & 1u)) { /* all 1s: nothing to drive */
      x->busy = 0;
      return 0;
    }
    x->cur = x->img[x->latched][s];
  }
  k = c - 9u; /* bit of the image: module byte 2 + k / 8, MSB first */
  if (k < 64u) return (uint8_t)(((uint32_t)x->cur[k >> 3] << (k & 7u) & 0x80u) == 0u);
  x->cur = (const uint8_t *)0;
  x->driven++;
  x->busy = 0;
  return 0;
}

/* The value of wr_gate.any with the key writer armed and no reply writer
 * (folded to a constant by the compiler: no table, no byte-order test). */
KB_LINK_ISR_INLINE KB_ISR_FN uint32_t kb_link_gate_key_only(void) {
  union {
    uint16_t any;
    uint8_t by[2];
  } u;
  u.by[KB_LINK_GATE_KEY] = 1;
  u.by[KB_LINK_GATE_XW] = 0;
  return u.any;
}

/* Both writers, or the reply writer alone (g = wr_gate.any, one load): the
 * key plan assigns wr_next at every sample it runs in; the reply writer's
 * bit is ORed in after it, or assigned when no key is armed (then nobody
 * else writes wr_next). So the line is pulled low when either pulls it low,
 * and the edge still returns one byte. */
static inline KB_ISR_FN void kb_link_isr_writers(kb_link_t *l, uint32_t g, uint32_t c, uint32_t acc) {
  uint8_t x;
  (void)g;
  if (l->wr_gate.by[KB_LINK_GATE_KEY]) {
    KB_BARRIER(); /* the armed flag before the configuration it guards */
    kb_link_isr_plan(l, c, acc);
    if (!l->wr_gate.by[KB_LINK_GATE_XW]) return;
    KB_BARRIER(); /* the flag before the writer it hands over */
    x = kb_link_isr_xw(l, l->xw, c, acc);
    l->wr_next = (uint8_t)(l->wr_next | x);
    return;
  }
  if (!l->wr_gate.by[KB_LINK_GATE_XW]) return;
  KB_BARRIER();
  l->wr_next = kb_link_isr_xw(l, l->xw, c, acc);
}

/* A byte of a stream is complete: move to the next one (or to the sink past
 * KB_FRAME_BYTES, where bits are counted but not stored). Left to the
 * compiler to inline (it is, twice, at -O2). */
static inline KB_ISR_FN void kb_link_isr_next_byte(kb_link_t *l, uint8_t *idx, uint32_t *acc,
                                                 uint8_t **ptr, uint8_t *base, uint16_t *count) {
  uint8_t i = (uint8_t)(*idx + 1u);
  *acc = i == 1u ? KB_LINK_SENTINEL_STOP : KB_LINK_SENTINEL_BYTE;
  if (i < KB_FRAME_BYTES) {
    *idx = i;
    *ptr = base + i;
  } else { /* cap: keep counting, store into the sink */
    *ptr = &l->sink;
    if (*count >= 255u - 8u) { /* near saturation: complete (and clamp) at every bit */
      *acc = KB_LINK_SENTINEL_STOP;
      if (*count > 255u) *count = 255u;
    }
  }
}

/* ------------------------------------------------------- Interrupt API */

/* kb_link_edge(), inline: a clock edge at now_us, clock_high = the clock
 * level after the edge. Returns what the port must do with the write line
 * (kb_link.h, kb_port.h). O(1). Touches head, cur, t_rise_us, the capture
 * state and the ring slot being filled (at a boundary), reads wr_next /
 * wr_bnext. */
KB_LINK_ISR_INLINE KB_ISR_FN kb_link_write_t kb_link_isr_edge(kb_link_t *l, bool clock_high,
                                                              uint32_t now_us) {
  if (clock_high) {
    l->t_rise_us = now_us;
    return KB_LINK_WRITE_RELEASE;
  }
  if ((uint32_t)(now_us - l->t_rise_us) > KB_GAP_US) return kb_link_isr_boundary(l, now_us);
  return (kb_link_write_t)l->wr_next; /* planned by the last panel sample (both writers) */
}

/* kb_link_sample(), inline: the data line read KB_SAMPLE_US after the last
 * edge; clock_high = the clock level re-read at the sample (high = a panel
 * bit, low = a module bit). O(1). Touches the capture state and the slot
 * being filled; with a key armed, the write plan (wr_*). */
KB_LINK_ISR_INLINE KB_ISR_FN void kb_link_isr_sample(kb_link_t *l, bool clock_high, bool data_high) {
  uint32_t acc;
  if (clock_high) {
    acc = (l->p_acc << 1) | (uint32_t)data_high;
    *l->p_ptr = (uint8_t)acc;
    l->p_count++;
    if (acc & KB_LINK_SENTINEL_FULL)
      kb_link_isr_next_byte(l, &l->p_idx, &l->p_acc, &l->p_ptr, l->cur->panel, &l->p_count);
    else
      l->p_acc = acc;
    {
      /* both writers' flags in one load: nothing more on the default path */
      uint32_t g = l->wr_gate.any;
      if (g) {
        if (g == kb_link_gate_key_only()) {
          KB_BARRIER(); /* the armed flag before the configuration it guards */
          kb_link_isr_plan(l, l->p_count, acc);
        } else {
          kb_link_isr_writers(l, g, l->p_count, acc);
        }
      }
    }
  } else {
    if (!data_high) l->cur->module_seen = 1;
    acc = (l->m_acc << 1) | (uint32_t)data_high;
    *l->m_ptr = (uint8_t)acc;
    l->m_count++;
    if (acc & KB_LINK_SENTINEL_FULL)
      kb_link_isr_next_byte(l, &l->m_idx, &l->m_acc, &l->m_ptr, l->cur->module, &l->m_count);
    else
      l->m_acc = acc;
  }
}

/* kb_link_idle(), inline: the idle call. clock_high = the clock pin re-read
 * now. When a message is in progress, the clock is high and more than
 * KB_GAP_US has passed since the last rising edge, the message is over (the
 * next falling edge can only be a boundary): it is published here, as the
 * boundary would have published it (same frame, same runt/overflow
 * counting), and an unpublished capture starts in its place, so the
 * following boundary publishes nothing and a stray bit before it lands in
 * no published slot. A runt (fewer than 8 panel bits: never a frame) is
 * left to the boundary, which drops and counts it as before. Returns true
 * when it ended a message (published, or lost to a full ring), false when
 * there was nothing to do (no message in progress, a runt, clock low, gap
 * not over yet): a call at any other moment is harmless. The write plan (wr_*) is not touched: it is made
 * by the samples and handed over at the boundary, whichever call published.
 * O(1); runs in the interrupt context, under the rules of the edge and the
 * sample (never preempts them, nor they it: kb_port.h). */
KB_LINK_ISR_INLINE KB_ISR_FN bool kb_link_isr_idle(kb_link_t *l, bool clock_high, uint32_t now_us) {
  if (!clock_high || !l->in_msg || l->p_count < 8u || (uint32_t)(now_us - l->t_rise_us) <= KB_GAP_US)
    return false;
  kb_link_isr_publish(l);
  kb_link_isr_start(l, now_us, 0);
  return true;
}

#ifdef __cplusplus
}
#endif

#endif /* KB_LINK_ISR_H_ */
