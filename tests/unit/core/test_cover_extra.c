/* SPDX-License-Identifier: MIT
 * Engine and decode behaviour that the other core tests do not reach (found
 * with `make coverage`): repeated states that must not report twice, the
 * remaining panel-event rules, 0x27 away arming, a NULL event callback, the
 * early returns of kb_filter_log_judge(), and 0xE6 partition 2 (sub 0x21). */
#include <stdlib.h>

#include "engine_rig.h"
#include "harness.h"
#include "keybus/kb_decode.h"
#include "keybus/kb_engine.h"

/* ---------------------------------------------------------------- rig */

static void start_synced(void) {
  start(KB_MODE_LOG);
  KT_EQ(feed(SYNC), KB_CHECK_OK);
  nev = 0;
}

/* 0xA5 for partition 1 (byte 3 b7..6 = 01), same date/time each time:
 * set 0 / 1 / 2 in byte 5 b1..0, code in byte 6. */
#define A5_SET0(code) "A5 00 18 4F B3 98 " code " FF"
#define A5_SET1(code) "A5 00 18 4F B3 99 " code " FF"
#define A5_SET2(code) "A5 00 18 4F B3 9A " code " FF"

/* ------------------------------------------------------------- engine */

/* No callback given: the model still follows the frames. */
static void engine_null_callback(void) {
  kb_engine_init(&eng, KB_MODE_LIVE, NULL, NULL);
  for (int i = 0; i < KB_FILTER_K; i++) KT_EQ(feed("05 00 81 04 10 C7"), KB_CHECK_OK);
  KT_EQ(eng.status.synced, 1);
  KT_EQ(P(1)->status, 0x04);
  KT_EQ(P(1)->armed, KB_ARMED_STAY);
  KT_EQ(feedc(A5_SET0("E8")), KB_CHECK_OK); /* AC trouble */
  KT_EQ(eng.status.ac_power, 0);
}

/* 0x27 with partition 1 armed away (0x05), partition 2 away too. */
static void engine_0x27_armed_away(void) {
  start_synced();
  KT_EQ(P(1)->ready, 1);
  KT_EQ(feedc("27 00 81 05 81 05 00"), KB_CHECK_OK);
  KT_EQ(P(1)->armed, KB_ARMED_AWAY);
  KT_EQ(P(1)->ready, 0);
  KT_EQ(P(2)->armed, KB_ARMED_AWAY);
  const kb_event_t *ev = find_ev(KB_EV_ARMED);
  KT_CHECK(ev != NULL);
  if (ev) {
    KT_EQ(ev->armed.mode, KB_ARMED_AWAY);
    KT_EQ(ev->armed.on, 1);
  }
  /* the same frame again changes nothing */
  nev = 0;
  KT_EQ(feedc("27 00 81 05 81 05 00"), KB_CHECK_OK);
  KT_EQ(count_ev(KB_EV_ARMED), 0);
  KT_EQ(count_ev(KB_EV_READY), 0);
}

/* Armed and disarmed by the same code: the user is reported with each
 * (issue 6 item 8: "who disarmed" must not be lost). */
static void engine_same_access_code_reported_each_time(void) {
  start_synced();
  KT_EQ(feedc(A5_SET0("99")), KB_CHECK_OK); /* armed by code 1 */
  KT_EQ(P(1)->access_code, 1);
  KT_EQ(count_ev(KB_EV_ACCESS_CODE), 1);
  KT_EQ(feedc(A5_SET0("C0")), KB_CHECK_OK); /* disarmed by code 1 */
  KT_EQ(P(1)->access_code, 1);
  KT_EQ(count_ev(KB_EV_ACCESS_CODE), 2);
  KT_EQ(count_ev(KB_EV_PANEL_EVENT), 2);
}

