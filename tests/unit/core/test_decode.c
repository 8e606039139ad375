/* SPDX-License-Identifier: MIT
 *
 * test_decode.c - frame checks and typed decode (kb_decode.h).
 *
 * Every expectation here is restated from the protocol notes
 * (/work/shared/protocol/powerseries.md, "the notes"): §2.2 checksum list,
 * §2.3 sum rule, §2.4 length table, §3.x command layouts, §4.2-§4.4 module
 * data and the §9 golden vectors. The tables below are written out again on
 * purpose (not taken from src/core/kb_decode.c), so that they are an
 * independent check of the decoder's own tables.
 */
#include "harness.h"

#include <cJSON.h>
#include <stdint.h>
#include <stdlib.h>

#include "host/kb_json.h"
#include "host/kb_text.h"
#include "keybus/kb_decode.h"
#include "keybus/kb_pev.h"

/* ------------------------------------------------------------ helpers */

/* Bit count of a frame of n complete bytes with t trailing bits (§2.3: a
 * frame of N bytes is 8N - 7 bits; the stop-bit slot is a single bit). */
static uint16_t bits_of(size_t n, unsigned t) {
  if (n == 0) return 0;
  if (n == 1) return 8;
  return (uint16_t)(8u * n - 7u + t);
}

/* §2.3: last byte = (b[0] + b[2] + ... + b[n-2]) mod 256. */
static void set_csum(uint8_t *b, size_t n) {
  uint8_t s = b[0];
  for (size_t i = 2; i + 1 < n; i++) s = (uint8_t)(s + b[i]);
  b[n - 1] = s;
}

static void dec(const uint8_t *b, size_t n, kb_decoded_t *d) {
  kb_decode_panel(b, (uint8_t)n, bits_of(n, 0), d);
}

static void dec_mod(uint8_t under, uint8_t sub, const uint8_t *b, size_t n, kb_decoded_t *d) {
  kb_decode_module(under, sub, b, (uint8_t)n, bits_of(n, 0), d);
}

#define DEC(arr, d) dec(arr, sizeof arr, d)
#define DEC_MOD(under, sub, arr, d) dec_mod(under, sub, arr, sizeof arr, d)

static int has_key(const kb_decoded_t *d, uint8_t partition, uint8_t code) {
  for (unsigned i = 0; i < d->nkeys && i < 4; i++)
    if (d->key[i].partition == partition && d->key[i].code == code) return 1;
  return 0;
}

static void expect_part(const kb_decoded_t *d, unsigned i, uint8_t partition, uint8_t lights,
                        uint8_t status) {
  KT_CHECK(i < d->nparts);
  if (i >= d->nparts) return;
  KT_EQ(d->part[i].partition, partition);
  KT_EQ(d->part[i].lights, lights);
  KT_EQ(d->part[i].status, status);
}

static void expect_time(const kb_decoded_t *d, unsigned y, unsigned mo, unsigned day, unsigned h,
                        unsigned mi) {
  KT_CHECK(d->has & KB_HAS_TIME);
  KT_EQ(d->time.year, y);
  KT_EQ(d->time.month, mo);
  KT_EQ(d->time.day, day);
  KT_EQ(d->time.hour, h);
  KT_EQ(d->time.minute, mi);
  KT_EQ(d->time.valid, 1);
}

/* The event must be what kb_pev_decode gives for (set, code) and of the
 * expected kind/number (notes §3.9). */
static void expect_event(const kb_decoded_t *d, uint8_t set, uint8_t code, int kind, int number,
                         uint8_t parts, uint16_t event_number) {
  kb_pev_t e = kb_pev_decode(set, code);
  KT_CHECK(d->has & KB_HAS_EVENT);
  KT_EQ(d->event.set, set);
  KT_EQ(d->event.code, code);
  KT_EQ(d->event.kind, e.kind);
  KT_EQ(d->event.number, e.number);
  KT_EQ(d->event.kind, kind);
  KT_EQ(d->event.number, number);
  KT_EQ(d->event_parts, parts);
  KT_EQ(d->event_number, event_number);
}

/* ------------------------------------------------- command table (§2.4) */

typedef struct {
  uint8_t cmd, sub;  /* sub: 0xE6 sub-command (byte 2), else 0 */
  uint8_t len_a, len_b; /* early / later generation (equal when one length) */
  uint8_t csum;      /* §2.2 */
} cmd_row_t;

static const cmd_row_t cmd_rows[] = {
    {0x05, 0, 6, 10, 0},  {0x0A, 0, 10, 10, 1}, {0x0F, 0, 10, 10, 1}, {0x11, 0, 7, 9, 0},
    {0x16, 0, 6, 6, 1},   {0x1B, 0, 10, 10, 0}, {0x1C, 0, 2, 2, 0},   {0x22, 0, 7, 7, 0},
    {0x28, 0, 7, 7, 0},   {0x33, 0, 7, 7, 0},   {0x39, 0, 7, 7, 0},   {0x27, 0, 8, 8, 1},
    {0x2D, 0, 8, 8, 1},   {0x34, 0, 8, 8, 1},   {0x3E, 0, 8, 8, 1},   {0x41, 0, 11, 11, 0},
    {0x4C, 0, 13, 15, 0}, {0x57, 0, 11, 11, 0}, {0x58, 0, 6, 14, 0},  {0x5D, 0, 8, 8, 1},
    {0x63, 0, 8, 8, 1},   {0x64, 0, 4, 4, 1},   {0x69, 0, 4, 4, 1},   {0x75, 0, 4, 4, 1},
    {0x7A, 0, 4, 4, 1},   {0x7F, 0, 4, 4, 1},   {0x82, 0, 4, 4, 1},   {0x6E, 0, 7, 7, 1},
    {0x70, 0, 7, 7, 0},   {0x87, 0, 5, 5, 1},   {0x8D, 0, 10, 10, 1}, {0x94, 0, 11, 11, 0},
    {0x9E, 0, 7, 7, 0},   {0xA5, 0, 9, 9, 1},   {0xAA, 0, 9, 9, 1},   {0xB1, 0, 11, 11, 1},
    {0xBB, 0, 5, 5, 1},   {0xC3, 0, 5, 5, 1},   {0xCE, 0, 8, 8, 1},   {0xD5, 0, 10, 10, 0},
    {0xE6, 0x01, 11, 11, 1}, {0xE6, 0x02, 11, 11, 1}, {0xE6, 0x03, 11, 11, 1},
    {0xE6, 0x04, 11, 11, 1}, {0xE6, 0x05, 11, 11, 1}, {0xE6, 0x06, 11, 11, 1},
    {0xE6, 0x20, 11, 11, 1}, {0xE6, 0x21, 11, 11, 1}, {0xE6, 0x08, 9, 9, 0},
    {0xE6, 0x0A, 9, 9, 0},   {0xE6, 0x0C, 9, 9, 0},   {0xE6, 0x0E, 9, 9, 0},
    {0xE6, 0x09, 5, 5, 1},   {0xE6, 0x0B, 5, 5, 1},   {0xE6, 0x0D, 5, 5, 1},
    {0xE6, 0x0F, 5, 5, 1},   {0xE6, 0x17, 10, 10, 1}, {0xE6, 0x18, 10, 10, 1},
    {0xE6, 0x19, 6, 6, 1},   {0xE6, 0x1D, 6, 6, 1},   {0xE6, 0x1F, 6, 6, 1},
    {0xE6, 0x1A, 11, 11, 1}, {0xE6, 0x2B, 9, 9, 1},   {0xE6, 0x2C, 9, 9, 1},
    {0xEB, 0, 11, 11, 1},    {0xEC, 0, 11, 11, 1},
};
#define N_ROWS (sizeof cmd_rows / sizeof cmd_rows[0])

static int row_allows(const cmd_row_t *r, unsigned n) { return n == r->len_a || n == r->len_b; }

/* Builds a frame of n bytes for row r: command, stop bit 0, sub, data
 * pattern, checksum when the command has one. */
static void build(const cmd_row_t *r, size_t n, uint8_t *b, unsigned seed) {
  memset(b, 0, 32);
  b[0] = r->cmd;
  if (n > 1) b[1] = 0;
  for (size_t i = 2; i < n; i++) b[i] = (uint8_t)(seed * 29u + i * 53u + 7u);
  if (r->cmd == 0xE6 && n > 2) b[2] = r->sub;
  if (r->csum && n >= 3) set_csum(b, n);
}

static const char *row_name(const cmd_row_t *r) {
  static char s[16];
  if (r->cmd == 0xE6)
    snprintf(s, sizeof s, "0xE6.%02X", r->sub);
  else
    snprintf(s, sizeof s, "0x%02X", r->cmd);
  return s;
}

/* ------------------------------------------------------------ API tables */

static void nbytes_table(void) {
  for (uint16_t b = 0; b < 8; b++) KT_EQ(kb_decode_nbytes(b), 0);
  KT_EQ(kb_decode_nbytes(8), 1);
  KT_EQ(kb_decode_nbytes(9), 2);
  KT_EQ(kb_decode_nbytes(16), 2);
  KT_EQ(kb_decode_nbytes(17), 3);
  KT_EQ(kb_decode_nbytes(25), 4);
  KT_EQ(kb_decode_nbytes(33), 5);
  KT_EQ(kb_decode_nbytes(41), 6);
  KT_EQ(kb_decode_nbytes(65), 9);
  KT_EQ(kb_decode_nbytes(66), 9);
  KT_EQ(kb_decode_nbytes(67), 9); /* 0x11 later gen + 2 trailing bits */
  KT_EQ(kb_decode_nbytes(72), 9);
  KT_EQ(kb_decode_nbytes(73), 10);
  KT_EQ(kb_decode_nbytes(74), 10);
  KT_EQ(kb_decode_nbytes(113), 15); /* longest frame, later-gen 0x4C */
  for (unsigned n = 2; n <= 31; n++)
    for (unsigned t = 0; t < 8; t++) KT_EQ(kb_decode_nbytes(bits_of(n, t)), n);
  KT_EQ(kb_decode_nbytes(65535), 255); /* saturates */
}

static void has_checksum_table(void) {
  /* §2.2: every command except these carries a checksum, unknown ones too. */
  static const uint8_t none[] = {0x05, 0x11, 0x1B, 0x1C, 0x22, 0x28, 0x33, 0x39,
                                 0x41, 0x4C, 0x57, 0x58, 0x70, 0x94, 0x9E, 0xD5};
  for (unsigned c = 0; c < 256; c++) {
    int want = 1;
    for (size_t i = 0; i < sizeof none; i++)
      if (none[i] == c) want = 0;
    if (c == 0xE6) continue;
    if ((int)kb_decode_has_checksum((uint8_t)c, 0) != want)
      kt_fail(__FILE__, __LINE__, "has_checksum(0x%02X) != %d", c, want);
  }
  for (unsigned s = 0; s < 256; s++) {
    int want = !(s == 0x08 || s == 0x0A || s == 0x0C || s == 0x0E);
    if ((int)kb_decode_has_checksum(0xE6, (uint8_t)s) != want)
      kt_fail(__FILE__, __LINE__, "has_checksum(0xE6, 0x%02X) != %d", s, want);
  }
  for (size_t i = 0; i < N_ROWS; i++)
    if (kb_decode_has_checksum(cmd_rows[i].cmd, cmd_rows[i].sub) != (bool)cmd_rows[i].csum)
      kt_fail(__FILE__, __LINE__, "has_checksum(%s)", row_name(&cmd_rows[i]));
}

static void frame_len_table(void) {
  for (size_t i = 0; i < N_ROWS; i++) {
    const cmd_row_t *r = &cmd_rows[i];
    KT_EQ(kb_decode_frame_len(r->cmd, r->sub, 16), r->len_b);
    KT_EQ(kb_decode_frame_len(r->cmd, r->sub, 255), r->len_b);
    KT_EQ(kb_decode_frame_len(r->cmd, r->sub, r->len_b), r->len_b);
    KT_EQ(kb_decode_frame_len(r->cmd, r->sub, (uint8_t)(r->len_b - 1)),
          r->len_a < r->len_b ? r->len_a : 0);
    KT_EQ(kb_decode_frame_len(r->cmd, r->sub, (uint8_t)(r->len_a - 1)), 0);
  }
  /* Unknown commands / sub-commands: 0. */
  KT_EQ(kb_decode_frame_len(0x67, 0, 16), 0);
  KT_EQ(kb_decode_frame_len(0x00, 0, 16), 0);
  KT_EQ(kb_decode_frame_len(0x38, 0, 16), 0);
  KT_EQ(kb_decode_frame_len(0xE6, 0x25, 16), 0);
  KT_EQ(kb_decode_frame_len(0xE6, 0x41, 16), 0);
  /* A log padded to 16 values: 0x05 later gen. */
  KT_EQ(kb_decode_frame_len(0x05, 0, 9), 6);
  KT_EQ(kb_decode_frame_len(0x11, 0, 8), 7);
}

/* Every known command and sub-command: allowed lengths are OK (also with
 * 1..7 trailing bits), one byte fewer/more is a length error even when the
 * checksum at the new length adds up, a changed byte is a checksum error. */
