/* SPDX-License-Identifier: MIT
 *
 * kb_module_text.h - English text for a decoded module reply (kb_module.h).
 *
 * What it promises
 *   kb_module_format() writes one line (no newline) describing a
 *   kb_mod_reply_t in the project's own wording: the reported conditions,
 *   separated by " | ", then a note when the module checksum is bad or the
 *   reply was truncated. It reads only *r and writes at most n bytes of buf.
 *
 * Who may call: host code, any thread (no state).
 */
#ifndef KB_MODULE_TEXT_H_
#define KB_MODULE_TEXT_H_

#include <stddef.h>

#include "keybus/kb_module.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes the text into buf (always NUL-terminated when n > 0, cut short if it
 * does not fit) and returns the number of characters written, excluding the
 * NUL. Returns 0 when n is 0 or r/buf is NULL. */
size_t kb_module_format(const kb_mod_reply_t *r, char *buf, size_t n);

/* Short English name of a kb_mod_kind_t ("zone expander", ...); never NULL. */
const char *kb_module_kind_name(uint8_t kind);

#ifdef __cplusplus
}
#endif

#endif /* KB_MODULE_TEXT_H_ */
