/* SPDX-License-Identifier: MIT
 * kd_log.c - see kd_log.h. */
#include "kd_log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#define KINDS 64

typedef struct {
  const char *fmt; /* the call site's format string (pointer identity) */
  time_t window;   /* start of the current window */
  unsigned n;      /* lines logged in it */
  unsigned long suppressed; /* lines dropped since the last one logged */
} kind_t;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static kd_level_t threshold = KD_INFO;
static bool to_syslog;
static kind_t kinds[KINDS];
static unsigned long total_suppressed;
static long window_s = KD_LOG_WINDOW_S;

static const char *const names[] = {"error", "warning", "info", "debug"};

void kd_log_init(kd_level_t level, bool use_syslog) {
  pthread_mutex_lock(&mu);
  threshold = level;
  if (use_syslog && !to_syslog) openlog("keybusd", LOG_PID, LOG_DAEMON);
  to_syslog = use_syslog;
  pthread_mutex_unlock(&mu);
}

const char *kd_log_level_name(kd_level_t level) {
  return (unsigned)level < 4 ? names[level] : "?";
}

int kd_log_level_parse(const char *name) {
  for (int i = 0; i < 4; i++)
    if (name && strcmp(name, names[i]) == 0) return i;
  return -1;
}

static kind_t *kind_of(const char *fmt, time_t now) {
  kind_t *oldest = &kinds[0];
  for (int i = 0; i < KINDS; i++) {
    if (kinds[i].fmt == fmt) return &kinds[i];
    if (!kinds[i].fmt) {
      kinds[i].fmt = fmt;
      kinds[i].window = now;
      return &kinds[i];
    }
    if (kinds[i].window < oldest->window) oldest = &kinds[i];
  }
  /* table full: reuse the kind whose window is oldest (its count is lost,
   * which can only let one more line through) */
  memset(oldest, 0, sizeof *oldest);
  oldest->fmt = fmt;
  oldest->window = now;
  return oldest;
}

static void emit(kd_level_t level, const char *text) {
  static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
  if (to_syslog) {
    syslog(prio[level], "%s", text);
  } else {
    fprintf(stderr, "keybusd: %s: %s\n", names[level], text);
    fflush(stderr);
  }
}

static void vlog(kd_level_t level, bool limited, const char *fmt, va_list ap) {
  char text[512];
  struct timespec ts;
  kind_t *k;
  unsigned long dropped = 0;
  if ((unsigned)level > KD_DEBUG) level = KD_DEBUG;
  pthread_mutex_lock(&mu);
  if (level > threshold) {
    pthread_mutex_unlock(&mu);
    return;
  }
  if (!limited) {
    vsnprintf(text, sizeof text, fmt, ap);
    emit(level, text);
    pthread_mutex_unlock(&mu);
    return;
  }
  clock_gettime(CLOCK_MONOTONIC, &ts);
  k = kind_of(fmt, ts.tv_sec);
  if (ts.tv_sec - k->window >= window_s) {
    k->window = ts.tv_sec;
    k->n = 0;
  }
  if (k->n >= KD_LOG_BURST) {
    k->suppressed++;
    total_suppressed++;
    pthread_mutex_unlock(&mu);
    return;
  }
  k->n++;
  dropped = k->suppressed;
  k->suppressed = 0;
  vsnprintf(text, sizeof text, fmt, ap);
  if (dropped) {
    size_t n = strlen(text);
    snprintf(text + n, sizeof text - n, " (%lu similar message%s suppressed)", dropped,
             dropped == 1 ? "" : "s");
  }
  emit(level, text);
  pthread_mutex_unlock(&mu);
}

void kd_log(kd_level_t level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(level, true, fmt, ap);
  va_end(ap);
}

void kd_log_event(kd_level_t level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(level, false, fmt, ap);
  va_end(ap);
}

unsigned long kd_log_suppressed(void) {
  unsigned long n;
  pthread_mutex_lock(&mu);
  n = total_suppressed;
  pthread_mutex_unlock(&mu);
  return n;
}

void kd_log_set_window(long seconds) {
  pthread_mutex_lock(&mu);
  window_s = seconds;
  pthread_mutex_unlock(&mu);
}
