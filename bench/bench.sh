#!/usr/bin/env bash
# bench.sh - instruction counts (valgrind/callgrind, gcc -O2, x86-64) of the
# engine's hot paths. `make bench` runs every section; `bash bench/bench.sh isr`
# runs the named sections only.
#
# Output: one line per figure, exactly `bench <name> <value> <unit>`, plus
# `info ...` lines (reference figures, per-path detail). A section that cannot
# produce its figures prints `bench: FAIL ...` and the script exits non-zero.
#
# Adding a section: write section_<name>() below (build into $OUT/<name>, print
# `bench` lines) and add <name> to SECTIONS.
set -u
cd "$(dirname "$0")/.."

CC=${CC:-gcc}
CFLAGS="-std=c11 -Wall -Wextra -Werror -pedantic -Wshadow -Wundef -O2 -Iinclude"
OUT=build/bench
MIX=bench/reference-mix.txt
SECTIONS=(isr decode keys soak keybusd web classic panel)
status=0

fail() {
  echo "bench: FAIL $*"
  status=1
}

# Total instruction count of a callgrind output file (the collected events).
cg_total() { sed -n 's/^summary: *//p' "$1" | head -n 1; }

# ---------------------------------------------------------------------------
# isr: kb_link_edge() and kb_link_sample() over the reference mix.
#   mean: callgrind --toggle-collect on each handler over the mix only
#         (callees included), divided by the number of clock edges.
#   worst: every distinct path through a handler is found natively with a
#         trace-pc build of kb_link.c (a hash of the basic blocks a call
#         visits), over the mix and the forced cases (ring full, byte complete,
#         16-byte cap, counter wrap, publishing boundary, runt). The first call
#         of each path is then measured alone under callgrind (a stats dump
#         before and after it). The per-path costs times their counts must add
#         up to the mean run's totals, which checks the path split.
# isr_port: the same stimulus through the template port's handlers
#   (ports/template: kbp_clock_isr, kbp_sample_isr, the link inlined from
#   kb_link_isr.h) with the stub platform of bench/port_stubs.c (own
#   translation unit, no LTO; pin read 4, pin write 4, timestamp 2, timer
#   start/stop 1 instructions, return included: checked in its object
#   first). Figures isr_port_*; the paths are found with a trace-pc build of
#   the template port.
section_isr() {
  local d=$OUT/isr
  mkdir -p "$d" && rm -f "$d"/cg.* "$d"/*.out*
  if ! $CC $CFLAGS -c src/core/kb_link.c -o "$d/kb_link.o" ||
    ! $CC $CFLAGS -fsanitize-coverage=trace-pc -c src/core/kb_link.c -o "$d/kb_link_sig.o" ||
    ! $CC $CFLAGS -D_POSIX_C_SOURCE=200809L bench/isr_bench.c bench/mix.c "$d/kb_link.o" -o "$d/isr_bench" ||
    ! $CC $CFLAGS -D_POSIX_C_SOURCE=200809L -DKB_BENCH_SIG bench/isr_bench.c bench/mix.c "$d/kb_link_sig.o" \
      -o "$d/isr_bench_sig"; then
    fail "isr: build"
    return
  fi
  # With the link's idle call in every gap (KB_BENCH_IDLE=1, kb_port.h 2b),
  # as a port with an idle one-shot runs: the frames are published there and
  # the boundary edge only starts the next message. kb_link_idle is a third
  # handler, measured apart (isr_idle_*, per call: one call per message).
  export KB_BENCH_IDLE=1
  isr_pass "" "" isr "$d/isr_bench" kb_link_edge kb_link_sample kb_link_idle || return
  # The same with a key written continuously (KB_BENCH_WRITE=1, see
  # bench/isr_bench.c): figures with the suffix _writing.
  isr_pass _writing 1 isr "$d/isr_bench" kb_link_edge kb_link_sample kb_link_idle || return
  # Without the idle call (a port that does not make it; the stimulus of
  # the figures before it): suffix _noidle.
  export KB_BENCH_IDLE=0
  isr_pass _noidle "" isr "$d/isr_bench" kb_link_edge kb_link_sample || return
  section_isr_port
}

# Instruction count of each function of an object (objdump, up to the ret,
# alignment padding excluded): lines "NAME COUNT".
fn_sizes() {
  objdump -d --no-show-raw-insn "$1" | awk '
    /^[0-9a-f]+ <.*>:$/ { fn = $2; gsub(/[<>:]/, "", fn); n[fn] = 0; done[fn] = 0; next }
    fn != "" && /^ +[0-9a-f]+:\t/ && !done[fn] { n[fn]++; if ($0 ~ /\tret/) done[fn] = 1 }
    END { for (f in n) print f, n[f] }'
}

section_isr_port() {
  local d=$OUT/isr_port pinc="-Iports/template"
  mkdir -p "$d"
  if ! $CC $CFLAGS $pinc -c bench/port_stubs.c -o "$d/port_stubs.o" ||
    ! $CC $CFLAGS $pinc -c ports/template/kb_port_template.c -o "$d/port.o" ||
    ! $CC $CFLAGS $pinc -fsanitize-coverage=trace-pc -c ports/template/kb_port_template.c -o "$d/port_sig.o" ||
    ! $CC $CFLAGS -c src/core/kb_link.c -o "$d/kb_link.o" ||
    ! $CC $CFLAGS $pinc -D_POSIX_C_SOURCE=200809L -DKB_BENCH_PORT bench/isr_bench.c bench/mix.c \
      "$d/port.o" "$d/port_stubs.o" "$d/kb_link.o" -o "$d/isr_bench" ||
    ! $CC $CFLAGS $pinc -D_POSIX_C_SOURCE=200809L -DKB_BENCH_PORT -DKB_BENCH_SIG bench/isr_bench.c bench/mix.c \
      "$d/port_sig.o" "$d/port_stubs.o" "$d/kb_link.o" -o "$d/isr_bench_sig"; then
    fail "isr_port: build"
    return
  fi
  # the stub model, checked in the object (instructions, return included)
  local sizes bad=0 f want got
  sizes=$(fn_sizes "$d/port_stubs.o")
  for f in kbp_plat_lines_read:4 kbp_plat_write_pin:4 kbp_plat_now_us:2 \
    kbp_plat_timer_start:1 kbp_plat_timer_stop:1 kbp_plat_idle_start:1 kbp_plat_idle_stop:1; do
    want=${f#*:}
    got=$(printf '%s\n' "$sizes" | awk -v n="${f%%:*}" '$1 == n {print $2}')
    echo "info isr_port stub ${f%%:*} $got instr (model $want)"
    [ "$got" = "$want" ] || bad=1
  done
  if [ $bad -ne 0 ]; then
    fail "isr_port: the stubs do not cost what the model says (see info lines)"
    return
  fi
  # the template as it is by default (no idle timer, KBP_IDLE_TIMER=0)
  export KB_BENCH_IDLE=0
  isr_pass "" "" isr_port "$d/isr_bench" kbp_clock_isr kbp_sample_isr || return
  isr_pass _writing 1 isr_port "$d/isr_bench" kbp_clock_isr kbp_sample_isr || return
  # built with its idle one-shot (KBP_IDLE_TIMER=1): the rising edges re-arm
  # it, kbp_idle_isr makes the idle call in every gap: suffix _idletimer
  if ! $CC $CFLAGS $pinc -DKBP_IDLE_TIMER=1 -c ports/template/kb_port_template.c -o "$d/port_it.o" ||
    ! $CC $CFLAGS $pinc -DKBP_IDLE_TIMER=1 -fsanitize-coverage=trace-pc -c ports/template/kb_port_template.c \
      -o "$d/port_it_sig.o" ||
    ! $CC $CFLAGS $pinc -DKBP_IDLE_TIMER=1 -D_POSIX_C_SOURCE=200809L -DKB_BENCH_PORT bench/isr_bench.c bench/mix.c \
      "$d/port_it.o" "$d/port_stubs.o" "$d/kb_link.o" -o "$d/isr_bench_it" ||
    ! $CC $CFLAGS $pinc -DKBP_IDLE_TIMER=1 -D_POSIX_C_SOURCE=200809L -DKB_BENCH_PORT -DKB_BENCH_SIG bench/isr_bench.c \
      bench/mix.c "$d/port_it_sig.o" "$d/port_stubs.o" "$d/kb_link.o" -o "$d/isr_bench_it_sig"; then
    fail "isr_port: build (KBP_IDLE_TIMER=1)"
    return
  fi
  export KB_BENCH_IDLE=1
  isr_pass _idletimer "" isr_port "$d/isr_bench_it" kbp_clock_isr kbp_sample_isr kbp_idle_isr
}

# One measurement pass. $1: suffix of the figure names, $2: value of
# KB_BENCH_WRITE, $3: prefix of the figure names (isr, isr_port), $4: the
# bench binary ($4_sig: its trace-pc build), $5/$6: the edge and sample
# handlers, $7 (optional): the idle handler (KB_BENCH_IDLE=1 runs). Files go
# to $OUT/$3/pass$1.
isr_pass() {
  local sfx=$1 pfx=$3 bin=$4 fe=$5 fs=$6 fi=${7:-}
  local d=$OUT/$pfx/pass$1
  mkdir -p "$d" && rm -f "$d"/cg.* "$d"/*.out*
  export KB_BENCH_WRITE=$2
  if ! "${bin}_sig" sig "$MIX" >"$d/sigs.txt"; then
    fail "$pfx$sfx: path discovery"
    return 1
  fi
  local edges samples
  edges=$(sed -n 's/^mix .* edges=\([0-9]*\).*/\1/p' "$d/sigs.txt")
  samples=$(sed -n 's/^mix .* samples=\([0-9]*\).*/\1/p' "$d/sigs.txt")

  local idles
  idles=$(sed -n 's/^mix .* idles=\([0-9]*\).*/\1/p' "$d/sigs.txt")

  local vg="valgrind --tool=callgrind --collect-atstart=no" itot=0 tog_i=""
  if ! $vg --toggle-collect="$fe" --callgrind-out-file="$d/edge.out" \
    "$bin" mix "$MIX" >/dev/null 2>"$d/vg-edge.log" ||
    ! $vg --toggle-collect="$fs" --callgrind-out-file="$d/sample.out" \
      "$bin" mix "$MIX" >/dev/null 2>"$d/vg-sample.log"; then
    fail "$pfx$sfx: callgrind (mean runs), see $d/vg-*.log"
    return 1
  fi
  if [ -n "$fi" ]; then
    if ! $vg --toggle-collect="$fi" --callgrind-out-file="$d/idle.out" \
      "$bin" mix "$MIX" >/dev/null 2>"$d/vg-idle.log"; then
      fail "$pfx$sfx: callgrind (idle mean run), see $d/vg-idle.log"
      return 1
    fi
    itot=$(cg_total "$d/idle.out")
    tog_i="--toggle-collect=$fi"
  fi
  local calls
  calls=$(awk '/^sig /{print $4}' "$d/sigs.txt" | tr '\n' ' ')
  # shellcheck disable=SC2086
  if ! $vg --toggle-collect="$fe" --toggle-collect="$fs" $tog_i \
    --callgrind-out-file="$d/cg.out" "$bin" measure "$MIX" $calls >/dev/null \
    2>"$d/vg-measure.log"; then
    fail "$pfx$sfx: callgrind (per-call run), see $d/vg-measure.log"
    return 1
  fi
  # per-call costs: "call N" dumps
  for f in "$d"/cg.out.*; do
    local label
    label=$(sed -n 's/^desc: Trigger: Client Request: call //p' "$f")
    [ -n "$label" ] && echo "$label $(cg_total "$f")"
  done >"$d/costs.txt"

  awk -v sfx="$sfx" -v pfx="$pfx" -v edges="$edges" -v samples="$samples" -v etot="$(cg_total "$d/edge.out")" \
    -v stot="$(cg_total "$d/sample.out")" -v itot="$itot" -v idles="${idles:-0}" -v fi="$fi" '
    FNR == NR { cost[$1] = $2; next }
    /^sig / {
      h = $2; first = $4; nmix = $5; nforced = $6
      if (!(first in cost)) { printf "bench: FAIL %s%s: no cost for call %s\n", pfx, sfx, first; bad = 1; next }
      c = cost[first]
      printf "info %s%s path %-6s %3d instr  mix %7d  forced %5d  (first call %d)\n", pfx, sfx, h, c, nmix, nforced, first
      sum[h] += c * nmix
      if (c > worst[h]) worst[h] = c
      if (h == "idle") { ipaths++; next } # a handler of its own: figures apart
      if (nmix && c > worstmix) worstmix = c
      if (nforced && c > worstforced) worstforced = c
      paths++
    }
    END {
      if (sum["edge"] != etot || sum["sample"] != stot || sum["idle"] + 0 != itot) {
        printf "bench: FAIL %s%s: per-path costs add up to %d/%d/%d, callgrind totals are %d/%d/%d\n", pfx, \
          sfx, sum["edge"], sum["sample"], sum["idle"], etot, stot, itot
        bad = 1
      }
      if (fi != "" && (idles == 0 || !ipaths)) {
        printf "bench: FAIL %s%s: the idle handler was not called\n", pfx, sfx
        bad = 1
      }
      printf "bench %s_clock_edges%s %d edges\n", pfx, sfx, edges
      printf "bench %s_edge_mean%s %.1f instr\n", pfx, sfx, etot / edges
      printf "bench %s_sample_mean%s %.1f instr\n", pfx, sfx, stot / samples
      printf "bench %s_instructions_per_edge_mean%s %.1f instr\n", pfx, sfx, (etot + stot) / edges
      printf "bench %s_edge_worst%s %d instr\n", pfx, sfx, worst["edge"]
      printf "bench %s_sample_worst%s %d instr\n", pfx, sfx, worst["sample"]
      printf "bench %s_worst_call_mix%s %d instr\n", pfx, sfx, worstmix
      printf "bench %s_worst_call_forced%s %d instr\n", pfx, sfx, worstforced
      printf "bench %s_worst_call%s %d instr\n", pfx, sfx, (worst["edge"] > worst["sample"] ? worst["edge"] : worst["sample"])
      printf "bench %s_paths%s %d paths\n", pfx, sfx, paths
      if (fi != "") {
        printf "bench %s_idle_calls%s %d calls\n", pfx, sfx, idles
        printf "bench %s_idle_mean%s %.1f instr\n", pfx, sfx, itot / idles
        printf "bench %s_idle_worst%s %d instr\n", pfx, sfx, worst["idle"]
        printf "bench %s_idle_paths%s %d paths\n", pfx, sfx, ipaths
      }
      if (sfx == "" && pfx == "isr") print "info reference 3.0 (taligentx/dscKeybusInterface, same mix): edge handler 34 mean / 449 worst, sample handler 43 mean / 74 worst, ~77 instr per clock edge"
      if (sfx == "" && pfx == "isr_port") print "info isr_port model: template port handlers (ports/template) + stub platform (bench/port_stubs.c), virtual keypad enabled; reference 3.0 whole handlers on the same stimulus: ~77 instr per clock edge, worst call 449"
      exit bad
    }' "$d/costs.txt" "$d/sigs.txt" || { status=1; return 1; }
  [ -z "$sfx" ] || sed -n "s/^write /info ${pfx}_writing /p" "$d/sigs.txt"
}

