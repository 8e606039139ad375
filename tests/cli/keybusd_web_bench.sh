#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/web_bench.sh, briefly (6 zone changes): it runs and every figure is
# a number; the page makes no external reference; 20 SSE clients are served
# at once. The latency figures themselves are for `make bench`, not judged
# here (a loaded test machine says little about them).
set -u
. "$(dirname "$0")/lib.sh"
T=keybusd_web_bench
K=${KEYBUSD:-build/bin/keybusd}
if [ ! -x "$K" ]; then
  ko "keybusd binary present ($K; run make V=rel apps)"
  kt_done $T
fi
out=$(KEYBUSD=$K WEB_BENCH_POKES=6 timeout 120 bash bench/web_bench.sh 2>&1)
rc=$?
printf '%s\n' "$out" | grep -E '^(bench|info) ' | sed 's/^/     /'
check_status bench_exit_0 "$rc" "web_bench.sh exited $rc: $(printf '%s\n' "$out" | tail -n 5)"
for f in page_bytes external_refs rss_idle_kb sse_p50_ms sse_p99_ms rss_20_streams_kb streams_open; do
  v=$(figure "web_$f")
  if [[ "$v" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then ok "figure web_$f is a number ($v)"; else ko "figure web_$f is a number (got '$v')"; fi
done
check no_external_refs test "$(figure web_external_refs)" = 0
check twenty_streams_served test "$(figure web_streams_open)" -ge 20
check sse_p50_le_p99 le "$(figure web_sse_p50_ms)" "$(figure web_sse_p99_ms)"
kt_done $T
