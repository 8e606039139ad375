/* SPDX-License-Identifier: MIT
 * The panel clock's decision (src/ha/kb_clock.c, shared by keybusd
 * --sync-time and the ESP-IDF example): the drift rule, once a day, DST
 * change days, and every condition that must hold it back. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ha/kb_clock.h"
#include "harness.h"

static kb_partition_t part;

static kb_clock_tm_t tm_of(int y, int mo, int d, int h, int mi, int s) { return kb_clock_tm(y, mo, d, h, mi, s); }

static kb_time_t panel_of(int y, int mo, int d, int h, int mi) {
  kb_time_t p;
  memset(&p, 0, sizeof p);
  p.year = (uint16_t)y, p.month = (uint8_t)mo, p.day = (uint8_t)d, p.hour = (uint8_t)h, p.minute = (uint8_t)mi;
  p.valid = 1;
  return p;
}

/* A ready, disarmed partition; the panel reported 2026-06-01 12:00 when the
 * host's clock said the same, a set succeeded an hour ago, no key. */
static kb_clock_in_t base(void) {
  kb_clock_in_t in;
  memset(&in, 0, sizeof in);
  memset(&part, 0, sizeof part);
  part.known = 1, part.ready = 1;
  in.now_s = 100000;
  in.local = tm_of(2026, 6, 1, 12, 5, 10);
  in.panel = panel_of(2026, 6, 1, 12, 0);
  in.panel_at_s = in.now_s - 300;
  in.panel_local = tm_of(2026, 6, 1, 12, 0, 30);
  in.synced = true;
  in.part = &part;
  in.last_key_s = -1;
  in.last_ok_s = in.now_s - 3600;
  in.last_try_s = in.now_s - 3600;
  return in;
}

static void test_drift_arithmetic(void) {
  kb_time_t p = panel_of(2026, 1, 1, 0, 0);
  kb_clock_tm_t h = tm_of(2025, 12, 31, 23, 59, 0);
  KT_EQ(kb_clock_drift(&p, &h), 1); /* across a year */
  p = panel_of(2024, 3, 1, 0, 0);
  h = tm_of(2024, 2, 29, 0, 0, 0);
  KT_EQ(kb_clock_drift(&p, &h), 1440); /* a leap day */
  p = panel_of(2026, 6, 1, 9, 0);
  h = tm_of(2026, 6, 1, 12, 30, 0);
  KT_EQ(kb_clock_drift(&p, &h), -210);
}

static void test_drift_below_a_minute_waits_a_day(void) {
  kb_clock_in_t in = base();
  int32_t d = 99;
  in.panel_local = tm_of(2026, 6, 1, 12, 1, 59); /* the panel one minute behind */
  KT_EQ(kb_clock_decide(&in, &d), KB_CLOCK_IN_SYNC);
  KT_EQ(d, -1);
  in.panel_local = tm_of(2026, 5, 31, 23, 59, 0); /* across midnight, panel ahead by 1 */
  in.panel = panel_of(2026, 6, 1, 0, 0);
  KT_EQ(kb_clock_decide(&in, &d), KB_CLOCK_IN_SYNC);
  KT_EQ(d, 1);
}

static void test_drift_above_a_minute_sets(void) {
  kb_clock_in_t in = base();
  int32_t d = 0;
  in.panel_local = tm_of(2026, 6, 1, 12, 2, 0);
  KT_EQ(kb_clock_decide(&in, &d), KB_CLOCK_SET);
  KT_EQ(d, -2);
  in.panel = panel_of(2026, 6, 1, 15, 0); /* hours ahead */
  KT_EQ(kb_clock_decide(&in, &d), KB_CLOCK_SET);
  KT_EQ(d, 180 - 2);
  /* a drift does not bypass the pause between attempts */
  in.last_try_s = in.now_s - KB_CLOCK_RETRY_S + 1;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_BACKOFF);
  in.last_try_s = in.now_s - KB_CLOCK_RETRY_S;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_SET);
}

static void test_once_a_day(void) {
  kb_clock_in_t in = base();
  in.last_ok_s = in.now_s - KB_CLOCK_DAY_S + 1;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_IN_SYNC);
  in.last_ok_s = in.now_s - KB_CLOCK_DAY_S;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_SET);
  in.last_ok_s = -1; /* never set since start: set once */
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_SET);
  /* a failed attempt keeps the daily set due, after the pause */
  in.last_try_s = in.now_s - 10;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_BACKOFF);
}

