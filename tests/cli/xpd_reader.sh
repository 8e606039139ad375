#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The virtual zone expander on a waveform: keybus-sim runs
# examples/scenarios/vzone_not_ready.kbs (the engine emulates zone expander 1)
# and writes the bus as VCD; keybus-reader decodes that VCD:
#   --json: the 0x11 reply names expander 1; a status command's module data
#     carries its notification; each expander query's reply has a good
#     checksum and names the zone that changed, in order: 9 open, 9 closed,
#     10 tamper, 10 closed;
#   --state: the same state as the engine's at the end of the run.
# Needs build/bin/keybus-sim and build/bin/keybus-reader (make V=rel apps);
# KEYBUS_SIM / KEYBUS_READER override the binaries.
set -u
. "$(dirname "$0")/lib.sh"
kt_tmpdir
S=${KEYBUS_SIM:-build/bin/keybus-sim}
if [ ! -x "$S" ]; then
  ko "keybus-sim binary present ($S; run make V=rel apps)"
  kt_done xpd_reader
fi
kt_need_reader xpd_reader

"$S" --quiet --vcd-out "$tmp/x.vcd" --state-out "$tmp/sim.json" examples/scenarios/vzone_not_ready.kbs \
  >"$tmp/sim.out" 2>&1
check_status "keybus-sim writes the VCD of vzone_not_ready" $? "$(cat "$tmp/sim.out")"
"$R" --json "$tmp/x.vcd" >"$tmp/x.json" 2>"$tmp/x.err"
check_status "keybus-reader --json decodes it" $? "$(cat "$tmp/x.err")"

python3 - "$tmp/x.json" >"$tmp/py.out" 2>&1 <<'PY'
import json, sys
sup = notify = 0
replies = []
for line in open(sys.argv[1]):
    line = line.strip()
    if not line.startswith("{"):
        continue
    j = json.loads(line)
    if j.get("source") != "module":
        continue
    f = j.get("fields", {})
    if j["cmd"] == "0x11" and f.get("reply", {}).get("expanders") == [1]:
        sup += 1
    if j["cmd"] == "0x05" and f.get("notify", {}).get("expanders") == [1]:
        notify += 1
    if j["cmd"] == "0x28":
        r = f.get("reply", {})
        replies.append((r.get("checksum"), j.get("text")))
want = ["Zone expander 1: zone 9 open (DEOL)", "Zone expander 1: zone 9 closed",
        "Zone expander 1: zone 10 tamper", "Zone expander 1: zone 10 closed"]
ok = True
if sup < 2: print("0x11 replies naming expander 1: %d (want >= 2)" % sup); ok = False
if notify < 4: print("notifications of expander 1 in 0x05: %d (want >= 4)" % notify); ok = False
if [t for _, t in replies] != want: print("replies: %r" % replies); ok = False
if any(c != "ok" for c, _ in replies): print("checksums: %r" % replies); ok = False
sys.exit(0 if ok else 1)
PY
check_status "the reader shows supervision, notifications and the four replies (checksum ok)" $? "$(cat "$tmp/py.out")"

norm_state() { sed -e '/^\t"health":/,$d' -e '/^\t"keybus_connected":/d' "$1"; }
"$R" --state "$tmp/x.vcd" >"$tmp/reader.json" 2>"$tmp/reader.err"
if [ $? -eq 0 ] && diff <(norm_state "$tmp/sim.json") <(norm_state "$tmp/reader.json") >"$tmp/state.diff"; then
  ok "keybus-reader --state of the VCD: the same state as the engine"
else
  ko "keybus-reader --state of the VCD" "$(cat "$tmp/state.diff" "$tmp/reader.err")"
fi
kt_done xpd_reader
