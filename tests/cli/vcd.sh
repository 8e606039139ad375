#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# VCD round trip: keybus-reader --vcd-out OUT.vcd LOG, then OUT.vcd read back
# as live input must reach the same status model as the log, and decode the
# log's valid panel frames (status frames K=3 times in a row, others once).
# Also a VCD with the wires declared the other way round and a 1 ns timescale.
# Needs build/bin/keybus-reader (make V=rel apps).
set -u
. "$(dirname "$0")/lib.sh"
D=tests/data/captures
kt_tmpdir
KT_DETAIL_LINES=40

kt_need_reader vcd

# state without health counters and keybus_connected, as sorted JSON
# (--state prints "health" last; cut from there, drop the keybus_connected line)
norm_state() { sed -e '/^\t"health":/,$d' -e '/^\t"keybus_connected":/d'; }

# split a file at its "# capture" headers: OUTPREFIX-s0.txt, -s1.txt, ...
split_caps() { awk -v p="$2" 'BEGIN { n = 0; f = p "-s0.txt" } /^# capture/ { n++; f = p "-s" n ".txt" } { print > f }' "$1"; }

# frames FILE.json VCD.json: the VCD's panel frames must be the log's valid panel
# frames, 0x05/0x1B (not dropped as noise) K=3 times in a row, others once;
# a module line that does not follow its own panel frame rides on a repeat of
# the last valid panel frame of the command it answered (once), or is left out
# when there was none. Module frames must follow with the same bytes.
frames_ok() {
  python3 - "$1" "$2" <<'EOF'
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
V = [json.loads(l) for l in open(sys.argv[2])]
K = 3
exp_p, exp_m, last, pending = [], [], {}, None
for o in L:
    if o["source"] == "panel":
        pending = None
        if o["check"] != "ok":
            continue
        k = K if o["cmd"] in ("0x05", "0x1B") and o.get("noise") is not True else 1
        exp_p += [o["bytes"]] * k
        last[o["cmd"]] = o["bytes"]
        pending = o["cmd"]
    else:
        cmd = o.get("cmd")
        if cmd is None:
            continue
        if pending == cmd:
            exp_m.append(o["bytes"])
        elif cmd in last:
            exp_p.append(last[cmd])
            exp_m.append(o["bytes"])
        pending = None
got_p = [o["bytes"] for o in V if o["source"] == "panel"]
got_m = [o["bytes"] for o in V if o["source"] == "module"]
bad = [o for o in V if o["check"] != "ok"]
msgs = []
if bad:
    msgs.append("%d VCD frames fail the checks, first: %s" % (len(bad), json.dumps(bad[0])[:200]))
for what, e, g in (("panel", exp_p, got_p), ("module", exp_m, got_m)):
    if e != g:
        i = next((i for i, (a, b) in enumerate(zip(e, g)) if a != b), min(len(e), len(g)))
        msgs.append("%s frames: expected %d, got %d; first difference at #%d: expected %s, got %s" % (
            what, len(e), len(g), i, " ".join(e[i]) if i < len(e) else "-", " ".join(g[i]) if i < len(g) else "-"))
if not exp_p:
    msgs.append("no valid panel frames in the log")
print("\n".join(msgs))
sys.exit(1 if msgs else 0)
EOF
}

header_ok() {
  python3 - "$1" <<'EOF'
import re, sys
txt = open(sys.argv[1]).read()
head, sep, body = txt.partition("$enddefinitions")
msgs = []
if not sep or not re.match(r"\s*\$end", body):
    msgs.append("no '$enddefinitions $end'")
if not re.search(r"\$timescale\s+1\s*(us|ns|ps|ms|s)\s+\$end", head):
    msgs.append("no valid $timescale")
vs = re.findall(r"\$var\s+wire\s+1\s+(\S+)\s+(\S+)\s+\$end", head)
names = sorted(n for _, n in vs)
if names != ["clock", "data"] or len({i for i, _ in vs}) != 2:
    msgs.append("expected two '$var wire 1' lines named clock and data, got %s" % vs)
if len(re.findall(r"\$var\b", head)) != 2:
    msgs.append("other $var lines present")
ids = {i for i, _ in vs}
last = -1
for n, line in enumerate(body.splitlines()[1:], 1):
    line = line.strip()
    if not line or line in ("$dumpvars", "$end"):
        continue
    if line.startswith("#"):
        t = int(line[1:])
        if t < last:
            msgs.append("time goes backwards at #%d" % t)
            break
        last = t
    elif not (line[0] in "01xz" and line[1:] in ids):
        msgs.append("bad value change %r" % line)
        break
if last <= 0:
    msgs.append("no time stamps in the body")
print("\n".join(msgs))
sys.exit(1 if msgs else 0)
EOF
}

