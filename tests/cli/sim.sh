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

# issue 6 item 13: every number of every condition/action is range-checked
# at parse time (an impossible condition made `expect` fail with exit 1 and
# its `no` form pass)
mal event_zone_65 1 'expect event zone_open 65 by 1s'
mal no_event_zone_65 1 'expect no event zone_open 65 between 1s 2s'
mal event_pgm_15 1 'expect event pgm 15 on by 1s'
mal event_partition_9 1 'expect event armed 9 by 1s'
mal event_keypad_alarm_4 1 'expect event keypad_alarm 4 by 1s'
mal event_trouble_number 1 'expect event trouble 3 by 1s'
mal event_time_number 1 'expect no event time 7 between 1s 2s'
mal event_synced_2 1 'expect event synced 2 by 1s'
mal event_frame_error_256 1 'expect event frame_error 256 by 1s'
mal event_buffer_1024 1 'expect event panel_event 1024 by 1s'
mal event_buffer_65534 1 'expect event panel_event 65534 by 1s'
mal event_access_code_on 1 'expect event access_code 1 on by 1s'
mal event_key_off 1 'expect no event key 1 off between 1s 2s'
mal access_code_user_96 1 'expect event access_code 1 user 96 by 1s'
mal access_code_user_0 1 'expect event access_code user 0 by 1s'
mal pev_unknown_kind 1 'expect event panel_event zone_sleepy 3 by 1s'
mal pev_zone_65 1 'expect event panel_event zone_alarm 65 by 1s'
mal pev_no_number 1 'expect event panel_event ac_trouble 3 by 1s'
mal pev_code_96 1 'expect event panel_event disarmed_by_code 96 by 1s'
mal pev_partition_9 1 'expect event panel_event armed_away partition 9 by 1s'
mal light_unknown 1 'expect partition 1 light disco by 1s'
mal light_partition_9 1 'expect partition 9 light memory on by 1s'
mal light_bad_state 1 'expect partition 1 light memory maybe by 1s'
mal result_status_not_rejected 2 $'at 1s keys 1 "w" code 1234\nexpect result last done status 0x8F by 2s'
mal result_reason_not_invalid 2 $'at 1s keys 1 "w" code 1234\nexpect result last done reason early by 2s'
mal result_bad_reason 2 $'at 1s keys 1 "w" code 1234\nexpect result last invalid reason sleepy by 2s'
mal result_attempts_0 2 $'at 1s keys 1 "w" code 1234\nexpect result last done attempts 0 by 2s'
# an early panel (partitions 1-2, zones 1-32): also when `panel early` comes last
mal early_zone_33 2 $'panel early\nexpect zone 33 open by 1s'
mal early_partition_3 2 $'panel early\nexpect no partition 3 alarm between 1s 2s'
mal early_light_3 2 $'panel early\nexpect partition 3 light ready by 1s'
mal early_event_zone_40 1 $'expect event zone_alarm 40 by 1s\npanel early'
mal early_event_partition_5 1 $'expect no event alarm 5 between 1s 2s\npanel early'
mal early_open_zone_40 1 $'at 1s open zone 40\npanel early'
mal early_keypad_3 1 $'at 1s keypad 3 "1"\npanel early'
mal early_zone_config 2 $'panel early\nzone 33 partition 1 type delay'
mal early_zone_config_part 2 $'panel early\nzone 9 partition 3 type delay'

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
         "99999999999999999999s", "1e400", "end", "0s", "", "\t", "#", "@", "result", "last", "event",
         "repeat", "+2s", "every", "from", "light", "user", "tamper", "human", "reason"]
for i in range(40):
    lines = open(os.path.join(ex, files[i % len(files)])).read().split("\n")
    for _ in range(4):
        j = rnd.randrange(len(lines))
        toks = lines[j].split(" ")
        toks[rnd.randrange(len(toks))] = rnd.choice(words)
        lines[j] = " ".join(toks)
    open(os.path.join(tmp, "fz%02d.kbs" % i), "w").write("\n".join(lines))
