#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# keybus-reader command-line behaviour: usage errors, unreadable files, stdin,
# several files as one input, malformed lines, garbage input, --json/--state
# shape, default text mode. Needs build/bin/keybus-reader (make V=rel apps).
set -u
. "$(dirname "$0")/lib.sh"
D=tests/data/captures
I12=$D/taligentx-dscKeybusInterface-issue-12.txt
kt_tmpdir

# run ARGS...: runs the reader, sets rc, out ($tmp/out), err ($tmp/err)
run() { "$R" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
# a signal shows as rc >= 128
sig() { [ "$rc" -ge 128 ]; }

kt_need_reader reader

# ------------------------------------------------------------ usage
run
if [ $rc -eq 2 ] && grep -q 'usage:' "$tmp/err" && [ ! -s "$tmp/out" ]; then
  ok "no arguments: exit 2, usage on stderr"
else
  ko "no arguments: exit 2, usage on stderr" "rc=$rc stderr: $(cat "$tmp/err")"
fi
run --json
if [ $rc -eq 2 ] && grep -q 'usage:' "$tmp/err"; then ok "--json without a FILE: exit 2, usage"; else ko "--json without a FILE: exit 2, usage" "rc=$rc"; fi
run --bogus "$I12"
if [ $rc -eq 2 ] && grep -q -- '--bogus' "$tmp/err" && [ ! -s "$tmp/out" ]; then
  ok "unknown option --bogus: exit 2, message names it, nothing on stdout"
else
  ko "unknown option --bogus: exit 2, message names it, nothing on stdout" "rc=$rc stderr: $(cat "$tmp/err")"
fi
run "$I12" --vcd-out
if [ $rc -eq 2 ]; then ok "--vcd-out without a file name: exit 2"; else ko "--vcd-out without a file name: exit 2" "rc=$rc"; fi
run --help
if [ $rc -eq 0 ] && grep -q 'usage:' "$tmp/out"; then ok "--help: exit 0, usage on stdout"; else ko "--help: exit 0, usage on stdout" "rc=$rc"; fi

# ------------------------------------------------------------ unreadable
run "$tmp/no-such-file.txt"
if [ $rc -eq 2 ] && grep -q 'no-such-file.txt' "$tmp/err"; then
  ok "missing file: exit 2, message names the file"
else
  ko "missing file: exit 2, message names the file" "rc=$rc stderr: $(cat "$tmp/err")"
fi
run "$I12" "$tmp/no-such-file.txt"
if [ $rc -eq 2 ] && grep -q 'no-such-file.txt' "$tmp/err"; then
  ok "missing second file after a good one: exit 2, message names it"
else
  ko "missing second file after a good one: exit 2, message names it" "rc=$rc stderr: $(cat "$tmp/err")"
fi
run "$tmp"
if [ $rc -eq 2 ] && ! sig; then ok "a directory as FILE: exit 2"; else ko "a directory as FILE: exit 2" "rc=$rc stderr: $(cat "$tmp/err")"; fi
run --vcd-out "$tmp/no-such-dir/out.vcd" "$I12"
if [ $rc -eq 2 ] && grep -q 'out.vcd' "$tmp/err"; then
  ok "--vcd-out into a missing directory: exit 2, message names it"
else
  ko "--vcd-out into a missing directory: exit 2, message names it" "rc=$rc stderr: $(cat "$tmp/err")"
fi

# ------------------------------------------------------------ stdin
"$R" --status "$I12" >"$tmp/file.status" 2>&1
"$R" --status - <"$I12" >"$tmp/stdin.status" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ -s "$tmp/file.status" ] && cmp -s "$tmp/file.status" "$tmp/stdin.status"; then
  ok "'-' reads stdin: --status same as from the file"
else
  ko "'-' reads stdin: --status same as from the file" "rc=$rc $(diff "$tmp/file.status" "$tmp/stdin.status")"
