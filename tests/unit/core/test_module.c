/* SPDX-License-Identifier: MIT
 *
 * test_module.c - typed decode of module replies to panel queries
 * (kb_module.h) and their text (kb_module_text.h).
 *
 * The expected values below were written by hand from the protocol notes
 * (§2.3, §4.7, §9 vectors 35-40) and from what each module record of the
 * golden corpus states; nothing is read from the corpus at test time.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "host/kb_module_text.h"
#include "keybus/kb_module.h"

#define FF 0xFF

/* Decodes from an exact-size heap copy so that ASan sees any over-read. */
static void dec(uint8_t under, uint8_t sub, const uint8_t *bytes, uint8_t n, kb_mod_reply_t *out) {
  uint8_t *p = malloc(n ? n : 1u);
  KT_CHECK(p != NULL);
  if (!p) return;
  if (n) memcpy(p, bytes, n);
  kb_module_reply_decode(under, sub, p, n, out);
  free(p);
}

static const char *fmt(const kb_mod_reply_t *r) {
  static char buf[512];
  kb_module_format(r, buf, sizeof buf);
  return buf;
}

/* ------------------------------------------------------------ kinds */

static void test_kind_table(void) {
  KT_EQ(kb_module_kind(0x11, 0), KB_MOD_SUPERVISION);
  KT_EQ(kb_module_kind(0x22, 0), KB_MOD_EXPANDER);
  KT_EQ(kb_module_kind(0x28, 0), KB_MOD_EXPANDER);
  KT_EQ(kb_module_kind(0x33, 0), KB_MOD_EXPANDER);
  KT_EQ(kb_module_kind(0x39, 0), KB_MOD_EXPANDER);
  KT_EQ(kb_module_kind(0xE6, 0x08), KB_MOD_EXPANDER);
  KT_EQ(kb_module_kind(0xE6, 0x0A), KB_MOD_EXPANDER);
  KT_EQ(kb_module_kind(0xE6, 0x0C), KB_MOD_EXPANDER);
  KT_EQ(kb_module_kind(0xE6, 0x0E), KB_MOD_EXPANDER);
  KT_EQ(kb_module_kind(0xE6, 0x09), KB_MOD_NONE);
  KT_EQ(kb_module_kind(0xE6, 0x25), KB_MOD_NONE);
  KT_EQ(kb_module_kind(0x41, 0), KB_MOD_WIRELESS_BATTERY);
  KT_EQ(kb_module_kind(0x4C, 0), KB_MOD_TAMPER);
  KT_EQ(kb_module_kind(0x57, 0), KB_MOD_WIRELESS_KEY);
  KT_EQ(kb_module_kind(0x58, 0), KB_MOD_MODULE_STATUS);
  KT_EQ(kb_module_kind(0x70, 0), KB_MOD_LCD_DATA);
  KT_EQ(kb_module_kind(0x94, 0), KB_MOD_PROGRAMMING);
  KT_EQ(kb_module_kind(0xD5, 0), KB_MOD_KEYPAD_ZONE);
  KT_EQ(kb_module_kind(0x05, 0), KB_MOD_NONE);
  KT_EQ(kb_module_kind(0x1B, 0), KB_MOD_NONE);
  KT_EQ(kb_module_kind(0x1C, 0), KB_MOD_NONE);
  /* under_sub only matters for 0xE6 */
  KT_EQ(kb_module_kind(0x22, 0x55), KB_MOD_EXPANDER);
}

static void test_not_a_query(void) {
  const uint8_t b[] = {FF, 0x01, 0x05, FF, FF, FF};
  kb_mod_reply_t r;
  memset(&r, 0xA5, sizeof r);
  dec(0x05, 0, b, sizeof b, &r);
  KT_EQ(r.kind, KB_MOD_NONE);
  KT_EQ(r.csum, KB_MOD_CSUM_NONE);
  KT_EQ(r.truncated, 0);
  KT_EQ(r.silent, 0);
  KT_STREQ(fmt(&r), "Not a module query reply");
}

/* ------------------------------------------------------------ 0x11 */

typedef struct {
  uint8_t n;
  uint8_t b[9];
  uint8_t later, keypads, expanders, rf5132, pc5208, pc5204;
} sup_case_t;

/* Golden corpus, under 0x11 (expected values from each record's text). */
static const sup_case_t k_sup_golden[] = {
    {7, {FF, 1, 0x3F, FF, FF, FF, FF}, 0, 0x01, 0x00, 0, 0, 0},           /* slot 1 */
    {7, {FF, 1, FF, 0xFC, FF, FF, FF}, 0, 0x80, 0x00, 0, 0, 0},           /* slot 8 */
    {9, {FF, 1, 0x3F, FF, FF, 0xCF, FF, FF, FF}, 1, 0x01, 0x20, 0, 0, 0}, /* 1 | exp 6 */
    {7, {FF, 1, FF, 0xFC, 0x0F, FF, FF}, 0, 0x80, 0x01, 0, 0, 0},         /* 8 | exp 1 */
    {9, {FF, 1, 0x3F, FF, 0x0F, 0xF3, FF, FF, FF}, 1, 0x01, 0x03, 1, 0, 0}, /* §9 v36 */
    {9, {FF, 1, 0x3F, FF, 0xCF, FF, FF, 0xFC, FF}, 1, 0x01, 0x42, 0, 0, 0}, /* 1 | exp 2 7 */
    {9, {FF, 1, FF, 0xFC, 0x3F, FF, 0x3F, FF, FF}, 1, 0x80, 0x01, 0, 0, 1}, /* 8 | 1 | 5204 */
    {9, {FF, 1, FF, 0xFC, 0x00, 0x0F, FF, FF, 0xCF}, 1, 0x80, 0x3F, 0, 0, 0}, /* exp 1-6 */
    {9, {FF, 1, FF, 0xFC, 0x00, 0x0F, FF, FF, 0xF3}, 1, 0x80, 0x3F, 0, 0, 0},
    {9, {FF, 1, FF, 0xFC, 0x00, 0x0F, FF, FF, 0xFC}, 1, 0x80, 0x3F, 0, 0, 0},
};