/* Keypad fire/aux/panic alarms and restores; a repeat reports nothing. */
static void engine_keypad_alarms_repeat_once(void) {
  static const struct {
    const char *code;
    int which, on;
  } steps[] = {
      {"4E", 0, 1}, {"4F", 1, 1}, {"50", 2, 1}, {"52", 0, 0}, {"53", 1, 0}, {"54", 2, 0},
  };
  start_synced();
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    char f[40];
    snprintf(f, sizeof f, A5_SET0("%s"), steps[i].code);
    nev = 0;
    KT_EQ(feedc(f), KB_CHECK_OK);
    KT_EQ(eng.status.keypad_alarm[steps[i].which], steps[i].on);
    KT_EQ(count_ev(KB_EV_KEYPAD_ALARM), 1);
    const kb_event_t *ev = find_ev(KB_EV_KEYPAD_ALARM);
    if (ev) {
      KT_EQ(ev->keypad_alarm.key, steps[i].which + 1); /* kb_alarm_key_t */
      KT_EQ(ev->keypad_alarm.on, steps[i].on);
    }
    nev = 0;
    KT_EQ(feedc(f), KB_CHECK_OK); /* repeated */
    KT_EQ(eng.status.keypad_alarm[steps[i].which], steps[i].on);
    KT_EQ(count_ev(KB_EV_KEYPAD_ALARM), 0);
  }
}

/* Partition rules of the panel events the other tests leave out. */
static void engine_partition_event_rules(void) {
  start_synced();
  /* recent closing: alarm on */
  KT_EQ(feedc(A5_SET0("4B")), KB_CHECK_OK);
  KT_EQ(P(1)->alarm, 1);
  /* disarmed with alarm memory: alarm off, armed off */
  KT_EQ(feedc(A5_SET0("4A")), KB_CHECK_OK);
  KT_EQ(P(1)->alarm, 0);
  /* armed with no entry delay (set 2 0x9C): flag on, not ready */
  KT_EQ(feedc(A5_SET2("9C")), KB_CHECK_OK);
  KT_EQ(P(1)->no_entry_delay, 1);
  KT_EQ(P(1)->ready, 0);
  /* armed with entry delay (set 1 0xD2): flag off again */
  nev = 0;
  KT_EQ(feedc(A5_SET1("D2")), KB_CHECK_OK);
  KT_EQ(P(1)->no_entry_delay, 0);
  KT_EQ(count_ev(KB_EV_NO_ENTRY_DELAY), 1);
  /* activate stay/away (set 2 0x99): armed away */
  KT_EQ(feedc(A5_SET2("99")), KB_CHECK_OK);
  KT_EQ(P(1)->armed, KB_ARMED_AWAY);
  /* zone 1 bypassed (set 1 0xB0), then disarmed specially (set 0 0xE6):
   * disarmed, and bypassing ends with the arming cycle */
  KT_EQ(feedc(A5_SET1("B0")), KB_CHECK_OK);
  KT_EQ(zone(eng.status.zones_bypass, 1), 1);
  nev = 0;
  KT_EQ(feedc(A5_SET0("E6")), KB_CHECK_OK);
  KT_EQ(P(1)->armed, KB_ARMED_NONE);
  KT_EQ(zone(eng.status.zones_bypass, 1), 0);
  KT_EQ(count_ev(KB_EV_ZONE_BYPASS), 1);
  KT_EQ(count_ev(KB_EV_ARMED), 1);
  /* an event kind without partition rules (duress alarm) changes nothing */
  nev = 0;
  KT_EQ(feedc(A5_SET0("49")), KB_CHECK_OK);
  KT_EQ(nev, 1);
  KT_EQ(evs[0].type, KB_EV_PANEL_EVENT);
  KT_EQ(evs[0].panel.pev.kind, KB_PEV_DURESS_ALARM);
}

/* Zone tamper and restore from 0xA5; a repeat reports nothing. */
static void engine_zone_tamper_repeat_once(void) {
  start_synced();
  KT_EQ(feedc(A5_SET0("57")), KB_CHECK_OK); /* zone 2 tamper */
  KT_EQ(zone(eng.status.zones_tamper, 2), 1);
  KT_EQ(count_ev(KB_EV_ZONE_TAMPER), 1);
  KT_EQ(feedc(A5_SET0("57")), KB_CHECK_OK);
  KT_EQ(count_ev(KB_EV_ZONE_TAMPER), 1);
  KT_EQ(feedc(A5_SET0("77")), KB_CHECK_OK); /* zone 2 tamper restored */
  KT_EQ(zone(eng.status.zones_tamper, 2), 0);
  KT_EQ(count_ev(KB_EV_ZONE_TAMPER), 2);
}

