/* SPDX-License-Identifier: MIT
 *
 * kb_module.c - typed decode of module replies to panel queries (notes §4.7).
 * See include/keybus/kb_module.h for the contract.
 */
#include "keybus/kb_module.h"

#include "keybus/kb_decode.h"
#include "keybus/kb_proto.h"

#include <stdbool.h>
#include <string.h>


/* Zone expander number for an expander query, or -1. */
static int expander_of(uint8_t under, uint8_t under_sub) {
  switch (under) {
    case KB_CMD_EXPANDER_0: return 0;
    case KB_CMD_EXPANDER_1: return 1;
    case KB_CMD_EXPANDER_2: return 2;
    case KB_CMD_EXPANDER_3: return 3;
    case KB_CMD_EXTENDED:
      switch (under_sub) {
        case KB_E6_EXPANDER_4: return 4;
        case 0x0A: return 5;
        case 0x0C: return 6;
        case 0x0E: return 7;
        default: return -1;
      }
    default: return -1;
  }
}

uint8_t kb_module_kind(uint8_t under, uint8_t under_sub) {
  if (expander_of(under, under_sub) >= 0) return KB_MOD_EXPANDER;
  switch (under) {
    case KB_CMD_QUERY: return KB_MOD_SUPERVISION;
    case KB_CMD_WIRELESS_QUERY: return KB_MOD_WIRELESS_BATTERY;
    case KB_CMD_TAMPER_QUERY: return KB_MOD_TAMPER;
    case KB_CMD_WKEY_QUERY: return KB_MOD_WIRELESS_KEY;
    case KB_CMD_MODULE_STATUS: return KB_MOD_MODULE_STATUS;
    case KB_CMD_LCD_QUERY: return KB_MOD_LCD_DATA;
    case KB_CMD_MODULE_PROG_REQ: return KB_MOD_PROGRAMMING;
    case KB_CMD_KEYPAD_ZONE_QUERY: return KB_MOD_KEYPAD_ZONE;
    default: return KB_MOD_NONE;
  }
}

/* 2-bit field at bit `shift` is 00 (active low: condition reported). */
static bool field2_low(uint8_t v, unsigned shift) { return ((v >> shift) & 0x3u) == 0u; }

static uint8_t sum_bytes(const uint8_t *b, unsigned from, unsigned to_excl) {
  unsigned s = 0;
  for (unsigned i = from; i < to_excl; i++) s += b[i];
  return (uint8_t)s;
}

static uint8_t nibble_sum(uint8_t x, uint8_t y) {
  return (uint8_t)(((x >> 4) + (x & 0xFu) + (y >> 4) + (y & 0xFu)) & 0xFu);
}

/* 0x11, notes §3.11 / §4.7. n >= 7 here. */
static void decode_supervision(const uint8_t *b, uint8_t n, kb_mod_reply_t *out) {
  out->u.sup.later = (uint8_t)(n > 7u);
  uint8_t kp = 0;
  for (unsigned s = 0; s < 8u; s++) {
    uint8_t v = b[2u + s / 4u];
    if (field2_low(v, 6u - 2u * (s % 4u))) kp |= (uint8_t)(1u << s);
  }
  out->u.sup.keypads = kp;

  uint8_t ex = 0;
  if (out->u.sup.later) {
    for (unsigned e = 0; e < 4u; e++)
      if (field2_low(b[4], 6u - 2u * e)) ex |= (uint8_t)(1u << e); /* expanders 1..4 */
    if (field2_low(b[5], 6u)) ex |= 0x10u;                          /* expander 5 */
    if (field2_low(b[5], 4u)) ex |= 0x20u;                          /* expander 6 */
    if (field2_low(b[7], 0u)) ex |= 0x40u;                          /* expander 7 */
  } else {
    if ((b[4] & 0xF0u) == 0u) ex |= 0x01u; /* expander 1 */
    if ((b[4] & 0x0Fu) == 0u) ex |= 0x02u; /* expander 2 */
    if ((b[5] & 0xF0u) == 0u) ex |= 0x04u; /* expander 3 */
  }
  out->u.sup.expanders = ex;
  out->u.sup.rf5132 = field2_low(b[5], 2u);
  out->u.sup.pc5208 = field2_low(b[5], 0u);
  out->u.sup.pc5204 = field2_low(b[6], 6u);
}