/* Hand-made, from the §4.7 table: every field of both layouts. */
static const sup_case_t k_sup_layouts[] = {
    /* keypad slots 1..8, 2-bit fields b7..6 first */
    {7, {FF, 1, 0xCF, FF, FF, FF, FF}, 0, 0x02, 0, 0, 0, 0},
    {7, {FF, 1, 0xF3, FF, FF, FF, FF}, 0, 0x04, 0, 0, 0, 0},
    {7, {FF, 1, 0xFC, FF, FF, FF, FF}, 0, 0x08, 0, 0, 0, 0},
    {7, {FF, 1, FF, 0x3F, FF, FF, FF}, 0, 0x10, 0, 0, 0, 0},
    {9, {FF, 1, FF, 0xCF, FF, FF, FF, FF, FF}, 1, 0x20, 0, 0, 0, 0},
    {9, {FF, 1, FF, 0xF3, FF, FF, FF, FF, FF}, 1, 0x40, 0, 0, 0, 0},
    {9, {FF, 1, 0x00, 0x00, FF, FF, FF, FF, FF}, 1, 0xFF, 0, 0, 0, 0},
    /* later: expanders 3, 4 in byte 4; 5 in byte 5; PC5208 in byte 5 */
    {9, {FF, 1, FF, FF, 0xF3, FF, FF, FF, FF}, 1, 0, 0x04, 0, 0, 0},
    {9, {FF, 1, FF, FF, 0xFC, FF, FF, FF, FF}, 1, 0, 0x08, 0, 0, 0},
    {9, {FF, 1, FF, FF, FF, 0x3F, FF, FF, FF}, 1, 0, 0x10, 0, 0, 0},
    {9, {FF, 1, FF, FF, FF, 0xFC, FF, FF, FF}, 1, 0, 0, 0, 1, 0},
    /* later: byte 6 b5..0 and byte 8 unknown, byte 7 b7..2 unknown */
    {9, {FF, 1, FF, FF, FF, FF, 0xC0, 0x03, 0x00}, 1, 0, 0, 0, 0, 0},
    /* early: 4-bit expander fields; a 2-bit 00 is not enough */
    {7, {FF, 1, FF, FF, 0x3F, FF, FF}, 0, 0, 0x00, 0, 0, 0},
    {7, {FF, 1, FF, FF, 0xF0, FF, FF}, 0, 0, 0x02, 0, 0, 0},
    {7, {FF, 1, FF, FF, 0x00, FF, FF}, 0, 0, 0x03, 0, 0, 0},
    {7, {FF, 1, FF, FF, FF, 0x0F, FF}, 0, 0, 0x04, 0, 0, 0},
    {7, {FF, 1, FF, FF, FF, 0x3F, FF}, 0, 0, 0x00, 0, 0, 0},
    {7, {FF, 1, FF, FF, FF, 0xF3, FF}, 0, 0, 0, 1, 0, 0},
    {7, {FF, 1, FF, FF, FF, 0xFC, FF}, 0, 0, 0, 0, 1, 0},
    {7, {FF, 1, FF, FF, FF, FF, 0x3F}, 0, 0, 0, 0, 0, 1},
    /* the same bytes, later layout: byte 4 0x3F = expander 1 */
    {8, {FF, 1, FF, FF, 0x3F, FF, FF, FF}, 1, 0, 0x01, 0, 0, 0},
};

static void check_sup(const sup_case_t *c, size_t n) {
  for (size_t i = 0; i < n; i++) {
    kb_mod_reply_t r;
    dec(0x11, 0, c[i].b, c[i].n, &r);
    KT_EQ(r.kind, KB_MOD_SUPERVISION);
    KT_EQ(r.csum, KB_MOD_CSUM_NONE);
    KT_EQ(r.truncated, 0);
    KT_EQ(r.u.sup.later, c[i].later);
    KT_EQ(r.u.sup.keypads, c[i].keypads);
    KT_EQ(r.u.sup.expanders, c[i].expanders);
    KT_EQ(r.u.sup.rf5132, c[i].rf5132);
    KT_EQ(r.u.sup.pc5208, c[i].pc5208);
    KT_EQ(r.u.sup.pc5204, c[i].pc5204);
    if (kt_failed_checks) {
      fprintf(stderr, "  (case %zu)\n", i);
      return;
    }
  }
}

static void test_supervision_golden(void) {
  check_sup(k_sup_golden, sizeof k_sup_golden / sizeof k_sup_golden[0]);
}

static void test_supervision_layouts(void) {
  check_sup(k_sup_layouts, sizeof k_sup_layouts / sizeof k_sup_layouts[0]);
}

static void test_supervision_text(void) {
  kb_mod_reply_t r;
  dec(0x11, 0, k_sup_golden[4].b, k_sup_golden[4].n, &r);
  KT_STREQ(fmt(&r), "Keypad slots present: 1 | Zone expanders: 1 2 | RF5132 present");
  dec(0x11, 0, k_sup_golden[6].b, k_sup_golden[6].n, &r);
  KT_STREQ(fmt(&r), "Keypad slots present: 8 | Zone expanders: 1 | PC5204 present");
  const uint8_t none[9] = {FF, 1, FF, FF, FF, FF, FF, FF, FF};
  dec(0x11, 0, none, 9, &r);
  KT_EQ(r.silent, 1);
  KT_STREQ(fmt(&r), "Supervision: no module answered");
}

/* ------------------------------------------------------------ expanders */

typedef struct {
  uint8_t under, sub, n;
  uint8_t b[9];
  uint8_t expander, zone_first, csum, nchanged;
  uint8_t zone[8], state[8];
} exp_case_t;

#define OPEN KB_MOD_ZONE_OPEN
#define CLOSED KB_MOD_ZONE_CLOSED
#define TAMPER KB_MOD_ZONE_TAMPER
#define DEOL KB_MOD_ZONE_OPEN_DEOL
#define OK KB_MOD_CSUM_OK
#define BAD KB_MOD_CSUM_BAD

