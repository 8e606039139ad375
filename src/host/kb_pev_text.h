/* SPDX-License-Identifier: MIT
 *
 * kb_pev_text.h - names and English text for decoded panel events (kb_pev.h).
 *
 * What it promises
 *   kb_pev_kind_name() gives each kind a short, stable snake_case identifier
 *   (for JSON and logs; never renamed once released). kb_pev_number_label()
 *   says what the event's number is ("zone", "code", ...). kb_pev_format()
 *   writes our own one-line description.
 *
 * Who may call it
 *   Hosted code, any thread: pure functions over const tables (kb_pev_format
 *   writes only into the caller's buffer).
 */
#ifndef KB_PEV_TEXT_H_
#define KB_PEV_TEXT_H_

#include <stddef.h>

#include "keybus/kb_pev.h"

#ifdef __cplusplus
extern "C" {
#endif

/* snake_case identifier, e.g. "zone_alarm"; "unknown" for KB_PEV_UNKNOWN and
 * for values outside the enum. Never NULL. */
const char *kb_pev_kind_name(kb_pev_kind_t kind);

/* What kb_pev_t.number means for this kind: "zone", "code" (access code),
 * "keypad" (slot), "expander", "output", "phone"; NULL when the kind has no
 * number. */
const char *kb_pev_number_label(kb_pev_kind_t kind);

/* One-line English description, e.g. "Zone 3 alarm", "Disarmed by access
 * code 40 (master)", "Unknown event (set 0x02, code 0x05)". snprintf
 * semantics: writes at most n bytes including the terminating NUL (nothing
 * when n is 0) and returns the length the whole text has. */
size_t kb_pev_format(const kb_pev_t *ev, char *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* KB_PEV_TEXT_H_ */
