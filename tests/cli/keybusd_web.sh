#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The web keypad's HTTP API (docs/web.md) against keybusd on the simulated
# panel, each on a free 127.0.0.1 port (tests/web/api_test.py): state,
# assets and their headers, session + CSRF (403 without), commands through
# the one result table (wrong code, done), malformed and oversized requests
# (4xx, keybusd still alive), the stream, sim pokes, the refusal of a
# non-loopback bind without a password, password login and its rate limit,
# and no code or password in the log.
. "$(dirname "$0")/lib.sh"
K=${KEYBUSD:-build/bin/keybusd}
if [ ! -x "$K" ]; then
  ko "keybusd binary present ($K; run make apps)"
  kt_done keybusd_web
fi
out=$(timeout 180 /usr/bin/python3 tests/web/api_test.py "$K" 2>&1); rc=$?
printf '%s\n' "$out"
check api_test_exit_0 test "$rc" -eq 0
pass=$((pass + $(grep -c '^ok ' <<<"$out")))
fail=$((fail + $(grep -c '^FAIL ' <<<"$out")))
check api_test_ran_every_case test "$(grep -cE '^(ok|FAIL) ' <<<"$out")" -ge 70
kt_done keybusd_web
