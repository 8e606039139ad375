#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# keybus-reader --panel classic: KeybusReader's Classic output (the notes'
# printed examples, tests/data/classic) decoded into the status model; the
# fields a Classic panel cannot report are absent from --state; malformed
# lines are reported and skipped. Needs build/bin/keybus-reader.
set -u
. "$(dirname "$0")/lib.sh"
D=tests/data/classic
kt_tmpdir
run() { "$R" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }

kt_need_reader classic_reader

# ------------------------------------------------------------ options
run --panel
if [ $rc -eq 2 ] && grep -q -- '--panel needs' "$tmp/err"; then ok "--panel without a value: exit 2"; else ko "--panel without a value: exit 2" "rc=$rc $(cat "$tmp/err")"; fi
run --panel pc5010 "$D/notes_examples.txt"
if [ $rc -eq 2 ] && [ ! -s "$tmp/out" ]; then ok "--panel pc5010: exit 2"; else ko "--panel pc5010: exit 2" "rc=$rc"; fi
run --panel classic --vcd-out "$tmp/no/such/dir.vcd" "$D/notes_examples.txt"
if [ $rc -eq 2 ] && grep -q 'cannot write' "$tmp/err"; then ok "--vcd-out to a bad path: exit 2, said so"; else ko "--vcd-out to a bad path: exit 2, said so" "rc=$rc"; fi
run --panel classic "$tmp/none.txt"
if [ $rc -eq 2 ] && grep -q 'cannot read' "$tmp/err"; then ok "unreadable file: exit 2"; else ko "unreadable file: exit 2" "rc=$rc"; fi
run --help
if grep -q -- '--panel classic' "$tmp/out"; then ok "--help names --panel classic"; else ko "--help names --panel classic"; fi

# ------------------------------------------------- the notes' examples
run --panel classic "$D/notes_examples.txt"
exp="$D/notes_examples.txt:3: 00000000 10000000 00000000 00000000 [Panel] Lights: Ready | Status: none | Zones open: none
$D/notes_examples.txt:4: 11010111 00111111 [Keypad] 0"
if [ $rc -eq 0 ] && [ "$(cat "$tmp/out")" = "$exp" ] && [ ! -s "$tmp/err" ]; then
  ok "the notes' panel and keypad lines print back as KeybusReader printed them"
else
  ko "the notes' panel and keypad lines print back as KeybusReader printed them" "rc=$rc $(cat "$tmp/out" "$tmp/err")"
fi
run --panel classic --json "$D/notes_examples.txt"
if python3 - "$tmp/out" <<'EOF'
import json, sys
l = [json.loads(x) for x in open(sys.argv[1])]
p, k = l
assert p["source"] == "panel" and p["bytes"] == ["00", "80", "00", "00"] and p["check"] == "ok"
assert p["fields"]["lights"] == ["ready"] and p["fields"]["zone_lights"] == [] and p["fields"]["pc16"] == []
assert k["source"] == "keypad" and k["fields"] == {"key": "0", "code": "0xD7"}, k
EOF
then ok "--json: D4 row 1 lights Ready; [Keypad] 11010111 is the key 0"; else ko "--json: D4 row 1 lights Ready; [Keypad] 11010111 is the key 0" "$(cat "$tmp/out")"; fi

# ------------------------------------------------------ status changes
run --panel classic --status "$D/arm_alarm.txt"
cat >"$tmp/exp" <<'EOF'
# arm-alarm-disarm
10.00: keybus connected
10.00: synced with the panel (Classic: PC-16 data seen)
10.00: partition 1: ready to arm (lights: ready)
10.00: partition 1 ready
12.00: partition 1: not ready: zones open (lights: no lights)
12.00: partition 1 not ready
12.00: zone 2 open
13.00: partition 1: ready to arm (lights: ready)
13.00: partition 1 ready
13.00: zone 2 closed
20.00: partition 1: exit delay running (lights: ready armed)
20.00: partition 1 exit delay (arming away)
50.00: partition 1: armed away (lights: armed)
50.00: partition 1 not ready
50.00: partition 1 exit delay over
50.00: partition 1 armed away
80.00: partition 1: in alarm (lights: armed memory)
80.00: partition 1 ALARM
80.00: zone 1 open
80.00: zone 1 in alarm
90.50: partition 1: ready to arm (lights: ready memory)
90.50: partition 1 ready
90.50: partition 1 disarmed
90.50: partition 1 alarm over
90.50: zone 1 closed
90.50: zone 1 alarm restored
EOF
if [ $rc -eq 0 ] && diff -u "$tmp/exp" "$tmp/out" >"$tmp/diff"; then
  ok "--status: arm away through the exit delay, alarm on zone 1, disarm"
