#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/keybusd_bench.sh, briefly (KEYBUSD_BENCH_SECONDS=6, 3 commands): it
# runs, joins traced state messages to what the subscriber received and
# commands to their first key, and prints every figure as a number. The
# figures' goals (p99 <= 2 ms, CPU < 1 %) are judged by `make bench` over
# 60 s, not here: a short run on a loaded test machine says little.
# Needs build/bin/keybusd (KEYBUSD overrides) and mosquitto (skipped without).
set -u
. "$(dirname "$0")/lib.sh"
T=keybusd_bench
K=${KEYBUSD:-build/bin/keybusd}
MOSQ=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -x "$MOSQ" ] || kt_skip $T "mosquitto not installed (scripts/deps.sh installs it)"
if [ ! -x "$K" ]; then
  ko "keybusd binary present ($K; run make V=rel apps)"
  kt_done $T
fi
out=$(KEYBUSD=$K KEYBUSD_BENCH_SECONDS=6 KEYBUSD_BENCH_COMMANDS=3 bash bench/keybusd_bench.sh 2>&1)
rc=$?
printf '%s\n' "$out" | grep -E '^(bench|info) ' | sed 's/^/     /'
check_status bench_exit_0 "$rc" "keybusd_bench.sh exited $rc: $(printf '%s\n' "$out" | grep -v '^bench ' | tail -n 5)"
for f in pub_p50 pub_p99 pub_max pub_count cmd_key_p50 cmd_key_max cpu rss_first rss_max rss_last; do
  v=$(figure "keybusd_$f")
  if [[ "$v" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then ok "figure keybusd_$f is a number ($v)"; else ko "figure keybusd_$f is a number (got '$v')"; fi
done
if le "$(figure keybusd_pub_p50)" "$(figure keybusd_pub_p99)" && le "$(figure keybusd_pub_p99)" "$(figure keybusd_pub_max)"; then
  ok "pub latency p50 <= p99 <= max"
else
  ko "pub latency p50 <= p99 <= max"
fi
if le "$(figure keybusd_rss_first)" "$(figure keybusd_rss_max)" && le "$(figure keybusd_rss_last)" "$(figure keybusd_rss_max)"; then
  ok "RSS first, last <= max"
else
  ko "RSS first, last <= max"
fi
kt_done $T