static void every_command_lengths_and_checksum(void) {
  for (size_t i = 0; i < N_ROWS; i++) {
    const cmd_row_t *r = &cmd_rows[i];
    const char *nm = row_name(r);
    unsigned lens[2] = {r->len_a, r->len_b};
    for (unsigned k = 0; k < 2; k++) {
      unsigned n = lens[k];
      uint8_t b[32];
      kb_decoded_t d;
      for (unsigned t = 0; t < 8; t++) {
        build(r, n, b, t);
        kb_decode_panel(b, (uint8_t)n, bits_of(n, t), &d);
        if (d.check != KB_CHECK_OK || d.nbytes != n || d.trailing != t || d.cmd != r->cmd ||
            d.sub != r->sub || d.csum != (r->csum ? KB_CSUM_OK : KB_CSUM_NONE) ||
            d.source != KB_SRC_PANEL)
          kt_fail(__FILE__, __LINE__, "%s %u bytes +%u bits: check %u nbytes %u trailing %u csum %u sub 0x%02X",
                  nm, n, t, d.check, d.nbytes, d.trailing, d.csum, d.sub);
      }
      /* one byte too few (keeping at least command + stop + sub) */
      if (n - 1 >= (r->cmd == 0xE6 ? 3u : 1u) && !row_allows(r, n - 1)) {
        build(r, n - 1, b, 1);
        dec(b, n - 1, &d);
        if (d.check != KB_CHECK_LENGTH || d.has != 0)
          kt_fail(__FILE__, __LINE__, "%s with %u bytes (one too few): check %u, want length", nm,
                  n - 1, d.check);
      }
      /* one byte too many, checksum recomputed at the new length */
      if (!row_allows(r, n + 1)) {
        build(r, n + 1, b, 2);
        dec(b, n + 1, &d);
        if (d.check != KB_CHECK_LENGTH || d.has != 0)
          kt_fail(__FILE__, __LINE__, "%s with %u bytes (one too many): check %u, want length", nm,
                  n + 1, d.check);
        /* and the allowed frame followed by one extra byte (stale checksum) */
        build(r, n, b, 3);
        b[n] = 0x5A;
        dec(b, n + 1, &d);
        if (d.check != KB_CHECK_LENGTH || d.has != 0)
          kt_fail(__FILE__, __LINE__, "%s + 1 byte: check %u, want length", nm, d.check);
      }
      /* a changed data or checksum byte */
      if (n >= 3) {
        for (unsigned pos = (r->cmd == 0xE6 ? 3u : 2u); pos < n; pos++) {
          build(r, n, b, 4);
          b[pos] ^= 0x10;
          dec(b, n, &d);
          if (r->csum) {
            if (d.check != KB_CHECK_CHECKSUM || d.csum != KB_CSUM_BAD || d.has != 0)
              kt_fail(__FILE__, __LINE__, "%s byte %u changed: check %u csum %u, want checksum", nm,
                      pos, d.check, d.csum);
          } else if (d.check != KB_CHECK_OK || d.csum != KB_CSUM_NONE) {
            kt_fail(__FILE__, __LINE__, "%s (no checksum) byte %u changed: check %u", nm, pos,
                    d.check);
          }
        }
      }
    }
  }
}

/* ------------------------------------------------------ frame checks */

static void check_runt(void) {
  uint8_t b[16];
  kb_decoded_t d;
  memset(b, 0x05, sizeof b);
  b[1] = 0;
  for (uint16_t bits = 0; bits < 8; bits++) {
    kb_decode_panel(b, 16, bits, &d);
    KT_EQ(d.check, KB_CHECK_RUNT);
    KT_EQ(d.has, 0);
    KT_EQ(d.nbytes, 0);
    kb_decode_module(0x05, 0, b, 16, bits, &d);
    KT_EQ(d.check, KB_CHECK_RUNT);
    KT_EQ(d.has, 0);
  }
  kb_decode_panel(b, 0, 41, &d); /* no bytes at all */
  KT_EQ(d.check, KB_CHECK_RUNT);
  KT_EQ(d.has, 0);
}

/* 8 bits: the command byte only, the stop bit never came. A command of the
 * notes is a length error; a checksummed one has no room for its checksum
 * (csum "bad", §2.3 read literally: index (8-1)/8 = 0 compared with 0). */
static void check_8bit_no_stop_bit(void) {
  static const uint8_t known[] = {0x05, 0x1C, 0x27, 0xA5, 0xEB};
  kb_decoded_t d;
  for (size_t i = 0; i < sizeof known; i++) {
    uint8_t b[1] = {known[i]};
    kb_decode_panel(b, 1, 8, &d);
    KT_EQ(d.nbytes, 1);
    KT_EQ(d.check, KB_CHECK_LENGTH);
    KT_EQ(d.csum, kb_decode_has_checksum(known[i], 0) ? KB_CSUM_BAD : KB_CSUM_NONE);
    KT_EQ(d.has, 0);
  }
  {
    uint8_t b[1] = {0x37}; /* taligentx issue-2 line 6: unknown command */
    kb_decode_panel(b, 1, 8, &d);
    KT_EQ(d.check, KB_CHECK_UNKNOWN);
    KT_EQ(d.csum, KB_CSUM_BAD);
    KT_EQ(d.has, 0);
  }
}

/* 0xE6 is a command of the notes (§3.34); a frame that ends before its
 * sub-command byte is too short for every 0xE6 frame (5..11 bytes): a length
 * error, not an unknown command. */
static void check_E6_without_subcommand_is_length(void) {
  kb_decoded_t d;
  uint8_t b[2] = {0xE6, 0x00};
  kb_decode_panel(b, 1, 8, &d);
  KT_EQ(d.check, KB_CHECK_LENGTH);
  KT_EQ(d.has, 0);
  kb_decode_panel(b, 2, 9, &d);
  KT_EQ(d.check, KB_CHECK_LENGTH);
  KT_EQ(d.has, 0);
}

static void check_framing_stop_bit_1(void) {
  kb_decoded_t d;
  {
    uint8_t b[] = {0x63, 0x01}; /* issue-2 line 5: sum 0x63 != 0x01 */
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_FRAMING);
    KT_EQ(d.csum, KB_CSUM_BAD);
  }
  {
    uint8_t b[] = {0x01, 0x01}; /* issue-2 line 7: degenerate sum 0x01 = 0x01 */
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_FRAMING);
    KT_EQ(d.csum, KB_CSUM_OK);
  }
  {
    /* issue-180 line 3: 05 01 FF CF ..., 74 bits; must not decode as status. */
    uint8_t b[] = {0x05, 0x01, 0xFF, 0xCF, 0xFF, 0xF7, 0xFF, 0xE7, 0xFF, 0xFF};
    kb_decode_panel(b, sizeof b, 74, &d);
    KT_EQ(d.check, KB_CHECK_FRAMING);
    KT_EQ(d.has, 0);
    KT_EQ(d.nparts, 0);
  }
  /* Framing wins over length, checksum and unknown. */
  for (size_t i = 0; i < N_ROWS; i++) {
    uint8_t b[32];
    build(&cmd_rows[i], cmd_rows[i].len_b, b, 5);
    if (cmd_rows[i].len_b < 3) continue;
    b[1] = 1;
    dec(b, cmd_rows[i].len_b, &d);
    if (d.check != KB_CHECK_FRAMING || d.has) kt_fail(__FILE__, __LINE__, "%s stop 1", row_name(&cmd_rows[i]));
    b[cmd_rows[i].len_b - 1] ^= 0xFF;
    dec(b, cmd_rows[i].len_b, &d);
    if (d.check != KB_CHECK_FRAMING) kt_fail(__FILE__, __LINE__, "%s stop 1 + bad sum", row_name(&cmd_rows[i]));
    dec(b, cmd_rows[i].len_b - 1u, &d);
    if (d.check != KB_CHECK_FRAMING) kt_fail(__FILE__, __LINE__, "%s stop 1 + short", row_name(&cmd_rows[i]));
  }
  {
    uint8_t b[] = {0xC7, 0x01}; /* unknown command and stop bit 1 */
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_FRAMING);
  }
}

static void check_length(void) {
  kb_decoded_t d;
  {
    /* issue-2 line 3: 27 00 10 - known, checksummed, 3 of 8 bytes. The
     * checksum also fails; length is reported first. */
    uint8_t b[] = {0x27, 0x00, 0x10};
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_LENGTH);
    KT_EQ(d.csum, KB_CSUM_BAD);
    KT_EQ(d.has, 0);
  }
  {
    /* 0x1B has no early-generation form (§2.4). */
    uint8_t b[] = {0x1B, 0x00, 0x91, 0x01, 0x10, 0xC7};
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_LENGTH);
  }
  {
    /* issue-211 line 6 style: 0x11 with 11 bytes. */
    uint8_t b[11] = {0x11, 0x00, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_LENGTH);
  }
  {
    uint8_t b[] = {0x1C, 0x00, 0x00}; /* 0x1C is command + stop only */
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_LENGTH);
  }
}

static void check_checksum(void) {
  kb_decoded_t d;
  /* golden records 437, 422: flipped checksum */
  uint8_t v16[] = {0x16, 0x00, 0x0E, 0x23, 0xD1, 0x19};
  uint8_t va5[] = {0xA5, 0x00, 0x01, 0x44, 0x22, 0x5C, 0x57, 0xFF, 0xBD};
  uint8_t ok64[] = {0x64, 0x00, 0x06, 0x6A}; /* §2.3 worked example */
  uint8_t ok87[] = {0x87, 0x00, 0x13, 0xF3, 0x8D};
  DEC(v16, &d);
  KT_EQ(d.check, KB_CHECK_CHECKSUM);
  KT_EQ(d.csum, KB_CSUM_BAD);
  KT_EQ(d.has, 0);
  DEC(va5, &d);
  KT_EQ(d.check, KB_CHECK_CHECKSUM);
  KT_EQ(d.has, 0);
  DEC(ok64, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.csum, KB_CSUM_OK);
  DEC(ok87, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  /* The stop-bit slot is not part of the sum: a 0x64 frame whose checksum
   * was computed including b[1] = 0 is the same; one computed from b[1] as
   * if it were data would differ only when b[1] != 0 (framing anyway). */
  ok64[3] = (uint8_t)(0x64 + 0x06 + 0x01);
  DEC(ok64, &d);
  KT_EQ(d.check, KB_CHECK_CHECKSUM);
  /* sum wraps mod 256 */
  {
    uint8_t b[] = {0x0A, 0x00, 0x81, 0xEE, 0x65, 0x00, 0x00, 0x00, 0x00, 0xDE};
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    b[9] = 0xDF;
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_CHECKSUM);
  }
  /* 0x94: treated as unchecked (§2.2 [uncertain]); golden 228 does not add up */
  {
    uint8_t b[] = {0x94, 0x00, 0x11, 0x00, 0x00, 0xA5, 0x00, 0x00, 0x00, 0x17, 0xA0};
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.csum, KB_CSUM_NONE);
  }
}

static void check_unknown(void) {
  kb_decoded_t d;
  {
    /* issue-2 line 4: 67 00. Unknown commands are checksum-verified (§2.2)
     * and on a 2-byte frame the stop-bit byte is the checksum (§2.3 read
     * literally): 0x67 != 0x00. Both "checksum" and "unknown" apply; the
     * header applies checksum first. */
    uint8_t b[] = {0x67, 0x00};
    DEC(b, &d);
    KT_EQ(d.csum, KB_CSUM_BAD);
    KT_CHECK(d.check == KB_CHECK_CHECKSUM || d.check == KB_CHECK_UNKNOWN);
    KT_EQ(d.check, KB_CHECK_CHECKSUM);
    KT_EQ(d.has, 0);
  }
  {
    uint8_t b[] = {0x38, 0x00}; /* issue-176: Classic PC2500, sum bad */
    DEC(b, &d);
    KT_EQ(d.csum, KB_CSUM_BAD);
    KT_EQ(d.check, KB_CHECK_CHECKSUM);
  }
  {
    uint8_t b[] = {0x00, 0x00}; /* command 0x00: the degenerate sum adds up */
    DEC(b, &d);
    KT_EQ(d.csum, KB_CSUM_OK);
    KT_EQ(d.check, KB_CHECK_UNKNOWN);
  }
  {
    /* Unknown command whose checksum adds up: unknown (raw bytes only). */
    uint8_t b[] = {0x30, 0x00, 0x18, 0xE0, 0x00};
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_UNKNOWN);
    KT_EQ(d.csum, KB_CSUM_OK);
    KT_EQ(d.has, 0);
    KT_EQ(d.cmd, 0x30);
  }
  {
    /* Unknown commands are checksum-verified (§2.2): a bad sum is reported as
     * a checksum error (the header's order: checksum before unknown). */
    uint8_t b[] = {0x30, 0x00, 0x18, 0xE0, 0x18};
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_CHECKSUM);
    KT_EQ(d.csum, KB_CSUM_BAD);
  }
  {
    /* 0x52 (taligentx issue-188): not in the notes */
    uint8_t b[] = {0x52, 0x00, 0x01, 0x02, 0x00};
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_UNKNOWN);
  }
  /* 0xE6 sub-commands without a known structure (§3.34: 0x25, 0x41) */
  {
    uint8_t b[] = {0xE6, 0x00, 0x25, 0x00, 0x00, 0x00};
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_UNKNOWN);
    KT_EQ(d.sub, 0x25);
    b[2] = 0x41;
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_UNKNOWN);
  }
  /* every command byte not in the table, with a good sum: unknown */
  for (unsigned c = 0; c < 256; c++) {
    int known = 0;
    uint8_t b[6] = {(uint8_t)c, 0, 0x12, 0x34, 0x56, 0};
    for (size_t i = 0; i < N_ROWS; i++)
      if (cmd_rows[i].cmd == c) known = 1;
    if (known) continue;
    set_csum(b, sizeof b);
    DEC(b, &d);
    if (d.check != KB_CHECK_UNKNOWN || d.has) kt_fail(__FILE__, __LINE__, "cmd 0x%02X: check %u", c, d.check);
  }
}

