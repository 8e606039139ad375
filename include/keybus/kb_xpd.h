/* SPDX-License-Identifier: MIT
 *
 * kb_xpd.h - virtual zone expander: zones driven by software appear on the
 * panel as the zones of a PC5108-like zone expander (8 zones each).
 *
 * What it promises
 *   A kb_xpd_t emulates zone expanders 0..7 (protocol notes §3.14, §4.7;
 *   expander n carries zones 8n+1 .. 8n+8: expander 1 = zones 9-16). For the
 *   enabled ones it keeps the zone states the caller sets and, through the
 *   link's module-reply writer (kb_link.h, kb_link_xw_*), answers the panel
 *   as an expander does:
 *     - 0x11 supervision: the expander's 2-bit field pulled low (later-
 *       generation layout: byte 4 = expanders 1-4, byte 5 b7..4 = 5-6, byte 7
 *       b1..0 = 7; expander 0 has no field of its own in the notes and is
 *       not supervised);
 *     - while a zone state has changed and the panel has not read it: the
 *       expander's notification bit pulled low in the module data of the
 *       status commands 0x05, 0x0A, 0x0F, 0x27, 0x2D, 0x3E (byte 4 b7..b4 =
 *       expanders 0-3, byte 7 b7..b4 = 4-7; notes §4.4; not 0x1B, whose byte
 *       4 means something else);
 *     - the expander query (0x22/0x28/0x33/0x39, 0xE6.08/0A/0C/0E): the
 *       reply [current, previous] for the changed half (zones 1-4 and 5-8 of
 *       the expander; an unchanged half is sent FF FF) and the nibble
 *       checksum (notes §2.3). A zone field is 01 closed, 11 open, 10 tamper.
 *   A change counts as told once a frame of the expander's query shows the
 *   reply on the bus exactly as published (kb_xpd_frame(): the module echo,
 *   so a collision or a cut message is sent again after a new
 *   notification); until then the notification stays up.
 *   Replies are never torn: the writer's two banks (kb_link.h) are edited
 *   only while the interrupt is not driving them; a change the interrupt
 *   holds up is published at the next kb_xpd_poll().
 *   Costs: nothing at all while no kb_xpd_t is attached; attached, a few
 *   instructions per panel bit in the interrupt and O(1) per frame here.
 *
 * Who calls what, from where
 *   Every kb_xpd_* call: the task (the one that polls the bus), never an
 *   interrupt. kb_bus_xpd_attach() (kb_bus.h) attaches it to a bus, which
 *   then calls kb_xpd_frame() for every frame and kb_xpd_poll() at every
 *   poll; without kb_bus, the caller does both and kb_xpd_attach().
 *
 * Safety: a virtual zone is a real zone to the panel. Opening one on an
 * armed partition starts the entry delay or the alarm, with the sirens and
 * the monitoring station. docs/expander.md says how the panel must be
 * programmed and what to watch for.
 */
#ifndef KB_XPD_H_
#define KB_XPD_H_

#include <stdbool.h>
#include <stdint.h>

#include "keybus/kb_config.h"
#include "keybus/kb_err.h"
#include "keybus/kb_link.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KB_XPD_EXPANDERS 8u
#define KB_XPD_ZONES 64u /* zone numbers 1..64: expander (zone - 1) / 8 */

/* State of one virtual zone (what the expander reports). */
typedef enum {
  KB_XPD_CLOSED = 0, /* field 01 */
  KB_XPD_OPEN = 1,   /* field 11 */
  KB_XPD_TAMPER = 2  /* field 10 */
} kb_xpd_zone_t;

typedef struct {
  uint32_t replies;      /* expander replies the panel read as published */
  uint32_t mismatches;   /* expander queries whose module echo differed (collision, cut) */
  uint32_t supervisions; /* 0x11 queries answered (echo shows our fields low) */
  uint32_t deferred;     /* publications held up by the interrupt (done at a later poll) */
} kb_xpd_stats_t;

/* State. Public so firmware can place it statically; fields are internal. */
typedef struct kb_xpd_s {
  kb_link_xw_t xw;           /* the images the link's interrupt drives */
  kb_link_t *link;           /* attached link, NULL = none */
  uint8_t enabled;           /* bit n = expander n emulated */
  uint8_t dirty;             /* images to publish at the next poll */
  uint16_t cur[KB_XPD_EXPANDERS];  /* 2-bit fields, zone k of the expander at bits 2k..2k+1 */
  uint16_t told[KB_XPD_EXPANDERS]; /* what the panel has read */
  uint16_t sent[KB_XPD_EXPANDERS]; /* the state the published reply reports */
  uint8_t reply[KB_XPD_EXPANDERS][5]; /* published reply bytes */
  kb_xpd_stats_t stats;
} kb_xpd_t;

/* Clears x: no expander enabled, every zone closed, not attached. */
void kb_xpd_init(kb_xpd_t *x);

/* Emulates expander n (0..7) / stops (its zones are kept). KB_ERR_ARG for
 * NULL or n > 7. Takes effect at once when attached (else at attach). */
KB_MUST_CHECK kb_err_t kb_xpd_enable(kb_xpd_t *x, uint8_t expander, bool on);

/* Sets virtual zone `zone` (1..64; expander (zone - 1) / 8). KB_ERR_ARG for
 * NULL or a state outside kb_xpd_zone_t, KB_ERR_RANGE for a zone outside
 * 1..64, KB_ERR_NOT_READY when its expander is not enabled; nothing changes
 * then. The same state again is KB_OK and sends nothing. */
KB_MUST_CHECK kb_err_t kb_xpd_set_zone(kb_xpd_t *x, uint8_t zone, kb_xpd_zone_t state);

/* The state last set for zone (1..64) into *out. Errors as kb_xpd_set_zone. */
KB_MUST_CHECK kb_err_t kb_xpd_zone(const kb_xpd_t *x, uint8_t zone, kb_xpd_zone_t *out);

/* True while expander n has a change the panel has not read. */
bool kb_xpd_pending(const kb_xpd_t *x, uint8_t expander);

/* Attaches to the link (its module-reply writer) / detaches. attach: KB_OK,
 * KB_ERR_ARG (NULL), KB_ERR_BUSY (x already attached, or the link has
 * another writer). */
KB_MUST_CHECK kb_err_t kb_xpd_attach(kb_xpd_t *x, kb_link_t *l);
void kb_xpd_detach(kb_xpd_t *x);

/* Every frame the task reads from the attached link (before kb_link_pop()).
 * O(1). */
void kb_xpd_frame(kb_xpd_t *x, const kb_frame_t *f);

/* Publishes changes the interrupt held up. Cheap when there are none. */
void kb_xpd_poll(kb_xpd_t *x);

/* Nibble checksum of an expander reply (notes §2.3): the 4 data bytes d[0..3]
 * = current low, previous low, current high, previous high. */
uint8_t kb_xpd_checksum(const uint8_t d[4]);

#ifdef __cplusplus
}
#endif

#endif /* KB_XPD_H_ */
