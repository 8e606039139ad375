/* SPDX-License-Identifier: MIT
 *
 * kb_wire.h - a virtual Keybus in virtual time: the simulated panel
 * (kb_sim_panel.h), any number of simulated keypads and the engine's port,
 * joined by one clock wire and one open-collector data wire.
 *
 * Per message (protocol notes §1.2-1.7):
 *   kb_sim_panel_next() chooses the message and the idle gap; the clock stays
 *   high for the gap; then for each of the `bits` bit cells:
 *     falling edge  -> the port: kb_link_edge(link, false, t); its return value
 *                      is the engine's write line (pulls the data line low for
 *                      this low phase). The panel releases the data line; each
 *                      keypad drives its module bit `lag_us` after the edge.
 *                      Data = AND of every module driver.
 *     +250 us       -> the port's one-shot (KB_SAMPLE_US):
 *                      kb_link_sample(link, false, data)
 *     rising edge   -> the port: kb_link_edge(link, true, t) (the engine
 *     (+low phase)     releases); keypads release; the panel drives its bit
 *                      `panel_lag_us` after the edge (flipped by noise at the
 *                      configured bit error rate).
 *     +250 us       -> kb_link_sample(link, true, data)
 *   after the last cell: one more low phase with everything released and a
 *   rising edge (the trailing bit), then the next gap. The panel reads back
 *   the data line at the end of every low phase (kb_sim_panel_module()).
 *
 *   The port is the core edge adaptor (keybus/kb_edge.h), the model of a real
 *   port that kb_edges.h replays use too: every clock edge it sees calls
 *   kb_link_edge() and (re)arms a KB_SAMPLE_US one-shot; an edge before the
 *   one-shot fired cancels it; the one-shot re-reads the clock. A lost edge
 *   changes the bus but the port does not see it (kb_edge_missed()).
 *
 * Noise (all drawn from one deterministic RNG, `seed`):
 *   ber          probability that a panel bit (high phase) is flipped;
 *   glitch_rate  probability per bit cell of a short clock pulse (5-40 us)
 *                inside one of its phases (away from the sample point);
 *   lost_rate    probability per clock edge that the port does not see it;
 *   jitter_us    each clock phase lasts 500 +/- jitter_us (clamped to
 *                400..600 us); data keeps its timing relative to the edges.
 *   kb_wire_cut()  the clock held high (bus cut) or low for a duration,
 *                starting at the first message boundary at or after its time.
 *
 * Task side: the wire calls the port's task callback with the virtual time,
 * like a firmware task loop that drains the link ring, feeds the engine,
 * steps the virtual keypad and ticks the disconnected rule:
 *   - with cfg.idle_task set, at the idle point of each gap: KB_WIRE_IDLE_US
 *     (KB_GAP_US + 50 us) after the last rising edge, when that falls before
 *     the next falling edge (the panel's gaps, >= 1100 us, always do; so does
 *     the first task step of a clock held high). Time is advanced there
 *     first, so the port's idle call (kb_edge.h) has made the link publish
 *     the message that just ended: the task sees each frame 1.05 ms after its
 *     last bit, before the next message starts, as a firmware task polling
 *     every millisecond would. The 50 us are that task's wake-up after the
 *     idle interrupt (any value from 1 us to the shortest gap minus
 *     KB_GAP_US would do). Off by default: the scenarios written before it
 *     keep their timing (a key request then goes out about one message later,
 *     see kb_wire_cfg_t.idle_task);
 *   - right after each message's first falling edge (the boundary: the
 *     port's idle call publishes the previous message there, just before the
 *     edge, when the wire did not stop at the idle point);
 *   - every task_us while the clock is held (the first step publishes the
 *     message that ended at the cut).
 * A key the task arms may go out in the message that follows (at the idle
 * point) or the same message (after its first edge), as on a real bus, where
 * the task runs while the interrupt captures. kb_wire_finish() runs it once
 * more at the end.
 *
 * Cost: O(1) per edge (O(keypads) per bit cell); no allocation.
 */
#ifndef KB_SIM_WIRE_H_
#define KB_SIM_WIRE_H_

#include <stdbool.h>
#include <stdint.h>