static void check_trailing_bits(void) {
  kb_decoded_t d;
  {
    /* 0x11 later gen, 67 bits = 9 bytes + 2 trailing bits */
    uint8_t b[] = {0x11, 0x00, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0x03};
    kb_decode_panel(b, sizeof b, 67, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.nbytes, 9);
    KT_EQ(d.trailing, 2);
  }
  {
    /* 0x05 with 74 bits = 10 bytes + 1 trailing bit */
    uint8_t b[] = {0x05, 0x00, 0x80, 0x03, 0x82, 0x05, 0x82, 0x05, 0x00, 0xC7, 0x80};
    kb_decode_panel(b, sizeof b, 74, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.nbytes, 10);
    KT_EQ(d.trailing, 1);
    KT_EQ(d.early, 0);
    KT_EQ(d.nparts, 4);
  }
  {
    /* checksummed frame + 3 trailing bits: the checksum is still byte N-1 */
    uint8_t b[] = {0xA5, 0x00, 0x18, 0x0E, 0xED, 0x80, 0x00, 0x00, 0x38, 0xE0};
    kb_decode_panel(b, sizeof b, 68, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.nbytes, 9);
    KT_EQ(d.trailing, 3);
    /* 8 trailing bits would be one more byte: length error */
    kb_decode_panel(b, sizeof b, 73, &d);
    KT_EQ(d.check, KB_CHECK_LENGTH);
  }
  {
    /* exact bit counts have no trailing bits */
    uint8_t b[] = {0x64, 0x00, 0x06, 0x6A};
    kb_decode_panel(b, sizeof b, 25, &d);
    KT_EQ(d.trailing, 0);
    KT_EQ(d.check, KB_CHECK_OK);
  }
}

/* Bytes past the bit count must not change the result (no read beyond). */
static void no_read_past_bit_count(void) {
  for (size_t i = 0; i < N_ROWS; i++) {
    const cmd_row_t *r = &cmd_rows[i];
    uint8_t a[32], b[32];
    kb_decoded_t da, db;
    build(r, r->len_b, a, 9);
    memcpy(b, a, sizeof b);
    memset(a + r->len_b, 0x00, 16 - r->len_b);
    memset(b + r->len_b, 0xFF, 16 - r->len_b);
    /* fields outside `has` are left as they were: start both alike */
    memset(&da, 0, sizeof da);
    memset(&db, 0, sizeof db);
    kb_decode_panel(a, 16, bits_of(r->len_b, 0), &da);
    kb_decode_panel(b, 16, bits_of(r->len_b, 0), &db);
    if (memcmp(&da, &db, sizeof da) != 0) kt_fail(__FILE__, __LINE__, "%s reads past bits", row_name(r));
    /* module data under the same command */
    a[0] = b[0] = 0xFF;
    a[1] = b[1] = 0x01;
    memset(&da, 0, sizeof da);
    memset(&db, 0, sizeof db);
    kb_decode_module(r->cmd, r->sub, a, 16, bits_of(r->len_b, 0), &da);
    kb_decode_module(r->cmd, r->sub, b, 16, bits_of(r->len_b, 0), &db);
    if (memcmp(&da, &db, sizeof da) != 0) kt_fail(__FILE__, __LINE__, "module %s reads past bits", row_name(r));
  }
}

/* ------------------------------------------------- typed decode, panel */

static void cmd_05_early_6_bytes(void) {
  static const uint8_t b[] = {0x05, 0x00, 0x81, 0x01, 0x91, 0xC7}; /* §9 #1 */
  kb_decoded_t d;
  DEC(b, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.csum, KB_CSUM_NONE);
  KT_EQ(d.early, 1);
  KT_EQ(d.parts_kind, KB_PARTS_STATUS);
  KT_EQ(d.has, KB_HAS_PARTS);
  KT_EQ(d.nparts, 2);
  expect_part(&d, 0, 1, 0x81, 0x01);
  expect_part(&d, 1, 2, 0x91, 0xC7);
}

static void cmd_05_later_10_bytes(void) {
  static const uint8_t b[] = {0x05, 0x00, 0x80, 0x03, 0x82, 0x05, 0x82, 0x05, 0x00, 0xC7}; /* §9 #2 */
  kb_decoded_t d;
  DEC(b, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.early, 0);
  KT_EQ(d.parts_kind, KB_PARTS_STATUS);
  KT_EQ(d.has, KB_HAS_PARTS);
  KT_EQ(d.nparts, 4);
  expect_part(&d, 0, 1, 0x80, 0x03);
  expect_part(&d, 1, 2, 0x82, 0x05);
  expect_part(&d, 2, 3, 0x82, 0x05);
  expect_part(&d, 3, 4, 0x00, 0xC7);
}

static void cmd_1B_partitions_5_8(void) {
  static const uint8_t b[] = {0x1B, 0x00, 0x91, 0x01, 0x10, 0xC7, 0x10, 0xC7, 0x10, 0xC7}; /* §9 #3 */
  kb_decoded_t d;
  DEC(b, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.csum, KB_CSUM_NONE);
  KT_EQ(d.parts_kind, KB_PARTS_STATUS);
  KT_EQ(d.has, KB_HAS_PARTS);
  KT_EQ(d.nparts, 4);
  expect_part(&d, 0, 5, 0x91, 0x01);
  expect_part(&d, 1, 6, 0x10, 0xC7);
  expect_part(&d, 2, 7, 0x10, 0xC7);
  expect_part(&d, 3, 8, 0x10, 0xC7);
}

static void cmd_0A_0F_programming(void) {
  uint8_t b[] = {0x0A, 0x00, 0x81, 0xEE, 0x65, 0x00, 0x00, 0x00, 0x00, 0xDE}; /* §9 #4 */
  kb_decoded_t d;
  DEC(b, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.csum, KB_CSUM_OK);
  KT_EQ(d.parts_kind, KB_PARTS_PROGRAMMING);
  KT_EQ(d.nparts, 1);
  expect_part(&d, 0, 1, 0x81, 0xEE);
  KT_EQ(d.has & (KB_HAS_ZONES | KB_HAS_EVENT | KB_HAS_TIME), 0);
  KT_EQ(d.has & KB_HAS_ZONE_LIGHTS, KB_HAS_ZONE_LIGHTS);
  KT_EQ(d.zone_lights_first, 1);
  b[0] = 0x0F;
  set_csum(b, sizeof b);
  DEC(b, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.parts_kind, KB_PARTS_PROGRAMMING);
  KT_EQ(d.nparts, 1);
  expect_part(&d, 0, 2, 0x81, 0xEE);
}

/* Issue 6 item 7: the zone lights of a programming status (bytes 4-7 of
 * 0x0A/0x0F, 5-8 of 0xE6.01-06/20/21 with byte 9 b7 choosing 33-64) are
 * decoded; byte 8 of 0x0A (*5 code lights) is not a zone. */
static void zone_lights_of_programming_statuses(void) {
  uint8_t a[] = {0x0A, 0x00, 0x89, 0xA0, 0x05, 0x80, 0x00, 0x01, 0x13, 0};
  uint8_t e[] = {0xE6, 0x00, 0x20, 0x89, 0xA0, 0x02, 0x00, 0x00, 0x80, 0x80, 0};
  kb_decoded_t d;
  set_csum(a, sizeof a);
  DEC(a, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.has, KB_HAS_PARTS | KB_HAS_ZONE_LIGHTS);
  KT_EQ(d.zone_lights_first, 1);
  KT_EQ(d.zone_lights[0], 0x05);
  KT_EQ(d.zone_lights[1], 0x80);
  KT_EQ(d.zone_lights[2], 0x00);
  KT_EQ(d.zone_lights[3], 0x01);
  set_csum(e, sizeof e);
  DEC(e, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.zone_lights_first, 33);
  KT_EQ(d.zone_lights[0], 0x02);
  KT_EQ(d.zone_lights[3], 0x80);
  expect_part(&d, 0, 1, 0x89, 0xA0);
  e[9] = 0x00; /* flags b7 clear: zones 1-32 */
  set_csum(e, sizeof e);
  DEC(e, &d);
  KT_EQ(d.zone_lights_first, 1);
}

static void cmd_27_2D_34_3E_zones(void) {
  static const uint8_t cmds[] = {0x27, 0x2D, 0x34, 0x3E};
  static const uint8_t first[] = {1, 9, 17, 25};
  for (unsigned i = 0; i < 4; i++) {
    uint8_t b[] = {cmds[i], 0x00, 0x90, 0x03, 0x91, 0xC7, 0x3F, 0x00};
    kb_decoded_t d;
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.csum, KB_CSUM_OK);
    KT_EQ(d.parts_kind, KB_PARTS_ZONE_STATUS);
    KT_EQ(d.has, KB_HAS_PARTS | KB_HAS_ZONES);
    KT_EQ(d.nparts, 2);
    expect_part(&d, 0, 1, 0x90, 0x03);
    expect_part(&d, 1, 2, 0x91, 0xC7);
    KT_EQ(d.zone_first, first[i]);
    KT_EQ(d.zone_count, 8);
    KT_EQ(d.zones, 0x3F);
  }
  {
    static const uint8_t b[] = {0x27, 0x00, 0x90, 0x03, 0x91, 0xC7, 0x3F, 0x51}; /* §9 #6 */
    kb_decoded_t d;
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.zones, 0x3F);
    KT_EQ(d.zone_first, 1);
  }
}

static void cmd_E6_programming_partitions(void) {
  /* §3.34: 0x01 = P3 ... 0x06 = P8, 0x20 = P1, 0x21 = P2. */
  static const uint8_t subs[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x20, 0x21};
  static const uint8_t parts[] = {3, 4, 5, 6, 7, 8, 1, 2};
  for (unsigned i = 0; i < sizeof subs; i++) {
    uint8_t b[] = {0xE6, 0x00, subs[i], 0x82, 0xE4, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00};
    kb_decoded_t d;
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.sub, subs[i]);
    KT_EQ(d.parts_kind, KB_PARTS_PROGRAMMING);
    KT_EQ(d.has, KB_HAS_PARTS | KB_HAS_ZONE_LIGHTS);
    KT_EQ(d.zone_lights_first, 33); /* byte 9 b7 */
    KT_EQ(d.nparts, 1);
    expect_part(&d, 0, parts[i], 0x82, 0xE4);
  }
  {
    /* golden 265: E6.01 */
    static const uint8_t b[] = {0xE6, 0x00, 0x01, 0x82, 0xE4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4D};
    kb_decoded_t d;
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    expect_part(&d, 0, 3, 0x82, 0xE4);
  }
}

static void cmd_E6_zones_33_64(void) {
  static const uint8_t subs[] = {0x09, 0x0B, 0x0D, 0x0F};
  static const uint8_t first[] = {33, 41, 49, 57};
  for (unsigned i = 0; i < 4; i++) {
    uint8_t b[] = {0xE6, 0x00, subs[i], 0xA5, 0x00};
    kb_decoded_t d;
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.has, KB_HAS_ZONES);
    KT_EQ(d.zone_first, first[i]);
    KT_EQ(d.zone_count, 8);
    KT_EQ(d.zones, 0xA5);
  }
  {
    static const uint8_t b[] = {0xE6, 0x00, 0x09, 0x00, 0xEF}; /* §9 #22 */
    kb_decoded_t d;
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.has, KB_HAS_ZONES);
    KT_EQ(d.zones, 0);
    KT_EQ(d.zone_first, 33);
  }
}

static void cmd_E6_1A_ac_trouble(void) {
  kb_decoded_t d;
  {
    static const uint8_t b[] = {0xE6, 0x00, 0x1A, 0x40, 0x01, 0x00, 0x11, 0x00, 0x00, 0x00, 0x52}; /* §9 #24 */
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_CHECK(d.has & KB_HAS_AC);
    KT_EQ(d.ac_trouble, 1);
  }
  {
    static const uint8_t b[] = {0xE6, 0x00, 0x1A, 0x40, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x49}; /* golden 299 */
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_CHECK(d.has & KB_HAS_AC);
    KT_EQ(d.ac_trouble, 0);
  }
  for (unsigned bit = 0; bit < 8; bit++) {
    uint8_t b[] = {0xE6, 0x00, 0x1A, 0xFF, 0xFF, 0xFF, (uint8_t)(1u << bit), 0xFF, 0xFF, 0xFF, 0};
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.ac_trouble, bit == 4);
  }
}

