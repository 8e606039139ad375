/* SPDX-License-Identifier: MIT
 *
 * kb_clock.c - when to set the panel's clock (kb_clock.h).
 */
#include "kb_clock.h"

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

static uint8_t u8(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

kb_clock_tm_t kb_clock_tm(int year, int month, int day, int hour, int minute, int second) {
  kb_clock_tm_t t;
  t.year = year;
  t.month = u8(month);
  t.day = u8(day);
  t.hour = u8(hour);
  t.minute = u8(minute);
  t.second = u8(second);
  return t;
}

int32_t kb_clock_drift(const kb_time_t *panel, const kb_clock_tm_t *local) {
  int64_t p = days_civil(panel->year, panel->month, panel->day) * 1440 + panel->hour * 60 + panel->minute;
  int64_t h = days_civil(local->year, local->month, local->day) * 1440 + local->hour * 60 + local->minute;
  int64_t d = p - h;
  if (d > INT32_MAX) d = INT32_MAX;
  if (d < -INT32_MAX) d = -INT32_MAX;
  return (int32_t)d;
}

kb_clock_why_t kb_clock_decide(const kb_clock_in_t *in, int32_t *drift) {
  int32_t dr = 0;
  bool have = in->panel_at_s >= 0 && in->panel.valid;
  if (have) dr = kb_clock_drift(&in->panel, &in->panel_local);
  if (drift) *drift = dr;
  if (in->busy) return KB_CLOCK_BUSY;
  if (!have) return KB_CLOCK_NO_TIME;
  /* the panel reports minutes: a difference of one minute is its resolution */
  if (dr >= -1 && dr <= 1 && in->last_ok_s >= 0 && in->now_s - in->last_ok_s < KB_CLOCK_DAY_S) return KB_CLOCK_IN_SYNC;
  if (in->last_try_s >= 0 && in->now_s - in->last_try_s < KB_CLOCK_RETRY_S) return KB_CLOCK_BACKOFF;
  if (!in->synced || !in->part || !in->part->known) return KB_CLOCK_NOT_READY;
  /* before the ready light: an armed panel's is off too, and "armed" is the
   * reason worth logging */
  if (in->part->armed != KB_ARMED_NONE || in->part->exit_delay || in->part->entry_delay || in->part->alarm ||
      in->part->fire)
    return KB_CLOCK_ARMED;
  if (!in->part->ready) return KB_CLOCK_NOT_READY;
  if (in->last_key_s >= 0 && in->now_s - in->last_key_s < KB_CLOCK_KEY_QUIET_S) return KB_CLOCK_KEYPAD;
  if (in->local.second >= KB_CLOCK_MINUTE_END_S) return KB_CLOCK_MINUTE_END;
  return KB_CLOCK_SET;
}

const char *kb_clock_why_name(kb_clock_why_t w) {
  switch (w) {
    case KB_CLOCK_SET: return "set";
    case KB_CLOCK_IN_SYNC: return "in_sync";
    case KB_CLOCK_NO_TIME: return "no_panel_time";
    case KB_CLOCK_NOT_READY: return "not_ready";
    case KB_CLOCK_ARMED: return "armed";
    case KB_CLOCK_KEYPAD: return "keypad_in_use";
    case KB_CLOCK_BUSY: return "busy";
    case KB_CLOCK_BACKOFF: return "backoff";
    case KB_CLOCK_MINUTE_END: return "minute_end";
  }
  return "?";
}
