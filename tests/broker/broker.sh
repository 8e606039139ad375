# SPDX-License-Identifier: MIT
# broker.sh - a private mosquitto broker and a keybusd for the script tests
# and the bench (sourced, not a test: it lives outside tests/cli, so
# tests/run.sh does not run it). Source it after tests/cli/lib.sh (the
# bench, which has no lib.sh, sources it alone):
#   . "$(dirname "$0")/../broker/broker.sh"
#   kb_init NAME    # tmp dir, cleanup trap; skips the script without mosquitto
#   kb_broker_start # BROKER_PORT, BROKER_PID
#
# The broker listens on 127.0.0.1 only, on a port the kernel said was free
# (never 1883: a developer's own broker may be there), anonymous, without
# persistence, logging to its stderr, kept in $tmp/broker.log (started as
# root, mosquitto drops to its own user, which could not open a file in
# $tmp). Everything started here (broker, recorder, keybusd) is stopped by
# its own pid when the script exits, however it exits.

PY=${PYTHON:-/usr/bin/python3}
KB_BROKER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KBMQTT="$PY $KB_BROKER_DIR/kbmqtt.py"
MOSQUITTO=${MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}
KB_PIDS=()
BROKER_PID=
BROKER_PORT=

# kb_cleanup: the EXIT trap: stops every process started here, removes $tmp
kb_cleanup() {
  local p
  for p in "${KB_PIDS[@]}" $BROKER_PID; do
    kill -CONT "$p" 2>/dev/null # a SIGSTOPped keybusd would never see the TERM
    kill -TERM "$p" 2>/dev/null
  done
  for p in "${KB_PIDS[@]}" $BROKER_PID; do
    kb_wait_gone "$p" 3 || kill -KILL "$p" 2>/dev/null
  done
  # KT_KEEP=DIR keeps the recordings and logs there, to look into a failure
  if [ -n "${KT_KEEP:-}" ] && [ -n "${tmp:-}" ]; then
    mkdir -p "$KT_KEEP" && cp -r "$tmp"/. "$KT_KEEP"/
  fi
  [ -n "${tmp:-}" ] && rm -rf "$tmp"
}

# kb_init NAME: sets tmp (fresh directory) and the cleanup trap; without
# mosquitto or python3, ends the script with kt_skip (tests) or an error
# (no kt_skip defined: the bench)
kb_init() {
  if [ ! -x "$MOSQUITTO" ] || [ ! -x "$PY" ]; then
    if declare -F kt_skip >/dev/null; then
      kt_skip "$1" "mosquitto or python3 not installed (scripts/deps.sh installs mosquitto)"
    fi
    echo "$1: mosquitto ($MOSQUITTO) or python3 ($PY) not installed" >&2
    exit 1
  fi
  KB_NAME=$1
  tmp=$(mktemp -d)
  trap kb_cleanup EXIT
  trap 'exit 130' INT TERM
}

# kb_track PID: stop PID at exit too
kb_track() { KB_PIDS+=("$1"); }

# kb_wait_gone PID SECONDS: true once PID has exited; KB_RC is then its exit
# status (when it was our child)
kb_wait_gone() {
  local i n=$(($2 * 20))
  for ((i = 0; i < n; i++)); do
    kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; KB_RC=$?; return 0; }
    sleep 0.05
  done
  return 1
}

