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
 * Publishing is one store of head after KB_BARRIER(). The interrupt side's
 * bodies live in kb_link_isr.h (inline, for ports); this file defines the
 * out-of-line kb_link_edge()/kb_link_sample()/kb_link_idle() from them.
 *
 * Task side: peek/pop move tail; kb_link_tick() turns the boundary counter
 * into the connected/disconnected rule.
 */
#include "keybus/kb_link.h"
#include "keybus/kb_link_isr.h"

#include <string.h>

/* ------------------------------------------------------ Interrupt side */

/* The bodies are in kb_link_isr.h (one implementation, also inlined by ports
 * that want no call layer); these are the out-of-line entry points. */

KB_ISR_FN kb_link_write_t kb_link_edge(kb_link_t *l, bool clock_high, uint32_t now_us) {
  return kb_link_isr_edge(l, clock_high, now_us);
}

KB_ISR_FN void kb_link_sample(kb_link_t *l, bool clock_high, bool data_high) {
  kb_link_isr_sample(l, clock_high, data_high);
}

KB_ISR_FN bool kb_link_idle(kb_link_t *l, bool clock_high, uint32_t now_us) {
  return kb_link_isr_idle(l, clock_high, now_us);
}

/* ------------------------------------------------------------ Task side */

void kb_link_init(kb_link_t *l) {
  KB_ASSERT(l != NULL);
  memset(l, 0, sizeof *l);
  l->cur = &l->slot[0];
  /* As if the clock rose KB_GAP_US + 1 us before time 0: the first falling
   * edge is a boundary (except in the last millisecond of the counter). */
  l->t_rise_us = (uint32_t)0u - (KB_GAP_US + 1u);
  kb_link_isr_start(l, 0, 0); /* bits before the first boundary go to an unpublished slot */
}

const kb_frame_t *kb_link_peek(kb_link_t *l) {
  KB_ASSERT(l != NULL);
  return kb_link_ring_peek(l);
}

void kb_link_pop(kb_link_t *l) {
  KB_ASSERT(l != NULL);
  kb_link_ring_pop(l);
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

uint32_t kb_link_quiet_us(const kb_link_t *l, uint32_t now_us) {
  KB_ASSERT(l != NULL);
  if (!l->tick_messages) return 0;
  return (uint32_t)(now_us - l->tick_last_us);
}

void kb_link_finish(kb_link_t *l) {
  KB_ASSERT(l != NULL);
  if (l->in_msg) kb_link_isr_publish(l);
  kb_link_isr_start(l, 0, 0);
}

/* ------------------------------------------------------ Task: write path */

bool kb_link_write_idle(const kb_link_t *l) {
  KB_ASSERT(l != NULL);
  return l->wr_gate.by[KB_LINK_GATE_KEY] == 0;
}

kb_err_t kb_link_write_arm(kb_link_t *l, uint8_t key, uint8_t slot_byte, uint8_t cmd_a,
                           uint8_t cmd_b, uint8_t messages) {
  KB_ASSERT(l != NULL);
  if (slot_byte == 1u || slot_byte >= KB_FRAME_BYTES || messages == 0u) return KB_ERR_ARG;
  if (l->wr_gate.by[KB_LINK_GATE_KEY]) return KB_ERR_BUSY;
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
  /* wr_next is 0 here with no reply writer (every disarm clears it); with
   * one it holds the reply writer's planned bit, which must not be lost */
  l->wr_bnext = 0;
  KB_BARRIER(); /* the configuration before the flag that hands it over */
  l->wr_gate.by[KB_LINK_GATE_KEY] = 1;
  return KB_OK;
}

uint8_t kb_link_write_tag(const kb_link_t *l) {
  KB_ASSERT(l != NULL);
  return l->wr_wrote;
}

void kb_link_write_cancel(kb_link_t *l) {
  KB_ASSERT(l != NULL);
  if (l->wr_gate.by[KB_LINK_GATE_KEY]) l->wr_cancel = 1;
}

void kb_link_write_wipe(kb_link_t *l) {
  KB_ASSERT(l != NULL);
  if (l->wr_gate.by[KB_LINK_GATE_KEY]) return;
  KB_BARRIER();
  *(volatile uint8_t *)&l->wr_key = 0;
}

void kb_link_write_abort(kb_link_t *l) {
  KB_ASSERT(l != NULL);
  if (!l->wr_gate.by[KB_LINK_GATE_KEY]) {
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

/* ------------------------------------------ Task: module-reply writer */

kb_err_t kb_link_xw_attach(kb_link_t *l, kb_link_xw_t *x) {
  KB_ASSERT(l != NULL);
  if (l == NULL || x == NULL) return KB_ERR_ARG;
  if (l->xw != NULL) return KB_ERR_BUSY;
  x->busy = 0;
  x->e6 = 0;
  x->latched = 0;
  x->cur = NULL;
  x->bank &= 1u;
  l->xw = x;
  KB_BARRIER(); /* the writer's state and pointer before the flag that hands it over */
  l->wr_gate.by[KB_LINK_GATE_XW] = 1;
  return KB_OK;
}

void kb_link_xw_detach(kb_link_t *l) {
  KB_ASSERT(l != NULL);
  if (l == NULL || l->xw == NULL) return;
  l->wr_gate.by[KB_LINK_GATE_XW] = 0;
  KB_BARRIER(); /* no reply plan after this; clear the one already made, unless
                 * a key is armed (its plan assigns wr_next at every sample) */
  if (!l->wr_gate.by[KB_LINK_GATE_KEY]) *(volatile uint8_t *)&l->wr_next = 0;
  l->xw = NULL;
}

uint8_t (*kb_link_xw_edit(const kb_link_t *l, kb_link_xw_t *x, uint16_t **on))[8] {
  uint8_t other;
  KB_ASSERT(l != NULL && x != NULL && on != NULL);
  other = (uint8_t)(x->bank ^ 1u);
  KB_BARRIER(); /* busy as of now: a message starting later latches `bank` */
  if (x->busy == (uint8_t)(other + 1u) &&
      *(volatile const uint32_t *)&l->frames == x->busy_frames)
    return NULL; /* that message is still being driven (or not yet published) */
  *on = &x->on[other];
  return x->img[other];
}

void kb_link_xw_publish(kb_link_xw_t *x) {
  KB_ASSERT(x != NULL);
  KB_BARRIER(); /* the bank's bytes before the index that hands it over */
  x->bank = (uint8_t)(x->bank ^ 1u);
}

void kb_link_stats(const kb_link_t *l, kb_link_stats_t *out) {
  KB_ASSERT(l != NULL && out != NULL);
  out->messages = l->messages;
  out->frames = l->frames;
  out->overflows = l->overflows;
  out->runts = l->runts;
  out->high_water = l->high_water;
}
