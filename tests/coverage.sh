#!/usr/bin/env bash
# coverage.sh - branch coverage of src/core (`make coverage`).
#
# Builds the unit tests in the "cov" variant (`make V=cov tests`: --coverage,
# -O0), removes every .gcda left by earlier runs, runs each test binary in
# build/cov/tests, then reports branch coverage of src/core with gcovr, per
# file (the Missing column lists the lines holding an untaken branch) and in
# total. Exits 1 when total branch coverage of src/core is below 90 % (or the
# build or gcovr fails); a failing test binary is reported as a warning (it is
# `make test`'s verdict). Last line: `coverage src/core branches N.N %`.
# COVERAGE_DETAIL=1 also lists every untaken branch (line, branch index).
#
# KB_ASSERT: the cov build traps on a failed KB_ASSERT like every test build
# (Makefile, CORE_ASSERT). Its failing side is a caller's programming error
# that no test of behaviour takes, so the branches on a line that starts with
# KB_ASSERT( are left out of the figure (gcovr --exclude-branches-by-pattern;
# the lines still count as lines). Keep each KB_ASSERT on one line: branches on
# a continuation line would count. The summary says how many were left out.
set -u
cd "$(dirname "$0")/.." || exit 1
MIN=${COVERAGE_MIN:-90}
B=build/cov
status=0
ASSERT_LINES='[[:space:]]*KB_ASSERT\('

command -v gcovr >/dev/null || { echo "coverage: gcovr not found (scripts/deps.sh installs it)"; exit 1; }

# The core's objects are rebuilt every time (make -W: as if each source had
# changed, without touching it): make does not track a change of compiler
# flags (KB_ASSERT trapping or not), and a stale object would measure another
# build than the one the tests run. (-O0: a few seconds.)
what_if=()
for c in src/core/*.c; do what_if+=(-W "$c"); done
if ! make --no-print-directory V=cov -j2 "${what_if[@]}" tests >build-cov.log 2>&1; then
  tail -n 40 build-cov.log
  echo "coverage: FAIL build (make V=cov tests)"
  rm -f build-cov.log
  exit 1
fi
rm -f build-cov.log

find "$B" -name '*.gcda' -delete

nbin=0
while IFS= read -r t; do
  nbin=$((nbin + 1))
  if ! out=$("$t" 2>&1); then
    printf '%s\n' "$out" | tail -n 20
    # failing tests are `make test`'s verdict; the coverage of what ran still counts
    echo "coverage: WARNING test ${t#"$B"/tests/} failed (see make test)"
  else
    printf '%s\n' "$out" | grep -E '^kt: ' | tail -n 1
  fi
done < <(find "$B/tests" -type f -perm -u+x | sort)
if [ "$nbin" -eq 0 ]; then
  echo "coverage: FAIL no test binaries in $B/tests"
  exit 1
fi

# gcovr 5.x: --branches selects branch coverage for the text report;
# --json-summary gives the exact totals.
# gcovr's pattern is a Python regex matched at the start of the source line.
if ! gcovr --root . --filter 'src/core/' --filter 'include/keybus/' --object-directory "$B" --branches \
  --exclude-branches-by-pattern '\s*KB_ASSERT\(' \
  --txt "$B/coverage.txt" --json-summary "$B/coverage.json" >"$B/gcovr.log" 2>&1 ||
  ! gcovr --root . --filter 'src/core/' --filter 'include/keybus/' --object-directory "$B" \
    --json-summary "$B/coverage-all.json" >>"$B/gcovr.log" 2>&1; then
  cat "$B/gcovr.log"
  echo "coverage: FAIL gcovr"
  exit 1
fi
cat "$B/coverage.txt"
if [ "${COVERAGE_DETAIL:-0}" != 0 ] &&
  gcovr --root . --filter 'src/core/' --filter 'include/keybus/' --object-directory "$B" --json "$B/coverage-detail.json" \
    --exclude-branches-by-pattern '\s*KB_ASSERT\(' >/dev/null 2>&1; then
  python3 -c '
import json, sys
for f in json.load(open(sys.argv[1]))["files"]:
    src = open(f["file"]).read().split("\n")
    for l in f["lines"]:
        miss = [str(i) for i, b in enumerate(l.get("branches", [])) if b["count"] == 0]
        if miss:
            n = l["line_number"]
            print("untaken %s:%d branch %s of %d: %s" % (f["file"], n, ",".join(miss),
                  len(l["branches"]), src[n - 1].strip()))' "$B/coverage-detail.json"
fi

total=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
a = json.load(open(sys.argv[2]))
n, c = d["branch_total"], d["branch_covered"]
print("%.1f %d %d %d %d" % (100.0 * c / n if n else 0.0, c, n,
      a["branch_total"] - n, a["branch_covered"] - c))' "$B/coverage.json" "$B/coverage-all.json") || {
  echo "coverage: FAIL reading $B/coverage.json"
  exit 1
}
read -r pct covered all xall xcov <<<"$total"
nassert=$(grep -cE "^$ASSERT_LINES" src/core/*.c | awk -F: '{s += $2} END {print s + 0}')
echo "coverage: $xall branches on the $nassert KB_ASSERT lines left out ($xcov of them taken)"
echo "coverage: $covered of $all branches of src/core taken (minimum $MIN %)"
if ! awk -v p="$pct" -v m="$MIN" 'BEGIN {exit !(p >= m)}'; then
  echo "coverage: FAIL src/core branch coverage $pct % < $MIN %"
  status=1
fi
echo "coverage src/core branches $pct %"
exit $status
