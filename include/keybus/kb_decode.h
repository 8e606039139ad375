/* SPDX-License-Identifier: MIT
 *
 * kb_decode.h - frame checks and the typed PowerSeries decode of one frame.
 *
 * What it promises
 *   kb_decode_panel() and kb_decode_module() look at one captured frame and
 *   fill a kb_decoded_t: the verdict of the frame checks (length table with
 *   the known variants, panel stop bit, checksum for the commands that carry
 *   one) and, for a usable frame, the typed fields it carries (partition
 *   lights/status, open zones, zone lights of the programming statuses,
 *   date/time, panel event, keys, PGM outputs, panel configuration, bell,
 *   beeps/tones/buzzer, flashing lights, enabled zones, the trouble flags of
 *   0xE6.1A and 0xC3, the query a frame makes and the module reply to it).
 *   Everything a frame means is here, typed: the host's text and JSON
 *   views only render these fields. They keep no state, never read past the bit count given
 *   and never write past the struct. Unknown commands and bytes stay visible:
 *   the caller still has the raw bytes, and the verdict says "unknown".
 *   Text is not made here (see src/host).
 *
 * Who may call: any context (pure functions); normally the task.
 *
 * Trust model: bus bytes are untrusted. For any input: no read beyond
 * min(bytes given, KB_FRAME_BYTES); counts stay within the arrays below;
 * a frame that fails a check carries no fields (has == 0).
 */
#ifndef KB_DECODE_H_
#define KB_DECODE_H_

#include <stdbool.h>
#include <stdint.h>

#include "keybus/kb_config.h"
#include "keybus/kb_module.h"
#include "keybus/kb_pev.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { KB_SRC_PANEL = 0, KB_SRC_MODULE = 1 } kb_source_t;

/* Verdict of the frame checks, in the order they are applied. */
typedef enum {
  KB_CHECK_OK = 0,   /* usable */
  KB_CHECK_RUNT,     /* fewer than 8 bits: not even a command byte */
  KB_CHECK_FRAMING,  /* panel stop bit (byte 1) is 1 */
  KB_CHECK_LENGTH,   /* complete bytes do not match the command's length(s) */
  KB_CHECK_CHECKSUM, /* the command carries a checksum and it does not add up */
  KB_CHECK_UNKNOWN,  /* command not in the protocol notes (raw bytes only) */
  KB_CHECK_COUNT
} kb_check_t;

typedef enum { KB_CSUM_NONE = 0, KB_CSUM_OK, KB_CSUM_BAD } kb_csum_t;

typedef enum {
  KB_ALARM_KEY_NONE = 0,
  KB_ALARM_KEY_FIRE,
  KB_ALARM_KEY_AUX,
  KB_ALARM_KEY_PANIC
} kb_alarm_key_t;

/* Flags of kb_decoded_t.has: which fields are filled. */
#define KB_HAS_PARTS 0x0001u     /* part[]: lights/status per partition */
#define KB_HAS_ZONES 0x0002u     /* zones[]: open zones zone_first.. */
#define KB_HAS_TIME 0x0004u      /* time: panel date/time */
#define KB_HAS_EVENT 0x0008u     /* event, event_parts, event_number */
#define KB_HAS_KEYS 0x0010u      /* key[]: keypad keys in partition slots */
#define KB_HAS_ALARM_KEY 0x0020u /* alarm_key: keypad fire/aux/panic */
#define KB_HAS_VERSION 0x0040u   /* 0x16 layout 0x0E: version, code_digits, wiring, installer_off */
#define KB_HAS_PGM 0x0080u       /* pgm, pgm_flags: PGM outputs 1-14 (0x87) */
#define KB_HAS_NOTIFY 0x0100u    /* notify: module "please query me" bits */
#define KB_HAS_AC 0x0200u        /* 0xE6.1A panel status: ac_trouble, alarm_parts,
                                    panel_flags (KB_PANEL_TIME_LOST/COMM/FIRE) */
#define KB_HAS_ZONE_LIGHTS 0x0400u /* zone_lights[]: zone lights of a programming status
                                      (0x0A/0x0F, 0xE6.01-06/20/21), part[0] says whose */
#define KB_HAS_FLASH 0x0800u     /* flash_lights, zset[0]: flashing lights and zones
                                    (0x5D/0x63, 0xE6.17/18) */
#define KB_HAS_SOUND 0x1000u     /* sound: beeps, tone or buzzer (0x64/69, 0x75/7A,
                                    0x7F/82, 0xE6.19/1D/1F) */