for i in range(10):  # repeat blocks and the newer conditions, mutated
    lines = ["exit_delay 3s", "repeat 3 every 10s from 1s", "at +1s keys 1 \"w\" code 1234",
             "expect partition 1 light armed on by +6s", "expect event access_code 1 user 1 by +7s",
             "at +7s tamper zone 3 on", "expect no event panel_event zone_alarm 3 between +7s +9s",
             "end repeat", "end 40s"]
    for _ in range(3):
        j = rnd.randrange(len(lines))
        toks = lines[j].split(" ")
        toks[rnd.randrange(len(toks))] = rnd.choice(words)
        lines[j] = " ".join(toks)
    open(os.path.join(tmp, "fr%02d.kbs" % i), "w").write("\n".join(lines))
for i in range(10):
    open(os.path.join(tmp, "rb%02d.kbs" % i), "wb").write(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 400))))
EOF
bad=""
for f in "$tmp"/fz*.kbs "$tmp"/fr*.kbs "$tmp"/rb*.kbs; do
  ASAN_OPTIONS=exitcode=99:detect_leaks=1 UBSAN_OPTIONS=exitcode=99:print_stacktrace=1 "$S" --quiet "$f" >/dev/null 2>&1; r=$?
  [ "$r" -le 2 ] || bad="$bad $(basename "$f"):$r"
done
if [ -z "$bad" ]; then ok "60 mutated/random scenarios: no crash (exit 0-2)"; else ko "mutated scenarios crashed:$bad"; fi

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

# ----------------------------------------------- issue 6: the scenario language
# scn NAME: writes $tmp/NAME.kbs from stdin
scn() { cat >"$tmp/$1.kbs"; }

# `expect no` needs a synced engine: with an engine that decodes nothing
# (--ignore-frames) each form fails with a clear message; on the real
# engine they pass.
scn nosync <<'EOF'
expect no partition 1 alarm between 1s 3s
expect no event zone_alarm 1 between 1s 3s
expect no zone 2 open at 2s
expect no partition 1 light memory on between 1s 3s
expect no synced at 0s
end 4s
EOF
run nosync-ign.out --quiet --ignore-frames "$tmp/nosync.kbs"
if [ "$rc" -eq 1 ] && grep -q "nosync.kbs:1: FAILED: .*never synced by 3.000s" "$tmp/nosync-ign.out" &&
   grep -q "nosync.kbs:2: FAILED: .*never synced" "$tmp/nosync-ign.out" &&
   grep -q "nosync.kbs:3: FAILED: .*not synced" "$tmp/nosync-ign.out" &&
   grep -q "nosync.kbs:4: FAILED: .*never synced" "$tmp/nosync-ign.out" &&
   ! grep -q "nosync.kbs:5: FAILED" "$tmp/nosync-ign.out"; then
  ok "expect no ...: fails when the engine never synced (state, event, at, light; not the synced condition itself)"
else
  ko "expect no without sync (exit $rc)" "$(cat "$tmp/nosync-ign.out")"
fi
run nosync.out --quiet "$tmp/nosync.kbs"
if [ "$rc" -eq 0 ]; then ok "expect no ...: passes on a synced engine"; else ko "expect no on a synced engine (exit $rc)" "$(cat "$tmp/nosync.out")"; fi

# a `by` window whose condition already holds when it opens: a warning with
# file:line (even with --quiet), not a failure; none for a real change
scn byheld <<'EOF'
at 1s open zone 1
expect partition 1 ready by 3s
expect zone 1 open by 3s
at 4s keys 1 "9"
expect result last done by 6s
end 7s
EOF
run byheld.out --quiet "$tmp/byheld.kbs"
if [ "$rc" -eq 0 ] && grep -q "byheld.kbs:2: warning: expect partition 1 ready by 3s (it already holds when its window opens at 1\.[0-9]*s" "$tmp/byheld.out" &&
   ! grep -q "byheld.kbs:3: warning" "$tmp/byheld.out" && ! grep -q "byheld.kbs:5: warning" "$tmp/byheld.out" &&
   grep -q "byheld.kbs: passed, 3/3 expectations passed, .*, 1 warning$" "$tmp/byheld.out"; then
  ok "by window already true when it opens: warning with file:line, run passes"
