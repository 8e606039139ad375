#!/usr/bin/env bash
# bench_decode.sh - runs the decode-cost benchmark (bench/bench.sh decode:
# callgrind instruction counts of the task-side path, deterministic) and
# checks its figures against the budget: mean instructions per frame <= 400,
# over the golden frames and over the reference mix.
set -u
cd "$(dirname "$0")/../.." || exit 1
MEAN_MAX=400
pass=0
fail=0
check() { # name condition-result detail
  if [ "$2" -eq 0 ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "  FAIL $1: $3"
    return 1
  fi
}
figure() { printf '%s\n' "$out" | awk -v n="$1" '$1 == "bench" && $2 == n {print $3}'; }
le() { # value max -> 0 when value <= max
  [ -n "$1" ] && awk -v v="$1" -v m="$2" 'BEGIN {exit !(v <= m)}'
}

out=$(bash bench/bench.sh decode 2>&1)
rc=$?
printf '%s\n' "$out" | grep -E '^(bench|info decode_(worst|frames_per))'
check bench_runs "$rc" "bench.sh decode exited $rc: $(printf '%s\n' "$out" | grep -v '^info' | tail -n 5 | tr '\n' ' ')"
for c in golden mix; do
  mean=$(figure "decode_instructions_per_frame_$c")
  le "$mean" "$MEAN_MAX"
  if ! check "mean_per_frame_$c" $? "decode_instructions_per_frame_$c=${mean:-missing} > $MEAN_MAX"; then
    # the most expensive commands, for whoever optimises
    printf '%s\n' "$out" | awk -v c="$c" '$1 == "info" && $2 == "decode" && $3 == "cmd" && $4 == c' |
      head -n 5 | sed 's/^/    /'
  fi
done
echo "kt: tests/cli/bench_decode.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