# kb_free_port: a TCP port on 127.0.0.1 that nothing listens on now
kb_free_port() {
  $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# kb_port_open PORT SECONDS: true once something accepts on 127.0.0.1:PORT
kb_port_open() {
  $PY - "$1" "$2" <<'EOF'
import socket, sys, time
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

# kb_broker_start [PORT]: starts mosquitto on PORT (default: a free one, up
# to 5 tries when another process takes it first) and waits until it
# accepts; sets BROKER_PORT and BROKER_PID; returns 1 when it cannot
kb_broker_start() {
  local want=${1:-} port try
  for try in 1 2 3 4 5; do
    port=${want:-$(kb_free_port)}
    cat >"$tmp/mosquitto.conf" <<EOF
listener $port 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
connection_messages true
EOF
    "$MOSQUITTO" -c "$tmp/mosquitto.conf" >>"$tmp/broker.log" 2>&1 &
    BROKER_PID=$!
    # Accepting, and still ours: a mosquitto that lost the port to another
    # process exits, and that process is not our broker.
    if kb_port_open "$port" 5 && sleep 0.1 && kill -0 "$BROKER_PID" 2>/dev/null; then
      BROKER_PORT=$port
      return 0
    fi
    kill -TERM "$BROKER_PID" 2>/dev/null
    kb_wait_gone "$BROKER_PID" 2 || kill -KILL "$BROKER_PID" 2>/dev/null
    BROKER_PID=
    # The same port again (a restart) may need a moment after the old
    # listener closed.
    [ -n "$want" ] && sleep 0.5
  done
  echo "broker.sh: mosquitto did not start (port ${want:-free})" >&2
  tail -n 5 "$tmp/broker.log" >&2 2>/dev/null
  return 1
}

# kb_broker_stop [SIGNAL]: stops the broker (default TERM; KILL for a crash)
kb_broker_stop() {
  [ -n "$BROKER_PID" ] || return 0
  kill -"${1:-TERM}" "$BROKER_PID" 2>/dev/null
  kb_wait_gone "$BROKER_PID" 5 || { kill -KILL "$BROKER_PID" 2>/dev/null; kb_wait_gone "$BROKER_PID" 2; }
  BROKER_PID=
}

# kb_broker_restart [SIGNAL]: stops it and starts it again on the same port
kb_broker_restart() {
  local port=$BROKER_PORT
  kb_broker_stop "${1:-TERM}"
  kb_broker_start "$port"
}

# kb_record NAME [TOPIC...]: a recorder (kbmqtt.py record) of TOPICs
# (default '#') into $tmp/NAME.jsonl, connected before it returns; sets
# REC_PID. It reconnects by itself when the broker comes back.
kb_record() {
  local name=$1 args=() t i
  shift
  for t in "$@"; do args+=(--topic "$t"); done
  : >"$tmp/$name.jsonl"
  $KBMQTT record --port "$BROKER_PORT" --out "$tmp/$name.jsonl" "${args[@]}" &
  REC_PID=$!
  kb_track "$REC_PID"
  for ((i = 0; i < 100; i++)); do
    grep -q '"event": "connected"' "$tmp/$name.jsonl" && return 0
    sleep 0.05
  done
  echo "broker.sh: recorder $name did not connect" >&2
  return 1
}

# kb_pub TOPIC PAYLOAD [--retain]: one message (prints nothing)
kb_pub() { $KBMQTT pub --port "$BROKER_PORT" --topic "$1" --payload "$2" "${@:3}" >/dev/null; }

# kb_keybusd NAME ARGS...: starts keybusd (KEYBUSD, default
# build/bin/keybusd) with ARGS, stdout+stderr in $tmp/NAME.log; sets KB_PID
kb_keybusd() {
  local name=$1
  shift
  "${KEYBUSD:-build/bin/keybusd}" "$@" >"$tmp/$name.log" 2>&1 &
  KB_PID=$!
  kb_track "$KB_PID"
}

# --- judging what was recorded (tests only: they use ok/ko of lib.sh) ------
KBCHECK="$PY $KB_BROKER_DIR/kbcheck.py"
REC= # the main recording, set by the script: $tmp/NAME.jsonl

# kb_mark: the current length of $REC (later checks look past it)
kb_mark() { $KBCHECK mark "$REC"; }

# kb_log_tail: the last lines of keybusd's log, as evidence
kb_log_tail() { echo "keybusd log (last lines):"; tail -n 8 "$tmp/${KB_LOG:-keybusd}.log" 2>/dev/null; }

# kb_expect CASE MARK TOPIC TIMEOUT (--re REGEX | --json SUBSET) [--retain 0|1]:
# one case: a message on TOPIC after MARK within TIMEOUT s; sets LINE to its
# line in $REC (empty when it did not come)
kb_expect() {
  local name=$1 out
  shift
  if out=$($KBCHECK wait "$REC" "$@"); then
    LINE=$out
    ok "$name"
    return 0
  fi
  LINE=
  ko "$name" "$out
$(kb_log_tail)"
  return 1
}

# kb_case CASE COMMAND...: one case from a kbcheck command (its output is the
# evidence when it fails, and printed under the case when it passes)
kb_case() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    ok "$name"
    [ -n "$out" ] && printf '%s\n' "$out" | head -n 3 | sed 's/^/     /'
    return 0
  fi
  ko "$name" "$out"
  return 1
}

# kb_count PATTERN FILE: lines of FILE matching PATTERN (grep -E), 0 if none
# (grep -c prints 0 and exits 1 when nothing matches: the count is the answer)
kb_count() {
  local n
  n=$(grep -cE "$1" "$2" 2>/dev/null)
  echo "${n:-0}"
}

# kb_need_keybusd: K = the keybusd under test ($KEYBUSD, default
# build/bin/keybusd); ends the script with one failed case when it is missing
kb_need_keybusd() {
  K=${KEYBUSD:-build/bin/keybusd}
  if [ ! -x "$K" ]; then
    ko "keybusd binary present ($K; run make V=rel apps)"
    kt_done "$KB_NAME"
  fi
}

# kb_need_broker: kb_broker_start, or the script ends with one failed case
kb_need_broker() {
  kb_broker_start || { ko "private mosquitto broker starts" "$(tail -n 5 "$tmp/broker.log")"; kt_done "$KB_NAME"; }
}