else
  ko "by-window warning (exit $rc)" "$(cat "$tmp/byheld.out")"
fi

# access-code numbers, panel event kinds, keypad lights
scn codes <<'EOF'
exit_delay 3s
entry_delay 5s
zone 3 partition 1 type instant
at 2s keys 1 "w" code 1234
expect event access_code 1 user 1 by 10s
expect event access_code user 1 by 10s
expect no event access_code 1 user 40 between 2s 10s
expect event panel_event armed_by_code 1 partition 1 by 10s
expect event panel_event armed_away by 10s
expect event panel_event live by 10s
expect no event panel_event armed_stay between 2s 10s
expect no event panel_event armed_by_code 2 between 2s 10s
expect partition 1 light armed on by 10s
expect partition 1 light ready off by 10s
expect partition 1 light backlight by 10s
at 11s open zone 3
expect event panel_event zone_alarm 3 by 13s
expect partition 1 alarm by 13s
at 14s keys 1 "5555"
expect event access_code 1 user 40 by 18s
expect event panel_event disarmed_by_code 40 by 18s
expect partition 1 light memory on by 18s
at 19s close zone 3
expect partition 1 light ready on by 21s
expect no partition 1 light fire on between 0s 21s
end 22s
EOF
run codes.out --quiet "$tmp/codes.kbs"
if [ "$rc" -eq 0 ] && grep -q "codes.kbs: passed, 18/18" "$tmp/codes.out"; then
  ok "event access_code P user N, event panel_event KIND [N] [partition P], partition P light NAME"
else
  ko "access code / panel event / lights (exit $rc)" "$(cat "$tmp/codes.out")"
fi
# ... and they really distinguish: the wrong user, kind, number or light fails
scn codes_wrong <<'EOF'
exit_delay 3s
at 2s keys 1 "w" code 1234
expect event access_code 1 user 2 by 10s
expect event panel_event armed_by_code 2 by 10s
expect event panel_event armed_stay by 10s
expect event panel_event armed_by_code 1 partition 2 by 10s
expect partition 1 light memory on by 10s
expect no partition 1 light armed between 2s 10s
end 11s
EOF
run codes_wrong.out --quiet "$tmp/codes_wrong.kbs"
if [ "$rc" -eq 1 ] && [ "$(grep -c 'codes_wrong.kbs:[3-8]: FAILED' "$tmp/codes_wrong.out")" -eq 6 ]; then
  ok "wrong user / panel event kind / number / partition / light: each fails"
else
  ko "wrong user / kind / light (exit $rc)" "$(cat "$tmp/codes_wrong.out")"
fi

# item 16: the digits of every request are masked in every output unless
# --show-keys; the code of a request is never printed
scn secret <<'EOF'
code 1 8642
exit_delay 3s
at 2s keys 1 "w" code 8642
expect partition 1 armed_away by 10s
at 11s keys 1 "8642"
expect partition 1 disarmed by 14s
at 15s keypad 1 "8642"               # a physical keypad arms with the code
expect partition 1 exit_delay by 18s
expect partition 1 alarm by 19s       # fails on purpose: a failure line
end 20s
EOF
run secret.out --vcd-out "$tmp/secret.vcd" --state-out - "$tmp/secret.kbs"
if [ "$rc" -eq 1 ] && grep -q 'key request 2 (partition 1 "...."): done' "$tmp/secret.out" &&
   grep -q 'keypad on partition 1 types "...."' "$tmp/secret.out" && grep -q 'secret.kbs:9: FAILED' "$tmp/secret.out" &&
   grep -q '"partitions"' "$tmp/secret.out" && ! grep -q 8642 "$tmp/secret.out"; then
  ok "request digits masked in every line and in --state-out"