fi
"$R" --json - <"$I12" >"$tmp/stdin.json" 2>/dev/null
"$R" --json "$I12" >"$tmp/file.json" 2>/dev/null
if python3 - "$tmp/file.json" "$tmp/stdin.json" <<'EOF'; then
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
for o in a + b:
    o.pop("file", None)
sys.exit(0 if a == b and a else 1)
EOF
  ok "'-' reads stdin: --json same objects as from the file (but \"file\")"
else
  ko "'-' reads stdin: --json same objects as from the file (but \"file\")"
fi
cat "$I12" | "$R" --state - "$D/taligentx-dscKeybusInterface-issue-175.txt" >/dev/null 2>&1
rc=$?
if [ $rc -eq 0 ]; then ok "'-' mixed with a named file: exit 0"; else ko "'-' mixed with a named file: exit 0" "rc=$rc"; fi

# ------------------------------------------------------------ several files
head -n 5 "$I12" >"$tmp/p1.txt"
tail -n +6 "$I12" >"$tmp/p2.txt"
"$R" --status "$tmp/p1.txt" "$tmp/p2.txt" >"$tmp/parts.status" 2>&1
if cmp -s "$tmp/file.status" "$tmp/parts.status"; then
  ok "several files form one input: issue-12 split in two gives the same --status"
else
  ko "several files form one input: issue-12 split in two gives the same --status" "$(diff "$tmp/file.status" "$tmp/parts.status")"
fi
"$R" --state "$I12" >"$tmp/whole.state" 2>/dev/null
"$R" --state "$tmp/p1.txt" "$tmp/p2.txt" >"$tmp/parts.state" 2>/dev/null
if [ -s "$tmp/whole.state" ] && cmp -s "$tmp/whole.state" "$tmp/parts.state"; then
  ok "several files form one input: issue-12 split in two gives the same --state"
else
  ko "several files form one input: issue-12 split in two gives the same --state" "$(diff "$tmp/whole.state" "$tmp/parts.state")"
fi
# carry: zone 4 opened by the 0x27 in file 1 is still open after file 2 (a beep);
# the 0x27 is put after the 0x05 (frames before the first 0x05 do not count)
{ sed -n 3p "$I12"; sed -n 2p "$I12"; } >"$tmp/c1.txt"
sed -n 11p "$I12" >"$tmp/c2.txt"
both=$("$R" --state "$tmp/c1.txt" "$tmp/c2.txt" 2>/dev/null | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["zones_open"], s["synced"], [p["partition"] for p in s["partitions"]])')
alone=$("$R" --state "$tmp/c2.txt" 2>/dev/null | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["zones_open"], s["synced"], [p["partition"] for p in s["partitions"]])')
if [ "$both" = "[4] True [1, 2]" ] && [ "$alone" = "[] False []" ]; then
  ok "state carries across files (zone 4 and partitions from file 1 kept after file 2)"
else
  ko "state carries across files (zone 4 and partitions from file 1 kept after file 2)" "both: $both / file 2 alone: $alone"
fi

# ------------------------------------------------------------ malformed lines
cat >"$tmp/badbin.txt" <<'EOF'
 1.00: 00000101 0 10000001 00000001 00000000 11000111
 1.10: 00000101 0 1000001 00000001 00000000 11000111
 1.20: 00000101 0 10000001 00000011 00000000 11000111
 1.30: 00000101 0 10000001 0000000100 00000000 11000111
 1.40: 00000101 0 10000001 00000001 00000000 11000111
EOF
run --json "$tmp/badbin.txt"
lines=$(python3 -c 'import json,sys; print(" ".join(str(json.loads(l)["line"]) for l in open(sys.argv[1])))' "$tmp/out" 2>&1)
if [ $rc -eq 0 ] && grep -q "badbin.txt:2: " "$tmp/err" && grep -q "badbin.txt:4: " "$tmp/err" && [ "$lines" = "1 3 5" ]; then
  ok "binary log with bad group widths (lines 2, 4): file:line messages, exit 0, lines 1 3 5 decoded"
