#!/usr/bin/env bash
# size.sh - cross builds of the engine (bench/size.sh): every `ok`/`FAIL` check
# it prints is one test case (unit compiles for Cortex-M4 and RV32IMC, no
# .data/.bss, no __atomic_* imports, RAM probe within budget), then the RAM
# budgets of issue 7 (Cortex-M4, default configuration):
#   ram engine     (kb_link_t + kb_engine_t)        <= 1250 B
#   ram keys_queue (kb_keys_t, on its own line)      <= 320 B
#   ram bus        (kb_bus_t)  <= engine + keys_queue + 16 B: the bus holds
#                  the three and its clock, nothing else
set -u
. "$(dirname "$0")/lib.sh"
out=$(bash bench/size.sh 2>&1)
rc=$?
printf '%s\n' "$out" | grep -E '^(size|ram) '
printf '%s\n' "$out" | grep '^FAIL' | sed 's/^/  /'
pass=$(printf '%s\n' "$out" | grep -c '^ok ')
fail=$(printf '%s\n' "$out" | grep -c '^FAIL ')
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
  echo "  FAIL size.sh exited $rc without a failed check"
  fail=1
fi
if [ "$pass" -eq 0 ] && [ "$fail" -eq 0 ]; then
  echo "  FAIL size.sh ran no check"
  fail=1
fi
ENGINE_MAX=1250
KEYS_MAX=320
BUS_EXTRA_MAX=16
ram_of() { printf '%s\n' "$out" | sed -n "s/^ram $1 cortex-m4 bytes=\([0-9]*\)$/\1/p"; }
eng=$(ram_of engine)
keys=$(ram_of keys_queue)
bus=$(ram_of bus)
[ -n "$eng" ] && [ "$eng" -le "$ENGINE_MAX" ]
check_status ram_engine_budget $? "ram engine ${eng:-missing} > $ENGINE_MAX"
[ -n "$keys" ] && [ "$keys" -le "$KEYS_MAX" ]
check_status ram_keys_queue_budget $? "ram keys_queue ${keys:-missing} > $KEYS_MAX"
[ -n "$bus" ] && [ -n "$eng" ] && [ -n "$keys" ] && [ "$bus" -le $((eng + keys + BUS_EXTRA_MAX)) ]
check_status ram_bus_budget $? "ram bus ${bus:-missing} > engine ${eng:-?} + keys_queue ${keys:-?} + $BUS_EXTRA_MAX"
kt_done tests/cli/size.sh
