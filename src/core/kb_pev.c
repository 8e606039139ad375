/* SPDX-License-Identifier: MIT
 *
 * kb_pev.c - event/status message tables (protocol notes §3.9) as ranges.
 *
 * One 5-byte row per range or single code, sorted by set then first code, so
 * the whole decode table is a few hundred bytes of flash. A row's "num" byte
 * holds the number of its first code (0 = the kind has no number) in b5..b0
 * and the access-code scheme to apply in b7..b6.
 */
#include "keybus/kb_pev.h"

#include "keybus/kb_proto.h"

#include <string.h>

_Static_assert(KB_PEV_COUNT <= 256, "kind must fit kb_pev_t.kind");

#define NUM_A 0x40u /* number is a scheme-A access-code index */
#define NUM_B 0x80u /* number is a scheme-B access-code index */
#define NUM_START 0x3Fu

typedef struct {
  uint8_t first, last, kind, num;
} kb_pev_row_t;

/* single code, no number */
#define S(code, kind) {code, code, KB_PEV_##kind, 0}
/* range, number = start + (code - first) */
#define N(first, last, kind, start) {first, last, KB_PEV_##kind, start}
/* range of access-code indexes in scheme A / B */
#define A(first, last, kind, start) {first, last, KB_PEV_##kind, (start) | NUM_A}
#define B(first, last, kind, start) {first, last, KB_PEV_##kind, (start) | NUM_B}

/* sets 0x00-0x03 (those of 0xA5/0xAA/0xCE), one after the other: low_end
 * gives where each ends */
