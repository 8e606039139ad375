#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# keybusd's two newer jobs end to end, against a private mosquitto broker:
#   - the virtual zone expander (docs/expander.md): [expander] in the config
#     file, a zone opened over MQTT (<prefix>/<id>/vzone/set) is reported open
#     BY THE SIMULATED PANEL (zone/<n> ON comes from the panel's own zone
#     status, read back from the bus), closes again, and a zone that is not
#     virtual is refused and logged;
#   - --role keypad (docs/keypad-interface.md): keybusd drives the simulated
#     DSC keypad; its keys (the demo types 1234#) arrive as key events, and a
#     light set over MQTT is published back as the keypad's light state.
# Needs build/bin/keybusd (KEYBUSD overrides) and mosquitto (skipped without).
set -u
. "$(dirname "$0")/lib.sh"
. tests/broker/broker.sh
T=keybusd_roles
KT_DETAIL_LINES=30
kb_init $T
kb_need_keybusd
kb_need_broker

# ------------------------------------------------------------ virtual zones
ID=kt-xpd-$$
B=keybus/$ID
REC=$tmp/xpd.jsonl
kb_record xpd "$B/#" "homeassistant/#" || { ko "recorder connects"; kt_done $T; }
cat >"$tmp/xpd.conf" <<EOF
[expander]
expanders = 1
zones = 9, 10

[zone 1]
name = Front door
[zone 9]
name = Smart sensor
EOF
"$K" --config "$tmp/xpd.conf" --check-config >"$tmp/check.out" 2>&1
check xpd_config_valid test $? -eq 0
kb_keybusd xpd --config "$tmp/xpd.conf" --backend sim --mqtt "mqtt://127.0.0.1:$BROKER_PORT" \
  --device-id "$ID" --speed 4 --http off --log-level info
KB_LOG=xpd
kb_expect "xpd: keybusd online" 0 "$B/status" 10 --re online
kb_expect "xpd: panel connected" 0 "$B/connected" 15 --re online
kb_expect "xpd: a Home Assistant switch per virtual zone" 0 "homeassistant/switch/$ID/vzone9/config" 10 --re ".*\"command_topic\".*"
kb_expect "xpd: zone 9 closed at first" 0 "$B/zone/9" 10 --re OFF
m=$(kb_mark)
kb_pub "$B/vzone/set" "9 open"
kb_expect "xpd: vzone 9 open -> the panel reports zone 9 open" "$m" "$B/zone/9" 20 --re ON
kb_expect "xpd: the panel's partition 1 is not ready" "$m" "$B/partition/1/ready" 20 --re OFF
m=$(kb_mark)
kb_pub "$B/vzone/set" "9 closed"
kb_expect "xpd: vzone 9 closed -> the panel reports zone 9 closed" "$m" "$B/zone/9" 20 --re OFF
# a zone that is not virtual, and garbage: refused, logged, keybusd lives on
kb_pub "$B/vzone/set" "1 open"
kb_pub "$B/vzone/set" $'\x01\xff zz'
sleep 1
check xpd_refusals_logged test "$(kb_count 'virtual zone refused' "$tmp/xpd.log")" -ge 2
check xpd_still_running kill -0 "$KB_PID"
kill -TERM "$KB_PID"
kb_wait_gone "$KB_PID" 10
check xpd_stops_0 test "${KB_RC:-1}" -eq 0

# ------------------------------------------------------------ keypad role
ID=kt-kpd-$$
B=keybus/$ID
REC=$tmp/kpd.jsonl
kb_record kpd "$B/#" || { ko "recorder connects (keypad)"; kt_done $T; }
kb_keybusd kpd --config /dev/null --role keypad --demo --mqtt "mqtt://127.0.0.1:$BROKER_PORT" \
  --device-id "$ID" --http off --log-level info
KB_LOG=kpd
kb_expect "keypad: keybusd online" 0 "$B/status" 10 --re online
for k in 1 2 3 4 '#'; do
  kb_expect "keypad: the simulated keypad's key $k arrives" 0 "$B/keypad/event" 20 --re "\\{\"event_type\": *\"$k\"\\}"
done
m=$(kb_mark)
kb_pub "$B/keypad/set" "light/armed blink"
kb_expect "keypad: light armed set to blink" "$m" "$B/keypad/light/armed" 10 --re blink
kb_pub "$B/keypad/set" "light/nonsense on"
sleep 1
check keypad_still_running kill -0 "$KB_PID"
check keypad_keys_not_logged bash -c '! grep -Eq "key.*(1234|\"1\")" "$0"' "$tmp/kpd.log"
kill -TERM "$KB_PID"
kb_wait_gone "$KB_PID" 10
check keypad_stops_0 test "${KB_RC:-1}" -eq 0

kt_done $T
