/* SPDX-License-Identifier: MIT
 *
 * kd_clock.h - keybusd --sync-time: when to set the panel's clock (pure
 * decision logic, no I/O, no clock of its own; docs/keybusd.md "Panel clock").
 *
 * What it promises
 *   kd_clock_decide() says whether the panel clock should be set now, or
 *   why not, from facts the caller gathers: the panel's time and the host's
 *   local time (both local wall-clock times, so a DST change is just a drift
 *   of an hour that the next decision corrects), the target partition's
 *   state, the last keypad key and the last attempts. It sets the clock:
 *     - only once the panel has reported its time (0xA5, minute resolution);
 *     - only when the partition is ready, disarmed, without delay or alarm,
 *       and no keypad key was seen for KD_CLOCK_KEY_QUIET_S;
 *     - at most once per KD_CLOCK_DAY_S, unless the panel's time differs
 *       from the host's by more than one minute;
 *     - never more often than KD_CLOCK_RETRY_S between attempts (a refused
 *       or failed request is not retried in a loop);
 *     - not in the last seconds of a host minute (the request takes a few
 *       seconds to type: the minute it sets must still be the right one).
 * Who calls it: keybusd's main thread (the one that owns kb_bus). Times are
 * seconds of one monotonic clock chosen by the caller; -1 means "never".
 */
#ifndef KD_CLOCK_H_
#define KD_CLOCK_H_

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "keybus/keybus.h"

#define KD_CLOCK_DAY_S 86400
#define KD_CLOCK_RETRY_S 600     /* between two attempts, whatever their result */
#define KD_CLOCK_KEY_QUIET_S 60  /* no keypad key for this long: no one is at a keypad */
#define KD_CLOCK_MINUTE_END_S 50 /* host seconds from which a set waits for the next minute */

typedef enum {
  KD_CLOCK_SET = 0,        /* set the panel clock now (kd_clock_t.want) */
  KD_CLOCK_IN_SYNC,        /* nothing to do: set less than a day ago, drift <= 1 min */
  KD_CLOCK_NO_TIME,        /* the panel has not reported its time (since the last set) */
  KD_CLOCK_NOT_READY,      /* engine not synced, or the partition not ready */
  KD_CLOCK_ARMED,          /* armed, in a delay or in alarm */
  KD_CLOCK_KEYPAD,         /* someone pressed a keypad key less than a minute ago */
  KD_CLOCK_BUSY,           /* a set-time request is still being typed */
  KD_CLOCK_BACKOFF,        /* the last attempt was less than KD_CLOCK_RETRY_S ago */
  KD_CLOCK_MINUTE_END      /* too close to the end of the host's minute */
} kd_clock_why_t;

/* What the caller knows; the decision reads only this. */
typedef struct {
  int64_t now_s;        /* monotonic seconds */
  struct tm local;      /* the host's local time now (localtime_r) */
  kb_time_t panel;      /* kb_status_t.time as last reported */
  int64_t panel_at_s;   /* when that time was reported (-1: not since the last set) */
  struct tm panel_local; /* the host's local time at that report */
  bool synced;          /* kb_status_t.synced */
  const kb_partition_t *part; /* the target partition's state */
  int64_t last_key_s;   /* last keypad key (KB_EV_KEY), -1 none */
  int64_t last_ok_s;    /* last set that ended done, -1 none */
  int64_t last_try_s;   /* last attempt, -1 none */
  bool busy;            /* a set-time request is pending */
} kd_clock_in_t;

/* Minutes the panel's clock is ahead of the host's local time (negative:
 * behind), both read as wall-clock dates and minutes. */
int32_t kd_clock_drift(const kb_time_t *panel, const struct tm *local);

/* The decision; *drift (may be NULL) receives the drift measured at the
 * panel's last report (0 when there is none). */
kd_clock_why_t kd_clock_decide(const kd_clock_in_t *in, int32_t *drift);

/* A short word for logs. */
const char *kd_clock_why_name(kd_clock_why_t w);

#endif