else
  ko "--status: arm away through the exit delay, alarm on zone 1, disarm" "$(cat "$tmp/diff" "$tmp/err")"
fi

# ------------------------------------- fire, trouble, start-up, errors
run --panel classic --status "$D/fire_trouble.txt"
if [ $rc -eq 0 ] && ! grep -q '^1\.00' "$tmp/out" && grep -q '^2.00: synced' "$tmp/out" &&
   grep -q '^3.00: trouble light on' "$tmp/out" && grep -q '^4.00: partition 1 FIRE' "$tmp/out" &&
   grep -q '^5.10: keypad panic alarm raised' "$tmp/out" && grep -q '^9.10: partition 1 fire over' "$tmp/out"; then
  ok "--status: no status before PC-16 data; trouble, fire, keypad panic from PC-16"
else
  ko "--status: no status before PC-16 data; trouble, fire, keypad panic from PC-16" "$(cat "$tmp/out")"
fi
if [ "$(grep -c '' "$tmp/err")" = 1 ] && grep -q "fire_trouble.txt:10: a byte must be 8 binary digits" "$tmp/err"; then
  ok "a 7-digit byte: reported with file:line, skipped, exit 0"
else
  ko "a 7-digit byte: reported with file:line, skipped, exit 0" "$(cat "$tmp/err")"
fi
run --panel classic "$D/fire_trouble.txt"
if grep -q '^1.00: .*(waiting: no PC-16 data' "$tmp/out"; then ok "text: the frame without PC-16 data says it waits"; else ko "text: the frame without PC-16 data says it waits" "$(head -2 "$tmp/out")"; fi

printf '%s\n' '12.00: 10111110 11111111 [Keypad] 2' '12.10: 00000000 10000000 00000000 [Panel] x' \
  '12.20: 00000000 10000000 00000000 00000000 00000000 [Panel]' 'random words' '' \
  '12.30: 10111110 11111111 [Keypad] 1' >"$tmp/bad.txt"
run --panel classic "$tmp/bad.txt"
if [ $rc -eq 0 ] && grep -q 'bad.txt:1: the key printed is not' "$tmp/err" && grep -q 'bad.txt:2: a panel line has 4 bytes' "$tmp/err" &&
   grep -q 'bad.txt:3: more than 4 bytes' "$tmp/err" && [ "$(grep -c '' "$tmp/err")" = 3 ] &&
   [ "$(cat "$tmp/out")" = "12.30: 10111110 11111111 [Keypad] 1" ]; then
  ok "malformed lines: each named, the good line still decoded"
else
  ko "malformed lines: each named, the good line still decoded" "rc=$rc $(cat "$tmp/out" "$tmp/err")"
fi
head -c 3000 /dev/urandom >"$tmp/garbage"
run --panel classic "$tmp/garbage"
if [ $rc -eq 0 ] || [ $rc -eq 2 ]; then ok "random bytes: no crash (rc=$rc)"; else ko "random bytes: no crash" "rc=$rc"; fi

# ------------------------------------------------- what is absent
run --panel classic --state "$D/arm_alarm.txt"
if python3 - "$tmp/out" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["panel"] == "classic"
for k in ("ac_power", "battery_ok", "time", "panel_version", "code_digits", "zones_tamper",
          "zones_bypass", "pgm_outputs", "bell", "panel_flags", "keypads", "expanders",
          "modules", "early_generation"):
    assert k not in s, k
p = s["partitions"]
assert len(p) == 1 and p[0]["partition"] == 1
assert "entry_delay" not in p[0] and "disabled" not in p[0]
assert p[0]["ready"] is True and p[0]["armed"] is None and p[0]["alarm"] is False
assert p[0]["lights"] == ["ready", "memory"]
assert s["zones_open"] == [] and s["zones_alarm"] == [] and s["trouble"] is False
assert s["health"]["frames_ok"] == 7
EOF
then ok "--state: panel classic, what the Classic cannot report is absent"; else ko "--state: panel classic, what the Classic cannot report is absent" "$(cat "$tmp/out")"; fi

