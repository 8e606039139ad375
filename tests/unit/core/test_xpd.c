/* SPDX-License-Identifier: MIT
 *
 * test_xpd.c - the virtual zone expander (kb_xpd.h) and the link's
 * module-reply writer (kb_link.h kb_link_xw_*), on a wire driven edge by
 * edge: what the link returns at each falling edge pulls the data line low
 * (ANDed with any other module's bit), and what the bus then reads is checked
 * with the module-reply decoder (kb_module.h), as the panel would read it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "keybus/kb_bus.h"
#include "keybus/kb_link.h"
#include "keybus/kb_module.h"
#include "keybus/kb_xpd.h"

static kb_link_t link_;
static kb_xpd_t xpd;
static uint32_t t_us;
static uint8_t other[16]; /* another module's bytes (0xFF = silent) */

static void rig_init(void) {
  kb_link_init(&link_);
  kb_xpd_init(&xpd);
  memset(other, 0xFF, sizeof other);
  t_us = 1000u;
  KT_EQ(kb_link_edge(&link_, true, t_us), KB_LINK_WRITE_RELEASE);
  t_us += 6000u;
}

static int bit_of(const uint8_t *b, unsigned k) { /* bit k of a frame (doc convention) */
  if (k < 8u) return (b[0] >> (7u - k)) & 1u;
  if (k == 8u) return b[1] & 1u;
  return (b[(k - 9u) / 8u + 2u] >> (7u - (k - 9u) % 8u)) & 1u;
}

/* Clocks cycles [from, to) of a message of `bits` cycles; the echo (what the
 * bus read in each low phase) into echo[]. The message starts at from == 0. */
static void clock_part(const uint8_t *panel, unsigned from, unsigned to, uint8_t *echo) {
  for (unsigned k = from; k < to; k++) {
    kb_link_write_t w = kb_link_edge(&link_, false, t_us);
    int data = bit_of(other, k) && w != KB_LINK_WRITE_PULL_LOW;
    uint8_t *byte = k < 8u ? &echo[0] : k == 8u ? &echo[1] : &echo[(k - 9u) / 8u + 2u];
    unsigned sh = k < 8u ? 7u - k : k == 8u ? 0u : 7u - (k - 9u) % 8u;
    if (!data) *byte &= (uint8_t)~(1u << sh);
    kb_link_sample(&link_, false, data);
    KT_EQ(kb_link_edge(&link_, true, t_us + 500u), KB_LINK_WRITE_RELEASE);
    kb_link_sample(&link_, true, bit_of(panel, k));
    t_us += 1000u;
  }
}

/* One whole message of n bytes (8n - 7 cycles), then the idle gap; the next
 * message's boundary publishes it. echo: module bytes the bus read. */
static void message(const uint8_t *panel, unsigned n, uint8_t *echo) {
  memset(echo, 0xFF, 16);
  clock_part(panel, 0, 8u * n - 7u, echo);
  t_us += 5000u;
}

/* Publishes the last message (a boundary) and hands its frame to kb_xpd. */
static void deliver(void) {
  const kb_frame_t *f;
  (void)kb_link_edge(&link_, false, t_us);
  (void)kb_link_edge(&link_, true, t_us + 500u);
  t_us += 6000u;
  while ((f = kb_link_peek(&link_)) != NULL) {
    kb_xpd_frame(&xpd, f);
    kb_link_pop(&link_);
  }
  kb_xpd_poll(&xpd);
}

