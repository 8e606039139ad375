/* SPDX-License-Identifier: MIT
 *
 * kb_sim_keypad.h - a simulated PowerSeries keypad, and the virtual bus on
 * which the engine's panel role (keybus/kb_panel.h) drives it.
 *
 * What it promises
 *   The keypad (kb_skp_t) sees only the two wires, edge by edge, as a real
 *   one does: a falling clock edge after more than 1.5 ms of clock high
 *   starts a frame; it reads the panel's bit in every high phase and drives
 *   its own bits in the low phases (keypad slot k before panel bit k). At
 *   the end of a frame it checks the length and, where the command has one,
 *   the checksum, and shows what the frame says: status lights and zone
 *   lights (steady from 0x05/0x27/0x2D/0x34/0x3E, flashing from 0x5D), the
 *   status byte (what an LCD keypad writes), beeps (0x64), tone (0x75),
 *   buzzer (0x7F) and the date (0xA5). Frames that fail the checks change
 *   nothing (counted). It sends (notes B4.6, B6, D3):
 *     - a key: module byte 2 of a 0x05 frame, one key per frame;
 *     - an alarm key (Fire 0xBB, Aux 0xDD, Panic 0xEE): module byte 0 of the
 *       next frame and of the one after (which a panel answers with 0x1C);
 *     - its zone terminal: a change sets byte 5 bit 2 low in 0x05 frames
 *       until a 0xD5 query, answered in byte slot+1 (0x03 open, 0x30 closed).
 *
 *   Classic (kb_skp_t.classic, notes A4/B5): 16-cycle frames with no
 *   command, stop bit or checksum: byte 0 the zone lights (bit 7 = zone 1),
 *   byte 1 the status lights (bit 7 Ready .. bit 1 Fire) and the beeper (bit
 *   0); a frame of any other length is rejected. The keypad sends its key
 *   code (A4: 0xBE = 1, ..., 0x3F = F) in the first 8 low phases of every
 *   frame while the key is held (kb_skp_press_hold: hold_ms, then 200 ms
 *   released before the next key), as real Classic keypads repeat it.
 *
 *   The bus (kb_skp_bus_t) plays the port of a panel-role firmware: a timer
 *   every KB_PNL_HALF_US reads the data line, calls kb_pnl_isr() and applies
 *   the levels it returns (data first, then the clock); the task
 *   (kb_pnl_poll() and whatever the test adds) runs every task_us. The data
 *   line is the AND of the engine's driver and the keypads' (open
 *   collector); keypads drive lag_us after the falling edge. Noise: each bit
 *   a receiver reads (a keypad reading a panel bit, the engine reading a
 *   keypad slot) is flipped with probability ber (deterministic, `seed`).
 *   Optionally every edge goes to a VCD writer (host/kb_vcd.h) so that
 *   keybus-reader can decode the traffic.
 *
 * Who calls what: host code, one thread; no allocation.
 */
#ifndef KB_SIM_KEYPAD_H_
#define KB_SIM_KEYPAD_H_

#include <stdbool.h>
#include <stdint.h>

#include "host/kb_vcd.h"
#include "keybus/kb_panel.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KB_SKP_BYTES 24u   /* panel-index bytes a keypad keeps of one frame */
#define KB_SKP_KEYQ 128u   /* keys waiting to be pressed */
#define KB_SKP_LOG 64u     /* commands remembered (received, checked) */
#define KB_SKP_ALARM 0x100u /* kb_skp_press(): the code is an alarm key */
#define KB_SKP_BUS_KEYPADS 4u

/* A frame as the keypad received it, wire order without the stop bit. */
typedef struct {
  uint8_t bytes[KB_SKP_BYTES];
  uint8_t n;   /* wire bytes */
  bool ok;     /* length and checksum right: the keypad acted on it */
} kb_skp_frame_t;

typedef void (*kb_skp_frame_fn)(void *ctx, const kb_skp_frame_t *f);

