#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The real client: pyenvisalink (Home Assistant's envisalink library) against
# keybusd --tpi on the simulated panel (tests/tpi/pyenv_test.py): it logs in,
# sees zones and partitions change, arms and disarms with a code, and the
# states it reports match keybus's own (the web keypad's /api/state).
# Needs KEYBUS_PYENVISALINK = the folder that holds the pyenvisalink package
# (CI sets it when the kit is present; a folder holding pyenvisalink 5.x) and Debian's
# python3-aiohttp for /usr/bin/python3; "skipped" (not a pass) without them.
. "$(dirname "$0")/lib.sh"
if [ -z "${KEYBUS_PYENVISALINK:-}" ]; then
  kt_skip keybusd_tpi_client "keybusd_tpi_client (KEYBUS_PYENVISALINK not set)"
fi
if [ ! -f "$KEYBUS_PYENVISALINK/pyenvisalink/alarm_panel.py" ]; then
  ko "pyenvisalink present in KEYBUS_PYENVISALINK ($KEYBUS_PYENVISALINK/pyenvisalink/alarm_panel.py)"
  kt_done keybusd_tpi_client
fi
if ! /usr/bin/python3 -c 'import aiohttp' 2>/dev/null; then
  kt_skip keybusd_tpi_client "keybusd_tpi_client (/usr/bin/python3 has no aiohttp: apt-get install python3-aiohttp)"
fi
K=${KEYBUSD:-build/bin/keybusd}
if [ ! -x "$K" ]; then
  ko "keybusd binary present ($K; run make apps)"
  kt_done keybusd_tpi_client
fi
out=$(timeout 240 /usr/bin/python3 tests/tpi/pyenv_test.py "$K" 2>&1); rc=$?
printf '%s\n' "$out"
check pyenv_test_exit_0 test "$rc" -eq 0
pass=$((pass + $(grep -c '^ok ' <<<"$out")))
fail=$((fail + $(grep -c '^FAIL ' <<<"$out")))
check pyenv_test_ran_every_case test "$(grep -cE '^(ok|FAIL) ' <<<"$out")" -ge 35
kt_done keybusd_tpi_client
