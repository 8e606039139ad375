#!/usr/bin/env bash
# bench_isr.sh - runs the interrupt benchmark (bench/bench.sh isr: callgrind
# instruction counts, deterministic) and checks its figures against the
# budget: mean per clock edge <= 38 instructions, worst single call <= 60,
# both with the write path idle and with a key written continuously (the
# figures with the suffix _writing).
set -u
. "$(dirname "$0")/lib.sh"
MEAN_MAX=38
WORST_MAX=60

bench_run isr '^(bench|info reference|info isr_writing keys)'
mean=$(figure isr_instructions_per_edge_mean)
worst=$(figure isr_worst_call)
le "$mean" "$MEAN_MAX"
check_status mean_per_edge $? "isr_instructions_per_edge_mean=${mean:-missing} > $MEAN_MAX"
le "$worst" "$WORST_MAX"
check_status worst_call $? "isr_worst_call=${worst:-missing} > $WORST_MAX"
mean_w=$(figure isr_instructions_per_edge_mean_writing)
worst_w=$(figure isr_worst_call_writing)
le "$mean_w" "$MEAN_MAX"
check_status mean_per_edge_writing $? "isr_instructions_per_edge_mean_writing=${mean_w:-missing} > $MEAN_MAX"
le "$worst_w" "$WORST_MAX"
check_status worst_call_writing $? "isr_worst_call_writing=${worst_w:-missing} > $WORST_MAX"
for f in isr_edge_mean isr_sample_mean isr_edge_worst isr_sample_worst isr_worst_call_forced \
  isr_edge_worst_writing isr_sample_worst_writing isr_worst_call_forced_writing; do
  [ -n "$(figure $f)" ]
  check_status "figure_$f" $? "no 'bench $f' line"
done
kt_done tests/cli/bench_isr.sh
