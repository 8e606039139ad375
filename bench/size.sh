#!/usr/bin/env bash
# size.sh - cross builds of the engine (`make size`).
#
# Every src/core/*.c and src/ha/*.c is compiled freestanding, -Os, for Cortex-M4
# (arm-none-eabi-gcc, newlib headers) and RV32IMC (riscv64-unknown-elf-gcc with
# picolibc headers; the ESP32-C3 instruction set).
# Prints `size <unit> <target> text=N data=N bss=N` per unit and target and
# `ram engine cortex-m4 bytes=N` for bench/ram_probe.c
# (kb_link_t + kb_engine_t at the default configuration: every engine state
# declared statically, linked with the engine objects; N = .data + .bss),
# then `ram keys_queue cortex-m4 bytes=N`: what the virtual keypad's state
# (kb_keys_t: request queue and result history) adds, from a second link of
# the probe with -DKB_PROBE_KEYS=1 (not counted against RAM_LIMIT), and
# `ram bus cortex-m4 bytes=N`: one kb_bus_t (link + engine + keypad + the
# bus's clock) alone, from a third link with -DKB_PROBE_BUS=1.
# Each check prints `ok <case>` or `FAIL <case>: why`:
#   build/<unit>/<target>    the unit compiles with -Wall -Wextra -Werror -pedantic
#   nostate/<unit>/<target>  data=0 and bss=0 (the engine keeps no globals)
#   noatomic/<unit>/<target> `nm -u` shows no __atomic_* (RV32IMC has no atomic RMW)
#   ram/cortex-m4            the probe links and needs <= RAM_LIMIT bytes
#   ram_keys/cortex-m4       the probe with the keypad links
#   ram_bus/cortex-m4        the probe with a kb_bus_t links
# (the budgets of issue 7 are checked by tests/cli/size.sh)
# Exits non-zero when a check failed.
set -u
cd "$(dirname "$0")/.."

OUT=build/size
RAM_LIMIT=${RAM_LIMIT:-1250}
FLAGS="-Os -ffreestanding -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude"
declare -A CC=([cortex-m4]=arm-none-eabi-gcc [rv32imc]=riscv64-unknown-elf-gcc)
declare -A ARCH=([cortex-m4]="-mcpu=cortex-m4 -mthumb" [rv32imc]="-march=rv32imc -mabi=ilp32 --specs=picolibc.specs")
declare -A BINPFX=([cortex-m4]=arm-none-eabi- [rv32imc]=riscv64-unknown-elf-)
TARGETS=(cortex-m4 rv32imc)
nfail=0

ok() { echo "ok $1"; }
bad() {
  echo "FAIL $1: $2"
  nfail=$((nfail + 1))
}

