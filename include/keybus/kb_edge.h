/* SPDX-License-Identifier: MIT
 *
 * kb_edge.h - the edge adaptor: a port for platforms that see timestamped
 * level changes of the bus lines instead of taking interrupts (Linux GPIO
 * line events, the replay of a VCD or a log, the simulator's virtual wire).
 * It turns them into the kb_link_edge()/kb_link_sample()/kb_link_idle() calls
 * a real port's clock interrupt and timers would make (kb_port.h), and says
 * what the link asks of the write line.
 *
 * What it promises
 *   The model of a real port, exactly:
 *   - Every line starts at the idle level (high). A change to the level the
 *     line already has is a duplicate: ignored and counted (a VCD's initial
 *     values, a repeated report cost nothing).
 *   - A clock level change the port sees calls kb_link_edge(link, level, t)
 *     and arms the one-shot: a sample at t + KB_SAMPLE_US (kb_proto.h).
 *   - The sample fires when time reaches it: before the first input change
 *     (any line) at or after the sample time, so a change at exactly the
 *     sample time is NOT seen by it; or at kb_edge_advance()/kb_edge_finish().
 *     It calls kb_link_sample(link, clock level, data level) with the levels
 *     in force at that time (the one-shot re-reads the clock).
 *   - A clock edge before the armed sample fired (a glitch, or an implausibly
 *     fast clock) cancels that sample (counted): the edge arms its own. This
 *     is what a one-shot re-armed on every edge does.
 *   - The idle call (kb_port.h 2b): a sample that reads the clock high arms
 *     it, due more than KB_GAP_US after the clock edge that armed the sample
 *     (the last rising edge): kb_link_idle(link, clock level, t) is made at
 *     the first kb_edge_advance() (or change, before it is applied) at
 *     t >= edge + KB_GAP_US + 1, with the clock level in force then (the
 *     port re-reads the pin), once; any clock edge the port sees disarms it.
 *     So the link publishes each message KB_GAP_US after its last rising
 *     edge as soon as time is advanced past that point, not at the next
 *     message's first edge. A change at exactly the idle time comes after
 *     the call (as for the sample).
 *   - The write line: what the link's last kb_link_edge() returned
 *     (KB_LINK_WRITE_PULL_LOW = pull the data line low, open collector);
 *     kb_edge_feed() returns it and kb_edge_write() reads it. The caller
 *     drives its output accordingly (a replay ignores it).
 *   Times are the caller's 32-bit microsecond clock; it may wrap (all
 *   arithmetic is modulo 2^32). Input must come in time order, and an armed
 *   sample must be taken (by a later change or kb_edge_advance()) less than
 *   2^32 us after its edge: a task that calls kb_edge_advance() now and then
 *   guarantees it. Callers with 64-bit times (src/host/kb_edges.h) keep their
 *   own order checks. O(1) per call; no allocation, no clock, no globals.
 *
 * Who calls what, from where
 *   One thread or context owns a kb_edge_port_t and calls everything here;
 *   the link's interrupt side runs inside those calls, so the same context
 *   must not also be a task consuming the ring concurrently unless the usual
 *   rules hold (kb_port.h: same core, or KB_SMP=1). A Linux port reading GPIO
 *   events in one thread and running kb_bus_poll() in another is that case.
 */
#ifndef KB_EDGE_H_
#define KB_EDGE_H_

#include <stdbool.h>
#include <stdint.h>

#include "keybus/kb_config.h"
#include "keybus/kb_link.h"
#include "keybus/kb_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- Types */

/* The bus lines, as numbered by every edge source (VCD reader, waveform
 * generator, virtual wire) and by this adaptor. */
enum {
  KB_EDGE_CLOCK = 0, /* the clock (yellow) wire */
  KB_EDGE_DATA = 1,  /* the data (green) wire */
  /* Reserved: the Classic (PC1500/PC1550/PC2550) panels' PC-16 line, sampled
   * together with data. Its level is tracked (duplicates ignored) but not yet
   * passed to the link, which has no third input today. */
  KB_EDGE_PC16 = 2,
  KB_EDGE_LINE_COUNT = 3
};

