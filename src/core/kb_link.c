/* SPDX-License-Identifier: MIT
 *
 * kb_link.c - link layer: clock edges and data samples in, whole messages out.
 *
 * Interrupt side. The message being captured lives in slot[head] of the ring
 * (the ring has KB_FRAME_RING + 1 slots; the extra one is always the slot being
 * filled, so the task never sees a frame being written). Each stream keeps an
 * accumulator with a sentinel bit above the byte: a plain byte starts as 1 << 8
 * and a 1-bit byte (the stop bit at index 1) as 1 << 15, so the byte is
 * complete when the sentinel reaches bit 16, with no bit counter to maintain.
 * The low 8 bits of the accumulator are stored at every bit, so a partial last
 * byte (trailing bits) is visible. Past KB_FRAME_BYTES the store pointer is
 * moved to a sink byte in the state: bits are still counted but not stored.
 * Publishing is one store of head after a compiler barrier.
 *
 * Task side: peek/pop move tail; kb_link_tick() turns the boundary counter
 * into the connected/disconnected rule.
 */
#include "keybus/kb_link.h"

#include <string.h>

#define SENTINEL_BYTE 0x100u  /* 8 bits to go */
#define SENTINEL_STOP 0x8000u /* 1 bit to go: byte 1 holds the stop bit alone */
#define SENTINEL_FULL 0x10000u
#define RING_SLOTS (KB_FRAME_RING + 1)

/* The boundary path is the worst interrupt call: keep it free of call
 * overhead even though kb_link_finish() shares it. The inline helpers of the
 * interrupt side are KB_ISR_FN as well, so that a compiler that does not
 * inline them still places them where the interrupt can run them (IRAM on
 * ESP-IDF). */
#if defined(__GNUC__) || defined(__clang__)
#define LINK_INLINE static inline __attribute__((always_inline))
#define LINK_NOINLINE static __attribute__((noinline))
#else
#define LINK_INLINE static inline
#define LINK_NOINLINE static
#endif

/* ------------------------------------------------------ Interrupt side */

/* Starts capturing a message into l->cur (= slot[head]); in_msg = 0 for the
 * unpublished capture before the first boundary. */
LINK_INLINE KB_ISR_FN void link_start(kb_link_t *l, uint32_t now_us, uint8_t in_msg) {
  kb_frame_t *f = l->cur;
  f->t_start_us = now_us;
  f->module_seen = 0;
  /* a slot reused after a runt or an overflow was never popped: its old
   * write tag must not name this message */
  f->wrote = 0;
  l->p_ptr = f->panel;
  l->m_ptr = f->module;
  l->p_acc = SENTINEL_BYTE;
  l->m_acc = SENTINEL_BYTE;
  l->p_count = 0;
  l->m_count = 0;
  l->p_idx = 0;
  l->m_idx = 0;
  l->in_msg = in_msg;
}

/* Ends the message in slot[head]: runt, overflow or published frame. */
LINK_INLINE KB_ISR_FN void link_publish(kb_link_t *l) {
  kb_frame_t *f = l->cur;
  uint8_t next, tail;
  int waiting;
  if (l->p_count < 8u) {
    l->runts++;
    return;
  }
  next = (uint8_t)(l->head + 1u);
  if (next == RING_SLOTS) next = 0;
  tail = l->tail;
  if (next == tail) { /* full: the slot is reused, committed frames untouched */
    l->overflows++;
    return;
  }
  f->panel_bits = (uint8_t)l->p_count; /* <= 255: see next_byte() */
  f->module_bits = (uint8_t)l->m_count;
  waiting = (int)next - (int)tail;
  if (waiting < 0) waiting += RING_SLOTS;
  if (waiting > l->high_water) l->high_water = (uint8_t)waiting;
  l->frames++;
  KB_BARRIER(); /* the frame's stores before the index that publishes it */
  l->head = next;
  l->cur = &l->slot[next];
}

/* Falling edge after more than KB_GAP_US of clock high. Out of line (and
 * reached by a tail call) so that the common edge needs no register saves. */
LINK_NOINLINE KB_ISR_FN kb_link_write_t link_boundary(kb_link_t *l, uint32_t now_us) {
  l->messages++;
  if (l->in_msg) link_publish(l);
  link_start(l, now_us, 1);
  return (kb_link_write_t)l->wr_bnext; /* planned by the last panel sample */
}

KB_ISR_FN kb_link_write_t kb_link_edge(kb_link_t *l, bool clock_high, uint32_t now_us) {
  if (clock_high) {
    l->t_rise_us = now_us;
    return KB_LINK_WRITE_RELEASE;
  }
  if ((uint32_t)(now_us - l->t_rise_us) > KB_GAP_US) return link_boundary(l, now_us);
  return (kb_link_write_t)l->wr_next; /* planned by the last panel sample */
}