/* The other 0xE6 sub-commands each fill exactly their own typed fields
 * (issue 7: the text layer no longer reads their bytes). */
static void cmd_E6_other_subs_typed(void) {
  static const struct {
    uint8_t sub;
    uint32_t has;
  } subs[] = {{0x08, KB_HAS_QUERY},   {0x0A, KB_HAS_QUERY},   {0x0C, KB_HAS_QUERY},
              {0x0E, KB_HAS_QUERY},   {0x17, KB_HAS_FLASH},   {0x18, KB_HAS_FLASH},
              {0x19, KB_HAS_SOUND},   {0x1D, KB_HAS_SOUND},   {0x1F, KB_HAS_SOUND},
              {0x2B, KB_HAS_ENABLED}, {0x2C, KB_HAS_ENABLED}};
  for (size_t i = 0; i < N_ROWS; i++) {
    const cmd_row_t *r = &cmd_rows[i];
    for (size_t k = 0; k < sizeof subs / sizeof subs[0]; k++) {
      uint8_t b[32];
      kb_decoded_t d;
      if (r->cmd != 0xE6 || r->sub != subs[k].sub) continue;
      build(r, r->len_b, b, 11);
      dec(b, r->len_b, &d);
      KT_EQ(d.check, KB_CHECK_OK);
      KT_EQ(d.has, subs[k].has);
      KT_EQ(d.nparts, 0);
    }
  }
  {
    static const uint8_t b[] = {0xE6, 0x00, 0x18, 0x01, 0x04, 0x00, 0x00, 0x00, 0x80, 0x83}; /* §9 #23 */
    kb_decoded_t d;
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.has, KB_HAS_FLASH);
    KT_EQ(d.flash_lights, 0x04);  /* memory */
    KT_EQ(d.zset[0].parts, 0x01); /* partition 1 */
    KT_EQ(d.zset[0].first, 33);
    KT_EQ(d.zset[0].zones[3], 0x80); /* zone 64 */
  }
  {
    kb_decoded_t d;
    uint8_t b[] = {0xE6, 0x00, 0x0C, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}; /* expander 6 query */
    DEC(b, &d);
    KT_EQ(d.has, KB_HAS_QUERY);
    KT_EQ(d.query, KB_MOD_EXPANDER);
    KT_EQ(d.expander, 6);
  }
}

/* Sound, bell, dialer, flashing lights, enabled zones, display, module
 * programming, PGM flags, 0x16 configuration and the trouble flags of
 * 0xE6.1A: typed fields (issue 7), from the layouts of notes §3.19-§3.34. */
static void typed_meaning(void) {
  kb_decoded_t d;
  {
    uint8_t b[] = {0x64, 0x00, 0x06, 0}; /* §3.20 worked example: 3 beeps, partition 1 */
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.has, KB_HAS_SOUND);
    KT_EQ(d.sound.kind, KB_SOUND_BEEP);
    KT_EQ(d.sound.parts, 0x01);
    KT_EQ(d.sound.beeps, 3);
  }
  {
    uint8_t b[] = {0x7A, 0x00, 0xB5, 0}; /* partition 2: constant, 3 beeps, every 5 s */
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.has, KB_HAS_SOUND);
    KT_EQ(d.sound.kind, KB_SOUND_TONE);
    KT_EQ(d.sound.parts, 0x02);
    KT_EQ(d.sound.constant, 1);
    KT_EQ(d.sound.beeps, 3);
    KT_EQ(d.sound.interval_s, 5);
  }
  {
    uint8_t b[] = {0xE6, 0x00, 0x1F, 0x0C, 0x0A, 0}; /* buzzer 10 s, partitions 3-4 */
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.sound.kind, KB_SOUND_BUZZER);
    KT_EQ(d.sound.parts, 0x0C);
    KT_EQ(d.sound.seconds, 10);
  }
  {
    uint8_t b[] = {0xBB, 0x00, 0x20, 0x05, 0}; /* bell on */
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.has, KB_HAS_BELL);
    KT_EQ(d.bell, 1);
    b[2] = 0xDF; /* every other bit set: still off */
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.bell, 0);
  }
  {
    uint8_t b[] = {0xC3, 0x00, 0x38, 0xFF, 0};
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.has, KB_HAS_DIALER);
    KT_EQ(d.panel_flags, KB_PANEL_PHONE | KB_PANEL_DIALING | KB_PANEL_LOCKOUT);
    b[3] = 0x00; /* a layout never observed: no fields */
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.has, 0);
  }
  {
    uint8_t b[] = {0xE6, 0x00, 0x1A, 0xFF, 0x03, 0xFF, 0xC8, 0xFF, 0xFF, 0xFF, 0};
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.has, KB_HAS_AC);
    KT_EQ(d.alarm_parts, 0x03);
    KT_EQ(d.ac_trouble, 0);
    KT_EQ(d.panel_flags, KB_PANEL_TIME_LOST | KB_PANEL_COMM | KB_PANEL_FIRE);
  }
  {
    uint8_t b[] = {0xB1, 0x00, 0x01, 0x00, 0x00, 0x80, 0x02, 0x00, 0x00, 0x00, 0};
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.has, KB_HAS_ENABLED);
    KT_EQ(d.nzset, 2);
    KT_EQ(d.zset[0].parts, 0x01);
    KT_EQ(d.zset[0].zones[0], 0x01);
    KT_EQ(d.zset[0].zones[3], 0x80);
    KT_EQ(d.zset[1].parts, 0x02);
    KT_EQ(d.zset[1].zones[0], 0x02);
  }
  {
    uint8_t b[] = {0x6E, 0x00, 0x01, 0x01, 0x00, 0x00, 0};
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.has, KB_HAS_DISPLAY);
    KT_EQ(d.display[0], 0x01);
    KT_EQ(d.display[1], 0x01);
  }
  {
    uint8_t b[] = {0x8D, 0x00, 0x11, 0x42, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0};
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.has, KB_HAS_PROG);
    KT_EQ(d.prog_target, 0x11);
    KT_EQ(d.prog_function, 0x42);
  }
  {
    uint8_t b[] = {0x87, 0x00, 0x00, 0x0D, 0}; /* PGM 1, midnight and battery-check flags */
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.pgm, 0x0001);
    KT_EQ(d.pgm_flags, KB_PGM_MIDNIGHT | KB_PGM_BATTERY_CHECK);
  }
  {
    uint8_t b[] = {0x16, 0x00, 0x0E, 0x41, 0x1A, 0}; /* EOL wiring, 6 digits, installer off */
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.has, KB_HAS_VERSION);
    KT_EQ(d.wiring, KB_WIRING_EOL);
    KT_EQ(d.code_digits, 6);
    KT_EQ(d.installer_off, 1);
    b[2] = 0x0F; /* unknown layout: only the layout byte */
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.has, KB_HAS_LAYOUT);
    KT_EQ(d.layout, 0x0F);
  }
  {
    uint8_t b[] = {0x5D, 0x00, 0x10, 0x03, 0x00, 0x00, 0x00, 0}; /* partition 1: trouble, zones 1-2 */
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.has, KB_HAS_FLASH);
    KT_EQ(d.flash_lights, 0x10);
    KT_EQ(d.zset[0].parts, 0x01);
    KT_EQ(d.zset[0].first, 1);
    KT_EQ(d.zset[0].zones[0], 0x03);
  }
}

/* The text of each typed frame is what it was when kb_text read the bytes
 * itself (issue 7 moved the reading into the decoder). */
static void typed_text(void) {
  static const struct {
    uint8_t n, b[11];
    const char *text;
  } v[] = {
      {4, {0x64, 0x00, 0x06}, "Partition 1 | 3 beeps"},
      {4, {0x75, 0x00, 0x00}, "Partition 1 | tone off"},
      {4, {0x7A, 0x00, 0xB5}, "Partition 2 | tone: constant 3 beeps every 5 s"},
      {4, {0x82, 0x00, 0x0A}, "Partition 2 | buzzer for 10 s"},
      {6, {0xE6, 0x00, 0x19, 0x0C, 0x02}, "partitions 3,4 | 1 beep"},
      {5, {0xBB, 0x00, 0x20, 0x05}, "Bell on"},
      {5, {0xC3, 0x00, 0x38, 0xFF}, "Keypad/dialer status: phone line trouble or dialing | dialer call attempt | keypad lockout"},
      {5, {0xC3, 0x00, 0x00, 0x00}, "Keypad/dialer status (layout not known)"},
      {5, {0x87, 0x00, 0x00, 0x0D}, "PGM outputs on: 1 | midnight flag | battery check flag"},
      {6, {0x16, 0x00, 0x0E, 0x41, 0x1A}, "Panel firmware v4.1 | zone wiring EOL | 6-digit codes | installer programming off"},
      {6, {0x16, 0x00, 0x0F, 0x41, 0x1A}, "Panel configuration (layout 0x0F not known)"},
      {11, {0xE6, 0x00, 0x1A, 0xFF, 0x03, 0xFF, 0xD8}, "Panel status | in alarm: 1 2 | system time lost | AC power trouble | failure to communicate | fire alarm"},
      {11, {0xB1, 0x00, 0x01, 0x00, 0x00, 0x80, 0x02}, "Zones assigned | partition 1: 1 32 | partition 2: 2"},
      {9, {0xE6, 0x00, 0x2C, 0x02, 0x01}, "Zones assigned | partition 2: 33"},
      {8, {0x63, 0x00, 0x10, 0x03}, "Partition 2 | Flashing lights: trouble | Flashing zones: 1 2"},
      {7, {0x6E, 0x00, 0x01, 0x01, 0x00, 0x00}, "Keypad display digits: 01010000"},
      {10, {0x8D, 0x00, 0x11, 0x42}, "Module programming entry: target 0x11, function 0x42"},
      {7, {0x39, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, "Zone expander 3 query"},
      {9, {0xE6, 0x00, 0x0E, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, "Zone expander 7 query"},
      {8, {0xCE, 0x00, 0x01, 0xA0}, "Panel status 0x01 (layout not known)"},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    uint8_t b[16] = {0};
    kb_decoded_t d;
    char text[256];
    memcpy(b, v[i].b, sizeof v[i].b);
    if (kb_decode_has_checksum(b[0], b[2])) set_csum(b, v[i].n);
    dec(b, v[i].n, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    kb_text_frame(&d, text, sizeof text);
    if (strcmp(text, v[i].text) != 0)
      kt_fail(__FILE__, __LINE__, "0x%02X: got \"%s\", want \"%s\"", b[0], text, v[i].text);
  }
}

static void cmd_16_version_only_with_0E(void) {
  kb_decoded_t d;
  uint8_t b[] = {0x16, 0x00, 0x0E, 0x41, 0xF5, 0x5A}; /* §9 #5 */
  DEC(b, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.has, KB_HAS_VERSION);
  KT_EQ(d.version, 0x41);
  KT_EQ(d.code_digits, 4); /* byte 4 = 0xF5: b3 clear */
  b[4] = 0xFD;             /* b3 set: 6-digit codes (§3.12) */
  set_csum(b, sizeof b);
  DEC(b, &d);
  KT_EQ(d.code_digits, 6);
  /* byte 2 not 0x0E: frame OK, version unknown (§3.12: decoder prints fields
   * only when byte 2 = 0x0E). */
  b[2] = 0x0D;
  set_csum(b, sizeof b);
  DEC(b, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.has & KB_HAS_VERSION, 0);
}

static void cmd_87_pgm_mapping(void) {
  /* §3.25: byte 2 b0..b7 = PGM 3..10; byte 3 b0,b1 = PGM 1,2, b2/b3 flags,
   * b4..b7 = PGM 11..14. */
  kb_decoded_t d;
  for (unsigned bit = 0; bit < 8; bit++) {
    uint8_t b[] = {0x87, 0x00, (uint8_t)(1u << bit), 0x00, 0};
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.has, KB_HAS_PGM);
    KT_EQ(d.pgm, 1u << (3 + bit - 1));
  }
  {
    static const unsigned pgm_of_b3[8] = {1, 2, 0, 0, 11, 12, 13, 14};
    for (unsigned bit = 0; bit < 8; bit++) {
      uint8_t b[] = {0x87, 0x00, 0x00, (uint8_t)(1u << bit), 0};
      set_csum(b, sizeof b);
      DEC(b, &d);
      KT_EQ(d.check, KB_CHECK_OK);
      KT_EQ(d.pgm, pgm_of_b3[bit] ? 1u << (pgm_of_b3[bit] - 1) : 0u);
    }
  }
  {
    static const uint8_t b[] = {0x87, 0x00, 0x13, 0xF3, 0x8D}; /* §9 #10 */
    static const unsigned on[] = {1, 2, 3, 4, 7, 11, 12, 13, 14};
    unsigned want = 0;
    for (size_t i = 0; i < sizeof on / sizeof on[0]; i++) want |= 1u << (on[i] - 1);
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.pgm, want);
    KT_EQ(d.pgm, 0x3C4F);
  }
  {
    static const uint8_t b[] = {0x87, 0x00, 0xFF, 0xFF, 0x85};
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.pgm, 0x3FFF); /* 14 outputs, flags excluded */
  }
}

