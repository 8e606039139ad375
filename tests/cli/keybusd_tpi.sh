#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# keybusd --tpi against the fact sheet's exchanges (tests/tpi/conformance.py,
# docs/tpi.md): login, checksums, one exact answer per command, the 502
# codes for garbage, 001/008/615/616, live zones and partitions, arm and
# disarm (900/200 and a configured code), several clients and one-client
# mode, the login limiter, the start-up refusals, no secret in the log. Runs
# everywhere (python3 and keybusd on the simulated panel).
. "$(dirname "$0")/lib.sh"
K=${KEYBUSD:-build/bin/keybusd}
if [ ! -x "$K" ]; then
  ko "keybusd binary present ($K; run make apps)"
  kt_done keybusd_tpi
fi
out=$(timeout 240 python3 tests/tpi/conformance.py "$K" 2>&1); rc=$?
printf '%s\n' "$out"
check conformance_exit_0 test "$rc" -eq 0
pass=$((pass + $(grep -c '^ok ' <<<"$out")))
fail=$((fail + $(grep -c '^FAIL ' <<<"$out")))
check conformance_ran_every_case test "$(grep -cE '^(ok|FAIL) ' <<<"$out")" -ge 90
kt_done keybusd_tpi