static const exp_case_t k_exp[] = {
    /* §9 vector 35 / golden under 0x22: zone 2 tamper */
    {0x22, 0, 7, {FF, 1, 0x59, 0x55, 0x55, 0x55, 0x84}, 0, 1, OK, 1, {2}, {TAMPER}},
    /* golden under 0x28: zone 9 open (D/EOL) */
    {0x28, 0, 7, {FF, 1, 0x57, 0x55, FF, FF, 0x6F}, 1, 9, OK, 1, {9}, {DEOL}},
    /* golden under 0xE6.08/0A/0C/0E: second zone open */
    {0xE6, 0x08, 9, {FF, 1, FF, 0xC3, 0xCF, FF, FF, 0xAF, FF}, 4, 33, OK, 1, {34}, {OPEN}},
    {0xE6, 0x0A, 9, {FF, 1, FF, 0xC3, 0xCF, FF, FF, 0xAF, FF}, 5, 41, OK, 1, {42}, {OPEN}},
    {0xE6, 0x0C, 9, {FF, 1, FF, 0xC3, 0xCF, FF, FF, 0xAF, FF}, 6, 49, OK, 1, {50}, {OPEN}},
    {0xE6, 0x0E, 9, {FF, 1, FF, 0xC3, 0xCF, FF, FF, 0xAF, FF}, 7, 57, OK, 1, {58}, {OPEN}},
    /* hand-made: high pair, zone 6 of expander 2 (0x5D vs 0x55: b3..2 11) */
    {0x33, 0, 7, {FF, 1, FF, FF, 0x5D, 0x55, 0xFC}, 2, 17, OK, 1, {22}, {DEOL}},
    /* same with a wrong checksum: fields still decoded */
    {0x33, 0, 7, {FF, 1, FF, FF, 0x5D, 0x55, 0xFD}, 2, 17, BAD, 1, {22}, {DEOL}},
    /* every zone of expander 3 changes: low four open, high four closed
     * (cur 00 / prev 55: nibbles 0+0+5+5 = A; cur 55 / prev 00: A) */
    {0x39, 0, 7, {FF, 1, 0x00, 0x55, 0x55, 0x00, 0xAA}, 3, 25, OK, 8,
     {25, 26, 27, 28, 29, 30, 31, 32},
     {OPEN, OPEN, OPEN, OPEN, CLOSED, CLOSED, CLOSED, CLOSED}},
    /* nothing changed (both pairs FF FF -> nibbles F F) */
    {0x22, 0, 7, {FF, 1, FF, FF, FF, FF, FF}, 0, 1, OK, 0, {0}, {0}},
    /* changed pair whose nibble sum is wrong in the low nibble */
    {0x22, 0, 7, {FF, 1, 0x59, 0x55, 0x55, 0x55, 0x85}, 0, 1, BAD, 1, {2}, {TAMPER}},
    /* an FF FF pair must carry nibble F, not the plain sum (C) */
    {0x28, 0, 7, {FF, 1, 0x57, 0x55, FF, FF, 0x6C}, 1, 9, BAD, 1, {9}, {DEOL}},
    /* zone 8: b7..6 of the high pair, tamper */
    {0x22, 0, 7, {FF, 1, FF, FF, 0x95, 0x55, 0xF8}, 0, 1, OK, 1, {8}, {TAMPER}},
};

static void test_expander(void) {
  for (size_t i = 0; i < sizeof k_exp / sizeof k_exp[0]; i++) {
    const exp_case_t *c = &k_exp[i];
    kb_mod_reply_t r;
    dec(c->under, c->sub, c->b, c->n, &r);
    KT_EQ(r.kind, KB_MOD_EXPANDER);
    KT_EQ(r.truncated, 0);
    KT_EQ(r.csum, c->csum);
    KT_EQ(r.u.exp.expander, c->expander);
    KT_EQ(r.u.exp.zone_first, c->zone_first);
    KT_EQ(r.u.exp.nchanged, c->nchanged);
    for (unsigned k = 0; k < c->nchanged && k < 8u; k++) {
      KT_EQ(r.u.exp.changed[k].zone, c->zone[k]);
      KT_EQ(r.u.exp.changed[k].state, c->state[k]);
    }
    if (kt_failed_checks) {
      fprintf(stderr, "  (case %zu)\n", i);
      return;
    }
  }
}

/* §2.3 checksum examples, each in an expander reply. */
static void test_expander_checksum_examples(void) {
  const uint8_t a[] = {FF, 1, 0x59, 0x55, 0x55, 0x55, 0x84};
  const uint8_t b[] = {FF, 1, 0x57, 0x55, FF, FF, 0x6F};
  const uint8_t c[] = {FF, 1, FF, 0xC3, 0xCF, FF, FF, 0xAF, FF};
  kb_mod_reply_t r;
  dec(0x22, 0, a, sizeof a, &r);
  KT_EQ(r.csum, KB_MOD_CSUM_OK);
  dec(0x28, 0, b, sizeof b, &r);
  KT_EQ(r.csum, KB_MOD_CSUM_OK);
  dec(0xE6, 0x08, c, sizeof c, &r);
  KT_EQ(r.csum, KB_MOD_CSUM_OK);
  /* 0xE6 replies start at byte 3: the same bytes from byte 2 are not valid */
  const uint8_t shifted[] = {FF, 1, 0xC3, 0xCF, FF, FF, 0xAF, FF, FF};
  dec(0xE6, 0x08, shifted, sizeof shifted, &r);
  KT_EQ(r.csum, KB_MOD_CSUM_BAD);
}

static void test_expander_text(void) {
  kb_mod_reply_t r;
  dec(0x22, 0, k_exp[0].b, k_exp[0].n, &r);
  KT_STREQ(fmt(&r), "Zone expander 0: zone 2 tamper");
  dec(0x28, 0, k_exp[1].b, k_exp[1].n, &r);
  KT_STREQ(fmt(&r), "Zone expander 1: zone 9 open (DEOL)");
  dec(0xE6, 0x0E, k_exp[5].b, k_exp[5].n, &r);
  KT_STREQ(fmt(&r), "Zone expander 7: zone 58 open");
  dec(0x33, 0, k_exp[7].b, k_exp[7].n, &r);
  KT_STREQ(fmt(&r), "Zone expander 2: zone 22 open (DEOL) | Module reply checksum bad");
  dec(0x39, 0, k_exp[8].b, k_exp[8].n, &r);
  KT_STREQ(fmt(&r), "Zone expander 3: zone 25 open, zone 26 open, zone 27 open, zone 28 open, "
                    "zone 29 closed, zone 30 closed, zone 31 closed, zone 32 closed");
  dec(0x22, 0, k_exp[9].b, k_exp[9].n, &r);
  KT_STREQ(fmt(&r), "Zone expander 0: no zone changed");
}

/* ------------------------------------------------------------ 0x41 */

static void test_wireless_battery(void) {
  static const struct {
    uint8_t b[11];
    uint32_t low, restored;
    uint8_t csum;
  } k[] = {
      /* §9 vector 40 / golden: low battery zone 11 */
      {{FF, 1, FF, 0xDF, FF, FF, FF, FF, FF, FF, 0xD8}, 1u << 10, 0, OK},
      /* golden: battery restored zone 11 */
      {{FF, 1, FF, FF, FF, FF, FF, 0xDF, FF, FF, 0xD8}, 0, 1u << 10, OK},
      /* hand-made: zone 1 (byte 2 b7) low, zone 32 (byte 9 b0) restored;
       * sum 0x7F + 0xFE + 6 * 0xFF = 0x677 */
      {{FF, 1, 0x7F, FF, FF, FF, FF, FF, FF, 0xFE, 0x77}, 1u, 1u << 31, OK},
      /* same, checksum off by one */
      {{FF, 1, 0x7F, FF, FF, FF, FF, FF, FF, 0xFE, 0x78}, 1u, 1u << 31, BAD},
      /* zone 8 = byte 2 b0, zone 17 = byte 4 b7 */
      {{FF, 1, 0xFE, FF, 0x7F, FF, FF, FF, FF, FF, 0x77}, (1u << 7) | (1u << 16), 0, OK},
  };
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
    kb_mod_reply_t r;
    dec(0x41, 0, k[i].b, 11, &r);
    KT_EQ(r.kind, KB_MOD_WIRELESS_BATTERY);
    KT_EQ(r.u.wbat.low, k[i].low);
    KT_EQ(r.u.wbat.restored, k[i].restored);
    KT_EQ(r.csum, k[i].csum);
  }
  kb_mod_reply_t r;
  dec(0x41, 0, k[0].b, 11, &r);
  KT_STREQ(fmt(&r), "Wireless module: low battery zones 11");
  dec(0x41, 0, k[1].b, 11, &r);
  KT_STREQ(fmt(&r), "Wireless module: battery restored zones 11");
  dec(0x41, 0, k[2].b, 11, &r);
  KT_STREQ(fmt(&r), "Wireless module: low battery zones 1; battery restored zones 32");
}