else
  ko "request digits masked (exit $rc)" "$(grep -n '8642\|key request\|keypad' "$tmp/secret.out")"
fi
run secret-q.out --quiet "$tmp/secret.kbs"
if [ "$rc" -eq 1 ] && grep -q 'secret.kbs:9: FAILED' "$tmp/secret-q.out" && ! grep -q 8642 "$tmp/secret-q.out"; then ok "request digits masked in failure lines"; else ko "digits in failure lines" "$(cat "$tmp/secret-q.out")"; fi
run secret-show.out --show-keys "$tmp/secret.kbs"
if grep -q 'key request 2 (partition 1 "8642"): done' "$tmp/secret-show.out" && grep -q 'keypad on partition 1 types "8642"' "$tmp/secret-show.out" &&
   ! grep -q 'key request 1.*8642' "$tmp/secret-show.out"; then
  ok "--show-keys prints the request digits (never the request's code)"
else
  ko "--show-keys (exit $rc)" "$(grep -n 'key request\|keypad' "$tmp/secret-show.out")"
fi
if "$S" --help | grep -q -- '--show-keys'; then ok "--help lists --show-keys"; else ko "--help lists --show-keys"; fi

# results: a request's end is kept past kb_keys' history (the last
# KB_KEYS_HISTORY = 8 results): request 1 of 10 is still `done` at the end
scn results <<'EOF'
at 1s keys 1 "c"
at 3s keys 1 "c"
at 5s keys 1 "c"
at 7s keys 1 "c"
at 9s keys 1 "c"
at 11s keys 1 "c"
at 13s keys 1 "c"
at 15s keys 1 "c"
at 17s keys 1 "c"
at 19s keys 1 "c"
expect result 1 done by 30s
expect no result 2 uncertain between 3s 30s
expect no result 2 invalid reason disabled between 3s 30s
expect result last done at 30s
expect result 1 done at 30s
expect result 2 done at 30s
end 31s
EOF
run results.out --quiet "$tmp/results.kbs"
if [ "$rc" -eq 0 ]; then
  ok "result words uncertain / reason; results kept past kb_keys' history"
else
  ko "results (exit $rc)" "$(cat "$tmp/results.out")"
fi

# tamper action (kb_sim_panel_zone_tamper): the engine sees the tamper, its
# panel event, the Trouble light, and the restore
scn tamper <<'EOF'
zone 3 partition 1 type instant
at 2s tamper zone 3 on
expect zone 3 tamper by 4s
expect event zone_tamper 3 on by 4s
expect event panel_event zone_tamper 3 partition 1 by 4s
expect trouble on by 4s
expect partition 1 light trouble on by 4s
at 6s tamper zone 3 off
expect zone 3 not tamper by 8s
expect event zone_tamper 3 off by 8s
expect event panel_event zone_tamper_restored 3 by 8s
expect partition 1 light trouble off by 8s
end 9s
EOF
run tamper.out "$tmp/tamper.kbs"
if [ "$rc" -eq 0 ] && grep -q '> tamper zone 3 on' "$tmp/tamper.out" && grep -q "tamper.kbs: passed, 9/9" "$tmp/tamper.out"; then
  ok "at T tamper zone N on|off"
else
  ko "tamper action (exit $rc)" "$(cat "$tmp/tamper.out")"
fi
mal tamper_zone_65 1 'at 1s tamper zone 65 on'
mal tamper_no_state 1 'at 1s tamper zone 3'
mal early_tamper_zone_40 2 $'panel early\nat 1s tamper zone 40 on'
mal keypad_bad_speed 1 'at 1s keypad 1 "1234" slow'

