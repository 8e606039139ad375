#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The sigrok decoder tools/sigrok/dsc_keybus, run by Debian's sigrok-cli on
# VCD files written by keybus-sim, against keybus-reader's decoding of the
# same files: every panel frame (bytes, checksum verdict) and every keypad key
# in a partition key slot must match, in order. Also a corrupted frame: both
# must flag its checksum. Skipped when sigrok-cli is not installed.
# Needs build/bin/keybus-sim and build/bin/keybus-reader (make V=rel apps);
# KEYBUS_SIM / KEYBUS_READER override the binaries.
set -u
. "$(dirname "$0")/lib.sh"
command -v sigrok-cli >/dev/null 2>&1 || kt_skip sigrok "sigrok (sigrok-cli not installed)"
kt_tmpdir
kt_need_reader sigrok
S=${KEYBUS_SIM:-build/bin/keybus-sim}
if [ ! -x "$S" ]; then
  ko "keybus-sim binary present ($S; run make V=rel apps)"
  kt_done sigrok
fi
export SIGROKDECODE_DIR=$PWD/tools/sigrok

# srd VCD CLASS: the decoder's annotations of class/row CLASS, one a line
srd() {
  sigrok-cli -I vcd -i "$1" -P dsc_keybus:clock=clock:data=data -A "dsc_keybus=$2" 2>"$tmp/srd.err" |
    sed -n 's/^dsc_keybus-1: //p'
}
# want VCD: keybus-reader's panel frames as "BYTES VERDICT" and its keys as
# "key P<n> 0x<code>", in the order of the capture
want() {
  "$R" --json "$1" | python3 -c 'import json, sys
for l in sys.stdin:
    f = json.loads(l)
    if f["source"] == "panel":
        print(" ".join(f["bytes"]), f["checksum"])
    else:
        for k in f.get("fields", {}).get("keys", []):
            if "partition" in k:
                print("key P%d %s" % (k["partition"], k["code"]))'
}
# got VCD: the decoder's, in the same form (frames and keys interleave in
# time order in sigrok-cli's output)
got() {
  sigrok-cli -I vcd -i "$1" -P dsc_keybus:clock=clock:data=data -A dsc_keybus=frames:meanings \
      2>"$tmp/srd.err" |
    sed -n -e 's/^dsc_keybus-1: [^:]*: \([0-9A-F ]*\) \[checksum ok\]$/\1 ok/p' \
      -e 's/^dsc_keybus-1: [^:]*: \([0-9A-F ]*\) \[no checksum\]$/\1 none/p' \
      -e 's/^dsc_keybus-1: [^:]*: \([0-9A-F ]*\) \[CHECKSUM ERROR\]$/\1 bad/p' \
      -e 's/^dsc_keybus-1: \(P[0-9]\) key .* (\(0x[0-9A-F][0-9A-F]\))$/key \1 \2/p'
}
# (noise.kbs: bit errors, clock glitches, jitter; bus_cut.kbs: the bus
# drops out)
# same NAME VCD MIN: the decoder and keybus-reader agree on VCD, which holds
# at least MIN frames
same() {
  want "$2" >"$tmp/want" && got "$2" >"$tmp/got"
  local n
  n=$(grep -vc '^key' "$tmp/want")
  if [ "$n" -lt "$3" ]; then
    ko "$1: keybus-reader decoded $n frames (< $3)" "$(cat "$tmp/srd.err")"
  elif d=$(diff "$tmp/want" "$tmp/got"); then
    ok "$1: $n frames and $(grep -c '^key' "$tmp/want") keys match keybus-reader"
  else
    ko "$1: the decoder differs from keybus-reader (< reader, > decoder)" "$d$(cat "$tmp/srd.err")"
  fi
}

for sc in arm_away entry_alarm partitions noise bus_cut; do
  if "$S" --vcd-out "$tmp/$sc.vcd" "examples/scenarios/$sc.kbs" >"$tmp/$sc.out" 2>&1; then
    same "$sc" "$tmp/$sc.vcd" 100
  else
    ko "keybus-sim $sc.kbs runs" "$(cat "$tmp/$sc.out")"
  fi
done

# Meanings and keys: arm_away types the away key and a code.
srd "$tmp/arm_away.vcd" meanings >"$tmp/m"
check "meaning: partition status and lights" grep -q '^P1 ready (Ready Backlight) | P2 disabled' "$tmp/m"
check "meaning: armed away" grep -q '^P1 armed away (Armed' "$tmp/m"
check "meaning: key press" grep -q '^P1 key Away (0xB1)$' "$tmp/m"

# A corrupted frame: a 0x27 whose checksum's last bit is flipped on the wire
# (a data pulse in that bit's high phase). keybus-reader writes the good
# frame; the flip is added to its VCD.
printf '00100111 0 10000001 00000001 00000000 11000111 00000000 01110000\n' >"$tmp/good.log"
"$R" --vcd-out "$tmp/good.vcd" "$tmp/good.log" >/dev/null
python3 - "$tmp/good.vcd" "$tmp/bad.vcd" <<'EOF'
import sys
head, ev, t = [], [], None
lines = open(sys.argv[1]).read().split('\n')
i = lines.index('$enddefinitions $end') + 1
head = lines[:i]
for l in lines[i:]:
    if l.startswith('#'):
        t = int(l[1:])
    elif l in ('0!', '1!', '0"', '1"'):
        ev.append((t, l[1], l[0]))
# the clock's rises after time 0 (its initial level); bit 56, the
# checksum's last bit, is the frame's 57th high phase
end = t
rises = [t for t, v, x in ev if v == '!' and x == '1' and t > 0]
r = rises[56]
lvl = [x for t, v, x in ev if v == '"' and t <= r][-1]
flip = '0' if lvl == '1' else '1'
ev += [(r + 50, '"', flip), (r + 400, '"', lvl)]
ev.sort(key=lambda e: e[0])
out, last = head[:], None
for t, v, x in ev:
    if t != last:
        out.append('#%d' % t)
        last = t
    out.append(x + v)
out.append('#%d' % end)  # the idle clock after the frame ends it
open(sys.argv[2], 'w').write('\n'.join(out) + '\n')
EOF
same "corrupted frame" "$tmp/bad.vcd" 1
check "corrupted frame: flagged by the decoder" grep -q '^27 00 81 01 00 C7 00 71 bad$' "$tmp/got"
check "corrupted frame: checksum error annotation" grep -q '^Checksum error: 27 00 81 01 00 C7 00 71' <(srd "$tmp/bad.vcd" frames)

kt_done sigrok
