#!/usr/bin/env bash
# size.sh - cross builds of the engine (bench/size.sh): every `ok`/`FAIL` check
# it prints is one test case (unit compiles for Cortex-M4 and RV32IMC, no
# .data/.bss, no __atomic_* imports, RAM probe within budget).
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
kt_done tests/cli/size.sh
