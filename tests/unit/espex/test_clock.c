/* SPDX-License-Identifier: MIT
 *
 * test_clock.c - the ESP-IDF example's panel clock
 * (examples/esp-idf-mqtt/main/kbm_clock.c) on the host: the real engine
 * (kb_bus) behind the simulated panel and wire (src/sim), SNTP and the
 * C library's local time replaced by a virtual wall clock in a POSIX TZ
 * zone (the example's CONFIG_KBM_TZ form). It checks: nothing is decided
 * before SNTP has set the time; then the panel, whose clock starts years
 * off, is set once to the zone's local time (summer time included) through
 * the virtual keypad's *6 request, the result logged; not while the
 * partition is armed; a refused code is tried again only after the pause;
 * the request's notes are the clock's own; the code is never logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KBM_HA_HEADER "ha/kb_ha.h"
#define KBM_CLOCK_HEADER "ha/kb_clock.h"
#include "../../../examples/esp-idf-mqtt/main/kbm_clock.c"
#include "harness.h"
#include "sim/kb_sim_panel.h"
#include "sim/kb_wire.h"

#define CODE "7913"   /* the *6 code given to the clock: never logged */
#define USER "1234"   /* user 1, for arming in the test */
#define TZ_CET "CET-1CEST,M3.5.0,M10.5.0/3"
/* 2026-06-01 10:00:00 UTC = 12:00 CEST: the wall clock at virtual time 0 */
#define WALL0 1780308000

static kb_bus_t BUS;
static kbm_clock_t CLK;
static kb_sim_panel_t PANEL;
static kb_wire_t WIRE;
static uint64_t now_us;
static bool sntp_synced;     /* io.wall says the time is set */
static int64_t wall_offset;  /* added to the virtual wall clock */
static char LOG[128][KBM_LOG_LINE];
static unsigned n_log;
static bool code_leaked;
static int bus_locked, lock_errors;
static unsigned other_notes; /* notes of the clock's request handed to the "bridge" */
static unsigned time_sets;   /* the panel's clock was set (KB_SIM_ACT_TIME_SET) */

static bool io_wall(void *ctx, int64_t *epoch_s) {
  (void)ctx;
  if (!sntp_synced) return false;
  *epoch_s = WALL0 + wall_offset + (int64_t)(now_us / 1000000u);
  return true;
}
static bool io_local(void *ctx, int64_t epoch_s, kb_clock_tm_t *out) {
  time_t t = (time_t)epoch_s;
  struct tm lt;
  (void)ctx;
  if (!localtime_r(&t, &lt)) return false;
  *out = KB_CLOCK_TM(&lt);
  return true;
}
static int64_t io_mono_s(void *ctx) {
  (void)ctx;
  return (int64_t)(now_us / 1000000u);
}
static kb_bus_t *io_bus_lock(void *ctx, bool *running) {
  (void)ctx;
  if (bus_locked) lock_errors++;
  *running = true;
  bus_locked = 1;
  return &BUS;
}
static void io_bus_unlock(void *ctx) {
  (void)ctx;
  if (!bus_locked) lock_errors++;
  bus_locked = 0;
}
static void io_log(void *ctx, kbm_level_t level, const char *line) {
  (void)ctx;
  (void)level;
  if (bus_locked) lock_errors++; /* never on the keybus task or with its lock held */
  if (strstr(line, CODE)) code_leaked = true;
  snprintf(LOG[n_log % 128], KBM_LOG_LINE, "%s", line);
  n_log++;
}

static void on_event(void *ctx, const kb_event_t *ev) { kbm_clock_on_event(ctx, ev); }
static void on_keys(void *ctx, const kb_keys_note_t *n) {
  if (kbm_clock_on_keys(ctx, n)) return;
  if (CLK.req && n->id == CLK.req) other_notes++;
}
static void on_act(void *ctx, const kb_sim_act_t *a) {
  (void)ctx;
  if (a->type == KB_SIM_ACT_TIME_SET) time_sets++;
}

/* the keybus task: a poll with the bus lock held, the callbacks inside */
static void task(void *ctx, uint64_t t) {
  (void)ctx;
  now_us = t;
  bus_locked = 1;
  kb_bus_poll(&BUS, (uint32_t)t);
  bus_locked = 0;
}

