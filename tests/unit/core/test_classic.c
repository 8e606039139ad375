/* SPDX-License-Identifier: MIT
 *
 * test_classic.c - the Classic series decoder (kb_classic.h): every
 * synthesised vector of the protocol notes (classic-and-keypad.md D4), the
 * timing rules of A6 (blink, beep, exit delay, stay -> away), the start-up
 * gate, the keypad slots, and one named test per reference quirk (A10)
 * that the decoder decides differently.
 */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "keybus/kb_classic.h"
#include "keybus/kb_proto.h"

static kb_cls_t cls;
static kb_event_t evs[256];
static unsigned nev;

static void on_ev(void *ctx, const kb_event_t *ev) {
  (void)ctx;
  if (nev < sizeof evs / sizeof evs[0]) evs[nev++] = *ev;
}

static void fresh(void) {
  kb_cls_init(&cls, KB_MODE_LIVE, on_ev, NULL);
  nev = 0;
}

static kb_cls_check_t frame(uint8_t d0, uint8_t d1, uint8_t p0, uint8_t p1, uint32_t t) {
  kb_cls_frame_t f;
  memset(&f, 0, sizeof f);
  f.d[0] = d0;
  f.d[1] = d1;
  f.p[0] = p0;
  f.p[1] = p1;
  f.bits = 16;
  return kb_cls_frame(&cls, &f, t);
}

/* The same frame every 51 ms from t0 to t1 (a live bus repeats it). */
static uint32_t hold(uint8_t d0, uint8_t d1, uint8_t p0, uint8_t p1, uint32_t t0, uint32_t t1) {
  uint32_t t = t0;
  for (; t < t1; t += KB_CLS_FRAME_MS) KT_EQ(frame(d0, d1, p0, p1, t), KB_CLS_OK);
  return t;
}

static unsigned count(uint8_t type) {
  unsigned n = 0;
  for (unsigned i = 0; i < nev; i++) n += evs[i].type == type;
  return n;
}

static const kb_event_t *last_of(uint8_t type) {
  for (unsigned i = nev; i-- > 0;)
    if (evs[i].type == type) return &evs[i];
  return NULL;
}

static const kb_partition_t *P(void) { return &cls.status.part[0]; }

/* ------------------------------------------------------------ D4 rows */

static void d4_ready(void) {
  fresh();
  KT_EQ(frame(0x00, 0x80, 0x00, 0x00, 1000), KB_CLS_OK);
  KT_EQ(P()->lights, KB_LIGHT_READY);
  KT_EQ(P()->ready, 1);
  KT_EQ(cls.status.zones_open[0], 0);
  KT_EQ(P()->armed, KB_ARMED_NONE);
  KT_EQ(P()->status, KB_ST_READY);
  KT_EQ(cls.status.synced, 1);
  KT_EQ(count(KB_EV_READY), 1);
}

static void d4_zones_open(void) {
  fresh();
  KT_EQ(frame(0xC0, 0x00, 0x00, 0x00, 1000), KB_CLS_OK);
  KT_EQ(cls.status.zones_open[0], 0x03); /* zones 1 and 2 */
  KT_EQ(P()->ready, 0);
  KT_EQ(P()->status, KB_ST_NOT_READY);
  KT_EQ(count(KB_EV_ZONE_OPEN), 2);
}

static void d4_exit_delay_away(void) {
  fresh();
  frame(0x00, 0xC0, 0x00, 0x00, 1000);
  KT_EQ(P()->exit_delay, 1);
  KT_EQ(P()->exit_target, KB_EXIT_AWAY);
  KT_EQ(P()->armed, KB_ARMED_NONE);
  KT_EQ(P()->ready, 1);
  KT_EQ(P()->status, KB_ST_EXIT_DELAY);
}

static void d4_exit_delay_stay(void) {
  fresh();
  frame(0x00, 0xD0, 0x00, 0x00, 1000);
  KT_EQ(P()->exit_delay, 1);
  KT_EQ(P()->exit_target, KB_EXIT_STAY);
}