static const uint8_t q11[9] = {0x11, 0, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
static const uint8_t st05[10] = {0x05, 0, 0x81, 0x01, 0x10, 0xC7, 0x10, 0xC7, 0x10, 0xC7};
static const uint8_t st1b[10] = {0x1B, 0, 0x10, 0xC7, 0x10, 0xC7, 0x10, 0xC7, 0x10, 0xC7};
static const uint8_t q28[7] = {0x28, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
static const uint8_t q22[7] = {0x22, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

static void test_checksum_vectors(void) {
  /* the three captured replies of the notes (§2.3) */
  static const uint8_t a[4] = {0x59, 0x55, 0x55, 0x55}, b[4] = {0x57, 0x55, 0xFF, 0xFF},
                       c[4] = {0xC3, 0xCF, 0xFF, 0xFF};
  KT_EQ(kb_xpd_checksum(a), 0x84);
  KT_EQ(kb_xpd_checksum(b), 0x6F);
  KT_EQ(kb_xpd_checksum(c), 0xAF);
}

static void test_bad_input(void) {
  kb_xpd_zone_t s;
  rig_init();
  KT_EQ(kb_xpd_enable(NULL, 1, true), KB_ERR_ARG);
  KT_EQ(kb_xpd_enable(&xpd, 8, true), KB_ERR_ARG);
  KT_EQ(kb_xpd_set_zone(&xpd, 9, KB_XPD_OPEN), KB_ERR_NOT_READY); /* expander 1 not enabled */
  KT_EQ(kb_xpd_enable(&xpd, 1, true), KB_OK);
  KT_EQ(kb_xpd_set_zone(&xpd, 0, KB_XPD_OPEN), KB_ERR_RANGE);
  KT_EQ(kb_xpd_set_zone(&xpd, 65, KB_XPD_OPEN), KB_ERR_RANGE);
  KT_EQ(kb_xpd_set_zone(&xpd, 17, KB_XPD_OPEN), KB_ERR_NOT_READY);
  KT_EQ(kb_xpd_set_zone(&xpd, 9, (kb_xpd_zone_t)7), KB_ERR_ARG);
  KT_EQ(kb_xpd_set_zone(NULL, 9, KB_XPD_OPEN), KB_ERR_ARG);
  KT_EQ(kb_xpd_zone(&xpd, 9, NULL), KB_ERR_ARG);
  KT_EQ(kb_xpd_zone(&xpd, 9, &s), KB_OK);
  KT_EQ(s, KB_XPD_CLOSED);
  KT_CHECK(!kb_xpd_pending(&xpd, 1)); /* nothing refused changed anything */
  KT_EQ(kb_xpd_attach(&xpd, NULL), KB_ERR_ARG);
  KT_EQ(kb_xpd_attach(&xpd, &link_), KB_OK);
  KT_EQ(kb_xpd_attach(&xpd, &link_), KB_ERR_BUSY);
  kb_xpd_detach(&xpd);
  kb_xpd_detach(&xpd); /* twice: harmless */
  KT_CHECK(link_.xw == NULL);
}

/* Detached or attached with no change, the writer drives nothing but the
 * supervision fields of the enabled expanders. */
static void test_supervision(void) {
  uint8_t echo[16];
  kb_mod_reply_t r;
  rig_init();
  KT_EQ(kb_xpd_enable(&xpd, 1, true), KB_OK);
  KT_EQ(kb_xpd_enable(&xpd, 2, true), KB_OK);
  message(q11, 9, echo); /* not attached yet: silent */
  kb_module_reply_decode(0x11, 0, echo, 9, &r);
  KT_EQ(r.silent, 1);
  KT_EQ(kb_xpd_attach(&xpd, &link_), KB_OK);
  deliver();
  message(q11, 9, echo);
  kb_module_reply_decode(0x11, 0, echo, 9, &r);
  KT_EQ(r.kind, KB_MOD_SUPERVISION);
  KT_EQ(r.u.sup.later, 1);
  KT_EQ(r.u.sup.expanders, 0x03); /* expanders 1 and 2 */
  KT_EQ(r.u.sup.keypads, 0);
  KT_EQ(r.u.sup.rf5132, 0);
  deliver();
  KT_EQ(xpd.stats.supervisions, 1);
  message(st05, 10, echo); /* no change: no notification */
  KT_EQ(echo[4], 0xFF);
  message(q28, 7, echo); /* asked anyway: an all-FF reply (nothing changed) */
  for (int i = 2; i < 7; i++) KT_EQ(echo[i], 0xFF);
}

/* A zone opens: notification in 0x05 (not 0x1B), the query's reply decodes
 * to "zone 9 open" with a good checksum, then the notification goes down. */
static void test_zone_change_cycle(void) {
  uint8_t echo[16];
  kb_mod_reply_t r;
  rig_init();
  KT_EQ(kb_xpd_enable(&xpd, 1, true), KB_OK);
  KT_EQ(kb_xpd_attach(&xpd, &link_), KB_OK);
  KT_EQ(kb_xpd_set_zone(&xpd, 9, KB_XPD_OPEN), KB_OK);
  KT_CHECK(kb_xpd_pending(&xpd, 1));
  message(st05, 10, echo);
  KT_EQ(echo[4], 0xBF); /* b6 = expander 1 (notes §4.4) */
  for (int i = 2; i < 10; i++)
    if (i != 4) KT_EQ(echo[i], 0xFF);
  message(st1b, 10, echo);
  KT_EQ(echo[4], 0xFF); /* 0x1B byte 4 means "keypad idle": never there */
  message(q22, 7, echo); /* expander 0 is not ours: silent */
  for (int i = 2; i < 7; i++) KT_EQ(echo[i], 0xFF);
  message(q28, 7, echo);
  kb_module_reply_decode(0x28, 0, echo, 7, &r);
  KT_EQ(r.kind, KB_MOD_EXPANDER);
  KT_EQ(r.csum, KB_MOD_CSUM_OK);
  KT_EQ(r.u.exp.expander, 1);
  KT_EQ(r.u.exp.nchanged, 1);
  KT_EQ(r.u.exp.changed[0].zone, 9);
  KT_EQ(r.u.exp.changed[0].state, KB_MOD_ZONE_OPEN_DEOL); /* 11 */
  KT_EQ(echo[4], 0xFF); /* the high half did not change */
  KT_EQ(echo[5], 0xFF);
  deliver();
  KT_EQ(xpd.stats.replies, 1);
  KT_CHECK(!kb_xpd_pending(&xpd, 1));
  message(st05, 10, echo);
  KT_EQ(echo[4], 0xFF);
  /* it closes again, and zone 16 is tampered: both halves change */
  KT_EQ(kb_xpd_set_zone(&xpd, 9, KB_XPD_CLOSED), KB_OK);
  KT_EQ(kb_xpd_set_zone(&xpd, 16, KB_XPD_TAMPER), KB_OK);
  message(st05, 10, echo);
  KT_EQ(echo[4], 0xBF);
  message(q28, 7, echo);
  kb_module_reply_decode(0x28, 0, echo, 7, &r);
  KT_EQ(r.csum, KB_MOD_CSUM_OK);
  KT_EQ(r.u.exp.nchanged, 2);
  KT_EQ(r.u.exp.changed[0].zone, 9);
  KT_EQ(r.u.exp.changed[0].state, KB_MOD_ZONE_CLOSED);
  KT_EQ(r.u.exp.changed[1].zone, 16);
  KT_EQ(r.u.exp.changed[1].state, KB_MOD_ZONE_TAMPER);
  deliver();
  KT_CHECK(!kb_xpd_pending(&xpd, 1));
}

/* Expanders 4-7 answer 0xE6.08/0A/0C/0E from module byte 3; their
 * notification bits are in byte 7. */
static void test_e6_expander(void) {
  static const uint8_t q_e6_0a[9] = {0xE6, 0, 0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  static const uint8_t q_e6_0c[9] = {0xE6, 0, 0x0C, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  static const uint8_t e6_09[5] = {0xE6, 0, 0x09, 0x00, 0xEF};
  uint8_t echo[16];
  kb_mod_reply_t r;
  rig_init();
  KT_EQ(kb_xpd_enable(&xpd, 5, true), KB_OK);
  KT_EQ(kb_xpd_attach(&xpd, &link_), KB_OK);
  KT_EQ(kb_xpd_set_zone(&xpd, 48, KB_XPD_OPEN), KB_OK);
  message(st05, 10, echo);
  KT_EQ(echo[4], 0xFF);
  KT_EQ(echo[7], 0xBF); /* b6 of byte 7 = expander 5 */
  message(e6_09, 5, echo); /* another 0xE6: nothing */
  for (int i = 2; i < 5; i++) KT_EQ(echo[i], 0xFF);
  message(q_e6_0c, 9, echo); /* expander 6: not ours */
  for (int i = 2; i < 9; i++) KT_EQ(echo[i], 0xFF);
  message(q_e6_0a, 9, echo);
  kb_module_reply_decode(0xE6, 0x0A, echo, 9, &r);
  KT_EQ(r.kind, KB_MOD_EXPANDER);
  KT_EQ(r.csum, KB_MOD_CSUM_OK);
  KT_EQ(r.u.exp.expander, 5);
  KT_EQ(r.u.exp.nchanged, 1);
  KT_EQ(r.u.exp.changed[0].zone, 48);
  KT_EQ(echo[2], 0xFF); /* byte 2 is the sub-command's slot */
  deliver();
  KT_CHECK(!kb_xpd_pending(&xpd, 5));
}

/* The key writer and the reply writer in one 0x05: each drives its bytes. */
static void test_both_writers(void) {
  uint8_t echo[16];
  rig_init();
  KT_EQ(kb_xpd_enable(&xpd, 3, true), KB_OK);
  KT_EQ(kb_xpd_attach(&xpd, &link_), KB_OK);
  KT_EQ(kb_xpd_set_zone(&xpd, 25, KB_XPD_OPEN), KB_OK);
  KT_EQ(kb_link_write_arm(&link_, 0x05, 2, 0x05, 0x0A, 1), KB_OK);
  message(st05, 10, echo);
  KT_EQ(echo[2], 0x05); /* the key */
  KT_EQ(echo[4], 0xEF); /* b4 = expander 3 */
  KT_CHECK(kb_link_write_idle(&link_));
}

/* A collision (another module pulls a reply bit) is not taken as read: the
 * notification stays up and the next query gets the reply again. */
static void test_collision_resent(void) {
  uint8_t echo[16];
  kb_mod_reply_t r;
  rig_init();
  KT_EQ(kb_xpd_enable(&xpd, 1, true), KB_OK);
  KT_EQ(kb_xpd_attach(&xpd, &link_), KB_OK);
  KT_EQ(kb_xpd_set_zone(&xpd, 10, KB_XPD_OPEN), KB_OK);
  other[2] = 0xFE; /* someone else pulls b0 of module byte 2 (zone 9: 01 -> 00) */
  message(q28, 7, echo);
  deliver();
  KT_EQ(xpd.stats.mismatches, 1);
  KT_EQ(xpd.stats.replies, 0);
  KT_CHECK(kb_xpd_pending(&xpd, 1));
  other[2] = 0xFF;
  message(q28, 7, echo);
  kb_module_reply_decode(0x28, 0, echo, 7, &r);
  KT_EQ(r.csum, KB_MOD_CSUM_OK);
  KT_EQ(r.u.exp.changed[0].zone, 10);
  deliver();
  KT_EQ(xpd.stats.replies, 1);
  KT_CHECK(!kb_xpd_pending(&xpd, 1));
}

/* A change made while the interrupt drives the reply does not tear it: the
 * reply goes out whole as it was, the new state is published after the
 * message (deferred), and the panel is notified again. */
static void test_change_during_reply(void) {
  uint8_t echo[16];
  kb_mod_reply_t r;
  rig_init();
  KT_EQ(kb_xpd_enable(&xpd, 1, true), KB_OK);
  KT_EQ(kb_xpd_attach(&xpd, &link_), KB_OK);
  KT_EQ(kb_xpd_set_zone(&xpd, 9, KB_XPD_OPEN), KB_OK);
  memset(echo, 0xFF, sizeof echo);
  clock_part(q28, 0, 20, echo); /* inside module byte 3 */
  KT_EQ(kb_xpd_set_zone(&xpd, 9, KB_XPD_CLOSED), KB_OK); /* the bank being driven: ... */
  KT_EQ(kb_xpd_set_zone(&xpd, 11, KB_XPD_OPEN), KB_OK);  /* ... the second edit waits */
  KT_EQ(xpd.stats.deferred, 1);
  clock_part(q28, 20, 49, echo);
  t_us += 5000u;
  kb_module_reply_decode(0x28, 0, echo, 7, &r);
  KT_EQ(r.csum, KB_MOD_CSUM_OK); /* whole: one publication or the other */
  deliver(); /* the echo is not the latest reply: not taken as read */
  KT_CHECK(kb_xpd_pending(&xpd, 1));
  message(st05, 10, echo);
  KT_EQ(echo[4], 0xBF);
  message(q28, 7, echo);
  kb_module_reply_decode(0x28, 0, echo, 7, &r);
  KT_EQ(r.csum, KB_MOD_CSUM_OK);
  KT_EQ(r.u.exp.nchanged, 1);
  KT_EQ(r.u.exp.changed[0].zone, 11); /* zone 9 is back to what the panel knew */
  deliver();
  KT_CHECK(!kb_xpd_pending(&xpd, 1));
}

/* Detached in the middle of a reply: no falling edge after it pulls the
 * line low (the bit already planned is cleared), in this message or later. */
static void test_detach_mid_reply(void) {
  uint8_t echo[16];
  rig_init();
  KT_EQ(kb_xpd_enable(&xpd, 1, true), KB_OK);
  KT_EQ(kb_xpd_attach(&xpd, &link_), KB_OK);
  KT_EQ(kb_xpd_set_zone(&xpd, 12, KB_XPD_OPEN), KB_OK);
  KT_EQ(kb_xpd_set_zone(&xpd, 11, KB_XPD_OPEN), KB_OK); /* byte 2 = 0xF5: phases 13, 15 low */
  memset(echo, 0xFF, sizeof echo);
  clock_part(q28, 0, 13, echo);
  KT_EQ(echo[2], 0xFF);      /* phases 9..12 are 1s */
  KT_EQ(link_.wr_next, 1);   /* the sample before phase 13 planned a pull */
  kb_xpd_detach(&xpd);
  KT_EQ(link_.wr_next, 0);
  clock_part(q28, 13, 49, echo);
  t_us += 5000u;
  KT_EQ(echo[2], 0xFF); /* phases 13 and 15 released after the detach */
  for (int i = 3; i < 7; i++) KT_EQ(echo[i], 0xFF);
  message(st05, 10, echo);
  for (int i = 0; i < 10; i++)
    if (i != 1) KT_EQ(echo[i], 0xFF);
}

/* Through kb_bus: attach, frames reach kb_xpd from kb_bus_poll(). */
static kb_bus_t bus;
static void test_bus_attach(void) {
  kb_xpd_t x2;
  kb_bus_init(&bus, NULL);
  kb_xpd_init(&xpd);
  kb_xpd_init(&x2);
  KT_EQ(kb_bus_xpd_attach(NULL, &xpd), KB_ERR_ARG);
  KT_EQ(kb_bus_xpd_attach(&bus, &xpd), KB_OK);
  KT_EQ(kb_bus_xpd_attach(&bus, &x2), KB_ERR_BUSY);
  KT_CHECK(bus.link.xw == &xpd.xw);
  KT_EQ(kb_bus_xpd_attach(&bus, NULL), KB_OK);
  KT_CHECK(bus.link.xw == NULL);
  KT_EQ(kb_bus_xpd_attach(&bus, &x2), KB_OK);
}

KT_MAIN(KT_CASE(test_checksum_vectors), KT_CASE(test_bad_input), KT_CASE(test_supervision),
        KT_CASE(test_zone_change_cycle), KT_CASE(test_e6_expander), KT_CASE(test_both_writers),
        KT_CASE(test_collision_resent), KT_CASE(test_change_during_reply),
        KT_CASE(test_detach_mid_reply), KT_CASE(test_bus_attach))
