#!/usr/bin/env bash
# bench_panel.sh - runs the panel role's interrupt benchmark (bench/bench.sh
# panel: callgrind instruction counts of kb_pnl_isr() per path, through the
# bench's one-line wrappers, deterministic) and checks them against the
# budgets: every path's mean per call <= 45 instructions, the mean over all
# calls <= 34 (measured: 28.0 / 29.5 / 37.0 / 28.1, all 28.8:
# docs/keypad-interface.md).
set -u
. "$(dirname "$0")/lib.sh"
PATH_MAX=45
MEAN_MAX=34

bench_run panel '^bench'
budget() { # NAME FIGURE MAX
  local v
  v=$(figure "$2")
  le "$v" "$3"
  check_status "$1" $? "$2=${v:-missing} > $3"
}
for p in gap low end high; do
  budget "panel_${p}_mean" "panel_isr_${p}_mean" $PATH_MAX
done
budget panel_mean panel_isr_mean $MEAN_MAX
kt_done tests/cli/bench_panel.sh
