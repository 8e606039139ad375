/* SPDX-License-Identifier: MIT */
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>

int kt_failed_checks;
static const char *kt_current;

void kt_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  kt_failed_checks++;
  if (kt_failed_checks > 20) return; /* one broken test must not flood the log */
  fprintf(stderr, "  FAIL %s (%s:%d): ", kt_current ? kt_current : "?", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

const char *kt_data_path(const char *file) {
  static char buf[4096];
  const char *dir = getenv("KB_TEST_DATA");
#ifdef KB_TEST_DATA_DIR
  if (!dir) dir = KB_TEST_DATA_DIR;
#endif
  if (!dir) dir = "tests/data";
  snprintf(buf, sizeof buf, "%s/%s", dir, file);
  return buf;
}

int kt_main(int argc, char **argv, const kt_case *cases, size_t n) {
  int passed = 0, failed = 0;
  const char *filter = argc > 1 ? argv[1] : NULL;
  for (size_t i = 0; i < n; i++) {
    if (filter && !strstr(cases[i].name, filter)) continue;
    kt_current = cases[i].name;
    kt_failed_checks = 0;
    cases[i].fn();
    if (kt_failed_checks) {
      failed++;
      fprintf(stderr, "FAIL %s (%d checks)\n", cases[i].name, kt_failed_checks);
    } else {
      passed++;
      if (getenv("KT_VERBOSE")) fprintf(stderr, "ok   %s\n", cases[i].name);
    }
  }
  printf("kt: %s: %d passed, %d failed\n", argv[0], passed, failed);
  fflush(stdout);
  return failed ? 1 : 0;
}