/* runs the bus for ms milliseconds, the publisher's check every 100 ms */
static void run_ms(unsigned ms) {
  uint64_t end = kb_wire_now(&WIRE) + (uint64_t)ms * 1000u;
  while (kb_wire_now(&WIRE) < end) {
    kb_wire_run_until(&WIRE, kb_wire_now(&WIRE) + 100000u);
    kbm_clock_step(&CLK);
  }
}

static void setup(const char *code) {
  kb_sim_cfg_t sc;
  kb_wire_cfg_t wc;
  kb_wire_port_t port;
  kb_bus_cfg_t bc;
  kbm_clock_io_t io = {io_wall, io_local, io_mono_s, io_bus_lock, io_bus_unlock, io_log, NULL};
  setenv("TZ", TZ_CET, 1);
  tzset();
  n_log = 0;
  code_leaked = false;
  bus_locked = lock_errors = 0;
  other_notes = time_sets = 0;
  sntp_synced = false;
  wall_offset = 0;
  KT_EQ(kbm_clock_init(&CLK, &io, 1, code), KB_OK);
  memset(&bc, 0, sizeof bc);
  bc.event_cb = on_event;
  bc.event_ctx = &CLK;
  bc.keys_cb = on_keys;
  bc.keys_ctx = &CLK;
  kb_bus_init(&BUS, &bc);
  kb_sim_cfg_default(&sc, 1);
  memset(sc.code, 0, sizeof sc.code);
  snprintf(sc.code[1], sizeof sc.code[1], "%s", USER);
  snprintf(sc.code[KB_SIM_MASTER], sizeof sc.code[KB_SIM_MASTER], "%s", CODE);
  sc.timestamp_s = 10; /* a report every 10 s instead of 60: a shorter test */
  now_us = 1000000;
  kb_sim_panel_init(&PANEL, &sc, now_us);
  kb_sim_panel_on_act(&PANEL, on_act, NULL);
  kb_wire_cfg_default(&wc);
  wc.idle_task = true;
  wc.task_us = 5000;
  memset(&port, 0, sizeof port);
  port.link = kb_bus_link(&BUS);
  port.task = task;
  kb_wire_init(&WIRE, &wc, &PANEL, &port, NULL, now_us);
}

static unsigned logged(const char *text) {
  unsigned n = 0;
  for (unsigned i = n_log > 128 ? n_log - 128 : 0; i < n_log; i++)
    if (strstr(LOG[i % 128], text)) n++;
  return n;
}

/* the panel's clock is the zone's local time now (to the minute; the
 * minute may have turned since) */
static bool panel_on_local_time(void) {
  const kb_sim_time_t *p = &kb_sim_panel_truth(&PANEL)->time;
  time_t t = (time_t)(WALL0 + wall_offset + (int64_t)(now_us / 1000000u));
  struct tm lt;
  int32_t d;
  kb_time_t pt;
  kb_clock_tm_t l;
  if (!localtime_r(&t, &lt)) return false;
  l = KB_CLOCK_TM(&lt);
  memset(&pt, 0, sizeof pt);
  pt.year = p->year, pt.month = p->month, pt.day = p->day, pt.hour = p->hour, pt.minute = p->minute;
  d = kb_clock_drift(&pt, &l);
  return d >= -1 && d <= 0;
}

static void test_not_before_sntp(void) {
  setup(CODE);
  run_ms(70000); /* synced, several reports, a minute without keys: all but the time */
  KT_CHECK(kb_bus_status(&BUS)->synced);
  KT_CHECK(kb_bus_status(&BUS)->time.valid);
  KT_EQ(time_sets, 0);
  KT_EQ(kb_bus_keys_pending(&BUS), 0);
  KT_EQ(logged("waiting for SNTP"), 1); /* said once */
  KT_EQ(logged("setting it"), 0);
  KT_EQ(logged("refused"), 0);
  KT_EQ(CLK.failures, 0);
  KT_EQ(kb_sim_panel_truth(&PANEL)->time.year, 2024);
  /* a wall clock that says "set" but is still on 1970 is not trusted */
  sntp_synced = true;
  wall_offset = -(int64_t)WALL0;
  run_ms(20000);
  KT_EQ(time_sets, 0);
  KT_EQ(logged("setting it"), 0);
  KT_EQ(logged("refused"), 0); /* not even tried */
  KT_EQ(logged("local time is"), 0);
  KT_EQ(CLK.failures, 0);
  KT_EQ(lock_errors, 0);
  KT_CHECK(!code_leaked);
}

