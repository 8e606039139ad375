#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# keybus-reader --json on every capture file in tests/data/captures, checked
# against the hand-written tests/data/captures.expected.jsonl (one test case
# per capture file: every record of that file must match the object with the
# same file and line). Needs build/bin/keybus-reader (make V=rel apps).
set -u
. "$(dirname "$0")/lib.sh"
D=tests/data/captures
EXP=tests/data/captures.expected.jsonl
kt_tmpdir
kt_need_reader captures

names=()
for f in "$D"/*.txt; do
  n=$(basename "$f")
  names+=("$n")
  "$R" --json "$f" >"$tmp/$n.json" 2>"$tmp/$n.err"
  rc=$?
  echo "$rc" >"$tmp/$n.rc"
done

# every expected file exists
while IFS= read -r n; do
  [ -f "$D/$n" ] || ko "expected-records file $n exists in $D"
done < <(python3 -c 'import json,sys
seen=set()
for l in open(sys.argv[1]):
    if l.strip():
        f=json.loads(l)["file"]
        if f not in seen: seen.add(f); print(f)' "$EXP")

out=$(KEYBUS_READER="$R" CAPTURES_DIR="$D" python3 tests/cli/check_captures.py "$EXP" "$tmp" "${names[@]}" 2>&1)
pyrc=$?
printf '%s\n' "$out" | grep -v -E '^(PASS|FAIL) '
if [ $pyrc -ne 0 ]; then
  ko "check_captures.py ran (exit $pyrc)"
fi
for n in "${names[@]}"; do
  rc=$(cat "$tmp/$n.rc")
  line=$(printf '%s\n' "$out" | grep -E "^(PASS|FAIL) $n " | head -n 1)
  name="captures --json $n matches captures.expected.jsonl"
  if [ "$rc" -ne 0 ]; then
    ko "$name (keybus-reader exit $rc)"
    sed 's/^/    stderr: /' "$tmp/$n.err" | head -n 5
  elif [ -z "$line" ]; then
    ko "$name (no verdict)"
  elif [[ $line == PASS* ]]; then
    ok "$name ${line#PASS $n }"
  else
    ko "$name ${line#FAIL $n }"
  fi
done

kt_done captures