typedef struct {
  uint8_t slot; /* keypad slot 1..8 (its 0xD5 answer) */
  uint8_t lag_us;
  /* what it shows */
  uint8_t lights, blink, status;
  uint8_t zones[4], zblink[4];
  uint8_t time[5];
  uint32_t beeps;      /* beeps sounded (sum of the 0x64 counts) */
  uint8_t tone, buzzer; /* last 0x75 / 0x7F values */
  uint32_t tones, buzzers;
  /* what it received */
  uint8_t log[KB_SKP_LOG]; /* commands of the frames it acted on, oldest first */
  uint32_t nlog;           /* frames acted on (log keeps the first KB_SKP_LOG) */
  uint32_t frames, bad;    /* frames seen, frames rejected (length, checksum) */
  kb_skp_frame_fn on_frame;
  void *frame_ctx;
  /* receiver */
  uint8_t rx[KB_SKP_BYTES];
  uint16_t cell;     /* bit cell in the frame */
  uint8_t in_frame;
  uint64_t t_rise;
  /* sender */
  uint16_t q[KB_SKP_KEYQ];
  uint8_t q_head, q_len;
  uint8_t out[KB_SKP_BYTES]; /* module bytes it drives in this frame (0xFF = none) */
  uint8_t alarm, alarm_key;  /* alarm key: frames still to send it in */
  uint8_t zone_open, zone_note;
  uint32_t keys_sent;
  /* Classic */
  uint8_t classic;       /* set after kb_skp_init() */
  uint8_t beeper;        /* the beeper bit of the last frame */
  uint32_t beep_frames;  /* frames with the beeper on */
  uint32_t beeps_on;     /* times the beeper went on */
  uint16_t q_hold[KB_SKP_KEYQ]; /* Classic: how long each key is held, ms */
  uint8_t cur_code;
  uint64_t cur_until, rel_until;
} kb_skp_t;

/* A keypad in slot 1..8 whose data lags the falling edge by lag_us (< 250). */
void kb_skp_init(kb_skp_t *k, uint8_t slot, uint8_t lag_us);

/* Queues a key: the keypad's byte (0x05 = '1', ...) or, with KB_SKP_ALARM,
 * an alarm key (0xBB, 0xDD, 0xEE). false when the queue is full. */
bool kb_skp_press(kb_skp_t *k, uint16_t code);

/* Classic: queues a key code (A4) held for hold_ms (F/A/P need more than
 * 1000 ms for a panel to take them). false when the queue is full. */
bool kb_skp_press_hold(kb_skp_t *k, uint8_t code, uint16_t hold_ms);

/* Keys still to send (an alarm key in progress included). */
unsigned kb_skp_pending(const kb_skp_t *k);

/* The keypad's zone terminal opens or closes. */
void kb_skp_zone(kb_skp_t *k, bool open);

/* What a light or zone light shows: KB_PNL_OFF, KB_PNL_ON or KB_PNL_BLINK
 * (flashing wins over steady, as on the keypad). */
kb_pnl_state_t kb_skp_light(const kb_skp_t *k, kb_pnl_light_t light);
kb_pnl_state_t kb_skp_zone_light(const kb_skp_t *k, unsigned zone);

/* Edge interface (the bus calls these; a test may too). */
/* Falling clock edge at t: returns the keypad's bit for this low phase
 * (1 = released). */
unsigned kb_skp_fall(kb_skp_t *k, uint64_t t);
/* Rising edge at t; data_high: the panel bit it reads in this high phase. */
void kb_skp_rise(kb_skp_t *k, uint64_t t, bool data_high);
/* The clock is high at t: ends a frame after more than 1.5 ms. */
void kb_skp_idle(kb_skp_t *k, uint64_t t);

/* ------------------------------------------------------------ the bus */

typedef struct {
  double ber;        /* 0..1, per bit read */
  uint32_t task_us;  /* task period, default 1000 */
  uint32_t half_us;  /* the timer: KB_PNL_HALF_US (default), KB_PNL_CLASSIC_HALF_US */
  uint64_t seed;     /* default 1 */
} kb_skp_bus_cfg_t;

typedef struct {
  kb_skp_bus_cfg_t cfg;
  kb_pnl_t *pnl;
  kb_skp_t *kp[KB_SKP_BUS_KEYPADS];
  unsigned nkp;
  kb_vcd_writer_t *vcd;
  void (*task)(void *ctx, uint64_t now_us); /* NULL: kb_pnl_poll() */
  void *task_ctx;
  uint64_t t, next_task;
  uint8_t clk, dat, drv_eng, drv_kp;
  uint64_t rng, ber_thr;
  uint64_t flips, halves, edges;
} kb_skp_bus_t;

void kb_skp_bus_cfg_default(kb_skp_bus_cfg_t *c);

/* Binds the engine (initialised) at t0_us; vcd: a writer begun at t0 with
 * both lines high, or NULL. */
void kb_skp_bus_init(kb_skp_bus_t *b, const kb_skp_bus_cfg_t *c, kb_pnl_t *pnl,
                     kb_vcd_writer_t *vcd, uint64_t t0_us);

/* Adds a keypad (kept by pointer): false when KB_SKP_BUS_KEYPADS are there. */
bool kb_skp_bus_add(kb_skp_bus_t *b, kb_skp_t *k);

/* One half period (the task first when it is due). */
void kb_skp_bus_half(kb_skp_bus_t *b);

/* Half periods until virtual time reaches t_us. */
void kb_skp_bus_run_until(kb_skp_bus_t *b, uint64_t t_us);

#ifdef __cplusplus
}
#endif

#endif /* KB_SIM_KEYPAD_H_ */
