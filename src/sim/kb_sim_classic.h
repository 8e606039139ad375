/* SPDX-License-Identifier: MIT
 *
 * kb_sim_classic.h - a simulated Classic series panel (PC1550-like) and its
 * virtual wire: the panel model makes one frame (D0 D1 P0 P1, protocol
 * notes A4) every frame period from its state, a simulated keypad puts its
 * keys in the keypad slots (K0, repeated while held as real keypads do),
 * and the frames go out as clock/data/PC-16 edges (kb_cls_edges.h) to any
 * edge sink: the Classic replay (the engine's port), a VCD writer.
 *
 * The model (what a test needs, not a PC1550's every rule):
 *   - zones 1-8; instant zones (no entry delay: the Classic cannot report
 *     one anyway, A9); a zone that opens while armed trips the alarm;
 *   - the access code (cfg.code, default "1234") arms (exit delay, then
 *     armed away) when ready, disarms when armed, in exit delay or in alarm;
 *     "*9" then the code arms with no entry delay (the Armed light flashes,
 *     A6.4); a code typed while zones are open does nothing; '#' clears;
 *   - armed stay: kb_simc_arm_stay() (the panel's own "stay" arming: the
 *     Bypass light and P1 bit 6 for 5 s at arming, A4);
 *   - alarm: P0 zone bits (1-6) and the P1 alarm bit latched until disarm
 *     (PGM strobe, section 24 = 08), the Memory light from the alarm until
 *     the next arming;
 *   - fire: the Fire light and P0 bit 0 while kb_simc_fire() says so;
 *     trouble: the Trouble light and P1 bit 7;
 *   - F/A/P keys: P1 bits 1/2/3 for 4 s;
 *   - the Beep bit during the exit delay (every other half second).
 *   - pc16 = false: the PGM line is not in PC16-OUT mode (idles high).
 *
 * Who may call: one thread; host code (the simulator).
 */
#ifndef KB_SIM_CLASSIC_H_
#define KB_SIM_CLASSIC_H_

#include <stdbool.h>
#include <stdint.h>

#include "host/kb_cls_edges.h"
#include "keybus/kb_classic.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KB_SIMC_FRAME_US ((uint64_t)31u * KB_CLS_HALF_US + KB_CLS_IDLE_US) /* 50.68 ms */
#define KB_SIMC_KEYQ 64

typedef struct {
  uint32_t exit_delay_ms; /* default 10000 */
  char code[7];           /* 4-6 digits, default "1234" */
  bool no_pc16;           /* PC16-OUT not programmed: the PGM line idles high */
} kb_simc_cfg_t;

typedef enum { KB_SIMC_DISARMED = 0, KB_SIMC_EXIT_DELAY, KB_SIMC_ARMED, KB_SIMC_ALARM } kb_simc_state_t;

typedef struct {
  kb_simc_cfg_t cfg;
  uint8_t open;        /* bit z-1: zone z open */
  uint8_t state;       /* kb_simc_state_t */
  uint8_t stay;        /* armed (or arming) stay */
  uint8_t night;       /* armed with no entry delay (*9) */
  uint8_t alarm_zones; /* bit z-1, latched until disarm */
  uint8_t memory;      /* alarm memory: from an alarm until the next arming */
  uint8_t fire, trouble;
  uint64_t t_state;    /* when the state was entered (us) */
  uint64_t t_keyalarm[3]; /* F/A/P pressed (us), 0 = never */
  char entry[8];       /* digits typed since the last code or '#' */
  uint8_t nentry, star;  /* '*' typed: the next digit is a function */
  uint8_t star9;       /* *9 typed: the next code arms with no entry delay */
  uint8_t last_k0;     /* the keypad slot last frame (a held key repeats) */
} kb_simc_t;

void kb_simc_init(kb_simc_t *p, const kb_simc_cfg_t *cfg); /* cfg NULL: defaults */
void kb_simc_zone(kb_simc_t *p, unsigned zone, bool open, uint64_t t_us);
void kb_simc_fire(kb_simc_t *p, bool on);
void kb_simc_trouble(kb_simc_t *p, bool on);
void kb_simc_arm_stay(kb_simc_t *p, uint64_t t_us);
/* The frame the panel sends at t_us; k0: what the keypad slots carried in
 * the frame before (the panel reads a key once per press). */
void kb_simc_frame(kb_simc_t *p, uint64_t t_us, uint8_t k0, kb_cls_frame_t *out);

/* The port on the Classic wire: sees every edge; returns 1 when it pulls
 * the data line low (its write path) until the next clock edge (the
 * return value matters for clock edges only). kb_cls_replay_port() is one. */
typedef int (*kb_simc_port_fn)(void *ctx, const kb_edge_t *e);

/* The Classic virtual wire: the panel, one simulated keypad, the port (open
 * collector: the data line in a low phase is the AND of the keypad's bit
 * and the port's write line), the waves. */
typedef struct {
  kb_simc_t panel;
  kb_cls_wave_t wave;  /* time and (via out) the edges */
  kb_simc_port_fn port;
  void *port_ctx;
  uint8_t wire_k0;     /* K0 as the wire carried it in the last frame */
  uint8_t q[KB_SIMC_KEYQ]; /* K0 codes waiting */
  uint8_t q_head, q_len;
  uint8_t held;            /* frames the current key is still held */
  uint8_t gap;             /* frames of no key before the next one */
  uint8_t cur;             /* K0 in the keypad slots now (0xFF none) */
  uint8_t prev_k0;         /* what the panel read last frame */
  uint64_t frames;
} kb_simc_wire_t;

/* Edges go to port(ctx, edge); the first frame starts at t0_us. */
void kb_simc_wire_init(kb_simc_wire_t *w, const kb_simc_cfg_t *cfg, uint64_t t0_us, kb_simc_port_fn port,
                       void *ctx);
/* Queues key characters for the keypad (0-9 * # F A P); a key is held for
 * 3 frames, then released for 2. Returns the number queued (the rest, or
 * characters that are not Classic keys, are dropped). */
unsigned kb_simc_wire_keys(kb_simc_wire_t *w, const char *keys);
/* One frame on the wire; returns the time after it (the next frame's start). */
uint64_t kb_simc_wire_step(kb_simc_wire_t *w);

/* A port's interrupts on the Classic wire feeding any Classic link (e.g.
 * kb_bus_cls_link()): clock edges to kb_cls_link_edge(), the sample
 * KB_SAMPLE_US later with the data and PC-16 levels, as a port does; the
 * frames stay in the link's ring for the task (kb_bus_poll()). Unlike
 * kb_cls_replay_t it does not own the link. */
typedef struct {
  kb_cls_link_t *link;
  uint8_t level[3]; /* clock, data, PC-16 */
  uint8_t pending;  /* a sample is due at t_sample */
  uint8_t write;    /* kb_link_write_t of the last clock edge */
  uint64_t t_sample, t_last;
} kb_simc_port_t;

void kb_simc_port_init(kb_simc_port_t *p, kb_cls_link_t *link);
/* kb_simc_port_fn for kb_simc_wire_init() (ctx: the kb_simc_port_t). */
int kb_simc_port_edge(void *ctx, const kb_edge_t *e);
/* Takes a sample that is due by t_us (call before the task polls). */
void kb_simc_port_advance(kb_simc_port_t *p, uint64_t t_us);

#ifdef __cplusplus
}
#endif

#endif
