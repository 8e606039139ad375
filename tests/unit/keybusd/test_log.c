/* SPDX-License-Identifier: MIT
 * keybusd's log (apps/keybusd/kd_log.c): levels, the format of a line and
 * the rate limit that keeps a repeating fault from flooding the journal. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../../apps/keybusd/kd_log.c"
#include "harness.h"

static char path[64];

/* stderr into a file of the test's own, once */
static void setup(void) {
  if (path[0]) return;
  snprintf(path, sizeof path, "/tmp/kd_log_test_%d.txt", (int)getpid());
  if (!freopen(path, "w", stderr)) abort();
}

/* the log's lines so far (stderr goes to a file) */
static int lines(const char *needle, char *last, size_t n) {
  FILE *f;
  char buf[600];
  int count = 0;
  fflush(stderr);
  f = fopen(path, "r");
  if (!f) return -1;
  while (fgets(buf, sizeof buf, f))
    if (strstr(buf, needle)) {
      count++;
      if (last) snprintf(last, n, "%s", buf);
    }
  fclose(f);
  return count;
}

static void test_line_format_and_levels(void) {
  char last[600];
  setup();
  kd_log_init(KD_INFO, false);
  kd_log(KD_WARNING, "alpha %d", 1);
  kd_log(KD_DEBUG, "beta %d", 2); /* above the threshold */
  KT_EQ(lines("alpha 1", last, sizeof last), 1);
  KT_STREQ(last, "keybusd: warning: alpha 1\n");
  KT_EQ(lines("beta", NULL, 0), 0);
  KT_EQ(kd_log_level_parse("debug"), KD_DEBUG);
  KT_EQ(kd_log_level_parse("loud"), -1);
  KT_STREQ(kd_log_level_name(KD_ERROR), "error");
}

static void test_repeats_are_limited_per_call_site(void) {
  unsigned long before;
  setup();
  before = kd_log_suppressed();
  for (int i = 0; i < 50; i++) kd_log(KD_WARNING, "gamma repeat %d", i);
  kd_log(KD_WARNING, "delta once"); /* another call site still gets its line */
  KT_EQ(lines("gamma repeat", NULL, 0), KD_LOG_BURST);
  KT_EQ(lines("delta once", NULL, 0), 1);
  KT_EQ(kd_log_suppressed() - before, 50 - KD_LOG_BURST);
}

/* state changes a user must see all of are never limited */
static void test_events_are_never_limited(void) {
  setup();
  for (int i = 0; i < 20; i++) kd_log_event(KD_INFO, "zeta armed %d", i);
  KT_EQ(lines("zeta armed", NULL, 0), 20);
}

static void test_next_window_says_how_many_were_suppressed(void) {
  char last[600];
  setup();
  kd_log_set_window(1);
  for (int i = 0; i < 10; i++) kd_log(KD_WARNING, "epsilon %d", i);
  sleep(2);
  kd_log(KD_WARNING, "epsilon %d", 99);
  KT_EQ(lines("epsilon", last, sizeof last), KD_LOG_BURST + 1);
  KT_STREQ(last, "keybusd: warning: epsilon 99 (7 similar messages suppressed)\n");
  kd_log_set_window(KD_LOG_WINDOW_S);
  unlink(path);
}

KT_MAIN(KT_CASE(test_line_format_and_levels), KT_CASE(test_repeats_are_limited_per_call_site),
        KT_CASE(test_events_are_never_limited), KT_CASE(test_next_window_says_how_many_were_suppressed))
