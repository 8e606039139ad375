#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# keybusd --sync-time on the simulated panel (docs/keybusd.md "Panel clock"):
# no start without a code; the panel, whose clock starts years off
# (2024-01-15 12:00), is set to the host's local time through the virtual
# keypad's *6 request, its result logged and the panel's next report in
# agreement; a wrong code ends in a logged failure; the code is never printed.
. "$(dirname "$0")/lib.sh"
kt_tmpdir
K=${KEYBUSD:-build/bin/keybusd}
if [ ! -x "$K" ]; then
  ko "keybusd binary present ($K; run make apps)"
  kt_done keybusd_clock
fi

# wait_log FILE PATTERN SECONDS: true once FILE has a line matching PATTERN
wait_log() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    grep -Eq -- "$2" "$1" && return 0
    sleep 0.1
  done
  return 1
}

# no code: exit 2 with a message that names where the code goes
"$K" --config /dev/null --mqtt off --http off --sync-time >/dev/null 2>"$tmp/e"; rc=$?
check no_code_exit_2 test "$rc" -eq 2
check no_code_message grep -q "sync_time_code" "$tmp/e"
printf '[keybus]\nsync_time = yes\n' >"$tmp/nocode.conf"
"$K" --config "$tmp/nocode.conf" --mqtt off --http off >/dev/null 2>"$tmp/e"; rc=$?
check no_code_key_exit_2 test "$rc" -eq 2
# a code of the wrong length: refused, not echoed
printf '[keybus]\nsync_time = yes\nsync_time_code = 86420\n' >"$tmp/bad.conf"
"$K" --config "$tmp/bad.conf" --mqtt off --http off >/dev/null 2>"$tmp/e"; rc=$?
check bad_code_exit_2 test "$rc" -eq 2
check bad_code_not_echoed bash -c '! grep -q 86420 "$0"' "$tmp/e"
# --check-config says the code is set, never what it is
printf '[keybus]\nsync_time_code = 5555\n' >"$tmp/ok.conf"
"$K" --config "$tmp/ok.conf" --mqtt off --http off --sync-time --check-config >"$tmp/dump" 2>&1; rc=$?
check check_config_ok test "$rc" -eq 0
check dump_says_set grep -q "sync_time_code: (set)" "$tmp/dump"
check dump_no_code bash -c '! grep -q 5555 "$0"' "$tmp/dump"

# the simulated panel's master code (demo-only) from the environment
today=$(date +%Y-%m-%d)
KEYBUS_SYNC_TIME_CODE=5555 "$K" --config /dev/null --mqtt off --http off --sync-time --speed 10 >"$tmp/out" 2>"$tmp/log" &
pid=$!
check sets_the_clock wait_log "$tmp/log" "panel clock: setting it to $today" 20
check set_done wait_log "$tmp/log" "panel clock: set \(request [0-9]+ done\)" 20
# the panel's next reports (the timestamp, every 60 virtual s) agree: within
# a few minutes, since the simulated panel's clock runs at --speed 10 (one
# virtual minute per 6 real seconds) while the host's runs at 1, and a
# loaded machine may see a later report first
check panel_reports_host_time wait_log "$tmp/log" "panel clock: the panel says $today [0-9:]+, [0-3] min" 40
kill -TERM "$pid" 2>/dev/null
wait "$pid"; rc=$?
check stops_0 test "$rc" -eq 0
check was_off_by_years grep -q "the panel says 2024-01-15 12:0., [0-9]* min behind" "$tmp/log"
check one_set_only test "$(grep -c 'panel clock: setting it' "$tmp/log")" -eq 1
check no_code_in_log bash -c '! grep -q 5555 "$0" "$1"' "$tmp/log" "$tmp/out"

# a code the panel refuses: the failure is logged, no loop of retries
printf '[keybus]\nsync_time = yes\nsync_time_code = 9191\n' >"$tmp/wrong.conf"
"$K" --config "$tmp/wrong.conf" --mqtt off --http off --speed 10 >"$tmp/out" 2>"$tmp/log" &
pid=$!
check wrong_code_logged wait_log "$tmp/log" "panel clock: request [0-9]+ ended [a-z_]+; next try in 10 min" 25
sleep 2
kill -TERM "$pid" 2>/dev/null
wait "$pid"
check wrong_code_one_try test "$(grep -c 'panel clock: setting it' "$tmp/log")" -eq 1
check wrong_code_not_logged bash -c '! grep -q 9191 "$0" "$1"' "$tmp/log" "$tmp/out"

kt_done keybusd_clock