/* ------------------------------------------------------------ 0x4C */

typedef struct {
  uint8_t n;
  uint8_t b[15];
  uint8_t kt, kr, mt, mr, rf5132, pc5208, pc5204;
} tamper_case_t;

#define T KB_MOD_TAMPER_ACTIVE
#define R KB_MOD_TAMPER_RESTORED
#define F11 FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF /* 11 x FF */

static const tamper_case_t k_tamper[] = {
    /* golden, early (13 bytes) */
    {13, {FF, 1, 0x3F, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF}, 0x01, 0, 0, 0, 0, 0, 0},
    {13, {FF, 1, 0xCF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF}, 0, 0x01, 0, 0, 0, 0, 0}, /* v37 */
    {13, {FF, 1, 0xF3, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF}, 0x02, 0, 0, 0, 0, 0, 0},
    {13, {FF, 1, 0xFC, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF}, 0, 0x02, 0, 0, 0, 0, 0},
    {13, {FF, 1, FF, 0xCF, FF, FF, FF, FF, FF, FF, FF, FF, FF}, 0, 0x04, 0, 0, 0, 0, 0},
    {13, {FF, 1, FF, FF, 0xF3, FF, FF, FF, FF, FF, FF, FF, FF}, 0x20, 0, 0, 0, 0, 0, 0},
    {13, {FF, 1, FF, FF, FF, 0xF3, FF, FF, FF, FF, FF, FF, FF}, 0x80, 0, 0, 0, 0, 0, 0},
    {13, {FF, 1, FF, FF, FF, 0xFC, FF, FF, FF, FF, FF, FF, FF}, 0, 0x80, 0, 0, 0, 0, 0},
    {13, {FF, 1, FF, FF, FF, FF, FF, FF, FF, 0x3F, FF, FF, FF}, 0, 0, 0, 0, T, 0, 0},
    {13, {FF, 1, FF, FF, FF, FF, FF, FF, FF, 0xCF, FF, FF, FF}, 0, 0, 0, 0, R, 0, 0},
    /* golden, later (15 bytes) */
    {15, {FF, 1, FF, FF, FF, 0xF0, 0x3F, FF, FF, FF, FF, FF, FF, FF, FF}, 0x80, 0, 0x01, 0, 0, 0, 0},
    {15, {FF, 1, FF, FF, FF, FF, 0x3F, FF, FF, FF, FF, FF, FF, FF, FF}, 0, 0, 0x01, 0, 0, 0, 0},
    {15, {FF, 1, FF, FF, FF, FF, 0xCF, FF, FF, FF, FF, FF, FF, FF, FF}, 0, 0, 0, 0x01, 0, 0, 0},
    {15, {FF, 1, FF, FF, FF, FF, 0xF3, FF, FF, FF, FF, FF, FF, FF, FF}, 0, 0, 0x02, 0, 0, 0, 0},
    {15, {FF, 1, FF, FF, FF, FF, 0xFC, FF, FF, FF, FF, FF, FF, FF, FF}, 0, 0, 0, 0x02, 0, 0, 0},
    {15, {FF, 1, FF, FF, FF, FF, FF, FF, 0xF3, FF, FF, FF, FF, FF, FF}, 0, 0, 0x20, 0, 0, 0, 0},
    {15, {FF, 1, FF, FF, FF, FF, FF, FF, 0xFC, FF, FF, FF, FF, FF, FF}, 0, 0, 0, 0x20, 0, 0, 0},
    {15, {FF, 1, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, 0x3F, FF}, 0, 0, 0x80, 0, 0, 0, 0},
    {15, {FF, 1, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, 0xCF, FF}, 0, 0, 0, 0x80, 0, 0, 0},
    {15, {FF, 1, FF, FF, FF, FF, FF, 0x0F, FF, 0x3F, FF, FF, FF, FF, FF}, 0, 0, 0x04, 0, T, 0, 0},
    {15, {FF, 1, FF, FF, FF, FF, FF, FF, FF, 0xCF, FF, FF, FF, FF, FF}, 0, 0, 0, 0, R, 0, 0},
    {15, {FF, 1, FF, FF, FF, FF, FF, FF, FF, 0xF3, FF, FF, FF, FF, FF}, 0, 0, 0, 0, 0, T, 0},
    {15, {FF, 1, FF, FF, FF, FF, FF, FF, FF, 0xFC, FF, FF, FF, FF, FF}, 0, 0, 0, 0, 0, R, 0},
    {15, {FF, 1, FF, FF, FF, FF, FF, FF, FF, FF, 0x3F, FF, FF, FF, FF}, 0, 0, 0, 0, 0, 0, T},
    {15, {FF, 1, FF, FF, FF, FF, FF, FF, FF, FF, 0xCF, FF, FF, FF, FF}, 0, 0, 0, 0, 0, 0, R},
    {15, {FF, 1, 0x0F, FF, FF, FF, FF, 0x0F, FF, 0x30, FF, FF, FF, FF, FF}, 0x01, 0, 0x04, 0, T, T, 0},
    /* golden: keypad slot 8 still tampered (0000); the unknown nibbles of
     * bytes 13 (low) and 14 report nothing */
    {15, {FF, 1, FF, FF, FF, 0xF0, FF, FF, FF, FF, FF, FF, FF, 0xF3, FF}, 0x80, 0, 0, 0, 0, 0, 0},
    {15, {FF, 1, FF, FF, FF, 0xF0, FF, FF, FF, FF, FF, FF, FF, 0xFC, FF}, 0x80, 0, 0, 0, 0, 0, 0},
    {15, {FF, 1, FF, FF, FF, 0xF0, FF, FF, FF, FF, FF, FF, FF, FF, 0x3F}, 0x80, 0, 0, 0, 0, 0, 0},
    {15, {FF, 1, FF, FF, FF, 0xF0, FF, FF, FF, FF, FF, FF, FF, FF, 0xCF}, 0x80, 0, 0, 0, 0, 0, 0},
    {15, {FF, 1, FF, FF, FF, 0xF0, FF, FF, FF, FF, FF, FF, FF, FF, 0xF3}, 0x80, 0, 0, 0, 0, 0, 0},
    {15, {FF, 1, FF, FF, FF, 0xF0, FF, FF, FF, FF, FF, FF, FF, FF, 0xFC}, 0x80, 0, 0, 0, 0, 0, 0},
    /* hand-made: remaining slot positions (4, 5, 7, 11 restored, 12, 13) */
    {13, {FF, 1, FF, 0xF3, 0x3F, 0x3F, FF, FF, FF, FF, FF, FF, FF}, 0x58, 0, 0, 0, 0, 0, 0},
    {15, {FF, 1, FF, FF, FF, FF, FF, 0xC3, 0x3F, FF, FF, FF, FF, FF, FF}, 0, 0, 0x18, 0x04, 0, 0, 0},
    /* unknown nibbles: byte 10 low, bytes 11-12; other high patterns */
    {13, {FF, 1, FF, FF, FF, FF, FF, FF, FF, FF, 0xF0, 0x00, 0x00}, 0, 0, 0, 0, 0, 0, 0},
    {13, {FF, 1, 0x48, 0xDE, 0xB7, 0x6F, FF, FF, FF, FF, FF, FF, FF}, 0, 0, 0, 0, 0, 0, 0},
    /* a 13-byte (early) frame has no slot 16 */
    {13, {FF, 1, F11}, 0, 0, 0, 0, 0, 0, 0},
};