static const kb_pev_row_t rows_low[] = {
    /* set 0x00 */
    N(0x09, 0x28, ZONE_ALARM, 1),
    N(0x29, 0x48, ZONE_ALARM_RESTORED, 1),
    S(0x49, DURESS_ALARM),
    S(0x4A, DISARMED_ALARM_MEMORY),
    S(0x4B, RECENT_CLOSING_ALARM),
    S(0x4C, EXPANDER_SUPERVISORY_ALARM),
    S(0x4D, EXPANDER_SUPERVISORY_RESTORED),
    S(0x4E, KEYPAD_FIRE_ALARM),
    S(0x4F, KEYPAD_AUX_ALARM),
    S(0x50, KEYPAD_PANIC_ALARM),
    S(0x51, PGM2_INPUT_ALARM),
    S(0x52, KEYPAD_FIRE_RESTORED),
    S(0x53, KEYPAD_AUX_RESTORED),
    S(0x54, KEYPAD_PANIC_RESTORED),
    S(0x55, PGM2_INPUT_RESTORED),
    N(0x56, 0x75, ZONE_TAMPER, 1),
    N(0x76, 0x95, ZONE_TAMPER_RESTORED, 1),
    S(0x98, KEYPAD_LOCKOUT),
    A(0x99, 0xBD, ARMED_BY_CODE, 1),
    S(0xBE, ARMED_PARTIAL),
    S(0xBF, ARMED_SPECIAL),
    A(0xC0, 0xE4, DISARMED_BY_CODE, 1),
    S(0xE5, AUTO_ARM_CANCELLED),
    S(0xE6, DISARMED_SPECIAL),
    S(0xE7, BATTERY_TROUBLE),
    S(0xE8, AC_TROUBLE),
    S(0xE9, BELL_TROUBLE),
    S(0xEA, FIRE_TROUBLE),
    S(0xEB, AUX_SUPPLY_TROUBLE),
    S(0xEC, PHONE_LINE_TROUBLE),
    S(0xEF, BATTERY_RESTORED),
    S(0xF0, AC_RESTORED),
    S(0xF1, BELL_RESTORED),
    S(0xF2, FIRE_TROUBLE_RESTORED),
    S(0xF3, AUX_SUPPLY_RESTORED),
    S(0xF4, PHONE_LINE_RESTORED),
    N(0xF7, 0xF8, PHONE_FTC, 1),
    S(0xF9, EVENT_BUFFER_THRESHOLD),
    S(0xFA, DLS_LEAD_IN),
    S(0xFB, DLS_LEAD_OUT),
    S(0xFE, PERIODIC_TEST),
    S(0xFF, SYSTEM_TEST),
    /* set 0x01 */
    S(0x03, CROSS_ZONE_ALARM),
    S(0x04, DELINQUENCY_ALARM),
    S(0x05, LATE_TO_CLOSE),
    A(0x24, 0x28, ACCESS_CODE, 33),
    S(0x29, DOWNLOAD_FORCED_ANSWER),
    S(0x2B, ARMED_AUTO),
    N(0x2C, 0x4B, ZONE_BATTERY_RESTORED, 1),
    N(0x4C, 0x6B, ZONE_BATTERY_LOW, 1),
    N(0x6C, 0x8B, ZONE_FAULT_RESTORED, 1),
    N(0x8C, 0xAB, ZONE_FAULT, 1),
    S(0xAC, INSTALLER_EXIT),
    S(0xAD, INSTALLER_ENTER),
    S(0xAE, WALK_TEST_END),
    S(0xAF, WALK_TEST_BEGIN),
    N(0xB0, 0xCF, ZONE_BYPASSED, 1),
    N(0xD0, 0xD0, COMMAND_OUTPUT, 4),
    S(0xD1, EXIT_FAULT_PRE_ALERT),
    S(0xD2, ARMED_ENTRY_DELAY),
    S(0xD3, DOWNLOOK_TRIGGER),
    /* set 0x02 */
    S(0x2A, QUICK_EXIT),
    S(0x63, KEYBUS_FAULT_RESTORED),
    S(0x64, KEYBUS_FAULT),
    S(0x66, BYPASS_MENU),
    N(0x67, 0x69, COMMAND_OUTPUT, 1),
    S(0x8C, COLD_START),
    S(0x8D, WARM_START),
    S(0x8E, FACTORY_DEFAULT),
    S(0x91, SWINGER_SHUTDOWN),
    S(0x93, DISARMED_KEYSWITCH),
    S(0x96, ARMED_KEYSWITCH),
    S(0x97, ARMED_KEYPAD_AWAY),
    S(0x98, ARMED_QUICK),
    S(0x99, ACTIVATE_STAY_AWAY),
    S(0x9A, ARMED_STAY),
    S(0x9B, ARMED_AWAY),
    S(0x9C, ARMED_NO_ENTRY_DELAY),
    A(0x9E, 0xC2, STAR1_BY_CODE, 1),
    A(0xC3, 0xC5, STAR5_BY_CODE, 35),
    A(0xC6, 0xE5, ACCESS_CODE, 1),
    A(0xE6, 0xE8, STAR6_BY_CODE, 35),
    N(0xE9, 0xF0, KEYPAD_RESTORED, 1),
    N(0xF1, 0xF8, KEYPAD_TROUBLE, 1),
    N(0xF9, 0xFE, EXPANDER_RESTORED, 1),
    N(0xFF, 0xFF, EXPANDER_TROUBLE, 1),
    /* set 0x03 */
    N(0x00, 0x04, EXPANDER_TROUBLE, 2),
    S(0x05, RF5132_SUPERVISORY_RESTORED),
    S(0x06, RF5132_SUPERVISORY_TROUBLE),
    S(0x09, PC5204_SUPERVISORY_RESTORED),
    S(0x0A, PC5204_SUPERVISORY_TROUBLE),
    N(0x17, 0x17, EXPANDER_RESTORED, 7),
    N(0x18, 0x18, EXPANDER_TROUBLE, 7),
    N(0x25, 0x2C, KEYPAD_TAMPER_RESTORED, 1),
    N(0x2D, 0x34, KEYPAD_TAMPER, 1),
    N(0x35, 0x3A, EXPANDER_TAMPER_RESTORED, 1),
    N(0x3B, 0x40, EXPANDER_TAMPER, 1),
    S(0x41, RF5132_TAMPER_RESTORED),
    S(0x42, RF5132_TAMPER),
    S(0x43, PC5208_TAMPER_RESTORED),
    S(0x44, PC5208_TAMPER),
    S(0x45, PC5204_TAMPER_RESTORED),
    S(0x46, PC5204_TAMPER),
    N(0x51, 0x51, EXPANDER_TAMPER_RESTORED, 7),
    N(0x52, 0x52, EXPANDER_TAMPER, 7),
    S(0xB3, PC5204_BATTERY_RESTORED),
    S(0xB4, PC5204_BATTERY_TROUBLE),
    S(0xB5, PC5204_AUX_RESTORED),
    S(0xB6, PC5204_AUX_TROUBLE),
    S(0xB7, PC5204_OUTPUT1_RESTORED),
    S(0xB8, PC5204_OUTPUT1_TROUBLE),
    S(0xFF, EXTENDED_STATUS),
};
/* End (one past the last row) of sets 0x00-0x03 in rows_low. */
static const uint8_t low_end[4] = {42, 61, 86, 112};
_Static_assert(sizeof rows_low / sizeof rows_low[0] == 112, "low_end and start8 follow rows_low");

