/* SPDX-License-Identifier: MIT
 *
 * harness.h - the in-repo test harness: a test is a function, a check is a
 * macro. A test passes when none of its checks failed. kt_main() runs the
 * tests given and prints "kt: <file>: N passed, M failed"; tests/run.sh adds
 * these lines up over every binary and variant.
 */
#ifndef KB_TEST_HARNESS_H_
#define KB_TEST_HARNESS_H_

#include <stdio.h>
#include <string.h>

typedef void (*kt_fn)(void);
typedef struct {
  const char *name;
  kt_fn fn;
} kt_case;

extern int kt_failed_checks; /* checks failed in the running test */

void kt_fail(const char *file, int line, const char *fmt, ...);

#define KT_CHECK(cond)                                              \
  do {                                                              \
    if (!(cond)) kt_fail(__FILE__, __LINE__, "check failed: %s", #cond); \
  } while (0)

#define KT_EQ(a, b)                                                          \
  do {                                                                       \
    long long kt_a_ = (long long)(a), kt_b_ = (long long)(b);                \
    if (kt_a_ != kt_b_)                                                      \
      kt_fail(__FILE__, __LINE__, "%s == %s: got %lld (0x%llx), want %lld (0x%llx)", #a, #b, \
              kt_a_, (unsigned long long)kt_a_, kt_b_, (unsigned long long)kt_b_); \
  } while (0)

#define KT_STREQ(a, b)                                                         \
  do {                                                                         \
    const char *kt_a_ = (a), *kt_b_ = (b);                                     \
    if (!kt_a_ || !kt_b_ || strcmp(kt_a_, kt_b_) != 0)                         \
      kt_fail(__FILE__, __LINE__, "%s == %s: got \"%s\", want \"%s\"", #a, #b, \
              kt_a_ ? kt_a_ : "(null)", kt_b_ ? kt_b_ : "(null)");             \
  } while (0)

#define KT_CASE(fn) {#fn, fn}

/* Runs the cases; optional filter argv[1] = substring of test names.
 * Returns the process exit status (0 when every test passed). */
int kt_main(int argc, char **argv, const kt_case *cases, size_t n);

#define KT_MAIN(...)                                                   \
  int main(int argc, char **argv) {                                    \
    static const kt_case kt_cases_[] = {__VA_ARGS__};                  \
    return kt_main(argc, argv, kt_cases_, sizeof kt_cases_ / sizeof kt_cases_[0]); \
  }

/* Path of the repository's tests/data directory (from KB_TEST_DATA). */
const char *kt_data_path(const char *file);

#endif