static void d4_armed_away(void) {
  fresh();
  frame(0x00, 0x40, 0x00, 0x20, 1000);
  KT_EQ(P()->armed, KB_ARMED_AWAY);
  KT_EQ(P()->ready, 0);
  KT_EQ(P()->status, KB_ST_ARMED_AWAY);
  KT_CHECK(last_of(KB_EV_ARMED) && last_of(KB_EV_ARMED)->armed.mode == KB_ARMED_AWAY);
}

static void d4_armed_stay(void) {
  fresh();
  frame(0x00, 0x50, 0x00, 0x60, 1000);
  KT_EQ(P()->armed, KB_ARMED_STAY);
  KT_EQ(P()->status, KB_ST_ARMED_STAY);
}

static void d4_alarm(void) {
  fresh();
  frame(0x80, 0x60, 0x80, 0x21, 1000);
  KT_EQ(P()->alarm, 1);
  KT_EQ(P()->armed, KB_ARMED_AWAY);
  KT_EQ(cls.status.zones_alarm[0], 0x01);
  KT_EQ(cls.status.zones_open[0], 0x01);
  KT_EQ(P()->status, KB_ST_ALARM);
  KT_EQ(count(KB_EV_ZONE_ALARM), 1);
}

static void d4_fire(void) {
  fresh();
  frame(0x00, 0x82, 0x01, 0x00, 1000);
  KT_EQ(P()->fire, 1);
  KT_EQ(P()->lights, KB_LIGHT_READY | KB_LIGHT_FIRE);
  KT_EQ(count(KB_EV_FIRE), 1);
}

static void d4_trouble(void) {
  fresh();
  frame(0x00, 0x88, 0x00, 0x80, 1000);
  KT_EQ(cls.status.trouble, 1);
  KT_EQ(P()->lights, KB_LIGHT_READY | KB_LIGHT_TROUBLE);
}

static void d4_keypad_alarms(void) {
  static const uint8_t bits[3] = {0x02, 0x04, 0x08}; /* fire, aux, panic */
  for (unsigned i = 0; i < 3; i++) {
    fresh();
    frame(0x00, 0x80, 0x00, bits[i], 1000);
    for (unsigned k = 0; k < 3; k++) KT_EQ(cls.status.keypad_alarm[k], k == i);
    KT_CHECK(last_of(KB_EV_KEYPAD_ALARM) && last_of(KB_EV_KEYPAD_ALARM)->keypad_alarm.key == KB_ALARM_KEY_FIRE + i);
    /* on while the bit is (about 4 s), restored after */
    frame(0x00, 0x80, 0x00, 0x00, 1051);
    KT_EQ(cls.status.keypad_alarm[i], 0);
    KT_EQ(count(KB_EV_KEYPAD_ALARM), 2);
  }
}

static void d4_beep(void) {
  fresh();
  frame(0x00, 0x81, 0x00, 0x00, 1000);
  KT_EQ(cls.beep, 1);
  KT_EQ(P()->lights, KB_LIGHT_READY); /* the beep is not a light */
  KT_EQ(count(KB_EV_BEEP), 1);
  frame(0x00, 0x81, 0x00, 0x00, 1051); /* one beep, however long */
  KT_EQ(count(KB_EV_BEEP), 1);
}

static void d4_startup_no_pc16(void) {
  fresh();
  KT_EQ(frame(0x00, 0x80, 0xFF, 0xFF, 1000), KB_CLS_NO_PC16);
  KT_EQ(frame(0x00, 0x80, 0xFF, 0x00, 1051), KB_CLS_NO_PC16);
  KT_EQ(cls.status.synced, 0);
  KT_EQ(P()->known, 0);
  KT_EQ(nev, 0);
  KT_EQ(frame(0x00, 0x80, 0x00, 0x00, 1102), KB_CLS_OK);
  KT_EQ(cls.status.synced, 1);
}

static void d4_startup_partial(void) {
  kb_cls_frame_t f;
  fresh();
  memset(&f, 0, sizeof f);
  f.d[1] = 0x80;
  for (uint8_t b = 8; b < 16; b++) {
    f.bits = b;
    KT_EQ(kb_cls_frame(&cls, &f, 1000), KB_CLS_RUNT);
  }
  KT_EQ(cls.status.synced, 0);
  KT_EQ(cls.health.runts, 8);
  f.bits = 17;
  KT_EQ(kb_cls_frame(&cls, &f, 1000), KB_CLS_LONG);
}

