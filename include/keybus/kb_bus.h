/* SPDX-License-Identifier: MIT
 *
 * kb_bus.h - one live keybus: the link (interrupt side), the engine and the
 * virtual keypad behind one task entry, kb_bus_poll(), and one clock.
 *
 * What it promises
 *   kb_bus_t holds a kb_link_t, a kb_engine_t (live input) and a kb_keys_t
 *   and nothing else but the clock: firmware places it statically (about the
 *   sum of the three; `make size` prints `ram bus`); nothing is allocated.
 *   kb_bus_poll() is the whole task loop that every caller used to write out:
 *     1. the clock: the µs since the last poll are added to the engine's
 *        millisecond clock (remainder carried: no drift, wrap-safe);
 *     2. every frame the link has published, oldest first: kb_engine_frame(),
 *        then kb_keys_step() with that frame (the key echo is read before the
 *        frame is released), then kb_link_pop();
 *     3. kb_link_tick() (the 3 s disconnected rule); a change goes to
 *        kb_engine_connected() (KB_EV_CONNECTED);
 *     4. kb_keys_step() without a frame (timeouts, the disconnected rule);
 *     5. the link's statistics (ring overflows, high-water mark) copied into
 *        the engine's health, so kb_bus_health() is current after every poll
 *        (they change only when the link publishes or drops a frame, and a
 *        drop leaves a full ring: the copy is made when frames were drained).
 *   With a virtual zone expander attached (kb_bus_xpd_attach()), step 2
 *   also passes each frame to kb_xpd_frame() and, after the drain, calls
 *   kb_xpd_poll() (a change the interrupt held up goes out once the message
 *   it was driving is published: a drain follows). Without one, and with the
 *   keypad idle, the drain is the engine alone, as before.
 *   Steps 2 and 4 skip the keypad when it has nothing to do
 *   (kb_keys_idle()). The link (bus->link) is ticked by kb_bus_poll() only:
 *   nobody else may call kb_link_tick() on it.
 *   Events and key notes are delivered from inside kb_bus_poll() (and from
 *   nothing else), through the callbacks of kb_bus_cfg_t.
 *
 * Who calls what, from where
 *   kb_bus_init()              task, before the port attaches its interrupts.
 *   kb_link_edge/sample(kb_bus_link(bus), ...)
 *                              the port's interrupts (kb_link.h, kb_port.h):
 *                              the interrupt talks to the link only, never to
 *                              the other kb_bus_* calls.
 *   kb_bus_poll() and every other kb_bus_* call
 *                              the task: one thread (or one loop), the same
 *                              one for all of them. None of them is
 *                              interrupt-safe; the callbacks run on it.
 *
 * How often to poll
 *   At least every few milliseconds while frames flow. The link's ring holds
 *   KB_FRAME_RING frames (16 by default: about a second of traffic, the
 *   panel's messages being ~40-130 bits at ~1 kHz), and a full ring loses
 *   whole messages (counted: health.ring_overflows), so a task that can be
 *   held up for long needs a bigger ring. The virtual keypad hands its next
 *   key to the link only at a poll: polling every few ms keeps every key in
 *   its first eligible slot. A poll with nothing to do is cheap (the tick
 *   and two idle checks).
 *
 * The clock
 *   now_us is the port's free-running 32-bit microsecond counter, the same
 *   one it stamps edges with (kb_link_edge); it may wrap (all arithmetic is
 *   modulo 2^32). Polls must come less than 2^31 µs (~35 minutes) apart; a
 *   now_us earlier than the last poll's (a stale stamp) counts as no time.
 *   The engine's milliseconds (event t_ms, health.last_frame_ms) are derived
 *   here, never by the port: at the first poll ms = now_us / 1000, then each
 *   poll adds the elapsed µs, remainder carried, so ms keeps counting
 *   across the µs wrap (it wraps itself after 2^32 ms, ~49.7 days; ages are
 *   differences). A port must not compute ms as now_us / 1000 from a 32-bit
 *   counter: that jumps back every 71.6 minutes.
 */
