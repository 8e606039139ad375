/* SPDX-License-Identifier: MIT
 *
 * kb_module.h - typed decode of module replies to panel queries.
 *
 * What it promises
 *   kb_module_reply_decode() (named for what it decodes: the reply a module
 *   sends to a panel query; kb_decode_module() in kb_decode.h is the frame
 *   check and key decode of any module data, and calls this one for query
 *   replies) looks at the module data captured under one panel
 *   query (0x11 supervision, 0x22/0x28/0x33/0x39 and 0xE6.08/0A/0C/0E zone
 *   expanders, 0x41 wireless module, 0x4C tamper, 0x57 wireless keys, 0x58
 *   module status, 0x70 LCD data entry, 0xD5 keypad zones, 0x94 programming)
 *   and fills a kb_mod_reply_t: which reply it is, the verdict of the module
 *   checksum where modules are seen to send one, and the fields the protocol
 *   notes establish (notes §4.7). Every field is active low on the bus: a
 *   condition is reported when its bits are 0; a silent module reads 0xFF and
 *   reports nothing. Bit patterns the notes do not explain are not guessed at;
 *   they are at most flagged as "other". Keys, alarm keys and notification
 *   bits of status commands are not handled here (see kb_decode.h), nor is
 *   text (see src/host/kb_module_text.h).
 *
 * Who may call: any context. The functions are pure: no state, no allocation,
 *   no I/O; they read only the bytes given and write only *out.
 *
 * Trust model: bus bytes are untrusted. For any input no byte at or beyond
 *   min(nbytes, 16) is read. A reply shorter than its query's frame length
 *   (notes §2.4) is flagged `truncated` and carries no fields.
 */
#ifndef KB_MODULE_H_
#define KB_MODULE_H_

#include <stdint.h>

#include "keybus/kb_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which reply a kb_mod_reply_t holds (chosen by the panel command). */
typedef enum {
  KB_MOD_NONE = 0,         /* not a query this unit decodes */
  KB_MOD_SUPERVISION,      /* 0x11 */
  KB_MOD_EXPANDER,         /* 0x22 / 0x28 / 0x33 / 0x39, 0xE6.08 / 0A / 0C / 0E */
  KB_MOD_WIRELESS_BATTERY, /* 0x41 */
  KB_MOD_TAMPER,           /* 0x4C */
  KB_MOD_WIRELESS_KEY,     /* 0x57 */
  KB_MOD_MODULE_STATUS,    /* 0x58 */
  KB_MOD_LCD_DATA,         /* 0x70 */
  KB_MOD_KEYPAD_ZONE,      /* 0xD5 */
  KB_MOD_PROGRAMMING,      /* 0x94: content unknown, no fields */
  KB_MOD_KIND_COUNT
} kb_mod_kind_t;

/* Module checksum verdict. Same values as kb_csum_t (kb_decode.h). The module
 * checksums are an observation from captures (notes §2.3, §10.1 item 11), so a
 * bad one does not suppress the fields; the caller decides. */
#define KB_MOD_CSUM_NONE 0u /* reply kind has no checksum, or it was not captured */
#define KB_MOD_CSUM_OK 1u
#define KB_MOD_CSUM_BAD 2u

/* Zone state in an expander reply (2-bit field of the "current" byte). */
typedef enum {
  KB_MOD_ZONE_OPEN = 0,
  KB_MOD_ZONE_CLOSED = 1,
  KB_MOD_ZONE_TAMPER = 2,
  KB_MOD_ZONE_OPEN_DEOL = 3 /* open, as the reference names it for D/EOL wiring */
} kb_mod_zone_state_t;

/* State of one device in a tamper reply. */
typedef enum {
  KB_MOD_TAMPER_NONE = 0,    /* nothing reported (or a pattern with no decode) */
  KB_MOD_TAMPER_ACTIVE = 1,  /* nibble 00xx: tampered (0000: still tampered) */
  KB_MOD_TAMPER_RESTORED = 2 /* nibble 1100: tamper restored */
} kb_mod_tamper_t;