# ---------------------------------------------------------------------------
# decode: the task side as firmware runs it, through kb_bus_poll() (ring
# peek/pop, checks, noise filter, decode, status model, a no-op event
# callback, the keypad's two steps, the disconnected rule, the link
# statistics, the clock; callees included), per frame, live input, after one
# valid 0x05 has opened the gate. Every message is clocked into the link edge
# by edge (not counted) and each poll drains exactly one frame
# (--toggle-collect=kb_bus_poll):
#   golden: the panel lines of tests/data/golden.jsonl in file order, each with
#           the module line that answered it when that line follows it; module
#           lines printed without their panel message cannot be a bus message
#           and are left out (info decode_golden_orphans);
#   mix:    the reference mix.
#   A second run dumps stats after every poll (one frame per dump; the dumps
#   must add up to the first run's total): worst frame and a per-command split
#   (info), then 16 polls with nothing to drain: the fixed part of a poll
#   (clock, tick, the keypad's idle check; info decode_idle_poll).
#   decode_instructions_per_frame = (total - polls * fixed part) / frames:
#   what a frame adds to a poll (peek, checks, filter, decode, model, the
#   keypad's step or idle check, pop, the statistics copy when due);
#   info decode_poll_per_frame = total / frames, the fixed part included. A
#   third run counts kb_engine_frame() alone over the same frames:
#   decode_engine_per_frame, and decode_bus_share_per_frame = the first
#   figure minus it (what kb_bus adds to the engine per frame). A native run
#   gives frames per second (wall clock, info).
DECODE_GOLDEN=tests/data/golden.jsonl
section_decode() {
  local d=$OUT/decode
  mkdir -p "$d" && rm -f "$d"/*.out* "$d"/*.log "$d"/*.txt
  local objs=() s
  for s in src/core/*.c; do
    objs+=("$d/$(basename "$s" .c).o")
    if ! $CC $CFLAGS -c "$s" -o "$d/$(basename "$s" .c).o"; then
      fail "decode: build $s"
      return
    fi
  done
  if ! $CC $CFLAGS -D_POSIX_C_SOURCE=200809L bench/decode_bench.c bench/mix.c "${objs[@]}" -o "$d/decode_bench"; then
    fail "decode: build decode_bench"
    return
  fi
  local vg="valgrind --tool=callgrind --collect-atstart=no" corpus input toggles frames
  for corpus in golden mix; do
    input=$MIX
    [ "$corpus" = golden ] && input=$DECODE_GOLDEN
    toggles="--toggle-collect=kb_bus_poll"
    # shellcheck disable=SC2086
    if ! $vg $toggles --callgrind-out-file="$d/$corpus.out" "$d/decode_bench" $corpus "$input" \
      >"$d/$corpus.txt" 2>"$d/vg-$corpus.log" ||
      ! $vg $toggles --combine-dumps=yes --callgrind-out-file="$d/$corpus-frames.out" \
        "$d/decode_bench" $corpus "$input" dump >/dev/null 2>"$d/vg-$corpus-frames.log" ||
      ! $vg --toggle-collect=kb_engine_frame --callgrind-out-file="$d/$corpus-engine.out" \
        "$d/decode_bench" $corpus "$input" >/dev/null 2>"$d/vg-$corpus-engine.log"; then
      fail "decode: callgrind ($corpus), see $d/vg-$corpus*.log"
      continue
    fi
    frames=$(sed -n "s/^$corpus frames=\([0-9]*\).*/\1/p" "$d/$corpus.txt")
    [ "$corpus" = golden ] && sed -n 's/^golden frames=\([0-9]*\) with_module=\([0-9]*\) lines=\([0-9]*\) orphan_module_lines=\([0-9]*\).*/info decode_golden_orphans \4 of \3 lines are module lines without their panel message (left out); \1 messages, \2 with module data/p' "$d/$corpus.txt"
    # per frame: "desc: Trigger: Client Request: frame I CORPUS SOURCE CMD", then its summary
    awk -v corpus="$corpus" -v frames="$frames" -v tot="$(cg_total "$d/$corpus.out")" \
      -v eng="$(cg_total "$d/$corpus-engine.out")" '
      /^desc: Trigger: Client Request: idle / { idle = 1; next }
      /^summary:/ && idle { isum += $2; icnt++; if ($2 > imax) imax = $2; idle = 0; next }
      /^desc: Trigger: Client Request: frame / { i = $6; key = $8 " " $9; next }
      /^summary:/ && key != "" {
        c = $2; n[key]++; s[key] += c; if (c > mx[key]) mx[key] = c
        sum += c; cnt++
        if (c > worst) { worst = c; wi = i; wk = key }
        key = ""
      }
      END {
        if (!frames || cnt != frames || sum != tot || icnt != 16 || imax * icnt != isum) {
          printf "bench: FAIL decode: %s: %d frame dumps adding up to %d, mean run: %d frames, %d instr; %d idle polls (%d in all, %d max)\n", \
            corpus, cnt, sum, frames, tot, icnt, isum, imax
          exit 1
        }
        idle = isum / icnt
        printf "bench decode_instructions_per_frame_%s %.1f instr\n", corpus, (tot - frames * idle) / frames
        printf "info decode_poll_per_frame_%s %.1f instr (the whole kb_bus_poll, one poll per frame: the figure above plus the fixed part of a poll)\n", \
          corpus, tot / frames
        printf "info decode_idle_poll_%s %.1f instr (kb_bus_poll with no frame: clock, tick, idle checks; the fixed part)\n", corpus, idle
        printf "info decode_frames_%s %d frames, %d instr in all\n", corpus, frames, tot
        printf "bench decode_engine_per_frame_%s %.1f instr\n", corpus, eng / frames
        printf "bench decode_bus_share_per_frame_%s %.1f instr\n", corpus, (tot - frames * idle - eng) / frames
        printf "info decode_worst_frame_%s %d instr (frame %d, %s)\n", corpus, worst, wi, wk
        # commands with >= 0.5 % of the instructions, the rest as "other"
        for (k in n) {
          if (100 * s[k] / tot >= 0.5)
            printf "info decode cmd %s %-18s n=%5d mean=%7.1f max=%5d share=%5.1f%%\n", corpus, k, \
              n[k], s[k] / n[k], mx[k], 100 * s[k] / tot | "sort -t= -k5 -rn"
          else { on += n[k]; os += s[k]; if (mx[k] > om) om = mx[k] }
        }
        close("sort -t= -k5 -rn")
        if (on)
          printf "info decode cmd %s %-18s n=%5d mean=%7.1f max=%5d share=%5.1f%%\n", corpus, "(other)", \
            on, os / on, om, 100 * os / tot
      }' "$d/$corpus-frames.out" || status=1
    # exclusive cost per function, per frame (where the instructions go)
    callgrind_annotate --threshold=100 --inclusive=no "$d/$corpus.out" 2>/dev/null |
      awk -v corpus="$corpus" -v frames="$frames" -v bin="/decode/decode_bench]" '
        index($0, bin) && $1 ~ /^[0-9,]+$/ {
          c = $1; gsub(",", "", c); fn = $0; sub(/ \[.*/, "", fn); sub(/.*:/, "", fn)
          if (c > 0 && fn !~ /main|^run_/) printf "info decode fn %s %-24s %6.1f instr/frame\n", corpus, fn, c / frames
        }'
  done
  local sp
  if sp=$("$d/decode_bench" speed "$DECODE_GOLDEN" "$MIX"); then
    printf '%s\n' "$sp" | awk '/^speed / {
      for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      printf "info decode_frames_per_second %s %s (native, wall clock, edges and polls, %s frames in %s s)\n", $2, v["fps"], v["frames"], v["seconds"]
    }'
  else
    fail "decode: native speed run"
  fi
}