else
  ko "binary log with bad group widths (lines 2, 4): file:line messages, exit 0, lines 1 3 5 decoded" "rc=$rc decoded lines: $lines stderr: $(cat "$tmp/err")"
fi
cat >"$tmp/badhex.txt" <<'EOF'
[12:00:00.100][I][Panel :1072]: 05: 05 00 81 01 90 C7 90 C7 90 C7 00 00 00 00 00 00 (74)
[12:00:00.200][I][Panel :1072]: 05: 05 00 81 0Z 90 C7 90 C7 90 C7 00 00 00 00 00 00 (74)
[12:00:00.300][I][Panel :1072]: 05: 05 00 81 03 90 C7 90 C7 90 C7 00 00 00 00 00 00 (74)
[12:00:00.400][I][Module:1072]: 05: FF 01 FF FF FF FF FF FF FF FG 00 00 00 00 00 00 (74)
[12:00:00.500][I][Panel :1072]: 05: 05 00 81 01 90 C7 90 C7 90 C7 00 00 00 00 00 00 (74)
EOF
run --json "$tmp/badhex.txt"
lines=$(python3 -c 'import json,sys; print(" ".join(str(json.loads(l)["line"]) for l in open(sys.argv[1])))' "$tmp/out" 2>&1)
if [ $rc -eq 0 ] && grep -q "badhex.txt:2: " "$tmp/err" && grep -q "badhex.txt:4: " "$tmp/err" && [ "$lines" = "1 3 5" ]; then
  ok "hex log with non-hex tokens (lines 2, 4): file:line messages, exit 0, lines 1 3 5 decoded"
else
  ko "hex log with non-hex tokens (lines 2, 4): file:line messages, exit 0, lines 1 3 5 decoded" "rc=$rc decoded lines: $lines stderr: $(cat "$tmp/err")"
fi
n=$(grep -c "badhex.txt:2: " "$tmp/err")
if [ "$n" -eq 1 ]; then ok "a malformed line is reported once"; else ko "a malformed line is reported once" "$(cat "$tmp/err")"; fi
# the malformed line in the middle of a second file is reported with that file's name
run --json "$tmp/p1.txt" "$tmp/badbin.txt"
if [ $rc -eq 0 ] && grep -q "badbin.txt:2: " "$tmp/err" && ! grep -q "p1.txt:" "$tmp/err"; then
  ok "malformed line in the second of two files reported as that file:line"
else
  ko "malformed line in the second of two files reported as that file:line" "rc=$rc stderr: $(cat "$tmp/err")"
fi

# ------------------------------------------------------------ long lines (issue 6 item 10)
# 4,095-byte lines (the parser's buffer) ending in "[0x" / "[Module/0x": the
# label parser read one byte past the buffer (ASan: stack-buffer-overflow;
# tests/run.sh runs this script with the ASan build too)
python3 -c 'import sys
for tail in ("[0x", "[Module/0x"):
    head = "00000101 0"
    sys.stdout.write(head + " " * (4095 - len(head) - len(tail)) + tail + "\n")
' >"$tmp/long.txt"
run --json "$tmp/long.txt"
n=$(wc -l <"$tmp/out")
if [ $rc -eq 0 ] && [ "$n" -eq 2 ] && ! grep -q 'Sanitizer' "$tmp/err"; then
  ok "4,095-byte lines ending in [0x / [Module/0x: exit 0, both decoded"
else
  ko "4,095-byte lines ending in [0x / [Module/0x: exit 0, both decoded" "rc=$rc frames=$n $(head -c 600 "$tmp/err")"
fi

# ------------------------------------------------------------ byte order mark (issue 6 item 13)
# a log saved with a UTF-8 BOM used to lose its first frame line
printf '\357\273\277' >"$tmp/bom.txt"
cat "$I12" >>"$tmp/bom.txt"
"$R" --json "$I12" 2>/dev/null | python3 -c 'import json,sys
for l in sys.stdin:
    o=json.loads(l); o.pop("file",None); print(json.dumps(o,sort_keys=True))' >"$tmp/nobom.frames"