static void test_tamper(void) {
  for (size_t i = 0; i < sizeof k_tamper / sizeof k_tamper[0]; i++) {
    const tamper_case_t *c = &k_tamper[i];
    kb_mod_reply_t r;
    dec(0x4C, 0, c->b, c->n, &r);
    KT_EQ(r.kind, KB_MOD_TAMPER);
    KT_EQ(r.csum, KB_MOD_CSUM_NONE);
    KT_EQ(r.truncated, 0);
    KT_EQ(r.u.tamper.keypad_tamper, c->kt);
    KT_EQ(r.u.tamper.keypad_restored, c->kr);
    KT_EQ(r.u.tamper.module_tamper, c->mt);
    KT_EQ(r.u.tamper.module_restored, c->mr);
    KT_EQ(r.u.tamper.rf5132, c->rf5132);
    KT_EQ(r.u.tamper.pc5208, c->pc5208);
    KT_EQ(r.u.tamper.pc5204, c->pc5204);
    if (kt_failed_checks) {
      fprintf(stderr, "  (case %zu)\n", i);
      return;
    }
  }
}

/* Every keypad / module slot position, both nibbles: tamper (0x3 / 0x0) and
 * restored (0xC). */
static void test_tamper_each_slot(void) {
  for (unsigned slot = 1; slot <= 16; slot++) {
    if (slot == 15) continue; /* slot 15: no field in the notes */
    unsigned byte, hi;
    if (slot <= 14) {
      byte = 2u + (slot - 1u) / 2u;
      hi = (slot % 2u) == 1u;
    } else {
      byte = 13u;
      hi = 1;
    }
    for (unsigned pat = 0; pat < 3; pat++) {
      static const uint8_t nib[3] = {0x3, 0x0, 0xC};
      uint8_t b[15];
      memset(b, FF, sizeof b);
      b[1] = 1;
      b[byte] = hi ? (uint8_t)((nib[pat] << 4) | 0xF) : (uint8_t)(0xF0 | nib[pat]);
      kb_mod_reply_t r;
      dec(0x4C, 0, b, 15, &r);
      uint8_t want_t = pat < 2 ? 1 : 0;
      uint8_t want_r = pat == 2 ? 1 : 0;
      if (slot <= 8) {
        KT_EQ(r.u.tamper.keypad_tamper, want_t << (slot - 1));
        KT_EQ(r.u.tamper.keypad_restored, want_r << (slot - 1));
        KT_EQ(r.u.tamper.module_tamper | r.u.tamper.module_restored, 0);
      } else {
        KT_EQ(r.u.tamper.module_tamper, want_t << (slot - 9));
        KT_EQ(r.u.tamper.module_restored, want_r << (slot - 9));
        KT_EQ(r.u.tamper.keypad_tamper | r.u.tamper.keypad_restored, 0);
      }
      KT_EQ(r.u.tamper.rf5132 | r.u.tamper.pc5208 | r.u.tamper.pc5204, 0);
      if (kt_failed_checks) {
        fprintf(stderr, "  (slot %u pattern %u)\n", slot, pat);
        return;
      }
    }
  }
}

static void test_tamper_text(void) {
  kb_mod_reply_t r;
  dec(0x4C, 0, k_tamper[1].b, k_tamper[1].n, &r);
  KT_STREQ(fmt(&r), "Keypad slots tamper restored: 1");
  dec(0x4C, 0, k_tamper[25].b, k_tamper[25].n, &r);
  KT_STREQ(fmt(&r), "Keypad slots tampered: 1 | Module slots tampered: 11 | RF5132 tampered | "
                    "PC5208 tampered");
  dec(0x4C, 0, k_tamper[18].b, k_tamper[18].n, &r);
  KT_STREQ(fmt(&r), "Module slots tamper restored: 16");
  dec(0x4C, 0, k_tamper[24].b, k_tamper[24].n, &r);
  KT_STREQ(fmt(&r), "PC5204 tamper restored");
  dec(0x4C, 0, k_tamper[36].b, k_tamper[36].n, &r);
  KT_STREQ(fmt(&r), "Tamper query: nothing reported");
}

/* ------------------------------------------------------------ 0x57 */