static void d4_keypad_slots(void) {
  kb_cls_frame_t f;
  fresh();
  memset(&f, 0, sizeof f);
  f.d[1] = 0x80;
  f.bits = 16;
  f.kbits = 16;
  f.k[0] = 0xBE; /* key 1 */
  f.k[1] = 0xFF;
  kb_cls_frame(&cls, &f, 1000);
  KT_EQ(count(KB_EV_KEY), 1);
  KT_EQ(last_of(KB_EV_KEY)->key.code, KB_KEY_DIGIT); /* digits are secret */
  KT_EQ(kb_cls_key_to_ps(0xBE), KB_KEY_1);
  KT_EQ(kb_cls_key_to_ps(0xB7), KB_KEY_STAR);
  KT_EQ(kb_cls_key_to_ps(0x3F), KB_KEY_ALARM_FIRE);
  KT_EQ(kb_cls_key_to_ps(0xFF), KB_KEY_NONE);
  KT_EQ(kb_cls_key_to_ps(0xD7), KB_KEY_0);
  KT_EQ(kb_cls_keypad(&cls, 0xFF, 0xFF, 16, 1051), KB_KEY_NONE);
  KT_EQ(kb_cls_keypad(&cls, 0x3F, 0xFF, 16, 1102), KB_KEY_ALARM_FIRE);
  KT_EQ(last_of(KB_EV_KEY)->key.code, KB_KEY_ALARM_FIRE);
  KT_EQ(count(KB_EV_KEY), 2);
}

/* A4 key table both ways. */
static void key_table(void) {
  static const char keys[] = "1234567890*#FAP";
  static const uint8_t k0[] = {0xBE, 0xDE, 0xEE, 0xBD, 0xDD, 0xED, 0xBB, 0xDB,
                               0xEB, 0xD7, 0xB7, 0xE7, 0x3F, 0x5F, 0x6F};
  for (unsigned i = 0; i < sizeof k0; i++) KT_EQ(kb_cls_key_code(keys[i]), k0[i]);
  KT_EQ(kb_cls_key_code('p'), 0x6F);
  KT_EQ(kb_cls_key_code('x'), KB_CLS_KEY_NONE);
  KT_EQ(kb_cls_key_code('s'), KB_CLS_KEY_NONE);
}

static void held_key_once(void) {
  fresh();
  frame(0x00, 0x80, 0x00, 0x00, 1000);
  for (uint32_t t = 1000; t < 1500; t += KB_CLS_FRAME_MS) kb_cls_keypad(&cls, 0xDE, 0xFF, 16, t);
  KT_EQ(count(KB_EV_KEY), 1);
  kb_cls_keypad(&cls, 0xFF, 0xFF, 16, 1520);
  kb_cls_keypad(&cls, 0xDE, 0xFF, 16, 1571); /* released, pressed again */
  KT_EQ(count(KB_EV_KEY), 2);
  kb_cls_keypad(&cls, 0xDE, 0xFF, 16, 3000); /* a log: same key much later */
  KT_EQ(count(KB_EV_KEY), 3);
}

/* ------------------------------------------------------------ A6 rules */

/* A6.2: a light that flashes (about 1 Hz) is blinking; steady is not. */
static void blink_detected(void) {
  uint32_t t = 1000;
  fresh();
  t = hold(0x00, 0x80, 0x00, 0x00, t, t + 1000);
  for (int i = 0; i < 4; i++) {
    t = hold(0x00, 0xA0, 0x00, 0x00, t, t + 500); /* Ready + Memory */
    t = hold(0x00, 0x80, 0x00, 0x00, t, t + 500);
  }
  KT_EQ(cls.status.flash[0], KB_LIGHT_MEMORY);
  KT_CHECK(last_of(KB_EV_FLASH) && last_of(KB_EV_FLASH)->part.lights == KB_LIGHT_MEMORY);
  /* off for longer than 600 ms: no longer blinking */
  t = hold(0x00, 0x80, 0x00, 0x00, t, t + 700);
  KT_EQ(cls.status.flash[0], 0);
  /* steady on: blinking only in the first 600 ms after it came on */
  t = hold(0x00, 0xA0, 0x00, 0x00, t, t + 2000);
  KT_EQ(cls.status.flash[0], 0);
}

