/* SPDX-License-Identifier: MIT
 *
 * kbm_clock.h - the example's panel clock: keeps the panel's date and time
 * on SNTP time in the configured zone (CONFIG_KBM_TZ, a POSIX TZ string),
 * with the same rules as keybusd --sync-time (src/ha/kb_clock.h decides:
 * DST-safe, at most once a day unless the panel drifts more than a minute,
 * only when the partition is ready and disarmed and no keypad key was seen
 * for a minute, 10 minutes between attempts, not at the end of a minute)
 * and the same virtual-keypad set-time request (kb_bus_set_time).
 * Like kbm_bridge.c it includes no ESP-IDF header: app_main.c supplies the
 * platform (kbm_clock_io_t), so the same code runs on the host under
 * tests/unit/espex/test_clock.c.
 *
 * What it promises
 *   - No decision before the wall clock is set: io.wall says false until
 *     SNTP has synchronized (app_main.c: esp_netif_sntp's sync callback),
 *     and a wall clock before KBM_CLOCK_MIN_EPOCH is taken as not set.
 *   - The panel's report (KB_EV_TIME) is paired with the local time of the
 *     same moment: its monotonic second is noted on the keybus task, the
 *     wall time of that second is worked out when the check runs (so a
 *     report that came before SNTP synced is still usable).
 *   - The set-time request is the clock's own: kbm_clock_on_keys() claims
 *     its notes (no command result is published for it, as keybusd).
 *   - Its result is logged (set, refused, or the keypad's result word); the
 *     access code is copied at init, handed to kb_bus_set_time() only, and
 *     never formatted into a log line.
 *   - Memory: everything is in kbm_clock_t (placed statically by the caller).
 *
 * Who calls what, from where
 *   kbm_clock_init()      once, before the keybus starts.
 *   kbm_clock_on_event(), kbm_clock_on_keys()
 *                         the keybus task, inside kb_bus_poll(), bus lock
 *                         held; they only note facts (no log, no clock call
 *                         but io.mono_s).
 *   kbm_clock_step()      one task (the example's publisher), every 100 ms
 *                         or so: it checks once a monotonic second, taking
 *                         the bus lock (io.bus_lock) for the decision and
 *                         the request, and logs with no lock held.
 */
#ifndef KBM_CLOCK_H_
#define KBM_CLOCK_H_

#include <stdbool.h>
#include <stdint.h>

#include "kbm_bridge.h" /* kbm_level_t, src/ha (KBM_HA_HEADER), kb_bus.h */

#ifndef KBM_CLOCK_HEADER
#define KBM_CLOCK_HEADER "kb_clock.h"
#endif
#include KBM_CLOCK_HEADER

#ifdef __cplusplus
extern "C" {
#endif

/* 2024-01-01 00:00:00 UTC: an ESP32 whose clock was never set counts from
 * 1970; anything before this is not a real date */
#define KBM_CLOCK_MIN_EPOCH 1704067200

typedef struct {
  /* seconds since 1970-01-01 UTC; false while the wall clock is not set
   * (SNTP has not synchronized yet) */
  bool (*wall)(void *ctx, int64_t *epoch_s);
  /* the local time (the configured zone) of an epoch second; false if the
   * C library cannot say */
  bool (*local)(void *ctx, int64_t epoch_s, kb_clock_tm_t *out);
  /* monotonic seconds since any origin (esp_timer) */
  int64_t (*mono_s)(void *ctx);
  /* the bus, locked, or NULL (the keybus component is not running, or the
   * lock timed out: the check is skipped this second) */
  kb_bus_t *(*bus_lock)(void *ctx, bool *running);
  void (*bus_unlock)(void *ctx);
  /* one finished line, no newline; may be NULL */
  void (*log)(void *ctx, kbm_level_t level, const char *line);
  void *ctx;
} kbm_clock_io_t;

typedef struct {
  kbm_clock_io_t io;
  uint8_t partition;
  char code[KB_KEYS_CODE_MAX + 1]; /* secret: never logged */

  /* behind the bus lock (written by the keybus task) */
  int64_t panel_at_s;   /* the panel's last time report (mono), -1 none since start or the last set */
  int64_t last_key_s;   /* last keypad key (mono), -1 none */
  uint16_t req;         /* the set-time request being typed, 0 none */
  bool ended;           /* req ended: the fields below wait for the step */
  uint16_t end_id;
  kb_keys_info_t end;   /* its result (no code in it) */

  /* the stepping task's own */
  int64_t checked_s, last_ok_s, last_try_s;
  bool wall_seen;       /* the wall clock was set at a check (logged once) */
  bool waiting_said;    /* "waiting for SNTP" logged */
  bool reported;        /* the panel's time was logged since the last set */
  int32_t logged_drift;
  int64_t logged_at_s;  /* the report last considered for the log */
  int last_why;         /* the last reason logged, -1 none */
  uint32_t sets, failures; /* requests that ended done / otherwise (or refused) */
} kbm_clock_t;

/* KB_OK, or KB_ERR_PARTITION (not 1..8) / KB_ERR_CODE (not 4 or 6 digits):
 * the clock then stays off. io is copied, code too. */
kb_err_t kbm_clock_init(kbm_clock_t *c, const kbm_clock_io_t *io, uint8_t partition, const char *code);

/* kb_bus_cfg_t callbacks' share (keybus task, bus lock held). on_keys
 * returns true for the notes of the clock's own request: the caller then
 * does not hand them to the bridge. */
void kbm_clock_on_event(kbm_clock_t *c, const kb_event_t *ev);
bool kbm_clock_on_keys(kbm_clock_t *c, const kb_keys_note_t *n);

/* The periodic check (see above). */
void kbm_clock_step(kbm_clock_t *c);

#ifdef __cplusplus
}
#endif

#endif /* KBM_CLOCK_H_ */
