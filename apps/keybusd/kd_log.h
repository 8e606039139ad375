/* SPDX-License-Identifier: MIT
 *
 * kd_log.h - keybusd's log: one line per message, to stderr
 * ("keybusd: <level>: <text>") or to syslog (journald reads both), with a
 * level threshold and a rate limit per call site.
 *
 * Rate limit: messages are grouped by their format string (one call site =
 * one kind of message). Each kind may log KD_LOG_BURST lines per
 * KD_LOG_WINDOW_S seconds; the rest are counted, and the first line of that
 * kind after the window says how many were suppressed. So a fault that
 * repeats (no panel attached, a broker that refuses) gives a few lines and
 * then one line a minute, never a flood; a one-off event always gets its line.
 *
 * Who calls it: any thread (a mutex guards the table and the stream).
 * Never pass an access code or a password: nothing here could tell.
 */
#ifndef KD_LOG_H_
#define KD_LOG_H_

#include <stdbool.h>

typedef enum { KD_ERROR = 0, KD_WARNING, KD_INFO, KD_DEBUG } kd_level_t;

#define KD_LOG_BURST 3
#define KD_LOG_WINDOW_S 60

/* Threshold (messages above it are dropped) and destination. */
void kd_log_init(kd_level_t level, bool use_syslog);
/* level's name ("error", ...) / parse one (-1 when unknown) */
const char *kd_log_level_name(kd_level_t level);
int kd_log_level_parse(const char *name);

void kd_log(kd_level_t level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The rate limit's window (tests); KD_LOG_WINDOW_S by default. */
void kd_log_set_window(long seconds);

/* A line that is never rate-limited: for state changes of the panel a user
 * must see every one of (armed, disarmed, alarm, exit and entry delay) and
 * the demo's narration. Not for anything a fault can repeat. */
void kd_log_event(kd_level_t level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Lines suppressed by the rate limit so far (health). */
unsigned long kd_log_suppressed(void);

#endif