/* Flags of mstat.flags (0x58 reply; the notes name the PC5204 for byte 2). */
#define KB_MOD_MS_BATTERY_RESTORED 0x01u /* byte 2 b1..0 = 00 */
#define KB_MOD_MS_BATTERY_TROUBLE 0x02u  /* byte 2 b3..2 = 00 */
#define KB_MOD_MS_AC_RESTORED 0x04u      /* byte 2 b5..4 = 00 */
#define KB_MOD_MS_AC_TROUBLE 0x08u       /* byte 2 b7..6 = 00 */
#define KB_MOD_MS_OUT1_RESTORED 0x10u    /* byte 3 b1..0 = 00 */
#define KB_MOD_MS_OUT1_TROUBLE 0x20u     /* byte 3 b3..2 = 00 */

typedef struct {
  uint8_t zone;  /* absolute zone number 1..64 */
  uint8_t state; /* kb_mod_zone_state_t */
} kb_mod_zone_t;

typedef struct {
  uint8_t kind;      /* kb_mod_kind_t */
  uint8_t csum;      /* KB_MOD_CSUM_*: 0x22.., 0xE6.08.. nibble rule; 0x41, 0x57, 0x70 sum rule */
  uint8_t truncated; /* 1: fewer bytes than the query's frame length; no fields */
  uint8_t silent;    /* 1: every reply byte (2 .. nbytes-1) read 0xFF */
  union {
    /* 0x11: a 2-bit field of 00 (4-bit field of 0000 in the early layout's
     * expander fields) = module present. */
    struct {
      uint8_t later;     /* 1: later-generation layout (frame longer than 7 bytes) */
      uint8_t keypads;   /* bit s-1 = keypad slot s (1..8) present */
      uint8_t expanders; /* bit n-1 = zone expander n (1..7 later, 1..3 early) present */
      uint8_t rf5132, pc5208, pc5204; /* 1 = present (early PC5208 field is [uncertain]) */
    } sup;
    /* 0x22 / 0x28 / 0x33 / 0x39 / 0xE6.08 / 0A / 0C / 0E: zones whose field
     * differs between the current and the previous byte. */
    struct {
      uint8_t expander;   /* 0..7 */
      uint8_t zone_first; /* first zone of the expander: 1, 9, ... 57 */
      uint8_t nchanged;   /* entries used in changed[] (0..8), ascending zone order */
      kb_mod_zone_t changed[8];
    } exp;
    /* 0x41: bit z-1 = zone z (1..32). */
    struct {
      uint32_t low, restored;
    } wbat;
    /* 0x4C */
    struct {
      uint8_t keypad_tamper, keypad_restored; /* bit s-1 = keypad slot s (1..8) */
      uint8_t module_tamper, module_restored; /* bit s-9 = module slot s (9..14, 16) */
      uint8_t rf5132, pc5208, pc5204;         /* kb_mod_tamper_t */
    } tamper;
    /* 0x57: bit k-1 = wireless key k (1..16). */
    struct {
      uint16_t low, restored;
    } wkey;
    /* 0x58 */
    struct {
      uint8_t flags; /* KB_MOD_MS_* */
      uint8_t other; /* 1: bits the notes do not explain are pulled low */
    } mstat;
    /* 0x70: module bytes 2..5 as sent; 8 digits, high nibble first. */
    struct {
      uint8_t digits[4];
    } lcd;
    /* 0xD5: bit s-1 = keypad slot s (1..8). A slot whose byte is not 0xFF
     * is in exactly one of the three maps. */
    struct {
      uint8_t open, closed, other;
    } kzone;
  } u;
} kb_mod_reply_t;

/* The reply kind a panel query expects (KB_MOD_NONE for other commands).
 * under_sub (panel byte 2) matters only for under = 0xE6. */
uint8_t kb_module_kind(uint8_t under, uint8_t under_sub);

/* Decodes the module bytes b[0..nbytes-1] (document convention: b[1] = stop
 * bit slot, reply from b[2]) captured under panel command `under` (and
 * `under_sub` = panel byte 2 for 0xE6). nbytes = complete bytes captured;
 * bytes beyond 16 are ignored. b may be NULL when nbytes is 0. *out is always
 * fully written (zeroed first). */
void kb_module_reply_decode(uint8_t under, uint8_t under_sub, const uint8_t *b, uint8_t nbytes,
                      kb_mod_reply_t *out);

#ifdef __cplusplus
}
#endif

#endif /* KB_MODULE_H_ */