static void cmd_A5_timestamp_variant(void) {
  static const uint8_t b[] = {0xA5, 0x00, 0x18, 0x0E, 0xED, 0x80, 0x00, 0x00, 0x38}; /* §9 #11 */
  kb_decoded_t d;
  DEC(b, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.has, KB_HAS_TIME);
  expect_time(&d, 2018, 3, 23, 13, 32);
}

static void cmd_A5_event_partitions(void) {
  kb_decoded_t d;
  {
    static const uint8_t b[] = {0xA5, 0x00, 0x18, 0x4D, 0x08, 0x90, 0x99, 0xFF, 0x3A}; /* §9 #12 */
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.has, KB_HAS_TIME | KB_HAS_EVENT);
    expect_time(&d, 2018, 3, 8, 8, 36);
    expect_event(&d, 0, 0x99, KB_PEV_ARMED_BY_CODE, 1, 0x01, 0xFFFF);
  }
  {
    static const uint8_t b[] = {0xA5, 0x00, 0x18, 0x4D, 0x08, 0xB4, 0xE2, 0xFF, 0xA7}; /* §9 #13 */
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    expect_time(&d, 2018, 3, 8, 8, 45);
    expect_event(&d, 0, 0xE2, KB_PEV_DISARMED_BY_CODE, 40, 0x01, 0xFFFF);
  }
  {
    static const uint8_t b[] = {0xA5, 0x00, 0x18, 0x4F, 0x49, 0xD8, 0x09, 0xFF, 0x35}; /* §9 #14 */
    DEC(b, &d);
    expect_time(&d, 2018, 3, 26, 9, 54);
    expect_event(&d, 0, 0x09, KB_PEV_ZONE_ALARM, 1, 0x01, 0xFFFF);
  }
  {
    /* §9 #15: set 2 (byte 5 b1..0 = 10), byte 7 = 0x00 is still an event */
    static const uint8_t b[] = {0xA5, 0x00, 0x18, 0x4F, 0x2D, 0x1A, 0x9A, 0x00, 0xED};
    DEC(b, &d);
    expect_time(&d, 2018, 3, 25, 13, 6);
    expect_event(&d, 2, 0x9A, KB_PEV_ARMED_STAY, 0, 0x01, 0xFFFF);
  }
  {
    static const uint8_t b[] = {0xA5, 0x00, 0x18, 0x4F, 0xB3, 0x98, 0xE8, 0xFF, 0x3E}; /* §9 #16 */
    DEC(b, &d);
    expect_time(&d, 2018, 3, 29, 19, 38);
    expect_event(&d, 0, 0xE8, KB_PEV_AC_TROUBLE, 0, 0x01, 0xFFFF);
  }
  {
    /* §9 #17: partition bits 0 -> not partition specific */
    static const uint8_t b[] = {0xA5, 0x00, 0x16, 0x17, 0xED, 0x10, 0x50, 0x91, 0xB0};
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    expect_time(&d, 2016, 5, 31, 13, 4);
    expect_event(&d, 0, 0x50, KB_PEV_KEYPAD_PANIC_ALARM, 0, 0x00, 0xFFFF);
  }
  {
    /* partition 2: byte 3 b7..b6 = 10 */
    uint8_t b[] = {0xA5, 0x00, 0x18, 0x8D, 0x08, 0x90, 0x99, 0xFF, 0};
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    expect_time(&d, 2018, 3, 8, 8, 36);
    expect_event(&d, 0, 0x99, KB_PEV_ARMED_BY_CODE, 1, 0x02, 0xFFFF);
  }
  {
    /* byte 3 b7..b6 = 11: names no partition (§3.7: 1 or 2; 0 = none) */
    uint8_t b[] = {0xA5, 0x00, 0x18, 0xCD, 0x08, 0x90, 0x99, 0xFF, 0};
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    expect_time(&d, 2018, 3, 8, 8, 36);
    KT_EQ(d.event_parts, 0);
  }
  {
    /* byte 6 = 0 but byte 7 != 0: an event (set 0 code 0), not a timestamp */
    uint8_t b[] = {0xA5, 0x00, 0x18, 0x4D, 0x08, 0x90, 0x00, 0x01, 0};
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_CHECK(d.has & KB_HAS_EVENT);
  }
}

static void cmd_AA_event_number(void) {
  kb_decoded_t d;
  {
    static const uint8_t b[] = {0xAA, 0x00, 0x20, 0x66, 0x8C, 0xD0, 0x0B, 0x05, 0x9C}; /* §9 #18 */
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.has, KB_HAS_TIME | KB_HAS_EVENT);
    expect_time(&d, 2020, 9, 20, 12, 52);
    expect_event(&d, 0, 0x0B, KB_PEV_ZONE_ALARM, 3, 0x01, 5);
  }
  {
    /* event number 255 (oldest) is a number, not "live" */
    uint8_t b[] = {0xAA, 0x00, 0x20, 0x66, 0x8C, 0xD0, 0x0B, 0xFF, 0};
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.event_number, 255);
  }
  {
    /* bytes 6 and 7 zero: still an event-buffer entry (number 0) */
    uint8_t b[] = {0xAA, 0x00, 0x20, 0x66, 0x8C, 0xD0, 0x00, 0x00, 0};
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_CHECK(d.has & KB_HAS_EVENT);
    KT_EQ(d.event_number, 0);
  }
}

static void cmd_EB_mask_and_selector(void) {
  kb_decoded_t d;
  {
    static const uint8_t b[] = {0xEB, 0x00, 0x01, 0x18, 0x18, 0x8F, 0x28, 0x04, 0x00, 0x91, 0x68}; /* §9 #25 */
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.has, KB_HAS_TIME | KB_HAS_EVENT);
    expect_time(&d, 2018, 6, 4, 15, 10);
    expect_event(&d, 0x04, 0x00, KB_PEV_ZONE_ALARM, 33, 0x01, 0xFFFF);
  }
  {
    static const uint8_t b[] = {0xEB, 0x00, 0x01, 0x18, 0x18, 0x8A, 0x38, 0x00, 0xBB, 0x00, 0x99}; /* §9 #26 */
    DEC(b, &d);
    expect_time(&d, 2018, 6, 4, 10, 14);
    expect_event(&d, 0x00, 0xBB, KB_PEV_ARMED_BY_CODE, 40, 0x01, 0xFFFF);
  }
  {
    static const uint8_t b[] = {0xEB, 0x00, 0x80, 0x20, 0x2A, 0x17, 0xD0, 0x00, 0x57, 0xFF, 0xF2}; /* §9 #27 */
    DEC(b, &d);
    expect_time(&d, 2020, 10, 16, 23, 52);
    expect_event(&d, 0x00, 0x57, KB_PEV_ZONE_TAMPER, 2, 0x80, 0xFFFF);
  }
  {
    /* full mask byte: several partitions */
    uint8_t b[] = {0xEB, 0x00, 0xA5, 0x18, 0x18, 0x8A, 0x38, 0x00, 0xBB, 0x00, 0};
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.event_parts, 0xA5);
  }
}

static void cmd_EC_event_number_and_empty(void) {
  kb_decoded_t d;
  {
    static const uint8_t b[] = {0xEC, 0x00, 0x00, 0x16, 0x58, 0xA1, 0x28, 0x02, 0x91, 0x04, 0xBA}; /* §9 #28 */
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.has, KB_HAS_TIME | KB_HAS_EVENT);
    expect_time(&d, 2016, 6, 5, 1, 10);
    expect_event(&d, 0x02, 0x91, KB_PEV_SWINGER_SHUTDOWN, 0, 0x00, 260);
  }
  {
    /* byte 4 b7..6 = 11 -> +768; byte 9 = 0xFF -> 1023 */
    uint8_t b[] = {0xEC, 0x00, 0x02, 0x16, 0xD8, 0xA1, 0x28, 0x02, 0x91, 0xFF, 0};
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.event_number, 1023);
    KT_EQ(d.event_parts, 0x02);
    /* the high bits are not part of the month */
    KT_EQ(d.time.month, 6);
  }
  {
    /* selector 0xFF: empty entry, no event (golden 323) */
    static const uint8_t b[] = {0xEC, 0x00, 0x00, 0x0B, 0x44, 0x20, 0x00, 0xFF, 0xFF, 0x74, 0xCD};
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.has & KB_HAS_EVENT, 0);
  }
  {
    uint8_t b[] = {0xEC, 0x00, 0x00, 0x16, 0x58, 0xA1, 0x28, 0xFF, 0x00, 0x04, 0};
    set_csum(b, sizeof b);
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.has, KB_HAS_TIME);
  }
}

static void cmd_CE_event_only_with_b5(void) {
  kb_decoded_t d;
  {
    static const uint8_t b[] = {0xCE, 0x00, 0x20, 0x1D, 0x8C, 0x00, 0x00, 0x97}; /* §9 #21 */
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.has, KB_HAS_EVENT);
    expect_event(&d, 1, 0x8C, KB_PEV_ZONE_FAULT, 1, 0, 0xFFFF);
  }
  {
    static const uint8_t b[] = {0xCE, 0x00, 0x01, 0xA0, 0x00, 0x00, 0x00, 0x6F}; /* golden 257 */
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.has, KB_HAS_LAYOUT); /* no event: byte 2 only, for the text */
    KT_EQ(d.layout, 0x01);
  }
  {
    static const uint8_t b[] = {0xCE, 0x00, 0x40, 0xFF, 0xFF, 0xFF, 0xFF, 0x0A}; /* golden 261 */
    DEC(b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.has, KB_HAS_LAYOUT);
  }
}

/* Commands with no typed fields in kb_decoded_t: OK and has == 0. Since
 * issue 7 only the verify and DLS queries are left (their bytes are 0xFF);
 * the module queries name the reply they ask for (KB_HAS_QUERY). */
static void commands_without_fields(void) {
  static const uint8_t plain[] = {0x1C, 0x9E};
  for (size_t i = 0; i < N_ROWS; i++) {
    const cmd_row_t *r = &cmd_rows[i];
    for (size_t k = 0; k < sizeof plain; k++) {
      unsigned lens[2] = {r->len_a, r->len_b};
      if (r->cmd != plain[k]) continue;
      for (unsigned j = 0; j < 2; j++) {
        uint8_t b[32];
        kb_decoded_t d;
        build(r, lens[j], b, 13);
        dec(b, lens[j], &d);
        if (d.check != KB_CHECK_OK || d.has != 0 || d.nparts || d.nkeys)
          kt_fail(__FILE__, __LINE__, "%s: check %u has 0x%x", row_name(r), d.check, (unsigned)d.has);
      }
    }
  }
  {
    static const struct {
      uint8_t cmd, kind;
    } q[] = {{0x11, KB_MOD_SUPERVISION},       {0x22, KB_MOD_EXPANDER},     {0x28, KB_MOD_EXPANDER},
             {0x33, KB_MOD_EXPANDER},          {0x39, KB_MOD_EXPANDER},     {0x41, KB_MOD_WIRELESS_BATTERY},
             {0x4C, KB_MOD_TAMPER},            {0x57, KB_MOD_WIRELESS_KEY}, {0x58, KB_MOD_MODULE_STATUS},
             {0x70, KB_MOD_LCD_DATA},          {0xD5, KB_MOD_KEYPAD_ZONE}};
    for (size_t i = 0; i < N_ROWS; i++)
      for (size_t k = 0; k < sizeof q / sizeof q[0]; k++) {
        uint8_t b[32];
        kb_decoded_t d;
        if (cmd_rows[i].cmd != q[k].cmd) continue;
        build(&cmd_rows[i], cmd_rows[i].len_a, b, 13);
        dec(b, cmd_rows[i].len_a, &d);
        if (d.check != KB_CHECK_OK || d.has != KB_HAS_QUERY || d.query != q[k].kind || d.nparts)
          kt_fail(__FILE__, __LINE__, "%s: check %u has 0x%x query %u", row_name(&cmd_rows[i]), d.check,
                  (unsigned)d.has, d.query);
      }
  }
}

