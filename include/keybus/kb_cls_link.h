/* SPDX-License-Identifier: MIT
 *
 * kb_cls_link.h - Classic series link layer: clock edges and samples of the
 * data AND PC-16 lines in, whole Classic frames (kb_cls_frame_t) out.
 *
 * What it promises
 *   The Classic counterpart of kb_link.h, in its own state so that the
 *   PowerSeries interrupt path stays exactly as it was (no third input, no
 *   branch on the panel type in kb_link_isr.h). Same shape: a port calls
 *   kb_cls_link_edge() from its clock interrupt (both edges) and
 *   kb_cls_link_sample() KB_SAMPLE_US after each edge with the data level
 *   and the PC-16 level read at the same instant (A2: the PGM line is
 *   sampled with the panel bits). O(1), no loop, no division, no library
 *   call. A frame is 16 clock cycles (A4): clock-high samples give D0/D1 on
 *   the data line and P0/P1 on the PC-16 line, clock-low samples the keypad
 *   slots K0/K1. Bits past 16 are counted (bits saturates at 255), not
 *   stored. A clock-high period longer than gap_us (per panel type, set at
 *   init: KB_CLS_GAP_US = 2000 us for the Classic, A3) ends a frame; the
 *   next falling edge starts the next one. Frames with fewer than 8 panel
 *   bits are runts (dropped, counted); the decoder judges the rest
 *   (kb_cls_frame(): exactly 16). A full ring counts an overflow.
 *   Publishing is one store of the head index after KB_BARRIER().
 *
 * Who calls what, from where
 *   kb_cls_link_init()               task, before interrupts attach.
 *   kb_cls_link_edge/_sample()       interrupt (same rules as kb_link.h:
 *                                    never preempt each other).
 *   kb_cls_link_peek/_pop()          task: the single consumer.
 *   kb_cls_link_finish()             task, when no interrupt can run (the
 *                                    end of a replay).
 *   kb_cls_link_tick()               task: connected while a frame boundary
 *                                    was seen within KB_DISCONNECT_US.
 */
#ifndef KB_CLS_LINK_H_
#define KB_CLS_LINK_H_

#include <stdbool.h>
#include <stdint.h>

#include "keybus/kb_classic.h"
#include "keybus/kb_config.h"
#include "keybus/kb_link.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef KB_CLS_RING
#define KB_CLS_RING 8 /* frames waiting for the task (about 400 ms of bus) */
#endif

typedef struct kb_cls_link_s {
  kb_cls_frame_t slot[KB_CLS_RING + 1];
  volatile uint8_t head; /* interrupt only: slot being filled */
  volatile uint8_t tail; /* task only: oldest unread slot */
  uint32_t gap_us;       /* frame boundary: clock high longer than this */
  /* interrupt side */
  uint32_t t_rise_us;
  uint16_t pbits, kbits; /* bits of the frame being captured */
  uint8_t in_frame;      /* a boundary started slot[head] */
  uint8_t high_water;
  uint32_t messages, frames, overflows, runts;
  /* task side */
  uint8_t connected;
  uint32_t tick_messages, tick_last_us;
} kb_cls_link_t;

/* Clears the state. gap_us: the frame boundary threshold of the panel type
 * (0 = KB_CLS_GAP_US). */
void kb_cls_link_init(kb_cls_link_t *l, uint32_t gap_us);

/* A clock edge at now_us (clock_high: the level after it). */
KB_ISR_FN void kb_cls_link_edge(kb_cls_link_t *l, bool clock_high, uint32_t now_us);

/* The data and PC-16 lines sampled KB_SAMPLE_US after the last edge;
 * clock_high re-read at the sample. */
KB_ISR_FN void kb_cls_link_sample(kb_cls_link_t *l, bool clock_high, bool data_high, bool pc16_high);

const kb_cls_frame_t *kb_cls_link_peek(kb_cls_link_t *l);
void kb_cls_link_pop(kb_cls_link_t *l);

/* Publishes the frame in progress (>= 8 panel bits) as a boundary would. */
void kb_cls_link_finish(kb_cls_link_t *l);

/* The disconnected rule at task time now_us (as kb_link_tick()). */
kb_link_change_t kb_cls_link_tick(kb_cls_link_t *l, uint32_t now_us);

/* Counters in the PowerSeries link's shape (health reports). */
void kb_cls_link_stats(const kb_cls_link_t *l, kb_link_stats_t *out);

#ifdef __cplusplus
}
#endif

#endif /* KB_CLS_LINK_H_ */
