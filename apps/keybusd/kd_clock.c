/* SPDX-License-Identifier: MIT
 *
 * kd_clock.c - keybusd --sync-time's decision (kd_clock.h).
 */
#include "kd_clock.h"

#include <stdlib.h>

/* Days since 1970-01-01 of a civil date (proleptic Gregorian): plain
 * arithmetic, so no time zone (and no DST rule) is involved. */
static int64_t days_civil(int64_t y, unsigned m, unsigned d) {
  int64_t era;
  unsigned yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (unsigned)(y - era * 400);
  doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

int32_t kd_clock_drift(const kb_time_t *panel, const struct tm *local) {
  int64_t p = days_civil(panel->year, panel->month, panel->day) * 1440 + panel->hour * 60 + panel->minute;
  int64_t h = days_civil((int64_t)local->tm_year + 1900, (unsigned)local->tm_mon + 1, (unsigned)local->tm_mday) * 1440 +
              local->tm_hour * 60 + local->tm_min;
  int64_t d = p - h;
  if (d > INT32_MAX) d = INT32_MAX;
  if (d < -INT32_MAX) d = -INT32_MAX;
  return (int32_t)d;
}

kd_clock_why_t kd_clock_decide(const kd_clock_in_t *in, int32_t *drift) {
  int32_t dr = 0;
  bool have = in->panel_at_s >= 0 && in->panel.valid;
  if (have) dr = kd_clock_drift(&in->panel, &in->panel_local);
  if (drift) *drift = dr;
  if (in->busy) return KD_CLOCK_BUSY;
  if (!have) return KD_CLOCK_NO_TIME;
  /* the panel reports minutes: a difference of one minute is its resolution */
  if (labs((long)dr) <= 1 && in->last_ok_s >= 0 && in->now_s - in->last_ok_s < KD_CLOCK_DAY_S) return KD_CLOCK_IN_SYNC;
  if (in->last_try_s >= 0 && in->now_s - in->last_try_s < KD_CLOCK_RETRY_S) return KD_CLOCK_BACKOFF;
  if (!in->synced || !in->part || !in->part->known || !in->part->ready) return KD_CLOCK_NOT_READY;
  if (in->part->armed != KB_ARMED_NONE || in->part->exit_delay || in->part->entry_delay || in->part->alarm ||
      in->part->fire)
    return KD_CLOCK_ARMED;
  if (in->last_key_s >= 0 && in->now_s - in->last_key_s < KD_CLOCK_KEY_QUIET_S) return KD_CLOCK_KEYPAD;
  if (in->local.tm_sec >= KD_CLOCK_MINUTE_END_S) return KD_CLOCK_MINUTE_END;
  return KD_CLOCK_SET;
}

const char *kd_clock_why_name(kd_clock_why_t w) {
  switch (w) {
    case KD_CLOCK_SET: return "set";
    case KD_CLOCK_IN_SYNC: return "in_sync";
    case KD_CLOCK_NO_TIME: return "no_panel_time";
    case KD_CLOCK_NOT_READY: return "not_ready";
    case KD_CLOCK_ARMED: return "armed";
    case KD_CLOCK_KEYPAD: return "keypad_in_use";
    case KD_CLOCK_BUSY: return "busy";
    case KD_CLOCK_BACKOFF: return "backoff";
    case KD_CLOCK_MINUTE_END: return "minute_end";
  }
  return "?";
}
