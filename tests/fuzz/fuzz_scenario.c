/* SPDX-License-Identifier: MIT
 *
 * fuzz_scenario.c - the scenario parser (kb_scenario_parse, src/sim): the
 * input is a scenario file. Invariants: it either returns a scenario and
 * no message, or no scenario and a message "name:line: ..." (or "name: ...").
 * The scenario is not run (virtual time can be hours: too slow per input).
 */
#include "fuzz.h"

#include "sim/kb_scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kb_scenario_t *s = (kb_scenario_t *)1;
  char err[512];
  int rc;
  err[0] = 0;
  rc = kb_scenario_parse(&s, (const char *)data, size, "fuzz.kbs", err, sizeof err);
  if (rc == KB_SCN_OK) {
    FZ_ASSERT(s != NULL);
    kb_scenario_free(s);
  } else {
    FZ_ASSERT(rc == KB_SCN_MALFORMED || rc == KB_SCN_UNREADABLE);
    FZ_ASSERT(s == NULL);
    FZ_ASSERT(strncmp(err, "fuzz.kbs", 8) == 0);
    FZ_ASSERT(memchr(err, 0, sizeof err) != NULL);
  }
  return 0;
}
