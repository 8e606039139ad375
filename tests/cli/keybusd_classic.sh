#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# keybusd --panel classic end to end, against a private mosquitto broker:
# the simulated Classic panel (src/sim/kb_sim_classic.h) through its wire
# and the bus's Classic link (kb_bus_set_series). What the Classic cannot
# report is not announced: those discovery configs are published empty
# (retained: Home Assistant removes them) and their state topics never
# carry anything (docs/home-assistant.md, "Classic panels"); a zone opened
# on the panel is reported ON; an arm away with a code over the command
# topic reaches armed_away, and disarm brings it back.
# Needs build/bin/keybusd (KEYBUSD overrides) and mosquitto (skipped without).
set -u
. "$(dirname "$0")/lib.sh"
. tests/broker/broker.sh
T=keybusd_classic
KT_DETAIL_LINES=30
kb_init $T
kb_need_keybusd

# ------------------------------------------------------------ configuration
out=$("$K" --config /dev/null --panel classic --check-config 2>&1)
check classic_check_config test $? -eq 0
check classic_check_config_says_panel grep -q '^panel = classic$' <<<"$out"
check classic_check_config_counts grep -qE '^# configuration OK: [0-9]+ Home Assistant entities, [0-9]+ of them on a Classic panel$' <<<"$out"
printf '[keybus]\npanel = classic\n[zone 9]\nname = Shed\n' >"$tmp/bad.conf"
out=$("$K" --config "$tmp/bad.conf" --check-config 2>&1)
check classic_zone9_refused test $? -eq 2
check classic_zone9_says_why grep -q 'a Classic panel reports zones 1-8 only' <<<"$out"
out=$("$K" --config /dev/null --panel pc1550 --check-config 2>&1)
check classic_bad_panel_refused test $? -eq 2

# ------------------------------------------------------------ web keypad
# the state document leaves out what the Classic cannot report
HP=$(kb_free_port)
kb_keybusd web --config /dev/null --panel classic --backend sim --mqtt off --http "127.0.0.1:$HP" --log-level info
WPID=$KB_PID
kb_port_open "$HP" 10 || ko "web keypad listens" "$(tail -n 5 "$tmp/web.log")"
sleep 1
check_web() {
  $PY - "$HP" <<'EOF'
import json, sys, urllib.request
st = json.load(urllib.request.urlopen("http://127.0.0.1:%s/api/state" % sys.argv[1], timeout=5))
bad = []
if st.get("panel") != "classic":
    bad.append("panel: %r" % st.get("panel"))
for k in ("ac_power", "battery_ok", "pgm", "panel_version", "time", "code_digits"):
    if k in st:
        bad.append("absent key present: " + k)
if [p["n"] for p in st["partitions"]] != [1]:
    bad.append("partitions: %r" % [p["n"] for p in st["partitions"]])
for p in st["partitions"]:
    for k in ("entry_delay", "last_user"):
        if k in p:
            bad.append("partition key present: " + k)
if [z["n"] for z in st["zones"]] != list(range(1, 9)):
    bad.append("zones: %r" % [z["n"] for z in st["zones"]])
for z in st["zones"]:
    for k in ("bypassed", "tamper"):
        if k in z:
            bad.append("zone %d key present: %s" % (z["n"], k))
if not st.get("connected"):
    bad.append("not connected")
print("\n".join(bad) if bad else "partition 1, zones 1-8, no absent keys")
sys.exit(1 if bad else 0)
EOF
}
kb_case "web: the Classic's state document" check_web
kill -TERM "$WPID"
kb_wait_gone "$WPID" 10

kb_need_broker
ID=kt-cls-$$
B=keybus/$ID
REC=$tmp/cls.jsonl
kb_record cls "$B/#" "homeassistant/#" || { ko "recorder connects"; kt_done $T; }
# an earlier PowerSeries setup of the same device left retained configs
# behind: the Classic announce must clear them
kb_pub "homeassistant/binary_sensor/$ID/ac_power/config" '{"name":"old"}' --retain
kb_pub "homeassistant/sensor/$ID/p1_user/config" '{"name":"old"}' --retain
kb_keybusd cls --config /dev/null --panel classic --backend sim --mqtt "mqtt://127.0.0.1:$BROKER_PORT" \
  --device-id "$ID" --speed 4 --http off --log-level info