/* The host's local time comes from its zone: on a DST change day the
 * panel, still on the old offset, is an hour off and is set at once. */
static void test_dst_change_day(void) {
  kb_clock_in_t in = base();
  time_t t;
  struct tm lt;
  int32_t d = 0;
  setenv("TZ", "Europe/Paris", 1);
  tzset();
  t = (time_t)1774746060; /* 2026-03-29 01:01:00 UTC: 03:01 CEST, a minute after the change */
  KT_CHECK(localtime_r(&t, &lt) != NULL);
  KT_EQ(lt.tm_hour, 3);
  KT_EQ(lt.tm_min, 1);
  in.local = KB_CLOCK_TM(&lt);
  in.panel_local = in.local;
  in.panel = panel_of(2026, 3, 29, 2, 1); /* the panel still on winter time */
  KT_EQ(kb_clock_decide(&in, &d), KB_CLOCK_SET);
  KT_EQ(d, -60);
  t = (time_t)1792891800; /* 2026-10-25 01:30:00 UTC: 02:30 CET, after the change back */
  KT_CHECK(localtime_r(&t, &lt) != NULL);
  KT_EQ(lt.tm_hour, 2);
  KT_EQ(lt.tm_min, 30);
  in.local = KB_CLOCK_TM(&lt);
  in.panel_local = in.local;
  in.panel = panel_of(2026, 10, 25, 3, 30); /* the panel still on summer time */
  KT_EQ(kb_clock_decide(&in, &d), KB_CLOCK_SET);
  KT_EQ(d, 60);
  /* the same day, once set: in sync */
  in.panel = panel_of(2026, 10, 25, 2, 30);
  KT_EQ(kb_clock_decide(&in, &d), KB_CLOCK_IN_SYNC);
  KT_EQ(d, 0);
}

static void test_not_ready(void) {
  kb_clock_in_t in = base();
  in.last_ok_s = -1;
  part.ready = 0;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_NOT_READY);
  part.ready = 1, part.known = 0;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_NOT_READY);
  part.known = 1;
  in.synced = false;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_NOT_READY);
  in.synced = true;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_SET);
}

static void test_armed(void) {
  kb_clock_in_t in = base();
  in.last_ok_s = -1;
  part.armed = KB_ARMED_STAY;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_ARMED);
  part.armed = KB_ARMED_NONE, part.exit_delay = 1;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_ARMED);
  part.exit_delay = 0, part.alarm = 1;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_ARMED);
  part.alarm = 0;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_SET);
  /* an armed panel's ready light is off too: the reason is still "armed" */
  part.armed = KB_ARMED_AWAY, part.ready = 0;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_ARMED);
}

static void test_recent_key(void) {
  kb_clock_in_t in = base();
  in.last_ok_s = -1;
  in.last_key_s = in.now_s - KB_CLOCK_KEY_QUIET_S + 1;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_KEYPAD);
  in.last_key_s = in.now_s - KB_CLOCK_KEY_QUIET_S;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_SET);
}

static void test_no_panel_time_yet(void) {
  kb_clock_in_t in = base();
  in.last_ok_s = -1;
  in.panel_at_s = -1; /* none since start (or since the last set) */
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_NO_TIME);
  in.panel_at_s = in.now_s;
  in.panel.valid = 0;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_NO_TIME);
}

static void test_busy_and_minute_end(void) {
  kb_clock_in_t in = base();
  in.last_ok_s = -1;
  in.busy = true;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_BUSY);
  in.busy = false;
  in.local.second = KB_CLOCK_MINUTE_END_S;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_MINUTE_END);
  in.local.second = KB_CLOCK_MINUTE_END_S - 1;
  KT_EQ(kb_clock_decide(&in, NULL), KB_CLOCK_SET);
  KT_STREQ(kb_clock_why_name(KB_CLOCK_KEYPAD), "keypad_in_use");
}

KT_MAIN(KT_CASE(test_drift_arithmetic), KT_CASE(test_drift_below_a_minute_waits_a_day),
        KT_CASE(test_drift_above_a_minute_sets), KT_CASE(test_once_a_day), KT_CASE(test_dst_change_day),
        KT_CASE(test_not_ready), KT_CASE(test_armed), KT_CASE(test_recent_key), KT_CASE(test_no_panel_time_yet),
        KT_CASE(test_busy_and_minute_end))