# ---------------------------------------------------------------------------
# keys: key latency of the virtual keypad (kb_keys) in bus time, closed loop:
# simulated panel + virtual wire (no noise, 1 ms clock) + kb_bus (link, engine,
# kb_keys, polled at every message boundary), native (no callgrind: bus time
# is virtual and deterministic).
#   per key: key out (t_frame_us + slot_cycle ms) - t_due_us, and its excess
#   over the start of the first eligible slot at or after t_due_us;
#   per request: submission -> last key out, excess over the n-th eligible
#   slot (includes the waits for the panel's `*` menu and code prompt).
# See bench/keys_bench.c and docs/noise.md ("Key latency").
#   The same once more with the wire's idle point (kb_wire_cfg_t.idle_task,
#   -DKB_WIRE_IDLE_TASK_DEFAULT=1: the task also polls 1.05 ms after each
#   message's last bit, as a port with the link's idle call and a task that
#   polls every ms): figures with the suffix _idletask.
section_keys() {
  local d=$OUT/keys it
  mkdir -p "$d"
  for it in 0 1; do
    if ! $CC $CFLAGS -DKB_WIRE_IDLE_TASK_DEFAULT=$it -D_POSIX_C_SOURCE=200809L -Isrc -I/usr/include/cjson \
      bench/keys_bench.c src/sim/kb_sim_panel.c src/sim/kb_wire.c src/host/*.c src/core/*.c -lcjson -lm \
      -o "$d/keys_bench$it"; then
      fail "keys: build"
      return
    fi
    if ! "$d/keys_bench$it" >"$d/out$it.txt" 2>"$d/err$it.txt"; then
      cat "$d/out$it.txt" "$d/err$it.txt"
      fail "keys: run, see $d/err$it.txt"
      return
    fi
  done
  cat "$d/out0.txt"
  sed -n 's/^bench \([a-z_]*\) /bench \1_idletask /p' "$d/out1.txt"
}

# ---------------------------------------------------------------------------
# soak: the write-safety soak (issue 6): 200 seeds at BER 1e-3 with glitches,
# lost edges and jitter, 20 clean seeds, each a mix of arm, disarm, bypass,
# set-time and wrong-code requests, checked against the panel's received keys
# and state (tests/unit/sim/test_soak.c, which also asserts the figures).
#   bench soak_keys_twice / soak_keys_after_rejection / soak_unrequested /
#   soak_disagreeing: counts (all must be 0); soak_done_pct: requests that
#   could succeed and did, noisy; soak_clean_done_pct: the same, clean bus;
#   soak_uncertain: results that say the outcome is uncertain (noisy).
#   Run twice: as written, and with the wire's idle point (the task polls
#   1.05 ms after each message's last bit too, -DKB_WIRE_IDLE_TASK_DEFAULT=1):
#   figures with the suffix _idletask.
# keybusd: the daemon on the simulated panel in real time against a private
#   broker: frame end -> subscriber latency, command -> first key, CPU and RSS
#   (bench/keybusd_bench.sh; KEYBUSD_BENCH_SECONDS, default 60).
section_keybusd() {
  make --no-print-directory V=rel apps >/dev/null || { fail "keybusd: build"; return; }
  bash bench/keybusd_bench.sh || fail keybusd
}

# web: the web keypad (bench/web_bench.sh): page weight, frame end -> SSE
#   client latency, keybusd's RSS with 20 SSE clients (docs/web.md).
section_web() {
  make --no-print-directory V=rel apps >/dev/null || { fail "web: build"; return; }
  bash bench/web_bench.sh || fail web
}

section_soak() {
  local d=$OUT/soak it
  mkdir -p "$d"
  for it in 0 1; do
    if ! $CC $CFLAGS -DKB_WIRE_IDLE_TASK_DEFAULT=$it -D_POSIX_C_SOURCE=200809L -Isrc -Itests \
      -I/usr/include/cjson '-DKB_ASSERT(c)=((c)?(void)0:abort())' -include stdlib.h tests/unit/sim/test_soak.c \
      tests/harness.c src/sim/kb_sim_panel.c src/sim/kb_wire.c src/host/*.c src/core/*.c \
      -lcjson -lm -o "$d/soak$it"; then
      fail "soak: build"
      return
    fi
    if ! "$d/soak$it" >"$d/out$it.txt" 2>"$d/err$it.txt"; then
      cat "$d/out$it.txt" "$d/err$it.txt"
      fail "soak: run, see $d/err$it.txt"
      return
    fi
  done
  grep '^soak: ' "$d/err0.txt" | sed 's/^soak: /info soak /'
  grep '^soak: ' "$d/err1.txt" | sed 's/^soak: /info soak_idletask /'
  soak_figures "$d/err0.txt"
  soak_figures "$d/err1.txt" | sed 's/^bench \([a-z_]*\) /bench \1_idletask /'
}

# The soak's figures from its stderr ($1).
soak_figures() {
  awk '
    /^soak: ber 1e-3: [0-9]+ seeds/ {
      match($0, /keys received twice [0-9]+/); t = substr($0, RSTART + 20, RLENGTH - 20)
      match($0, /keys after a rejection [0-9]+/); a = substr($0, RSTART + 23, RLENGTH - 23)
      match($0, /unrequested changes [0-9]+/); u = substr($0, RSTART + 20, RLENGTH - 20)
      match($0, /results disagreeing [0-9]+/); g = substr($0, RSTART + 20, RLENGTH - 20)
      match($0, /\([0-9.]+ %\)/); p = substr($0, RSTART + 1, RLENGTH - 4)
      match($0, /uncertain [0-9]+/); c = substr($0, RSTART + 10, RLENGTH - 10)
      printf "bench soak_keys_twice %s count\nbench soak_keys_after_rejection %s count\n", t, a
      printf "bench soak_unrequested %s count\nbench soak_disagreeing %s count\n", u, g
      printf "bench soak_done_pct %s %%\nbench soak_uncertain %s count\n", p, c
    }
    /^soak: clean: [0-9]+ seeds/ {
      match($0, /\([0-9.]+ %\)/); p = substr($0, RSTART + 1, RLENGTH - 4)
      printf "bench soak_clean_done_pct %s %%\n", p
    }' "$1"
}

# ---------------------------------------------------------------------------
# classic: the Classic link's interrupt handlers (kb_cls_link_edge and
#   kb_cls_link_sample, bench/cls_isr_bench.c) over 10 000 frames of varying
#   content (16 cycles, keypad slots, the 26.5 ms gap), callees included,
#   divided by the clock edges (32 per frame); then the same with a key
#   written in every frame (suffix _writing).
section_classic() {
  local d=$OUT/classic sfx n=10000 edges
  mkdir -p "$d" && rm -f "$d"/*.out*
  if ! $CC $CFLAGS -D_POSIX_C_SOURCE=200809L bench/cls_isr_bench.c src/core/kb_cls_link.c -o "$d/cls_isr"; then
    fail "classic: build"
    return
  fi
  for sfx in "" _writing; do
    if ! valgrind --tool=callgrind --collect-atstart=no --toggle-collect=kb_cls_link_edge \
      --toggle-collect=kb_cls_link_sample --callgrind-out-file="$d/cg$sfx.out" \
      "$d/cls_isr" $n ${sfx:+write} >"$d/run$sfx.txt" 2>"$d/vg$sfx.txt"; then
      fail "classic: callgrind run$sfx"
      return
    fi
    edges=$(awk '{print $4}' "$d/run$sfx.txt")
    if [ -z "$edges" ] || [ -z "$(cg_total "$d/cg$sfx.out")" ]; then
      fail "classic: no figures$sfx"
      return
    fi
    echo "info cls_isr$sfx $(cat "$d/run$sfx.txt")"
    awk -v t="$(cg_total "$d/cg$sfx.out")" -v e="$edges" -v s="$sfx" \
      'BEGIN { printf "bench cls_isr_instructions_per_edge_mean%s %.1f instructions\n", s, t / e }'
  done
}

# ---------------------------------------------------------------------------
# panel: the panel role's interrupt handler kb_pnl_isr() (keypad interface,
#   bench/panel_isr_bench.c: 200 000 half periods, a key in every 5th 0x05,
#   an alarm key every 50th frame). One callgrind run per path wrapper
#   (isr_gap, isr_low, isr_end, isr_high, callees included), divided by the
#   path's calls: panel_isr_<path>_mean; panel_isr_mean over all calls.
section_panel() {
  local d=$OUT/panel n=200000 w tot=0 calls=0 c t
  mkdir -p "$d" && rm -f "$d"/*.out*
  if ! $CC $CFLAGS -D_POSIX_C_SOURCE=200809L bench/panel_isr_bench.c src/core/kb_panel.c -o "$d/panel_isr"; then
    fail "panel: build"
    return
  fi
  for w in gap low end high; do
    if ! valgrind --tool=callgrind --collect-atstart=no --toggle-collect="isr_$w" \
      --callgrind-out-file="$d/cg_$w.out" "$d/panel_isr" $n >"$d/run.txt" 2>"$d/vg_$w.txt"; then
      fail "panel: callgrind isr_$w"
      return
    fi
    c=$(awk -v w="$w" '$1 == "calls" { for (i = 2; i < NF; i += 2) if ($i == w) print $(i + 1) }' "$d/run.txt")
    t=$(cg_total "$d/cg_$w.out")
    if [ -z "$c" ] || [ -z "$t" ] || [ "$c" -eq 0 ]; then
      fail "panel: no figures for isr_$w"
      return
    fi
    awk -v t="$t" -v c="$c" -v w="$w" 'BEGIN { printf "bench panel_isr_%s_mean %.1f instructions\ninfo panel_isr_%s calls %d\n", w, t / c, w, c }'
    tot=$((tot + t))
    calls=$((calls + c))
  done
  echo "info panel_isr $(head -n 1 "$d/run.txt")"
  awk -v t="$tot" -v c="$calls" 'BEGIN { printf "bench panel_isr_mean %.1f instructions\ninfo panel_isr calls %d\n", t / c, c }'
}

want=("$@")
[ ${#want[@]} -eq 0 ] && want=("${SECTIONS[@]}")
for s in "${want[@]}"; do
  if ! declare -F "section_$s" >/dev/null; then
    fail "unknown section $s"
    continue
  fi
  "section_$s"
done
exit $status
