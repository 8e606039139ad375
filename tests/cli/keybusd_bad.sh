#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# keybusd's command topic under 1,000 bad commands (tests/broker/badgen.py,
# seeded, each provably bad by the contract of docs/home-assistant.md:
# garbage bytes, wrong types, unknown actions, codes of 1-3/5/7/8 digits or
# with letters, huge strings, deep nesting, JSON that is not an object,
# NULs, truncations, broken structure, out-of-range fields) on a real
# mosquitto broker: each gets exactly one result, invalid_request with a
# detail word, none is queued or done, no key reaches the bus (the --trace
# has no cmd or key line), no state moves, and the daemon is alive and still
# carries out a valid command afterwards (which does write cmd and key lines:
# the trace check can fail). KEYBUSD=build/asan/bin/keybusd runs it under the
# sanitizers.
set -u
. "$(dirname "$0")/lib.sh"
. tests/broker/broker.sh
T=keybusd_bad
KT_DETAIL_LINES=40
kb_init $T
kb_need_keybusd
SEED=${KT_BAD_SEED:-1}
COUNT=${KT_BAD_COUNT:-1000}

# The generator is deterministic: twice the same set.
d1=$($PY tests/broker/badgen.py --seed "$SEED" --count "$COUNT" --digest)
d2=$($PY tests/broker/badgen.py --seed "$SEED" --count "$COUNT" --digest)
if [ -n "$d1" ] && [ "$d1" = "$d2" ]; then ok "bad-command set is deterministic (seed $SEED: ${d1:0:12})"; else ko "bad-command set is deterministic ($d1 / $d2)"; fi

kb_need_broker
ID=kt-bad-$$
B=keybus/$ID
REC=$tmp/all.jsonl
kb_record all "$B/#" || { ko "recorder connects"; kt_done $T; }
kb_keybusd keybusd --config /dev/null --backend sim --mqtt "mqtt://127.0.0.1:$BROKER_PORT" \
  --device-id "$ID" --speed 4 --http off --trace "$tmp/trace"
KB=$KB_PID
kb_expect "keybusd online" 0 "$B/status" 10 --re online
kb_expect "Keybus connected" 0 "$B/connected" 10 --re online
kb_expect "announce done (health)" 0 "$B/health" 10 --re '\{.*\}'
sleep 0.5

m=$(kb_mark)
states0=$(grep -cE "\"$B/(partition|zone)/" "$REC")
out=$($KBMQTT flood --port "$BROKER_PORT" --topic "$B/command" --result-topic "$B/result" \
  --seed "$SEED" --count "$COUNT" --window 8 --timeout 5 --out "$tmp/results.jsonl" 2>&1)
if [ "$out" = "sent $COUNT results $COUNT" ]; then
  ok "$COUNT bad commands: $COUNT results, one each"
else
  ko "$COUNT bad commands: $COUNT results, one each (got: $out)" "$(kb_log_tail)"
fi
words=$($KBCHECK results "$tmp/results.jsonl" "$B/result")
echo "$words" | sed 's/^/     /'
others=$(printf '%s\n' "$words" | grep -vE '^[0-9]+ invalid_request/(size|json|field|type|partition|action|code|keys|zones|output|time|id)$')
if [ -z "$others" ] && [ -n "$words" ]; then
  ok "every result is invalid_request with a detail word"
else
  ko "every result is invalid_request with a detail word" "$others"
fi
bad=$(printf '%s\n' "$words" | grep -E '^[0-9]+ (queued|done|pending)/')
if [ -z "$bad" ]; then ok "no bad command queued or done"; else ko "no bad command queued or done" "$bad"; fi
tr=$(kb_count '^(cmd|key) ' "$tmp/trace")
if [ -f "$tmp/trace" ] && [ "$tr" -eq 0 ]; then ok "no command accepted, no key on the wire (trace)"; else ko "no command accepted, no key on the wire (trace: $tr lines)" "$(grep -E '^(cmd|key) ' "$tmp/trace" | head -n 5)"; fi
states1=$(grep -cE "\"$B/(partition|zone)/" "$REC")
if [ "$states0" -eq "$states1" ]; then ok "no partition or zone state moved"; else ko "no partition or zone state moved ($states0 -> $states1 state messages)" "$(grep -E "\"$B/(partition|zone)/" "$REC" | tail -n 5)"; fi

# Alive, and still doing its job.
if kill -0 "$KB" 2>/dev/null; then ok "keybusd alive after the flood"; else ko "keybusd alive after the flood" "$(kb_log_tail)"; fi
m=$(kb_mark)
kb_pub "$B/command" '{"partition":1,"action":"arm_away","code":"1234","id":"good1"}'
kb_expect "valid command afterwards: queued" "$m" "$B/result" 5 --json '{"id":"good1","result":"queued"}'
kb_expect "valid command afterwards: done" "$m" "$B/result" 15 --json '{"id":"good1","result":"done"}'
kb_expect "valid command afterwards: partition 1 arming" "$m" "$B/partition/1/state" 10 --re arming
if grep -qE '^cmd ' "$tmp/trace" && grep -qE '^key ' "$tmp/trace"; then
  ok "the valid command shows in the trace (cmd and key lines)"
else
  ko "the valid command shows in the trace (cmd and key lines)" "$(tail -n 5 "$tmp/trace")"
fi
kb_case "codes in no published payload and no log line" \
  $KBCHECK secrets "$REC" "$tmp/keybusd.log" --code 1234 --code 5555 --skip-topic "$B/command"
n=$(wc -l <"$tmp/keybusd.log")
if [ "$n" -le 30 ]; then ok "log: $n lines after $COUNT bad commands (rate-limited)"; else ko "log: at most 30 lines after $COUNT bad commands (got $n)" "$(sort "$tmp/keybusd.log" | uniq -c | sort -rn | head)"; fi

kill -TERM "$KB"
if kb_wait_gone "$KB" 10 && [ "$KB_RC" -eq 0 ]; then ok "SIGTERM: exit 0"; else ko "SIGTERM: exit 0 (${KB_RC:-still running})" "$(kb_log_tail)"; fi
kt_done $T
