/* SPDX-License-Identifier: MIT
 *
 * kbm_clock.c - the example's panel clock (kbm_clock.h): SNTP time in, the
 * shared decision (src/ha/kb_clock.c), keybusd's set-time request out
 * (apps/keybusd/main.c, clock_step). No ESP-IDF header, no allocation.
 */
#include "kbm_clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void say(kbm_clock_t *c, kbm_level_t level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void say(kbm_clock_t *c, kbm_level_t level, const char *fmt, ...) {
  char line[KBM_LOG_LINE];
  va_list ap;
  if (!c->io.log) return;
  va_start(ap, fmt);
  (void)vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  c->io.log(c->io.ctx, level, line);
}

static long absl(int32_t v) { return v < 0 ? -(long)v : (long)v; }

kb_err_t kbm_clock_init(kbm_clock_t *c, const kbm_clock_io_t *io, uint8_t partition, const char *code) {
  size_t n = code ? strlen(code) : 0;
  memset(c, 0, sizeof *c);
  c->io = *io;
  c->panel_at_s = c->last_key_s = c->checked_s = c->last_ok_s = c->last_try_s = c->logged_at_s = -1;
  c->last_why = -1;
  if (partition < 1 || partition > KB_MAX_PARTITIONS) return KB_ERR_PARTITION;
  if (n != 4 && n != 6) return KB_ERR_CODE;
  for (size_t i = 0; i < n; i++)
    if (code[i] < '0' || code[i] > '9') return KB_ERR_CODE;
  c->partition = partition;
  memcpy(c->code, code, n + 1);
  return KB_OK;
}

/* ------------------------------------------------------------- keybus task */

void kbm_clock_on_event(kbm_clock_t *c, const kb_event_t *ev) {
  if (!c->partition) return; /* off */
  if (ev->type == KB_EV_KEY) /* someone at a keypad (the keys we type are not reported) */
    c->last_key_s = c->io.mono_s(c->io.ctx);
  else if (ev->type == KB_EV_TIME)
    c->panel_at_s = c->io.mono_s(c->io.ctx);
}

bool kbm_clock_on_keys(kbm_clock_t *c, const kb_keys_note_t *n) {
  if (!c->req || n->id != c->req) return false;
  if (n->type == KB_KEYS_NOTE_END) {
    c->req = 0;
    c->ended = true;
    c->end_id = n->id;
    memset(&c->end, 0, sizeof c->end);
    c->end.result = n->result;
    c->end.status = n->status;
    c->end.reason = n->reason;
    /* the drift is measured again at the panel's next report */
    if (n->result == KB_KEYS_DONE) c->panel_at_s = -1;
  }
  return true;
}

/* ---------------------------------------------------------- stepping task */

/* What the keybus task left, and the decision; then the request. Bus lock
 * held; nothing logged here (the caller logs from what it returns). */
typedef struct {
  bool ended;
  uint16_t end_id;
  kb_keys_info_t end;
  bool have_report;       /* a panel report to log */
  kb_time_t panel;
  int32_t drift;
  kb_clock_why_t why;
  kb_err_t e;             /* the set-time request (why == SET) */
  uint16_t req;
} step_t;

static void locked_step(kbm_clock_t *c, kb_bus_t *bus, int64_t now, int64_t wall, const kb_clock_tm_t *local,
                        step_t *s) {
  const kb_status_t *st = kb_bus_status(bus);
  kb_clock_in_t in;
  s->ended = c->ended;
  s->end_id = c->end_id;
  s->end = c->end;
  c->ended = false;
  if (s->ended && s->end.result == KB_KEYS_DONE) {
    c->last_ok_s = now;
    c->reported = false;
  }
  memset(&in, 0, sizeof in);
  in.now_s = now;
  in.local = *local;
  in.panel = st->time;
  in.panel_at_s = c->panel_at_s;
  /* the local time at the report: the wall clock now, minus the monotonic
   * seconds since (so a report from before SNTP's first sync counts too) */
  if (in.panel_at_s >= 0 && !c->io.local(c->io.ctx, wall - (now - in.panel_at_s), &in.panel_local))
    in.panel_at_s = -1;
  in.synced = st->synced != 0;
  in.part = &st->part[c->partition - 1];
  in.last_key_s = c->last_key_s;
  in.last_ok_s = c->last_ok_s;
  in.last_try_s = c->last_try_s;
  in.busy = c->req != 0;
  s->why = kb_clock_decide(&in, &s->drift);
  s->panel = st->time;
  s->have_report = in.panel_at_s >= 0 && in.panel.valid && in.panel_at_s != c->logged_at_s;
  if (s->have_report) c->logged_at_s = in.panel_at_s;
  if (s->why != KB_CLOCK_SET) return;
  c->last_try_s = now;
  s->e = kb_bus_set_time(bus, c->partition, (uint16_t)local->year, local->month, local->day, local->hour,
                         local->minute, c->code, &s->req);
  if (s->e == KB_OK) c->req = s->req;
}