/* §9 vectors 1-29 (panel): the verdict. Typed fields are in the tests above. */
static const struct {
  int no;
  uint8_t n;
  uint8_t b[12];
  uint8_t csum;
} v9[] = {
    {1, 6, {0x05, 0x00, 0x81, 0x01, 0x91, 0xC7}, KB_CSUM_NONE},
    {2, 10, {0x05, 0x00, 0x80, 0x03, 0x82, 0x05, 0x82, 0x05, 0x00, 0xC7}, KB_CSUM_NONE},
    {3, 10, {0x1B, 0x00, 0x91, 0x01, 0x10, 0xC7, 0x10, 0xC7, 0x10, 0xC7}, KB_CSUM_NONE},
    {4, 10, {0x0A, 0x00, 0x81, 0xEE, 0x65, 0x00, 0x00, 0x00, 0x00, 0xDE}, KB_CSUM_OK},
    {5, 6, {0x16, 0x00, 0x0E, 0x41, 0xF5, 0x5A}, KB_CSUM_OK},
    {6, 8, {0x27, 0x00, 0x90, 0x03, 0x91, 0xC7, 0x3F, 0x51}, KB_CSUM_OK},
    {7, 8, {0x5D, 0x00, 0x04, 0x20, 0x00, 0x00, 0x00, 0x81}, KB_CSUM_OK},
    {8, 4, {0x64, 0x00, 0x06, 0x6A}, KB_CSUM_OK},
    {9, 4, {0x75, 0x00, 0x80, 0xF5}, KB_CSUM_OK},
    {10, 5, {0x87, 0x00, 0x13, 0xF3, 0x8D}, KB_CSUM_OK},
    {11, 9, {0xA5, 0x00, 0x18, 0x0E, 0xED, 0x80, 0x00, 0x00, 0x38}, KB_CSUM_OK},
    {12, 9, {0xA5, 0x00, 0x18, 0x4D, 0x08, 0x90, 0x99, 0xFF, 0x3A}, KB_CSUM_OK},
    {13, 9, {0xA5, 0x00, 0x18, 0x4D, 0x08, 0xB4, 0xE2, 0xFF, 0xA7}, KB_CSUM_OK},
    {14, 9, {0xA5, 0x00, 0x18, 0x4F, 0x49, 0xD8, 0x09, 0xFF, 0x35}, KB_CSUM_OK},
    {15, 9, {0xA5, 0x00, 0x18, 0x4F, 0x2D, 0x1A, 0x9A, 0x00, 0xED}, KB_CSUM_OK},
    {16, 9, {0xA5, 0x00, 0x18, 0x4F, 0xB3, 0x98, 0xE8, 0xFF, 0x3E}, KB_CSUM_OK},
    {17, 9, {0xA5, 0x00, 0x16, 0x17, 0xED, 0x10, 0x50, 0x91, 0xB0}, KB_CSUM_OK},
    {18, 9, {0xAA, 0x00, 0x20, 0x66, 0x8C, 0xD0, 0x0B, 0x05, 0x9C}, KB_CSUM_OK},
    {19, 11, {0xB1, 0x00, 0x91, 0x8A, 0x41, 0xA4, 0x00, 0x00, 0x00, 0x00, 0xB1}, KB_CSUM_OK},
    {20, 5, {0xBB, 0x00, 0x20, 0x00, 0xDB}, KB_CSUM_OK},
    {21, 8, {0xCE, 0x00, 0x20, 0x1D, 0x8C, 0x00, 0x00, 0x97}, KB_CSUM_OK},
    {22, 5, {0xE6, 0x00, 0x09, 0x00, 0xEF}, KB_CSUM_OK},
    {23, 10, {0xE6, 0x00, 0x18, 0x01, 0x04, 0x00, 0x00, 0x00, 0x80, 0x83}, KB_CSUM_OK},
    {24, 11, {0xE6, 0x00, 0x1A, 0x40, 0x01, 0x00, 0x11, 0x00, 0x00, 0x00, 0x52}, KB_CSUM_OK},
    {25, 11, {0xEB, 0x00, 0x01, 0x18, 0x18, 0x8F, 0x28, 0x04, 0x00, 0x91, 0x68}, KB_CSUM_OK},
    {26, 11, {0xEB, 0x00, 0x01, 0x18, 0x18, 0x8A, 0x38, 0x00, 0xBB, 0x00, 0x99}, KB_CSUM_OK},
    {27, 11, {0xEB, 0x00, 0x80, 0x20, 0x2A, 0x17, 0xD0, 0x00, 0x57, 0xFF, 0xF2}, KB_CSUM_OK},
    {28, 11, {0xEC, 0x00, 0x00, 0x16, 0x58, 0xA1, 0x28, 0x02, 0x91, 0x04, 0xBA}, KB_CSUM_OK},
    {29, 2, {0x1C, 0x00}, KB_CSUM_NONE},
};
#define N_V9 (sizeof v9 / sizeof v9[0])

static void golden_vectors_1_29_panel(void) {
  for (size_t i = 0; i < N_V9; i++) {
    kb_decoded_t d;
    dec(v9[i].b, v9[i].n, &d);
    if (d.check != KB_CHECK_OK || d.csum != v9[i].csum || d.nbytes != v9[i].n || d.cmd != v9[i].b[0])
      kt_fail(__FILE__, __LINE__, "§9 #%d: check %u csum %u nbytes %u", v9[i].no, d.check, d.csum,
              d.nbytes);
  }
  {
    kb_decoded_t d;
    dec(v9[18].b, v9[18].n, &d); /* #19 0xB1 */
    KT_EQ(d.has, KB_HAS_ENABLED);
    dec(v9[19].b, v9[19].n, &d); /* #20 0xBB */
    KT_EQ(d.has, KB_HAS_BELL);
    dec(v9[28].b, v9[28].n, &d); /* #29 0x1C */
    KT_EQ(d.has, 0);
    KT_EQ(d.nbytes, 2);
  }
}

/* Flip every bit of every checksummed §9 vector: never silently accepted. */
static void bit_flip_checksummed_vectors(void) {
  unsigned tried = 0;
  for (size_t i = 0; i < N_V9; i++) {
    if (v9[i].csum != KB_CSUM_OK) continue;
    for (unsigned byte = 0; byte < v9[i].n; byte++)
      for (unsigned bit = 0; bit < 8; bit++) {
        uint8_t b[16];
        kb_decoded_t d;
        memcpy(b, v9[i].b, v9[i].n);
        b[byte] ^= (uint8_t)(1u << bit);
        dec(b, v9[i].n, &d);
        tried++;
        if (!(d.check == KB_CHECK_CHECKSUM || d.check == KB_CHECK_LENGTH ||
              d.check == KB_CHECK_FRAMING) ||
            d.has != 0)
          kt_fail(__FILE__, __LINE__, "§9 #%d byte %u bit %u flipped: check %u has 0x%x", v9[i].no,
                  byte, bit, d.check, d.has);
        if (byte == 1 && d.check != KB_CHECK_FRAMING)
          kt_fail(__FILE__, __LINE__, "§9 #%d stop-bit byte flipped: check %u", v9[i].no, d.check);
      }
  }
  KT_CHECK(tried > 1000);
}

/* ------------------------------------------------ module frames (§4) */