/* A6.2: Armed, Bypass, Trouble keep blinking through an off phase up to
 * 1200 ms; Memory only 600 ms. Ready, Program and Fire never blink. */
static void blink_timeouts(void) {
  uint32_t t = 1000;
  fresh();
  for (int i = 0; i < 3; i++) {
    t = hold(0x00, 0x98, 0x00, 0x00, t, t + 400); /* Ready + Bypass + Trouble */
    t = hold(0x00, 0x80, 0x00, 0x00, t, t + 400);
  }
  t = hold(0x00, 0x98, 0x00, 0x00, t, t + 400);
  KT_EQ(cls.status.flash[0], KB_LIGHT_BYPASS | KB_LIGHT_TROUBLE);
  t = hold(0x00, 0x80, 0x00, 0x00, t, t + 1000); /* 1000 ms off: still */
  KT_EQ(cls.status.flash[0], KB_LIGHT_BYPASS | KB_LIGHT_TROUBLE);
  t = hold(0x00, 0x80, 0x00, 0x00, t, t + 400);
  KT_EQ(cls.status.flash[0], 0);
  fresh();
  t = 1000;
  for (int i = 0; i < 4; i++) {
    t = hold(0x00, 0x06, 0x00, 0x00, t, t + 400); /* Program + Fire */
    t = hold(0x00, 0x80, 0x00, 0x00, t, t + 400);
  }
  KT_EQ(cls.status.flash[0], 0);
  KT_EQ(count(KB_EV_FLASH), 0);
}

/* Memory, Bypass and Trouble all blinking: installer programming (A6.9). */
static void programming_status(void) {
  uint32_t t = 1000;
  fresh();
  for (int i = 0; i < 3; i++) {
    t = hold(0x00, 0x38, 0x00, 0x00, t, t + 400);
    t = hold(0x00, 0x00, 0x00, 0x00, t, t + 400);
  }
  t = hold(0x00, 0x38, 0x00, 0x00, t, t + 200);
  KT_EQ(P()->status, KB_CLS_ST_PROGRAMMING);
}

/* Decided beyond A6.2: a light that comes on and stays on is not flashing
 * (the reference's rule alone flags every light for 600 ms when it comes
 * on), so arming without an exit delay is not "no entry delay". */
static void steady_light_not_flashing(void) {
  uint32_t t = 1000;
  fresh();
  t = hold(0x00, 0x80, 0x00, 0x00, t, t + 2000);
  t = hold(0x00, 0x40, 0x00, 0x20, t, t + 100); /* armed at once */
  KT_EQ(cls.status.flash[0], 0);
  KT_EQ(P()->no_entry_delay, 0);
  KT_EQ(P()->status, KB_ST_ARMED_AWAY);
  t = hold(0x00, 0x60, 0x00, 0x20, t, t + 100); /* Memory comes on */
  KT_EQ(count(KB_EV_FLASH), 0);
}

/* A6.3 + A6.4: a stay arming turns into away after a beep burst of more
 * than about 1.5 s ends (the panel re-activates the interior zones); short
 * beeps do not. */
static void stay_to_away_beep(void) {
  uint32_t t = 1000;
  fresh();
  t = hold(0x00, 0x80, 0x00, 0x00, t, t + 500);
  t = hold(0x00, 0x50, 0x00, 0x60, t, t + 2000); /* armed stay with bypass */
  KT_EQ(P()->armed, KB_ARMED_STAY);
  t = hold(0x00, 0x40, 0x00, 0x20, t, t + 3000); /* bypass bit and light off */
  KT_EQ(P()->armed, KB_ARMED_STAY);
  t = hold(0x00, 0x41, 0x00, 0x20, t, t + 300); /* a short beep */
  t = hold(0x00, 0x40, 0x00, 0x20, t, t + 3000);
  KT_EQ(P()->armed, KB_ARMED_STAY);
  t = hold(0x00, 0x41, 0x00, 0x20, t, t + 2500); /* a 2.5 s burst */
  KT_EQ(P()->armed, KB_ARMED_STAY);
  t = hold(0x00, 0x40, 0x00, 0x20, t, t + 300);
  KT_EQ(P()->armed, KB_ARMED_AWAY);
  KT_EQ(P()->status, KB_ST_ARMED_AWAY);
}