run --json "$tmp/bom.txt"
python3 -c 'import json,sys
for l in sys.stdin:
    o=json.loads(l); o.pop("file",None); print(json.dumps(o,sort_keys=True))' <"$tmp/out" >"$tmp/bom.frames"
if [ $rc -eq 0 ] && [ -s "$tmp/nobom.frames" ] && cmp -s "$tmp/nobom.frames" "$tmp/bom.frames" && [ ! -s "$tmp/err" ]; then
  ok "log with a UTF-8 BOM: same --json frames as without (first line kept)"
else
  ko "log with a UTF-8 BOM: same --json frames as without (first line kept)" "rc=$rc $(diff "$tmp/nobom.frames" "$tmp/bom.frames" | head -n 4) $(head -c 300 "$tmp/err")"
fi
# the first line of issue-12 is a comment: a BOM before a frame line too
{ printf '\357\273\277'; sed -n 2,3p "$I12"; } >"$tmp/bom2.txt"
run --json "$tmp/bom2.txt"
if [ $rc -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 2 ] && head -n 1 "$tmp/out" | grep -q '"line": *1[,}]'; then
  ok "log with a UTF-8 BOM before a frame line: that frame decoded"
else
  ko "log with a UTF-8 BOM before a frame line: that frame decoded" "rc=$rc $(cat "$tmp/out" "$tmp/err" | head -c 400)"
fi

# ------------------------------------------------------------ streaming (issue 6 item 14)
# The reader used to keep the whole input in memory (~150 B per line: 150 MB
# for a million lines). It streams now: 10x the input, same peak memory.
# Issue-12's frame lines repeated with rising timestamps, 30,000 and 300,000
# lines; the peak resident size (ru_maxrss) of each run is compared.
python3 - "$tmp" <<'PY'
import re, sys
body = [l.split(":", 1)[1].rstrip("\n") for l in open("tests/data/captures/taligentx-dscKeybusInterface-issue-12.txt")
        if re.match(r"\s*\d+\.\d+:", l)]
