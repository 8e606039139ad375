/* SPDX-License-Identifier: MIT
 *
 * kb_clock.h - keeping the panel's clock right: when to set it (pure
 * decision logic, no I/O, no clock of its own). Shared by keybusd
 * --sync-time (apps/keybusd/main.c) and the ESP-IDF example's SNTP clock
 * (examples/esp-idf-mqtt/main/kbm_clock.c): docs/keybusd.md "Panel clock",
 * docs/esp32.md.
 *
 * What it promises
 *   kb_clock_decide() says whether the panel clock should be set now, or
 *   why not, from facts the caller gathers: the panel's time and the host's
 *   local time (both local wall-clock times, so a DST change is just a drift
 *   of an hour that the next decision corrects), the target partition's
 *   state, the last keypad key and the last attempts. It sets the clock:
 *     - only once the panel has reported its time (0xA5, minute resolution);
 *     - only when the partition is ready, disarmed, without delay or alarm,
 *       and no keypad key was seen for KB_CLOCK_KEY_QUIET_S;
 *     - at most once per KB_CLOCK_DAY_S, unless the panel's time differs
 *       from the host's by more than one minute;
 *     - never more often than KB_CLOCK_RETRY_S between attempts (a refused
 *       or failed request is not retried in a loop);
 *     - not in the last seconds of a host minute (the request takes a few
 *       seconds to type: the minute it sets must still be the right one).
 *   Freestanding C11 like the rest of src/ha: no <time.h> (a freestanding
 *   implementation need not have it; ESP-IDF's and glibc's struct tm
 *   differ anyway), so local times are kb_clock_tm_t, which the caller
 *   fills from its localtime_r() with KB_CLOCK_TM().
 * Who calls it: the task that owns the kb_bus (keybusd's main thread, the
 * ESP example's publisher with the bus lock held); it keeps no state. Times
 * are seconds of one monotonic clock chosen by the caller; -1 means "never".
 */
#ifndef KB_CLOCK_H_
#define KB_CLOCK_H_

#include <stdbool.h>
#include <stdint.h>

#include "keybus/keybus.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KB_CLOCK_DAY_S 86400
#define KB_CLOCK_RETRY_S 600     /* between two attempts, whatever their result */
#define KB_CLOCK_KEY_QUIET_S 60  /* no keypad key for this long: no one is at a keypad */
#define KB_CLOCK_MINUTE_END_S 50 /* host seconds from which a set waits for the next minute */

typedef enum {
  KB_CLOCK_SET = 0,        /* set the panel clock now, to kb_clock_in_t.local */
  KB_CLOCK_IN_SYNC,        /* nothing to do: set less than a day ago, drift <= 1 min */
  KB_CLOCK_NO_TIME,        /* the panel has not reported its time (since the last set) */
  KB_CLOCK_NOT_READY,      /* engine not synced, or the partition not ready */
  KB_CLOCK_ARMED,          /* armed, in a delay or in alarm */
  KB_CLOCK_KEYPAD,         /* someone pressed a keypad key less than a minute ago */
  KB_CLOCK_BUSY,           /* a set-time request is still being typed */
  KB_CLOCK_BACKOFF,        /* the last attempt was less than KB_CLOCK_RETRY_S ago */
  KB_CLOCK_MINUTE_END      /* too close to the end of the host's minute */
} kb_clock_why_t;

/* A local wall-clock time, as a calendar says it (no zone, no DST flag). */
typedef struct {
  int32_t year;   /* e.g. 2026 */
  uint8_t month;  /* 1-12 */
  uint8_t day;    /* 1-31 */
  uint8_t hour;   /* 0-23 */
  uint8_t minute; /* 0-59 */
  uint8_t second; /* 0-60 */
} kb_clock_tm_t;

/* A kb_clock_tm_t from a struct tm pointer (a macro, so that this header
 * needs no <time.h>: use it where <time.h> is included). */
#define KB_CLOCK_TM(tmp)                                                                                  \
  kb_clock_tm((tmp)->tm_year + 1900, (tmp)->tm_mon + 1, (tmp)->tm_mday, (tmp)->tm_hour, (tmp)->tm_min, \
              (tmp)->tm_sec)
kb_clock_tm_t kb_clock_tm(int year, int month, int day, int hour, int minute, int second);

/* What the caller knows; the decision reads only this. */
typedef struct {
  int64_t now_s;            /* monotonic seconds */
  kb_clock_tm_t local;      /* the host's local time now */
  kb_time_t panel;          /* kb_status_t.time as last reported */
  int64_t panel_at_s;       /* when that time was reported (-1: not since the last set) */
  kb_clock_tm_t panel_local; /* the host's local time at that report */
  bool synced;              /* kb_status_t.synced */
  const kb_partition_t *part; /* the target partition's state */
  int64_t last_key_s;       /* last keypad key (KB_EV_KEY), -1 none */
  int64_t last_ok_s;        /* last set that ended done, -1 none */
  int64_t last_try_s;       /* last attempt, -1 none */
  bool busy;                /* a set-time request is pending */
} kb_clock_in_t;

/* Minutes the panel's clock is ahead of the host's local time (negative:
 * behind), both read as wall-clock dates and minutes. */
int32_t kb_clock_drift(const kb_time_t *panel, const kb_clock_tm_t *local);

/* The decision; *drift (may be NULL) receives the drift measured at the
 * panel's last report (0 when there is none). */
kb_clock_why_t kb_clock_decide(const kb_clock_in_t *in, int32_t *drift);

/* A short word for logs. */
const char *kb_clock_why_name(kb_clock_why_t w);

#ifdef __cplusplus
}
#endif

#endif
