#!/usr/bin/env bash
# bench_decode.sh - runs the decode-cost benchmark (bench/bench.sh decode:
# callgrind instruction counts of the task-side path, deterministic) and
# checks its figures against the budget: mean instructions per frame <= 400,
# over the golden frames and over the reference mix.
set -u
. "$(dirname "$0")/lib.sh"
MEAN_MAX=400

bench_run decode '^(bench|info decode_(worst|frames_per))'
for c in golden mix; do
  mean=$(figure "decode_instructions_per_frame_$c")
  le "$mean" "$MEAN_MAX"
  if ! check_status "mean_per_frame_$c" $? "decode_instructions_per_frame_$c=${mean:-missing} > $MEAN_MAX"; then
    # the most expensive commands, for whoever optimises
    printf '%s\n' "$out" | awk -v c="$c" '$1 == "info" && $2 == "decode" && $3 == "cmd" && $4 == c' |
      head -n 5 | sed 's/^/    /'
  fi
done
kt_done tests/cli/bench_decode.sh