/* Panel version: reported when it changes only. */
static void engine_version_repeat_once(void) {
  start_synced();
  KT_EQ(feedc("16 00 0E 41 00"), KB_CHECK_OK);
  KT_EQ(eng.status.version, 0x41);
  KT_EQ(count_ev(KB_EV_VERSION), 1);
  KT_EQ(feedc("16 00 0E 41 00"), KB_CHECK_OK);
  KT_EQ(count_ev(KB_EV_VERSION), 1);
  KT_EQ(feedc("16 00 0E 42 00"), KB_CHECK_OK);
  KT_EQ(eng.status.version, 0x42);
  KT_EQ(count_ev(KB_EV_VERSION), 2);
  /* 0x16 without the version selector carries none */
  KT_EQ(feedc("16 00 0F 43 00"), KB_CHECK_OK);
  KT_EQ(eng.status.version, 0x42);
}

/* Panel clock: a TIME event when it changes, none for a repeat, none for an
 * invalid date/time, none from an event-buffer entry. */
static void engine_time_rules(void) {
  start_synced();
  KT_EQ(feedc(A5_SET0("E8")), KB_CHECK_OK);
  KT_EQ(count_ev(KB_EV_TIME), 1);
  KT_EQ(eng.status.time.year, 2018);
  KT_EQ(eng.status.time.month, 3);
  KT_EQ(feedc(A5_SET0("F0")), KB_CHECK_OK); /* same time */
  KT_EQ(count_ev(KB_EV_TIME), 1);
  /* year nibble 0xA: invalid, the clock keeps its value */
  KT_EQ(feedc("A5 00 AA 4F B3 98 E8 FF"), KB_CHECK_OK);
  KT_EQ(count_ev(KB_EV_TIME), 1);
  KT_EQ(eng.status.time.year, 2018);
  KT_EQ(eng.status.ac_power, 0); /* the event itself still applies */
  /* 0xAA (event buffer, another date): not the clock */
  KT_EQ(feedc("AA 00 19 4F B3 98 E8 05"), KB_CHECK_OK);
  KT_EQ(count_ev(KB_EV_TIME), 1);
  KT_EQ(eng.status.time.year, 2018);
  /* 0xEB with a new date: the clock */
  KT_EQ(feedc("EB 00 01 19 4F B3 98 00 E8 FF"), KB_CHECK_OK);
  KT_EQ(count_ev(KB_EV_TIME), 2);
  KT_EQ(eng.status.time.year, 2019);
}

/* kb_filter_log_judge(): every reason to judge nothing. */
static void judge_early_returns(void) {
  uint8_t prev[16], cur[16], next[16], big_p[16], big_c[16], big_n[16];
  uint8_t n = hex("05 00 81 01 10 C7 10 C7 10 C7", prev);
  hex("05 00 81 03 10 C7 10 C7 10 C7", cur);
  hex("05 00 81 01 10 C7 10 C7 10 C7", next);
  uint16_t bits = (uint16_t)(8u * n - 7u);
  /* the reference case: partition 1's status byte flipped and came back */
  KT_EQ(kb_filter_log_judge(prev, bits, cur, bits, next, bits, true), 0x2);
  KT_EQ(kb_filter_log_judge(NULL, 0, cur, bits, next, bits, true), 0);
  KT_EQ(kb_filter_log_judge(prev, bits, cur, bits, NULL, 0, true), 0);
  KT_EQ(kb_filter_log_judge(prev, bits, cur, bits, next, bits, false), 0);
  KT_EQ(kb_filter_log_judge(prev, bits, cur, 8u * 5u - 7u, next, bits, true), 0); /* < 6 bytes */
  /* prev or next of another command */
  prev[0] = 0x1B;
  KT_EQ(kb_filter_log_judge(prev, bits, cur, bits, next, bits, true), 0);
  prev[0] = 0x05;
  next[0] = 0x1B;
  KT_EQ(kb_filter_log_judge(prev, bits, cur, bits, next, bits, true), 0);
  next[0] = 0x05;
  /* prev or next of another length */
  KT_EQ(kb_filter_log_judge(prev, 8u * 6u - 7u, cur, bits, next, bits, true), 0);
  KT_EQ(kb_filter_log_judge(prev, bits, cur, bits, next, 8u * 6u - 7u, true), 0);
  /* longer than 10 bytes: bytes past 10 are not status bytes */
  memset(big_p, 0, sizeof big_p);
  memset(big_c, 0, sizeof big_c);
  memset(big_n, 0, sizeof big_n);
  memcpy(big_p, prev, 10);
  memcpy(big_c, cur, 10);
  memcpy(big_n, next, 10);
  big_c[11] = 0x55; /* a flip past byte 9 that came back */
  uint16_t b12 = 8u * 12u - 7u;
  KT_EQ(kb_filter_log_judge(big_p, b12, big_c, b12, big_n, b12, true), 0x2);
}