/* A6.5: the exit delay ends when the armed bit comes; an aborted arming
 * (armed light off, no armed bit) ends it 600 ms after the light. */
static void exit_delay_ends(void) {
  uint32_t t = 1000;
  fresh();
  t = hold(0x00, 0x80, 0x00, 0x00, t, t + 500);
  t = hold(0x00, 0xC1, 0x00, 0x00, t, t + 3000);
  KT_EQ(P()->exit_delay, 1);
  t = hold(0x00, 0x40, 0x00, 0x20, t, t + 200);
  KT_EQ(P()->exit_delay, 0);
  KT_EQ(P()->armed, KB_ARMED_AWAY);
  KT_EQ(P()->exit_target, KB_EXIT_NONE);
  /* disarm, arm again, abort */
  t = hold(0x00, 0x80, 0x00, 0x00, t, t + 1000);
  KT_EQ(P()->armed, KB_ARMED_NONE);
  KT_EQ(P()->ready, 1);
  t = hold(0x00, 0xC0, 0x00, 0x00, t, t + 1000);
  KT_EQ(P()->exit_delay, 1);
  t = hold(0x00, 0x80, 0x00, 0x00, t, t + 400);
  KT_EQ(P()->exit_delay, 1);
  t = hold(0x00, 0x80, 0x00, 0x00, t, t + 400);
  KT_EQ(P()->exit_delay, 0);
  KT_EQ(P()->status, KB_ST_READY);
}

/* A6.4: *9 arming (Armed light flashing) is no entry delay. */
static void no_entry_delay(void) {
  uint32_t t = 1000;
  fresh();
  t = hold(0x00, 0x80, 0x00, 0x00, t, t + 500);
  for (int i = 0; i < 4; i++) {
    t = hold(0x00, 0x40, 0x00, 0x20, t, t + 400);
    t = hold(0x00, 0x00, 0x00, 0x20, t, t + 400);
  }
  KT_EQ(P()->armed, KB_ARMED_AWAY);
  KT_EQ(P()->no_entry_delay, 1);
  KT_EQ(P()->status, KB_ST_ARMED_AWAY_NO_ENTRY);
}

/* A6.6: while Memory/Bypass/Trouble blink (the star-1, 2, 3 displays) the zone
 * lights are not open zones; nor after a `*` until ready again. */
static void zones_frozen_in_menus(void) {
  uint32_t t = 1000;
  fresh();
  t = hold(0x00, 0x80, 0x00, 0x00, t, t + 500);
  for (int i = 0; i < 3; i++) { /* Trouble flashing: the star-2 display */
    t = hold(0x00, 0x08, 0x00, 0x00, t, t + 400);
    t = hold(0x00, 0x00, 0x00, 0x00, t, t + 400);
  }
  KT_EQ(cls.status.flash[0], KB_LIGHT_TROUBLE);
  for (int i = 0; i < 3; i++) { /* zones 3, 4 lit in the display */
    t = hold(0x30, 0x08, 0x00, 0x00, t, t + 400);
    t = hold(0x30, 0x00, 0x00, 0x00, t, t + 400);
  }
  KT_EQ(cls.status.zones_open[0], 0);
  fresh();
  t = 1000;
  t = hold(0x00, 0x80, 0x00, 0x00, t, t + 500);
  kb_cls_keypad(&cls, KB_CLS_KEY_STAR, 0xFF, 16, t);
  t = hold(0x01, 0x00, 0x00, 0x00, t, t + 500);
  KT_EQ(cls.status.zones_open[0], 0);
  t = hold(0x00, 0x80, 0x00, 0x00, t, t + 200); /* ready again */
  t = hold(0x01, 0x00, 0x00, 0x00, t, t + 200);
  KT_EQ(cls.status.zones_open[0], 0x80); /* zone 8 */
}