static void module_golden_vectors_30_40(void) {
  kb_decoded_t d;
  {
    static const uint8_t b[] = {0xFF, 0x01, 0x05, 0xFF, 0xFF, 0xFF}; /* #30 */
    DEC_MOD(0x05, 0, b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.source, KB_SRC_MODULE);
    KT_EQ(d.cmd, 0x05);
    KT_EQ(d.has, KB_HAS_KEYS);
    KT_EQ(d.nkeys, 1);
    KT_CHECK(has_key(&d, 1, 0x05));
  }
  {
    static const uint8_t b[] = {0xFF, 0x01, 0x28, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}; /* #31 */
    DEC_MOD(0x05, 0, b, &d);
    KT_EQ(d.has, KB_HAS_KEYS);
    KT_EQ(d.nkeys, 1);
    KT_CHECK(has_key(&d, 1, 0x28));
  }
  {
    static const uint8_t b[] = {0xFF, 0x01, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}; /* #32 */
    DEC_MOD(0x1B, 0, b, &d);
    KT_EQ(d.has, KB_HAS_KEYS);
    KT_EQ(d.nkeys, 1);
    KT_CHECK(has_key(&d, 5, 0x05));
  }
  {
    /* #33: the command it came with is not stated (under 0); 8 bytes is also
     * the length of 0x27-class frames */
    static const uint8_t b[] = {0xBB, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    DEC_MOD(0x00, 0, b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.has, KB_HAS_ALARM_KEY);
    KT_EQ(d.alarm_key, KB_ALARM_KEY_FIRE);
    DEC_MOD(0x27, 0, b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.alarm_key, KB_ALARM_KEY_FIRE);
  }
  {
    static const uint8_t b[] = {0xFF, 0x01, 0xFF, 0xFF, 0x7F, 0xFF}; /* #34 */
    DEC_MOD(0x05, 0, b, &d);
    KT_EQ(d.has, KB_HAS_NOTIFY);
    KT_EQ(d.notify, KB_NOTIFY_EXPANDER(0));
    KT_EQ(d.nkeys, 0);
  }
  {
    /* #35-#40: query replies, decoded by kb_module.h into d.reply */
    static const struct {
      uint8_t under, n, b[13];
    } q[] = {
        {0x22, 7, {0xFF, 0x01, 0x59, 0x55, 0x55, 0x55, 0x84}},
        {0x11, 9, {0xFF, 0x01, 0x3F, 0xFF, 0x0F, 0xF3, 0xFF, 0xFF, 0xFF}},
        {0x4C, 13, {0xFF, 0x01, 0xCF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
        {0x57, 11, {0xFF, 0x01, 0xFB, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x78}},
        {0xD5, 10, {0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F}},
        {0x41, 11, {0xFF, 0x01, 0xFF, 0xDF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xD8}},
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
      dec_mod(q[i].under, 0, q[i].b, q[i].n, &d);
      if (d.check != KB_CHECK_OK || d.has != KB_HAS_REPLY || d.cmd != q[i].under ||
          d.reply.kind != kb_module_kind(q[i].under, 0) || d.reply.truncated)
        kt_fail(__FILE__, __LINE__, "§9 #%u under 0x%02X: check %u has 0x%x", (unsigned)(35 + i),
                q[i].under, d.check, (unsigned)d.has);
    }
  }
}

static void module_key_slots_05(void) {
  kb_decoded_t d;
  /* §4.3: bytes 2, 3, 8, 9 -> partitions 1..4 */
  uint8_t b[] = {0xFF, 0x01, 0x05, 0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x11};
  DEC_MOD(0x05, 0, b, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.nkeys, 4);
  KT_CHECK(has_key(&d, 1, 0x05));
  KT_CHECK(has_key(&d, 2, 0x0A));
  KT_CHECK(has_key(&d, 3, 0x0F));
  KT_CHECK(has_key(&d, 4, 0x11));
  KT_EQ(d.has, KB_HAS_KEYS);
  /* each slot alone */
  for (unsigned s = 0; s < 4; s++) {
    static const unsigned pos[4] = {2, 3, 8, 9};
    uint8_t c[10];
    memset(c, 0xFF, sizeof c);
    c[1] = 0x01;
    c[pos[s]] = 0xAF;
    DEC_MOD(0x05, 0, c, &d);
    KT_EQ(d.nkeys, 1);
    KT_CHECK(has_key(&d, (uint8_t)(s + 1), 0xAF));
    DEC_MOD(0x0A, 0, c, &d); /* 0x0A: same slots (§4.3) */
    KT_EQ(d.nkeys, 1);
    KT_CHECK(has_key(&d, (uint8_t)(s + 1), 0xAF));
  }
  /* early generation (6 bytes): partitions 1-2 only */
  {
    static const uint8_t e[] = {0xFF, 0x01, 0xFF, 0x11, 0xFF, 0xFF}; /* golden 328 */
    DEC_MOD(0x05, 0, e, &d);
    KT_EQ(d.nkeys, 1);
    KT_CHECK(has_key(&d, 2, 0x11));
  }
  /* bytes 6/7 are not key slots */
  {
    uint8_t c[10];
    memset(c, 0xFF, sizeof c);
    c[1] = 0x01;
    c[6] = 0x05; /* b7 = 0, b6..5 = 00: label broadcast */
    c[7] = 0xFF;
    DEC_MOD(0x05, 0, c, &d);
    KT_EQ(d.nkeys, 0);
  }
}

static void module_key_slots_1B(void) {
  kb_decoded_t d;
  uint8_t b[] = {0xFF, 0x01, 0x05, 0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x11};
  DEC_MOD(0x1B, 0, b, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.nkeys, 4);
  KT_CHECK(has_key(&d, 5, 0x05));
  KT_CHECK(has_key(&d, 6, 0x0A));
  KT_CHECK(has_key(&d, 7, 0x0F));
  KT_CHECK(has_key(&d, 8, 0x11));
}

static void module_key_slots_zone_status(void) {
  /* §4.3: keys captured under 0x27/0x2D/0x3E in bytes 2-3 only */
  static const uint8_t unders[] = {0x27, 0x2D, 0x3E};
  for (unsigned i = 0; i < 3; i++) {
    kb_decoded_t d;
    uint8_t b[] = {0xFF, 0x01, 0x05, 0x0A, 0xFF, 0xFF, 0xFF, 0xFF};
    DEC_MOD(unders[i], 0, b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.nkeys, 2);
    KT_CHECK(has_key(&d, 1, 0x05));
    KT_CHECK(has_key(&d, 2, 0x0A));
    {
      /* a longer capture: bytes 8/9 are not slots under these commands */
      uint8_t c[] = {0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x11};
      DEC_MOD(unders[i], 0, c, &d);
      KT_EQ(d.nkeys, 0);
    }
  }
}

static void module_key_slots_E6_programming(void) {
  static const uint8_t subs[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x20, 0x21};
  static const uint8_t parts[] = {3, 4, 5, 6, 7, 8, 1, 2};
  for (unsigned i = 0; i < sizeof subs; i++) {
    kb_decoded_t d;
    /* byte 2 is the panel's sub-command slot, not a key */
    uint8_t b[] = {0xFF, 0x01, 0x05, 0xF7, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    DEC_MOD(0xE6, subs[i], b, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.sub, subs[i]);
    KT_EQ(d.nkeys, 1);
    KT_CHECK(has_key(&d, parts[i], 0xF7));
  }
  {
    /* golden 382 */
    kb_decoded_t d;
    static const uint8_t b[] = {0xFF, 0x01, 0xFF, 0xF7, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    DEC_MOD(0xE6, 0x20, b, &d);
    KT_EQ(d.nkeys, 1);
    KT_CHECK(has_key(&d, 1, 0xF7));
  }
  {
    /* E6 queries / other subs: no key slots */
    static const uint8_t others[] = {0x08, 0x09, 0x17, 0x1A, 0x2B};
    for (unsigned i = 0; i < sizeof others; i++) {
      kb_decoded_t d;
      uint8_t b[] = {0xFF, 0x01, 0xFF, 0xC3, 0xCF, 0xFF, 0xFF, 0xAF, 0xFF, 0xFF, 0xFF};
      dec_mod(0xE6, others[i], b, kb_decode_frame_len(0xE6, others[i], 16), &d);
      KT_EQ(d.check, KB_CHECK_OK);
      KT_EQ(d.nkeys, 0);
    }
  }
}

static void module_no_key_FF_and_non_status(void) {
  kb_decoded_t d;
  uint8_t b[16];
  memset(b, 0xFF, sizeof b);
  b[1] = 0x01;
  dec_mod(0x05, 0, b, 10, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.has, 0);
  KT_EQ(d.nkeys, 0);
  /* keys and notification bits are not read under query commands (their
   * module data are replies, decoded by kb_module.h) */
  {
    static const uint8_t unders[] = {0x11, 0x22, 0x41, 0x4C, 0x57, 0x58, 0x70, 0xD5, 0x16, 0xA5, 0xB1};
    for (size_t i = 0; i < sizeof unders; i++) {
      uint8_t c[16] = {0xFF, 0x01, 0x05, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x0F, 0x11, 0x00,
                       0x00, 0x00, 0x00, 0x00, 0x00};
      uint8_t n = kb_decode_frame_len(unders[i], 0, 16);
      dec_mod(unders[i], 0, c, n, &d);
      if (d.check != KB_CHECK_OK || d.nkeys || (d.has & (KB_HAS_KEYS | KB_HAS_NOTIFY)))
        kt_fail(__FILE__, __LINE__, "under 0x%02X (%u bytes): check %u has 0x%x", unders[i], n,
                d.check, d.has);
    }
  }
  /* under 0 (command not known): only byte 0 is read */
  {
    uint8_t c[] = {0xFF, 0x01, 0x05, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x0F, 0x11};
    DEC_MOD(0x00, 0, c, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.has, 0);
  }
}

/* Module verdict (kb_decode.h): RUNT below 8 bits, UNKNOWN when `under` is
 * not a command of the notes, LENGTH when the frame is longer than that
 * command's frames (shorter is a partial capture), else OK; no stop-bit
 * rule, no checksum. */
static void module_runt_and_verdict(void) {
  kb_decoded_t d;
  uint8_t b[17] = {0xBB, 0x00, 0x05, 0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                   0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  for (uint16_t bits = 0; bits < 8; bits++) {
    kb_decode_module(0x05, 0, b, 16, bits, &d);
    KT_EQ(d.check, KB_CHECK_RUNT);
    KT_EQ(d.has, 0);
  }
  /* byte 1 = 0 is fine for a module */
  kb_decode_module(0x05, 0, b, 6, 41, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.csum, KB_CSUM_NONE);
  KT_EQ(d.source, KB_SRC_MODULE);
  KT_EQ(d.alarm_key, KB_ALARM_KEY_FIRE);
  KT_CHECK(has_key(&d, 1, 0x05));
  KT_CHECK(has_key(&d, 2, 0x0A));
  /* under 0: any length */
  kb_decode_module(0x00, 0, b, 3, 17, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.alarm_key, KB_ALARM_KEY_FIRE);
  kb_decode_module(0x00, 0, b, 16, bits_of(16, 0), &d);
  KT_EQ(d.check, KB_CHECK_OK);
  /* partial capture under 0x05 (3 bytes): the slots present are read */
  kb_decode_module(0x05, 0, b, 3, 17, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.nkeys, 1);
  KT_CHECK(has_key(&d, 1, 0x05));
  /* fewer bytes available than the bit count says */
  kb_decode_module(0x05, 0, b, 3, 73, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.nbytes, 3);
  KT_EQ(d.nkeys, 1);
  /* one byte past the longest 0x05 frame */
  kb_decode_module(0x05, 0, b, 11, bits_of(11, 0), &d);
  KT_EQ(d.check, KB_CHECK_LENGTH);
  KT_EQ(d.has, 0);
  /* every known command: up to its longest length OK, one byte more LENGTH */
  for (size_t i = 0; i < N_ROWS; i++) {
    const cmd_row_t *r = &cmd_rows[i];
    for (unsigned n = 1; n <= r->len_b; n++) {
      kb_decode_module(r->cmd, r->sub, b, (uint8_t)n, bits_of(n, 0), &d);
      if (d.check != KB_CHECK_OK)
        kt_fail(__FILE__, __LINE__, "module %s %u bytes: %u", row_name(r), n, d.check);
    }
    kb_decode_module(r->cmd, r->sub, b, (uint8_t)(r->len_b + 1), bits_of(r->len_b + 1u, 0), &d);
    if (d.check != KB_CHECK_LENGTH || d.has)
      kt_fail(__FILE__, __LINE__, "module %s %u bytes: check %u", row_name(r), r->len_b + 1u, d.check);
  }
  /* under a command the notes do not describe (issue-188 line 5: 0x52) */
  {
    static const uint8_t m[] = {0xFF, 0x01, 0xAA, 0xFF, 0xFF, 0xA8};
    DEC_MOD(0x52, 0, m, &d);
    KT_EQ(d.check, KB_CHECK_UNKNOWN);
    KT_EQ(d.has, 0);
    DEC_MOD(0xE6, 0x25, m, &d);
    KT_EQ(d.check, KB_CHECK_UNKNOWN);
  }
}

static void module_alarm_keys(void) {
  static const struct {
    uint8_t b0, want;
  } t[] = {{0xBB, KB_ALARM_KEY_FIRE}, {0xDD, KB_ALARM_KEY_AUX}, {0xEE, KB_ALARM_KEY_PANIC},
           {0xFF, KB_ALARM_KEY_NONE}, {0x77, KB_ALARM_KEY_NONE}, /* old alignment: not a key */
           {0x00, KB_ALARM_KEY_NONE}};
  /* any panel command (§4.5); frames as long as that command's */
  static const struct {
    uint8_t under, sub;
  } u[] = {{0x05, 0}, {0x1C, 0}, {0x11, 0}, {0x27, 0}, {0xA5, 0}, {0x00, 0}, {0xE6, 0x20}, {0x64, 0}};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    for (size_t k = 0; k < sizeof u / sizeof u[0]; k++) {
      kb_decoded_t d;
      uint8_t b[16];
      uint8_t n = u[k].under ? kb_decode_frame_len(u[k].under, u[k].sub, 16) : 8;
      memset(b, 0xFF, sizeof b);
      b[0] = t[i].b0;
      b[1] = 0x01;
      dec_mod(u[k].under, u[k].sub, b, n, &d);
      if (d.alarm_key != t[i].want || !!(d.has & KB_HAS_ALARM_KEY) != (t[i].want != 0) ||
          d.check != KB_CHECK_OK)
        kt_fail(__FILE__, __LINE__, "byte0 0x%02X under 0x%02X: check %u alarm %u has 0x%x", t[i].b0,
                u[k].under, d.check, d.alarm_key, d.has);
    }
  {
    /* 0x1C verification: command + stop only (9 bits) */
    kb_decoded_t d;
    uint8_t b[] = {0xEE, 0x01};
    kb_decode_module(0x1C, 0, b, 2, 9, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.alarm_key, KB_ALARM_KEY_PANIC);
    /* byte 0 complete (8 bits) when the command is not known */
    kb_decode_module(0x00, 0, b, 1, 8, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.alarm_key, KB_ALARM_KEY_PANIC);
  }
  {
    /* alarm byte 0xBB in a key slot is the chime key, not fire (§4.2) */
    kb_decoded_t d;
    uint8_t b[] = {0xFF, 0x01, 0xBB, 0xFF, 0xFF, 0xFF};
    DEC_MOD(0x05, 0, b, &d);
    KT_EQ(d.alarm_key, KB_ALARM_KEY_NONE);
    KT_CHECK(has_key(&d, 1, 0xBB));
  }
}

/* §4.4: a 0 bit requests a query. */
static void module_notify_bits(void) {
  static const struct {
    unsigned byte, bit;
    unsigned long want;
  } t[] = {
      {4, 7, KB_NOTIFY_EXPANDER(0)},     {4, 6, KB_NOTIFY_EXPANDER(1)},
      {4, 5, KB_NOTIFY_EXPANDER(2)},     {4, 4, KB_NOTIFY_EXPANDER(3)},
      {4, 3, KB_NOTIFY_WIRELESS_BATTERY}, {4, 2, 0}, {4, 1, 0},
      {4, 0, KB_NOTIFY_MODULE_TAMPER},   {5, 7, 0}, {5, 6, KB_NOTIFY_WIRELESS_KEY},
      {5, 5, KB_NOTIFY_MODULE_STATUS},   {5, 4, 0}, {5, 3, 0},
      {5, 2, KB_NOTIFY_KEYPAD_ZONE},     {5, 1, KB_NOTIFY_WIRELESS}, {5, 0, 0},
      {7, 7, KB_NOTIFY_EXPANDER(4)},     {7, 6, KB_NOTIFY_EXPANDER(5)},
      {7, 5, KB_NOTIFY_EXPANDER(6)},     {7, 4, KB_NOTIFY_EXPANDER(7)},
      {7, 3, KB_NOTIFY_KEYPAD},          {7, 2, 0}, {7, 1, 0}, {7, 0, 0},
  };
  static const uint8_t unders[] = {0x05, 0x0A};
  for (size_t u = 0; u < sizeof unders; u++)
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
      kb_decoded_t d;
      uint8_t b[10];
      memset(b, 0xFF, sizeof b);
      b[1] = 0x01;
      b[t[i].byte] = (uint8_t)~(1u << t[i].bit);
      DEC_MOD(unders[u], 0, b, &d);
      if (d.notify != t[i].want || !!(d.has & KB_HAS_NOTIFY) != (t[i].want != 0) || d.nkeys)
        kt_fail(__FILE__, __LINE__, "under 0x%02X byte %u b%u: notify 0x%lx want 0x%lx", unders[u],
                t[i].byte, t[i].bit, (unsigned long)d.notify, t[i].want);
    }
  /* byte 6: b7 = 0 with b6..5 != 00 -> chime; b6..5 = 00 -> label */
  {
    static const struct {
      uint8_t v;
      unsigned long want;
    } s[] = {{0x7F, KB_NOTIFY_CHIME_BROADCAST}, {0x5F, KB_NOTIFY_CHIME_BROADCAST},
             {0x3F, KB_NOTIFY_CHIME_BROADCAST}, {0x1F, KB_NOTIFY_LABEL_BROADCAST},
             {0x9F, KB_NOTIFY_LABEL_BROADCAST}, {0xDF, 0}, {0xFF, 0}};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
      kb_decoded_t d;
      uint8_t b[10];
      memset(b, 0xFF, sizeof b);
      b[1] = 0x01;
      b[6] = s[i].v;
      DEC_MOD(0x05, 0, b, &d);
      if (d.notify != s[i].want) kt_fail(__FILE__, __LINE__, "byte 6 0x%02X: notify 0x%lx", s[i].v, (unsigned long)d.notify);
    }
  }
  /* golden module records under 0x05 (facts {}, bits restated from §4.4) */
  {
    static const struct {
      uint8_t n, b[10];
      unsigned long want;
    } g[] = {
        {6, {0xFF, 0x01, 0xFF, 0xFF, 0xBF, 0xFF}, KB_NOTIFY_EXPANDER(1)},
        {6, {0xFF, 0x01, 0xFF, 0xFF, 0xF7, 0xFF}, KB_NOTIFY_WIRELESS_BATTERY},
        {6, {0xFF, 0x01, 0xFF, 0xFF, 0xFE, 0xFF}, KB_NOTIFY_MODULE_TAMPER},
        {6, {0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0xBF}, KB_NOTIFY_WIRELESS_KEY},
        {6, {0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0xDF}, KB_NOTIFY_MODULE_STATUS},
        {6, {0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0xFB}, KB_NOTIFY_KEYPAD_ZONE},
        {10, {0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF}, KB_NOTIFY_EXPANDER(4)},
        {10, {0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xF7, 0xFF, 0xFF}, KB_NOTIFY_KEYPAD},
    };
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
      kb_decoded_t d;
      dec_mod(0x05, 0, g[i].b, g[i].n, &d);
      if (d.notify != g[i].want) kt_fail(__FILE__, __LINE__, "golden notify %zu: 0x%lx", i, (unsigned long)d.notify);
    }
  }
  /* under 0x27/0x2D/0x3E: bytes 4/5 only (frame is 8 bytes; 6 = zones, 7 = checksum) */
  {
    kb_decoded_t d;
    uint8_t b[] = {0xFF, 0x01, 0xFF, 0xFF, 0x7F, 0xDF, 0x00, 0x00};
    DEC_MOD(0x27, 0, b, &d);
    KT_EQ(d.notify, KB_NOTIFY_EXPANDER(0) | KB_NOTIFY_MODULE_STATUS);
  }
}

/* §4.4: during 0x0F (as during 0x0A) the notification bits apply. */
static void module_notify_under_0F(void) {
  kb_decoded_t d;
  uint8_t b[10];
  memset(b, 0xFF, sizeof b);
  b[1] = 0x01;
  b[4] = 0x7F; /* zone expander 0 */
  b[5] = 0xDF; /* module status */
  DEC_MOD(0x0F, 0, b, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.notify, KB_NOTIFY_EXPANDER(0) | KB_NOTIFY_MODULE_STATUS);
  KT_CHECK(d.has & KB_HAS_NOTIFY);
}

static void module_notify_1B_idle_partitions(void) {
  for (unsigned p = 1; p <= 8; p++) {
    kb_decoded_t d;
    uint8_t b[10];
    memset(b, 0xFF, sizeof b);
    b[1] = 0x01;
    b[4] = (uint8_t)~(1u << (p - 1));
    DEC_MOD(0x1B, 0, b, &d);
    KT_EQ(d.notify, (uint32_t)(1u << (p - 1)) << KB_NOTIFY_IDLE_SHIFT);
    KT_CHECK(d.has & KB_HAS_NOTIFY);
  }
  {
    /* 0x7F under 0x1B is partition 8 going idle, not zone expander 0 */
    kb_decoded_t d;
    uint8_t b[] = {0xFF, 0x01, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    DEC_MOD(0x1B, 0, b, &d);
    KT_EQ(d.notify & 0xFFu, 0);
    KT_EQ(d.notify >> KB_NOTIFY_IDLE_SHIFT, 0x80);
  }
}

/* ----------------------------------------------------- quirks (§10.2) */

/* Notes §3.3 / §10.2 ("Printer: unknown status bytes < 0x10 printed with a
 * missing leading zero"): the reference prints 0x0A as "0xA". We always
 * write two hex digits. */
static void quirk_status_hex_two_digits(void) {
  static const uint8_t b[] = {0x05, 0x00, 0x81, 0x0A, 0x91, 0xC7};
  kb_decoded_t d;
  cJSON *f, *parts, *p0, *st;
  char text[256];
  DEC(b, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  f = kb_json_fields(&d);
  KT_CHECK(f != NULL);
  if (!f) return;
  parts = cJSON_GetObjectItemCaseSensitive(f, "partitions");
  p0 = cJSON_GetArrayItem(parts, 0);
  st = cJSON_GetObjectItemCaseSensitive(p0, "status");
  KT_CHECK(cJSON_IsString(st));
  if (cJSON_IsString(st)) KT_STREQ(st->valuestring, "0x0A");
  cJSON_Delete(f);
  KT_CHECK(kb_text_status(0x0A) == NULL); /* not in §3.3 */
  kb_text_frame(&d, text, sizeof text);
  KT_CHECK(strstr(text, "0x0A") != NULL);
  KT_CHECK(strstr(text, "0xA ") == NULL);
}

/* Notes §10.2 ("0x34 module captures not decoded") and §4.3: the reference
 * prints Unknown data for module data under 0x34; we read its key slots like
 * 0x27/0x2D/0x3E. */
static void quirk_module_keys_under_0x34(void) {
  kb_decoded_t d;
  uint8_t b[] = {0xFF, 0x01, 0x05, 0x0A, 0x7F, 0xFF, 0xFF, 0xFF};
  DEC_MOD(0x34, 0, b, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.nkeys, 2);
  KT_CHECK(has_key(&d, 1, 0x05));
  KT_CHECK(has_key(&d, 2, 0x0A));
}

/* Notes §10.2 first bullet (and kb_pev.h): the reference masks the 0xEB
 * selector with 0x07, so set 0x18 becomes set 0; we keep the whole byte. */
static void quirk_eb_selector_not_masked(void) {
  kb_decoded_t d;
  uint8_t b[] = {0xEB, 0x00, 0x01, 0x18, 0x18, 0x8A, 0x38, 0x18, 0x3A, 0x00, 0};
  set_csum(b, sizeof b);
  DEC(b, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.event.set, 0x18);
  KT_CHECK(d.event.kind == kb_pev_decode(0x18, 0x3A).kind);
  KT_CHECK(d.event.kind != kb_pev_decode(0x00, 0x3A).kind);
  b[7] = 0x14; /* set 0x14 is not set 4 */
  b[8] = 0x60;
  set_csum(b, sizeof b);
  DEC(b, &d);
  KT_EQ(d.event.set, 0x14);
}

/* Notes §10.2 second bullet: 0xEB partition 0 gives the reference an
 * out-of-range partition index; for us it is "not partition specific". */
static void quirk_eb_partition_zero(void) {
  kb_decoded_t d;
  cJSON *f, *ev, *parts;
  static const uint8_t b[] = {0xEB, 0x00, 0x00, 0x01, 0x04, 0x60, 0x48, 0x14, 0x60, 0x81, 0x8D};
  DEC(b, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.event_parts, 0);
  f = kb_json_fields(&d);
  ev = cJSON_GetObjectItemCaseSensitive(f, "event");
  parts = cJSON_GetObjectItemCaseSensitive(ev, "partitions");
  KT_CHECK(cJSON_IsArray(parts));
  KT_EQ(cJSON_GetArraySize(parts), 0);
  cJSON_Delete(f);
}

/* ------------------------------------------------------------- fuzz */

static uint32_t rng_state = 0x12345678u;
static uint32_t rnd(void) {
  uint32_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return rng_state = x;
}

static void check_invariants(const kb_decoded_t *d, unsigned avail, unsigned long iter) {
  if (d->nparts > 4 || d->nkeys > 4 || d->check >= KB_CHECK_COUNT || d->nbytes > avail ||
      d->csum > KB_CSUM_BAD || d->alarm_key > KB_ALARM_KEY_PANIC ||
      (d->check != KB_CHECK_OK && d->has != 0) || (d->nparts && !(d->has & KB_HAS_PARTS)) ||
      (d->nkeys && !(d->has & KB_HAS_KEYS)) || d->trailing > 7) {
    kt_fail(__FILE__, __LINE__, "iteration %lu: check %u has 0x%x nparts %u nkeys %u nbytes %u",
            iter, d->check, d->has, d->nparts, d->nkeys, d->nbytes);
  }
  for (unsigned i = 0; i < d->nparts && i < 4; i++)
    if (d->part[i].partition < 1 || d->part[i].partition > 8)
      kt_fail(__FILE__, __LINE__, "iteration %lu: partition %u", iter, d->part[i].partition);
  for (unsigned i = 0; i < d->nkeys && i < 4; i++)
    if (d->key[i].partition < 1 || d->key[i].partition > 8 || d->key[i].code == 0xFF)
      kt_fail(__FILE__, __LINE__, "iteration %lu: key %u/0x%02X", iter, d->key[i].partition,
              d->key[i].code);
}

static void fuzz_random_frames(void) {
  const unsigned long iters = 200000;
  unsigned long ok = 0;
  for (unsigned long it = 0; it < iters; it++) {
    unsigned bits = rnd() % 141u;
    unsigned nb = kb_decode_nbytes((uint16_t)bits);
    unsigned avail = nb > 16 ? 16 : nb;
    uint8_t *b;
    kb_decoded_t d;
    unsigned mode = rnd() % 4u;
    if (rnd() % 8u == 0) avail = rnd() % (avail + 1u); /* fewer bytes than bits */
    b = malloc(avail ? avail : 1); /* exact size: ASan catches over-reads */
    if (!b) return;
    for (unsigned i = 0; i < avail; i++) b[i] = (uint8_t)rnd();
    if (mode >= 1 && avail >= 2) b[1] = 0; /* get past the framing check */
    if (mode >= 2 && avail >= 1) {
      /* a known command with one of its lengths and a good checksum */
      const cmd_row_t *r = &cmd_rows[rnd() % N_ROWS];
      unsigned n = (rnd() & 1u) ? r->len_a : r->len_b;
      free(b);
      avail = n;
      b = malloc(avail);
      if (!b) return;
      for (unsigned i = 0; i < avail; i++) b[i] = (uint8_t)rnd();
      b[0] = r->cmd;
      if (n > 1) b[1] = 0;
      if (r->cmd == 0xE6 && n > 2) b[2] = r->sub;
      if (r->csum && n >= 3 && mode == 2) set_csum(b, n);
      bits = bits_of(n, rnd() % 8u);
      if (n == 1) bits = 8;
    }
    kb_decode_panel(b, (uint8_t)avail, (uint16_t)bits, &d);
    check_invariants(&d, avail, it);
    if (d.check == KB_CHECK_OK) ok++;
    if (it % 16 == 0) {
      cJSON *f = kb_json_fields(&d);
      cJSON_Delete(f);
    }
    kb_decode_module((uint8_t)rnd(), (uint8_t)rnd(), b, (uint8_t)avail, (uint16_t)bits, &d);
    check_invariants(&d, avail, it);
    {
      static const uint8_t st[] = {0x05, 0x0A, 0x0F, 0x1B, 0x27, 0x2D, 0x34, 0x3E, 0xE6};
      kb_decode_module(st[rnd() % sizeof st], (uint8_t)(rnd() % 0x24u), b, (uint8_t)avail,
                       (uint16_t)bits, &d);
      check_invariants(&d, avail, it);
      if (it % 16 == 0) {
        cJSON *f = kb_json_fields(&d);
        cJSON_Delete(f);
      }
    }
    free(b);
    if (kt_failed_checks > 20) break;
  }
  KT_CHECK(ok > iters / 10); /* the structured half reaches the typed decode */
  /* bit counts far beyond the buffer */
  {
    uint8_t b[16];
    kb_decoded_t d;
    memset(b, 0, sizeof b);
    b[0] = 0x4C;
    kb_decode_panel(b, 16, 65535, &d);
    check_invariants(&d, 16, 0);
    kb_decode_panel(b, 255, 2000, &d); /* avail beyond KB_FRAME_BYTES */
    check_invariants(&d, KB_FRAME_BYTES, 0);
    KT_CHECK(d.nbytes <= KB_FRAME_BYTES);
  }
}

KT_MAIN(KT_CASE(nbytes_table), KT_CASE(has_checksum_table), KT_CASE(frame_len_table),
        KT_CASE(every_command_lengths_and_checksum), KT_CASE(check_runt),
        KT_CASE(check_8bit_no_stop_bit), KT_CASE(check_E6_without_subcommand_is_length),
        KT_CASE(check_framing_stop_bit_1), KT_CASE(check_length),
        KT_CASE(check_checksum), KT_CASE(check_unknown), KT_CASE(check_trailing_bits),
        KT_CASE(no_read_past_bit_count), KT_CASE(cmd_05_early_6_bytes),
        KT_CASE(cmd_05_later_10_bytes), KT_CASE(cmd_1B_partitions_5_8),
        KT_CASE(cmd_0A_0F_programming), KT_CASE(zone_lights_of_programming_statuses), KT_CASE(cmd_27_2D_34_3E_zones),
        KT_CASE(cmd_E6_programming_partitions), KT_CASE(cmd_E6_zones_33_64),
        KT_CASE(cmd_E6_1A_ac_trouble), KT_CASE(cmd_E6_other_subs_typed), KT_CASE(typed_meaning), KT_CASE(typed_text),
        KT_CASE(cmd_16_version_only_with_0E), KT_CASE(cmd_87_pgm_mapping),
        KT_CASE(cmd_A5_timestamp_variant), KT_CASE(cmd_A5_event_partitions),
        KT_CASE(cmd_AA_event_number), KT_CASE(cmd_EB_mask_and_selector),
        KT_CASE(cmd_EC_event_number_and_empty), KT_CASE(cmd_CE_event_only_with_b5),
        KT_CASE(commands_without_fields), KT_CASE(golden_vectors_1_29_panel),
        KT_CASE(bit_flip_checksummed_vectors), KT_CASE(module_golden_vectors_30_40),
        KT_CASE(module_key_slots_05), KT_CASE(module_key_slots_1B),
        KT_CASE(module_key_slots_zone_status), KT_CASE(module_key_slots_E6_programming),
        KT_CASE(module_no_key_FF_and_non_status), KT_CASE(module_alarm_keys),
        KT_CASE(module_notify_bits), KT_CASE(module_notify_under_0F),
        KT_CASE(module_notify_1B_idle_partitions), KT_CASE(module_runt_and_verdict),
        KT_CASE(quirk_status_hex_two_digits), KT_CASE(quirk_module_keys_under_0x34),
        KT_CASE(quirk_eb_selector_not_masked), KT_CASE(quirk_eb_partition_zero),
        KT_CASE(fuzz_random_frames))
