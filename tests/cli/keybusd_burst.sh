#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A burst of commands faster than keybusd takes them: every one gets exactly
# one answer (its own result, or busy/queue_full when the inbound queue was
# full), with its id; nothing is written to the bus; the daemon lives on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../broker/broker.sh"
kb_init keybusd_burst
kb_need_keybusd
kb_need_broker
"$K" --config /dev/null --mqtt "mqtt://127.0.0.1:$BROKER_PORT" --device-id burst --trace "$tmp/trace" \
  >"$tmp/kd.log" 2>&1 &
kpid=$!
kb_track "$kpid"
for i in $(seq 50); do grep -q "mqtt: connected" "$tmp/kd.log" && break; sleep 0.1; done
timeout 20 mosquitto_sub -p "$BROKER_PORT" -t keybus/burst/result -C 400 >"$tmp/res.txt" 2>/dev/null &
spid=$!
sleep 0.5
for i in $(seq 400); do echo "{\"partition\":1,\"action\":\"nope\",\"id\":$i}"; done |
  mosquitto_pub -p "$BROKER_PORT" -t keybus/burst/command -l
wait "$spid"
n=$(wc -l <"$tmp/res.txt")
check_status every_command_answered $((n != 400)) "$n results; keybusd log: $(grep -v "mqtt: inbound queue full" "$tmp/kd.log" | tail -n 5)"
ids=$(grep -oE '"id":[0-9]+' "$tmp/res.txt" | sort -u | wc -l)
check every_id_once test "$ids" -eq 400
bad=$(grep -vcE '^\{"id":[0-9]+,"result":"(invalid_request","detail":"action|busy","detail":"queue_full)"\}$' "$tmp/res.txt")
check only_refusals test "$bad" -eq 0
busy=$(grep -c queue_full "$tmp/res.txt")
echo "info: $busy of 400 answered busy (the inbound queue holds 128)"
check no_key_written bash -c '! grep -qE "^(cmd|key) " "$0"' "$tmp/trace"
check daemon_alive kill -0 "$kpid"
kill -TERM "$kpid"; kb_wait_gone "$kpid" 5
check exit_0 test "$KB_RC" -eq 0
kt_done keybusd_burst
