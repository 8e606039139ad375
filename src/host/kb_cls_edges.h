/* SPDX-License-Identifier: MIT
 *
 * kb_cls_edges.h - Classic series edges (host only): a replay that turns
 * timestamped edges of the clock, data and PC-16 wires into the calls a
 * port makes to kb_cls_link (kb_cls_link.h), and a waveform generator that
 * turns Classic frames into such edges (VCD output, tests).
 *
 * Replay model (as kb_edges.h for PowerSeries): every wire starts high; a
 * change to the level a wire has is ignored; a clock edge calls
 * kb_cls_link_edge() and arms a sample KB_SAMPLE_US later, which fires
 * before the first edge at or after its time (or at kb_cls_replay_advance())
 * with the data and PC-16 levels in force; a clock edge before it cancels
 * it. Published frames go to the callback with the time of the edge that
 * published them (the next frame's first falling edge, or the end of the
 * input). Edges must come in
 * time order (64-bit microseconds); an earlier one is processed at the last
 * time and counted.
 *
 * Generator timing (A3, a PC1550 measured): 16 cycles of about 1560 us
 * (low phase first, 780 us each), the last high phase running on into an
 * idle period of about 26.5 ms. The data line carries the keypad bit in a
 * low phase and the panel bit in a high phase, the PC-16 line its bit in
 * the high phases; both change 20 us after the clock edge (the reference
 * saw keypads lag by up to 160 us; samples are 250 us after the edge).
 */
#ifndef KB_HOST_CLS_EDGES_H_
#define KB_HOST_CLS_EDGES_H_

#include <stdbool.h>
#include <stdint.h>

#include "host/kb_edges.h"
#include "keybus/kb_cls_link.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KB_CLS_HALF_US 780u     /* half a clock cycle */
#define KB_CLS_IDLE_US 26500u   /* clock held high between frames */
#define KB_CLS_SKEW_US 20u      /* data/PC-16 change after the clock edge */

typedef void (*kb_cls_frame_fn)(void *ctx, const kb_cls_frame_t *f, uint64_t t_us);
typedef void (*kb_cls_change_fn)(void *ctx, kb_link_change_t ch, uint64_t t_us);

typedef struct {
  kb_cls_link_t link;
  uint8_t level[3];  /* clock, data, PC-16 */
  bool pending;      /* a sample is armed */
  uint64_t t_sample; /* when */
  uint64_t t_last;
  uint32_t out_of_order, cancelled;
  uint8_t write;     /* kb_link_write_t the link asked for at the last clock edge */
  kb_cls_frame_fn on_frame;
  kb_cls_change_fn on_change;
  void *ctx;
} kb_cls_replay_t;

/* gap_us: the frame boundary threshold (0 = KB_CLS_GAP_US). on_frame NULL:
 * frames stay in the link's ring for the caller (kb_cls_link_peek()). */
void kb_cls_replay_init(kb_cls_replay_t *r, uint32_t gap_us, kb_cls_frame_fn on_frame,
                        kb_cls_change_fn on_change, void *ctx);
void kb_cls_replay_edge(kb_cls_replay_t *r, const kb_edge_t *e);
void kb_cls_replay_cb(void *ctx, const kb_edge_t *e); /* kb_edge_fn: ctx = replay */
/* The same as a port on a wire that can be driven (kb_sim_classic.h): returns
 * 1 when the link asks for the data line pulled low (its write path) until
 * the next clock edge. */
int kb_cls_replay_port(void *ctx, const kb_edge_t *e);
/* Time reached t_us: a due sample fires. */
void kb_cls_replay_advance(kb_cls_replay_t *r, uint64_t t_us);
/* End of the input at t_us: the last frame is published. */
void kb_cls_replay_end(kb_cls_replay_t *r, uint64_t t_us);

typedef struct {
  kb_edge_fn out;
  void *ctx;
  uint64_t t; /* now: the clock is high and idle from here */
} kb_cls_wave_t;

/* Starts at t0_us with every wire high. */
void kb_cls_wave_init(kb_cls_wave_t *w, uint64_t t0_us, kb_edge_fn out, void *ctx);
/* One frame: 16 cycles (f->kbits = 0: no keypad speaks), then the idle
 * period (KB_CLS_IDLE_US after the last rising edge). */
void kb_cls_wave_frame(kb_cls_wave_t *w, const kb_cls_frame_t *f);
/* Holds the clock high for us more microseconds. */
void kb_cls_wave_idle(kb_cls_wave_t *w, uint64_t us);

#ifdef __cplusplus
}
#endif

#endif