#define KB_HAS_BELL 0x2000u      /* bell (0xBB) */
#define KB_HAS_DIALER 0x4000u    /* panel_flags (KB_PANEL_PHONE/DIALING/LOCKOUT) of 0xC3
                                    in its known layout (byte 3 = 0xFF) */
#define KB_HAS_ENABLED 0x8000u   /* zset[0..nzset-1]: zones assigned to partitions
                                    (0xB1, 0xE6.2B/2C) */
#define KB_HAS_QUERY 0x10000ul   /* query, expander: a module query (the reply it asks for) */
#define KB_HAS_DISPLAY 0x20000ul /* display[]: LCD keypad digits (0x6E) */
#define KB_HAS_PROG 0x40000ul    /* prog_target, prog_function (0x8D; 0x94: target only) */
#define KB_HAS_LAYOUT 0x80000ul  /* layout: byte 2 of a 0x16 or 0xCE whose layout is not known */
#define KB_HAS_REPLY 0x100000ul  /* reply: typed module reply to a query (module frames) */

/* kb_decoded_t.panel_flags and kb_status_t.panel_flags: system conditions
 * the panel reports in 0xE6.1A (byte 6) and 0xC3 (byte 2). Each frame owns
 * its bits: KB_PANEL_E6_MASK / KB_PANEL_DIALER_MASK. */
#define KB_PANEL_TIME_LOST 0x01u  /* 0xE6.1A b3: system time lost */
#define KB_PANEL_COMM 0x02u       /* 0xE6.1A b6: failure to communicate */
#define KB_PANEL_FIRE 0x04u       /* 0xE6.1A b7: fire alarm */
#define KB_PANEL_PHONE 0x08u      /* 0xC3 b4: phone line trouble or dialing (TLM) */
#define KB_PANEL_DIALING 0x10u    /* 0xC3 b3: dialer call attempt [uncertain, §3.31] */
#define KB_PANEL_LOCKOUT 0x20u    /* 0xC3 b5: keypad lockout */
#define KB_PANEL_E6_MASK (KB_PANEL_TIME_LOST | KB_PANEL_COMM | KB_PANEL_FIRE)
#define KB_PANEL_DIALER_MASK (KB_PANEL_PHONE | KB_PANEL_DIALING | KB_PANEL_LOCKOUT)
#define KB_PANEL_FLAG_COUNT 6

/* kb_decoded_t.pgm_flags (0x87 byte 3). */
#define KB_PGM_MIDNIGHT 0x01u      /* b2: activates at midnight */
#define KB_PGM_BATTERY_CHECK 0x02u /* b3: battery check when arming */

/* kb_decoded_t.wiring (0x16 byte 4 b1..b0). */
typedef enum { KB_WIRING_NONE = 0, KB_WIRING_NC, KB_WIRING_EOL, KB_WIRING_DEOL } kb_wiring_t;

/* kb_dec_sound_t.kind */
typedef enum { KB_SOUND_BEEP = 1, KB_SOUND_TONE, KB_SOUND_BUZZER } kb_sound_t;

/* Module notification bits (module data of status commands, notes §4.4). */
#define KB_NOTIFY_EXPANDER(n) (1ul << (n)) /* zone expander n = 0..7 */
#define KB_NOTIFY_WIRELESS_BATTERY (1ul << 8)
#define KB_NOTIFY_MODULE_TAMPER (1ul << 9)
#define KB_NOTIFY_WIRELESS_KEY (1ul << 10)
#define KB_NOTIFY_MODULE_STATUS (1ul << 11)
#define KB_NOTIFY_KEYPAD_ZONE (1ul << 12)
#define KB_NOTIFY_WIRELESS (1ul << 13)
#define KB_NOTIFY_KEYPAD (1ul << 14)
#define KB_NOTIFY_CHIME_BROADCAST (1ul << 15)
#define KB_NOTIFY_LABEL_BROADCAST (1ul << 16)
#define KB_NOTIFY_IDLE_SHIFT 24 /* bits 24..31: keypad on partition p going idle (0x1B) */

typedef struct {
  uint8_t partition; /* 1..8 */
  uint8_t lights;    /* §3.2 bits */
  uint8_t status;    /* §3.3 code */
} kb_dec_part_t;

typedef struct {
  uint8_t partition; /* 1..8 */
  uint8_t code;      /* §4.2 key code */
} kb_dec_key_t;

