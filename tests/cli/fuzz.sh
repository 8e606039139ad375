#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The libFuzzer targets of tests/fuzz (see docs/fuzzing.md), each run for
# FUZZ_SECONDS (default 30; `make fuzz` runs 300) with a seed corpus built
# now from the tests' data (tests/fuzz/seeds.py), then every regression
# input in tests/fuzz/regress/<target>/ replayed. A crash, a sanitizer report
# or a failed invariant is a failed case; the input that caused it is kept
# in build/fuzz/artifacts/<target>/ (commit it under tests/fuzz/regress/
# with the fix). Inputs in tests/fuzz/pending/<target>/ reproduce crashes in
# code not fixed yet: listed, not replayed.
# FUZZ_JOBS targets run side by side (default: 2, or 1 on one CPU).
# FUZZ_KEEP_CORPUS=1 keeps each target's corpus in build/fuzz/corpus/<target>
# from run to run (make fuzz); otherwise it lives in a temporary directory.
set -u
. "$(dirname "$0")/lib.sh"
kt_tmpdir
S=${FUZZ_SECONDS:-30}
JOBS=${FUZZ_JOBS:-$(($(nproc) > 1 ? 2 : 1))}
TARGETS=$(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c | sed 's/^fuzz_//'; done)

# the reader writes some of the seeds (VCDs from captures)
R=${KEYBUS_READER:-build/bin/keybus-reader}
if [ ! -x "$R" ]; then
  make --no-print-directory V=rel apps >"$tmp/apps.log" 2>&1 || { ko "keybus-reader built for the seeds" "$(tail -n 20 "$tmp/apps.log")"; kt_done fuzz; }
fi
if make --no-print-directory V=fuzz -j2 fuzz-bins >"$tmp/build.log" 2>&1; then
  ok "fuzz targets built (clang -fsanitize=fuzzer,address,undefined): $(echo $TARGETS)"
else
  ko "fuzz targets built (clang -fsanitize=fuzzer,address,undefined)" "$(grep -E 'error|cannot find|undefined reference' "$tmp/build.log" | head -n 20)"
  kt_done fuzz
fi

# one target: seeds, then the fuzzer; result in $tmp/<t>.res
run_one() {
  local t=$1 bin=build/fuzz/fuzz/fuzz_$1 seeds=$tmp/seeds/$1 corpus art=build/fuzz/artifacts/$1 rc
  if [ "${FUZZ_KEEP_CORPUS:-0}" = 1 ]; then corpus=build/fuzz/corpus/$t; else corpus=$tmp/corpus/$t; fi
  mkdir -p "$seeds" "$corpus" "$art"
  if ! KEYBUS_READER="$R" python3 tests/fuzz/seeds.py "$t" "$seeds" >"$tmp/$t.seeds" 2>&1; then
    echo "FAIL seeds: $(cat "$tmp/$t.seeds")" >"$tmp/$t.res"
    return
  fi
  timeout $((S + 300)) "$bin" -max_total_time="$S" -timeout=25 -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="$art/" "$corpus" "$seeds" >"$tmp/$t.log" 2>&1
  rc=$?
  echo "$rc" >"$tmp/$t.res"
}

running=0
for t in $TARGETS; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait

for t in $TARGETS; do
  res=$(cat "$tmp/$t.res" 2>/dev/null || echo "no result")
  log=$tmp/$t.log
  if [ "$res" = 0 ]; then
    execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$')
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+')
    ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+')
    corp=$(grep -oE 'corp: [0-9]+/[0-9a-zA-Z]+' <<<"$last" | cut -d' ' -f2)
    ok "fuzz_$t: ${S} s, $execs inputs, cov $cov, ft $ft, corpus $corp ($(grep -oE '[0-9]+ files' "$tmp/$t.seeds") of seeds), no crash"
  else
    crash=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -n 1 | sed 's/Test unit written to //')
    ko "fuzz_$t: ${S} s without a crash (exit $res)${crash:+; input kept in $crash}" \
      "$(grep -E 'ERROR|SUMMARY|invariant failed|#[0-9] 0x|deadly signal|timeout|FAIL' "$log" | head -n 25)"
  fi
  # regression inputs: every one must run clean
  files=()
  if [ -d "tests/fuzz/regress/$t" ]; then
    while IFS= read -r f; do files+=("$f"); done < <(find "tests/fuzz/regress/$t" -type f | sort)
  fi
  if [ ${#files[@]} -gt 0 ]; then
    if "build/fuzz/fuzz/fuzz_$t" -timeout=25 "${files[@]}" >"$tmp/$t.regress" 2>&1; then
      ok "fuzz_$t: ${#files[@]} regression input(s) in tests/fuzz/regress/$t replay clean"
    else
      ko "fuzz_$t: ${#files[@]} regression input(s) in tests/fuzz/regress/$t replay clean" \
        "$(grep -E 'Running:|ERROR|SUMMARY|invariant failed|#[0-9] 0x' "$tmp/$t.regress" | head -n 25)"
    fi
  fi
  if [ -d "tests/fuzz/pending/$t" ]; then
    n=$(find "tests/fuzz/pending/$t" -type f | wc -l)
    [ "$n" -gt 0 ] && echo "info fuzz_$t: $n input(s) in tests/fuzz/pending/$t (crashes in code not fixed yet; not replayed)"
  fi
done

kt_done fuzz