# roundtrip NAME LOG: the four checks on one log
roundtrip() {
  local name=$1 log=$2 v=$tmp/$1.vcd msg
  "$R" --json --vcd-out "$v" "$log" >"$tmp/$name.log.json" 2>"$tmp/$name.err"
  local rc=$?
  if [ $rc -ne 0 ] || [ ! -s "$v" ]; then
    ko "$name: --vcd-out writes a VCD (exit 0)" "rc=$rc $(cat "$tmp/$name.err")"
    return
  fi
  if msg=$(header_ok "$v"); then ok "$name: VCD header valid (\$timescale, wires clock+data, \$enddefinitions), times increase"; else ko "$name: VCD header valid (\$timescale, wires clock+data, \$enddefinitions), times increase" "$msg"; fi
  "$R" --state "$log" 2>/dev/null | norm_state >"$tmp/$name.log.state"
  "$R" --state "$v" 2>"$tmp/$name.verr" | norm_state >"$tmp/$name.vcd.state"
  if [ -s "$tmp/$name.log.state" ] && cmp -s "$tmp/$name.log.state" "$tmp/$name.vcd.state"; then
    ok "$name: --state of the VCD equals --state of the log (minus health, keybus_connected)"
  else
    ko "$name: --state of the VCD equals --state of the log (minus health, keybus_connected)" "$(diff "$tmp/$name.log.state" "$tmp/$name.vcd.state"; cat "$tmp/$name.verr")"
  fi
  "$R" --json "$v" >"$tmp/$name.vcd.json" 2>/dev/null
  if msg=$(frames_ok "$tmp/$name.log.json" "$tmp/$name.vcd.json"); then
    ok "$name: --json of the VCD gives the log's valid panel frames (status frames x3, others x1) and module data"
  else
    ko "$name: --json of the VCD gives the log's valid panel frames (status frames x3, others x1) and module data" "$msg"
  fi
}

split_caps "$D/Dilbert66-esphome-dsckeybus-issue-3.txt" "$tmp/i3"
split_caps "$D/taligentx-dscKeybusInterface-issue-108.txt" "$tmp/i108"
roundtrip issue-12 "$D/taligentx-dscKeybusInterface-issue-12.txt"
roundtrip issue-175 "$D/taligentx-dscKeybusInterface-issue-175.txt"
roundtrip issue-3-captureA "$tmp/i3-s0.txt"
roundtrip issue-3-captureD "$tmp/i3-s3.txt"
for s in 1 2 3; do roundtrip "issue-108-capture$(echo _ A B C | cut -d' ' -f$((s + 1)))" "$tmp/i108-s$s.txt"; done
roundtrip esphome-issue-26 "$D/Dilbert66-esphome-dsckeybus-issue-26.txt"