/* Adaptor state. Public so it can be placed statically; fields are
 * read-only for the caller (the counters are for reports and tests). */
typedef struct kb_edge_port_s {
  kb_link_t *link;                   /* NULL: levels and counters only */
  uint8_t level[KB_EDGE_LINE_COUNT]; /* current levels (0/1), start high */
  uint8_t pending;                   /* a sample is armed */
  uint8_t write;                     /* kb_link_write_t in force */
  uint8_t idle;                      /* the idle call is armed (t_armed + KB_GAP_US + 1) */
  uint32_t t_armed;                  /* clock edge that armed the pending sample */
  /* counters */
  uint32_t clock_edges; /* clock changes seen (link called) */
  uint32_t data_edges;  /* data changes */
  uint32_t pc16_edges;  /* PC-16 changes (reserved line) */
  uint32_t samples;     /* samples fired */
  uint32_t idles;       /* idle calls that ended a message (kb_link_idle true) */
  uint32_t cancelled;   /* samples cancelled by an early clock edge */
  uint32_t duplicates;  /* changes to the level a line already had */
  uint32_t missed;      /* clock changes the port did not see (kb_edge_missed) */
  uint32_t bad_lines;   /* changes of an unknown line number, ignored */
} kb_edge_port_t;

/* ------------------------------------------------------------ Task API */

/* Binds the adaptor to an initialised link (or NULL: nobody listens); every
 * line high, nothing armed, write line released, counters 0. */
void kb_edge_init(kb_edge_port_t *a, kb_link_t *link);

/* Line `line` (KB_EDGE_*) changed to `high` at t_us, and the port saw it:
 * fires a due sample first, then (clock) calls the link and arms the sample.
 * Returns the write-line request in force after the change: the port drives
 * it until the next clock edge. An unknown line is ignored (counted). */
kb_link_write_t kb_edge_feed(kb_edge_port_t *a, unsigned line, bool high, uint32_t t_us);

/* Line `line` changed at t_us but the port's interrupt did not see it (a
 * lost edge): the level changes (a later sample reads it), the link is not
 * called, no sample is armed or cancelled. For data and PC-16, the same as
 * kb_edge_feed() (they take no interrupt). Counted in `missed` for the clock. */
void kb_edge_missed(kb_edge_port_t *a, unsigned line, bool high, uint32_t t_us);

/* Time has reached t_us with no change: fires the armed sample if it is due
 * (t_us - edge >= KB_SAMPLE_US), then makes the idle call if it is due
 * (t_us - edge > KB_GAP_US; armed by a sample that read the clock high).
 * Call it while the clock is held (no change comes) so the link publishes
 * the message KB_GAP_US after its last rising edge: kb_edge_due() says when. */
void kb_edge_advance(kb_edge_port_t *a, uint32_t t_us);

/* When the next timed action (the armed sample, or the idle call) falls due:
 * true and *t_us = that moment (the earliest t_us at which kb_edge_advance()
 * performs it), or false when nothing is armed. */
bool kb_edge_due(const kb_edge_port_t *a, uint32_t *t_us);

/* When the idle call falls due: armed, or to be armed by the pending sample
 * because the clock is high now (it will read high): true and *t_us =
 * edge + KB_GAP_US + 1; false otherwise. A caller that sleeps until the next
 * input change wakes up then, so the link publishes the message that just
 * ended without waiting for the next one (the other samples need no
 * wake-up: the next change takes them at their own time, before itself). */
bool kb_edge_idle_due(const kb_edge_port_t *a, uint32_t *t_us);

/* End of input (no interrupt can run any more): fires an armed sample,
 * whatever its time, and calls kb_link_finish() so the message in progress
 * is published (if the idle call has not already published it). */
void kb_edge_finish(kb_edge_port_t *a);

/* The write-line request in force (what the last clock edge returned). */
kb_link_write_t kb_edge_write(const kb_edge_port_t *a);

#ifdef __cplusplus
}
#endif

#endif /* KB_EDGE_H_ */
