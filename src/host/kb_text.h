/* SPDX-License-Identifier: MIT
 *
 * kb_text.h - our own English for what the engine reports (host only).
 *
 * The engine gives typed data; this module turns it into short text for
 * keybus-reader, logs and the daemon. Every function writes at most n bytes
 * (always NUL-terminated when n > 0) and returns the length it wanted, like
 * snprintf. Wording is ours; it does not reproduce any other tool's output.
 */
#ifndef KB_HOST_TEXT_H_
#define KB_HOST_TEXT_H_

#include <stddef.h>
#include <stdint.h>

#include "keybus/kb_decode.h"
#include "keybus/kb_engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Lowercase light name of bit 0..7 (ready, armed, memory, bypass, trouble,
 * program, fire, backlight). */
const char *kb_text_light(unsigned bit);

/* Meaning of a partition status byte (§3.3), NULL when unknown. */
const char *kb_text_status(uint8_t status);

/* Label of a keypad key code (§4.2): "1", "*", "#", "arm stay", ...; NULL
 * when unknown. */
const char *kb_text_key(uint8_t code);

/* Bracket label of a frame: "0x05", "0xE6.1A". */
size_t kb_text_label(const kb_decoded_t *d, char *buf, size_t n);

/* Description of one frame (panel or module), rendered from its typed
 * decode alone: everything a frame means is a field of kb_decoded_t. A
 * partition that is not in use (kb_proto_part_in_use()) reads "disabled". */
size_t kb_text_frame(const kb_decoded_t *d, char *buf, size_t n);

/* Name of one KB_PANEL_* flag ("keypad lockout", ...); "?" for anything else. */
const char *kb_text_panel_flag(uint8_t flag);

/* Name of a kb_device_t ("keypad", "zone expander", ...); "?" when unknown. */
const char *kb_text_device(uint8_t device);

/* True for the events that are changes of the panel's state worth a status
 * line: not frame errors, noise rejections or key presses, not the raw
 * bytes of a partition that is not in use (its "disabled" event says it),
 * and not (yet) the types issue 7 added (KB_EV_BELL and after), which keep
 * --status output as it was; kb_text_event() renders them all. */
int kb_text_event_is_change(const kb_event_t *ev);

/* One line for a status change (keybus-reader --status). */
size_t kb_text_event(const kb_event_t *ev, char *buf, size_t n);

/* Name of a frame-check verdict: "ok", "checksum error", ... */
const char *kb_text_check(uint8_t check);

#ifdef __cplusplus
}
#endif

#endif /* KB_HOST_TEXT_H_ */
