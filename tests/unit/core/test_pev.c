/* SPDX-License-Identifier: MIT
 *
 * test_pev.c - kb_pev (event/status message sets) and kb_pev_text.
 *
 * The expected tables below are restated from the protocol notes §3.9, with
 * each first number written as the notes' formula (e.g. zone = code - 8), so
 * they are an independent check of the range table in src/core/kb_pev.c.
 */
#include "harness.h"

#include <ctype.h>

#include "host/kb_pev_text.h"
#include "keybus/kb_pev.h"

/* ------------------------------------------------------------ expectations */

enum { PLAIN = 0, SCHEME_A = 'A', SCHEME_B = 'B' };

typedef struct {
  uint8_t set, first, last, kind;
  int idx_first; /* number (or code index) of the first code; 0 = no number */
  int scheme;    /* PLAIN, SCHEME_A, SCHEME_B */
  int n_first, n_last; /* user-visible numbers at the boundaries */
} exp_row_t;

#define ONE(set, code, kind) {set, code, code, KB_PEV_##kind, 0, PLAIN, 0, 0}
#define RNG(set, first, last, kind, idx, scheme, nf, nl) \
  {set, first, last, KB_PEV_##kind, idx, scheme, nf, nl}

static const exp_row_t exp_rows[] = {
    /* set 0x00 */
    RNG(0x00, 0x09, 0x28, ZONE_ALARM, 0x09 - 8, PLAIN, 1, 32),
    RNG(0x00, 0x29, 0x48, ZONE_ALARM_RESTORED, 0x29 - 40, PLAIN, 1, 32),
    ONE(0x00, 0x49, DURESS_ALARM),
    ONE(0x00, 0x4A, DISARMED_ALARM_MEMORY),
    ONE(0x00, 0x4B, RECENT_CLOSING_ALARM),
    ONE(0x00, 0x4C, EXPANDER_SUPERVISORY_ALARM),
    ONE(0x00, 0x4D, EXPANDER_SUPERVISORY_RESTORED),
    ONE(0x00, 0x4E, KEYPAD_FIRE_ALARM),
    ONE(0x00, 0x4F, KEYPAD_AUX_ALARM),
    ONE(0x00, 0x50, KEYPAD_PANIC_ALARM),
    ONE(0x00, 0x51, PGM2_INPUT_ALARM),
    ONE(0x00, 0x52, KEYPAD_FIRE_RESTORED),
    ONE(0x00, 0x53, KEYPAD_AUX_RESTORED),
    ONE(0x00, 0x54, KEYPAD_PANIC_RESTORED),
    ONE(0x00, 0x55, PGM2_INPUT_RESTORED),
    RNG(0x00, 0x56, 0x75, ZONE_TAMPER, 0x56 - 85, PLAIN, 1, 32),
    RNG(0x00, 0x76, 0x95, ZONE_TAMPER_RESTORED, 0x76 - 117, PLAIN, 1, 32),
    ONE(0x00, 0x98, KEYPAD_LOCKOUT),
    RNG(0x00, 0x99, 0xBD, ARMED_BY_CODE, 0x99 - 0x98, SCHEME_A, 1, 42),
    ONE(0x00, 0xBE, ARMED_PARTIAL),
    ONE(0x00, 0xBF, ARMED_SPECIAL),
    RNG(0x00, 0xC0, 0xE4, DISARMED_BY_CODE, 0xC0 - 0xBF, SCHEME_A, 1, 42),
    ONE(0x00, 0xE5, AUTO_ARM_CANCELLED),
    ONE(0x00, 0xE6, DISARMED_SPECIAL),
    ONE(0x00, 0xE7, BATTERY_TROUBLE),
    ONE(0x00, 0xE8, AC_TROUBLE),
    ONE(0x00, 0xE9, BELL_TROUBLE),
    ONE(0x00, 0xEA, FIRE_TROUBLE),
    ONE(0x00, 0xEB, AUX_SUPPLY_TROUBLE),
    ONE(0x00, 0xEC, PHONE_LINE_TROUBLE),
    ONE(0x00, 0xEF, BATTERY_RESTORED),
    ONE(0x00, 0xF0, AC_RESTORED),
    ONE(0x00, 0xF1, BELL_RESTORED),
    ONE(0x00, 0xF2, FIRE_TROUBLE_RESTORED),
    ONE(0x00, 0xF3, AUX_SUPPLY_RESTORED),
    ONE(0x00, 0xF4, PHONE_LINE_RESTORED),
    RNG(0x00, 0xF7, 0xF8, PHONE_FTC, 1, PLAIN, 1, 2),
    ONE(0x00, 0xF9, EVENT_BUFFER_THRESHOLD),
    ONE(0x00, 0xFA, DLS_LEAD_IN),
    ONE(0x00, 0xFB, DLS_LEAD_OUT),
    ONE(0x00, 0xFE, PERIODIC_TEST),
    ONE(0x00, 0xFF, SYSTEM_TEST),
    /* set 0x01 */
    ONE(0x01, 0x03, CROSS_ZONE_ALARM),
    ONE(0x01, 0x04, DELINQUENCY_ALARM),
    ONE(0x01, 0x05, LATE_TO_CLOSE),
    RNG(0x01, 0x24, 0x28, ACCESS_CODE, 0x24 - 3, SCHEME_A, 33, 42),
    ONE(0x01, 0x29, DOWNLOAD_FORCED_ANSWER),
    ONE(0x01, 0x2B, ARMED_AUTO),
    RNG(0x01, 0x2C, 0x4B, ZONE_BATTERY_RESTORED, 0x2C - 43, PLAIN, 1, 32),
    RNG(0x01, 0x4C, 0x6B, ZONE_BATTERY_LOW, 0x4C - 75, PLAIN, 1, 32),
    RNG(0x01, 0x6C, 0x8B, ZONE_FAULT_RESTORED, 0x6C - 107, PLAIN, 1, 32),
    RNG(0x01, 0x8C, 0xAB, ZONE_FAULT, 0x8C - 139, PLAIN, 1, 32),
    ONE(0x01, 0xAC, INSTALLER_EXIT),
    ONE(0x01, 0xAD, INSTALLER_ENTER),
    ONE(0x01, 0xAE, WALK_TEST_END),
    ONE(0x01, 0xAF, WALK_TEST_BEGIN),
    RNG(0x01, 0xB0, 0xCF, ZONE_BYPASSED, 0xB0 - 175, PLAIN, 1, 32),
    RNG(0x01, 0xD0, 0xD0, COMMAND_OUTPUT, 4, PLAIN, 4, 4),
    ONE(0x01, 0xD1, EXIT_FAULT_PRE_ALERT),
    ONE(0x01, 0xD2, ARMED_ENTRY_DELAY),
    ONE(0x01, 0xD3, DOWNLOOK_TRIGGER),
    /* set 0x02 */
    ONE(0x02, 0x2A, QUICK_EXIT),
    ONE(0x02, 0x63, KEYBUS_FAULT_RESTORED),
    ONE(0x02, 0x64, KEYBUS_FAULT),
    ONE(0x02, 0x66, BYPASS_MENU),
    RNG(0x02, 0x67, 0x69, COMMAND_OUTPUT, 0x67 - 0x66, PLAIN, 1, 3),
    ONE(0x02, 0x8C, COLD_START),
    ONE(0x02, 0x8D, WARM_START),
    ONE(0x02, 0x8E, FACTORY_DEFAULT),
    ONE(0x02, 0x91, SWINGER_SHUTDOWN),
    ONE(0x02, 0x93, DISARMED_KEYSWITCH),
    ONE(0x02, 0x96, ARMED_KEYSWITCH),
    ONE(0x02, 0x97, ARMED_KEYPAD_AWAY),
    ONE(0x02, 0x98, ARMED_QUICK),
    ONE(0x02, 0x99, ACTIVATE_STAY_AWAY),
    ONE(0x02, 0x9A, ARMED_STAY),
    ONE(0x02, 0x9B, ARMED_AWAY),
    ONE(0x02, 0x9C, ARMED_NO_ENTRY_DELAY),
    RNG(0x02, 0x9E, 0xC2, STAR1_BY_CODE, 0x9E - 0x9D, SCHEME_A, 1, 42),
    RNG(0x02, 0xC3, 0xC5, STAR5_BY_CODE, 0xC3 - 0xA0, SCHEME_A, 40, 42),
    RNG(0x02, 0xC6, 0xE5, ACCESS_CODE, 0xC6 - 0xC5, SCHEME_A, 1, 32),
    RNG(0x02, 0xE6, 0xE8, STAR6_BY_CODE, 0xE6 - 0xC3, SCHEME_A, 40, 42),
    RNG(0x02, 0xE9, 0xF0, KEYPAD_RESTORED, 0xE9 - 232, PLAIN, 1, 8),
    RNG(0x02, 0xF1, 0xF8, KEYPAD_TROUBLE, 0xF1 - 240, PLAIN, 1, 8),
    RNG(0x02, 0xF9, 0xFE, EXPANDER_RESTORED, 0xF9 - 248, PLAIN, 1, 6),
    RNG(0x02, 0xFF, 0xFF, EXPANDER_TROUBLE, 1, PLAIN, 1, 1),
    /* set 0x03 */
    RNG(0x03, 0x00, 0x04, EXPANDER_TROUBLE, 0x00 + 2, PLAIN, 2, 6),
    ONE(0x03, 0x05, RF5132_SUPERVISORY_RESTORED),
    ONE(0x03, 0x06, RF5132_SUPERVISORY_TROUBLE),
    ONE(0x03, 0x09, PC5204_SUPERVISORY_RESTORED),
    ONE(0x03, 0x0A, PC5204_SUPERVISORY_TROUBLE),
    RNG(0x03, 0x17, 0x17, EXPANDER_RESTORED, 7, PLAIN, 7, 7),
    RNG(0x03, 0x18, 0x18, EXPANDER_TROUBLE, 7, PLAIN, 7, 7),
    RNG(0x03, 0x25, 0x2C, KEYPAD_TAMPER_RESTORED, 0x25 - 0x24, PLAIN, 1, 8),
    RNG(0x03, 0x2D, 0x34, KEYPAD_TAMPER, 0x2D - 0x2C, PLAIN, 1, 8),
    RNG(0x03, 0x35, 0x3A, EXPANDER_TAMPER_RESTORED, 0x35 - 52, PLAIN, 1, 6),
    RNG(0x03, 0x3B, 0x40, EXPANDER_TAMPER, 0x3B - 58, PLAIN, 1, 6),
    ONE(0x03, 0x41, RF5132_TAMPER_RESTORED),
    ONE(0x03, 0x42, RF5132_TAMPER),
    ONE(0x03, 0x43, PC5208_TAMPER_RESTORED),
    ONE(0x03, 0x44, PC5208_TAMPER),
    ONE(0x03, 0x45, PC5204_TAMPER_RESTORED),
    ONE(0x03, 0x46, PC5204_TAMPER),
    RNG(0x03, 0x51, 0x51, EXPANDER_TAMPER_RESTORED, 7, PLAIN, 7, 7),
    RNG(0x03, 0x52, 0x52, EXPANDER_TAMPER, 7, PLAIN, 7, 7),
    ONE(0x03, 0xB3, PC5204_BATTERY_RESTORED),
    ONE(0x03, 0xB4, PC5204_BATTERY_TROUBLE),
    ONE(0x03, 0xB5, PC5204_AUX_RESTORED),
    ONE(0x03, 0xB6, PC5204_AUX_TROUBLE),
    ONE(0x03, 0xB7, PC5204_OUTPUT1_RESTORED),
    ONE(0x03, 0xB8, PC5204_OUTPUT1_TROUBLE),
    ONE(0x03, 0xFF, EXTENDED_STATUS),
    /* set 0x04 */
    RNG(0x04, 0x00, 0x1F, ZONE_ALARM, 0x00 + 33, PLAIN, 33, 64),
    RNG(0x04, 0x20, 0x3F, ZONE_ALARM_RESTORED, 0x20 + 1, PLAIN, 33, 64),
    RNG(0x04, 0x40, 0x5F, ZONE_TAMPER, 0x40 - 31, PLAIN, 33, 64),
    RNG(0x04, 0x60, 0x7F, ZONE_TAMPER_RESTORED, 0x60 - 63, PLAIN, 33, 64),
    ONE(0x04, 0x86, PERIODIC_TEST_TROUBLE),
    ONE(0x04, 0x87, EXIT_FAULT),
    ONE(0x04, 0x89, ALARM_CANCELLED),
    /* set 0x05 */
    RNG(0x05, 0x00, 0x39, ARMED_BY_CODE, 0x00 + 0x23, SCHEME_B, 35, 95),
    RNG(0x05, 0x3A, 0x73, DISARMED_BY_CODE, 0x3A - 0x17, SCHEME_B, 35, 95),
    /* set 0x14 (zone faults 33-64: historical decode, kept on purpose) */
    RNG(0x14, 0x40, 0x5F, ZONE_FAULT_RESTORED, 0x40 - 31, PLAIN, 33, 64),
    RNG(0x14, 0x60, 0x7F, ZONE_FAULT, 0x60 - 63, PLAIN, 33, 64),
    ONE(0x14, 0xC0, TLINK_COM_FAULT),
    ONE(0x14, 0xC2, TLINK_NETWORK_FAULT),
    ONE(0x14, 0xC4, TLINK_RECEIVER_TROUBLE),
    ONE(0x14, 0xC5, TLINK_RECEIVER_RESTORED),
    /* set 0x16 */
    ONE(0x16, 0x80, TROUBLE_ACKNOWLEDGED),
    ONE(0x16, 0x81, RF_DELINQUENCY_TROUBLE),
    ONE(0x16, 0x82, RF_DELINQUENCY_RESTORED),
    /* set 0x17 */
    RNG(0x17, 0x00, 0x24, STAR2_BY_CODE, 0x00 + 1, SCHEME_A, 1, 42),
    RNG(0x17, 0x25, 0x49, STAR3_BY_CODE, 0x25 - 0x24, SCHEME_A, 1, 42),
    RNG(0x17, 0x4A, 0x83, STAR1_BY_CODE, 0x4A - 0x27, SCHEME_B, 35, 95),
    RNG(0x17, 0x84, 0xBD, STAR2_BY_CODE, 0x84 - 0x61, SCHEME_B, 35, 95),
    RNG(0x17, 0xBE, 0xF7, STAR3_BY_CODE, 0xBE - 0x9B, SCHEME_B, 35, 95),
    /* set 0x18 */
    RNG(0x18, 0x00, 0x39, ACCESS_CODE, 0x00 + 0x23, SCHEME_B, 35, 95),
    RNG(0x18, 0x3A, 0x95, STAR5_BY_CODE, 0x3A - 0x39, SCHEME_B, 1, 95),
    RNG(0x18, 0x96, 0xF1, STAR6_BY_CODE, 0x96 - 0x95, SCHEME_B, 1, 95),
    /* set 0x1B */
    ONE(0x1B, 0xF1, SYSTEM_RESET_TX),
};
#define N_EXP (sizeof exp_rows / sizeof exp_rows[0])

static const uint8_t known_sets[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
                                     0x14, 0x16, 0x17, 0x18, 0x1B};

/* The notes' numbering schemes, restated. */
static int exp_scheme(int scheme, int idx) {
  if (scheme == SCHEME_A) return idx <= 34 ? idx : idx + 5;
  if (scheme == SCHEME_B) return idx <= 39 ? idx : idx + 3;
  return idx;
}

static const exp_row_t *exp_find(uint8_t set, uint8_t code) {
  for (size_t i = 0; i < N_EXP; i++)
    if (exp_rows[i].set == set && code >= exp_rows[i].first && code <= exp_rows[i].last)
      return &exp_rows[i];
  return NULL;
}

#define KT_EV(set_, code_, kind_, number_)                 \
  do {                                                     \
    kb_pev_t e_ = kb_pev_decode((set_), (code_));          \
    KT_EQ(e_.kind, (kind_));                               \
    KT_EQ(e_.number, (number_));                           \
    KT_EQ(e_.set, (set_));                                 \
    KT_EQ(e_.code, (code_));                               \
  } while (0)

/* Boundaries of every row of one set: first and last code give the kind and
 * the numbers the notes give; the codes just outside are not that kind. */
static void check_set_rows(uint8_t set) {
  int rows = 0;
  for (size_t i = 0; i < N_EXP; i++) {
    const exp_row_t *r = &exp_rows[i];
    if (r->set != set) continue;
    rows++;
    KT_EV(set, r->first, r->kind, r->n_first);
    KT_EV(set, r->last, r->kind, r->n_last);
    KT_EQ(exp_scheme(r->scheme, r->idx_first), r->n_first);
    KT_EQ(exp_scheme(r->scheme, r->idx_first + (r->last - r->first)), r->n_last);
    if (r->first > 0) KT_CHECK(kb_pev_decode(set, (uint8_t)(r->first - 1)).kind != r->kind);
    if (r->last < 0xFF) KT_CHECK(kb_pev_decode(set, (uint8_t)(r->last + 1)).kind != r->kind);
  }
  KT_CHECK(rows > 0);
}

static void test_set00_boundaries(void) { check_set_rows(0x00); }
static void test_set01_boundaries(void) { check_set_rows(0x01); }
static void test_set02_boundaries(void) { check_set_rows(0x02); }
static void test_set03_boundaries(void) { check_set_rows(0x03); }
static void test_set04_boundaries(void) { check_set_rows(0x04); }
static void test_set05_boundaries(void) { check_set_rows(0x05); }
static void test_set14_boundaries(void) { check_set_rows(0x14); }
static void test_set16_boundaries(void) { check_set_rows(0x16); }
static void test_set17_boundaries(void) { check_set_rows(0x17); }
static void test_set18_boundaries(void) { check_set_rows(0x18); }
static void test_set1b_boundaries(void) { check_set_rows(0x1B); }

/* Every (selector, code) pair: exactly the notes' table, nothing more. */
static void test_full_sweep_matches_notes(void) {
  for (int set = 0; set < 256; set++) {
    for (int code = 0; code < 256; code++) {
      kb_pev_t e = kb_pev_decode((uint8_t)set, (uint8_t)code);
      const exp_row_t *r = exp_find((uint8_t)set, (uint8_t)code);
      KT_EQ(e.set, set);
      KT_EQ(e.code, code);
      KT_CHECK(e.kind < KB_PEV_COUNT);
      if (!r) {
        if (e.kind != KB_PEV_UNKNOWN || e.number != 0)
          kt_fail(__FILE__, __LINE__, "set 0x%02X code 0x%02X: kind %u, want unknown", set, code,
                  e.kind);
        continue;
      }
      int want = r->idx_first ? exp_scheme(r->scheme, r->idx_first + (code - r->first)) : 0;
      if (e.kind != r->kind || e.number != want)
        kt_fail(__FILE__, __LINE__, "set 0x%02X code 0x%02X: kind %u number %u, want %u %d", set,
                code, e.kind, e.number, r->kind, want);
    }
  }
}

static void test_set00_unknown_gaps(void) {
  static const uint8_t gaps[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                 0x96, 0x97, 0xED, 0xEE, 0xF5, 0xF6, 0xFC, 0xFD};
  for (size_t i = 0; i < sizeof gaps; i++) KT_EV(0x00, gaps[i], KB_PEV_UNKNOWN, 0);
}

static void test_unknown_selectors(void) {
  static const uint8_t sels[] = {0x06, 0x07, 0x08, 0x0C, 0x10, 0x13, 0x15, 0x19,
                                 0x1A, 0x1C, 0x1D, 0x20, 0x80, 0xFF};
  for (size_t i = 0; i < sizeof sels; i++)
    for (int code = 0; code < 256; code += 17) KT_EV(sels[i], (uint8_t)code, KB_PEV_UNKNOWN, 0);
  /* and every selector the notes list has at least one known code */
  for (size_t i = 0; i < sizeof known_sets; i++) {
    int known = 0;
    for (int code = 0; code < 256; code++)
      known += kb_pev_decode(known_sets[i], (uint8_t)code).kind != KB_PEV_UNKNOWN;
    KT_CHECK(known > 0);
  }
}

/* ------------------------------------------------- access-code numbering */

static void test_code_scheme_a(void) {
  KT_EQ(kb_pev_code_scheme_a(0), 0);
  for (int i = 1; i <= 34; i++) KT_EQ(kb_pev_code_scheme_a((uint8_t)i), i);
  KT_EQ(kb_pev_code_scheme_a(35), 40);
  KT_EQ(kb_pev_code_scheme_a(36), 41);
  KT_EQ(kb_pev_code_scheme_a(37), 42);
}

static void test_code_scheme_b(void) {
  KT_EQ(kb_pev_code_scheme_b(0), 0);
  for (int i = 1; i <= 39; i++) KT_EQ(kb_pev_code_scheme_b((uint8_t)i), i);
  KT_EQ(kb_pev_code_scheme_b(40), 43);
  KT_EQ(kb_pev_code_scheme_b(41), 44);
  KT_EQ(kb_pev_code_scheme_b(92), 95);
}

/* The scheme jumps inside the event ranges. */
static void test_code_scheme_in_events(void) {
  KT_EV(0x00, 0xBA, KB_PEV_ARMED_BY_CODE, 34);
  KT_EV(0x00, 0xBB, KB_PEV_ARMED_BY_CODE, 40);
  KT_EV(0x00, 0xBC, KB_PEV_ARMED_BY_CODE, 41);
  KT_EV(0x00, 0xE1, KB_PEV_DISARMED_BY_CODE, 34);
  KT_EV(0x00, 0xE2, KB_PEV_DISARMED_BY_CODE, 40);
  KT_EV(0x01, 0x25, KB_PEV_ACCESS_CODE, 34);
  KT_EV(0x01, 0x26, KB_PEV_ACCESS_CODE, 40);
  KT_EV(0x02, 0xC1, KB_PEV_STAR1_BY_CODE, 41);
  KT_EV(0x05, 0x04, KB_PEV_ARMED_BY_CODE, 39);
  KT_EV(0x05, 0x05, KB_PEV_ARMED_BY_CODE, 43);
  KT_EV(0x05, 0x3E, KB_PEV_DISARMED_BY_CODE, 39);
  KT_EV(0x05, 0x3F, KB_PEV_DISARMED_BY_CODE, 43);
  KT_EV(0x17, 0x21, KB_PEV_STAR2_BY_CODE, 34);
  KT_EV(0x17, 0x22, KB_PEV_STAR2_BY_CODE, 40);
  KT_EV(0x17, 0x4E, KB_PEV_STAR1_BY_CODE, 39);
  KT_EV(0x17, 0x4F, KB_PEV_STAR1_BY_CODE, 43);
  KT_EV(0x18, 0x60, KB_PEV_STAR5_BY_CODE, 39);
  KT_EV(0x18, 0x61, KB_PEV_STAR5_BY_CODE, 43);
  KT_EV(0x18, 0xBC, KB_PEV_STAR6_BY_CODE, 39);
  KT_EV(0x18, 0xBD, KB_PEV_STAR6_BY_CODE, 43);
}

/* ------------------------------------------------------------- date/time */

static void check_time(const uint8_t t[4], int y, int mo, int d, int h, int mi, int valid) {
  kb_time_t tm;
  memset(&tm, 0xAA, sizeof tm);
  kb_pev_time(t, &tm);
  KT_EQ(tm.year, y);
  KT_EQ(tm.month, mo);
  KT_EQ(tm.day, d);
  KT_EQ(tm.hour, h);
  KT_EQ(tm.minute, mi);
  KT_EQ(tm.valid, valid);
}

static void test_time_notes_example(void) {
  /* §3.6: A5 0 18 4F B0 EC 49 FF F0 -> 2018-03-29 16:59, set 0 */
  static const uint8_t t[4] = {0x18, 0x4F, 0xB0, 0xEC};
  check_time(t, 2018, 3, 29, 16, 59, 1);
}

static void test_time_year_rule(void) {
  static const uint8_t t70[4] = {0x70, 0x04, 0x20, 0x00};
  static const uint8_t t69[4] = {0x69, 0x04, 0x20, 0x00};
  static const uint8_t t99[4] = {0x99, 0x04, 0x20, 0x00};
  static const uint8_t t00[4] = {0x00, 0x04, 0x20, 0x00};
  check_time(t70, 1970, 1, 1, 0, 0, 1);
  check_time(t69, 2069, 1, 1, 0, 0, 1);
  check_time(t99, 1999, 1, 1, 0, 0, 1);
  check_time(t00, 2000, 1, 1, 0, 0, 1);
}

static void test_time_limits(void) {
  /* month 12, day 31, 23:59 */
  static const uint8_t hi[4] = {0x24, 0x33, 0xF7, 0xEC};
  check_time(hi, 2024, 12, 31, 23, 59, 1);
  /* the low bits of T1 b7..6 and T3 b1..0 do not disturb the fields */
  static const uint8_t hi2[4] = {0x24, 0xF3, 0xF7, 0xEF};
  check_time(hi2, 2024, 12, 31, 23, 59, 1);
}

static void test_time_invalid(void) {
  static const uint8_t nib_hi[4] = {0xA0, 0x04, 0x20, 0x00};  /* y1 = 0xA */
  static const uint8_t nib_lo[4] = {0x1B, 0x04, 0x20, 0x00};  /* y2 = 0xB */
  static const uint8_t mon0[4] = {0x18, 0x00, 0x20, 0x00};    /* month 0 */
  static const uint8_t mon13[4] = {0x18, 0x34, 0x20, 0x00};   /* month 13 */
  static const uint8_t day0[4] = {0x18, 0x04, 0x00, 0x00};    /* day 0 */
  static const uint8_t hour24[4] = {0x18, 0x04, 0x38, 0x00};  /* hour 24 */
  static const uint8_t min60[4] = {0x18, 0x04, 0x20, 0xF0};   /* minute 60 */
  check_time(nib_hi, 1900 + 100, 1, 1, 0, 0, 0); /* y1 = 10 >= 7: 19xx rule */
  check_time(nib_lo, 2000 + 10 + 11, 1, 1, 0, 0, 0); /* raw nibbles */
  check_time(mon0, 2018, 0, 1, 0, 0, 0);
  check_time(mon13, 2018, 13, 1, 0, 0, 0);
  check_time(day0, 2018, 1, 0, 0, 0, 0);
  check_time(hour24, 2018, 1, 1, 24, 0, 0);
  check_time(min60, 2018, 1, 1, 0, 60, 0);
}

/* --------------------------------------------------------- frame vectors */

static int sum_ok(const uint8_t *p, size_t n) {
  unsigned s = p[0];
  for (size_t i = 2; i + 1 < n; i++) s += p[i];
  return (s & 0xFFu) == p[n - 1];
}

static kb_pev_msg_t parse(const uint8_t *p, size_t n) {
  kb_pev_msg_t m;
  KT_CHECK(sum_ok(p, n)); /* guards against typos in the vectors below */
  KT_CHECK(kb_pev_parse_frame(p, n, &m));
  KT_EQ(m.command, p[0]);
  return m;
}

#define KT_TIME(m, y, mo, d, h, mi)      \
  do {                                   \
    KT_CHECK((m).flags & KB_PEV_F_TIME); \
    KT_EQ((m).time.year, y);             \
    KT_EQ((m).time.month, mo);           \
    KT_EQ((m).time.day, d);              \
    KT_EQ((m).time.hour, h);             \
    KT_EQ((m).time.minute, mi);          \
    KT_EQ((m).time.valid, 1);            \
  } while (0)

static void test_frame_notes_example_duress(void) {
  static const uint8_t f[] = {0xA5, 0, 0x18, 0x4F, 0xB0, 0xEC, 0x49, 0xFF, 0xF0};
  kb_pev_msg_t m = parse(f, sizeof f);
  KT_TIME(m, 2018, 3, 29, 16, 59);
  KT_EQ(m.partition, 1);
  KT_EQ(m.partition_mask, 0x01);
  KT_EQ(m.ev.kind, KB_PEV_DURESS_ALARM);
  KT_EQ(m.ev.set, 0);
}

static void test_vector11_timestamp(void) {
  static const uint8_t f[] = {0xA5, 0, 0x18, 0x0E, 0xED, 0x80, 0x00, 0x00, 0x38};
  kb_pev_msg_t m = parse(f, sizeof f);
  KT_TIME(m, 2018, 3, 23, 13, 32);
  KT_CHECK(m.flags & KB_PEV_F_TIMESTAMP_ONLY);
  KT_EQ(m.ev.kind, KB_PEV_UNKNOWN);
  KT_EQ(m.partition, 0);
}

static void test_vectors12_17_a5(void) {
  static const uint8_t v12[] = {0xA5, 0, 0x18, 0x4D, 0x08, 0x90, 0x99, 0xFF, 0x3A};
  static const uint8_t v13[] = {0xA5, 0, 0x18, 0x4D, 0x08, 0xB4, 0xE2, 0xFF, 0xA7};
  static const uint8_t v14[] = {0xA5, 0, 0x18, 0x4F, 0x49, 0xD8, 0x09, 0xFF, 0x35};
  static const uint8_t v15[] = {0xA5, 0, 0x18, 0x4F, 0x2D, 0x1A, 0x9A, 0x00, 0xED};
  static const uint8_t v16[] = {0xA5, 0, 0x18, 0x4F, 0xB3, 0x98, 0xE8, 0xFF, 0x3E};
  static const uint8_t v17[] = {0xA5, 0, 0x16, 0x17, 0xED, 0x10, 0x50, 0x91, 0xB0};
  kb_pev_msg_t m;
  m = parse(v12, sizeof v12);
  KT_TIME(m, 2018, 3, 8, 8, 36);
  KT_EQ(m.partition, 1);
  KT_EQ(m.ev.kind, KB_PEV_ARMED_BY_CODE);
  KT_EQ(m.ev.number, 1);
  m = parse(v13, sizeof v13);
  KT_TIME(m, 2018, 3, 8, 8, 45);
  KT_EQ(m.ev.kind, KB_PEV_DISARMED_BY_CODE);
  KT_EQ(m.ev.number, 40);
  m = parse(v14, sizeof v14);
  KT_TIME(m, 2018, 3, 26, 9, 54);
  KT_EQ(m.ev.kind, KB_PEV_ZONE_ALARM);
  KT_EQ(m.ev.number, 1);
  m = parse(v15, sizeof v15);
  KT_TIME(m, 2018, 3, 25, 13, 6);
  KT_EQ(m.ev.set, 2);
  KT_EQ(m.ev.kind, KB_PEV_ARMED_STAY);
  KT_CHECK(!(m.flags & KB_PEV_F_TIMESTAMP_ONLY));
  m = parse(v16, sizeof v16);
  KT_TIME(m, 2018, 3, 29, 19, 38);
  KT_EQ(m.ev.kind, KB_PEV_AC_TROUBLE);
  m = parse(v17, sizeof v17);
  KT_TIME(m, 2016, 5, 31, 13, 4);
  KT_EQ(m.partition, 0);
  KT_EQ(m.partition_mask, 0);
  KT_EQ(m.ev.kind, KB_PEV_KEYPAD_PANIC_ALARM);
}

static void test_vector18_aa_event_buffer(void) {
  static const uint8_t f[] = {0xAA, 0, 0x20, 0x66, 0x8C, 0xD0, 0x0B, 0x05, 0x9C};
  kb_pev_msg_t m = parse(f, sizeof f);
  KT_TIME(m, 2020, 9, 20, 12, 52);
  KT_EQ(m.partition, 1);
  KT_CHECK(m.flags & KB_PEV_F_EVENT_NUMBER);
  KT_EQ(m.event_number, 5);
  KT_EQ(m.ev.kind, KB_PEV_ZONE_ALARM);
  KT_EQ(m.ev.number, 3);
}

static void test_vector21_ce(void) {
  static const uint8_t f[] = {0xCE, 0, 0x20, 0x1D, 0x8C, 0x00, 0x00, 0x97};
  kb_pev_msg_t m = parse(f, sizeof f);
  KT_CHECK(!(m.flags & KB_PEV_F_TIME));
  KT_EQ(m.ev.set, 1);
  KT_EQ(m.ev.kind, KB_PEV_ZONE_FAULT);
  KT_EQ(m.ev.number, 1);
  /* byte 2 bit 5 clear: not an event */
  static const uint8_t g[] = {0xCE, 0, 0x01, 0x1D, 0x8C, 0x00, 0x00, 0x78};
  KT_CHECK(!kb_pev_parse_frame(g, sizeof g, &m));
}

static void test_vectors25_27_eb(void) {
  static const uint8_t v25[] = {0xEB, 0, 0x01, 0x18, 0x18, 0x8F, 0x28, 0x04, 0x00, 0x91, 0x68};
  static const uint8_t v26[] = {0xEB, 0, 0x01, 0x18, 0x18, 0x8A, 0x38, 0x00, 0xBB, 0x00, 0x99};
  static const uint8_t v27[] = {0xEB, 0, 0x80, 0x20, 0x2A, 0x17, 0xD0, 0x00, 0x57, 0xFF, 0xF2};
  kb_pev_msg_t m;
  m = parse(v25, sizeof v25);
  KT_TIME(m, 2018, 6, 4, 15, 10);
  KT_EQ(m.partition, 1);
  KT_EQ(m.ev.set, 4);
  KT_EQ(m.ev.kind, KB_PEV_ZONE_ALARM);
  KT_EQ(m.ev.number, 33);
  m = parse(v26, sizeof v26);
  KT_TIME(m, 2018, 6, 4, 10, 14);
  KT_EQ(m.ev.kind, KB_PEV_ARMED_BY_CODE);
  KT_EQ(m.ev.number, 40);
  m = parse(v27, sizeof v27);
  KT_TIME(m, 2020, 10, 16, 23, 52);
  KT_EQ(m.partition, 8);
  KT_EQ(m.partition_mask, 0x80);
  KT_EQ(m.ev.kind, KB_PEV_ZONE_TAMPER);
  KT_EQ(m.ev.number, 2);
  KT_CHECK(!(m.flags & KB_PEV_F_EVENT_NUMBER));
}

static void test_vector28_ec(void) {
  static const uint8_t f[] = {0xEC, 0, 0x00, 0x16, 0x58, 0xA1, 0x28, 0x02, 0x91, 0x04, 0xBA};
  kb_pev_msg_t m = parse(f, sizeof f);
  KT_TIME(m, 2016, 6, 5, 1, 10);
  KT_EQ(m.event_number, 260);
  KT_CHECK(m.flags & KB_PEV_F_EVENT_NUMBER);
  KT_CHECK(!(m.flags & KB_PEV_F_EMPTY));
  KT_EQ(m.partition, 0);
  KT_EQ(m.ev.kind, KB_PEV_SWINGER_SHUTDOWN);
}

static void test_historical_vectors(void) {
  static const uint8_t f1[] = {0xEB, 0, 0x00, 0x01, 0x04, 0x60, 0x48, 0x14, 0x60, 0x81, 0x8D};
  static const uint8_t f2[] = {0xEB, 0, 0x00, 0x01, 0x04, 0x60, 0x4C, 0x14, 0x40, 0xFF, 0xEF};
  static const uint8_t f3[] = {0xA5, 0, 0x18, 0x4F, 0xCA, 0x44, 0x4B, 0xFF, 0x64};
  kb_pev_msg_t m;
  m = parse(f1, sizeof f1);
  KT_TIME(m, 2001, 1, 3, 0, 18);
  KT_EQ(m.ev.kind, KB_PEV_ZONE_FAULT);
  KT_EQ(m.ev.number, 33);
  m = parse(f2, sizeof f2);
  KT_TIME(m, 2001, 1, 3, 0, 19);
  KT_EQ(m.ev.kind, KB_PEV_ZONE_FAULT_RESTORED);
  KT_EQ(m.ev.number, 33);
  KT_EV(0x14, 0x5F, KB_PEV_ZONE_FAULT_RESTORED, 64); /* "Zone fault restored: 64" */
  m = parse(f3, sizeof f3);
  KT_TIME(m, 2018, 3, 30, 10, 17);
  KT_EQ(m.ev.kind, KB_PEV_RECENT_CLOSING_ALARM);
}

/* Notes §5.3 / §10.2: the reference dispatches 0xEB on (byte 7 AND 0x07), so
 * selector 0x18 is handled as set 0 and 0x14 as set 4. We compare the whole
 * selector. */
static void test_quirk_eb_selector_not_masked(void) {
  /* 0x18 code 0x4A is *5 by code 17, not "disarmed with alarm memory" */
  KT_EV(0x18, 0x4A, KB_PEV_STAR5_BY_CODE, 17);
  /* 0x18 codes in set 0's zone-alarm / disarm ranges */
  KT_CHECK(kb_pev_decode(0x18, 0x09).kind != KB_PEV_ZONE_ALARM);
  KT_CHECK(kb_pev_decode(0x18, 0xC0).kind != KB_PEV_DISARMED_BY_CODE);
  /* 0x14 codes 0x00-0x3F are not zone alarms 33-64 */
  KT_EV(0x14, 0x00, KB_PEV_UNKNOWN, 0);
  KT_EV(0x14, 0x3F, KB_PEV_UNKNOWN, 0);
  /* 0x14 code 0x60 is zone fault 33, not zone tamper restored 33 */
  KT_EV(0x14, 0x60, KB_PEV_ZONE_FAULT, 33);
  /* 0x1B (= 3 after masking) code 0xFF is not set 3's extended status */
  KT_EV(0x1B, 0xFF, KB_PEV_UNKNOWN, 0);
  /* through a whole frame */
  static const uint8_t f[] = {0xEB, 0, 0x01, 0x18, 0x18, 0x8A, 0x38, 0x18, 0x4A, 0x00, 0x00};
  uint8_t g[sizeof f];
  memcpy(g, f, sizeof f);
  unsigned s = g[0];
  for (size_t i = 2; i + 1 < sizeof g; i++) s += g[i];
  g[sizeof g - 1] = (uint8_t)s;
  kb_pev_msg_t m = parse(g, sizeof g);
  KT_EQ(m.ev.set, 0x18);
  KT_EQ(m.ev.kind, KB_PEV_STAR5_BY_CODE);
}

static void test_frame_a5_selector_two_bits(void) {
  /* byte 5 b1..b0 selects; minute bits above do not leak into the set */
  static const uint8_t f[] = {0xA5, 0, 0x18, 0x4F, 0x2D, 0xFF, 0x8C, 0x00, 0x00};
  uint8_t g[sizeof f];
  memcpy(g, f, sizeof f);
  unsigned s = g[0];
  for (size_t i = 2; i + 1 < sizeof g; i++) s += g[i];
  g[sizeof g - 1] = (uint8_t)s;
  kb_pev_msg_t m = parse(g, sizeof g);
  KT_EQ(m.ev.set, 3);
  KT_EQ(m.ev.kind, KB_PEV_UNKNOWN);
  KT_EQ(m.time.minute, 63);
  KT_EQ(m.time.valid, 0);
}

static void test_frame_partitions_and_empty(void) {
  uint8_t f[] = {0xEB, 0, 0x05, 0x18, 0x18, 0x8A, 0x38, 0x00, 0x09, 0x00, 0x00};
  kb_pev_msg_t m;
  KT_CHECK(kb_pev_parse_frame(f, sizeof f, &m));
  KT_EQ(m.partition, 0); /* two partitions named */
  KT_EQ(m.partition_mask, 0x05);
  f[2] = 0x10;
  KT_CHECK(kb_pev_parse_frame(f, sizeof f, &m));
  KT_EQ(m.partition, 5);
  /* 0xEC selector 0xFF: empty entry */
  f[0] = 0xEC;
  f[7] = 0xFF;
  KT_CHECK(kb_pev_parse_frame(f, sizeof f, &m));
  KT_CHECK(m.flags & KB_PEV_F_EMPTY);
  KT_EQ(m.ev.kind, KB_PEV_UNKNOWN);
  /* 0xA5 partition 2 and the undefined value 3 */
  uint8_t a[] = {0xA5, 0, 0x18, 0x8F, 0x2D, 0x1A, 0x9A, 0x00, 0x00};
  KT_CHECK(kb_pev_parse_frame(a, sizeof a, &m));
  KT_EQ(m.partition, 2);
  KT_EQ(m.partition_mask, 0x02);
  a[3] = 0xCF; /* 0xA5 carries partitions 1-2 only: 3 names none */
  KT_CHECK(kb_pev_parse_frame(a, sizeof a, &m));
  KT_EQ(m.partition, 0);
  KT_EQ(m.partition_mask, 0);
}

static void test_frame_rejects(void) {
  static const uint8_t a5[] = {0xA5, 0, 0x18, 0x4F, 0xB0, 0xEC, 0x49, 0xFF, 0xF0};
  static const uint8_t eb[] = {0xEB, 0, 0x01, 0x18, 0x18, 0x8F, 0x28, 0x04, 0x00, 0x91, 0x68};
  static const uint8_t st[] = {0x05, 0, 0x81, 0x01, 0x91, 0xC7};
  kb_pev_msg_t m;
  KT_CHECK(!kb_pev_parse_frame(a5, 8, &m));
  KT_EQ(m.ev.kind, 0);
  KT_EQ(m.command, 0);
  KT_CHECK(!kb_pev_parse_frame(eb, 10, &m));
  KT_CHECK(!kb_pev_parse_frame(st, sizeof st, &m));
  KT_CHECK(!kb_pev_parse_frame(NULL, 9, &m));
  KT_CHECK(!kb_pev_parse_frame(a5, 0, &m));
  static const uint8_t ce[] = {0xCE, 0, 0x20, 0x1D, 0x8C, 0x00, 0x00};
  KT_CHECK(!kb_pev_parse_frame(ce, sizeof ce, &m)); /* 7 bytes: short */
}

/* ------------------------------------------------------------------ text */

static void test_text_names(void) {
  for (int k = 0; k < KB_PEV_COUNT; k++) {
    const char *n = kb_pev_kind_name((kb_pev_kind_t)k);
    KT_CHECK(n != NULL && n[0] != '\0');
    if (k != KB_PEV_UNKNOWN) KT_CHECK(strcmp(n, "unknown") != 0); /* every kind has a row */
    for (const char *c = n; *c; c++)
      KT_CHECK(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '_');
    for (int j = 0; j < k; j++) {
      if (strcmp(n, kb_pev_kind_name((kb_pev_kind_t)j)) == 0)
        kt_fail(__FILE__, __LINE__, "kinds %d and %d share name %s", j, k, n);
    }
  }
  KT_STREQ(kb_pev_kind_name(KB_PEV_ZONE_ALARM), "zone_alarm");
  KT_STREQ(kb_pev_kind_name(KB_PEV_UNKNOWN), "unknown");
  KT_STREQ(kb_pev_kind_name(KB_PEV_COUNT), "unknown");
  KT_STREQ(kb_pev_kind_name((kb_pev_kind_t)200), "unknown");
}

/* Text and core agree on which kinds carry a number. */
static void test_text_number_labels_match_decode(void) {
  int seen[KB_PEV_COUNT] = {0};
  for (int set = 0; set < 0x20; set++) {
    for (int code = 0; code < 256; code++) {
      kb_pev_t e = kb_pev_decode((uint8_t)set, (uint8_t)code);
      const char *label = kb_pev_number_label((kb_pev_kind_t)e.kind);
      seen[e.kind] = 1;
      if ((label != NULL) != (e.number != 0))
        kt_fail(__FILE__, __LINE__, "set 0x%02X code 0x%02X: kind %s number %u label %s", set,
                code, kb_pev_kind_name((kb_pev_kind_t)e.kind), e.number, label ? label : "-");
    }
  }
  for (int k = 0; k < KB_PEV_COUNT; k++)
    if (!seen[k])
      kt_fail(__FILE__, __LINE__, "kind %s never decoded", kb_pev_kind_name((kb_pev_kind_t)k));
  KT_STREQ(kb_pev_number_label(KB_PEV_ZONE_ALARM), "zone");
  KT_STREQ(kb_pev_number_label(KB_PEV_DISARMED_BY_CODE), "code");
  KT_STREQ(kb_pev_number_label(KB_PEV_KEYPAD_TROUBLE), "keypad");
  KT_CHECK(kb_pev_number_label(KB_PEV_AC_TROUBLE) == NULL);
}

static void check_fmt(uint8_t set, uint8_t code, const char *want) {
  char buf[128];
  kb_pev_t e = kb_pev_decode(set, code);
  size_t n = kb_pev_format(&e, buf, sizeof buf);
  KT_STREQ(buf, want);
  KT_EQ(n, strlen(want));
}

static void test_text_format_examples(void) {
  check_fmt(0x00, 0x0B, "Zone 3 alarm");
  check_fmt(0x04, 0x1F, "Zone 64 alarm");
  check_fmt(0x00, 0xE2, "Disarmed by access code 40 (master)");
  check_fmt(0x00, 0xBC, "Armed by access code 41 (supervisor)");
  check_fmt(0x05, 0x39, "Armed by access code 95");
  check_fmt(0x00, 0xE8, "AC power trouble");
  check_fmt(0x02, 0x05, "Unknown event (set 0x02, code 0x05)");
  check_fmt(0x18, 0x00, "Access code 35 used (function not decoded)");
  check_fmt(0x02, 0xF1, "Keypad in slot 1 trouble");
  check_fmt(0x03, 0x18, "Zone expander 7 trouble");
  check_fmt(0x01, 0xD0, "Command output 4 activated");
  check_fmt(0x00, 0xF8, "Failed to communicate on phone number 2");
}

static void test_text_format_bounds(void) {
  char buf[8];
  kb_pev_t e = kb_pev_decode(0x00, 0xE2);
  size_t full = kb_pev_format(&e, NULL, 0);
  KT_EQ(full, strlen("Disarmed by access code 40 (master)"));
  memset(buf, 'x', sizeof buf);
  KT_EQ(kb_pev_format(&e, buf, sizeof buf), full);
  KT_STREQ(buf, "Disarme");
  /* a kind value outside the enum prints as unknown */
  kb_pev_t bad = {250, 0, 0x07, 0x42};
  char big[64];
  kb_pev_format(&bad, big, sizeof big);
  KT_STREQ(big, "Unknown event (set 0x07, code 0x42)");
  /* every decode formats to a sane, complete line */
  for (int set = 0; set < 0x20; set++) {
    for (int code = 0; code < 256; code++) {
      char line[128];
      kb_pev_t ev = kb_pev_decode((uint8_t)set, (uint8_t)code);
      size_t n = kb_pev_format(&ev, line, sizeof line);
      KT_CHECK(n > 0 && n < sizeof line);
      KT_EQ(strlen(line), n);
    }
  }
}

/* Issue 6 item 8: which kinds name a user (their number is an access code):
 * every code of the §3.9 tables that carries one, and no other kind. */
static void test_names_code(void) {
  static const uint8_t sets[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x16, 0x17, 0x18, 0x1B};
  int named = 0;
  for (size_t i = 0; i < sizeof sets; i++)
    for (unsigned c = 0; c < 256; c++) {
      kb_pev_t v = kb_pev_decode(sets[i], (uint8_t)c);
      bool user = v.kind == KB_PEV_ARMED_BY_CODE || v.kind == KB_PEV_DISARMED_BY_CODE ||
                  v.kind == KB_PEV_ACCESS_CODE || (v.kind >= KB_PEV_STAR1_BY_CODE && v.kind <= KB_PEV_STAR6_BY_CODE);
      KT_EQ(kb_pev_names_code(v.kind), user);
      if (user) {
        KT_EQ(v.number >= 1 && v.number <= 95, 1);
        named++;
      }
    }
  /* 00: 37 + 37, 01: 5, 02: 37 + 3 + 32 + 3, 05: 58 + 58, 17: 37 + 37 + 58 + 58 + 58,
   * 18: 58 + 92 + 92 */
  KT_EQ(named, 37 + 37 + 5 + 37 + 3 + 32 + 3 + 58 + 58 + 37 + 37 + 58 + 58 + 58 + 58 + 92 + 92);
  KT_EQ(kb_pev_names_code(KB_PEV_ZONE_BYPASSED), false);
  KT_EQ(kb_pev_names_code(KB_PEV_COUNT), false);
}

KT_MAIN(KT_CASE(test_names_code), KT_CASE(test_set00_boundaries), KT_CASE(test_set01_boundaries),
        KT_CASE(test_set02_boundaries), KT_CASE(test_set03_boundaries),
        KT_CASE(test_set04_boundaries), KT_CASE(test_set05_boundaries),
        KT_CASE(test_set14_boundaries), KT_CASE(test_set16_boundaries),
        KT_CASE(test_set17_boundaries), KT_CASE(test_set18_boundaries),
        KT_CASE(test_set1b_boundaries), KT_CASE(test_full_sweep_matches_notes),
        KT_CASE(test_set00_unknown_gaps), KT_CASE(test_unknown_selectors),
        KT_CASE(test_code_scheme_a), KT_CASE(test_code_scheme_b),
        KT_CASE(test_code_scheme_in_events), KT_CASE(test_time_notes_example),
        KT_CASE(test_time_year_rule), KT_CASE(test_time_limits), KT_CASE(test_time_invalid),
        KT_CASE(test_frame_notes_example_duress), KT_CASE(test_vector11_timestamp),
        KT_CASE(test_vectors12_17_a5), KT_CASE(test_vector18_aa_event_buffer),
        KT_CASE(test_vector21_ce), KT_CASE(test_vectors25_27_eb), KT_CASE(test_vector28_ec),
        KT_CASE(test_historical_vectors), KT_CASE(test_quirk_eb_selector_not_masked),
        KT_CASE(test_frame_a5_selector_two_bits), KT_CASE(test_frame_partitions_and_empty),
        KT_CASE(test_frame_rejects), KT_CASE(test_text_names),
        KT_CASE(test_text_number_labels_match_decode), KT_CASE(test_text_format_examples),
        KT_CASE(test_text_format_bounds))
