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
SECTIONS=(isr)
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
section_isr() {
  local d=$OUT/isr
  mkdir -p "$d" && rm -f "$d"/cg.* "$d"/*.out*
  if ! $CC $CFLAGS -c src/core/kb_link.c -o "$d/kb_link.o" ||
    ! $CC $CFLAGS -fsanitize-coverage=trace-pc -c src/core/kb_link.c -o "$d/kb_link_sig.o" ||
    ! $CC $CFLAGS -D_POSIX_C_SOURCE=200809L bench/isr_bench.c "$d/kb_link.o" -o "$d/isr_bench" ||
    ! $CC $CFLAGS -D_POSIX_C_SOURCE=200809L -DKB_BENCH_SIG bench/isr_bench.c "$d/kb_link_sig.o" \
      -o "$d/isr_bench_sig"; then
    fail "isr: build"
    return
  fi
  if ! "$d/isr_bench_sig" sig "$MIX" >"$d/sigs.txt"; then
    fail "isr: path discovery"
    return
  fi
  local edges samples
  edges=$(sed -n 's/^mix .* edges=\([0-9]*\).*/\1/p' "$d/sigs.txt")
  samples=$(sed -n 's/^mix .* samples=\([0-9]*\).*/\1/p' "$d/sigs.txt")

  local vg="valgrind --tool=callgrind --collect-atstart=no"
  if ! $vg --toggle-collect=kb_link_edge --callgrind-out-file="$d/edge.out" \
    "$d/isr_bench" mix "$MIX" >/dev/null 2>"$d/vg-edge.log" ||
    ! $vg --toggle-collect=kb_link_sample --callgrind-out-file="$d/sample.out" \
      "$d/isr_bench" mix "$MIX" >/dev/null 2>"$d/vg-sample.log"; then
    fail "isr: callgrind (mean runs), see $d/vg-*.log"
    return
  fi
  local calls
  calls=$(awk '/^sig /{print $4}' "$d/sigs.txt" | tr '\n' ' ')
  # shellcheck disable=SC2086
  if ! $vg --toggle-collect=kb_link_edge --toggle-collect=kb_link_sample \
    --callgrind-out-file="$d/cg.out" "$d/isr_bench" measure "$MIX" $calls >/dev/null \
    2>"$d/vg-measure.log"; then
    fail "isr: callgrind (per-call run), see $d/vg-measure.log"
    return
  fi
  # per-call costs: "call N" dumps
  for f in "$d"/cg.out.*; do
    local label
    label=$(sed -n 's/^desc: Trigger: Client Request: call //p' "$f")
    [ -n "$label" ] && echo "$label $(cg_total "$f")"
  done >"$d/costs.txt"

  awk -v edges="$edges" -v samples="$samples" -v etot="$(cg_total "$d/edge.out")" \
    -v stot="$(cg_total "$d/sample.out")" '
    FNR == NR { cost[$1] = $2; next }
    /^sig / {
      h = $2; first = $4; nmix = $5; nforced = $6
      if (!(first in cost)) { printf "bench: FAIL isr: no cost for call %s\n", first; bad = 1; next }
      c = cost[first]
      printf "info isr path %-6s %3d instr  mix %7d  forced %5d  (first call %d)\n", h, c, nmix, nforced, first
      sum[h] += c * nmix
      if (c > worst[h]) worst[h] = c
      if (nmix && c > worstmix) worstmix = c
      if (nforced && c > worstforced) worstforced = c
      paths++
    }
    END {
      if (sum["edge"] != etot || sum["sample"] != stot) {
        printf "bench: FAIL isr: per-path costs add up to %d/%d, callgrind totals are %d/%d\n", \
          sum["edge"], sum["sample"], etot, stot
        bad = 1
      }
      printf "bench isr_clock_edges %d edges\n", edges
      printf "bench isr_edge_mean %.1f instr\n", etot / edges
      printf "bench isr_sample_mean %.1f instr\n", stot / samples
      printf "bench isr_instructions_per_edge_mean %.1f instr\n", (etot + stot) / edges
      printf "bench isr_edge_worst %d instr\n", worst["edge"]
      printf "bench isr_sample_worst %d instr\n", worst["sample"]
      printf "bench isr_worst_call_mix %d instr\n", worstmix
      printf "bench isr_worst_call_forced %d instr\n", worstforced
      printf "bench isr_worst_call %d instr\n", (worst["edge"] > worst["sample"] ? worst["edge"] : worst["sample"])
      printf "bench isr_paths %d paths\n", paths
      print "info reference 3.0 (taligentx/dscKeybusInterface, same mix): edge handler 34 mean / 449 worst, sample handler 43 mean / 74 worst, ~77 instr per clock edge"
      exit bad
    }' "$d/costs.txt" "$d/sigs.txt" || status=1
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