#include "host/kb_vcd.h"
#include "keybus/kb_edge.h"
#include "keybus/kb_link.h"
#include "sim/kb_sim_panel.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KB_WIRE_KEYPADS 8
#define KB_WIRE_KEYQ 64  /* keys waiting per simulated keypad */
#define KB_WIRE_CUTS 8   /* scheduled cuts */
#define KB_WIRE_ALARM 0x100u /* flag: the key is an alarm key (module byte 0) */
/* The task's idle point in a gap: after the last rising edge, KB_GAP_US (the
 * link's idle call) plus 50 us (a task polling every ms, woken after it). */
#define KB_WIRE_IDLE_MARGIN_US 50u
#define KB_WIRE_IDLE_US (KB_GAP_US + KB_WIRE_IDLE_MARGIN_US)

/* The engine side: what a port talks to. */
typedef struct {
  kb_link_t *link; /* edges and samples go here; NULL = nobody listens */
  /* task loop at virtual time now_us (may be NULL) */
  void (*task)(void *ctx, uint64_t now_us);
  void *ctx;
} kb_wire_port_t;

/* Per-message report (optional callback). */
typedef struct {
  uint32_t index;   /* message number, 0 = first */
  uint64_t t_start; /* first falling edge */
  uint64_t t_end;   /* rising edge of the trailing bit */
  uint8_t panel[KB_SIM_FRAME];  /* what the panel sent (before noise) */
  uint8_t module[KB_SIM_FRAME]; /* what the panel read back */
  uint16_t bits;    /* bit cells (trailing bit not counted) */
  uint16_t flips;   /* panel bits flipped by noise */
  uint16_t glitches, lost;
} kb_wire_msg_t;

typedef void (*kb_wire_msg_fn)(void *ctx, const kb_wire_msg_t *m);

typedef struct {
  double ber;          /* 0..1 */
  double glitch_rate;  /* per bit cell, 0..1 */
  double lost_rate;    /* per clock edge, 0..1 */
  uint32_t jitter_us;  /* 0..100 */
  uint32_t panel_lag_us; /* panel data after the rising edge, default 0 (< 150) */
  uint32_t task_us;    /* task period while the clock is held, default 10000 */
  bool idle_task;      /* also run the task at each gap's idle point (KB_WIRE_IDLE_US
                        * after the last rising edge): frames reach the task one
                        * gap earlier, as on a port that makes the idle call and a
                        * task that polls every ms (keybusd's latency). Default
                        * false: the task runs at each message's first edge only,
                        * as the scenarios were written for */
  uint64_t seed;
} kb_wire_cfg_t;

/* A simulated physical keypad: keys typed one per qualifying message, or at
 * human speed (kb_wire_keypad_pace). */
typedef struct {
  uint8_t partition;  /* 1..8 */
  uint8_t slot;       /* keypad slot 1..8 (answers 0x11 there); 0 = does not answer */
  uint8_t lag_us;     /* its data appears this long after the falling edge (<= 200) */
  uint16_t q[KB_WIRE_KEYQ]; /* key code, | KB_WIRE_ALARM for an alarm key */
  uint8_t q_head, q_len;
  uint8_t alarm;      /* alarm key being sent: 2 = next message, 1 = the one after */
  uint8_t alarm_key;
  /* this message: module byte driven (0xFF = none) and its value */
  uint8_t cur_byte, cur_val;
  uint32_t keys_sent;
  /* pace: a key goes out only in a message starting at or after next_ok */
  uint32_t pace_min, pace_max; /* us; 0,0 = no pacing */
  uint64_t next_ok;
  uint64_t prng;      /* the keypad's own generator: pacing never shifts the noise */
} kb_wire_keypad_t;

typedef struct {
  uint64_t start, dur;
  uint8_t low; /* 1: clock stuck low, 0: held high (cut) */
  uint8_t state; /* 0 waiting, 1 running, 2 done */
} kb_wire_cut_t;

typedef struct {
  uint64_t messages, bit_cells, clock_edges, data_edges;
  uint64_t flips;      /* panel bits flipped */
  uint64_t msgs_hit;   /* messages with at least one flipped bit */
  uint64_t glitches, lost_edges, samples, cancelled;
  uint64_t cut_us;     /* virtual time with the clock held */
  uint64_t idle_points; /* task calls at a gap's idle point */
  uint32_t last_hit;   /* index of the last message hit by a flip */
} kb_wire_stats_t;