/* set 0x04 */
static const kb_pev_row_t set_04[] = {
    N(0x00, 0x1F, ZONE_ALARM, 33),
    N(0x20, 0x3F, ZONE_ALARM_RESTORED, 33),
    N(0x40, 0x5F, ZONE_TAMPER, 33),
    N(0x60, 0x7F, ZONE_TAMPER_RESTORED, 33),
    S(0x86, PERIODIC_TEST_TROUBLE),
    S(0x87, EXIT_FAULT),
    S(0x89, ALARM_CANCELLED),
};
/* set 0x05 */
static const kb_pev_row_t set_05[] = {
    B(0x00, 0x39, ARMED_BY_CODE, 35),
    B(0x3A, 0x73, DISARMED_BY_CODE, 35),
};
/* set 0x14 (zone faults 33-64: the reference's historical decode) */
static const kb_pev_row_t set_14[] = {
    N(0x40, 0x5F, ZONE_FAULT_RESTORED, 33),
    N(0x60, 0x7F, ZONE_FAULT, 33),
    S(0xC0, TLINK_COM_FAULT),
    S(0xC2, TLINK_NETWORK_FAULT),
    S(0xC4, TLINK_RECEIVER_TROUBLE),
    S(0xC5, TLINK_RECEIVER_RESTORED),
};
/* set 0x16 */
static const kb_pev_row_t set_16[] = {
    S(0x80, TROUBLE_ACKNOWLEDGED),
    S(0x81, RF_DELINQUENCY_TROUBLE),
    S(0x82, RF_DELINQUENCY_RESTORED),
};
/* set 0x17 */
static const kb_pev_row_t set_17[] = {
    A(0x00, 0x24, STAR2_BY_CODE, 1),
    A(0x25, 0x49, STAR3_BY_CODE, 1),
    B(0x4A, 0x83, STAR1_BY_CODE, 35),
    B(0x84, 0xBD, STAR2_BY_CODE, 35),
    B(0xBE, 0xF7, STAR3_BY_CODE, 35),
};
/* set 0x18 */
static const kb_pev_row_t set_18[] = {
    B(0x00, 0x39, ACCESS_CODE, 35),
    B(0x3A, 0x95, STAR5_BY_CODE, 1),
    B(0x96, 0xF1, STAR6_BY_CODE, 1),
};
/* set 0x1B */
static const kb_pev_row_t set_1b[] = {
    S(0xF1, SYSTEM_RESET_TX),
};

#undef S
#undef N
#undef A
#undef B

bool kb_pev_names_code(uint8_t kind) {
  switch (kind) {
    case KB_PEV_ARMED_BY_CODE:
    case KB_PEV_DISARMED_BY_CODE:
    case KB_PEV_ACCESS_CODE:
    case KB_PEV_STAR1_BY_CODE:
    case KB_PEV_STAR2_BY_CODE:
    case KB_PEV_STAR3_BY_CODE:
    case KB_PEV_STAR5_BY_CODE:
    case KB_PEV_STAR6_BY_CODE:
      return true;
    default:
      return false;
  }
}