static void test_wireless_key(void) {
  static const struct {
    uint8_t b[11];
    uint16_t low, restored;
    uint8_t csum;
  } k[] = {
      /* golden */
      {{FF, 1, 0xFD, FF, FF, FF, FF, FF, FF, FF, 0xF6}, 0x0001, 0, OK},
      {{FF, 1, 0xFE, FF, FF, FF, FF, FF, FF, FF, 0xF7}, 0, 0x0001, OK},
      {{FF, 1, FF, FF, 0x7F, FF, FF, FF, FF, FF, 0x78}, 1u << 11, 0, OK},
      {{FF, 1, FF, FF, FF, 0xBF, FF, FF, FF, FF, 0xB8}, 0, 1u << 15, OK},
      /* §9 vector 38: key 12 low, key 2 restored. Its last byte 0x78 is the
       * checksum of the line without key 2 (FB + 7F + 6 x FF = 0x774), so the
       * sum rule flags it. */
      {{FF, 1, 0xFB, FF, 0x7F, FF, FF, FF, FF, FF, 0x78}, 1u << 11, 1u << 1, BAD},
      {{FF, 1, 0xFB, FF, 0x7F, FF, FF, FF, FF, FF, 0x74}, 1u << 11, 1u << 1, OK},
      /* hand-made, LSB-first: byte 2 b5..4 = 01 -> key 3 low; byte 3 b1..0 =
       * 10 -> key 5 restored; 00 and 11 report nothing (key 4, key 1) */
      {{FF, 1, 0x1C, 0xFE, FF, FF, FF, FF, FF, FF, 0x14}, 1u << 2, 1u << 4, OK},
      /* bytes 6-9 unknown: no effect on the fields, still summed */
      {{FF, 1, FF, FF, FF, FF, 0x00, 0x12, 0x34, 0x56, 0x98}, 0, 0, OK},
  };
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
    kb_mod_reply_t r;
    dec(0x57, 0, k[i].b, 11, &r);
    KT_EQ(r.kind, KB_MOD_WIRELESS_KEY);
    KT_EQ(r.u.wkey.low, k[i].low);
    KT_EQ(r.u.wkey.restored, k[i].restored);
    KT_EQ(r.csum, k[i].csum);
    if (kt_failed_checks) {
      fprintf(stderr, "  (case %zu)\n", i);
      return;
    }
  }
  kb_mod_reply_t r;
  dec(0x57, 0, k[5].b, 11, &r);
  KT_STREQ(fmt(&r), "Wireless keys low battery: 12 | Wireless keys battery restored: 2");
  dec(0x57, 0, k[4].b, 11, &r);
  KT_STREQ(fmt(&r), "Wireless keys low battery: 12 | Wireless keys battery restored: 2 | "
                    "Module reply checksum bad");
  const uint8_t none[11] = {FF, 1, FF, FF, FF, FF, FF, FF, FF, FF, 0xF8};
  dec(0x57, 0, none, 11, &r);
  KT_EQ(r.csum, KB_MOD_CSUM_OK);
  KT_STREQ(fmt(&r), "Wireless keys: nothing reported");
}

/* ------------------------------------------------------------ 0x58 */

static void test_module_status(void) {
  static const struct {
    uint8_t n;
    uint8_t b[14];
    uint8_t flags, other;
  } k[] = {
      /* golden */
      {6, {FF, 1, 0xFC, FF, FF, FF}, KB_MOD_MS_BATTERY_RESTORED, 0},
      {14, {FF, 1, 0x3F, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF}, KB_MOD_MS_AC_TROUBLE, 0},
      /* golden "unknown data": one field of bytes 6..15 pulled low */
      {14, {FF, 1, FF, FF, FF, FF, 0x3F, FF, FF, FF, FF, FF, FF, FF}, 0, 1},
      {14, {FF, 1, FF, FF, FF, FF, FF, 0xCF, FF, FF, FF, FF, FF, FF}, 0, 1},
      {14, {FF, 1, FF, FF, FF, FF, FF, FF, 0xF3, FF, FF, FF, FF, FF}, 0, 1},
      {14, {FF, 1, FF, FF, FF, FF, FF, FF, FF, 0xFC, FF, FF, FF, FF}, 0, 1},
      {14, {FF, 1, FF, FF, FF, FF, FF, FF, FF, FF, 0x3F, FF, FF, FF}, 0, 1},
      {14, {FF, 1, FF, FF, FF, FF, FF, FF, FF, FF, FF, 0xCF, FF, FF}, 0, 1},
      {14, {FF, 1, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, 0xF3, FF}, 0, 1},
      {14, {FF, 1, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, 0xCF}, 0, 1},
      /* hand-made: each remaining field */
      {6, {FF, 1, 0xF3, FF, FF, FF}, KB_MOD_MS_BATTERY_TROUBLE, 0},
      {6, {FF, 1, 0xCF, FF, FF, FF}, KB_MOD_MS_AC_RESTORED, 0},
      {6, {FF, 1, FF, 0xFC, FF, FF}, KB_MOD_MS_OUT1_RESTORED, 0},
      {6, {FF, 1, FF, 0xF3, FF, FF}, KB_MOD_MS_OUT1_TROUBLE, 0},
      /* byte 3 b7..4 unknown; a half-pulled field (01) has no decode */
      {6, {FF, 1, FF, 0x3F, FF, FF}, 0, 1},
      {6, {FF, 1, 0xFD, FF, FF, FF}, 0, 1},
      /* bytes 4, 5 of an early frame are unknown too */
      {6, {FF, 1, FF, FF, 0xFE, FF}, 0, 1},
      {6, {FF, 1, FF, FF, FF, FF}, 0, 0},
  };
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
    kb_mod_reply_t r;
    dec(0x58, 0, k[i].b, k[i].n, &r);
    KT_EQ(r.kind, KB_MOD_MODULE_STATUS);
    KT_EQ(r.csum, KB_MOD_CSUM_NONE);
    KT_EQ(r.u.mstat.flags, k[i].flags);
    KT_EQ(r.u.mstat.other, k[i].other);
    if (kt_failed_checks) {
      fprintf(stderr, "  (case %zu)\n", i);
      return;
    }
  }
  kb_mod_reply_t r;
  dec(0x58, 0, k[0].b, k[0].n, &r);
  KT_STREQ(fmt(&r), "PC5204 battery restored");
  dec(0x58, 0, k[1].b, k[1].n, &r);
  KT_STREQ(fmt(&r), "PC5204 AC power trouble");
  dec(0x58, 0, k[2].b, k[2].n, &r);
  KT_STREQ(fmt(&r), "Module status: bits with no known meaning");
  dec(0x58, 0, k[17].b, k[17].n, &r);
  KT_STREQ(fmt(&r), "Module status: nothing reported");
}

/* Golden corpus: the 24 records under 0x58 in which a single field of bytes
 * 6..13 is pulled low. The notes give those bytes no meaning: no flag, only
 * "other". {byte index, value}. */
static const uint8_t k_mstat_unknown_golden[24][2] = {
    {6, 0x3F},  {6, 0xCF},  {6, 0xF3},  {6, 0xFC},  {7, 0x3F},  {7, 0xCF},
    {8, 0x3F},  {8, 0xCF},  {8, 0xF3},  {8, 0xFC},  {9, 0x3F},  {9, 0xCF},
    {10, 0x3F}, {10, 0xCF}, {10, 0xF3}, {10, 0xFC}, {11, 0x3F}, {11, 0xCF},
    {12, 0x3F}, {12, 0xCF}, {12, 0xF3}, {12, 0xFC}, {13, 0x3F}, {13, 0xCF},
};

static void test_module_status_unknown_golden(void) {
  for (size_t i = 0; i < 24; i++) {
    uint8_t b[14];
    memset(b, FF, sizeof b);
    b[1] = 1;
    b[k_mstat_unknown_golden[i][0]] = k_mstat_unknown_golden[i][1];
    kb_mod_reply_t r;
    dec(0x58, 0, b, 14, &r);
    KT_EQ(r.kind, KB_MOD_MODULE_STATUS);
    KT_EQ(r.u.mstat.flags, 0);
    KT_EQ(r.u.mstat.other, 1);
    KT_STREQ(fmt(&r), "Module status: bits with no known meaning");
  }
}