/* Virtual-keypad write plan, run by each panel sample while a key is armed:
 * decides what the next falling edge drives, both if it is the next low
 * phase of this message (wr_next) and if it starts a new message (wr_bnext),
 * so that the edge itself only returns a byte. c = panel bits read = index of
 * the next low phase; acc's low byte is the command byte when c == 8. */
LINK_INLINE KB_ISR_FN void link_write_plan(kb_link_t *l, uint32_t c, uint32_t acc) {
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
        l->wr_armed = 0;
        return;
      }
    }
    if (l->wr_cancel) {
      l->wr_next = 0;
      l->wr_bnext = 0;
      KB_BARRIER(); /* the plan cleared before the path is handed back */
      l->wr_armed = 0;
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
      l->wr_armed = 0;
    }
  }
}

/* A byte of a stream is complete: move to the next one (or to the sink). */
static KB_ISR_FN void next_byte(kb_link_t *l, uint8_t *idx, uint32_t *acc, uint8_t **ptr,
                                uint8_t *base, uint16_t *count) {
  uint8_t i = (uint8_t)(*idx + 1u);
  *acc = i == 1u ? SENTINEL_STOP : SENTINEL_BYTE;
  if (i < KB_FRAME_BYTES) {
    *idx = i;
    *ptr = base + i;
  } else { /* cap: keep counting, store into the sink */
    *ptr = &l->sink;
    if (*count >= 255u - 8u) { /* near saturation: complete (and clamp) at every bit */
      *acc = SENTINEL_STOP;
      if (*count > 255u) *count = 255u;
    }
  }
}

KB_ISR_FN void kb_link_sample(kb_link_t *l, bool clock_high, bool data_high) {
  uint32_t acc;
  if (clock_high) {
    acc = (l->p_acc << 1) | (uint32_t)data_high;
    *l->p_ptr = (uint8_t)acc;
    l->p_count++;
    if (acc & SENTINEL_FULL)
      next_byte(l, &l->p_idx, &l->p_acc, &l->p_ptr, l->cur->panel, &l->p_count);
    else
      l->p_acc = acc;
    if (l->wr_armed) {
      KB_BARRIER(); /* the armed flag before the configuration it guards */
      link_write_plan(l, l->p_count, acc);
    }
  } else {
    if (!data_high) l->cur->module_seen = 1;
    acc = (l->m_acc << 1) | (uint32_t)data_high;
    *l->m_ptr = (uint8_t)acc;
    l->m_count++;
    if (acc & SENTINEL_FULL)
      next_byte(l, &l->m_idx, &l->m_acc, &l->m_ptr, l->cur->module, &l->m_count);
    else
      l->m_acc = acc;
  }
}

/* ------------------------------------------------------------ Task side */

void kb_link_init(kb_link_t *l) {
  KB_ASSERT(l != NULL);
  memset(l, 0, sizeof *l);
  l->cur = &l->slot[0];
  /* As if the clock rose KB_GAP_US + 1 us before time 0: the first falling
   * edge is a boundary (except in the last millisecond of the counter). */
  l->t_rise_us = (uint32_t)0u - (KB_GAP_US + 1u);
  link_start(l, 0, 0); /* bits before the first boundary go to an unpublished slot */
}

const kb_frame_t *kb_link_peek(kb_link_t *l) {
  uint8_t tail;
  KB_ASSERT(l != NULL);
  tail = l->tail;
  if (tail == l->head) return NULL;
  KB_BARRIER(); /* head before the frame it publishes */
  return &l->slot[tail];
}

void kb_link_pop(kb_link_t *l) {
  kb_frame_t *f;
  uint8_t tail, w;
  KB_ASSERT(l != NULL);
  tail = l->tail;
  if (tail == l->head) return;
  f = &l->slot[tail];
  w = f->wrote;
  if (w) {
    /* the echo of the link's own key may be a digit of an access code: it
     * does not stay in the ring until the slot is reused (the consumer has
     * read it before the pop) */
    uint8_t b = KB_FRAME_WROTE_BYTE(w);
    if (b < KB_FRAME_BYTES) f->module[b] = 0xFF;
    f->wrote = 0; /* the interrupt sets it only in messages it writes in */
  }
  tail++;
  if (tail == RING_SLOTS) tail = 0;
  KB_BARRIER(); /* done reading the frame before handing the slot back */
  l->tail = tail;
}