# ---------------------------------------------- Classic VCD out and in
for f in arm_alarm fire_trouble; do
  "$R" --panel classic --vcd-out "$tmp/$f.vcd" "$D/$f.txt" >/dev/null 2>&1
  w=$?
  "$R" --panel classic --status "$D/$f.txt" 2>/dev/null | grep -v '^#' | cut -d' ' -f2- >"$tmp/$f.log.st"
  run --panel classic --status "$tmp/$f.vcd"
  cut -d' ' -f2- "$tmp/out" >"$tmp/$f.vcd.st"
  if [ $w -eq 0 ] && [ $rc -eq 0 ] && grep -q '^\$var wire 1 # pc16 \$end' "$tmp/$f.vcd" && [ -s "$tmp/$f.log.st" ] &&
     diff -u "$tmp/$f.log.st" "$tmp/$f.vcd.st" >"$tmp/diff"; then
    ok "$f: --vcd-out writes clock/data/pc16; replayed through the Classic link it gives the same changes"
  else
    ko "$f: --vcd-out writes clock/data/pc16; replayed through the Classic link it gives the same changes" "w=$w rc=$rc $(cat "$tmp/diff" "$tmp/err")"
  fi
done
run --panel classic "$tmp/arm_alarm.vcd"
if grep -q '^90\.[0-9]*: 11010111 11111111 \[Keypad\] 0$' "$tmp/out" && grep -q '^80\.[0-9]*: 10000000 01100000 10000000 00100001 \[Panel\]' "$tmp/out"; then
  ok "Classic VCD: panel and keypad lines in KeybusReader's layout"
else
  ko "Classic VCD: panel and keypad lines in KeybusReader's layout" "$(head -5 "$tmp/out")"
fi
V=$(ls tests/data/vcd/*.vcd | head -n 1)
run --panel classic --status "$V"
if [ $rc -eq 0 ] && grep -q 'no PC-16 wire' "$tmp/err" && ! grep -q 'synced' "$tmp/out"; then
  ok "a two-wire VCD: said so, no status (the PGM line idles high)"
else
  ko "a two-wire VCD: said so, no status (the PGM line idles high)" "rc=$rc $(cat "$tmp/err" | head -3) $(head -3 "$tmp/out")"
fi
run --status "$tmp/arm_alarm.vcd"
if [ $rc -eq 0 ] || [ $rc -eq 2 ]; then ok "a Classic VCD read as PowerSeries: no crash (rc=$rc)"; else ko "a Classic VCD read as PowerSeries: no crash" "rc=$rc"; fi

# -------------------------------- keybus-sim's Classic wire, read back
S=${KEYBUS_SIM:-build/bin/keybus-sim}
if [ -x "$S" ]; then
  for f in classic_arm_disarm classic_alarm classic_fire_trouble; do
    "$S" --quiet --vcd-out "$tmp/$f.sim.vcd" --state-out "$tmp/$f.sim.json" "examples/scenarios/$f.kbs" >/dev/null 2>&1
    s=$?
    run --panel classic --state "$tmp/$f.sim.vcd"
    if [ $s -eq 0 ] && [ $rc -eq 0 ] && python3 - "$tmp/$f.sim.json" "$tmp/out" <<'EOF'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
a.pop("health"); b.pop("health")
assert a == b, (a, b)
assert a["panel"] == "classic"
EOF
    then ok "$f: keybus-sim's Classic VCD read by keybus-reader --panel classic: the simulator's final state"
    else ko "$f: keybus-sim's Classic VCD read by keybus-reader --panel classic: the simulator's final state" "s=$s rc=$rc $(cat "$tmp/err")"; fi
  done
  printf '%s\n' 'panel classic' 'at 1s set time 2026-01-02 03:04 code 1234' 'end 3s' >"$tmp/keys.kbs"
  "$S" "$tmp/keys.kbs" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ $rc -eq 2 ] && grep -q 'keys.kbs:2: panel classic: set time is not available (the Classic has no clock)' "$tmp/err"; then
    ok "a Classic scenario setting the time (the Classic has no clock): refused at load with file:line (exit 2)"
  else
    ko "a Classic scenario setting the time (the Classic has no clock): refused at load with file:line (exit 2)" "rc=$rc $(cat "$tmp/err")"
  fi
else
  ko "keybus-sim binary present ($S)"
fi

# ------------------------------------------ PowerSeries path unchanged
I12=tests/data/captures/taligentx-dscKeybusInterface-issue-12.txt
"$R" --state "$I12" >"$tmp/a" 2>&1
"$R" --panel powerseries --state "$I12" >"$tmp/b" 2>&1
if cmp -s "$tmp/a" "$tmp/b" && ! grep -q '"panel"' "$tmp/a" && grep -q '"ac_power"' "$tmp/a"; then
  ok "--panel powerseries = the default; PowerSeries --state keeps every key"
else
  ko "--panel powerseries = the default; PowerSeries --state keeps every key"
fi

kt_done classic_reader
