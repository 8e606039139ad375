#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The engine's panel role (keybus/kb_panel.h) read by keybus-reader:
# keybus-panel-sim drives a simulated keypad and writes the traffic as a VCD;
# keybus-reader --json must decode it as the start-up sequence, the D2 frames
# byte for byte (notes classic-and-keypad.md D2), the keypad's keys and the
# 0x1C handshake of an alarm key. Also: the keys the engine read are the ones
# typed; noise never invents a key; bad options are refused.
# Needs build/bin/keybus-reader and build/bin/keybus-panel-sim (make V=rel apps).
set -u
. "$(dirname "$0")/lib.sh"
kt_tmpdir
KT_DETAIL_LINES=40

kt_need_reader panel_role
P=${KEYBUS_PANEL_SIM:-build/bin/keybus-panel-sim}
if [ ! -x "$P" ]; then
  ko "keybus-panel-sim binary present ($P; run make V=rel apps)"
  kt_done panel_role
fi

out=$("$P" --vcd-out "$tmp/p.vcd" --keys '12#f9p' --zone 2 --beep 3 --ms 800 2>&1)
check_status panel_sim_runs $? "$out"
keys=$(printf '%s\n' "$out" | awk '$1 == "key" {printf "%s ", $2}')
if [ "$keys" = "1 2 # fire 9 panic " ]; then ok engine_keys; else ko engine_keys "$out"; fi

if "$R" --json "$tmp/p.vcd" >"$tmp/p.json" 2>"$tmp/err"; then ok reader_decodes; else ko reader_decodes "$(cat "$tmp/err")"; fi

res=$(python3 - "$tmp/p.json" <<'PY'
import json, sys
fr = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
panel = [f for f in fr if f["source"] == "panel"]
mod = [f for f in fr if f["source"] != "panel"]
bad = []
def wire(f):  # reader bytes: [cmd, stop, data...] -> wire order without the stop bit
    b = f["bytes"]
    return " ".join([b[0]] + b[2:])
seq = [f["cmd"] for f in panel[:8]]
if seq != ["0x16", "0x5D", "0x4C", "0xB1", "0xA5", "0x05", "0xD5", "0x27"]:
    bad.append("start-up sequence %s" % seq)
for f in panel:
    if f["check"] != "ok":
        bad.append("frame %s check %s" % (f["cmd"], f["check"]))
want = {
    "16 0E 23 F1 38", "5D 00 00 00 00 00 5D", "4C" + " AA" * 11, "B1 FF FF FF FF 00 00 00 00 AD",
    "A5 18 0E ED 80 00 00 38", "05 81 01 10 C7", "D5" + " AA" * 8, "27 81 01 10 C7 00 80",
    "27 81 01 10 C7 02 82", "64 06 6A", "1C",
}
got = {wire(f) for f in panel}
for w in sorted(want - got):
    bad.append("missing frame " + w)
# every panel frame is one of these (0x05 status keep-alives included)
for w in sorted(got - want):
    bad.append("unexpected frame " + w)
# the keypad's answers: keys in module byte 2 of 0x05, alarm keys in byte 0
# of a 0x05 and again in the 0x1C that follows it
keys = []
for f in mod:
    t = f.get("text", "")
    keys.append("%s:%s" % (f["cmd"], t))
exp = ["0x05:Partition 1 key: 1", "0x05:Partition 1 key: 2", "0x05:Partition 1 key: #",
       "0x05:Keypad fire alarm key", "0x1C:Keypad fire alarm key", "0x05:Partition 1 key: 9",
       "0x05:Keypad panic alarm key", "0x1C:Keypad panic alarm key"]
k = [x for x in keys if "key" in x]
if k != exp:
    bad.append("module frames %s" % k)
n1c = sum(1 for f in panel if f["cmd"] == "0x1C")
if n1c != 2:
    bad.append("0x1C frames %d" % n1c)
print("\n".join(bad) if bad else "ok")
PY
)
if [ "$res" = ok ]; then ok reader_frames; else ko reader_frames "$res"; fi