uint8_t kb_pev_code_scheme_a(uint8_t index) {
  return (uint8_t)(index >= 35u ? index + 5u : index);
}

uint8_t kb_pev_code_scheme_b(uint8_t index) {
  return (uint8_t)(index >= 40u ? index + 3u : index);
}

/* Where the search starts in sets 0x00-0x03 (those of 0xA5/0xAA/0xCE, the
 * common events), per 8 codes: start8[set][code >> 3] is the index in
 * rows_low of the last row of the set whose first code is at or below
 * (code & 0xF8), the set's first row when none is. Derived from the rows above (change it with them): the search
 * only steps forward from there, so a stale entry misdecodes, and
 * test_pev's sweep of every (set, code) pair fails. */
static const uint8_t start8[4][32] = {
    /* set 0x00 */
    {  0,   0,   0,   0,   0,   0,   1,   1,   1,   1,   9,  15,  15,  15,  15,  16,
      16,  16,  16,  17,  18,  18,  18,  18,  21,  21,  21,  21,  21,  25,  31,  36},
    /* set 0x01 */
    { 42,  44,  44,  44,  44,  45,  48,  48,  48,  48,  49,  49,  49,  49,  50,  50,
      50,  50,  51,  51,  51,  51,  56,  56,  56,  56,  57,  60,  60,  60,  60,  60},
    /* set 0x02 */
    { 61,  61,  61,  61,  61,  61,  61,  61,  61,  61,  61,  61,  61,  65,  65,  65,
      65,  65,  68,  73,  78,  78,  78,  78,  78,  80,  80,  80,  80,  81,  82,  83},
    /* set 0x03 */
    { 86,  88,  90,  92,  92,  93,  94,  95,  96, 102, 102, 104, 104, 104, 104, 104,
     104, 104, 104, 104, 104, 104, 104, 110, 110, 110, 110, 110, 110, 110, 110, 110},
};

/* The rows of sets 0x04 and up, from a switch: no table of pointers to
 * relocate. */
static const kb_pev_row_t *set_rows(uint8_t set, size_t *n) {
  const kb_pev_row_t *r;
  switch (set) {
    case 0x04: r = set_04; *n = sizeof set_04 / sizeof set_04[0]; break;
    case 0x05: r = set_05; *n = sizeof set_05 / sizeof set_05[0]; break;
    case 0x14: r = set_14; *n = sizeof set_14 / sizeof set_14[0]; break;
    case 0x16: r = set_16; *n = sizeof set_16 / sizeof set_16[0]; break;
    case 0x17: r = set_17; *n = sizeof set_17 / sizeof set_17[0]; break;
    case 0x18: r = set_18; *n = sizeof set_18 / sizeof set_18[0]; break;
    case 0x1B: r = set_1b; *n = sizeof set_1b / sizeof set_1b[0]; break;
    default: return NULL;
  }
  return r;
}

kb_pev_t kb_pev_decode(uint8_t set, uint8_t code) {
  kb_pev_t ev = {KB_PEV_UNKNOWN, 0, set, code};
  const kb_pev_row_t *r;
  /* A set's rows are sorted by first code and do not overlap: find the last
   * row that starts at or before code; when none does, r stays on the
   * set's first row and the check below rejects it. */
  if (set < 4u) { /* from the start8 entry, row by row (< 1 step) */
    const kb_pev_row_t *end = rows_low + low_end[set];
    r = rows_low + start8[set][code >> 3];
    while (r + 1 < end && r[1].first <= code) r++;
  } else { /* halve the range: no early exit, one compare per step */
    size_t n;
    r = set_rows(set, &n);
    if (!r) return ev;
    while (n > 1) {
      size_t half = n / 2;
      if (r[half].first <= code) r += half;
      n -= half;
    }
  }
  if (code < r->first || code > r->last) return ev;
  ev.kind = r->kind;
  if (r->num & NUM_START) {
    uint8_t num = (uint8_t)((r->num & NUM_START) + (code - r->first));
    if (r->num & NUM_A) num = kb_pev_code_scheme_a(num);
    if (r->num & NUM_B) num = kb_pev_code_scheme_b(num);
    ev.number = num;
  }
  return ev;
}