/* Expander replies: data from byte `s`, n > s + 4 here. */
static void decode_expander(const uint8_t *b, unsigned s, int expander, kb_mod_reply_t *out) {
  out->u.exp.expander = (uint8_t)expander;
  out->u.exp.zone_first = (uint8_t)(expander * 8 + 1);
  uint8_t nc = 0;
  for (unsigned half = 0; half < 2u; half++) {
    uint8_t cur = b[s + 2u * half], prev = b[s + 2u * half + 1u];
    for (unsigned z = 0; z < 4u; z++) {
      uint8_t c = (uint8_t)((cur >> (2u * z)) & 0x3u);
      uint8_t p = (uint8_t)((prev >> (2u * z)) & 0x3u);
      if (c != p) {
        out->u.exp.changed[nc].zone = (uint8_t)(out->u.exp.zone_first + 4u * half + z);
        out->u.exp.changed[nc].state = c;
        nc++;
      }
    }
  }
  out->u.exp.nchanged = nc;

  /* Checksum [observation, §2.3]: one nibble per pair; an unchanged pair
   * (sent as FF FF) has nibble F. */
  uint8_t hi = (b[s] == 0xFFu && b[s + 1u] == 0xFFu) ? 0xFu : nibble_sum(b[s], b[s + 1u]);
  uint8_t lo =
      (b[s + 2u] == 0xFFu && b[s + 3u] == 0xFFu) ? 0xFu : nibble_sum(b[s + 2u], b[s + 3u]);
  out->csum = ((uint8_t)((hi << 4) | lo) == b[s + 4u]) ? KB_MOD_CSUM_OK : KB_MOD_CSUM_BAD;
}

/* 0x41: bytes 2..5 low, 6..9 restored, MSB first (byte 2 b7 = zone 1). */
static void decode_wireless_battery(const uint8_t *b, kb_mod_reply_t *out) {
  uint32_t low = 0, rest = 0;
  for (unsigned z = 0; z < 32u; z++) {
    unsigned bit = 7u - z % 8u;
    if (((b[2u + z / 8u] >> bit) & 1u) == 0u) low |= (uint32_t)1u << z;
    if (((b[6u + z / 8u] >> bit) & 1u) == 0u) rest |= (uint32_t)1u << z;
  }
  out->u.wbat.low = low;
  out->u.wbat.restored = rest;
  out->csum = (sum_bytes(b, 2u, 10u) == b[10]) ? KB_MOD_CSUM_OK : KB_MOD_CSUM_BAD;
}

static uint8_t tamper_nibble(uint8_t x) {
  if ((x & 0xCu) == 0u) return KB_MOD_TAMPER_ACTIVE; /* 00xx */
  if (x == 0xCu) return KB_MOD_TAMPER_RESTORED;      /* 1100 */
  return KB_MOD_TAMPER_NONE;
}

static void tamper_set(uint8_t x, unsigned bit, uint8_t *tamp, uint8_t *rest) {
  uint8_t t = tamper_nibble(x);
  if (t == KB_MOD_TAMPER_ACTIVE) *tamp |= (uint8_t)(1u << bit);
  if (t == KB_MOD_TAMPER_RESTORED) *rest |= (uint8_t)(1u << bit);
}

/* 0x4C, notes §4.7: high nibble = odd slot, low nibble = even slot. n >= 13. */
static void decode_tamper(const uint8_t *b, uint8_t n, kb_mod_reply_t *out) {
  uint8_t kt = 0, kr = 0, mt = 0, mr = 0;
  for (unsigned i = 0; i < 4u; i++) { /* bytes 2..5: keypad slots 1..8 */
    tamper_set((uint8_t)(b[2u + i] >> 4), 2u * i, &kt, &kr);
    tamper_set((uint8_t)(b[2u + i] & 0xFu), 2u * i + 1u, &kt, &kr);
  }
  for (unsigned i = 0; i < 3u; i++) { /* bytes 6..8: module slots 9..14 */
    tamper_set((uint8_t)(b[6u + i] >> 4), 2u * i, &mt, &mr);
    tamper_set((uint8_t)(b[6u + i] & 0xFu), 2u * i + 1u, &mt, &mr);
  }
  if (n > 13u) tamper_set((uint8_t)(b[13] >> 4), 7u, &mt, &mr); /* later gen: slot 16 */
  out->u.tamper.keypad_tamper = kt;
  out->u.tamper.keypad_restored = kr;
  out->u.tamper.module_tamper = mt;
  out->u.tamper.module_restored = mr;
  out->u.tamper.rf5132 = tamper_nibble((uint8_t)(b[9] >> 4));
  out->u.tamper.pc5208 = tamper_nibble((uint8_t)(b[9] & 0xFu));
  out->u.tamper.pc5204 = tamper_nibble((uint8_t)(b[10] >> 4));
}

/* 0x57: bytes 2..5, 2-bit fields LSB first (byte 2 b1..0 = key 1); field
 * (high, low) bit = (0,1) low battery, (1,0) restored. */
