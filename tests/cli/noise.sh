#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Noise-filter vectors of tests/data/README.md ("Noise-filter vectors") run
# through keybus-reader --status/--json/--state, plus a synthetic KeybusReader
# log for the log-input lookahead rule (a flip undone by the next status
# frame < 1 s later is noise). Needs build/bin/keybus-reader.
set -u
. "$(dirname "$0")/lib.sh"
D=tests/data/captures
I3=$D/Dilbert66-esphome-dsckeybus-issue-3.txt
I12=$D/taligentx-dscKeybusInterface-issue-12.txt
kt_tmpdir

# state FILE PYEXPR: evaluates PYEXPR with s = keybus-reader --state FILE
state_is() {
  "$R" --state "$1" 2>/dev/null | python3 -c 'import json,sys
s=json.load(sys.stdin)
p={x["partition"]:x for x in s["partitions"]}
ok=eval(sys.argv[1])
if not ok: print("state was:", json.dumps({k:s[k] for k in s if k!="health"}), file=sys.stderr)
sys.exit(0 if ok else 1)' "$2"
}
# json_line FILE LINE PYEXPR: evaluates PYEXPR with o = --json object of that line (panel)
json_line() {
  "$R" --json "$1" 2>/dev/null | python3 -c 'import json,sys
ln=int(sys.argv[1])
objs=[json.loads(l) for l in sys.stdin if l.strip()]
c=[o for o in objs if o.get("line")==ln and o.get("source")=="panel"]
if not c: print("no panel object for line", ln, file=sys.stderr); sys.exit(1)
o=c[0]
ok=eval(sys.argv[2])
if not ok: print("object was:", json.dumps(o), file=sys.stderr)
sys.exit(0 if ok else 1)' "$2" "$3"
}

kt_need_reader noise

# ---------------------------------------------------------------- sections
# Split issue-3 at its "# capture" headers: sec0 = capture A (before the first
# header), sec1.. = B, C, D (each starting with its header line).
awk -v dir="$tmp" 'BEGIN { n = 0; f = dir "/sec0.txt" }
  /^# capture/ { n++; f = dir "/sec" n ".txt" }
  { print > f }' "$I3"
A=$tmp/sec0.txt B=$tmp/sec1.txt C=$tmp/sec2.txt Dd=$tmp/sec3.txt
check "issue-3 splits into 4 captures (A-D)" test -s "$A" -a -s "$B" -a -s "$C" -a -s "$Dd" -a ! -e "$tmp/sec4.txt"

"$R" --status "$I3" >"$tmp/whole.status" 2>"$tmp/whole.err"
rc=$?
check "issue-3 --status exits 0" test $rc -eq 0
# whole-file status output split at the "# capture" lines the reader prints
awk -v dir="$tmp" 'BEGIN { n = 0; f = dir "/whole0.status" }
  /^# capture/ { n++; f = dir "/whole" n ".status" }
  { print > f }' "$tmp/whole.status"
for i in 0 1 2 3; do
  name=$(echo "A B C D" | cut -d' ' -f$((i + 1)))
  "$R" --status "$tmp/sec$i.txt" >"$tmp/sec$i.status" 2>/dev/null
  if diff "$tmp/whole$i.status" "$tmp/sec$i.status" >"$tmp/diff" 2>&1; then
    ok "issue-3 capture $name extracted alone gives the same --status lines as inside the whole file (reset at # capture)"
  else
    ko "issue-3 capture $name extracted alone gives the same --status lines as inside the whole file (reset at # capture)" "$(cat "$tmp/diff")"
  fi
done
# reset relied on in the other direction: the whole file's final state is capture D's alone
"$R" --state "$I3" 2>/dev/null | python3 -c 'import json,sys; s=json.load(sys.stdin); s.pop("health"); print(json.dumps(s,sort_keys=True))' >"$tmp/whole.state"
"$R" --state "$Dd" 2>/dev/null | python3 -c 'import json,sys; s=json.load(sys.stdin); s.pop("health"); print(json.dumps(s,sort_keys=True))' >"$tmp/d.state"
if [ -s "$tmp/d.state" ] && cmp -s "$tmp/whole.state" "$tmp/d.state"; then
  ok "issue-3 whole-file --state equals capture D alone (earlier captures forgotten at # capture)"
