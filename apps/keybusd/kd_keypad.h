/* SPDX-License-Identifier: MIT
 *
 * kd_keypad.h - keybusd --role keypad: a DSC keypad driven by the panel role
 * (keybus/kb_panel.h) as an MQTT / Home Assistant device. Pure mapping: the
 * functions here write topics and payloads into the caller's buffers and
 * apply commands to a kb_pnl_t; the daemon publishes and subscribes
 * (docs/keypad-interface.md "keybusd").
 *
 * Topics (<p> = prefix, <id> = device id, as the panel role's, kb_ha.h):
 *   <p>/<id>/keypad/event             keybus ->, not retained: {"event_type":"<key>"}
 *                                     per key ("1", "*", "fire", "stay", ...)
 *   <p>/<id>/keypad/light/<name>      keybus ->, retained: off | on | blink
 *   <p>/<id>/keypad/zone/<z>          keybus ->, retained: off | on | blink (z 1..zones)
 *   <p>/<id>/keypad/set               -> keybus, one topic for every command
 *                                     (the daemon's inbound queue keeps the
 *                                     subscription index, not the topic; HA's
 *                                     entities share it through their
 *                                     command_template). Payload "<what> <value>":
 *                                       light/<name> off|on|blink
 *                                       zone/<z> off|on|blink
 *                                       beep <0..128>      (0 cancels)
 *                                       buzzer <0..255>    (seconds, 0 cancels)
 *                                       tone off | tone <beeps 0-7>,<constant 0|1>,<interval 0-15>
 *                                       status <0..255 or 0x00..0xFF>  (LCD message code)
 *   <discovery>/<component>/<id>/keypad_<object>/config  discovery documents
 * Keys are published as typed: a user may type an access code on the
 * keypad, so they are never logged (only counted) and Home Assistant's
 * history of the event entity holds them; the README of the role says so.
 *
 * Who calls what: the daemon's main thread (the task side of the panel
 * role), every function; none keeps state.
 */
#ifndef KD_KEYPAD_H_
#define KD_KEYPAD_H_

#include <stddef.h>
#include <stdint.h>

#include "keybus/kb_panel.h"

#define KD_KEYPAD_TOPIC_MAX 192
#define KD_KEYPAD_DOC_MAX 1536

typedef struct {
  const char *prefix;    /* "keybus" */
  const char *discovery; /* "homeassistant" */
  const char *id;        /* device id */
  unsigned zones;        /* zone lights exposed, 0..KB_PNL_ZONES (8 for a PK5508) */
  const char *version;   /* keybus version for the device block */
} kd_keypad_cfg_t;

typedef enum {
  KD_KEYPAD_APPLIED = 0, /* applied; a state to publish may be set */
  KD_KEYPAD_BAD          /* a malformed command: nothing changed */
} kd_keypad_rc_t;

/* The one command topic the role subscribes to (NULL: too small). */
const char *kd_keypad_sub(const kd_keypad_cfg_t *c, char *buf, size_t n);

/* The event for key `code`: 0, or -1 (no key / buffers too small). */
int kd_keypad_key_msg(const kd_keypad_cfg_t *c, uint8_t code, char *topic, size_t tn,
                      char *payload, size_t pn);

/* Applies one message of the command topic (payload NUL-terminated). On
 * KD_KEYPAD_APPLIED for a light or a zone, state_topic/state hold the
 * retained state to publish (state_topic[0] = 0 when there is none). */
kd_keypad_rc_t kd_keypad_command(const kd_keypad_cfg_t *c, kb_pnl_t *p, const char *payload,
                                 char *state_topic, size_t tn, char *state, size_t sn);

/* Entities: the key event, one select per light, one per zone light, and
 * numbers for beep, buzzer and the status code. */
unsigned kd_keypad_entities(const kd_keypad_cfg_t *c);

/* Discovery document of entity i: 0, or -1 (i out of range, too small). */
int kd_keypad_discovery(const kd_keypad_cfg_t *c, unsigned i, char *topic, size_t tn, char *doc,
                        size_t dn);

/* Retained state of entity i (lights and zones, from p): 1 written, 0 none
 * (the entity has no state), -1 too small. */
int kd_keypad_state(const kd_keypad_cfg_t *c, const kb_pnl_t *p, unsigned i, char *topic,
                    size_t tn, char *payload, size_t pn);

#endif /* KD_KEYPAD_H_ */