/* ------------------------------------------------------------ 0x70 */

static void test_lcd_data(void) {
  const uint8_t b[] = {FF, 1, 0x15, 0x15, 0x00, 0x00, 0x2A}; /* golden + §2.3 */
  kb_mod_reply_t r;
  dec(0x70, 0, b, sizeof b, &r);
  KT_EQ(r.kind, KB_MOD_LCD_DATA);
  KT_EQ(r.csum, KB_MOD_CSUM_OK);
  KT_EQ(r.u.lcd.digits[0], 0x15);
  KT_EQ(r.u.lcd.digits[1], 0x15);
  KT_EQ(r.u.lcd.digits[2], 0x00);
  KT_EQ(r.u.lcd.digits[3], 0x00);
  KT_STREQ(fmt(&r), "Keypad data entry: 15150000");
  const uint8_t bad[] = {FF, 1, 0x15, 0x15, 0x00, 0x00, 0x2B};
  dec(0x70, 0, bad, sizeof bad, &r);
  KT_EQ(r.csum, KB_MOD_CSUM_BAD);
  KT_STREQ(fmt(&r), "Keypad data entry: 15150000 | Module reply checksum bad");
}

/* ------------------------------------------------------------ 0xD5 */

static void test_keypad_zone(void) {
  static const struct {
    uint8_t b[10];
    uint8_t open, closed, other;
  } k[] = {
      {{FF, 1, FF, FF, FF, FF, FF, FF, FF, 0x0F}, 0x80, 0, 0}, /* §9 v39 */
      {{FF, 1, 0x03, FF, FF, FF, FF, FF, FF, FF}, 0x01, 0, 0},
      {{FF, 1, 0x0F, FF, FF, FF, FF, FF, FF, FF}, 0x01, 0, 0},
      {{FF, 1, 0xF0, FF, FF, FF, FF, FF, FF, FF}, 0, 0x01, 0},
      {{FF, 1, 0xF3, FF, FF, FF, FF, FF, FF, FF}, 0, 0, 0x01},
      {{FF, 1, 0x30, FF, FF, FF, FF, FF, FF, FF}, 0, 0x01, 0},
      {{FF, 1, 0x3C, FF, FF, FF, FF, FF, FF, FF}, 0, 0x01, 0},
      /* hand-made: slots 2..7 mixed */
      {{FF, 1, FF, 0xC3, 0xFC, 0x00, FF, 0xDF, 0x9B, FF}, 0x02, 0x04, 0x68},
  };
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
    kb_mod_reply_t r;
    dec(0xD5, 0, k[i].b, 10, &r);
    KT_EQ(r.kind, KB_MOD_KEYPAD_ZONE);
    KT_EQ(r.csum, KB_MOD_CSUM_NONE);
    KT_EQ(r.u.kzone.open, k[i].open);
    KT_EQ(r.u.kzone.closed, k[i].closed);
    KT_EQ(r.u.kzone.other, k[i].other);
    if (kt_failed_checks) {
      fprintf(stderr, "  (case %zu)\n", i);
      return;
    }
  }
  kb_mod_reply_t r;
  dec(0xD5, 0, k[0].b, 10, &r);
  KT_STREQ(fmt(&r), "Keypad slot 8 zone open");
  dec(0xD5, 0, k[3].b, 10, &r);
  KT_STREQ(fmt(&r), "Keypad slot 1 zone closed");
  dec(0xD5, 0, k[4].b, 10, &r);
  KT_STREQ(fmt(&r), "Keypad slot 1 zone: pattern not understood");
  dec(0xD5, 0, k[7].b, 10, &r);
  KT_STREQ(fmt(&r), "Keypad slot 2 zone open | Keypad slot 3 zone closed | Keypad slot 4 zone: "
                    "pattern not understood | Keypad slot 6 zone: pattern not understood | "
                    "Keypad slot 7 zone: pattern not understood");
}

/* ------------------------------------------------------------ 0x94 */

static void test_programming(void) {
  const uint8_t b[] = {FF, 1, 0x12, 0x34, FF, FF, FF, FF, FF, FF, FF};
  kb_mod_reply_t r;
  dec(0x94, 0, b, sizeof b, &r);
  KT_EQ(r.kind, KB_MOD_PROGRAMMING);
  KT_EQ(r.csum, KB_MOD_CSUM_NONE);
  KT_EQ(r.truncated, 0);
  KT_EQ(r.silent, 0);
  KT_STREQ(fmt(&r), "Module programming reply (content not known)");
}

/* ------------------------------------------------------------ robustness */

static const struct {
  uint8_t under, sub, len; /* len: frame length per notes §2.4 */
} k_queries[] = {
    {0x11, 0, 7},  {0x22, 0, 7},  {0x28, 0, 7},     {0x33, 0, 7},     {0x39, 0, 7},
    {0xE6, 8, 9},  {0xE6, 0xA, 9}, {0xE6, 0xC, 9},  {0xE6, 0xE, 9},   {0x41, 0, 11},
    {0x4C, 0, 13}, {0x57, 0, 11}, {0x58, 0, 6},     {0x70, 0, 7},     {0x94, 0, 11},
    {0xD5, 0, 10},
};

static bool union_is_zero(const kb_mod_reply_t *r) {
  static const uint8_t zero[sizeof r->u];
  return memcmp(&r->u, zero, sizeof r->u) == 0;
}

/* Frames shorter than the query's length: flagged, no fields, and (ASan) no
 * read past nbytes. Bytes are 0x00 so that any decoded field would show. */
static void test_truncated(void) {
  for (size_t q = 0; q < sizeof k_queries / sizeof k_queries[0]; q++) {
    uint8_t b[16];
    memset(b, 0x00, sizeof b);
    for (uint8_t n = 0; n < k_queries[q].len; n++) {
      kb_mod_reply_t r;
      dec(k_queries[q].under, k_queries[q].sub, b, n, &r);
      KT_EQ(r.kind, kb_module_kind(k_queries[q].under, k_queries[q].sub));
      KT_EQ(r.truncated, 1);
      KT_EQ(r.csum, KB_MOD_CSUM_NONE);
      KT_CHECK(union_is_zero(&r));
      char buf[128];
      kb_module_format(&r, buf, sizeof buf);
      KT_CHECK(strstr(buf, "reply too short") != NULL);
    }
    kb_mod_reply_t r;
    dec(k_queries[q].under, k_queries[q].sub, b, k_queries[q].len, &r);
    KT_EQ(r.truncated, 0);
    if (kt_failed_checks) {
      fprintf(stderr, "  (query 0x%02X.%02X)\n", k_queries[q].under, k_queries[q].sub);
      return;
    }
  }
  kb_mod_reply_t r;
  kb_module_reply_decode(0x11, 0, NULL, 0, &r);
  KT_EQ(r.kind, KB_MOD_SUPERVISION);
  KT_EQ(r.truncated, 1);
  kb_module_reply_decode(0x11, 0, NULL, 9, &r); /* NULL bytes: treated as none */
  KT_EQ(r.truncated, 1);
  dec(0x4C, 0, k_tamper[0].b, 12, &r);
  KT_STREQ(fmt(&r), "Tamper reply too short");
}