else
  ko "issue-3 whole-file --state equals capture D alone (earlier captures forgotten at # capture)" "$(diff "$tmp/whole.state" "$tmp/d.state")"
fi

# ---------------------------------------------------------------- capture A
S=$tmp/sec0.status
if grep -qE '^14:48:28 .*exit delay' "$S"; then
  ok "issue-3 A: exit delay (83/08) reported at 14:48:28"
else
  ko "issue-3 A: exit delay (83/08) reported at 14:48:28" "$(cat "$S")"
fi
if grep -qE '^14:50:27 ' "$S" || grep -qi 'program' "$S"; then
  ko "issue-3 A: A3/08 flip at 14:50:27 (line 14) dropped: no change reported at 14:50:27" "$(cat "$S")"
else
  ok "issue-3 A: A3/08 flip at 14:50:27 (line 14) dropped: no change reported at 14:50:27"
fi
check "issue-3 A: --json marks line 14 (A3/08) \"noise\": true" json_line "$I3" 14 'o.get("noise") is True'
check "issue-3 A: --json does not mark line 16 (83/08 again) as noise" json_line "$I3" 16 'o.get("noise") in (None, False)'

# ---------------------------------------------------------------- capture B
S=$tmp/sec1.status
l9e=$(grep -nE '^09:08:18 partition 1: ' "$S" | head -n 1 | cut -d: -f1)
la1=$(grep -nE '^09:08:19 partition 1: ' "$S" | head -n 1 | cut -d: -f1)
if [ -n "$l9e" ] && [ -n "$la1" ] && [ "$l9e" -lt "$la1" ]; then
  ok "issue-3 B: status 9E (09:08:18) then A1 (09:08:19) reported, in that order"
else
  ko "issue-3 B: status 9E (09:08:18) then A1 (09:08:19) reported, in that order" "$(cat "$S")"
fi
check "issue-3 B: --state partition 1 status 0xA1 after capture B alone" state_is "$B" 'p[1]["status"]=="0xA1"'

# ---------------------------------------------------------------- capture C
check "issue-3 C: final trouble state off (--state \"trouble\": false after capture C alone)" state_is "$C" 's["trouble"] is False'

# ---------------------------------------------------------------- capture D
S=$tmp/sec3.status
first=$(grep -nE 'partition 1.*armed stay' "$S" | head -n 1 | cut -d: -f1)
if [ -z "$first" ]; then
  ko "issue-3 D: partition 1 reported armed stay" "$(cat "$S")"
else
  ok "issue-3 D: partition 1 reported armed stay"
  # the first armed stay comes at 22:47:45; the flips are at 22:48:29 and 22:57:53
  at=$(sed -n "${first}p" "$S" | cut -d' ' -f1)
  after=$(tail -n +"$((first + 1))" "$S" | grep -v "^$at " | grep -E 'partition 1|armed')
  if [ -z "$after" ] && ! grep -qi 'disarm' "$S"; then
    ok "issue-3 D: 84 and 24 flips dropped: no partition 1 change or disarm after the first armed stay ($at)"
  else
    ko "issue-3 D: 84 and 24 flips dropped: no partition 1 change or disarm after the first armed stay ($at)" "$(cat "$S")"
  fi
fi
check "issue-3 D: --json marks line 48 (8A/84) \"noise\": true" json_line "$I3" 48 'o.get("noise") is True'
check "issue-3 D: --json marks line 56 (8A/24) \"noise\": true" json_line "$I3" 56 'o.get("noise") is True'
check "issue-3 D: --state partition 1 armed \"stay\", status 0x04" state_is "$Dd" 'p[1]["armed"]=="stay" and p[1]["status"]=="0x04"'

# ---------------------------------------------------------------- issue-12
"$R" --status "$I12" >"$tmp/i12.status" 2>/dev/null
if grep -E '^7597\.15 ' "$tmp/i12.status" | grep -i 'exit delay' | grep -qi 'stay'; then
  ok "issue-12: 0x05 at 7597.15 reported as exit delay with target stay"
else
  ko "issue-12: 0x05 at 7597.15 reported as exit delay with target stay" "$(cat "$tmp/i12.status")"
