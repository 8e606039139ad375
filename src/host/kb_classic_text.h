/* SPDX-License-Identifier: MIT
 *
 * kb_classic_text.h - KeybusReader's Classic series output, one line at a
 * time (host only): parse it into frames for kb_classic, and print frames
 * back in the same layout.
 *
 * Lines recognised (classic-and-keypad.md A8):
 *   panel   "[<t>: ]<D0> <D1> <P0> <P1> [Panel] <text>"
 *   keypad  "[<t>: ]<K0> <K1> [Keypad] <text>"
 * where each byte is 8 binary digits, <t> is KeybusReader's "<secs>.<frac>"
 * (an Arduino serial-monitor prefix "hh:mm:ss.mmm -> " may come first, and
 * is the time when <t> is absent). The text after the tag is KeybusReader's
 * own decode: it is not trusted (the bytes are decoded again), except that a
 * keypad line naming a key that is not the one its K0 carries is an error.
 * Also: "Keybus connected" / "Keybus disconnected", '#' comments ("# capture
 * NAME" starts a new capture), blank lines. Anything else is ignored.
 *
 * Who may call: any host code; nothing is kept between calls.
 */
#ifndef KB_HOST_CLASSIC_TEXT_H_
#define KB_HOST_CLASSIC_TEXT_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  KB_CLT_IGNORED = 0, /* not a Classic line (or a comment, a blank line) */
  KB_CLT_PANEL,       /* b[0..3] = D0 D1 P0 P1 */
  KB_CLT_KEYPAD,      /* b[0..1] = K0 K1 */
  KB_CLT_SECTION,     /* "# capture ...": name/name_len */
  KB_CLT_CONNECTED,
  KB_CLT_DISCONNECTED,
  KB_CLT_ERROR        /* a frame-looking line that is malformed: err */
} kb_clt_kind_t;

typedef struct {
  kb_clt_kind_t kind;
  uint8_t b[4];
  bool has_time;
  double t;       /* seconds */
  int t_res_ms;   /* resolution of t: 1, 10, 100 or 1000 ms */
  const char *name; /* SECTION: points into the line, not terminated */
  size_t name_len;
  char err[96];   /* ERROR: what is wrong */
} kb_clt_line_t;

/* Parses one line (len bytes, no terminator needed; a trailing "\r\n" is
 * fine). Never reads past len. Returns out->kind. */
kb_clt_kind_t kb_clt_parse(const char *line, size_t len, kb_clt_line_t *out);

/* KeybusReader's names of the D1 lights (bit 7 first) and of the P1 bits
 * (bit 7 first); i = 0..7. */
const char *kb_clt_light_name(unsigned i);
const char *kb_clt_pc16_name(unsigned i);

/* The key a K0 code stands for as KeybusReader prints it ("0".."9", "*",
 * "#", "Fire alarm", "Aux alarm", "Panic alarm"); NULL for none/unknown. */
const char *kb_clt_key_name(uint8_t k0);

/* The line's text after the time: "<D0> <D1> <P0> <P1> [Panel] Lights: ...
 * | Status: ... | Zones open: ...[ | Zone alarm: ...][ | Fire alarm]".
 * Returns the length it needed (snprintf-like; buf always terminated). */
size_t kb_clt_format_panel(const uint8_t b[4], char *buf, size_t n);

/* "<K0> <K1> [Keypad] <key>" (key "unknown" for a code not in the table). */
size_t kb_clt_format_keypad(uint8_t k0, uint8_t k1, char *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif
