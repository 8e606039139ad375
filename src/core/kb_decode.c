/* SPDX-License-Identifier: MIT
 * Frame checks and typed decode of one PowerSeries frame (notes §2-§4). */
#include "keybus/kb_decode.h"

#include <string.h>

#include "keybus/kb_proto.h"

bool kb_decode_key_is_digit(uint8_t code) {
  switch (code) {
    case KB_KEY_0: case KB_KEY_1: case KB_KEY_2: case KB_KEY_3: case KB_KEY_4:
    case KB_KEY_5: case KB_KEY_6: case KB_KEY_7: case KB_KEY_8: case KB_KEY_9:
      return true;
    default:
      return false;
  }
}

/* Frame lengths and checksums of the notes (§2.2, §2.4) as one table, read
 * for every frame: an entry is the shortest length in the high nibble, the
 * longest in the low one (0x00 = a command the notes do not describe); the
 * commands without a checksum are listed in NO_CSUM. */
#define L(a, b) (uint8_t)(((a) << 4) | (b))
static const uint8_t cmd_len[256] = {
    [0x05] = L(6, 10), [0x0A] = L(10, 10), [0x0F] = L(10, 10), [0x11] = L(7, 9),
    [0x16] = L(6, 6),  [0x1B] = L(10, 10), [0x1C] = L(2, 2),   [0x22] = L(7, 7),
    [0x27] = L(8, 8),  [0x28] = L(7, 7),   [0x2D] = L(8, 8),   [0x33] = L(7, 7),
    [0x34] = L(8, 8),  [0x39] = L(7, 7),   [0x3E] = L(8, 8),   [0x41] = L(11, 11),
    [0x4C] = L(13, 15), [0x57] = L(11, 11), [0x58] = L(6, 14), [0x5D] = L(8, 8),
    [0x63] = L(8, 8),  [0x64] = L(4, 4),   [0x69] = L(4, 4),   [0x6E] = L(7, 7),
    [0x70] = L(7, 7),  [0x75] = L(4, 4),   [0x7A] = L(4, 4),   [0x7F] = L(4, 4),
    [0x82] = L(4, 4),  [0x87] = L(5, 5),   [0x8D] = L(10, 10), [0x94] = L(11, 11),
    [0x9E] = L(7, 7),  [0xA5] = L(9, 9),   [0xAA] = L(9, 9),   [0xB1] = L(11, 11),
    [0xBB] = L(5, 5),  [0xC3] = L(5, 5),   [0xCE] = L(8, 8),   [0xD5] = L(10, 10),
    [0xEB] = L(11, 11), [0xEC] = L(11, 11),
};
/* 0xE6 sub-commands 0x00-0x2F (0x25, 0x41 and others: structure unknown). */
static const uint8_t e6_len[0x30] = {
    [0x01] = L(11, 11), [0x02] = L(11, 11), [0x03] = L(11, 11), [0x04] = L(11, 11),
    [0x05] = L(11, 11), [0x06] = L(11, 11), [0x08] = L(9, 9),   [0x09] = L(5, 5),
    [0x0A] = L(9, 9),   [0x0B] = L(5, 5),   [0x0C] = L(9, 9),   [0x0D] = L(5, 5),
    [0x0E] = L(9, 9),   [0x0F] = L(5, 5),   [0x17] = L(10, 10), [0x18] = L(10, 10),
    [0x19] = L(6, 6),   [0x1A] = L(11, 11), [0x1D] = L(6, 6),   [0x1F] = L(6, 6),
    [0x20] = L(11, 11), [0x21] = L(11, 11), [0x2B] = L(9, 9),   [0x2C] = L(9, 9),
};
#undef L

/* The commands without a checksum (§2.2), one bit per command (bit c % 8
 * of byte c / 8): a lookup, not a switch, on every frame's path. */
#define NC(c) (uint8_t)(1u << ((c) & 7u))
static const uint8_t no_csum[32] = {
    [0x05 / 8] = NC(0x05),
    [0x11 / 8] = NC(0x11),
    [0x1B / 8] = NC(0x1B) | NC(0x1C),
    [0x22 / 8] = NC(0x22),
    [0x28 / 8] = NC(0x28),
    [0x33 / 8] = NC(0x33),
    [0x39 / 8] = NC(0x39),
    [0x41 / 8] = NC(0x41),
    [0x4C / 8] = NC(0x4C),
    [0x57 / 8] = NC(0x57),
    [0x58 / 8] = NC(0x58),
    [0x70 / 8] = NC(0x70),
    [0x94 / 8] = NC(0x94),
    [0x9E / 8] = NC(0x9E),
    [0xD5 / 8] = NC(0xD5),
};
#undef NC

static inline bool has_checksum(uint8_t cmd, uint8_t sub) {
  if (cmd == KB_CMD_EXTENDED) /* expander queries 4-7 carry none */
    return !(sub == 0x08 || sub == 0x0A || sub == 0x0C || sub == 0x0E);
  return !((no_csum[cmd >> 3] >> (cmd & 7u)) & 1u);
}

bool kb_decode_has_checksum(uint8_t cmd, uint8_t sub) { return has_checksum(cmd, sub); }

bool kb_decode_lengths(uint8_t cmd, uint8_t sub, uint8_t *a, uint8_t *b) {
  uint8_t e = cmd != KB_CMD_EXTENDED ? cmd_len[cmd] : sub < sizeof e6_len ? e6_len[sub] : 0;
  if (!e) return false;
  *a = (uint8_t)(e >> 4);
  *b = (uint8_t)(e & 0x0Fu);
  return true;
}

uint8_t kb_decode_frame_len(uint8_t cmd, uint8_t sub, uint8_t max) {
  uint8_t a, b;
  if (!kb_decode_lengths(cmd, sub, &a, &b)) return 0;
  if (b <= max) return b;
  return a <= max ? a : 0;
}

/* Partition of an 0xE6 programming sub-command (0x01-0x06 = 3-8, 0x20/0x21 = 1/2). */
static uint8_t e6_partition(uint8_t sub) {
  return sub == KB_E6_PROG_1 ? 1 : sub == KB_E6_PROG_1 + 1u ? 2 : (uint8_t)(sub + 2u);
}

static void add_part(kb_decoded_t *d, uint8_t partition, uint8_t lights, uint8_t status) {
  if (d->nparts >= 4) return;
  d->part[d->nparts].partition = partition;
  d->part[d->nparts].lights = lights;
  d->part[d->nparts].status = status;
  d->nparts++;
  d->has |= KB_HAS_PARTS;
}

static void add_key(kb_decoded_t *d, uint8_t partition, uint8_t code) {
  if (code == KB_KEY_NONE || d->nkeys >= 4) return;
  d->key[d->nkeys].partition = partition;
  d->key[d->nkeys].code = code;
  d->nkeys++;
  d->has |= KB_HAS_KEYS;
}

/* Zone lights of a programming status: 32 zones from `first` in 4 bytes. */
static void zone_lights(kb_decoded_t *d, const uint8_t *z, uint8_t first) {
  memcpy(d->zone_lights, z, 4);
  d->zone_lights_first = first;
  d->has |= KB_HAS_ZONE_LIGHTS;
}

/* 0xA5 / 0xAA / 0xEB / 0xEC / 0xCE: date/time and panel event (§3.6-§3.9).
 * The fields kb_pev_parse_frame() would give, written straight into d (no
 * message in between): the date/time when the frame has one (zero for a
 * 0xCE event: events compare it), and the event unless the frame is a bare
 * timestamp (0xA5 with bytes 6 and 7 zero) or an empty buffer entry (0xEC
 * selector 0xFF). The time is cleared first so that its padding is as
 * defined as its fields. */
static void decode_event(const uint8_t *b, kb_decoded_t *d) {
  uint8_t n = d->nbytes, cmd = b[0], parts;
  uint16_t number = KB_EVENT_LIVE;
  kb_pev_t ev;
  if (cmd == KB_CMD_EVENT || cmd == KB_CMD_EVENT_BUFFER) {
    uint8_t part;
    if (n < 9) return;
    part = (uint8_t)(b[3] >> 6);
    memset(&d->time, 0, sizeof d->time);
    kb_pev_time(&b[2], &d->time);
    d->has |= KB_HAS_TIME;
    if (cmd == KB_CMD_EVENT_BUFFER)
      number = b[7];
    else if (b[6] == 0 && b[7] == 0)
      return; /* timestamp only */
    ev = kb_pev_decode((uint8_t)(b[5] & 0x03u), b[6]);
    /* partitions 1-2 only: the value 3 names no partition */
    parts = (uint8_t)(part == 1u ? 0x01u : part == 2u ? 0x02u : 0u);
  } else if (cmd == KB_CMD_EVENT_HIGH || cmd == KB_CMD_EVENT_BUFFER_HIGH) {
    if (n < 11) return;
    memset(&d->time, 0, sizeof d->time);
    kb_pev_time(&b[3], &d->time);
    d->has |= KB_HAS_TIME;
    if (cmd == KB_CMD_EVENT_BUFFER_HIGH) {
      if (b[7] == 0xFF) return; /* empty entry */
      number = (uint16_t)(b[9] + 256u * (b[4] >> 6));
    }
    ev = kb_pev_decode(b[7], b[8]);
    parts = b[2];
  } else { /* KB_CMD_PANEL_STATUS */
    if (n < 8 || !(b[2] & 0x20u)) return;
    memset(&d->time, 0, sizeof d->time);
    ev = kb_pev_decode((uint8_t)(b[3] & 0x03u), b[4]);
    parts = 0;
  }
  d->event = ev;
  d->event_parts = parts;
  d->event_number = number;
  d->has |= KB_HAS_EVENT;
}

/* 32 zones of the partitions in mask `parts`, from zone `first`. */
static void add_zset(kb_decoded_t *d, uint8_t parts, uint8_t first, const uint8_t *z) {
  kb_dec_zones_t *g = &d->zset[d->nzset++];
  g->parts = parts;
  g->first = first;
  memcpy(g->zones, z, 4);
}

static void flash(kb_decoded_t *d, uint8_t parts, uint8_t lights, uint8_t first, const uint8_t *z) {
  d->flash_lights = lights;
  d->nzset = 0;
  add_zset(d, parts, first, z);
  d->has |= KB_HAS_FLASH;
}

/* Keypad sounds (§3.20, §3.23, §3.24): v = the command's value byte. */
static void sound(kb_decoded_t *d, uint8_t kind, uint8_t parts, uint8_t v) {
  kb_dec_sound_t *x = &d->sound;
  memset(x, 0, sizeof *x);
  x->kind = kind;
  x->parts = parts;
  if (kind == KB_SOUND_BEEP) {
    x->beeps = (uint8_t)(v / 2u);
  } else if (kind == KB_SOUND_TONE) {
    x->constant = (uint8_t)(v >> 7);
    x->beeps = (uint8_t)((v >> 4) & 7u);
    x->interval_s = (uint8_t)(v & 0x0Fu);
  } else {
    x->seconds = v;
  }
  d->has |= KB_HAS_SOUND;
}

/* A module query: the reply kind it asks for (kb_mod_kind_t; the same as
 * kb_module_kind(), written out here: a query frame should cost no call) and,
 * for a zone expander query, which expander. */
static void query(kb_decoded_t *d, uint8_t kind, uint8_t expander) {
  d->query = kind;
  d->expander = expander;
  d->has |= KB_HAS_QUERY;
}

static void decode_e6(const uint8_t *b, kb_decoded_t *d) {
  uint8_t sub = b[2];
  if ((sub >= 0x01 && sub <= 0x06) || sub == KB_E6_PROG_1 || sub == KB_E6_PROG_1 + 1u) {
    add_part(d, e6_partition(sub), b[3], b[4]);
    d->parts_kind = KB_PARTS_PROGRAMMING;
    /* byte 9 b7: the zone lights are zones 33-64, else 1-32 (notes §3.34) */
    zone_lights(d, b + 5, (b[9] & 0x80u) ? 33 : 1);
  } else if (sub == 0x09 || sub == 0x0B || sub == 0x0D || sub == 0x0F) {
    d->zone_first = (uint8_t)(33u + 8u * (uint8_t)((sub - KB_E6_ZONES_5) / 2u));
    d->zone_count = 8;
    d->zones = b[3];
    d->has |= KB_HAS_ZONES;
  } else if (sub == KB_E6_PANEL_STATUS) {
    d->ac_trouble = (uint8_t)((b[6] >> 4) & 1u);
    d->alarm_parts = b[4];
    d->panel_flags = (uint8_t)(((b[6] & 0x08u) ? KB_PANEL_TIME_LOST : 0u) |
                               ((b[6] & 0x40u) ? KB_PANEL_COMM : 0u) |
                               ((b[6] & 0x80u) ? KB_PANEL_FIRE : 0u));
    d->has |= KB_HAS_AC;
  } else if (sub == KB_E6_FLASH_LOW || sub == KB_E6_FLASH_HIGH) {
    flash(d, b[3], b[4], sub == KB_E6_FLASH_LOW ? 1 : 33, b + 5);
  } else if (sub == KB_E6_BEEP) {
    sound(d, KB_SOUND_BEEP, b[3], b[4]);
  } else if (sub == KB_E6_TONE) {
    sound(d, KB_SOUND_TONE, b[3], b[4]);
  } else if (sub == KB_E6_BUZZER) {
    sound(d, KB_SOUND_BUZZER, b[3], b[4]);
  } else if (sub == KB_E6_ENABLED_LOW || sub == KB_E6_ENABLED_HIGH) {
    d->nzset = 0;
    add_zset(d, b[3], sub == KB_E6_ENABLED_LOW ? 1 : 33, b + 4);
    d->has |= KB_HAS_ENABLED;
  } else if (sub == 0x08 || sub == 0x0A || sub == 0x0C || sub == 0x0E) {
    query(d, KB_MOD_EXPANDER, (uint8_t)(4u + (sub - KB_E6_EXPANDER_4) / 2u));
  }
}

static void decode_fields(const uint8_t *b, kb_decoded_t *d) {
  uint8_t n = d->nbytes;
  switch (b[0]) {
    case KB_CMD_STATUS:
      d->parts_kind = KB_PARTS_STATUS;
      d->early = n == 6;
      for (uint8_t i = 0; i < (n == 6 ? 2 : 4); i++)
        add_part(d, (uint8_t)(i + 1u), b[2 + 2 * i], b[3 + 2 * i]);
      break;
    case KB_CMD_STATUS_HIGH:
      d->parts_kind = KB_PARTS_STATUS;
      for (uint8_t i = 0; i < 4; i++) add_part(d, (uint8_t)(i + 5u), b[2 + 2 * i], b[3 + 2 * i]);
      break;
    case KB_CMD_PROG_STATUS:
    case KB_CMD_PROG_STATUS_2:
      d->parts_kind = KB_PARTS_PROGRAMMING;
      add_part(d, b[0] == KB_CMD_PROG_STATUS ? 1 : 2, b[2], b[3]);
      zone_lights(d, b + 4, 1); /* byte 8 (*5 code lights) is not a zone */
      break;
    case KB_CMD_ZONES_1:
    case KB_CMD_ZONES_2:
    case KB_CMD_ZONES_3:
    case KB_CMD_ZONES_4:
      d->parts_kind = KB_PARTS_ZONE_STATUS;
      add_part(d, 1, b[2], b[3]);
      add_part(d, 2, b[4], b[5]);
      d->zone_first = b[0] == KB_CMD_ZONES_1 ? 1 : b[0] == KB_CMD_ZONES_2 ? 9 : b[0] == KB_CMD_ZONES_3 ? 17 : 25;
      d->zone_count = 8;
      d->zones = b[6];
      d->has |= KB_HAS_ZONES;
      break;
    case KB_CMD_CONFIG:
      /* Byte 2 is 0x0E on every panel seen; another value means a layout
       * nobody has described, so none of its fields is trusted (the
       * reference reads the version whatever byte 2 says). */
      if (b[2] == 0x0E) {
        d->version = b[3];
        d->code_digits = (b[4] & 0x08u) ? 6 : 4;
        d->wiring = (uint8_t)(b[4] & 3u);
        d->installer_off = (uint8_t)((b[4] >> 4) & 1u);
        d->has |= KB_HAS_VERSION;
      } else {
        d->layout = b[2];
        d->has |= KB_HAS_LAYOUT;
      }
      break;
    case KB_CMD_PGM:
      d->pgm = (uint16_t)((b[3] & 0x03u) | ((uint16_t)b[2] << 2) | ((uint16_t)(b[3] & 0xF0u) << 6));
      d->pgm_flags = (uint8_t)(((b[3] & 0x04u) ? KB_PGM_MIDNIGHT : 0u) |
                               ((b[3] & 0x08u) ? KB_PGM_BATTERY_CHECK : 0u));
      d->has |= KB_HAS_PGM;
      break;
    case KB_CMD_FLASH_1:
    case KB_CMD_FLASH_2:
      flash(d, b[0] == KB_CMD_FLASH_1 ? 0x01 : 0x02, b[2], 1, b + 3);
      break;
    case KB_CMD_BEEP:
    case KB_CMD_BEEP_2:
      sound(d, KB_SOUND_BEEP, b[0] == KB_CMD_BEEP ? 0x01 : 0x02, b[2]);
      break;
    case KB_CMD_TONE:
    case KB_CMD_TONE_2:
      sound(d, KB_SOUND_TONE, b[0] == KB_CMD_TONE ? 0x01 : 0x02, b[2]);
      break;
    case KB_CMD_BUZZER:
    case KB_CMD_BUZZER_2:
      sound(d, KB_SOUND_BUZZER, b[0] == KB_CMD_BUZZER ? 0x01 : 0x02, b[2]);
      break;
    case KB_CMD_DISPLAY:
      memcpy(d->display, b + 2, 4);
      d->has |= KB_HAS_DISPLAY;
      break;
    case KB_CMD_MODULE_PROG:
    case KB_CMD_MODULE_PROG_REQ:
      d->prog_target = b[2];
      d->prog_function = b[0] == KB_CMD_MODULE_PROG ? b[3] : 0;
      d->has |= KB_HAS_PROG;
      if (b[0] == KB_CMD_MODULE_PROG_REQ) query(d, KB_MOD_PROGRAMMING, 0);
      break;
    case KB_CMD_ENABLED_ZONES:
      d->nzset = 0;
      add_zset(d, 0x01, 1, b + 2);
      add_zset(d, 0x02, 1, b + 6);
      d->has |= KB_HAS_ENABLED;
      break;
    case KB_CMD_BELL:
      d->bell = (uint8_t)((b[2] >> 5) & 1u);
      d->has |= KB_HAS_BELL;
      break;
    case KB_CMD_DIALER:
      if (b[3] == 0xFF) { /* the only layout observed (§3.31) */
        d->panel_flags = (uint8_t)(((b[2] & 0x10u) ? KB_PANEL_PHONE : 0u) |
                                   ((b[2] & 0x08u) ? KB_PANEL_DIALING : 0u) |
                                   ((b[2] & 0x20u) ? KB_PANEL_LOCKOUT : 0u));
        d->has |= KB_HAS_DIALER;
      }
      break;
    case KB_CMD_EVENT:
    case KB_CMD_EVENT_BUFFER:
    case KB_CMD_EVENT_HIGH:
    case KB_CMD_EVENT_BUFFER_HIGH:
    case KB_CMD_PANEL_STATUS: /* one call: decode_event() is inlined here */
      decode_event(b, d);
      if (b[0] == KB_CMD_PANEL_STATUS && !(d->has & KB_HAS_EVENT)) {
        d->layout = b[2];
        d->has |= KB_HAS_LAYOUT;
      }
      break;
    case KB_CMD_EXTENDED:
      decode_e6(b, d);
      break;
    case KB_CMD_QUERY: query(d, KB_MOD_SUPERVISION, 0); break;
    case KB_CMD_EXPANDER_0: query(d, KB_MOD_EXPANDER, 0); break;
    case KB_CMD_EXPANDER_1: query(d, KB_MOD_EXPANDER, 1); break;
    case KB_CMD_EXPANDER_2: query(d, KB_MOD_EXPANDER, 2); break;
    case KB_CMD_EXPANDER_3: query(d, KB_MOD_EXPANDER, 3); break;
    case KB_CMD_WIRELESS_QUERY: query(d, KB_MOD_WIRELESS_BATTERY, 0); break;
    case KB_CMD_TAMPER_QUERY: query(d, KB_MOD_TAMPER, 0); break;
    case KB_CMD_WKEY_QUERY: query(d, KB_MOD_WIRELESS_KEY, 0); break;
    case KB_CMD_MODULE_STATUS: query(d, KB_MOD_MODULE_STATUS, 0); break;
    case KB_CMD_LCD_QUERY: query(d, KB_MOD_LCD_DATA, 0); break;
    case KB_CMD_KEYPAD_ZONE_QUERY: query(d, KB_MOD_KEYPAD_ZONE, 0); break;
    default:
      break;
  }
}

/* Only the header fields are cleared: the others are valid where `has`
 * says so (clearing all of kb_decoded_t costs a third of a small frame).
 * Returns the complete bytes present (d->nbytes). */
static inline uint8_t start(kb_decoded_t *d, const uint8_t *b, uint8_t avail, uint16_t bits,
                            uint8_t source) {
  uint8_t n = kb_decode_nbytes(bits);
  if (avail > KB_FRAME_BYTES) avail = KB_FRAME_BYTES;
  if (n > avail) n = avail;
  d->cmd = avail ? b[0] : 0;
  d->sub = 0;
  d->source = source;
  d->check = KB_CHECK_OK;
  d->csum = KB_CSUM_NONE;
  d->nbytes = n;
  d->trailing = (uint8_t)(bits >= 9 ? (bits - 1u) % 8u : 0);
  d->early = 0;
  d->has = 0;
  d->parts_kind = KB_PARTS_NONE;
  d->nparts = 0;
  d->nkeys = 0;
  d->alarm_key = KB_ALARM_KEY_NONE;
  d->notify = 0;
  d->event_parts = 0;
  d->event_number = KB_EVENT_LIVE;
  d->zone_first = 0;
  d->zone_count = 0;
  return n;
}

/* The checksum rule (§2.3): the sum of bytes 0 and 2..n-2 is byte n-1. */
static inline bool sum_ok(const uint8_t *b, uint8_t n) {
  uint8_t sum = b[0];
  for (uint8_t i = 2; i + 1u < n; i++) sum = (uint8_t)(sum + b[i]);
  return sum == b[n - 1u];
}

void kb_decode_panel(const uint8_t *b, uint8_t avail, uint16_t bits, kb_decoded_t *d) {
  uint8_t n = start(d, b, avail, bits, KB_SRC_PANEL), cmd, sub = 0, len;
  bool csum;
  if (n < 1) {
    d->check = KB_CHECK_RUNT;
    return;
  }
  cmd = b[0];
  if (cmd != KB_CMD_EXTENDED) {
    len = cmd_len[cmd];
  } else if (n < 3) { /* too short to name its sub-command */
    len = 0x33;
  } else {
    sub = b[2];
    d->sub = sub;
    len = sub < sizeof e6_len ? e6_len[sub] : 0;
  }
  /* len: shortest length in the high nibble, longest in the low one, 0
   * for a command the notes do not describe */
  csum = has_checksum(cmd, sub);
  if (n < 2) { /* ended inside the command byte: no stop bit */
    if (csum) d->csum = KB_CSUM_BAD; /* no room for it */
    d->check = len ? KB_CHECK_LENGTH : KB_CHECK_UNKNOWN;
    return;
  }
  /* The sum rule with the last complete byte as the checksum; on a 2-byte
   * frame that is the stop-bit byte, as the notes' rule reads. The verdict
   * below still rejects such frames (framing or length). */
  if (csum) d->csum = sum_ok(b, n) ? KB_CSUM_OK : KB_CSUM_BAD;
  if (b[1] != 0) {
    d->check = KB_CHECK_FRAMING;
    return;
  }
  if (len && n != (len >> 4) && n != (len & 0x0Fu)) {
    d->check = KB_CHECK_LENGTH;
    return;
  }
  if (d->csum == KB_CSUM_BAD) {
    d->check = KB_CHECK_CHECKSUM;
    return;
  }
  if (!len) {
    d->check = KB_CHECK_UNKNOWN;
    return;
  }
  decode_fields(b, d);
}

/* 0x27 / 0x2D / 0x34 / 0x3E: status with open zones (checksummed). */
static bool zone_status(uint8_t cmd) {
  return cmd == KB_CMD_ZONES_1 || cmd == KB_CMD_ZONES_2 || cmd == KB_CMD_ZONES_3 || cmd == KB_CMD_ZONES_4;
}

/* Key slots and notification bits of module data under status-class
 * commands (notes §4.3, §4.4). */
static void decode_status_module(uint8_t under, uint8_t sub, const uint8_t *b, kb_decoded_t *d) {
  uint8_t n = d->nbytes;
  bool e6 = under == KB_CMD_EXTENDED;
  uint8_t base = under == KB_CMD_STATUS_HIGH ? 5 : 1;
  if (e6) {
    if (n > 3) add_key(d, e6_partition(sub), b[3]);
    return;
  }
  /* 0x0F (partition 2 in programming) is read like its twin 0x0A */
  if (n > 2) add_key(d, base, b[2]);
  if (n > 3) add_key(d, (uint8_t)(base + 1u), b[3]);
  /* bytes 8/9: only the 10-byte status commands are that long (the length
   * check rejects longer frames of the others) */
  if (n > 8) add_key(d, (uint8_t)(base + 2u), b[8]);
  if (n > 9) add_key(d, (uint8_t)(base + 3u), b[9]);
  if (n > 4 && b[4] != KB_KEY_NONE) {
    uint8_t v = (uint8_t)~b[4];
    if (under == KB_CMD_STATUS_HIGH) {
      d->notify |= (uint32_t)v << KB_NOTIFY_IDLE_SHIFT;
    } else {
      for (uint8_t i = 0; i < 4; i++)
        if (v & (0x80u >> i)) d->notify |= KB_NOTIFY_EXPANDER(i);
      if (v & 0x08u) d->notify |= KB_NOTIFY_WIRELESS_BATTERY;
      if (v & 0x01u) d->notify |= KB_NOTIFY_MODULE_TAMPER;
    }
  }
  if (n > 5 && b[5] != KB_KEY_NONE) {
    uint8_t v = (uint8_t)~b[5];
    if (v & 0x40u) d->notify |= KB_NOTIFY_WIRELESS_KEY;
    if (v & 0x20u) d->notify |= KB_NOTIFY_MODULE_STATUS;
    if (v & 0x04u) d->notify |= KB_NOTIFY_KEYPAD_ZONE;
    if (v & 0x02u) d->notify |= KB_NOTIFY_WIRELESS;
  }
  if (n > 6 && b[6] != KB_KEY_NONE && !zone_status(under)) {
    if (!(b[6] & 0x80u) && (b[6] & 0x60u) != 0)
      d->notify |= KB_NOTIFY_CHIME_BROADCAST;
    else if ((b[6] & 0x60u) == 0)
      d->notify |= KB_NOTIFY_LABEL_BROADCAST;
  }
  if (n > 7 && b[7] != KB_KEY_NONE && !zone_status(under)) {
    uint8_t v = (uint8_t)~b[7];
    for (uint8_t i = 0; i < 4; i++)
      if (v & (0x80u >> i)) d->notify |= KB_NOTIFY_EXPANDER(4u + i);
    if (v & 0x08u) d->notify |= KB_NOTIFY_KEYPAD;
  }
  if (d->notify) d->has |= KB_HAS_NOTIFY;
}