/* ------------------------------------------------------------- decode */

/* 0xE6 sub 0x20 / 0x21: programming bytes of partition 1 / 2. */
static void decode_e6_partition_2(void) {
  static const uint8_t subs[] = {0x20, 0x21, 0x01};
  static const uint8_t parts[] = {1, 2, 3};
  for (size_t i = 0; i < sizeof subs; i++) {
    uint8_t b[11] = {0xE6, 0x00, subs[i], 0x81, 0x01, 0, 0, 0, 0, 0, 0};
    kb_decoded_t d;
    uint8_t sum = b[0];
    for (int k = 2; k < 10; k++) sum = (uint8_t)(sum + b[k]);
    b[10] = sum;
    kb_decode_panel(b, sizeof b, 8u * sizeof b - 7u, &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.sub, subs[i]);
    KT_EQ(d.parts_kind, KB_PARTS_PROGRAMMING);
    KT_EQ(d.nparts, 1);
    KT_EQ(d.part[0].partition, parts[i]);
    KT_EQ(d.part[0].lights, 0x81);
    KT_EQ(d.part[0].status, 0x01);
  }
}

/* Module data under 0xE6: keys only under the partition programming subs. */
static void decode_module_under_e6(void) {
  static const uint8_t b[] = {0xFF, 0x01, 0xFF, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  kb_decoded_t d;
  kb_decode_module(0xE6, 0x21, b, sizeof b, 8u * sizeof b - 7u, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.nkeys, 1);
  KT_EQ(d.key[0].partition, 2);
  KT_EQ(d.key[0].code, 0x05);
  kb_decode_module(0xE6, 0x20, b, sizeof b, 8u * sizeof b - 7u, &d);
  KT_EQ(d.nkeys, 1);
  KT_EQ(d.key[0].partition, 1);
  /* sub 0x08 (zone programming): no key slots */
  kb_decode_module(0xE6, 0x08, b, sizeof b, 8u * sizeof b - 7u, &d);
  KT_EQ(d.check, KB_CHECK_OK);
  KT_EQ(d.nkeys, 0);
  KT_EQ(d.has & KB_HAS_KEYS, 0);
  /* sub 0x00: a 0xE6 the notes do not describe */
  kb_decode_module(0xE6, 0x00, b, sizeof b, 8u * sizeof b - 7u, &d);
  KT_EQ(d.check, KB_CHECK_UNKNOWN);
  KT_EQ(d.nkeys, 0);
}

KT_MAIN(KT_CASE(engine_null_callback), KT_CASE(engine_0x27_armed_away),
        KT_CASE(engine_same_access_code_reported_each_time), KT_CASE(engine_keypad_alarms_repeat_once),
        KT_CASE(engine_partition_event_rules), KT_CASE(engine_zone_tamper_repeat_once),
        KT_CASE(engine_version_repeat_once), KT_CASE(engine_time_rules), KT_CASE(judge_early_returns),
        KT_CASE(decode_e6_partition_2), KT_CASE(decode_module_under_e6))