kb_link_change_t kb_link_tick(kb_link_t *l, uint32_t now_us) {
  uint32_t seen;
  KB_ASSERT(l != NULL);
  seen = *(volatile const uint32_t *)&l->messages;
  if (seen != l->tick_messages) {
    l->tick_messages = seen;
    l->tick_last_us = now_us;
    if (!l->connected) {
      l->connected = 1;
      return KB_LINK_CONNECTED;
    }
    return KB_LINK_NO_CHANGE;
  }
  if (l->connected && (uint32_t)(now_us - l->tick_last_us) > KB_DISCONNECT_US) {
    l->connected = 0;
    return KB_LINK_DISCONNECTED;
  }
  return KB_LINK_NO_CHANGE;
}

bool kb_link_connected(const kb_link_t *l) {
  KB_ASSERT(l != NULL);
  return l->connected != 0;
}

uint32_t kb_link_quiet_us(const kb_link_t *l, uint32_t now_us) {
  KB_ASSERT(l != NULL);
  if (!l->tick_messages) return 0;
  return (uint32_t)(now_us - l->tick_last_us);
}

void kb_link_finish(kb_link_t *l) {
  KB_ASSERT(l != NULL);
  if (l->in_msg) link_publish(l);
  link_start(l, 0, 0);
}

/* ------------------------------------------------------ Task: write path */

bool kb_link_write_idle(const kb_link_t *l) {
  KB_ASSERT(l != NULL);
  return l->wr_armed == 0;
}

bool kb_link_write_arm(kb_link_t *l, uint8_t key, uint8_t slot_byte, uint8_t cmd_a, uint8_t cmd_b,
                       uint8_t messages) {
  KB_ASSERT(l != NULL);
  if (l->wr_armed || slot_byte == 1u || slot_byte >= KB_FRAME_BYTES || messages == 0u) return false;
  KB_BARRIER(); /* the interrupt's last stores before ours (it has disarmed) */
  l->wr_cancel = 0;
  l->wr_key = key;
  l->wr_wrote = (uint8_t)(KB_FRAME_WROTE | (uint32_t)l->wr_gen << 5 | slot_byte);
  l->wr_gen = (uint8_t)((l->wr_gen + 1u) & 3u);
  l->wr_cycle = kb_link_slot_cycle(slot_byte);
  l->wr_cmd_a = cmd_a;
  l->wr_cmd_b = cmd_b;
  l->wr_bfirst = (uint8_t)(slot_byte == 0u && (key & 0x80u) == 0u);
  l->wr_reps = messages;
  l->wr_go = 0;
  l->wr_started = 0;
  l->wr_primed = 0;
  l->wr_next = 0;
  l->wr_bnext = 0;
  KB_BARRIER(); /* the configuration before the flag that hands it over */
  l->wr_armed = 1;
  return true;
}

uint8_t kb_link_write_tag(const kb_link_t *l) {
  KB_ASSERT(l != NULL);
  return l->wr_wrote;
}

void kb_link_write_cancel(kb_link_t *l) {
  KB_ASSERT(l != NULL);
  if (l->wr_armed) l->wr_cancel = 1;
}

void kb_link_write_wipe(kb_link_t *l) {
  KB_ASSERT(l != NULL);
  if (l->wr_armed) return;
  KB_BARRIER();
  *(volatile uint8_t *)&l->wr_key = 0;
}

void kb_link_write_abort(kb_link_t *l) {
  KB_ASSERT(l != NULL);
  if (!l->wr_armed) {
    kb_link_write_wipe(l);
    return;
  }
  /* The interrupt may be driving the slot right now: each byte store is
   * single-copy, and 0xFF / 0 only ever release the line. Key and boundary
   * value first: a plan made after them drives nothing; then the plans
   * already made for the next edge (in-message and boundary) are cleared, so
   * that no edge after this call pulls the line low. If the interrupt
   * disarms meanwhile, the next arm rewrites all of them and the cancel. */
  *(volatile uint8_t *)&l->wr_key = 0xFF;
  *(volatile uint8_t *)&l->wr_bfirst = 0;
  KB_BARRIER();
  *(volatile uint8_t *)&l->wr_next = 0;
  *(volatile uint8_t *)&l->wr_bnext = 0;
  KB_BARRIER();
  l->wr_cancel = 1;
}

void kb_link_stats(const kb_link_t *l, kb_link_stats_t *out) {
  KB_ASSERT(l != NULL && out != NULL);
  out->messages = l->messages;
  out->frames = l->frames;
  out->overflows = l->overflows;
  out->runts = l->runts;
  out->high_water = l->high_water;
}