#ifndef KB_BUS_H_
#define KB_BUS_H_

#include <stdbool.h>
#include <stdint.h>

#include "keybus/kb_classic.h"
#include "keybus/kb_cls_link.h"
#include "keybus/kb_config.h"
#include "keybus/kb_engine.h"
#include "keybus/kb_err.h"
#include "keybus/kb_keys.h"
#include "keybus/kb_link.h"
#include "keybus/kb_xpd.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- Types */

/* What kb_bus_init() needs. Every member may be NULL / 0. The callbacks are
 * called from kb_bus_poll() only (task context); ctx pointers are passed back
 * as given and must stay valid as long as the bus is polled. */
typedef struct {
  kb_event_cb event_cb; /* every change of the panel's state (kb_engine.h) */
  void *event_ctx;
  kb_keys_cb keys_cb; /* key requests: keys accepted, results (kb_keys.h) */
  void *keys_ctx;
} kb_bus_cfg_t;

/* The Classic half of kb_bus_t's first union (internal; a type of its own
 * so that C++ accepts the anonymous union). */
typedef struct kb_bus_classic_s {
  kb_cls_link_t link; /* the Classic link (kb_bus_cls_link()) */
  kb_cls_keys_t keys; /* its key writer: types kb_keys' active request */
} kb_bus_classic_t;

/* One bus. Public so firmware can place it statically; `link`, `engine` and
 * `keys` are the modules' own states (read them through the accessors below
 * where one exists), the clock fields are internal.
 * The series' parts share storage (kb_bus_set_series() picks one): `link`
 * and `engine` are valid for PowerSeries only, `classic` (the Classic link
 * and key writer) and `cls` (the Classic decoder) for Classic only; `keys`
 * (the request queue) serves both, so a Classic bus costs no RAM
 * beyond a PowerSeries one. kb_engine_t and kb_cls_t both begin with the
 * status model (kb_status_t), so `engine.status.series` names the series
 * whichever is in use (the common initial sequence of a union, C11
 * 6.5.2.3). */
typedef struct kb_bus_s {
  union {
    kb_link_t link; /* KB_SERIES_POWER */
    kb_bus_classic_t classic; /* KB_SERIES_CLASSIC */
  };
  union {
    kb_engine_t engine; /* KB_SERIES_POWER */
    kb_cls_t cls;       /* KB_SERIES_CLASSIC */
  };
  kb_keys_t keys;
  /* the clock (internal) */
  uint32_t last_us; /* now_us of the last poll */
  uint32_t ms;      /* the engine's milliseconds as of the last poll */
  uint16_t rem_us;  /* µs of the last poll not yet a whole millisecond */
  uint8_t clock_started;
  bool connected; /* kb_link_connected(&link), as of the last kb_link_tick() */
  kb_xpd_t *xpd;  /* virtual zone expander (kb_bus_xpd_attach), NULL = none */
} kb_bus_t;

/* ------------------------------------------------------------ Task API */

/* Initialises link, engine (live input) and keypad; cfg may be NULL (no
 * callbacks). Call before the port attaches its interrupts. */
void kb_bus_init(kb_bus_t *bus, const kb_bus_cfg_t *cfg);

/* The task entry: runs the loop described at the top at task time now_us
 * (the port's 32-bit µs clock). Call it often (see "How often to poll"). */
void kb_bus_poll(kb_bus_t *bus, uint32_t now_us);

/* The link the port's interrupts feed (kb_link_edge/kb_link_sample). Valid
 * as long as the bus. NULL when the series is Classic (the storage is the
 * Classic link's then: see kb_bus_cls_link()). */
kb_link_t *kb_bus_link(kb_bus_t *bus);