void kb_pev_time(const uint8_t t[4], kb_time_t *out) {
  uint8_t y1 = (uint8_t)(t[0] >> 4), y2 = (uint8_t)(t[0] & 0x0Fu);
  out->year = (uint16_t)(y1 * 10u + y2 + (y1 >= 7u ? 1900u : 2000u));
  out->month = (uint8_t)((t[1] >> 2) & 0x0Fu);
  out->day = (uint8_t)(((t[1] & 0x03u) << 3) | (t[2] >> 5));
  out->hour = (uint8_t)(t[2] & 0x1Fu);
  out->minute = (uint8_t)(t[3] >> 2);
  out->valid = (uint8_t)(y1 <= 9u && y2 <= 9u && out->month >= 1u && out->month <= 12u &&
                         out->day >= 1u && out->hour < 24u && out->minute < 60u);
}

bool kb_pev_parse_frame(const uint8_t *p, size_t len, kb_pev_msg_t *out) {
  uint8_t cmd, flags = KB_PEV_F_TIME;
  kb_pev_t ev;
  memset(out, 0, sizeof *out);
  if (!p || len < 1) return false;
  /* the frame's bytes go to locals before each store to *out (byte
   * stores may alias p: the compiler would reload after each) */
  cmd = p[0];
  switch (cmd) {
    case KB_CMD_EVENT:
    case KB_CMD_EVENT_BUFFER: {
      if (len < 9) return false;
      uint8_t part = (uint8_t)(p[3] >> 6), c6 = p[6], c7 = p[7];
      ev = kb_pev_decode((uint8_t)(p[5] & 0x03u), c6);
      /* partitions 1-2 only: the value 3 names no partition */
      if (part > 2u) part = 0;
      if (cmd == KB_CMD_EVENT_BUFFER) {
        out->event_number = c7;
        flags |= KB_PEV_F_EVENT_NUMBER;
      } else if (c6 == 0 && c7 == 0) {
        ev.kind = KB_PEV_UNKNOWN;
        flags |= KB_PEV_F_TIMESTAMP_ONLY;
      }
      out->partition = part;
      out->partition_mask = (uint8_t)(part ? 1u << (part - 1u) : 0u);
      kb_pev_time(&p[2], &out->time);
      break;
    }
    case KB_CMD_EVENT_HIGH:
    case KB_CMD_EVENT_BUFFER_HIGH: {
      if (len < 11) return false;
      uint8_t mask = p[2], set = p[7];
      ev = kb_pev_decode(set, p[8]);
      if (cmd == KB_CMD_EVENT_BUFFER_HIGH) {
        out->event_number = (uint16_t)(p[9] + 256u * (p[4] >> 6));
        flags |= KB_PEV_F_EVENT_NUMBER;
        if (set == 0xFF) flags |= KB_PEV_F_EMPTY;
      }
      out->partition_mask = mask;
      if (mask && (mask & (mask - 1u)) == 0) {
        uint8_t n = 1;
        while (!(mask & 1u)) {
          mask >>= 1;
          n++;
        }
        out->partition = n;
      }
      kb_pev_time(&p[3], &out->time);
      break;
    }
    case KB_CMD_PANEL_STATUS:
      if (len < 8 || !(p[2] & 0x20u)) return false;
      ev = kb_pev_decode((uint8_t)(p[3] & 0x03u), p[4]);
      flags = 0;
      break;
    default:
      return false;
  }
  out->ev = ev;
  out->flags = flags;
  out->command = cmd;
  return true;
}
