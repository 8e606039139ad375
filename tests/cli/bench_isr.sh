#!/usr/bin/env bash
# bench_isr.sh - runs the interrupt benchmark (bench/bench.sh isr: callgrind
# instruction counts, deterministic) and checks its figures against the
# budget: mean per clock edge <= 38 instructions, worst single call <= 60.
set -u
cd "$(dirname "$0")/../.."
MEAN_MAX=38
WORST_MAX=60
pass=0
fail=0
check() { # name condition-result detail
  if [ "$2" -eq 0 ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "  FAIL $1: $3"
  fi
}
figure() { printf '%s\n' "$out" | awk -v n="$1" '$1 == "bench" && $2 == n {print $3}'; }
le() { # value max -> 0 when value <= max
  [ -n "$1" ] && awk -v v="$1" -v m="$2" 'BEGIN {exit !(v <= m)}'
}

out=$(bash bench/bench.sh isr 2>&1)
rc=$?
printf '%s\n' "$out" | grep -E '^(bench|info reference)'
check bench_runs "$rc" "bench.sh isr exited $rc: $(printf '%s\n' "$out" | grep -v '^info' | tail -n 5 | tr '\n' ' ')"
mean=$(figure isr_instructions_per_edge_mean)
worst=$(figure isr_worst_call)
le "$mean" "$MEAN_MAX"
check mean_per_edge $? "isr_instructions_per_edge_mean=${mean:-missing} > $MEAN_MAX"
le "$worst" "$WORST_MAX"
check worst_call $? "isr_worst_call=${worst:-missing} > $WORST_MAX"
for f in isr_edge_mean isr_sample_mean isr_edge_worst isr_sample_worst isr_worst_call_forced; do
  [ -n "$(figure $f)" ]
  check "figure_$f" $? "no 'bench $f' line"
done
echo "kt: tests/cli/bench_isr.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