KB_LOG=cls
kb_expect "keybusd online" 0 "$B/status" 10 --re online
kb_expect "panel connected" 0 "$B/connected" 15 --re online
kb_expect "health published (the announce is complete)" 0 "$B/health" 15 --re '\{.*\}'
kb_expect "zone 1 closed at first" 0 "$B/zone/1" 10 --re OFF
kb_expect "partition 1 disarmed" 0 "$B/partition/1/state" 10 --re disarmed
kb_expect "ac_power config cleared (empty)" 0 "homeassistant/binary_sensor/$ID/ac_power/config" 10 --re ''
kb_expect "p1_user config cleared (empty)" 0 "homeassistant/sensor/$ID/p1_user/config" 10 --re ''
# a client that subscribes now (Home Assistant restarting) gets the retained
# configs: the Classic's, and none of the absent ones (the empty retained
# message deleted the planted ones)
LATE=$tmp/late.jsonl
kb_record late "homeassistant/+/$ID/+/config" || ko "late recorder connects"
sleep 1
check late_gets_zone_1 grep -q "\"homeassistant/binary_sensor/$ID/zone_1/config\"" "$LATE"
check late_no_ac_power bash -c '! grep -q "/ac_power/config" "$0"' "$LATE"
check late_no_p1_user bash -c '! grep -q "/p1_user/config" "$0"' "$LATE"

# the exact announce: which configs are non-empty, which empty; no state of
# an absent entity was ever published
check_announce() {
  $PY - "$REC" "$ID" <<'EOF'
import json, re, sys
path, dev = sys.argv[1], sys.argv[2]
full, empty, topics = set(), set(), set()
for ln in open(path, encoding="utf-8"):
    m = json.loads(ln)
    if "topic" not in m:
        continue
    t = m["topic"]
    topics.add(t)
    g = re.fullmatch(r"homeassistant/[a-z_]+/%s/([A-Za-z0-9_]+)/config" % re.escape(dev), t)
    if g:
        # the last word per entity counts (the two retained ones we planted first)
        (full if m["payload"] else empty).add(g.group(1))
        (empty if m["payload"] else full).discard(g.group(1))
bad = []
want_full = {"connected", "trouble", "p1", "p1_ready", "p1_fire", "p1_status", "zone_alarms"}
want_full |= {"zone_%d" % z for z in range(1, 9)} | {"zone_%d_alarm" % z for z in range(1, 7)}
# (partition 2 is not configured at all: --panel classic makes the demo
# house one partition, so its entities do not exist)
want_empty = {"ac_power", "battery", "p1_user", "panel_time", "p1_arming", "panel_log", "last_event",
              "zone_7_alarm", "zone_8_alarm"}
want_empty |= {"zone_%d_%s" % (z, k) for z in range(1, 9) for k in ("bypass", "tamper")}
for o in sorted(want_full - full):
    bad.append("not announced: " + o)
for o in sorted(want_empty - empty):
    bad.append("not cleared: " + o)
for o in sorted(full & want_empty):
    bad.append("announced although absent: " + o)
health = {o for o in full if o.startswith("health")}
if len(health) < 10:
    bad.append("health sensors: %d" % len(health))
others = full - want_full - health
if others:
    bad.append("unexpected entities: " + " ".join(sorted(others)))
b = "keybus/%s/" % dev
for t in ("ac_power", "battery", "time", "partition/2/state", "partition/1/user", "zone/1/bypass", "zone/1/tamper",
          "zone/7/alarm", "zone/9"):
    if b + t in topics:
        bad.append("state published for an absent entity: " + t)
print("\n".join(bad) if bad else "%d announced, %d cleared" % (len(full), len(empty)))
sys.exit(1 if bad else 0)
EOF
}
kb_case "announce: the Classic's entities only, the absent ones cleared" check_announce