/* A keypad sound command (KB_HAS_SOUND). */
typedef struct {
  uint8_t kind;       /* kb_sound_t */
  uint8_t parts;      /* partition mask (b0 = partition 1) */
  uint8_t beeps;      /* BEEP: number of beeps (byte / 2); TONE: beeps per pattern 0-7 */
  uint8_t constant;   /* TONE: 1 = constant tone */
  uint8_t interval_s; /* TONE: seconds between patterns, 0-15 */
  uint8_t seconds;    /* BUZZER: duration in seconds */
} kb_dec_sound_t;     /* TONE with beeps, constant and interval 0 = tone off */

/* 32 zones of some partitions (KB_HAS_FLASH, KB_HAS_ENABLED). */
typedef struct {
  uint8_t parts;    /* partition mask (b0 = partition 1) */
  uint8_t first;    /* zone of b0 of zones[0]: 1 or 33 */
  uint8_t zones[4]; /* b0 of [0] = first, ..., b7 of [3] = first + 31 */
} kb_dec_zones_t;

/* Why the status model would use this frame's partition bytes. */
typedef enum {
  KB_PARTS_NONE = 0,
  KB_PARTS_STATUS,      /* 0x05 / 0x1B: repeated continuously, no checksum */
  KB_PARTS_ZONE_STATUS, /* 0x27 / 0x2D / 0x34 / 0x3E: checksummed */
  KB_PARTS_PROGRAMMING  /* 0x0A / 0x0F / 0xE6 programming: not applied to status */
} kb_parts_kind_t;

/* One decoded frame. The header fields (cmd .. parts_kind, nparts, nkeys,
 * alarm_key, notify, zone_first/count, event_parts, event_number) are always
 * set; every other field is valid only when its KB_HAS_* flag is in `has`
 * (the flag next to each field below). */
typedef struct {
  uint8_t cmd;      /* panel command (for module frames: the command answered) */
  uint8_t sub;      /* 0xE6 sub-command (byte 2), else 0 */
  uint8_t source;   /* kb_source_t */
  uint8_t check;    /* kb_check_t */
  uint8_t csum;     /* kb_csum_t */
  uint8_t nbytes;   /* complete bytes, document convention (byte 1 = stop bit) */
  uint8_t trailing; /* bits after the last complete byte */
  uint8_t early;    /* 6-byte 0x05: early-generation panel */
  uint32_t has;     /* KB_HAS_* */
  uint8_t parts_kind; /* kb_parts_kind_t */
  uint8_t nparts;
  kb_dec_part_t part[4];
  uint8_t zone_first; /* first zone of zones[] (1, 9, 17, 25, 33, ...) */
  uint8_t zone_count; /* zones covered (8) */
  uint8_t zones;      /* open zones, b0 = zone_first */
  kb_time_t time;     /* KB_HAS_TIME; also set (zero) with KB_HAS_EVENT of 0xCE */
  kb_pev_t event;
  uint8_t event_parts;   /* partition bit mask of the event (b0 = partition 1), 0 = system */
  uint16_t event_number; /* 0xAA / 0xEC event-buffer entry number; KB_EVENT_LIVE = live event */
  uint8_t nkeys;
  kb_dec_key_t key[4];
  uint8_t alarm_key; /* kb_alarm_key_t */
  uint8_t version;   /* VERSION: 0x16 byte 3, BCD */
  uint8_t code_digits; /* VERSION: 0x16 byte 4 b3: 6 when set, else 4 */
  uint8_t wiring;      /* VERSION: kb_wiring_t, 0x16 byte 4 b1..b0 */
  uint8_t installer_off; /* VERSION: 0x16 byte 4 b4: installer programming locked out */
  uint8_t zone_lights_first; /* first zone of zone_lights[] (1 or 33) */
  uint8_t zone_lights[4];    /* b0 of [0] = zone_lights_first, ..., b7 of [3] = first + 31 */
  uint16_t pgm;      /* PGM: bit n-1 = PGM n on (n = 1..14) */
  uint8_t pgm_flags; /* PGM: KB_PGM_* */
  uint8_t ac_trouble;  /* AC: 0xE6.1A byte 6 b4 */
  uint8_t alarm_parts; /* AC: partitions in alarm (0xE6.1A byte 4, b0 = partition 1) */
  uint8_t panel_flags; /* AC: KB_PANEL_E6_MASK bits; DIALER: KB_PANEL_DIALER_MASK bits */
  uint8_t bell;        /* BELL: 1 = bell on (0xBB byte 2 b5) */
  uint8_t flash_lights; /* FLASH: flashing status lights (§3.2 bits) of zset[0].parts */
  uint8_t nzset;       /* FLASH / ENABLED: entries of zset[] used (1, or 2 for 0xB1) */
  kb_dec_zones_t zset[2];
  kb_dec_sound_t sound; /* SOUND */
  uint8_t query;       /* QUERY: kb_mod_kind_t of the reply the panel asks for */
  uint8_t expander;    /* QUERY: zone expander 0-7 (query KB_MOD_EXPANDER) */
  uint8_t display[4];  /* DISPLAY: 8 digits, high nibble of [0] first */
  uint8_t prog_target; /* PROG: byte 2 (0x11 RF5132, ... 0x31 *5 codes: §3.26) */
  uint8_t prog_function; /* PROG: byte 3 (0x8D only) */
  uint8_t layout;      /* LAYOUT: byte 2 of a frame whose layout is not known */
  uint32_t notify;   /* KB_NOTIFY_* */
  kb_mod_reply_t reply; /* REPLY */
} kb_decoded_t;

