/* SPDX-License-Identifier: MIT
 *
 * assert_probe.c - proves that a core library built by the Makefile traps on
 * a failed KB_ASSERT (issue 7: KB_ASSERT aborts in every test build of the
 * core). Built and run by tests/cli/assert.sh against build/<variant>/lib/
 * libkbcore.a of each test variant; not a unit test (no harness).
 *
 * Each case calls a core API with a programmer error the core asserts on
 * (a NULL pointer) in a child process; the parent passes the case when the
 * child died by SIGILL (__builtin_trap on x86-64), SIGTRAP (on other
 * targets) or SIGABRT (an abort()-based KB_ASSERT). Dying any other way
 * (SIGSEGV from the NULL itself, a sanitizer's report and exit, or returning:
 * kb_module_reply_decode() ignores a NULL `out` when KB_ASSERT is off) fails it.
 * A control case makes the same calls correctly and must exit 0, so a library
 * that dies on everything does not pass.
 *
 * Output: one line per case, "ok   NAME: ..." or "FAIL NAME: ...", then
 * "assert_probe: N passed, M failed"; exit 0 when none failed.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keybus/kb_keys.h"
#include "keybus/kb_link.h"
#include "keybus/kb_module.h"

static kb_link_t link_;

static void call_link_init_null(void) { kb_link_init(NULL); }

static void call_link_peek_null(void) { (void)kb_link_peek(NULL); }

static void call_link_stats_null_out(void) {
  kb_link_init(&link_);
  kb_link_stats(&link_, NULL);
}

static void call_module_decode_null_out(void) {
  static const uint8_t b[4] = {0xFF, 0xFF, 0xFF, 0xFF};
  kb_module_reply_decode(0x05, 0, b, 4, NULL);
}

static void call_keys_pending_null(void) { (void)kb_keys_pending(NULL); }

/* the same APIs used correctly: must return */
static void call_control(void) {
  static const uint8_t b[4] = {0xFF, 0xFF, 0xFF, 0xFF};
  kb_link_stats_t s;
  kb_mod_reply_t r;
  kb_link_init(&link_);
  (void)kb_link_peek(&link_);
  kb_link_stats(&link_, &s);
  kb_module_reply_decode(0x05, 0, b, 4, &r);
}

typedef struct {
  const char *name;
  void (*call)(void);
  int must_trap;
} probe_case_t;

static const probe_case_t cases[] = {
    {"control (valid arguments) returns", call_control, 0},
    {"kb_link_init(NULL) traps", call_link_init_null, 1},
    {"kb_link_peek(NULL) traps", call_link_peek_null, 1},
    {"kb_link_stats(l, NULL) traps", call_link_stats_null_out, 1},
    {"kb_module_reply_decode(..., NULL) traps", call_module_decode_null_out, 1},
    {"kb_keys_pending(NULL) traps", call_keys_pending_null, 1},
};

int main(int argc, char **argv) {
  const char *variant = argc > 1 ? argv[1] : "?";
  unsigned pass = 0, fail = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const probe_case_t *c = &cases[i];
    int st = 0;
    pid_t pid;
    fflush(stdout);
    pid = fork();
    if (pid < 0) {
      perror("assert_probe: fork");
      return 2;
    }
    if (pid == 0) {
      struct rlimit no_core = {0, 0};
      (void)setrlimit(RLIMIT_CORE, &no_core); /* a trap is expected: no core file */
      c->call();
      _exit(0);
    }
    if (waitpid(pid, &st, 0) != pid) {
      perror("assert_probe: waitpid");
      return 2;
    }
    if (c->must_trap) {
      int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
      if (sig == SIGILL || sig == SIGTRAP || sig == SIGABRT) {
        printf("ok   %s: %s: died by signal %d (%s)\n", variant, c->name, sig, strsignal(sig));
        pass++;
      } else if (sig) {
        printf("FAIL %s: %s: died by signal %d (%s), not a trap\n", variant, c->name, sig,
               strsignal(sig));
        fail++;
      } else {
        printf("FAIL %s: %s: exited %d instead of trapping\n", variant, c->name,
               WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        fail++;
      }
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
      printf("ok   %s: %s\n", variant, c->name);
      pass++;
    } else {
      printf("FAIL %s: %s: status 0x%x\n", variant, c->name, (unsigned)st);
      fail++;
    }
  }
  printf("assert_probe: %u passed, %u failed\n", pass, fail);
  return fail ? 1 : 0;
}