/* nbytes beyond 16 reads only 16 bytes (the buffer here holds exactly 16). */
static void test_long_input_clamped(void) {
  for (size_t q = 0; q < sizeof k_queries / sizeof k_queries[0]; q++) {
    uint8_t *p = malloc(16);
    KT_CHECK(p != NULL);
    if (!p) return;
    memset(p, 0x5A, 16);
    kb_mod_reply_t r;
    kb_module_reply_decode(k_queries[q].under, k_queries[q].sub, p, 255, &r);
    KT_EQ(r.truncated, 0);
    free(p);
  }
}

static void test_silent(void) {
  uint8_t b[16];
  memset(b, FF, sizeof b);
  b[1] = 1;
  for (size_t q = 0; q < sizeof k_queries / sizeof k_queries[0]; q++) {
    kb_mod_reply_t r;
    dec(k_queries[q].under, k_queries[q].sub, b, k_queries[q].len, &r);
    KT_EQ(r.silent, 1);
    if (r.kind != KB_MOD_EXPANDER && r.kind != KB_MOD_LCD_DATA) KT_CHECK(union_is_zero(&r));
  }
}

static uint32_t rng_state = 0x12345678u;
static uint32_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

/* Random bytes, lengths and commands: never crash, invariants hold, text
 * always fits. */
static void test_random(void) {
  for (unsigned it = 0; it < 200000u; it++) {
    uint8_t under, sub = (uint8_t)rng();
    uint32_t pick = rng() % 20u;
    if (pick < 16u) {
      under = k_queries[pick].under;
      sub = k_queries[pick].under == 0xE6 && (rng() & 1u) ? k_queries[pick].sub : sub;
    } else {
      under = (uint8_t)rng();
    }
    uint8_t n = (uint8_t)(rng() % 20u);
    uint8_t have = n > 16 ? 16 : n;
    uint8_t *p = malloc(have ? have : 1u);
    if (!p) return;
    uint32_t mode = rng() % 3u;
    for (unsigned i = 0; i < have; i++) {
      uint8_t v = (uint8_t)rng();
      if (mode == 1u) v |= (uint8_t)rng(); /* mostly-released bus */
      if (mode == 2u) v = (rng() % 4u) ? 0xFF : v;
      p[i] = v;
    }
    kb_mod_reply_t r;
    kb_module_reply_decode(under, sub, p, n, &r);
    free(p);
    KT_CHECK(r.kind < KB_MOD_KIND_COUNT);
    KT_CHECK(r.csum <= KB_MOD_CSUM_BAD);
    if (r.truncated || r.kind == KB_MOD_NONE) KT_CHECK(union_is_zero(&r));
    if (r.kind == KB_MOD_EXPANDER && !r.truncated) {
      KT_CHECK(r.u.exp.nchanged <= 8);
      KT_CHECK(r.u.exp.expander <= 7);
      for (unsigned k = 1; k < r.u.exp.nchanged && k < 8u; k++)
        KT_CHECK(r.u.exp.changed[k].zone > r.u.exp.changed[k - 1].zone);
    }
    if (r.kind == KB_MOD_KEYPAD_ZONE) {
      KT_EQ(r.u.kzone.open & r.u.kzone.closed, 0);
      KT_EQ(r.u.kzone.open & r.u.kzone.other, 0);
      KT_EQ(r.u.kzone.closed & r.u.kzone.other, 0);
    }
    if (r.kind == KB_MOD_TAMPER) {
      KT_EQ(r.u.tamper.keypad_tamper & r.u.tamper.keypad_restored, 0);
      KT_EQ(r.u.tamper.module_tamper & r.u.tamper.module_restored, 0);
      KT_EQ(r.u.tamper.module_tamper & 0x40, 0); /* slot 15 */
    }
    if (r.kind == KB_MOD_WIRELESS_KEY) KT_EQ(r.u.wkey.low & r.u.wkey.restored, 0);
    char buf[80];
    size_t cap = rng() % sizeof buf;
    memset(buf, 'x', sizeof buf);
    size_t len = kb_module_format(&r, buf, cap);
    if (cap == 0) {
      KT_EQ(len, 0);
      KT_EQ(buf[0], 'x');
    } else {
      KT_CHECK(len < cap);
      KT_EQ(strlen(buf), len);
    }
    KT_EQ(buf[cap], 'x'); /* nothing written at or past buf[cap] */
    if (kt_failed_checks) {
      fprintf(stderr, "  (iteration %u under 0x%02X n %u)\n", it, under, n);
      return;
    }
  }
}

static void test_format_edges(void) {
  kb_mod_reply_t r;
  dec(0x11, 0, k_sup_golden[4].b, k_sup_golden[4].n, &r);
  char small[10];
  size_t len = kb_module_format(&r, small, sizeof small);
  KT_EQ(len, 9);
  KT_STREQ(small, "Keypad sl");
  KT_EQ(kb_module_format(NULL, small, sizeof small), 0);
  KT_STREQ(small, "");
  KT_EQ(kb_module_format(&r, NULL, 10), 0);
  char one[1] = {'x'};
  KT_EQ(kb_module_format(&r, one, 1), 0);
  KT_EQ(one[0], '\0');
  KT_STREQ(kb_module_kind_name(KB_MOD_EXPANDER), "Zone expander");
  KT_CHECK(kb_module_kind_name(200) != NULL);
}

KT_MAIN(KT_CASE(test_kind_table), KT_CASE(test_not_a_query), KT_CASE(test_supervision_golden),
        KT_CASE(test_supervision_layouts), KT_CASE(test_supervision_text), KT_CASE(test_expander),
        KT_CASE(test_expander_checksum_examples), KT_CASE(test_expander_text),
        KT_CASE(test_wireless_battery), KT_CASE(test_tamper), KT_CASE(test_tamper_each_slot),
        KT_CASE(test_tamper_text), KT_CASE(test_wireless_key), KT_CASE(test_module_status), KT_CASE(test_module_status_unknown_golden),
        KT_CASE(test_lcd_data), KT_CASE(test_keypad_zone), KT_CASE(test_programming),
        KT_CASE(test_truncated), KT_CASE(test_long_input_clamped), KT_CASE(test_silent),
        KT_CASE(test_random), KT_CASE(test_format_edges))
