#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# keybusd over TLS (mqtts://) with a username and password, against a real
# mosquitto with a certificate made here by openssl: it connects and publishes
# when the CA and the password are right; a wrong password is refused by the
# broker and said once; a CA that did not sign the broker's certificate is
# never trusted. The password never shows in the log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../broker/broker.sh"
kb_init keybusd_tls
command -v openssl >/dev/null || kt_skip keybusd_tls "openssl is not installed"
kb_need_keybusd

# a CA, a server certificate for 127.0.0.1 signed by it, and another CA
cd "$tmp" || exit 1
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=keybus-test-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >ext.cnf
openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 2 -extfile ext.cnf 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt -days 2 -subj /CN=other-ca 2>/dev/null
touch passwd && mosquitto_passwd -b passwd kbuser 'pa55-w0rd!' 2>/dev/null
cd - >/dev/null || exit 1
check certificates_made test -s "$tmp/srv.crt" -a -s "$tmp/passwd"

port=$(kb_free_port)
cat >"$tmp/tls.conf" <<EOF
user root
listener $port 127.0.0.1
allow_anonymous false
password_file $tmp/passwd
cafile $tmp/ca.crt
certfile $tmp/srv.crt
keyfile $tmp/srv.key
persistence false
log_dest stderr
EOF
mosquitto -c "$tmp/tls.conf" >"$tmp/broker.log" 2>&1 &
bpid=$!
kb_track "$bpid"
if ! kb_port_open "$port" 5; then
  ko broker_started "$(tail -n 5 "$tmp/broker.log")"
  kt_done keybusd_tls
fi

# run NAME SECONDS CA PASSWORD: keybusd over TLS for a while, then SIGTERM
run() {
  printf '[mqtt]\nurl = mqtts://kbuser@127.0.0.1:%s\ntls_ca = %s\n' "$port" "$3" >"$tmp/$1.conf"
  KEYBUS_MQTT_PASSWORD=$4 "$K" --config "$tmp/$1.conf" --device-id "$1" >"$tmp/$1.log" 2>&1 &
  local pid=$!
  kb_track "$pid"
  sleep "$2"
  kill -TERM "$pid"
  kb_wait_gone "$pid" 5
  rc=$KB_RC
}

rm -f "$tmp/sub.txt"
timeout 8 mosquitto_sub -h 127.0.0.1 -p "$port" --cafile "$tmp/ca.crt" -u kbuser -P 'pa55-w0rd!' \
  -t 'keybus/good/status' -v >"$tmp/sub.txt" 2>"$tmp/sub.err" &
spid=$!
sleep 0.5
run good 3 "$tmp/ca.crt" 'pa55-w0rd!'
wait "$spid" 2>/dev/null
check good_exit_0 test "$rc" -eq 0
check good_connected grep -q "mqtt: connected" "$tmp/good.log"
check good_published_online grep -q "^keybus/good/status online" "$tmp/sub.txt"
check good_said_offline grep -q "^keybus/good/status offline" "$tmp/sub.txt"
check good_password_not_logged bash -c '! grep -q "pa55" "$0"' "$tmp/good.log"

run badpw 4 "$tmp/ca.crt" 'wrong-password'
check badpw_exit_0 test "$rc" -eq 0
check badpw_never_connected bash -c '! grep -q "mqtt: connected" "$0"' "$tmp/badpw.log"
n=$(grep -c "refused the connection" "$tmp/badpw.log")
check badpw_refusal_said_once test "$n" -eq 1
check badpw_password_not_logged bash -c '! grep -q "wrong-password" "$0"' "$tmp/badpw.log"

run badca 3 "$tmp/other.crt" 'pa55-w0rd!'
check badca_exit_0 test "$rc" -eq 0
check badca_never_connected bash -c '! grep -q "mqtt: connected" "$0"' "$tmp/badca.log"
n=$(grep -c "cannot connect" "$tmp/badca.log")
check badca_said_once test "$n" -eq 1

# a CA file that does not exist: a configuration error before anything runs
printf '[mqtt]\nurl = mqtts://kbuser@127.0.0.1:%s\ntls_ca = %s\n' "$port" "$tmp/nope.crt" >"$tmp/nofile.conf"
"$K" --config "$tmp/nofile.conf" --check-config >"$tmp/nofile.out" 2>&1; rc=$?
check missing_ca_file_exit_2 test "$rc" -eq 2
kt_done keybusd_tls
