/* SPDX-License-Identifier: MIT
 *
 * kb_edges.h - replay adaptor: timestamped edges of the clock and data wires
 * (64-bit capture times) in, kb_link_edge()/kb_link_sample() calls out,
 * exactly as a port's clock interrupt and its KB_SAMPLE_US one-shot timer
 * would make them.
 *
 * Model
 *   The core edge adaptor's (include/keybus/kb_edge.h: duplicates ignored,
 *   a clock edge arms a sample KB_SAMPLE_US later, the sample fires before
 *   the first input edge at or after its time, an edge before it cancels
 *   it, a sample that reads the clock high arms the idle call at edge +
 *   KB_GAP_US + 1, which publishes the message); this layer adds what
 *   64-bit capture times need:
 *   Edges must come in time order; an edge earlier than the previous one is
 *   counted in `out_of_order` and processed as if at the previous time.
 *   Times are 64-bit microseconds here; the core adaptor and the link get
 *   them truncated to 32 bits (their arithmetic is modulo 2^32), and a sample
 *   that is due is taken at its own time first, so a gap of any length
 *   between two edges is exact. The write-line request is ignored (a replay
 *   cannot drive the bus). Cost: O(1) per edge, no allocation.
 */
#ifndef KB_HOST_EDGES_H_
#define KB_HOST_EDGES_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keybus/kb_edge.h"
#include "keybus/kb_link.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One level change (or level report) of one wire. */
typedef struct {
  uint64_t t_us; /* microseconds, any origin */
  uint8_t wire;  /* KB_EDGE_CLOCK or KB_EDGE_DATA (kb_edge.h) */
  uint8_t level; /* 0 = low, nonzero = high */
} kb_edge_t;

/* Consumer of edges (generator output, VCD reader output, adaptor input). */
typedef void (*kb_edge_fn)(void *ctx, const kb_edge_t *e);

/* Growable array of edges; usable as a kb_edge_fn sink (kb_edge_vec_push).
 * Zero-initialise, free with kb_edge_vec_free(). On allocation failure the
 * edge is dropped and `oom` is set. */
typedef struct {
  kb_edge_t *v;
  size_t n, cap;
  bool oom;
} kb_edge_vec_t;

void kb_edge_vec_push(void *vec, const kb_edge_t *e); /* kb_edge_fn */
void kb_edge_vec_free(kb_edge_vec_t *vec);

typedef struct {
  kb_edge_port_t port; /* the core adaptor: levels, armed sample, counters */
  uint64_t t_armed;    /* capture time of the clock edge that armed it */
  uint64_t t_last;     /* time of the last input edge */
  bool started;
  uint32_t out_of_order;
} kb_edges_t;

/* Binds the adaptor to an initialised link. Both wires start high. */
void kb_edges_init(kb_edges_t *a, kb_link_t *link);

/* Feeds one edge (see the model above). */
void kb_edges_feed(kb_edges_t *a, const kb_edge_t *e);

/* kb_edge_fn wrapper: ctx is the kb_edges_t. */
void kb_edges_cb(void *ctx, const kb_edge_t *e);

/* Time has reached t_us with no edge: fires the armed sample if it is due
 * (t_us >= sample time), then makes the idle call if it is due (t_us >=
 * rising edge + KB_GAP_US + 1), each at its own time. */
void kb_edges_advance(kb_edges_t *a, uint64_t t_us);

/* End of input: fires an armed sample (whatever its time) and calls
 * kb_link_finish() so the last message is published. */
void kb_edges_finish(kb_edges_t *a);

/* ------------------------------------------------------------- replay
 *
 * A whole capture replayed as a firmware would see it: the edges go through
 * the adaptor above into a link, and a task side that runs between the edges
 * publishes what the link has finished and applies the link's 3 s
 * disconnected rule, exactly as a task woken every KB_REPLAY_STEP_US would.
 * In a gap of the capture (no edge for more than one step) that task time
 * advances in steps: the message the clock ended (held high for more than
 * KB_GAP_US) is published by the adaptor's idle call and taken at the first
 * step, the disconnection is seen at the step that is more than
 * KB_DISCONNECT_US after the last message boundary. Nothing can change after that until the next edge, so a longer
 * gap is jumped over in O(1): the cost is O(1) per edge whatever the times
 * (a VCD may hold absolute timestamps, or times close to UINT64_MAX).
 * The link counts in 32-bit microseconds modulo 2^32; a gap longer than
 * 2^32 us would look short to it, so the link sees each jumped gap
 * shortened (the frames' and changes' times reported here are the
 * capture's own). Input times must not go backwards (an earlier time is
 * taken as the previous one).
 *
 * Callbacks (each may be NULL) run inside kb_replay_edge()/kb_replay_end():
 *   frame: a published frame (valid during the call; popped afterwards) and
 *          the capture time at which the task took it;
 *   change: kb_link_tick() reported KB_LINK_CONNECTED or DISCONNECTED. */

#define KB_REPLAY_STEP_US 100000u

typedef void (*kb_replay_frame_fn)(void *ctx, const kb_frame_t *f, uint64_t t_us);
typedef void (*kb_replay_change_fn)(void *ctx, kb_link_change_t change, uint64_t t_us);

typedef struct {
  kb_link_t link;       /* large (the frame ring): place the replay statically */
  kb_edges_t adapt;
  uint64_t now_us;      /* task time, capture clock */
  uint64_t skipped_us;  /* time jumped over: the link's clock is now_us - skipped_us */
  uint64_t t_rise;      /* last rising clock edge (capture clock) */
  bool clock_high;
  bool started;
  uint64_t jumps;       /* gaps jumped over */
  kb_replay_frame_fn frame;
  kb_replay_change_fn change;
  void *ctx;
} kb_replay_t;

/* Initialises the link and the adaptor; both wires idle high. */
void kb_replay_init(kb_replay_t *r, kb_replay_frame_fn frame, kb_replay_change_fn change,
                    void *ctx);

/* One edge of the capture (time order). */
void kb_replay_edge(kb_replay_t *r, const kb_edge_t *e);

/* kb_edge_fn wrapper: ctx is the kb_replay_t. */
void kb_replay_cb(void *ctx, const kb_edge_t *e);

/* End of the capture at t_end_us (its last timestamp; earlier = now):
 * publishes the message in progress and applies the disconnected rule once
 * at that time. */
void kb_replay_end(kb_replay_t *r, uint64_t t_end_us);

#ifdef __cplusplus
}
#endif

#endif /* KB_HOST_EDGES_H_ */