# every capture section of every capture file: same state after the round trip
mkdir -p "$tmp/all"
for f in "$D"/*.txt; do split_caps "$f" "$tmp/all/$(basename "$f" .txt)"; done
bad=""
for s in "$tmp"/all/*-s*.txt; do
  "$R" --vcd-out "$s.vcd" "$s" >/dev/null 2>&1 || { bad="$bad$(basename "$s"): --vcd-out failed"$'\n'; continue; }
  "$R" --state "$s" >"$s.log.state" 2>/dev/null
  "$R" --state "$s.vcd" >"$s.vcd.state" 2>/dev/null
done
bad=$bad$(python3 - "$tmp"/all/*-s*.txt <<'EOF'
import json, os, sys
def load(p):
    try:
        s = json.load(open(p))
    except (OSError, ValueError) as e:
        return "unreadable: %s" % e
    s.pop("health", None); s.pop("keybus_connected", None)
    return s
for f in sys.argv[1:]:
    if not os.path.exists(f + ".vcd.state"):
        continue
    a, b = load(f + ".log.state"), load(f + ".vcd.state")
    if a != b:
        diff = {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)} if isinstance(a, dict) and isinstance(b, dict) else (a, b)
        print("%s: log vs VCD differ: %s" % (os.path.basename(f), json.dumps(diff)[:400]))
EOF
)
if [ -z "$bad" ]; then
  ok "every capture section of every capture file: VCD round trip reaches the log's --state"
else
  ko "every capture section of every capture file: VCD round trip reaches the log's --state" "$bad"
fi

# wires declared the other way round (data first, ids swapped) and a 1 ns timescale
v=$tmp/issue-12.vcd
awk '
  /^\$timescale/ { print "$timescale 1 ns $end"; next }
  /^\$var wire 1 ! clock \$end$/ { clk = "$var wire 1 \" clock $end"; next }
  /^\$var wire 1 " data \$end$/ { print "$var wire 1 ! data $end"; print clk; next }
  /^#[0-9]+$/ { printf "#%d000\n", substr($0, 2); next }
  /^[01xz][!"]$/ { c = substr($0, 1, 1); id = substr($0, 2); print c (id == "!" ? "\"" : "!"); next }
  { print }' "$v" >"$tmp/swapped-ns.vcd"
if grep -q '^\$var wire 1 ! data \$end' "$tmp/swapped-ns.vcd" && grep -q '^\$timescale 1 ns' "$tmp/swapped-ns.vcd" &&
  [ "$(grep -c '^\$var' "$tmp/swapped-ns.vcd")" -eq 2 ]; then
  ok "converted VCD written (data declared first, ids swapped, 1 ns, times x1000)"
else
  ko "converted VCD written (data declared first, ids swapped, 1 ns, times x1000)" "$(head -n 15 "$tmp/swapped-ns.vcd")"
fi
strip_time() { python3 -c 'import json,sys
for l in sys.stdin:
    o=json.loads(l); o.pop("time",None); o.pop("file",None); o.pop("line",None); print(json.dumps(o,sort_keys=True))'; }
"$R" --json "$v" 2>/dev/null | strip_time >"$tmp/orig.frames"
"$R" --json "$tmp/swapped-ns.vcd" 2>"$tmp/sw.err" | strip_time >"$tmp/sw.frames"
if [ -s "$tmp/orig.frames" ] && cmp -s "$tmp/orig.frames" "$tmp/sw.frames"; then
  ok "swapped wires + 1 ns timescale: same --json frames as the original VCD"
else
  ko "swapped wires + 1 ns timescale: same --json frames as the original VCD" "$(diff "$tmp/orig.frames" "$tmp/sw.frames" | head -n 10; cat "$tmp/sw.err")"
fi
"$R" --state "$v" 2>/dev/null | norm_state >"$tmp/orig.state"
"$R" --state "$tmp/swapped-ns.vcd" 2>/dev/null | norm_state >"$tmp/sw.state"
if [ -s "$tmp/orig.state" ] && cmp -s "$tmp/orig.state" "$tmp/sw.state"; then
  ok "swapped wires + 1 ns timescale: same --state as the original VCD"
else
  ko "swapped wires + 1 ns timescale: same --state as the original VCD" "$(diff "$tmp/orig.state" "$tmp/sw.state")"
fi
t1=$("$R" --json "$v" 2>/dev/null | tail -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["time"])')
t2=$("$R" --json "$tmp/swapped-ns.vcd" 2>/dev/null | tail -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["time"])')
if [ -n "$t1" ] && [ "$t1" = "$t2" ]; then
  ok "swapped wires + 1 ns timescale: frame times identical ($t1 s for the last frame)"
else
  ko "swapped wires + 1 ns timescale: frame times identical ($t1 s for the last frame)" "original $t1, converted $t2"
fi

# A bus cut in a VCD: the replay applies the 3 s rule while no edge comes
# (review finding: it used to notice the cut only when the bus came back),
# and the times of --status lines never go backwards.
S=${KEYBUS_SIM:-build/bin/keybus-sim}
if "$S" --quiet --vcd-out "$tmp/cut.vcd" examples/scenarios/bus_cut.kbs >/dev/null 2>&1; then
  "$R" --status "$tmp/cut.vcd" >"$tmp/cut.status" 2>/dev/null
  if python3 - "$tmp/cut.status" <<'PY'
import sys
lines = [l.split(None, 1) for l in open(sys.argv[1]) if l.strip()]
times = [float(t) for t, _ in lines]
assert times == sorted(times), "times go backwards"
disc = [float(t) for t, w in lines if w.strip() == "keybus disconnected"]
assert len(disc) == 2, disc
# the cut starts at the first message boundary after 10 s (see bus_cut.kbs)
assert 10.0 + 3.0 <= disc[0] <= 10.2 + 3.5, disc
PY
  then
    ok "VCD with a bus cut: disconnected within 3.5 s of the cut, times in order"
  else
    ko "VCD with a bus cut: disconnected within 3.5 s of the cut, times in order" "$(cat "$tmp/cut.status")"
  fi
else
  ko "keybus-sim wrote the bus_cut VCD"
fi

# ------------------------------------------------------------ large times (issue 6 item 11)
# The replay used to walk every gap in 100 ms steps up to the next edge: a
# timestamp of 1e15 us took minutes, one near UINT64_MAX wrapped the step and
# never ended. Gaps are now jumped; the 3 s rule applies once across them and
# the message a gap ends is still published.
printf '$timescale 1 s $end\n$var wire 1 ! clock $end\n$var wire 1 " data $end\n$enddefinitions $end\n#0\n1!\n#1000000000\n0!\n' >"$tmp/big1s.vcd"
rc=0; timeout 60 "$R" --status "$tmp/big1s.vcd" >"$tmp/big1s.out" 2>"$tmp/big1s.err" || rc=$?
if [ $rc -eq 0 ]; then
  ok "VCD of $(wc -c <"$tmp/big1s.vcd") bytes with \$timescale 1 s and #1000000000: ends (exit 0)"
else
  ko "VCD of $(wc -c <"$tmp/big1s.vcd") bytes with \$timescale 1 s and #1000000000: ends (exit 0)" "rc=$rc (124 = timed out after 60 s) $(head -c 300 "$tmp/big1s.err")"
fi
# issue-12's VCD moved to absolute times (1.7e15 us, a Unix-epoch clock), to
# the top of the 64-bit range, and cut in two by a gap of 1e15 us
python3 - "$v" "$tmp" <<'PY'
import sys
src, out = sys.argv[1], sys.argv[2]
lines = open(src).read().splitlines()
body = lines.index("$enddefinitions $end")
times = [int(l[1:]) for l in lines[body:] if l.startswith("#")]
def shifted(name, f):
    with open(out + "/" + name, "w") as o:
        for i, l in enumerate(lines):
            o.write(("#%d" % f(int(l[1:])) if i > body and l.startswith("#") else l) + "\n")
shifted("epoch.vcd", lambda t: t + 1700000000000000)
shifted("top.vcd", lambda t: t + (2**64 - 1 - times[-1]))
# the cut: the first message start (a falling clock edge after more than
# 2 ms of clock high) after 0.45 s
cut, prev_t, t = None, 0, 0
for l in lines[body + 1:]:
    if l.startswith("#"):
        prev_t, t = t, int(l[1:])
    elif l == "0!" and cut is None and t >= 450000 and t - prev_t > 2000:
        cut = t
assert cut
shifted("gap.vcd", lambda t: t if t < cut else t + 10**15)
PY
strip_all() { python3 -c 'import json,sys
for l in sys.stdin:
    o=json.loads(l); o.pop("time",None); o.pop("file",None); o.pop("line",None); print(json.dumps(o,sort_keys=True))'; }
for w in epoch top gap; do
  rc=0; timeout 60 "$R" --json "$tmp/$w.vcd" >"$tmp/$w.json" 2>"$tmp/$w.err" || rc=$?
  strip_all <"$tmp/$w.json" >"$tmp/$w.frames" 2>/dev/null
  if [ $rc -eq 0 ] && [ -s "$tmp/orig.frames" ] && cmp -s "$tmp/orig.frames" "$tmp/$w.frames"; then
    ok "issue-12 VCD, times moved ($w): ends, same --json frames as the original"
  else
    ko "issue-12 VCD, times moved ($w): ends, same --json frames as the original" "rc=$rc (124 = timed out) $(diff "$tmp/orig.frames" "$tmp/$w.frames" | head -n 5; head -c 300 "$tmp/$w.err")"
  fi
done
rc=0; timeout 60 "$R" --status "$tmp/epoch.vcd" >"$tmp/epoch.status" 2>&1 || rc=$?
"$R" --status "$v" >"$tmp/orig.status" 2>&1
if [ $rc -eq 0 ] && python3 - "$tmp/orig.status" "$tmp/epoch.status" <<'PY'
import sys
a = [l.split(None, 1) for l in open(sys.argv[1])]
b = [l.split(None, 1) for l in open(sys.argv[2])]
assert a and len(a) == len(b), (len(a), len(b))
for (ta, wa), (tb, wb) in zip(a, b):
    assert wa == wb, (wa, wb)
    assert abs(float(tb) - 1.7e9 - float(ta)) < 2e-6, (ta, tb)
PY
then
  ok "issue-12 VCD at absolute times: same --status lines, times moved by 1.7e9 s"
else
  ko "issue-12 VCD at absolute times: same --status lines, times moved by 1.7e9 s" "rc=$rc $(diff "$tmp/orig.status" "$tmp/epoch.status" | head)"
fi
rc=0; timeout 60 "$R" --status "$tmp/gap.vcd" >"$tmp/gap.status" 2>&1 || rc=$?
if [ $rc -eq 0 ] && python3 - "$tmp/gap.status" <<'PY'
import sys
lines = [l.split(None, 1) for l in open(sys.argv[1]) if l.strip()]
ev = [(float(t), w.strip()) for t, w in lines]
disc = [t for t, w in ev if w == "keybus disconnected"]
conn = [t for t, w in ev if w == "keybus connected"]
assert len(disc) == 1, ev
# last edge before the cut: 0.4475 s at the latest; disconnected 3 s after the
# last boundary the task noticed, on its 100 ms ticks
assert 3.2 < disc[0] < 3.8, disc
assert len(conn) == 2 and conn[1] > 1e9, conn
assert [t for t, _ in ev] == sorted(t for t, _ in ev), "times go backwards"
PY
then
  ok "issue-12 VCD cut by a 1e15 us gap: disconnected once ~3 s into the gap, connected again after it"
else
  ko "issue-12 VCD cut by a 1e15 us gap: disconnected once ~3 s into the gap, connected again after it" "rc=$rc $(cat "$tmp/gap.status")"
fi

# ------------------------------------------------------------ silent loss (issue 6 item 13)
# clock and data declared after 300 other variables (a logic analyser with
# many channels): used to give 0 frames and exit 0
python3 - "$v" "$tmp/manyvars.vcd" "$tmp/undeclared.vcd" "$tmp/bom.vcd" <<'PY'
import sys
src = open(sys.argv[1]).read()
i = src.index("$var wire 1 ! clock")
extra = "".join("$var wire 1 p%d probe%d $end\n" % (k, k) for k in range(300))
open(sys.argv[2], "w").write(src[:i] + extra + src[i:])
# value changes of an identifier no $var declared, after the first timestamp
j = src.index("#5000\n")
open(sys.argv[3], "w").write(src[:j] + "#4000\n1%\n0%\n" + src[j:])
open(sys.argv[4], "w").write("\ufeff" + src)
PY
for w in manyvars bom; do
  rc=0; "$R" --json "$tmp/$w.vcd" 2>"$tmp/$w.err" | strip_all >"$tmp/$w.frames" || rc=$?
  if [ -s "$tmp/orig.frames" ] && cmp -s "$tmp/orig.frames" "$tmp/$w.frames" && [ ! -s "$tmp/$w.err" ]; then
    ok "issue-12 VCD ($w): same --json frames as the original, nothing on stderr"
  else
    ko "issue-12 VCD ($w): same --json frames as the original, nothing on stderr" "$(diff "$tmp/orig.frames" "$tmp/$w.frames" | head -n 5; head -c 300 "$tmp/$w.err")"
  fi
done
rc=0; "$R" --json "$tmp/undeclared.vcd" >"$tmp/und.json" 2>"$tmp/und.err" || rc=$?
strip_all <"$tmp/und.json" >"$tmp/und.frames"
line=$(grep -n '^1%$' "$tmp/undeclared.vcd" | cut -d: -f1)
if [ $rc -eq 0 ] && cmp -s "$tmp/orig.frames" "$tmp/und.frames" &&
  grep -q "undeclared.vcd:$line: warning: value change of undeclared identifier \"%\"" "$tmp/und.err" &&
  grep -q "undeclared.vcd: warning: 2 value changes of undeclared identifiers ignored" "$tmp/und.err" &&
  [ "$(wc -l <"$tmp/und.err")" -eq 2 ]; then
  ok "VCD with value changes of an undeclared identifier: one warning with file:line, a count, exit 0, frames unchanged"
else
  ko "VCD with value changes of an undeclared identifier: one warning with file:line, a count, exit 0, frames unchanged" "rc=$rc $(cat "$tmp/und.err")"
fi

kt_done vcd
