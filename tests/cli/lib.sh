# SPDX-License-Identifier: MIT
# lib.sh - helpers shared by the script tests in tests/cli (not a test itself:
# tests/run.sh skips it). Source it first thing, from the script's directory:
#   . "$(dirname "$0")/lib.sh"
# It moves to the repository root and sets the counters pass=0, fail=0.
# Every script ends with `kt_done NAME`, which prints the line tests/run.sh
# parses, "kt: NAME: N passed, M failed", and exits non-zero when a case failed;
# or with `kt_skip NAME REASON` when it cannot run on this machine.

cd "$(dirname "$0")/../.." || exit 1
pass=0
fail=0
# lines of detail ko prints under a failed case
KT_DETAIL_LINES=30

# ok NAME: one passed case
ok() { pass=$((pass + 1)); echo "ok   $1"; }
# ko NAME [DETAIL]: one failed case, with the first KT_DETAIL_LINES lines of DETAIL indented
ko() {
  fail=$((fail + 1))
  echo "FAIL $1"
  [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/    /' | head -n "$KT_DETAIL_LINES"
  return 0
}
# check NAME COMMAND...: passes when the command succeeds
check() { local n=$1; shift; if "$@"; then ok "$n"; else ko "$n"; fi; }
# check_status NAME STATUS DETAIL: passes (silently) when STATUS is 0, else prints
# "  FAIL NAME: DETAIL" and returns 1
check_status() {
  if [ "$2" -eq 0 ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "  FAIL $1: $3"
    return 1
  fi
}

# bench_run SECTION PATTERN: runs `bash bench/bench.sh SECTION` into out, prints
# its lines matching PATTERN (grep -E); case bench_runs: the script exited 0
bench_run() {
  local rc
  out=$(bash bench/bench.sh "$1" 2>&1)
  rc=$?
  printf '%s\n' "$out" | grep -E "$2"
  check_status bench_runs "$rc" "bench.sh $1 exited $rc: $(printf '%s\n' "$out" | grep -v '^info' | tail -n 5 | tr '\n' ' ')"
}
# figure NAME: the value of the "bench NAME VALUE UNIT" line in out
figure() { printf '%s\n' "$out" | awk -v n="$1" '$1 == "bench" && $2 == n {print $3}'; }
# le VALUE MAX: true when VALUE is present and <= MAX
le() {
  [ -n "$1" ] && awk -v v="$1" -v m="$2" 'BEGIN {exit !(v <= m)}'
}

# kt_tmpdir: sets tmp to a fresh directory, removed when the script exits
kt_tmpdir() {
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
}

# kt_need_reader NAME: sets R to the keybus-reader under test ($KEYBUS_READER,
# default build/bin/keybus-reader); ends the script with one failed case when
# it is missing
kt_need_reader() {
  R=${KEYBUS_READER:-build/bin/keybus-reader}
  if [ ! -x "$R" ]; then
    ko "keybus-reader binary present ($R; run make V=rel apps)"
    kt_done "$1"
  fi
}

# kt_skip NAME REASON: the script cannot run here (a tool or kit it needs is
# not available): prints "skipped: REASON" and the result line with
# ", 1 skipped", which tests/run.sh counts as neither passed nor failed; exits
# 0. Cases already counted are reported as they are.
kt_skip() {
  echo "skipped: $2"
  echo "kt: $1: $pass passed, $fail failed, 1 skipped"
  [ "$fail" -eq 0 ] && exit 0
  exit 1
}

# kt_done NAME: the result line; exits 0 when no case failed, else 1
kt_done() {
  echo "kt: $1: $pass passed, $fail failed"
  [ "$fail" -eq 0 ] && exit 0
  exit 1
}