/* A6.8: trouble is the PC-16 bit, not the Trouble light. */
static void trouble_from_pc16(void) {
  fresh();
  frame(0x00, 0x88, 0x00, 0x00, 1000);
  KT_EQ(cls.status.trouble, 0);
  frame(0x00, 0x80, 0x00, 0x80, 1051);
  KT_EQ(cls.status.trouble, 1);
  KT_EQ(count(KB_EV_TROUBLE), 1);
}

/* A9: what the Classic cannot report is flagged absent. */
static void absent_fields(void) {
  fresh();
  KT_EQ(cls.status.series, KB_SERIES_CLASSIC);
  KT_EQ(cls.status.zones_max, 8);
  KT_CHECK(cls.status.absent & KB_ABSENT_ENTRY_DELAY);
  KT_CHECK(cls.status.absent & KB_ABSENT_TIME);
  KT_CHECK(cls.status.absent & KB_ABSENT_AC_POWER);
  KT_CHECK(cls.status.absent & KB_ABSENT_PARTITIONS);
  KT_CHECK(!(cls.status.absent & ~(unsigned)KB_CLS_ABSENT));
  frame(0xFF, 0xFE, 0xFC, 0xFE, 1000);
  for (unsigned p = 1; p < KB_MAX_PARTITIONS; p++) KT_EQ(cls.status.part[p].known, 0);
  KT_EQ(cls.status.zones_open[1], 0);
  KT_EQ(P()->entry_delay, 0);
}

/* After start-up a frame with the PC-16 line idle (both bytes 0xFF) is
 * dropped: read as bits it would claim every alarm. */
static void pc16_idle_dropped(void) {
  fresh();
  frame(0x00, 0x80, 0x00, 0x00, 1000);
  KT_EQ(frame(0x00, 0x80, 0xFF, 0xFF, 1051), KB_CLS_PC16_IDLE);
  KT_EQ(P()->fire, 0);
  KT_EQ(cls.status.trouble, 0);
  KT_EQ(cls.health.framing_errors, 1);
}

/* A log prints only changed frames: the decoder takes the last one to have
 * repeated, so a flashing light in a log is seen as live. */
static void log_holds_last_frame(void) {
  uint32_t t = 1000;
  kb_cls_init(&cls, KB_MODE_LOG, on_ev, NULL);
  nev = 0;
  frame(0x00, 0x80, 0x00, 0x00, t);
  for (int i = 0; i < 4; i++) {
    frame(0x00, 0xA0, 0x00, 0x00, t += 500);
    frame(0x00, 0x80, 0x00, 0x00, t += 500);
  }
  KT_EQ(cls.status.flash[0], KB_LIGHT_MEMORY);
  KT_EQ(count(KB_EV_FLASH), 1); /* no flapping */
  frame(0x00, 0xA0, 0x00, 0x00, t += 5000); /* steady for a while */
  frame(0x00, 0x80, 0x00, 0x00, t += 5000);
  KT_EQ(cls.status.flash[0], 0);
}

/* ----------------------------------------------------- quirks (A10) */

/* A10.1: a zone that was in alarm gets its open state from the zone lights
 * again once the panel is disarmed and ready (the reference never forgets
 * it). */
static void quirk1_alarm_zone_mask_cleared(void) {
  uint32_t t = 1000;
  fresh();
  t = hold(0x00, 0x80, 0x00, 0x00, t, t + 500);
  t = hold(0x00, 0x40, 0x00, 0x20, t, t + 500);          /* armed away */
  t = hold(0x80, 0x40, 0x80, 0x21, t, t + 500);          /* zone 1 alarm */
  KT_EQ(cls.status.zones_alarm[0], 0x01);
  t = hold(0x00, 0x80, 0x00, 0x00, t, t + 1000);         /* disarmed, ready */
  KT_EQ(cls.status.zones_alarm[0], 0);
  t = hold(0x80, 0x00, 0x00, 0x00, t, t + 300);          /* zone 1 opens */
  KT_EQ(cls.status.zones_open[0] & 0x01, 0x01);
  t = hold(0x00, 0x80, 0x00, 0x00, t, t + 300);          /* and closes */
  KT_EQ(cls.status.zones_open[0] & 0x01, 0);
}