# physical keypad at human speed (0.3-0.6 s between keys): four keys take
# at least 0.9 s; at the default speed they go out in consecutive messages
scn human <<'EOF'
exit_delay 5s
at 2s keypad 1 "1234" human
expect no partition 1 exit_delay between 2s 2.9s
expect partition 1 exit_delay by 6s
at 10s keypad 1 "1234"
expect partition 1 disarmed by 11.5s
end 12s
EOF
run human.out "$tmp/human.kbs"
if [ "$rc" -eq 0 ] && grep -q 'keypad on partition 1 types "...." at human speed' "$tmp/human.out"; then
  ok "keypad P \"KEYS\" human"
else
  ko "keypad at human speed (exit $rc)" "$(cat "$tmp/human.out")"
fi

# a long mix of requests, compactly: a `repeat` block with relative times
scn repeat <<'EOF'
exit_delay 3s
repeat 5 every 30s from 2s
  at +0s keys 1 "w" code 1234
  expect partition 1 armed_away by +8s
  expect result last done by +8s
  at +10s keys 1 "1234"          # disarm
  expect partition 1 disarmed by +14s
  at +15s keys 1 "w" code 9999
  expect result last rejected status 0x8F by +19s
  expect no partition 1 armed between +15s +25s
end repeat
expect result 15 rejected by 160s
end 160s
EOF
run repeat.out "$tmp/repeat.kbs"
if [ "$rc" -eq 0 ] && grep -q "repeat.kbs: passed, 26/26" "$tmp/repeat.out" &&
   grep -q 'key request 15 (partition 1 "w"): rejected' "$tmp/repeat.out" && grep -q 'key request 14 (partition 1 "...."): done' "$tmp/repeat.out"; then
  ok "repeat N every D from T ... end repeat: 5 x arm, disarm, wrong code (15 requests)"
else
  ko "repeat block (exit $rc)" "$(tail -n 30 "$tmp/repeat.out")"
fi
sed 's/status 0x8F by +19s/status 0x8E by +19s/' "$tmp/repeat.kbs" >"$tmp/repeat_fail.kbs"
run repeat_fail.out --quiet "$tmp/repeat_fail.kbs"
if [ "$rc" -eq 1 ] && [ "$(grep -c 'repeat_fail.kbs:9: FAILED: expect result last rejected status 0x8E by +19s \[repeat [1-5] of 5\]' "$tmp/repeat_fail.out")" -eq 5 ]; then
  ok "a failure inside repeat names the block's line and the repetition"
else
  ko "failure inside repeat (exit $rc)" "$(cat "$tmp/repeat_fail.out")"
fi
mal repeat_unterminated 2 $'exit_delay 3s\nrepeat 3 every 10s from 1s\nat +1s open zone 1'
mal repeat_nested 3 $'repeat 3 every 10s from 1s\nat +1s open zone 1\nrepeat 2 every 1s from 0s\nend repeat\nend repeat'
mal repeat_absolute_time 2 $'repeat 3 every 10s from 1s\nat 1s open zone 1\nend repeat'
mal repeat_absolute_expect 3 $'repeat 3 every 10s from 1s\nat +1s open zone 1\nexpect zone 1 open by 5s\nend repeat'
mal repeat_config 2 $'repeat 3 every 10s from 1s\nexit_delay 5s\nend repeat'
mal repeat_end_inside 2 $'repeat 3 every 10s from 1s\nend 20s\nend repeat'
mal end_repeat_alone 1 'end repeat'
mal repeat_zero 1 $'repeat 0 every 10s from 1s\nend repeat'
mal repeat_no_period 1 $'repeat 3 every 0s from 1s\nend repeat'
mal repeat_bad_zone 2 $'repeat 3 every 10s from 1s\nat +1s open zone 65\nend repeat'
mal repeat_after_end 3 $'end 20s\nrepeat 3 every 10s from 1s\nat +1s open zone 1\nend repeat'
mal relative_outside 1 'at +1s open zone 1'
mal repeat_too_many 5 $'repeat 100000 every 1ms from 0s\nat +0s open zone 1\nat +0s close zone 1\nexpect zone 1 open by +1ms\nend repeat'

# item 14 (the per-step cost follows the open windows) is measured by work
# counters in tests/unit/sim/test_scenario.c: wall time depends on the build

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
