/* SPDX-License-Identifier: MIT
 *
 * kb_cls_link.c - Classic series link layer (kb_cls_link.h). The frame
 * being captured lives in slot[head]; the ring has KB_CLS_RING + 1 slots,
 * the extra one always the slot being filled, so the task never sees a
 * frame being written. Bits are shifted in MSB first: bit n of a 16-bit
 * stream goes to byte n / 8 (at most 16 stored; the counters go on).
 */
#include "keybus/kb_cls_link.h"

#include <string.h>

KB_ISR_FN static void start(kb_cls_link_t *l) {
  kb_cls_frame_t *f = &l->slot[l->head];
  /* no memset in the interrupt: the fields one by one */
  f->d[0] = f->d[1] = f->p[0] = f->p[1] = 0;
  f->k[0] = f->k[1] = 0xFFu; /* nobody spoke */
  f->bits = f->kbits = f->wrote = 0;
  l->pbits = l->kbits = 0;
}

KB_ISR_FN static void publish(kb_cls_link_t *l) {
  uint8_t next, waiting;
  kb_cls_frame_t *f = &l->slot[l->head];
  f->bits = (uint8_t)(l->pbits > 255u ? 255u : l->pbits);
  f->kbits = (uint8_t)(l->kbits > 255u ? 255u : l->kbits);
  if (l->pbits < 8u) {
    l->runts++;
    return;
  }
  next = (uint8_t)(l->head + 1u);
  if (next == KB_CLS_RING + 1u) next = 0;
  if (next == l->tail) {
    l->overflows++;
    return;
  }
  waiting = (uint8_t)(next >= l->tail ? (unsigned)next - l->tail : (unsigned)next + KB_CLS_RING + 1u - l->tail);
  if (waiting > l->high_water) l->high_water = waiting;
  l->frames++;
  KB_BARRIER(); /* the frame before the index that publishes it */
  l->head = next;
}

KB_ISR_FN kb_link_write_t kb_cls_link_edge(kb_cls_link_t *l, bool clock_high, uint32_t now_us) {
  uint8_t b;
  if (clock_high) {
    l->t_rise_us = now_us;
    return KB_LINK_WRITE_RELEASE; /* every rising edge releases (A7) */
  }
  if ((uint32_t)(now_us - l->t_rise_us) > l->gap_us) { /* A3: a new frame */
    if (l->in_frame) publish(l);
    start(l);
    l->in_frame = 1;
    l->messages++;
    if (l->wr_bit < 8u) {
      /* the frame ended inside the key's slots: the key is spent (the
       * panel may have read part of it), never continued in this frame */
      l->wr_bit = 8;
      KB_BARRIER();
      l->wr_armed = 0;
    } else if (l->wr_armed) { /* the armed key starts here */
      l->wr_bit = 0;
      l->slot[l->head].wrote = 1;
    }
  }
  b = l->wr_bit;
  if (b >= 8u) return KB_LINK_WRITE_RELEASE;
  l->wr_bit = (uint8_t)(b + 1u);
  if (b == 7u) { /* the last bit: done after this low phase */
    l->wr_bit = 8;
    KB_BARRIER();
    l->wr_armed = 0;
  }
  return (l->wr_key & (0x80u >> b)) ? KB_LINK_WRITE_RELEASE : KB_LINK_WRITE_PULL_LOW;
}

bool kb_cls_link_write_idle(const kb_cls_link_t *l) {
  KB_ASSERT(l != NULL);
  return l->wr_armed == 0;
}

kb_err_t kb_cls_link_write_arm(kb_cls_link_t *l, uint8_t k0) {
  KB_ASSERT(l != NULL);
  if (l->wr_armed) return KB_ERR_BUSY;
  KB_BARRIER();
  l->wr_key = k0;
  KB_BARRIER(); /* the key before the flag that hands it over */
  l->wr_armed = 1;
  return KB_OK;
}

KB_ISR_FN void kb_cls_link_sample(kb_cls_link_t *l, bool clock_high, bool data_high, bool pc16_high) {
  kb_cls_frame_t *f = &l->slot[l->head];
  if (clock_high) {
    uint16_t n = l->pbits;
    if (n < 16u) {
      uint8_t i = (uint8_t)(n >> 3), m = (uint8_t)(0x80u >> (n & 7u));
      if (data_high) f->d[i] |= m;
      if (pc16_high) f->p[i] |= m;
    }
    if (n < 0xFFFFu) l->pbits = (uint16_t)(n + 1u);
  } else {
    uint16_t n = l->kbits;
    if (n < 16u && !data_high) f->k[n >> 3] &= (uint8_t)~(0x80u >> (n & 7u));
    if (n < 0xFFFFu) l->kbits = (uint16_t)(n + 1u);
  }
}

void kb_cls_link_write_abort(kb_cls_link_t *l) {
  KB_ASSERT(l != NULL);
  if (l->wr_armed) *(volatile uint8_t *)&l->wr_key = 0xFFu;
}

void kb_cls_link_write_wipe(kb_cls_link_t *l) {
  KB_ASSERT(l != NULL);
  /* idle: the interrupt no longer reads wr_key (wr_armed is cleared after
   * the key's last bit) */
  if (!l->wr_armed) *(volatile uint8_t *)&l->wr_key = 0xFFu;
}

void kb_cls_link_init(kb_cls_link_t *l, uint32_t gap_us) {
  KB_ASSERT(l != NULL);
  memset(l, 0, sizeof *l);
  l->gap_us = gap_us ? gap_us : KB_CLS_GAP_US;
  /* as if the clock rose just over a gap before time 0: the first falling
   * edge starts a frame */
  l->t_rise_us = (uint32_t)0u - (l->gap_us + 1u);
  l->wr_bit = 8;
  start(l);
}

const kb_cls_frame_t *kb_cls_link_peek(kb_cls_link_t *l) {
  uint8_t tail;
  KB_ASSERT(l != NULL);
  tail = l->tail;
  if (tail == l->head) return NULL;
  KB_BARRIER();
  return &l->slot[tail];
}

void kb_cls_link_pop(kb_cls_link_t *l) {
  uint8_t tail;
  KB_ASSERT(l != NULL);
  tail = l->tail;
  if (tail == l->head) return;
  /* the keypad slots may hold a digit of an access code */
  l->slot[tail].k[0] = l->slot[tail].k[1] = 0xFFu;
  tail++;
  if (tail == KB_CLS_RING + 1u) tail = 0;
  KB_BARRIER();
  l->tail = tail;
}

void kb_cls_link_finish(kb_cls_link_t *l) {
  KB_ASSERT(l != NULL);
  if (l->in_frame) publish(l);
  l->in_frame = 0;
  start(l);
}

kb_link_change_t kb_cls_link_tick(kb_cls_link_t *l, uint32_t now_us) {
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

uint32_t kb_cls_link_quiet_us(const kb_cls_link_t *l, uint32_t now_us) {
  KB_ASSERT(l != NULL);
  if (!l->tick_messages) return 0;
  return (uint32_t)(now_us - l->tick_last_us);
}

void kb_cls_link_stats(const kb_cls_link_t *l, kb_link_stats_t *out) {
  KB_ASSERT(l != NULL && out != NULL);
  out->messages = l->messages;
  out->frames = l->frames;
  out->overflows = l->overflows;
  out->runts = l->runts;
  out->high_water = l->high_water;
}
