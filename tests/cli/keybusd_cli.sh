#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# keybusd without a broker: the command line, --check-config, the simulated
# panel and the replay backend with MQTT off or unreachable, signals and exit
# codes, and no access code in anything it prints. (Everything with a real
# broker is in tests/cli/keybusd_mqtt.sh.)
. "$(dirname "$0")/lib.sh"
kt_tmpdir
K=${KEYBUSD:-build/bin/keybusd}
if [ ! -x "$K" ]; then
  ko "keybusd binary present ($K; run make apps)"
  kt_done keybusd_cli
fi

# run_for SECONDS ARGS...: runs keybusd for SECONDS then SIGTERM; sets rc, err
run_for() {
  local secs=$1 pid
  shift
  "$K" "$@" >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  sleep "$secs"
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
  err=$(cat "$tmp/err")
}

out=$("$K" --help); rc=$?
check help_exit_0 test "$rc" -eq 0
check help_names_every_flag bash -c 'for f in --config --backend --replay --speed --mqtt --device-id --http --demo --log-level --check-config --version; do grep -q -- "$f" <<<"$0" || exit 1; done' "$out"
out=$("$K" --version); rc=$?
check version_line bash -c '[[ "$0" =~ ^keybusd\ [0-9]+\.[0-9]+\.[0-9]+ ]]' "$out"

"$K" --frobnicate >/dev/null 2>"$tmp/e"; rc=$?
check unknown_option_exit_2 test "$rc" -eq 2
check unknown_option_named grep -q -- "--frobnicate" "$tmp/e"
"$K" --config /dev/null --speed 0 --check-config >/dev/null 2>"$tmp/e"; rc=$?
check speed_out_of_range_exit_2 test "$rc" -eq 2
"$K" --config >/dev/null 2>&1; rc=$?
check missing_value_exit_2 test "$rc" -eq 2

# --check-config: a valid file, then one error per bad line, by line
printf '[keybus]\ndevice_id = house1\n[zone 1]\nname = Front door\nclass = door\npartition = 1\n' >"$tmp/ok.conf"
out=$("$K" --config "$tmp/ok.conf" --check-config 2>&1); rc=$?
check check_config_ok_exit_0 test "$rc" -eq 0
check check_config_dump_reads_back grep -q "^device_id = house1" <<<"$out"
check check_config_counts_entities grep -qE "^# configuration OK: [0-9]+ Home Assistant entities" <<<"$out"
printf '[keybus]\nbackend = serial\n[mqtt]\ncolour = red\n[zone 70]\n' >"$tmp/bad.conf"
out=$("$K" --config "$tmp/bad.conf" --check-config 2>&1); rc=$?
check check_config_bad_exit_2 test "$rc" -eq 2
check check_config_line_2 grep -q "bad.conf:2: \[keybus\] backend" <<<"$out"
check check_config_line_4 grep -q "bad.conf:4: \[mqtt\] colour: unknown key" <<<"$out"
check check_config_line_5 grep -q "bad.conf:5: zone 70" <<<"$out"
check check_config_counts_errors grep -q "3 errors in the configuration" <<<"$out"
"$K" --config "$tmp/missing.conf" --check-config >/dev/null 2>"$tmp/e"; rc=$?
check missing_config_file_exit_2 test "$rc" -eq 2
"$K" --config /dev/null --device-id 'a/b' --check-config >/dev/null 2>"$tmp/e"; rc=$?
check device_id_with_slash_exit_2 test "$rc" -eq 2
"$K" --config /dev/null --device-id "$(printf 'd%.0s' $(seq 33))" --check-config >/dev/null 2>"$tmp/e"; rc=$?
check device_id_33_chars_exit_2 test "$rc" -eq 2
KEYBUS_MQTT_PASSWORD=s3cretpw "$K" --config /dev/null --mqtt mqtt://me@127.0.0.1:1 --check-config >"$tmp/o" 2>&1; rc=$?
check password_from_env_ok test "$rc" -eq 0
check password_never_printed bash -c '! grep -q s3cretpw "$0"' "$tmp/o"

# the simulated panel, MQTT off: decodes, stops on SIGTERM with 0
run_for 3 --config /dev/null --mqtt off --demo
check sim_sigterm_exit_0 test "$rc" -eq 0
check sim_banner grep -q "simulated panel" <<<"$err"
check sim_bus_connected grep -q "keybus: connected" <<<"$err"
check sim_says_mqtt_off grep -q "mqtt: off" <<<"$err"
check sim_no_code_in_log bash -c '! grep -qE "1234|5555" <<<"$0"' "$err"
# SIGINT too
"$K" --config /dev/null --mqtt off >/dev/null 2>&1 &
pid=$!; sleep 1; kill -INT $pid; wait $pid; rc=$?
check sim_sigint_exit_0 test "$rc" -eq 0

# a broker that does not answer: said once, keeps running
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
run_for 5 --config /dev/null --mqtt "mqtt://127.0.0.1:$port"
check unreachable_broker_exit_0 test "$rc" -eq 0
n=$(grep -c "cannot connect" <<<"$err")
check unreachable_broker_said_once test "$n" -eq 1
check unreachable_broker_still_decodes grep -q "keybus: connected" <<<"$err"

# replay: a VCD and a text log, fast; the end of the capture is reported
vcd=$(ls tests/data/vcd/*.vcd | head -n 1)
run_for 3 --config /dev/null --mqtt off --replay "$vcd" --speed 50
check replay_vcd_exit_0 test "$rc" -eq 0
check replay_vcd_end grep -qE "replay: end of .* \([1-9][0-9]* frames\)" <<<"$err"
log=tests/data/captures/Dilbert66-esphome-dsckeybus-issue-3.txt
run_for 3 --config /dev/null --mqtt off --replay "$log" --speed 1000
check replay_text_exit_0 test "$rc" -eq 0
check replay_text_end grep -qE "replay: end of .* frames\)" <<<"$err"
run_for 1 --config /dev/null --mqtt off --replay "$tmp/none.vcd"
check replay_missing_file_exit_1 test "$rc" -eq 1
check replay_missing_file_said grep -q "cannot read" <<<"$err"
printf 'not a capture\n' >"$tmp/empty.txt"
run_for 1 --config /dev/null --mqtt off --replay "$tmp/empty.txt"
check replay_no_frames_exit_1 test "$rc" -eq 1

# the gpio backend on a machine without the lines: a clear error, exit 1
printf '[keybus]\nbackend = gpio\n[gpio]\nchip = /dev/null-gpiochip\nclock = 1\ndata = 2\n' >"$tmp/gpio.conf"
if "$K" --config "$tmp/gpio.conf" --check-config >/dev/null 2>&1; then
  run_for 1 --config "$tmp/gpio.conf" --mqtt off
  check gpio_missing_chip_not_a_crash bash -c '[ "$0" -eq 0 ] || [ "$0" -eq 1 ]' "$rc"
  check gpio_missing_chip_said grep -q "gpio:" <<<"$err"
else
  ko gpio_config_accepted "$("$K" --config "$tmp/gpio.conf" --check-config 2>&1)"
fi
# the installed example (make install copies it to /etc/keybus) is a valid
# configuration as shipped (its secret file beside it, as the comments say)
mkdir -p "$tmp/example"
cp examples/keybusd.conf "$tmp/example/"
echo not-a-real-password >"$tmp/example/mqtt.secret"
out=$("$K" --config "$tmp/example/keybusd.conf" --check-config 2>&1); rc=$?
check example_config_valid test "$rc" -eq 0
check example_config_ok_line grep -q "configuration OK" <<<"$out"

kt_done keybusd_cli