typedef struct kb_wire_s {
  kb_wire_cfg_t cfg;
  kb_sim_panel_t *panel;
  kb_wire_port_t port;
  kb_vcd_writer_t *vcd; /* NULL = no waveform output */
  kb_wire_msg_fn on_msg;
  void *msg_ctx;
  kb_wire_keypad_t kp[KB_WIRE_KEYPADS];
  uint8_t nkp;
  kb_wire_cut_t cut[KB_WIRE_CUTS];
  uint8_t ncut;
  /* bus */
  uint64_t t;          /* virtual now */
  uint8_t clk, dat;    /* bus levels */
  uint8_t rise_seen;   /* t_rise is valid (the clock has risen once) */
  uint64_t t_rise;     /* last rising clock edge (seen by the port or not) */
  uint8_t drv_panel, drv_keys, drv_eng; /* data drivers (1 = released) */
  /* port: the core edge adaptor (kb_edge.h) on the bus levels */
  kb_edge_port_t port_edge;
  uint64_t rng;
  uint64_t ber_thr, glitch_thr, lost_thr; /* probabilities scaled by 2^32 */
  kb_wire_stats_t st;
  kb_wire_msg_t msg;   /* message being clocked */
} kb_wire_t;

/* Defaults: no noise, panel lag 0, task every 10 ms, seed 1. */
void kb_wire_cfg_default(kb_wire_cfg_t *c);

/* Binds the wire to an initialised panel (kb_sim_panel_init at t0_us) and a
 * port (copied; link initialised by the caller). vcd: a writer already begun
 * at t0 with both lines high, or NULL. */
void kb_wire_init(kb_wire_t *w, const kb_wire_cfg_t *c, kb_sim_panel_t *panel,
                  const kb_wire_port_t *port, kb_vcd_writer_t *vcd, uint64_t t0_us);

/* Adds a simulated keypad on partition 1..8 with the given data lag;
 * returns its index or -1 (too many, bad partition). Keypad i sits in
 * keypad slot i + 1 and answers the panel's 0x11 supervision query there
 * (its 2-bit field pulled low, notes §4.7); set kp[i].slot = 0 to keep it
 * silent. */
int kb_wire_keypad_add(kb_wire_t *w, uint8_t partition, uint8_t lag_us);

/* Queues one key on keypad i: code | KB_WIRE_ALARM for an alarm key
 * (0xBB/0xDD/0xEE, sent in module byte 0 of the next message and of the one
 * after, which should be the panel's 0x1C). false when the queue is full. */
bool kb_wire_keypad_key(kb_wire_t *w, int i, uint16_t code);

/* Human-speed typing on keypad i: each key (alarm keys included) goes out
 * no sooner than a random interval in [min_us, max_us] after the start of
 * the message that carried the previous one (e.g. 300000, 600000 as in
 * users' captures). The interval is drawn from the keypad's own generator,
 * seeded from the wire's seed and i, so runs are deterministic and the
 * noise draws do not change. 0,0 = one key per qualifying message (the
 * default); max < min is taken as max = min. */
void kb_wire_keypad_pace(kb_wire_t *w, int i, uint32_t min_us, uint32_t max_us);

/* Keys still waiting on keypad i (alarm key in progress included). */
unsigned kb_wire_keypad_pending(const kb_wire_t *w, int i);

/* Schedules the clock held high (low = false) or low for dur_us, starting at
 * the first message boundary at or after start_us. false when full. */
bool kb_wire_cut(kb_wire_t *w, uint64_t start_us, uint64_t dur_us, bool low);

/* Runs messages until virtual time reaches t_us (the message in progress is
 * finished, so now may end up to one message past t_us). */
void kb_wire_run_until(kb_wire_t *w, uint64_t t_us);

/* One step: one message, or one task period of a held clock. */
void kb_wire_step(kb_wire_t *w);

/* End of the run (no more edges): fires the port's pending one-shot,
 * publishes the message in progress (kb_link_finish) and runs the task once. */
void kb_wire_finish(kb_wire_t *w);

static inline uint64_t kb_wire_now(const kb_wire_t *w) { return w->t; }

#ifdef __cplusplus
}
#endif

#endif /* KB_SIM_WIRE_H_ */
