/* SPDX-License-Identifier: MIT
 *
 * kd_xpd.h - keybusd's virtual zone expander (kb_xpd.h, docs/expander.md):
 * the `[expander]` section of the configuration, the MQTT command that sets
 * a virtual zone, and a Home Assistant switch per virtual zone.
 *
 * What it promises
 *   kd_xpd_conf_parse() reads the `[expander]` section of an INI text
 *   (other sections are left to kb_conf) with the syntax and error style of
 *   docs/keybusd-config.md: `expanders = 1` (emulated expanders 0-7, comma-
 *   separated), `zones = 9, 10` (virtual zones 1-64, each on one of those
 *   expanders). Every error is one line "file:line: what: expected"
 *   appended to the caller's buffer; no input crashes it.
 *   MQTT: one command topic, <prefix>/<device_id>/vzone/set, payload
 *   "<zone> open|closed|tamper" (kd_xpd_command(); a virtual zone not in the
 *   configuration is refused), so one subscription serves every zone; the
 *   zone's input state is published retained on <prefix>/<device_id>/vzone/<n>
 *   ("open", "closed", "tamper"). Home Assistant: a switch per virtual zone
 *   (kd_xpd_discovery(): on = "<n> open", off = "<n> closed", in the keybus
 *   device), the zone itself stays the binary sensor of its [zone N] section.
 *   Nothing here touches the bus: kd_xpd_command() calls kb_xpd_set_zone()
 *   on the kb_xpd_t the caller attached (kb_bus_xpd_attach()).
 *
 * Who calls it: keybusd's main thread (the one that polls the bus): the
 *   configuration at start-up, the commands as they are taken from the MQTT
 *   inbound queue. No globals, no allocation.
 */
#ifndef KD_XPD_H_
#define KD_XPD_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ha/kb_ha.h"
#include "keybus/kb_bus.h"
#include "keybus/kb_xpd.h"

#define KD_XPD_ERR_MAX 2048

typedef struct {
  uint8_t expanders; /* bit n: expander n emulated */
  uint64_t zones;    /* bit z-1: zone z is virtual */
  int line;          /* line of the [expander] header, 0 = no section */
} kd_xpd_conf_t;

void kd_xpd_conf_init(kd_xpd_conf_t *c);

/* Parses the [expander] section(s) of text[0..len) (a whole configuration
 * file; name is used in messages). Returns the number of errors, appended as
 * lines to err[0..cap) (NUL-terminated; may be NULL when cap is 0). */
int kd_xpd_conf_parse(kd_xpd_conf_t *c, const char *text, size_t len, const char *name, char *err,
                      size_t cap);

/* Reads the file and parses it. A missing file is an error only when
 * must_exist (as kb_conf_load). */
int kd_xpd_conf_load(kd_xpd_conf_t *c, const char *path, bool must_exist, char *err, size_t cap);

/* Enables the configured expanders on x (kb_xpd_init() first) and attaches
 * it to the bus. KB_OK also when nothing is configured (then nothing is
 * attached and the bus works as without it). */
kb_err_t kd_xpd_start(const kd_xpd_conf_t *c, kb_xpd_t *x, kb_bus_t *bus);

/* The command topic (<prefix>/<device_id>/vzone/set) into buf. */
kb_err_t kd_xpd_topic(const kb_ha_config_t *ha, char *buf, size_t size);

/* Parses "<zone> open|closed|tamper" (also ON/OFF = open/closed, blanks
 * around and between tolerated). 0 and *zone, *state set, or -1. */
int kd_xpd_payload(const char *p, size_t len, unsigned *zone, kb_xpd_zone_t *state);

/* One command: parses the payload, refuses a zone that is not virtual
 * (why = "not a virtual zone"), sets it. On success *zone and *state name
 * what changed (publish its state: kd_xpd_state()). Returns 0, or -1 with
 * a short reason in *why (static text, no payload echoed). */
int kd_xpd_command(const kd_xpd_conf_t *c, kb_xpd_t *x, const char *payload, size_t len,
                   unsigned *zone, kb_xpd_zone_t *state, const char **why);

/* The retained state message of virtual zone `zone`. */
kb_err_t kd_xpd_state(const kb_ha_config_t *ha, unsigned zone, kb_xpd_zone_t state, kb_ha_msg_t *m);

/* The Home Assistant discovery document (retained) of the i-th virtual zone
 * (0 .. kd_xpd_count()-1, ascending zone order). KB_ERR_ARG past the end. */
size_t kd_xpd_count(const kd_xpd_conf_t *c);
/* The i-th virtual zone (ascending), 0 past the end. */
unsigned kd_xpd_zone_at(const kd_xpd_conf_t *c, size_t i);
kb_err_t kd_xpd_discovery(const kd_xpd_conf_t *c, const kb_ha_config_t *ha, size_t i, kb_ha_msg_t *m);

#endif /* KD_XPD_H_ */
