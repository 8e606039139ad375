#!/usr/bin/env bash
# bench_classic.sh - runs the Classic link's interrupt benchmark (bench/bench.sh
# classic: callgrind instruction counts of kb_cls_link_edge + kb_cls_link_sample
# over Classic frames, deterministic) and checks the figures against the
# budgets: mean per clock edge <= 38 instructions with the write path idle
# (the PowerSeries link's budget, tests/cli/bench_isr.sh) and <= 40 with a
# key written in every frame (measured: 31.2 and 33.2, docs/classic.md).
set -u
. "$(dirname "$0")/lib.sh"
MEAN_MAX=38
MEAN_WRITING_MAX=40

bench_run classic '^bench'
budget() { # NAME FIGURE MAX
  local v
  v=$(figure "$2")
  le "$v" "$3"
  check_status "$1" $? "$2=${v:-missing} > $3"
}
budget cls_mean_per_edge cls_isr_instructions_per_edge_mean $MEAN_MAX
budget cls_mean_per_edge_writing cls_isr_instructions_per_edge_mean_writing $MEAN_WRITING_MAX
kt_done tests/cli/bench_classic.sh