/* A10.4: the status follows this frame's changes; no flag of the
 * application's keeps the alarm on or repeats a status code. */
static void quirk4_status_from_frame_changes(void) {
  uint32_t t = 1000;
  fresh();
  t = hold(0x00, 0x80, 0x00, 0x00, t, t + 500);
  KT_EQ(frame(0x00, 0x40, 0x00, 0x21, t), KB_CLS_OK);     /* armed, alarm bit in the same frame */
  KT_EQ(P()->alarm, 1);
  t = hold(0x00, 0x40, 0x00, 0x21, t + KB_CLS_FRAME_MS, t + 500);
  KT_EQ(P()->status, KB_ST_ALARM);
  t = hold(0x00, 0x40, 0x00, 0x20, t, t + 200);           /* alarm bit clears, still armed */
  KT_EQ(P()->alarm, 0);
  KT_EQ(P()->status, KB_ST_ARMED_AWAY); /* the alarm ended, still armed */
  KT_EQ(count(KB_EV_ALARM), 2);
}

/* A10.5: a partial frame is never applied, also after start-up. */
static void quirk5_partial_frames_dropped(void) {
  kb_cls_frame_t f;
  fresh();
  frame(0x00, 0x80, 0x00, 0x00, 1000);
  memset(&f, 0, sizeof f);
  f.d[0] = 0xFF; /* would open every zone */
  f.bits = 12;
  KT_EQ(kb_cls_frame(&cls, &f, 1051), KB_CLS_RUNT);
  KT_EQ(cls.status.zones_open[0], 0);
  KT_EQ(P()->ready, 1);
}

/* Events match the model: the armed event carries the mode, the zone
 * events their numbers, each change once. */
static void events_once(void) {
  fresh();
  hold(0x00, 0x80, 0x00, 0x00, 1000, 2000);
  KT_EQ(count(KB_EV_READY), 1);
  KT_EQ(count(KB_EV_PARTITION), 1);
  KT_EQ(count(KB_EV_SYNCED), 1);
  KT_EQ(count(KB_EV_CONNECTED), 1);
  hold(0x20, 0x00, 0x00, 0x00, 2000, 3000);
  KT_EQ(count(KB_EV_ZONE_OPEN), 1);
  KT_EQ(last_of(KB_EV_ZONE_OPEN)->zone.zone, 3);
  KT_EQ(count(KB_EV_READY), 2);
  KT_EQ(last_of(KB_EV_READY)->state.on, 0);
}

KT_MAIN(KT_CASE(d4_ready), KT_CASE(d4_zones_open), KT_CASE(d4_exit_delay_away),
        KT_CASE(d4_exit_delay_stay), KT_CASE(d4_armed_away), KT_CASE(d4_armed_stay),
        KT_CASE(d4_alarm), KT_CASE(d4_fire), KT_CASE(d4_trouble), KT_CASE(d4_keypad_alarms),
        KT_CASE(d4_beep), KT_CASE(d4_startup_no_pc16), KT_CASE(d4_startup_partial),
        KT_CASE(d4_keypad_slots), KT_CASE(key_table), KT_CASE(held_key_once),
        KT_CASE(blink_detected), KT_CASE(blink_timeouts), KT_CASE(steady_light_not_flashing), KT_CASE(programming_status),
        KT_CASE(stay_to_away_beep), KT_CASE(exit_delay_ends), KT_CASE(no_entry_delay),
        KT_CASE(zones_frozen_in_menus), KT_CASE(trouble_from_pc16), KT_CASE(absent_fields),
        KT_CASE(pc16_idle_dropped), KT_CASE(log_holds_last_frame),
        KT_CASE(quirk1_alarm_zone_mask_cleared), KT_CASE(quirk4_status_from_frame_changes), KT_CASE(quirk5_partial_frames_dropped),
        KT_CASE(events_once))