fi
check "issue-12: --state exit_delay true, exit_target \"stay\"" state_is "$I12" 'p[1]["exit_delay"] is True and p[1].get("exit_target")=="stay"'

# ---------------------------------------------------------------- synthetic
# Early-generation 0x05: 05 | stop | P1 lights | P1 status | P2 lights | P2 status.
# N = ready backlight / ready (81 01); T = N with the Trouble light (91 01).
N='00000101 0 10000001 00000001 00000000 11000111'
T='00000101 0 10010001 00000001 00000000 11000111'
syn() { # name, then "time|frame" items (time may be empty)
  local f=$tmp/syn-$1.txt it; shift; : >"$f"
  for it in "$@"; do
    if [ -n "${it%%|*}" ]; then printf ' %s: %s\n' "${it%%|*}" "${it#*|}" >>"$f"; else printf '%s\n' "${it#*|}" >>"$f"; fi
  done
  echo "$f"
}
no_trouble() { ! "$R" --status "$1" 2>/dev/null | grep -qi trouble; }
trouble_at() { "$R" --status "$1" 2>/dev/null | grep -qE "^$2 .*trouble.*on"; }

f=$(syn soon "1.00|$N" "2.00|$T" "2.99|$N")
check "synthetic: flip undone 0.99 s later is dropped (no trouble reported)" no_trouble "$f"
check "synthetic: flip undone 0.99 s later marked \"noise\": true" json_line "$f" 2 'o.get("noise") is True'
f=$(syn late "1.00|$N" "2.00|$T" "3.00|$N")
check "synthetic: flip undone exactly 1.00 s later is applied (trouble on at 2.00)" trouble_at "$f" '2\.00'
f=$(syn later "1.00|$N" "2.00|$T" "7.00|$N")
check "synthetic: flip undone 5 s later is applied (trouble on at 2.00)" trouble_at "$f" '2\.00'
check "synthetic: flip undone 5 s later not marked as noise" json_line "$f" 2 'o.get("noise") in (None, False)'
f=$(syn back "5.00|$N" "6.00|$T" "5.50|$N")
check "synthetic: timestamp going backwards counts as >= 1 s (flip applied, trouble on at 6.00)" trouble_at "$f" '6\.00'
f=$(syn notime "|$N" "|$T" "|$N")
check "synthetic: lines without timestamps count as < 1 s (flip dropped)" no_trouble "$f"
check "synthetic: lines without timestamps: flip marked \"noise\": true" json_line "$f" 2 'o.get("noise") is True'
f=$(syn last "1.00|$N" "2.00|$T")
check "synthetic: changed byte with no successor is applied (trouble on at 2.00)" trouble_at "$f" '2\.00'
check "synthetic: changed byte with no successor: --state trouble true" state_is "$f" 's["trouble"] is True'
# two bytes in one frame: lights flip (trouble, undone 0.5 s later) + status 01 -> 03 (kept)
T3='00000101 0 10010001 00000011 00000000 11000111'
N3='00000101 0 10000001 00000011 00000000 11000111'
f=$(syn two "1.00|$N" "2.00|$T3" "2.50|$N3")
check "synthetic: two bytes judged independently: status change 01->03 applied at 2.00" \
  bash -c "\"$R\" --status \"$f\" | grep -qE '^2\\.00 partition 1: '"
check "synthetic: two bytes judged independently: lights flip dropped (no trouble reported)" no_trouble "$f"
check "synthetic: two bytes judged independently: --state status 0x03, trouble false, lights ready backlight" \
  state_is "$f" 'p[1]["status"]=="0x03" and s["trouble"] is False and p[1]["lights"]==["ready","backlight"]'
check "synthetic: two bytes judged independently: frame not dropped as a whole (\"noise\": false)" \
  json_line "$f" 2 'o.get("noise") is False'
# the rule is per command: a 0x27 between does not count as the next 0x05
f=$tmp/syn-cap.txt
{ printf ' 1.00: %s\n' "$N"; printf ' 2.00: %s\n' "$T"; echo '# capture second'; printf ' 2.10: %s\n' "$N"; } >"$f"
check "synthetic: a # capture header ends the lookahead (flip before it has no successor: applied)" trouble_at "$f" '2\.00'

kt_done noise