/* SNTP syncs: the panel, on 2024-01-15, is set to 12:0x CEST on
 * 2026-06-01 (UTC+2: the TZ string's summer time), once */
static void test_sets_once_after_sync(void) {
  setup(CODE);
  run_ms(30000);
  KT_EQ(logged("setting it"), 0);
  sntp_synced = true;
  run_ms(3000); /* the report from before the sync is used at once */
  KT_EQ(logged("setting it to 2026-06-01 12:"), 1);
  KT_EQ(logged("local time is 2026-06-01 12:"), 1);
  run_ms(20000);
  KT_EQ(time_sets, 1);
  KT_EQ(logged("panel clock: set (request"), 1);
  KT_EQ(CLK.sets, 1);
  KT_CHECK(panel_on_local_time());
  KT_EQ(other_notes, 0); /* its notes were the clock's: no command result */
  run_ms(40000); /* reports agree: nothing more to do */
  KT_EQ(time_sets, 1);
  KT_EQ(logged("setting it"), 1);
  KT_CHECK(logged("min ahead of local time") + logged("min behind local time") >= 2); /* before and after */
  KT_CHECK(panel_on_local_time());
  KT_EQ(lock_errors, 0);
  KT_CHECK(!code_leaked);
}

static void test_not_while_armed(void) {
  uint16_t id = 0;
  setup(CODE);
  run_ms(5000);
  KT_EQ(kb_bus_keys_submit(&BUS, 1, "w", USER, &id), KB_OK); /* arm away */
  run_ms(20000); /* exit delay (10 s) over */
  KT_EQ(kb_bus_status(&BUS)->part[0].armed, KB_ARMED_AWAY);
  sntp_synced = true;
  run_ms(30000);
  KT_EQ(time_sets, 0);
  KT_EQ(logged("setting it"), 0);
  KT_EQ(logged("not now (armed)"), 1);
  KT_EQ(kb_sim_panel_truth(&PANEL)->time.year, 2024);
  KT_EQ(kb_bus_keys_submit(&BUS, 1, USER, NULL, &id), KB_OK); /* disarm */
  run_ms(25000);
  KT_EQ(kb_bus_status(&BUS)->part[0].armed, KB_ARMED_NONE);
  KT_EQ(time_sets, 1);
  KT_CHECK(panel_on_local_time());
  KT_EQ(lock_errors, 0);
  KT_CHECK(!code_leaked);
}

/* a code the panel refuses: the failure is logged (without the code) and
 * not tried again before the 10-minute pause */
static void test_wrong_code(void) {
  setup("2468");
  sntp_synced = true;
  run_ms(40000);
  KT_EQ(time_sets, 0);
  KT_EQ(logged("setting it"), 1);
  KT_EQ(logged("ended"), 1);
  KT_EQ(CLK.failures, 1);
  KT_EQ(logged("2468"), 0);
  run_ms(60000);
  KT_EQ(logged("setting it"), 1);
  KT_EQ(logged("not now (backoff)"), 1);
  KT_EQ(time_sets, 0);
}

static void test_init_refuses(void) {
  kbm_clock_io_t io = {io_wall, io_local, io_mono_s, io_bus_lock, io_bus_unlock, io_log, NULL};
  kbm_clock_t c;
  KT_EQ(kbm_clock_init(&c, &io, 1, "123"), KB_ERR_CODE);
  KT_EQ(kbm_clock_init(&c, &io, 1, "12a4"), KB_ERR_CODE);
  KT_EQ(kbm_clock_init(&c, &io, 1, ""), KB_ERR_CODE);
  KT_EQ(kbm_clock_init(&c, &io, 0, "1234"), KB_ERR_PARTITION);
  KT_EQ(kbm_clock_init(&c, &io, 9, "1234"), KB_ERR_PARTITION);
  KT_EQ(kbm_clock_init(&c, &io, 8, "123456"), KB_OK);
  /* a refused configuration leaves the clock off: its calls do nothing */
  KT_EQ(kbm_clock_init(&c, &io, 1, NULL), KB_ERR_CODE);
  n_log = 0;
  kbm_clock_step(&c);
  KT_EQ(n_log, 0);
}

KT_MAIN(KT_CASE(test_not_before_sntp), KT_CASE(test_sets_once_after_sync), KT_CASE(test_not_while_armed),
        KT_CASE(test_wrong_code), KT_CASE(test_init_refuses))
