#!/usr/bin/env bash
# bench_isr.sh - runs the interrupt benchmark (bench/bench.sh isr: callgrind
# instruction counts, deterministic) and checks its figures against the
# budgets, both with the write path idle and with a key written continuously
# (the figures with the suffix _writing):
#   library only (kb_link_edge/kb_link_sample): mean per clock edge <= 38
#   instructions, worst single call <= 60;
#   the template port's handlers with the stub platform (isr_port_*, see
#   bench/README.md): mean per clock edge <= 50 (<= 58 writing: the write
#   plan costs the library ~7 more per edge too), worst call <= 80.
set -u
. "$(dirname "$0")/lib.sh"
MEAN_MAX=38
WORST_MAX=60
PORT_MEAN_MAX=50
PORT_MEAN_WRITING_MAX=58
PORT_WORST_MAX=80

bench_run isr '^(bench|info reference|info isr(_port)?_writing keys|info isr_port (model|stub))'
budget() { # NAME FIGURE MAX
  local v
  v=$(figure "$2")
  le "$v" "$3"
  check_status "$1" $? "$2=${v:-missing} > $3"
}
budget mean_per_edge isr_instructions_per_edge_mean $MEAN_MAX
budget worst_call isr_worst_call $WORST_MAX
budget mean_per_edge_writing isr_instructions_per_edge_mean_writing $MEAN_MAX
budget worst_call_writing isr_worst_call_writing $WORST_MAX
budget port_mean_per_edge isr_port_instructions_per_edge_mean $PORT_MEAN_MAX
budget port_worst_call isr_port_worst_call $PORT_WORST_MAX
budget port_mean_per_edge_writing isr_port_instructions_per_edge_mean_writing $PORT_MEAN_WRITING_MAX
budget port_worst_call_writing isr_port_worst_call_writing $PORT_WORST_MAX
for f in isr_edge_mean isr_sample_mean isr_edge_worst isr_sample_worst isr_worst_call_forced \
  isr_edge_worst_writing isr_sample_worst_writing isr_worst_call_forced_writing \
  isr_port_edge_mean isr_port_sample_mean isr_port_worst_call_forced isr_port_worst_call_forced_writing; do
  [ -n "$(figure $f)" ]
  check_status "figure_$f" $? "no 'bench $f' line"
done
kt_done tests/cli/bench_isr.sh
