#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# keybus-sim: every closed-loop scenario in examples/scenarios passes (the
# demo too, in virtual time); malformed scenarios exit 2 with file:line; a
# failing expectation exits 1 with file:line; with an engine that ignores
# every frame (--ignore-frames) every scenario fails, so the expectations
# really read the engine; the VCD of a run decoded by keybus-reader --state
# reaches the engine's state; --realtime paces and stops cleanly on SIGINT.
# Needs build/bin/keybus-sim and build/bin/keybus-reader (make V=rel apps);
# KEYBUS_SIM / KEYBUS_READER override the binaries.
set -u
. "$(dirname "$0")/lib.sh"
kt_tmpdir
KT_DETAIL_LINES=40
S=${KEYBUS_SIM:-build/bin/keybus-sim}
E=examples/scenarios

if [ ! -x "$S" ]; then
  ko "keybus-sim binary present ($S; run make V=rel apps)"
  kt_done sim
fi
kt_need_reader sim

# run OUTNAME ARGS...: runs keybus-sim, stdout+stderr in $tmp/OUTNAME, rc in $rc
run() { local o=$1; shift; "$S" "$@" >"$tmp/$o" 2>&1; rc=$?; }

# -------------------------------------------------------------- every example
for f in "$E"/*.kbs; do
  n=$(basename "$f" .kbs)
  [ "$n" = demo ] && continue
  run "$n.out" --quiet "$f"
  if [ "$rc" -eq 0 ] && grep -q "passed, " "$tmp/$n.out"; then ok "scenario $n"; else ko "scenario $n (exit $rc)" "$(cat "$tmp/$n.out")"; fi
done

run demo.out "$E/demo.kbs"
if [ "$rc" -eq 0 ] && grep -q '^examples/scenarios/demo.kbs: passed' "$tmp/demo.out" &&
   grep -q 'partition 1 armed away' "$tmp/demo.out" && grep -q 'key request 1 (partition 1 "w"): rejected' "$tmp/demo.out"; then
  ok "demo scenario in virtual time (status changes and key results printed)"
else
  ko "demo scenario in virtual time (exit $rc)" "$(tail -n 20 "$tmp/demo.out")"
fi

# --quiet: a passing scenario prints its summary line only
run q.out --quiet "$E/arm_away.kbs"
if [ "$rc" -eq 0 ] && [ "$(wc -l <"$tmp/q.out")" -eq 1 ]; then ok "--quiet prints the summary only"; else ko "--quiet (exit $rc)" "$(cat "$tmp/q.out")"; fi

# ------------------------------------------------------------- malformed input
# mal NAME LINE TEXT: the scenario TEXT must exit 2 naming NAME.kbs:LINE
mal() {
  local name=$1 line=$2
  printf '%s\n' "$3" >"$tmp/$name.kbs"
  run "$name.out" "$tmp/$name.kbs"
  if [ "$rc" -eq 2 ] && grep -q "$tmp/$name.kbs:$line: " "$tmp/$name.out"; then
    ok "malformed: $name -> exit 2 at line $line"
  else
    ko "malformed: $name (exit $rc, want 2 with :$line:)" "$(cat "$tmp/$name.out")"
  fi
}
mal unknown_line 2 $'# x\nfrobnicate 3'
mal bad_time 1 'at 2x open zone 3'
# numbers one digit above their limit (a wrapped bound check let them through)
mal result_above_requests 2 $'panel later\nexpect result 9 done by 1s'
mal output_above_4 2 $'panel later\noutput 7 pgm 3'
mal keypad_partition_9 2 $'panel later\nat 1s keypad 9 "1"'
mal partition_9 2 $'panel later\nexpect partition 9 ready by 1s'
mal trailing_bits_9 2 $'panel later\ntrailing_bits 9'
mal code_digits_8 2 $'panel later\ncode_digits 8'
mal huge_number 2 $'panel later\nexit_delay 99999999999999999999999s'
mal no_unit 1 'at 2 open zone 3'
mal bad_zone 1 'at 2s open zone 65'
mal unterminated 2 $'exit_delay 5s\nat 1s keys 1 "1234'
mal bad_key 1 'at 1s keys 1 "12z4"'
mal no_when 2 $'at 1s open zone 1\nexpect zone 1 open'
mal by_before_action 2 $'at 5s open zone 1\nexpect zone 1 open by 4s'
mal result_without_request 1 'expect result last done by 4s'
mal bad_state 1 'expect partition 1 sleepy by 4s'
mal event_at 1 'expect event armed at 4s'
mal after_end 2 $'end 10s\nat 11s open zone 1'
mal expect_after_end 2 $'end 10s\nexpect zone 1 open by 11s'
mal panel_late 2 $'exit_delay 5s\npanel early'
mal bad_code 1 'at 1s keys 1 "w" code 12'
mal bad_prob 1 'ber 2'
mal quote_in_word 1 'at 1s keys 1 a"b"'

printf 'at 1s open zone 1\n\000\n' >"$tmp/nul.kbs"
run nul.out "$tmp/nul.kbs"
if [ "$rc" -eq 2 ] && grep -q "nul.kbs:2: " "$tmp/nul.out"; then ok "malformed: NUL byte -> exit 2"; else ko "malformed: NUL byte (exit $rc)" "$(cat "$tmp/nul.out")"; fi

run nofile.out "$tmp/does-not-exist.kbs"
if [ "$rc" -eq 2 ] && grep -q "does-not-exist.kbs" "$tmp/nofile.out"; then ok "unreadable file -> exit 2"; else ko "unreadable file (exit $rc)" "$(cat "$tmp/nofile.out")"; fi

run usage.out
if [ "$rc" -eq 2 ]; then ok "no scenario -> usage, exit 2"; else ko "no scenario (exit $rc)"; fi

# garbage never crashes: mutated examples and random bytes exit 0, 1 or 2
python3 - "$tmp" "$E" <<'EOF'
import os, random, sys
tmp, ex = sys.argv[1], sys.argv[2]
rnd = random.Random(1234)
files = sorted(f for f in os.listdir(ex) if f.endswith(".kbs") and f != "demo.kbs")
words = ["at", "expect", "by", "between", "no", "not", "zone", "partition", "keys", "\"", "0x", "-1",
         "99999999999999999999s", "1e400", "end", "0s", "", "\t", "#", "@", "result", "last", "event"]
for i in range(40):
    lines = open(os.path.join(ex, files[i % len(files)])).read().split("\n")
    for _ in range(4):
        j = rnd.randrange(len(lines))
        toks = lines[j].split(" ")
        toks[rnd.randrange(len(toks))] = rnd.choice(words)
        lines[j] = " ".join(toks)
    open(os.path.join(tmp, "fz%02d.kbs" % i), "w").write("\n".join(lines))
for i in range(10):
    open(os.path.join(tmp, "rb%02d.kbs" % i), "wb").write(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 400))))
EOF
bad=""
for f in "$tmp"/fz*.kbs "$tmp"/rb*.kbs; do
  ASAN_OPTIONS=exitcode=99:detect_leaks=1 UBSAN_OPTIONS=exitcode=99:print_stacktrace=1 "$S" --quiet "$f" >/dev/null 2>&1; r=$?
  [ "$r" -le 2 ] || bad="$bad $(basename "$f"):$r"
done
if [ -z "$bad" ]; then ok "50 mutated/random scenarios: no crash (exit 0-2)"; else ko "mutated scenarios crashed:$bad"; fi

# --------------------------------------------------------- failing expectation
cat >"$tmp/fails.kbs" <<'EOF'
exit_delay 3s
at 1s keys 1 "w" code 1234
expect partition 1 armed_away by 8s
expect partition 1 armed_stay by 8s
expect zone 2 open by 8s
end 9s
EOF
run fails.out "$tmp/fails.kbs"
if [ "$rc" -eq 1 ] && grep -q "fails.kbs:4: FAILED: expect partition 1 armed_stay" "$tmp/fails.out" &&
   grep -q "fails.kbs:5: FAILED" "$tmp/fails.out" && ! grep -q "fails.kbs:3: FAILED" "$tmp/fails.out"; then
  ok "failing expectations -> exit 1 with file:line"
else
  ko "failing expectations (exit $rc)" "$(cat "$tmp/fails.out")"
fi

# several files: the worst exit wins
run multi.out --quiet "$E/arm_away.kbs" "$tmp/fails.kbs"
if [ "$rc" -eq 1 ]; then ok "several scenarios, one failing -> exit 1"; else ko "several scenarios (exit $rc)" "$(cat "$tmp/multi.out")"; fi

# ------------------------------------------- expectations read the engine
bad=""
for f in "$E"/*.kbs; do
  grep -q '^expect' "$f" || continue
  "$S" --quiet --ignore-frames "$f" >"$tmp/ign.out" 2>&1; r=$?
  [ "$r" -eq 1 ] || bad="$bad $(basename "$f"):$r"
done
if [ -z "$bad" ]; then ok "with an engine that ignores every frame, every scenario fails"; else ko "--ignore-frames did not fail:$bad"; fi

# ------------------------------------------------- VCD decoded by the reader
norm_state() { sed -e '/^\t"health":/,$d' -e '/^\t"keybus_connected":/d' "$1"; }
for n in partitions bus_cut early_panel; do
  run vcd-$n.out --quiet --vcd-out "$tmp/$n.vcd" --state-out "$tmp/$n.sim.json" "$E/$n.kbs"
  "$R" --state "$tmp/$n.vcd" >"$tmp/$n.reader.json" 2>"$tmp/$n.reader.err"; r=$?
  if [ "$rc" -eq 0 ] && [ "$r" -eq 0 ] && grep -q '"partitions"' "$tmp/$n.sim.json" &&
     diff <(norm_state "$tmp/$n.sim.json") <(norm_state "$tmp/$n.reader.json") >"$tmp/$n.diff"; then
    ok "vcd-out of $n decoded by keybus-reader --state: same state as the engine"
  else
    ko "vcd-out of $n (sim exit $rc, reader exit $r)" "$(cat "$tmp/$n.diff" "$tmp/$n.reader.err")"
  fi
done

# ----------------------------------------------------------------- realtime
cat >"$tmp/short.kbs" <<'EOF'
expect partition 1 ready by 1s
end 1.5s
EOF
t0=$(date +%s%N)
run rt.out --realtime "$tmp/short.kbs" </dev/null
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ "$rc" -eq 0 ] && [ "$ms" -ge 1300 ] && [ "$ms" -lt 5000 ]; then ok "--realtime paces to the wall clock (${ms} ms for 1.5 s)"; else ko "--realtime (exit $rc, ${ms} ms)" "$(cat "$tmp/rt.out")"; fi

"$S" --realtime "$E/demo.kbs" >"$tmp/int.out" 2>&1 </dev/null &
pid=$!
sleep 1.5
kill -INT "$pid"
wait "$pid"; rc=$?
if [ "$rc" -eq 1 ] && grep -q 'demo.kbs: STOPPED' "$tmp/int.out" && grep -q 'stopped by a signal' "$tmp/int.out" &&
   grep -q 'keybus connected' "$tmp/int.out"; then
  ok "--realtime without a terminal: SIGINT stops cleanly with a summary"
else
  ko "--realtime SIGINT (exit $rc)" "$(cat "$tmp/int.out")"
fi

kt_done sim