units=()
for src in src/core/*.c; do
  [ -e "$src" ] && units+=("$src")
done
# src/ha (the Home Assistant contract, freestanding like the core, carried by
# the ESP32 build) is cross-built and checked the same way; its objects go
# to $OUT/<target>/ha/ so that the RAM probe below links the engine only.
# Its one outside header, jsmn.h (libjsmn-dev), is copied beside them: the
# cross compilers do not search /usr/include.
ha_units=()
for src in src/ha/*.c; do
  [ -e "$src" ] && ha_units+=("$src")
done
if [ ${#ha_units[@]} -gt 0 ]; then
  mkdir -p "$OUT/jsmn"
  if cp /usr/include/jsmn.h "$OUT/jsmn/jsmn.h" 2>/dev/null; then units+=("${ha_units[@]}"); else bad "build/ha" "/usr/include/jsmn.h missing (libjsmn-dev)"; fi
fi
if [ ${#units[@]} -eq 0 ]; then
  bad "build/none" "no src/core/*.c"
  exit 1
fi

for t in "${TARGETS[@]}"; do
  mkdir -p "$OUT/$t"
  rm -f "$OUT/$t"/*.o "$OUT/$t"/ha/*.o
  for src in "${units[@]}"; do
    u=$(basename "$src" .c)
    o="$OUT/$t/$u.o"
    extra=""
    case $src in src/ha/*) mkdir -p "$OUT/$t/ha"; o="$OUT/$t/ha/$u.o"; extra="-I$OUT/jsmn" ;; esac
    # shellcheck disable=SC2086
    if ! err=$(${CC[$t]} ${ARCH[$t]} $FLAGS $extra -c "$src" -o "$o" 2>&1); then
      bad "build/$u/$t" "$(printf '%s' "$err" | head -n 5 | tr '\n' ' ')"
      rm -f "$o"
      continue
    fi
    ok "build/$u/$t"
    read -r text data bss _ < <(${BINPFX[$t]}size "$o" | tail -n 1)
    echo "size $u $t text=$text data=$data bss=$bss"
    if [ "$data" -eq 0 ] && [ "$bss" -eq 0 ]; then ok "nostate/$u/$t"; else bad "nostate/$u/$t" "data=$data bss=$bss"; fi
    atom=$(${BINPFX[$t]}nm -u "$o" | awk '$NF ~ /^__atomic_/ {print $NF}' | tr '\n' ' ')
    if [ -z "$atom" ]; then ok "noatomic/$u/$t"; else bad "noatomic/$u/$t" "$atom"; fi
  done
done

# RAM probe (Cortex-M4): the engine objects that built, newlib only for the
# string functions they may call.
t=cortex-m4
probe_def=""
[ -e include/keybus/kb_engine.h ] && probe_def="-DKB_PROBE_ENGINE=1"
elf="$OUT/ram_probe.elf"
rm -f "$elf"
# shellcheck disable=SC2086
if err=$(${CC[$t]} ${ARCH[$t]} $FLAGS $probe_def -nostartfiles -nostdlib bench/ram_probe.c \
  "$OUT/$t"/*.o -lc -lgcc -o "$elf" 2>&1); then
  read -r _ data bss _ < <(${BINPFX[$t]}size "$elf" | tail -n 1)
  ram=$((data + bss))
  echo "ram engine $t bytes=$ram"
  ${BINPFX[$t]}nm -S --size-sort "$elf" | while read -r _ sz ty sym; do
    case $ty in [bBdD]) echo "info ram $sym bytes=$((16#$sz))" ;; esac
  done
  if [ "$ram" -le "$RAM_LIMIT" ]; then ok "ram/$t"; else bad "ram/$t" "$ram bytes > $RAM_LIMIT"; fi
  # the virtual keypad's queue, on its own line
  kelf="$OUT/ram_probe_keys.elf"
  # shellcheck disable=SC2086
  if [ -e include/keybus/kb_keys.h ] && err=$(${CC[$t]} ${ARCH[$t]} $FLAGS $probe_def -DKB_PROBE_KEYS=1 \
    -nostartfiles -nostdlib bench/ram_probe.c "$OUT/$t"/*.o -lc -lgcc -o "$kelf" 2>&1); then
    read -r _ kdata kbss _ < <(${BINPFX[$t]}size "$kelf" | tail -n 1)
    echo "ram keys_queue $t bytes=$((kdata + kbss - ram))"
    ok "ram_keys/$t"
  elif [ -e include/keybus/kb_keys.h ]; then
    bad "ram_keys/$t" "probe with keys does not link: $(printf '%s' "$err" | head -n 5 | tr '\n' ' ')"
  fi
  # one kb_bus_t, as a firmware using kb_bus_poll() places it
  belf="$OUT/ram_probe_bus.elf"
  # shellcheck disable=SC2086
  if [ -e include/keybus/kb_bus.h ] && err=$(${CC[$t]} ${ARCH[$t]} $FLAGS -DKB_PROBE_BUS=1 \
    -nostartfiles -nostdlib bench/ram_probe.c "$OUT/$t"/*.o -lc -lgcc -o "$belf" 2>&1); then
    read -r _ bdata bbss _ < <(${BINPFX[$t]}size "$belf" | tail -n 1)
    echo "ram bus $t bytes=$((bdata + bbss))"
    ok "ram_bus/$t"
  elif [ -e include/keybus/kb_bus.h ]; then
    bad "ram_bus/$t" "probe with a bus does not link: $(printf '%s' "$err" | head -n 5 | tr '\n' ' ')"
  fi
else
  bad "ram/$t" "probe does not link: $(printf '%s' "$err" | head -n 5 | tr '\n' ' ')"
fi

[ "$nfail" -eq 0 ]
