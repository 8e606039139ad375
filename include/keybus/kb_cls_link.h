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
  /* write path (A7): wr_armed set by the task (kb_cls_link_write_arm,
   * only while 0), cleared by the interrupt once the key's 8 bits have been
   * driven; wr_key is written by the task only while wr_armed = 0 */
  volatile uint8_t wr_armed;
  uint8_t wr_key;
  uint8_t wr_bit;  /* interrupt: next key bit to drive (0 = bit 7), 8 = none */
  /* task side */
  uint8_t connected;
  uint32_t tick_messages, tick_last_us;
} kb_cls_link_t;

/* Clears the state. gap_us: the frame boundary threshold of the panel type
 * (0 = KB_CLS_GAP_US). */
void kb_cls_link_init(kb_cls_link_t *l, uint32_t gap_us);

/* A clock edge at now_us (clock_high: the level after it). Returns what the
 * port does with the write line until the next edge: PULL_LOW only on a
 * falling edge whose keypad-slot bit (1-8) of the armed key is 0; every
 * rising edge releases (A7). */
KB_ISR_FN kb_link_write_t kb_cls_link_edge(kb_cls_link_t *l, bool clock_high, uint32_t now_us);

/* The data and PC-16 lines sampled KB_SAMPLE_US after the last edge;
 * clock_high re-read at the sample. */
KB_ISR_FN void kb_cls_link_sample(kb_cls_link_t *l, bool clock_high, bool data_high, bool pc16_high);

const kb_cls_frame_t *kb_cls_link_peek(kb_cls_link_t *l);
void kb_cls_link_pop(kb_cls_link_t *l);

/* Publishes the frame in progress (>= 8 panel bits) as a boundary would. */
void kb_cls_link_finish(kb_cls_link_t *l);

/* The disconnected rule at task time now_us (as kb_link_tick()). */
kb_link_change_t kb_cls_link_tick(kb_cls_link_t *l, uint32_t now_us);

/* Microseconds since kb_cls_link_tick() last saw a frame boundary (0
 * before the first): the key writer's timeouts do not run while the bus is
 * quiet (kb_keys.h, KB_KEYS_QUIET_MS). */
uint32_t kb_cls_link_quiet_us(const kb_cls_link_t *l, uint32_t now_us);

/* Write path (task side). One key at a time: armed while idle, driven MSB
 * first in keypad slots 1-8 of the next frame that starts after the arm
 * (the falling edge that ends the gap drives bit 7); that frame is
 * published with wrote = 1 and its K0 is the echo. Then idle again. */
bool kb_cls_link_write_idle(const kb_cls_link_t *l);
/* KB_OK, or KB_ERR_BUSY while a key is armed. */
KB_MUST_CHECK kb_err_t kb_cls_link_write_arm(kb_cls_link_t *l, uint8_t k0);

/* Replaces an armed key with 0xFF (every bit released: an interrupt racing
 * with it can only release the line); the path goes idle after the frame
 * it was armed for. No effect while idle. */
void kb_cls_link_write_abort(kb_cls_link_t *l);

/* Wipes the link's copy of the last key written (it may be an access code
 * digit) once the write path is idle; no effect while a key is armed. */
void kb_cls_link_write_wipe(kb_cls_link_t *l);

/* Counters in the PowerSeries link's shape (health reports). */
void kb_cls_link_stats(const kb_cls_link_t *l, kb_link_stats_t *out);

#ifdef __cplusplus
}
#endif

#endif /* KB_CLS_LINK_H_ */