static void decode_wireless_key(const uint8_t *b, kb_mod_reply_t *out) {
  uint16_t low = 0, rest = 0;
  for (unsigned k = 0; k < 16u; k++) {
    unsigned f = (b[2u + k / 4u] >> (2u * (k % 4u))) & 0x3u;
    if (f == 0x1u) low |= (uint16_t)(1u << k);
    if (f == 0x2u) rest |= (uint16_t)(1u << k);
  }
  out->u.wkey.low = low;
  out->u.wkey.restored = rest;
  out->csum = (sum_bytes(b, 2u, 10u) == b[10]) ? KB_MOD_CSUM_OK : KB_MOD_CSUM_BAD;
}

/* 0x58: byte 2 four fields, byte 3 b3..0 two fields; the rest unknown. */
static void decode_module_status(const uint8_t *b, uint8_t n, kb_mod_reply_t *out) {
  static const struct {
    uint8_t byte, shift, flag;
  } k_fields[6] = {
      {2u, 0u, KB_MOD_MS_BATTERY_RESTORED}, {2u, 2u, KB_MOD_MS_BATTERY_TROUBLE},
      {2u, 4u, KB_MOD_MS_AC_RESTORED},      {2u, 6u, KB_MOD_MS_AC_TROUBLE},
      {3u, 0u, KB_MOD_MS_OUT1_RESTORED},    {3u, 2u, KB_MOD_MS_OUT1_TROUBLE},
  };
  uint8_t flags = 0, other = 0;
  for (unsigned i = 0; i < 6u; i++) {
    unsigned f = (b[k_fields[i].byte] >> k_fields[i].shift) & 0x3u;
    if (f == 0u) flags |= k_fields[i].flag;
    else if (f != 0x3u) other = 1; /* half-pulled field: no decode */
  }
  if ((b[3] & 0xF0u) != 0xF0u) other = 1;
  for (unsigned i = 4; i < n; i++)
    if (b[i] != 0xFFu) other = 1;
  out->u.mstat.flags = flags;
  out->u.mstat.other = other;
}

/* 0xD5: byte slot+1 for slots 1..8. */
static void decode_keypad_zone(const uint8_t *b, kb_mod_reply_t *out) {
  uint8_t op = 0, cl = 0, ot = 0;
  for (unsigned s = 0; s < 8u; s++) {
    uint8_t v = b[2u + s];
    if (v == 0xFFu) continue;
    uint8_t lo = (uint8_t)(v & 0x3u), mid = (uint8_t)((v >> 4) & 0x3u);
    if (lo == 0x3u && mid == 0u) op |= (uint8_t)(1u << s);
    else if (lo == 0u && mid == 0x3u) cl |= (uint8_t)(1u << s);
    else ot |= (uint8_t)(1u << s);
  }
  out->u.kzone.open = op;
  out->u.kzone.closed = cl;
  out->u.kzone.other = ot;
}

void kb_module_reply_decode(uint8_t under, uint8_t under_sub, const uint8_t *b, uint8_t nbytes,
                      kb_mod_reply_t *out) {
  KB_ASSERT(out != NULL);
  if (out == NULL) return;
  memset(out, 0, sizeof *out);
  uint8_t n = nbytes > KB_FRAME_BYTES ? (uint8_t)KB_FRAME_BYTES : nbytes; /* never read past */
  if (b == NULL) n = 0;

  uint8_t kind = kb_module_kind(under, under_sub);
  out->kind = kind;
  if (kind == KB_MOD_NONE) return;

  uint8_t silent = 1;
  for (unsigned i = 2; i < n; i++)
    if (b[i] != 0xFFu) silent = 0;
  out->silent = silent;

  uint8_t need = 0, longest;
  (void)kb_decode_lengths(under, under_sub, &need, &longest); /* the query's shortest frame */
  if (n < need) {
    out->truncated = 1;
    return;
  }

  switch (kind) {
    case KB_MOD_SUPERVISION: decode_supervision(b, n, out); break;
    case KB_MOD_EXPANDER:
      decode_expander(b, under == KB_CMD_EXTENDED ? 3u : 2u, expander_of(under, under_sub), out);
      break;
    case KB_MOD_WIRELESS_BATTERY: decode_wireless_battery(b, out); break;
    case KB_MOD_TAMPER: decode_tamper(b, n, out); break;
    case KB_MOD_WIRELESS_KEY: decode_wireless_key(b, out); break;
    case KB_MOD_MODULE_STATUS: decode_module_status(b, n, out); break;
    case KB_MOD_LCD_DATA:
      memcpy(out->u.lcd.digits, &b[2], 4u);
      out->csum = (sum_bytes(b, 2u, 6u) == b[6]) ? KB_MOD_CSUM_OK : KB_MOD_CSUM_BAD;
      break;
    case KB_MOD_KEYPAD_ZONE: decode_keypad_zone(b, out); break;
    default: break; /* KB_MOD_PROGRAMMING: content unknown */
  }
}