static bool status_class(uint8_t under, uint8_t sub) {
  switch (under) {
    case KB_CMD_STATUS: case KB_CMD_PROG_STATUS: case KB_CMD_PROG_STATUS_2: case KB_CMD_STATUS_HIGH:
    case KB_CMD_ZONES_1: case KB_CMD_ZONES_2: case KB_CMD_ZONES_3: case KB_CMD_ZONES_4:
      return true;
    case KB_CMD_EXTENDED:
      return (sub >= 0x01 && sub <= 0x06) || sub == KB_E6_PROG_1 || sub == KB_E6_PROG_1 + 1u;
    default:
      return false;
  }
}

void kb_decode_module_keys(uint8_t under, uint8_t under_sub, const uint8_t *b, uint8_t avail,
                           uint16_t bits, kb_decoded_t *d) {
  start(d, b, avail, bits, KB_SRC_MODULE);
  d->cmd = under;
  d->sub = under == KB_CMD_EXTENDED ? under_sub : 0;
  if (d->nbytes < 1) {
    d->check = KB_CHECK_RUNT;
    return;
  }
  if (under != 0) { /* 0 = the command it came with is not known */
    uint8_t la, lb;
    if (!kb_decode_lengths(under, d->sub, &la, &lb)) {
      d->check = KB_CHECK_UNKNOWN;
      return;
    }
    /* A module cannot speak past the panel's clock: a longer frame is not
     * this command's. Shorter is fine: loggers may capture module data
     * partially, and byte 0 (alarm keys) comes first. */
    if (d->nbytes > lb) {
      d->check = KB_CHECK_LENGTH;
      return;
    }
  }
  d->check = KB_CHECK_OK;
  switch (b[0]) {
    case KB_KEY_ALARM_FIRE: d->alarm_key = KB_ALARM_KEY_FIRE; break;
    case KB_KEY_ALARM_AUX: d->alarm_key = KB_ALARM_KEY_AUX; break;
    case KB_KEY_ALARM_PANIC: d->alarm_key = KB_ALARM_KEY_PANIC; break;
    default: break;
  }
  if (d->alarm_key) d->has |= KB_HAS_ALARM_KEY;
  if (status_class(under, d->sub)) decode_status_module(under, d->sub, b, d);
}

void kb_decode_module(uint8_t under, uint8_t under_sub, const uint8_t *b, uint8_t avail,
                      uint16_t bits, kb_decoded_t *d) {
  kb_decode_module_keys(under, under_sub, b, avail, bits, d);
  if (d->check == KB_CHECK_OK && kb_module_kind(under, d->sub) != KB_MOD_NONE) {
    kb_module_reply_decode(under, d->sub, b, d->nbytes, &d->reply);
    d->has |= KB_HAS_REPLY;
  }
}