# a zone opened on the simulated panel is reported
m=$(kb_mark)
kb_pub "$B/sim" '{"zone":1,"open":true}'
kb_expect "zone 1 opens -> zone/1 ON" "$m" "$B/zone/1" 10 --re ON
kb_expect "partition 1 not ready" "$m" "$B/partition/1/ready" 10 --re OFF
m=$(kb_mark)
kb_pub "$B/sim" '{"zone":1,"open":false}'
kb_expect "zone 1 closes -> zone/1 OFF" "$m" "$B/zone/1" 10 --re OFF
kb_expect "partition 1 ready again" "$m" "$B/partition/1/ready" 10 --re ON
# what the simulated Classic panel has not got is refused
m=$(kb_mark)
kb_pub "$B/sim" '{"id":"t1","ac_ok":false}'
kb_expect "sim: AC poke refused on Classic" "$m" "$B/result" 10 --json '{"id":"t1","result":"invalid_request","detail":"not_on_classic"}'

# arm away with a code over the command topic (the Classic virtual keypad)
m=$(kb_mark)
kb_pub "$B/command" '{"id":"a1","partition":1,"action":"arm_away","code":"1234"}'
kb_expect "arm away: queued" "$m" "$B/result" 10 --json '{"id":"a1","result":"queued"}'
kb_expect "arm away: exit delay (arming)" "$m" "$B/partition/1/state" 20 --re arming
kb_expect "arm away: armed_away" "$m" "$B/partition/1/state" 30 --re armed_away
kb_expect "arm away: done" "$m" "$B/result" 30 --json '{"id":"a1","result":"done"}'
m=$(kb_mark)
kb_pub "$B/command" '{"id":"d1","partition":1,"action":"disarm","code":"1234"}'
kb_expect "disarm: disarmed" "$m" "$B/partition/1/state" 20 --re disarmed
kb_expect "disarm: done" "$m" "$B/result" 30 --json '{"id":"d1","result":"done"}'
check classic_code_not_logged bash -c '! grep -q 1234 "$0"' "$tmp/cls.log"

check classic_still_running kill -0 "$KB_PID"
kill -TERM "$KB_PID"
kb_wait_gone "$KB_PID" 10
check classic_stops_0 test "${KB_RC:-1}" -eq 0

# ------------------------------------------------------------ replay
# KeybusReader's Classic text (tests/data/classic/arm_alarm.txt: ready, zone
# 2, exit delay, armed away, alarm zone 1, disarm) and the same as a Classic
# VCD (clock, data, pc16; written by keybus-reader --panel classic --vcd-out)
replay_case() { # NAME FILE
  local name=$1 file=$2 m
  ID=kt-clsr-$name-$$
  B=keybus/$ID
  REC=$tmp/r$name.jsonl
  kb_record "r$name" "$B/#" "homeassistant/+/$ID/#" || { ko "recorder connects ($name)"; return; }
  m=0
  kb_keybusd "r$name" --config /dev/null --panel classic --replay "$file" --speed 20 \
    --mqtt "mqtt://127.0.0.1:$BROKER_PORT" --device-id "$ID" --http off --log-level info
  KB_LOG=r$name
  kb_expect "replay $name: zone 2 ON" "$m" "$B/zone/2" 20 --re ON
  kb_expect "replay $name: arming (exit delay)" "$m" "$B/partition/1/state" 20 --re arming
  kb_expect "replay $name: armed_away" "$m" "$B/partition/1/state" 20 --re armed_away
  kb_expect "replay $name: triggered" "$m" "$B/partition/1/state" 20 --re triggered
  kb_expect "replay $name: zone 1 alarm ON" "$m" "$B/zone/1/alarm" 20 --re ON
  kb_expect "replay $name: disarmed" "$m" "$B/partition/1/state" 20 --re disarmed
  kb_expect "replay $name: no AC power config (empty)" "$m" "homeassistant/binary_sensor/$ID/ac_power/config" 10 --re ''
  kill -TERM "$KB_PID"
  kb_wait_gone "$KB_PID" 10
  check "replay_${name}_stops_0" test "${KB_RC:-1}" -eq 0
}
replay_case text tests/data/classic/arm_alarm.txt
RD=${KEYBUS_READER:-$(dirname "$K")/keybus-reader}
if [ -x "$RD" ]; then
  "$RD" --panel classic --vcd-out "$tmp/arm_alarm.vcd" tests/data/classic/arm_alarm.txt >/dev/null
  check classic_vcd_written grep -q 'pc16' "$tmp/arm_alarm.vcd"
  replay_case vcd "$tmp/arm_alarm.vcd"
else
  ko "keybus-reader binary present ($RD) for the Classic VCD replay"
fi

kt_done $T