void kbm_clock_step(kbm_clock_t *c) {
  int64_t now, wall = 0;
  kb_clock_tm_t local;
  kb_bus_t *bus;
  bool running = false;
  step_t s;
  if (!c->partition) return; /* off */
  now = c->io.mono_s(c->io.ctx);
  if (now == c->checked_s) return;
  c->checked_s = now;
  /* no decision on a clock SNTP has not set: the panel would get 1970 */
  if (!c->io.wall(c->io.ctx, &wall) || wall < KBM_CLOCK_MIN_EPOCH) {
    if (!c->waiting_said) say(c, KBM_LOG_INFO, "panel clock: waiting for SNTP to set the time");
    c->waiting_said = true;
    return;
  }
  if (!c->io.local(c->io.ctx, wall, &local)) return;
  if (!c->wall_seen) {
    c->wall_seen = true;
    say(c, KBM_LOG_INFO, "panel clock: local time is %04ld-%02u-%02u %02u:%02u:%02u (SNTP)", (long)local.year,
        (unsigned)local.month, (unsigned)local.day, (unsigned)local.hour, (unsigned)local.minute,
        (unsigned)local.second);
  }
  memset(&s, 0, sizeof s);
  bus = c->io.bus_lock(c->io.ctx, &running);
  if (!bus) return; /* stopped, or busy for longer than the wait: next second */
  locked_step(c, bus, now, wall, &local, &s);
  c->io.bus_unlock(c->io.ctx);

  /* the log, with no lock held (the same lines as keybusd's) */
  if (s.ended) {
    if (s.end.result == KB_KEYS_DONE) {
      c->sets++;
      say(c, KBM_LOG_INFO, "panel clock: set (request %u done); next routine set in 24 h", (unsigned)s.end_id);
    } else {
      c->failures++;
      say(c, KBM_LOG_WARNING, "panel clock: request %u ended %s; next try in %d min", (unsigned)s.end_id,
          kb_ha_result_word((kb_keys_result_t)s.end.result, &s.end), KB_CLOCK_RETRY_S / 60);
    }
  }
  /* once, then when the drift changes beyond the panel's resolution */
  if (s.have_report && (!c->reported || ((s.drift > 1 || s.drift < -1) && s.drift != c->logged_drift))) {
    say(c, KBM_LOG_INFO, "panel clock: the panel says %04u-%02u-%02u %02u:%02u, %ld min %s local time",
        (unsigned)s.panel.year, (unsigned)s.panel.month, (unsigned)s.panel.day, (unsigned)s.panel.hour,
        (unsigned)s.panel.minute, absl(s.drift), s.drift < 0 ? "behind" : "ahead of");
    c->reported = true;
    c->logged_drift = s.drift;
  }
  if (s.why == KB_CLOCK_SET) {
    c->last_why = -1;
    if (s.e != KB_OK) {
      c->failures++;
      say(c, KBM_LOG_WARNING, "panel clock: the set-time request was refused (%s); next try in %d min",
          kb_err_name(s.e), KB_CLOCK_RETRY_S / 60);
    } else {
      say(c, KBM_LOG_INFO, "panel clock: setting it to %04ld-%02u-%02u %02u:%02u on partition %u (request %u; it was %ld min %s)",
          (long)local.year, (unsigned)local.month, (unsigned)local.day, (unsigned)local.hour, (unsigned)local.minute,
          (unsigned)c->partition, (unsigned)s.req, absl(s.drift), s.drift < 0 ? "behind" : "ahead");
    }
  } else if ((int)s.why != c->last_why) {
    /* a set that is due but held back says why, once per reason (in sync,
     * no report yet, a request in flight and the minute's last seconds are
     * the normal quiet states) */
    if (s.why != KB_CLOCK_IN_SYNC && s.why != KB_CLOCK_NO_TIME && s.why != KB_CLOCK_BUSY && s.why != KB_CLOCK_MINUTE_END)
      say(c, KBM_LOG_INFO, "panel clock: not now (%s)", kb_clock_why_name(s.why));
    c->last_why = (int)s.why;
  }
}