# noise on both receivers: every key the engine reads was typed, in order
out=$("$P" --keys '1234567890123456789012345678901234567890' --ber 0.003 --seed 7 --ms 4000 2>&1)
check_status panel_sim_noise_runs $? "$out"
res=$(printf '%s\n' "$out" | python3 -c '
import sys
typed = "1234567890123456789012345678901234567890"
lines = sys.stdin.read().split("\n")
got = [l.split()[1] for l in lines if l.startswith("key ")]
summ = [l for l in lines if l.startswith("frames ")][0].split()
flips = int(summ[summ.index("flips") + 1])
j = 0
for g in got:
    while j < len(typed) and typed[j] != g:
        j += 1
    if j == len(typed):
        print("key %s out of order or invented: %s" % (g, got)); sys.exit()
    j += 1
if flips < 10 or len(got) < 30:
    print("flips %d keys %d" % (flips, len(got))); sys.exit()
print("ok")')
if [ "$res" = ok ]; then ok noise_no_invented_key; else ko noise_no_invented_key "$res"; fi

# Classic keypads: keys, and the wire read back from the VCD itself (the
# reader's Classic decoding is another piece of issue 11): 16 clock pulses of
# 1 ms low / 1 ms high per frame, 26 ms more of clock high between frames, and
# the panel's 16 bits sampled in the high phases (zone 2 lit, Ready).
out=$("$P" --classic --vcd-out "$tmp/c.vcd" --keys '12#f' --zone 2 --ms 5000 2>&1)
check_status classic_runs $? "$out"
keys=$(printf '%s\n' "$out" | awk '$1 == "key" {printf "%s ", $2}')
if [ "$keys" = "1 2 # fire " ]; then ok classic_engine_keys; else ko classic_engine_keys "$out"; fi
res=$(python3 - "$tmp/c.vcd" <<'PY'
import sys
ev = []  # (t, wire, level)
ids = {}
t = 0
for line in open(sys.argv[1]):
    w = line.split()
    if not w:
        continue
    if w[0] == "$var":
        ids[w[3]] = w[4]
    elif w[0].startswith("#"):
        t = int(w[0][1:])
    elif w[0][0] in "01" and w[0][1:] in ids:
        ev.append((t, ids[w[0][1:]], int(w[0][0])))
clk = [(t, l) for t, n, l in ev if n == "clock"]
data = [(t, l) for t, n, l in ev if n == "data"]
def data_at(t):
    v = 1
    for td, l in data:
        if td > t:
            break
        v = l
    return v
falls = [t for t, l in clk if l == 0]
frames, cur = [], [falls[0]]
for a, b in zip(falls, falls[1:]):
    if b - a > 5000:
        frames.append(cur)
        cur = [b]
    else:
        cur.append(b)
bad = []
if any(len(f) != 16 for f in frames):
    bad.append("pulses per frame %s" % sorted({len(f) for f in frames}))
if any(b - a != 2000 for f in frames for a, b in zip(f, f[1:])):
    bad.append("clock period not 2 ms")
gaps = {frames[i + 1][0] - (frames[i][-1] + 1000) for i in range(len(frames) - 1)}
if min(gaps) != 27000:  # last bit's high phase + 26 ms
    bad.append("clock high between frames %s" % sorted(gaps)[:3])
bits = "".join(str(data_at(t + 1500)) for t in frames[3])  # mid high phase of each cycle
if bits[:8] != "01000000" or bits[8:15] != "1000000":
    bad.append("frame bits %s" % bits)
print("\n".join(bad) if bad else "ok")
PY
)
if [ "$res" = ok ]; then ok classic_wire; else ko classic_wire "$res"; fi

# bad options: exit 2, a message
for a in "--keys x" "--zone 33" "--ber 2" "--ms" "--bogus 1"; do
  # shellcheck disable=SC2086
  "$P" $a >"$tmp/o" 2>&1
  rc=$?
  if [ "$rc" -eq 2 ] && [ -s "$tmp/o" ]; then ok "bad_option ${a%% *}"; else ko "bad_option $a" "rc $rc $(cat "$tmp/o")"; fi
done

kt_done panel_role
