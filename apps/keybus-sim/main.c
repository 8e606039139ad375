/* SPDX-License-Identifier: MIT
 *
 * keybus-sim: runs closed-loop scenarios (docs/scenarios.md): a simulated
 * panel and keypads on a virtual wire, the engine decoding it through the
 * same link layer a port uses, expectations checked against what the
 * engine decoded.
 *
 *   keybus-sim [--vcd-out OUT.vcd] [--state-out FILE] [--realtime] [--quiet] [--show-keys] SCENARIO...
 *
 * Exit 0 when every expectation passed, 1 when one failed, 2 for a malformed
 * scenario, an unreadable file or a usage error.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/kb_json.h"
#include "sim/kb_scenario.h"

static volatile sig_atomic_t g_stop;

static void on_sigint(int sig) {
  (void)sig;
  g_stop = 1;
}

typedef struct {
  int realtime;
  struct timespec t0;
} pace_t;

static int pace(void *ctx, uint64_t now_us) {
  pace_t *p = ctx;
  if (g_stop) return 1;
  if (p->realtime) {
    struct timespec now, d;
    uint64_t wall;
    clock_gettime(CLOCK_MONOTONIC, &now);
    wall = (uint64_t)(now.tv_sec - p->t0.tv_sec) * 1000000u + (uint64_t)(now.tv_nsec / 1000) -
           (uint64_t)(p->t0.tv_nsec / 1000);
    if (now_us > wall + 1000u) {
      uint64_t ahead = now_us - wall;
      d.tv_sec = (time_t)(ahead / 1000000u);
      d.tv_nsec = (long)(ahead % 1000000u) * 1000L;
      while (nanosleep(&d, &d) != 0 && errno == EINTR && !g_stop) {
      }
    }
  }
  return g_stop ? 1 : 0;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: keybus-sim [--vcd-out OUT.vcd] [--state-out FILE] [--realtime] [--quiet] [--show-keys]\n"
          "                  SCENARIO...\n"
          "  Runs closed-loop scenarios (docs/scenarios.md) against the engine.\n"
          "  --vcd-out F    write the clock and data wires as VCD (with several scenarios: the last)\n"
          "  --state-out F  write the engine's state at the end as JSON ('-' = stdout)\n"
          "  --realtime     pace virtual time to the wall clock (Ctrl-C stops cleanly)\n"
          "  --quiet        print only failed expectations, warnings and the summary\n"
          "  --show-keys    debugging: print the digits of key requests (shown as '.' by default:\n"
          "                 they may be access codes; request codes are never printed)\n"
          "  exit 0 all passed, 1 an expectation failed, 2 malformed scenario or unreadable file\n");
}

int main(int argc, char **argv) {
  const char *vcd_out = NULL, *state_out = NULL;
  int quiet = 0, ignore = 0, show_keys = 0, rc = 0, nfiles = 0;
  pace_t pc;
  const char **files = calloc((size_t)argc + 1, sizeof *files);
  unsigned tot_pass = 0, tot_fail = 0;

  if (!files) return 2;
  memset(&pc, 0, sizeof pc);
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--vcd-out") || !strcmp(a, "--state-out")) {
      if (++i >= argc) {
        fprintf(stderr, "keybus-sim: %s needs a file name\n", a);
        free(files);
        return 2;
      }
      if (a[2] == 'v') vcd_out = argv[i];
      else state_out = argv[i];
    } else if (!strcmp(a, "--realtime")) {
      pc.realtime = 1;
    } else if (!strcmp(a, "--quiet")) {
      quiet = 1;
    } else if (!strcmp(a, "--show-keys")) {
      show_keys = 1;
    } else if (!strcmp(a, "--ignore-frames")) { /* test hook: an engine that ignores every frame */
      ignore = 1;
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      free(files);
      return 0;
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "keybus-sim: unknown option %s\n", a);
      usage(stderr);
      free(files);
      return 2;
    } else {
      files[nfiles++] = a;
    }
  }
  if (!nfiles) {
    usage(stderr);
    free(files);
    return 2;
  }
  {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
  }

  for (int i = 0; i < nfiles && !g_stop; i++) {
    kb_scenario_t *s = NULL;
    kb_scenario_opts_t o;
    kb_scenario_result_t res;
    char err[512];
    FILE *vcd = NULL;
    int r = kb_scenario_load(&s, files[i], err, sizeof err);
    if (r != KB_SCN_OK) {
      fprintf(stderr, "keybus-sim: %s\n", err);
      printf("%s: not run: %s\n", files[i], r == KB_SCN_UNREADABLE ? "unreadable" : "malformed");
      rc = 2;
      continue;
    }
    if (vcd_out) {
      vcd = fopen(vcd_out, "w");
      if (!vcd) {
        fprintf(stderr, "keybus-sim: cannot write %s: %s\n", vcd_out, strerror(errno));
        kb_scenario_free(s);
        rc = 2;
        break;
      }
    }
    memset(&o, 0, sizeof o);
    o.out = stdout;
    o.quiet = quiet != 0;
    o.ignore_frames = ignore != 0;
    o.show_keys = show_keys != 0;
    o.vcd = vcd;
    o.pace = pace;
    o.pace_ctx = &pc;
    if (!quiet) printf("== %s\n", files[i]);
    clock_gettime(CLOCK_MONOTONIC, &pc.t0);
    r = kb_scenario_run(s, &o, &res);
    if (vcd && fclose(vcd) != 0) r = 2;
    if (r == 2) fprintf(stderr, "keybus-sim: %s: the run could not complete (memory or VCD output)\n", files[i]);
    printf("%s: %s, %u/%u expectations passed, %.3f s virtual, %llu messages", files[i],
           res.stopped ? "STOPPED" : res.failed ? "FAILED" : "passed", res.passed, res.expects,
           (double)res.end_us / 1e6, (unsigned long long)res.messages);
    if (res.unjudged) printf(", %u not judged", res.unjudged);
    if (res.warnings) printf(", %u warning%s", res.warnings, res.warnings == 1 ? "" : "s");
    printf("\n");
    if (res.flips)
      printf("%s: noise flipped %llu panel bits in %llu messages\n", files[i],
             (unsigned long long)res.flips, (unsigned long long)res.msgs_hit);
    tot_pass += res.passed;
    tot_fail += res.failed;
    if (state_out && kb_scenario_engine(s)) {
      cJSON *j = kb_json_state(kb_scenario_engine(s));
      char *txt = j ? cJSON_Print(j) : NULL;
      FILE *f = strcmp(state_out, "-") ? fopen(state_out, "w") : stdout;
      if (!f || !txt) {
        fprintf(stderr, "keybus-sim: cannot write %s\n", state_out);
        r = 2;
      } else {
        fprintf(f, "%s\n", txt);
        if (f != stdout && fclose(f) != 0) r = 2;
      }
      free(txt);
      cJSON_Delete(j);
    }
    if (r > rc) rc = r;
    kb_scenario_free(s);
  }
  if (nfiles > 1 || g_stop)
    printf("keybus-sim: %d scenario%s, %u expectations passed, %u failed%s\n", nfiles, nfiles == 1 ? "" : "s",
           tot_pass, tot_fail, g_stop ? " (stopped by a signal)" : "");
  if (g_stop && rc == 0) rc = 1;
  free(files);
  fflush(stdout);
  return rc;
}
