#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Two panels on one broker (issue 8: "several panels on one broker: topic
# prefix and device id are configurable"): keybusd A with the default prefix,
# keybusd B with [keybus] topic_prefix = site2/alarm from its configuration
# file, both on the simulated demo house and a private mosquitto. Each one's
# documents are complete and under its own topics, no unique_id is shared, a
# command to A arms A only, and Home Assistant's birth message re-announces
# both.
# Needs build/bin/keybusd (KEYBUSD overrides) and mosquitto (skipped without).
set -u
. "$(dirname "$0")/lib.sh"
. tests/broker/broker.sh
T=keybusd_multi
KT_DETAIL_LINES=30
kb_init $T
kb_need_keybusd
kb_need_broker
A=kt-a-$$
Bd=kt-b-$$
PA=keybus/$A
PB=site2/alarm/$Bd
REC=$tmp/all.jsonl
kb_record all "keybus/#" "site2/#" "homeassistant/#" || { ko "recorder connects"; kt_done $T; }
printf '[keybus]\ntopic_prefix = site2/alarm\n' >"$tmp/b.conf"

KB_LOG=a
kb_keybusd a --config /dev/null --backend sim --mqtt "mqtt://127.0.0.1:$BROKER_PORT" --device-id "$A" --speed 4 --http off
KA=$KB_PID
kb_keybusd b --config "$tmp/b.conf" --backend sim --mqtt "mqtt://127.0.0.1:$BROKER_PORT" --device-id "$Bd" --speed 4 --http off
KB=$KB_PID
kb_expect "A: Keybus connected" 0 "$PA/connected" 10 --re online
KB_LOG=b
kb_expect "B: Keybus connected, under its own prefix" 0 "$PB/connected" 10 --re online
kb_case "A: announce complete" $KBCHECK announced "$REC" 0 "$A" 10 --status
kb_case "B: announce complete (prefix site2/alarm)" $KBCHECK announced "$REC" 0 "$Bd" 10 --status --prefix site2/alarm
kb_case "A: documents complete, topics under keybus/$A" $KBCHECK discovery "$REC" 0 "$A" --partitions 2 --zones 8
kb_case "B: documents complete, topics under site2/alarm/$Bd" $KBCHECK discovery "$REC" 0 "$Bd" --partitions 2 --zones 8 --prefix site2/alarm
kb_case "no unique_id shared between the two panels" $KBCHECK uids "$REC"
n=$(grep -cF "\"keybus/$Bd/" "$REC")
if [ "$n" -eq 0 ]; then ok "B publishes nothing under keybus/"; else ko "B publishes nothing under keybus/ ($n messages)"; fi

m=$(kb_mark)
KB_LOG=a
kb_pub "$PA/command" '{"partition":1,"action":"arm_away","code":"1234","id":"a1"}'
kb_expect "A: arm away done" "$m" "$PA/result" 15 --json '{"id":"a1","result":"done"}'
kb_expect "A: partition 1 arming" "$m" "$PA/partition/1/state" 10 --re arming
sleep 0.5
nb=$(sed -n "$((m + 1)),\$p" "$REC" | grep -cE "\"$PB/(result|partition/1/state)\"")
if [ "$nb" -eq 0 ]; then ok "B: no result and no state change for A's command"; else ko "B: no result and no state change for A's command ($nb messages)" "$(sed -n "$((m + 1)),\$p" "$REC" | grep -F "$PB/" | head -n 5)"; fi

m=$(kb_mark)
kb_pub homeassistant/status online
kb_case "birth message: A re-announces" $KBCHECK announced "$REC" "$m" "$A" 10
kb_case "birth message: B re-announces" $KBCHECK announced "$REC" "$m" "$Bd" 10 --prefix site2/alarm

for k in "$KA" "$KB"; do kill -TERM "$k"; done
for k in "$KA" "$KB"; do
  if kb_wait_gone "$k" 10 && [ "$KB_RC" -eq 0 ]; then ok "SIGTERM: exit 0 ($k)"; else ko "SIGTERM: exit 0 ($k: ${KB_RC:-still running})"; fi
done
kt_done $T