/* ------------------------------------------------------------ API */

/* Complete bytes (document convention) in a frame of `bits` bits:
 * (bits - 1) / 8 + 1 for bits >= 9, 1 for 8 bits, 0 below. Inline: the
 * task path asks for it several times per frame. */
static inline uint8_t kb_decode_nbytes(uint16_t bits) {
  if (bits < 9) return bits < 8 ? 0 : 1;
  return (uint8_t)(bits > 2033u ? 255u : (bits - 1u) / 8u + 1u);
}

/* The frame lengths (complete bytes, notes §2.4) of cmd (and sub for 0xE6):
 * the shortest in *a and the longest in *b (the same when only one is known).
 * False for commands the notes do not describe. */
bool kb_decode_lengths(uint8_t cmd, uint8_t sub, uint8_t *a, uint8_t *b);

/* Length (complete bytes) a frame of this command has when a log gives up
 * to `max` values that may include padding: the longest length the notes
 * allow for cmd (and sub) that fits in max; 0 when the command is unknown or
 * no allowed length fits. */
uint8_t kb_decode_frame_len(uint8_t cmd, uint8_t sub, uint8_t max);

/* True if `code` is the key code of a digit 0-9 (notes §4.2). Digits may be
 * part of an access code: whoever reports keys masks them. */
bool kb_decode_key_is_digit(uint8_t code);

/* True if cmd (and sub for 0xE6) carries a checksum (notes §2.2). */
bool kb_decode_has_checksum(uint8_t cmd, uint8_t sub);

/* Checks and decodes a panel frame. b: the captured bytes (b[1] = stop bit),
 * avail: how many of them are present, bits: the bit count as captured
 * (trailing bits included). A 6-byte 0x05 decodes as an early-generation
 * frame (partitions 1-2), a 10-byte one as later (1-4). */
void kb_decode_panel(const uint8_t *b, uint8_t avail, uint16_t bits, kb_decoded_t *out);

/* Decodes module data captured under panel command `under` (and `under_sub`
 * = panel byte 2 for 0xE6; under = 0 when not known). Module frames have no
 * checksum or stop-bit rule; the verdict is RUNT below 8 bits, UNKNOWN when
 * `under` is not a command of the notes, LENGTH when the frame is longer
 * than that command's frames (shorter is a partial capture), else OK. Fills keys,
 * alarm_key and notify; a reply to a query (0x11, 0x22..., 0x41, 0x4C, 0x57,
 * 0x58, 0x70, 0x94, 0xD5) also fills `reply` (KB_HAS_REPLY), decoded by
 * kb_module_reply_decode(). */
void kb_decode_module(uint8_t under, uint8_t under_sub, const uint8_t *b, uint8_t avail,
                      uint16_t bits, kb_decoded_t *out);

/* kb_decode_module() without the query reply (never KB_HAS_REPLY): checks,
 * keys, alarm key and notification bits. The engine's path for frames whose
 * decode nobody asked to see: it decodes the one reply it tracks (0x11
 * supervision) itself, and only when the reply changed. */
void kb_decode_module_keys(uint8_t under, uint8_t under_sub, const uint8_t *b, uint8_t avail,
                           uint16_t bits, kb_decoded_t *out);

#ifdef __cplusplus
}
#endif

#endif /* KB_DECODE_H_ */