/* Task, after kb_bus_init() and before the port attaches its interrupts:
 * which panel series the bus decodes (KB_SERIES_POWER / KB_SERIES_CLASSIC,
 * kb_engine.h). KB_SERIES_POWER is the default (kb_bus_init);
 * KB_SERIES_CLASSIC switches link, decoder and key writer to the Classic
 * ones (kb_cls_link.h, kb_classic.h; the keypad's requests go out through
 * the Classic link, docs/classic.md). The event callback of kb_bus_cfg_t is
 * kept. Errors (nothing changed): KB_ERR_ARG for an unknown series,
 * KB_ERR_BUSY once a frame has been polled, while key requests are queued
 * or while a zone expander is attached. */
KB_MUST_CHECK kb_err_t kb_bus_set_series(kb_bus_t *bus, uint8_t series);

/* The series the bus decodes (KB_SERIES_*). */
uint8_t kb_bus_series(const kb_bus_t *bus);

/* The Classic link the port's interrupts feed (kb_cls_link_edge/_sample,
 * with the PC-16 level), NULL unless the series is Classic. kb_bus_link()
 * stays the PowerSeries link. */
kb_cls_link_t *kb_bus_cls_link(kb_bus_t *bus);

/* The panel's state and the health counters (ring statistics included, as of
 * the last poll). Valid as long as the bus; read them from the task only. */
const kb_status_t *kb_bus_status(const kb_bus_t *bus);
const kb_health_t *kb_bus_health(const kb_bus_t *bus);

/* The engine's millisecond clock as of the last poll (0 before the first). */
uint32_t kb_bus_ms(const kb_bus_t *bus);

/* Age of the last valid frame at the last poll, in ms; UINT32_MAX when none
 * has been seen. */
uint32_t kb_bus_frame_age_ms(const kb_bus_t *bus);

/* Queues a key request (kb_keys_submit(), with this bus's engine): keys for
 * partition 1..8, code NULL or 4/6 digits (copied; typed only at a prompt).
 * On KB_OK *id (may be NULL) receives its id; the request's waits count from
 * the poll that makes it active. Errors: KB_ERR_FULL, KB_ERR_KEY,
 * KB_ERR_PARTITION, KB_ERR_CODE (nothing queued). */
KB_MUST_CHECK kb_err_t kb_bus_keys_submit(kb_bus_t *bus, uint8_t partition, const char *keys,
                                          const char *code, uint16_t *id);

/* Queues the panel date/time request (kb_keys_set_time()). Errors as
 * kb_bus_keys_submit(), plus KB_ERR_RANGE and KB_ERR_NOT_READY. */
KB_MUST_CHECK kb_err_t kb_bus_set_time(kb_bus_t *bus, uint8_t partition, uint16_t year,
                                       uint8_t month, uint8_t day, uint8_t hour, uint8_t minute,
                                       const char *code, uint16_t *id);

/* Result of key request id (kb_keys_result()); out may be NULL. */
kb_keys_result_t kb_bus_keys_result(const kb_bus_t *bus, uint16_t id, kb_keys_info_t *out);

/* Key requests queued or being typed. */
uint8_t kb_bus_keys_pending(const kb_bus_t *bus);

/* Virtual zone expander (kb_xpd.h), off by default: attaches x (initialised
 * with kb_xpd_init(), owned by the caller, valid as long as the bus) to the
 * bus's link; from then on kb_bus_poll() passes it every frame
 * (kb_xpd_frame(), before the pop) and polls it once per poll. x == NULL
 * detaches the one attached. Errors as kb_xpd_attach(); KB_ERR_BUSY when one
 * is attached already. Without it the bus costs nothing more than before
 * (the per-frame figure of `make bench` decode is unchanged). */
KB_MUST_CHECK kb_err_t kb_bus_xpd_attach(kb_bus_t *bus, kb_xpd_t *x);

#ifdef __cplusplus
}
#endif

#endif /* KB_BUS_H_ */
