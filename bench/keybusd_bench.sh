#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# keybusd_bench.sh - keybusd's figures for issue 8's closing note (bench.sh's
# `keybusd` section calls it; it runs alone too):
#   keybusd_pub_p50/p99/max  last bit of each state-changing frame on the
#                            simulated panel's virtual wire (paced in real
#                            time: --speed 1 --demo) to a subscriber on
#                            loopback receiving the PUBLISH, CLOCK_MONOTONIC
#                            (goal p99 <= 2 ms)
#   keybusd_cmd_key_p50/max  a command PUBLISH to its first key on the wire
#   keybusd_cpu              utime+stime of keybusd (simulator included) over
#                            the run, % of one core (goal < 1 %)
#   keybusd_rss_first/max/last  VmRSS sampled every second (goal: flat)
# Environment: KEYBUSD (default build/bin/keybusd), KEYBUSD_BENCH_SECONDS
# (default 60), KEYBUSD_BENCH_COMMANDS (default 10, spread over the run),
# KEYBUSD_BENCH_POKES (default 1: every other second zone 8 of the demo house
# opens or closes through the sim topic, so the latency figures rest on more
# than the demo's few dozen state changes; 0: the demo alone),
# KEYBUSD_BENCH_KEEP=DIR (keep the trace, the subscriber's record, the
# command stamps and the logs there, to look into a figure).
# A private mosquitto on a free 127.0.0.1 port (tests/broker/broker.sh); the
# subscriber is bench/mqtt_probe.c (KEYBUSD_BENCH_PROBE=python: the
# Python one, tests/broker/kbmqtt.py record), the command publisher
# tests/broker/kbmqtt.py.
# Prints `bench NAME VALUE UNIT` and `info` lines; on failure `bench: FAIL`
# and exit 1.
set -u
cd "$(dirname "$0")/.."
. tests/broker/broker.sh
K=${KEYBUSD:-build/bin/keybusd}
SECONDS_RUN=${KEYBUSD_BENCH_SECONDS:-60}
NCMD=${KEYBUSD_BENCH_COMMANDS:-10}
fail() {
  echo "bench: FAIL keybusd: $*"
  exit 1
}
[ -x "$K" ] || fail "$K missing (make V=rel apps)"
[ -x "$MOSQUITTO" ] || fail "mosquitto missing (make deps)"
kb_init keybusd_bench
kb_broker_start || fail "mosquitto did not start"
ID=bench-$$
B=keybus/$ID
REC=$tmp/probe.jsonl
if [ "${KEYBUSD_BENCH_PROBE:-c}" = c ]; then
  # The subscriber in C (bench/mqtt_probe.c): the figure includes it, and a
  # Python one adds its interpreter's wake-up and jitter.
  P=build/bench/keybusd/mqtt_probe
  mkdir -p "$(dirname "$P")"
  ${CC:-gcc} -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Wshadow -Wundef -O2 \
    bench/mqtt_probe.c -o "$P" -lmosquitto || fail "mqtt_probe build"
  : >"$REC"
  "$P" "$BROKER_PORT" "$REC" "$B/#" &
  kb_track $!
  for ((i = 0; i < 100; i++)); do
    grep -q '"event": "connected"' "$REC" && break
    sleep 0.05
  done
  grep -q '"event": "connected"' "$REC" || fail "subscriber (mqtt_probe) did not connect"
else
  kb_record probe "$B/#" || fail "subscriber did not connect"
fi
: >"$tmp/cmds"
kb_keybusd keybusd --config /dev/null --backend sim --speed 1 --demo --mqtt "mqtt://127.0.0.1:$BROKER_PORT" \
  --device-id "$ID" --http off --trace "$tmp/trace" --log-level warning
KB=$KB_PID
$KBCHECK wait "$REC" 0 "$B/health" 15 --re '\{.*\}' >/dev/null || fail "keybusd did not announce: $(tail -n 3 "$tmp/keybusd.log")"

# CPU and RSS: every second; a command every SECONDS_RUN/NCMD seconds, each
# after the previous one's result (so the n-th cmd line is the n-th command).
tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$KB/stat"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$KB/status"; }
every=$((SECONDS_RUN / NCMD))
[ "$every" -ge 1 ] || every=1
t0=$(date +%s%N)
c0=$(cpu_ticks)
rss_first=$(rss_kb)
rss_max=$rss_first
rss_last=$rss_first
sent=0
for ((s = 1; s <= SECONDS_RUN; s++)); do
  if [ $((s % every)) -eq 0 ] && [ "$sent" -lt "$NCMD" ]; then
    m=$($KBCHECK mark "$REC")
    sent=$((sent + 1))
    $KBMQTT pub --port "$BROKER_PORT" --topic "$B/command" --payload "{\"partition\":2,\"keys\":\"#\",\"id\":\"bench$sent\"}" >>"$tmp/cmds"
    $KBCHECK wait "$REC" "$m" "$B/result" 5 --re ".*\"bench$sent\".*\"(done|rejected|timeout|uncertain|not_verified|collided|busy|invalid[a-z_]*|disconnected)\".*" >/dev/null ||
      echo "info keybusd: command $sent: no final result within 5 s"
  elif [ "${KEYBUSD_BENCH_POKES:-1}" = 1 ] && [ $((s % 2)) -eq 1 ]; then
    z8=$([ "${z8:-false}" = true ] && echo false || echo true)
    $KBMQTT pub --port "$BROKER_PORT" --topic "$B/sim" --payload "{\"zone\":8,\"open\":$z8}" >/dev/null
  fi
  sleep 1
  kill -0 "$KB" 2>/dev/null || fail "keybusd died: $(tail -n 3 "$tmp/keybusd.log")"
  r=$(rss_kb)
  rss_last=$r
  [ "$r" -gt "$rss_max" ] && rss_max=$r
done
c1=$(cpu_ticks)
t1=$(date +%s%N)
kill -TERM "$KB"
kb_wait_gone "$KB" 10 || fail "keybusd did not stop on SIGTERM"
[ "$KB_RC" -eq 0 ] || fail "keybusd exited $KB_RC on SIGTERM"
sleep 0.3 # the last messages reach the subscriber

awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v tck="$tck" 'BEGIN {
  printf "bench keybusd_cpu %.2f %%\n", 100 * (c1 - c0) / tck / ((t1 - t0) / 1e9) }'
echo "bench keybusd_rss_first $rss_first KiB"
echo "bench keybusd_rss_max $rss_max KiB"
echo "bench keybusd_rss_last $rss_last KiB"
echo "info keybusd: $SECONDS_RUN s at speed 1 with --demo, CPU ticks of $((1000 / tck)) ms (goal < 1 % of a core, RSS flat)"
echo "info keybusd: subscriber: ${KEYBUSD_BENCH_PROBE:-c}; a Python publisher -> broker -> Python subscriber round on loopback: $($KBMQTT rtt --port "$BROKER_PORT" --count 100)"
if [ -n "${KEYBUSD_BENCH_KEEP:-}" ]; then
  mkdir -p "$KEYBUSD_BENCH_KEEP" && cp "$tmp/trace" "$REC" "$tmp/cmds" "$tmp/keybusd.log" "$tmp/broker.log" "$KEYBUSD_BENCH_KEEP/"
fi
$PY bench/keybusd_latency.py "$tmp/trace" "$REC" "$tmp/cmds" || exit 1