for n in (30000, 300000):
    with open(sys.argv[1] + "/big%d.txt" % n, "w") as f:
        for i in range(n):
            f.write("%d.%02d:%s\n" % (i // 10, (i % 10) * 10, body[i % len(body)]))
PY
maxrss() { # FILE: "rc maxrss_kB" of a --status run
  python3 -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$R" --status "$1"
}
read -r rc1 m1 < <(maxrss "$tmp/big30000.txt")
read -r rc2 m2 < <(maxrss "$tmp/big300000.txt")
if [ "$rc1" = 0 ] && [ "$rc2" = 0 ] && [ -n "$m1" ] && [ -n "$m2" ] && [ "$m2" -le $((m1 + m1 / 4 + 2048)) ]; then
  ok "bounded memory: 300,000-line log peaks at ${m2} kB, 30,000 lines at ${m1} kB (within 25 % + 2 MB)"
else
  ko "bounded memory: 300,000-line log peaks at ${m2} kB, 30,000 lines at ${m1} kB (within 25 % + 2 MB)" "exit $rc1 / $rc2"
fi
# the window the log noise judgement needs stays a few records on a log whose
# status frames follow each other ...
KEYBUS_READER_WINDOW=1 "$R" --state "$tmp/big30000.txt" >/dev/null 2>"$tmp/err"
hw=$(grep -oE 'high-water mark [0-9]+' "$tmp/err" | grep -oE '[0-9]+$')
if [ -n "$hw" ] && [ "$hw" -le 16 ]; then ok "streaming window on issue-12 x 3000: high-water mark $hw records"; else ko "streaming window on issue-12 x 3000: high-water mark $hw records (<= 16)" "$(cat "$tmp/err")"; fi
# ... and is capped (16,384 records) when a status frame's successor is far:
# two 0x1B, 20,000 other frames, a third 0x1B; every frame still decoded once
{
  for i in 1 2; do echo " 1879.1$i: 00011011 0 00010000 11000111 00010000 11000111 00010000 11000111 00010000 11000111 [0x1B]"; done
  sed -n '1,20000p' "$tmp/big30000.txt"
  echo " 9999.00: 00011011 0 00010000 11000111 00010000 11000111 00010000 11000111 00010000 11000111 [0x1B]"
} >"$tmp/far.txt"
rc=0; KEYBUS_READER_WINDOW=1 "$R" --json "$tmp/far.txt" >"$tmp/out" 2>"$tmp/err" || rc=$?
hw=$(grep -oE 'high-water mark [0-9]+' "$tmp/err" | grep -oE '[0-9]+$')
n=$(wc -l <"$tmp/out")
order=$(python3 -c 'import json,sys
ls=[json.loads(l)["line"] for l in open(sys.argv[1])]
print("ok" if ls == list(range(1, 20004)) else "lines out of order or missing")' "$tmp/out")
if [ $rc -eq 0 ] && [ -n "$hw" ] && [ "$hw" -le 16384 ] && [ "$n" -eq 20003 ] && [ "$order" = ok ]; then
  ok "streaming window capped: a 0x1B waiting 20,000 records for its successor (high-water $hw), every frame once, in order"
else
  ko "streaming window capped: a 0x1B waiting 20,000 records for its successor (high-water $hw), every frame once, in order" "rc=$rc frames=$n $order $(head -c 300 "$tmp/err")"
fi

# ------------------------------------------------------------ empty / garbage
: >"$tmp/empty.txt"
for mode in "" --json --status --state; do
  run $mode "$tmp/empty.txt"
  if ! sig && { [ $rc -eq 0 ] || { [ $rc -eq 2 ] && [ -s "$tmp/err" ]; }; }; then
    ok "empty file ${mode:-(text)}: no crash (exit $rc)"
  else
    ko "empty file ${mode:-(text)}: no crash (exit $rc)" "$(cat "$tmp/err")"
  fi
done
python3 -c 'import random,sys
r=random.Random(12345)
for i in range(4):
    open(sys.argv[1]+"/garbage%d.bin"%i,"wb").write(bytes(r.randrange(256) for _ in range(r.randrange(1,20000))))
# garbage that looks like a VCD (starts with "$" + letter) and like log lines
open(sys.argv[1]+"/garbage-vcd.bin","wb").write(b"$var wire 1 ! clock $end\n#1\n1!\n"+bytes(r.randrange(256) for _ in range(5000)))
open(sys.argv[1]+"/garbage-log.bin","wb").write(b"".join(b"%d.%02d: "%(i,i%100)+bytes(r.choice(b"01 \x00\xff") for _ in range(r.randrange(0,200)))+b"\n" for i in range(300)))
' "$tmp"
for g in "$tmp"/garbage*.bin; do
  for mode in --json --state; do
    run $mode "$g"
    if ! sig && { [ $rc -eq 0 ] || { [ $rc -eq 2 ] && [ -s "$tmp/err" ]; }; }; then
      ok "binary garbage $(basename "$g") $mode: no crash (exit $rc)"
    else
      ko "binary garbage $(basename "$g") $mode: no crash (exit $rc)" "$(tail -n 3 "$tmp/err")"
    fi
  done
done

# ------------------------------------------------------------ --json shape
# all captures: every line valid JSON with the keys; lines in input order;
# "synced" false before the first valid 0x05/0x1B of each capture section and
# true from it on (a "# capture" line starts a new section).
mkdir -p "$tmp/j"
for f in "$D"/*.txt; do "$R" --json "$f" >"$tmp/j/$(basename "$f").json" 2>/dev/null; done
jfail=$(python3 - "$D" "$tmp/j" <<'EOF'
import json, os, sys
capdir, outdir = sys.argv[1], sys.argv[2]
need = ["cmd", "source", "bytes", "bits", "checksum", "synced", "text", "fields", "file", "line", "check"]
def check(src, out):
    heads = [i for i, l in enumerate(open(src, encoding="utf-8", errors="replace"), 1) if l.startswith("# capture")]
    section = lambda line: sum(1 for h in heads if h < line)
    prev, synced_in, n = 0, {}, 0
    for n, l in enumerate(open(out), 1):
        try:
            o = json.loads(l)
        except ValueError as e:
            return "output line %d not JSON: %s" % (n, e)
        miss = [k for k in need if k not in o]
        if miss:
            return "line %s: missing keys %s" % (o.get("line"), miss)
        if not isinstance(o["bytes"], list) or not isinstance(o["fields"], dict) or not isinstance(o["synced"], bool):
            return "line %s: wrong types" % o["line"]
        if o["line"] < prev:
            return "line %d printed after line %d (not input order)" % (o["line"], prev)
        prev = o["line"]
        sec = section(o["line"])
        was = synced_in.get(sec, False)
        if o["source"] == "panel" and o["cmd"] in ("0x05", "0x1B") and o["check"] == "ok":
            synced_in[sec] = True
        want = synced_in.get(sec, False)
        if o["synced"] != want:
            return "line %d: synced %s, expected %s (first valid 0x05/0x1B of the capture %s)" % (
                o["line"], o["synced"], want, "seen before" if was else "not seen yet")
    if n == 0:
        return "no output"
    return None
for name in sorted(os.listdir(outdir)):
    m = check(os.path.join(capdir, name[:-5]), os.path.join(outdir, name))
    if m:
        print("%s: %s" % (name[:-5], m))
EOF
)
if [ -z "$jfail" ]; then
  ok "--json on all captures: valid JSON, required keys, input order, synced false until the first valid 0x05/0x1B of each capture"
else
  ko "--json on all captures: valid JSON, required keys, input order, synced false until the first valid 0x05/0x1B of each capture" "$jfail"
fi

# ------------------------------------------------------------ --state shape
sfail=""
for f in "$I12" "$D/taligentx-dscKeybusInterface-issue-175.txt" "$D/Dilbert66-esphome-dsckeybus-issue-26.txt" "$tmp/empty.txt"; do
  msg=$("$R" --state "$f" 2>/dev/null | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)
except ValueError as e:
    print("not JSON:", e); sys.exit()
top = ["partitions", "zones_open", "trouble", "ac_power", "battery_ok", "pgm_outputs", "time", "keybus_connected", "health"]
miss = [k for k in top if k not in s]
if miss: print("missing", miss); sys.exit()
for p in s["partitions"]:
    m = [k for k in ["partition", "ready", "armed", "exit_delay", "entry_delay", "alarm", "fire", "lights", "status"] if k not in p]
    if m: print("partition", p.get("partition"), "missing", m); sys.exit()
    if p["armed"] not in (None, "stay", "away"): print("armed", p["armed"]); sys.exit()
for k in ["trouble", "ac_power", "battery_ok", "keybus_connected"]:
    if not isinstance(s[k], bool): print(k, "not a bool"); sys.exit()
if not isinstance(s["health"], dict): print("health not an object")
')
  [ -n "$msg" ] && sfail="$sfail$(basename "$f"): $msg"$'\n'
done
if [ -z "$sfail" ]; then
  ok "--state: valid JSON with the documented keys (4 inputs incl. an empty file)"
else
  ko "--state: valid JSON with the documented keys (4 inputs incl. an empty file)" "$sfail"
fi

# ------------------------------------------------------------ text mode
tfail=""
for f in "$D"/*.txt; do
  nt=$("$R" "$f" 2>/dev/null | grep -v -E '^# ' | grep -v -E ': the logging tool reported a buffer overflow$' | wc -l)
  nj=$("$R" --json "$f" 2>/dev/null | wc -l)
  [ "$nt" -eq "$nj" ] || tfail="$tfail$(basename "$f"): $nt text lines, $nj frames"$'\n'
done
if [ -z "$tfail" ]; then
  ok "default text mode: one line per frame on every capture (same count as --json)"
else
  ko "default text mode: one line per frame on every capture (same count as --json)" "$tfail"
fi
if "$R" "$I12" 2>/dev/null | head -n 2 | grep -q '^7590\.19 00000101 0 10000001 00000010 10000001 11000111 \[0x05\] '; then
  ok "default text mode: line has the frame's time, its raw bits and [command]"
else
  ko "default text mode: line has the frame's time, its raw bits and [command]" "$("$R" "$I12" | head -n 3)"
fi

# ------------------------------------------------------------ typed meaning (issue 7)
# bell (0xBB) and the supervision reply (0x11, two equal replies: module
# data has no checksum) become status fields; the
# text and --status output stay as before (no line for the new event types)
cat >"$tmp/typed.txt" <<'EOF'
    0.00: 00000101 0 10000001 00000001 10010000 11000111 10010000 11000111 10010000 11000111
    1.00: 00010001 0 10101010 10101010 10101010 10101010 10101010 10101010 10101010 [0x11] Keypad slot query
    1.00: 11111111 1 00111111 11111111 00001111 11110011 11111111 11111111 11111111 [Keypad] Slots active: 1
    1.50: 00010001 0 10101010 10101010 10101010 10101010 10101010 10101010 10101010 [0x11] Keypad slot query
    1.50: 11111111 1 00111111 11111111 00001111 11110011 11111111 11111111 11111111 [Keypad] Slots active: 1
    2.00: 10111011 0 00100000 00000101 11100000
EOF
st=$("$R" --state "$tmp/typed.txt" 2>/dev/null)
if python3 -c 'import json,sys
s=json.loads(sys.argv[1])
ok = s["bell"] is True and s["keypads"] == [1] and s["expanders"] == [1, 2] and s["modules"] == ["RF5132"] and isinstance(s["panel_flags"], dict)
sys.exit(0 if ok else 1)' "$st"; then
  ok "--state: bell, keypads, expanders and modules from 0xBB and the 0x11 reply"
else
  ko "--state: bell, keypads, expanders and modules from 0xBB and the 0x11 reply" "$st"
fi
# A VCD goes through a link's ring: its statistics reach --state's health
# (issue 7: ring_high_water stayed 0 after frames went through the ring).
hw=$("$R" --state tests/data/vcd/fire_key_1ns.vcd 2>/dev/null | python3 -c 'import json,sys
h=json.load(sys.stdin)["health"]; print(h["ring_high_water"], h["ring_overflows"])')
if [ "${hw%% *}" -ge 1 ] 2>/dev/null && [ "${hw##* }" = 0 ]; then
  ok "--state of a VCD: the replay ring's high-water mark in the health ($hw)"
else
  ko "--state of a VCD: the replay ring's high-water mark in the health" "got: $hw"
fi
js=$("$R" --json "$tmp/typed.txt" 2>/dev/null)
if python3 -c 'import json,sys
l=[json.loads(x) for x in sys.argv[1].splitlines() if x.strip()]
ok = l[5]["fields"].get("bell") is True and l[5]["text"] == "Bell on" and l[2]["fields"]["reply"]["keypads"] == [1] and l[1]["fields"].get("query") == "supervision"
sys.exit(0 if ok else 1)' "$js"; then
  ok "--json: typed bell, query and reply fields"
else
  ko "--json: typed bell, query and reply fields" "$js"
fi
if [ "$("$R" --status "$tmp/typed.txt" 2>/dev/null | grep -ciE 'bell|keypad')" = 0 ]; then
  ok "--status: the new event types print no line (output as before issue 7)"
else
  ko "--status: the new event types print no line (output as before issue 7)" "$("$R" --status "$tmp/typed.txt" 2>&1)"
fi

kt_done reader
