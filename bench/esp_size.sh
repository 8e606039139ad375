#!/usr/bin/env bash
# esp_size.sh - the ESP-IDF component's sizes (`make size` calls it).
#
# With the ESP-IDF v5.3.5 kit (KEYBUS_IDF_KITS, see the third-party README
# section 1) every source the component builds (ports/esp-idf/*.c,
# src/core/*.c, src/ha/*.c) is compiled for the ESP32-C3 exactly as
# tests/cli/esp_check.sh does (the kit's flags: -Og as ESP-IDF's default
# build; the kit's sdkconfig.h plus the component's IRAM options; no
# CONFIG_KEYBUS_*, i.e. the defaults: 8 partitions, 64 zones, a 16-frame
# ring) and prints
#   size esp-idf rv32imc text=N data=N bss=N
#       object totals (before the link's --gc-sections); bss WITHOUT the task
#       stack (its own line), WITH the task's control block (StaticTask_t),
#       the mutex and the binary semaphore (StaticSemaphore_t);
#   size esp-idf-stack rv32imc bytes=N
#       the task stack (CONFIG_KEYBUS_TASK_STACK default), static;
#   size esp-idf-iram rv32imc text=N
#       the .iram1.* sections of the interrupt handlers' object (kbe_isr.o);
#   size esp-idf-panel rv32imc text=N data=N bss=N
#   size esp-idf-panel-iram rv32imc text=N
#       the same for the panel role (CONFIG_KEYBUS_ROLE_KEYPAD: kbe_panel*.o
#       instead of kbe.o/kbe_isr.o; the IRAM of its timer callback plus
#       kb_pnl_isr, which kb_panel.o places in .iram1.keybus);
# then `info` lines (the breakdown, and the task's measured host high-water
# mark: tests/esp/test_esp_port.c built with -DKBE_STACK_PROBE runs every
# task step on a painted stack), and `ok`/`FAIL` checks:
#   ram/esp-idf      data + bss <= RAM_LIMIT (3072)
#   ram/esp-idf-panel  the panel role's data + bss <= RAM_LIMIT
#   stack/esp-idf    the measured high-water mark + 1024 bytes <= the default
#   stack/esp-idf-panel  the same for the panel role's task
# Without the kit: "skipped: esp-size (...)" and exit 0 (nothing measured).
set -u
cd "$(dirname "$0")/.."
RAM_LIMIT=${RAM_LIMIT:-3072}
OUT=build/esp-size
nfail=0
bad() {
  echo "FAIL $1: $2"
  nfail=$((nfail + 1))
}

if [ -z "${KEYBUS_IDF_KITS:-}" ] || [ ! -x "${KEYBUS_IDF_KITS:-}/v5.3.5/idf-gcc" ]; then
  echo "skipped: esp-size (KEYBUS_IDF_KITS not set or without v5.3.5/: the ESP-IDF kit folder; .ci/run sets it)"
  exit 0
fi
kit=$KEYBUS_IDF_KITS/v5.3.5
if ! command -v riscv64-unknown-elf-gcc >/dev/null; then
  echo "skipped: esp-size (riscv64-unknown-elf-gcc missing: make deps)"
  exit 0
fi
rm -rf "$OUT" && mkdir -p "$OUT/config" "$OUT/jsmn" "$OUT/obj"
{
  cat "$kit/config/sdkconfig.h"
  sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=y$/\1/p' ports/esp-idf/sdkconfig.defaults | while read -r opt; do
    if grep -q "^# $opt is not set\$\|^$opt=" "$kit/config/sdkconfig"; then echo "#define $opt 1"; fi
  done
} >"$OUT/config/sdkconfig.h"
cp /usr/include/jsmn.h "$OUT/jsmn/jsmn.h" || { bad build "/usr/include/jsmn.h missing (libjsmn-dev)"; exit 1; }
for src in ports/esp-idf/*.c src/core/*.c src/ha/*.c; do
  if ! err=$("$kit/idf-gcc" --strict -Wall -Wextra -Werror "-I$OUT/config" -Iports/esp-idf \
    -Iports/esp-idf/include -Iinclude -Isrc/ha "-I$OUT/jsmn" '-DKB_CONFIG_FILE="keybus_esp_config.h"' \
    -c "$src" -o "$OUT/obj/$(basename "$src" .c).o" 2>&1); then
    bad "build/$src" "$(printf '%s' "$err" | head -n 5 | tr '\n' ' ')"
  fi
done
[ $nfail -eq 0 ] || exit 1

# role OBJ...: text, data and bss summed over the objects given
totals() { riscv64-unknown-elf-size "$@" | awk 'NR > 1 {t += $1; d += $2; b += $3} END {print t, d, b}'; }
# the component builds one role's port sources (CMakeLists.txt, the Kconfig
# role): the reader's totals leave the panel role's objects out, and back
reader_objs=() panel_objs=()
for o in "$OUT"/obj/*.o; do
  case $(basename "$o") in
    kbe_panel*.o) panel_objs+=("$o") ;;
    kbe.o | kbe_isr.o) reader_objs+=("$o") ;;
    *) reader_objs+=("$o") panel_objs+=("$o") ;;
  esac
done
read -r text data bss < <(totals "${reader_objs[@]}")
read -r ptext pdata pbss < <(totals "${panel_objs[@]}")
# sym OBJ NAME: the size of a symbol (nm -S prints it in hex)
sym() {
  local h
  h=$(riscv64-unknown-elf-nm -S "$OUT/obj/$1" | awk -v s="$2" '$4 == s {print $2}')
  echo $((16#${h:-0}))
}
# iram OBJ: the bytes of its .iram1.* sections
iram_of() {
  local n=0 h
  for h in $(riscv64-unknown-elf-readelf -SW "$OUT/obj/$1" | sed -n 's/^ *\[ *[0-9]*\] \.iram1[^ ]* *[A-Z_]* *[0-9a-f]* *[0-9a-f]* *\([0-9a-f]*\) .*/\1/p'); do
    n=$((n + 16#$h))
  done
  echo $n
}
stack=$(sym kbe.o s_stack)
tcb=$(sym kbe.o s_tcb)
busb=$(sym kbe.o s_bus)
sems=$(( $(sym kbe.o s_lock_buf) + $(sym kbe.o s_done_buf) ))
bss=$((bss - stack))
iram=$(iram_of kbe_isr.o)
iram_link=$(iram_of kb_link.o)
pstack=$(sym kbe_panel.o s_stack)
pbss=$((pbss - pstack))
piram=$(( $(iram_of kbe_panel_isr.o) + $(iram_of kb_panel.o) ))
def=$(sed -n 's/^#define CONFIG_KEYBUS_TASK_STACK \([0-9]*\).*/\1/p' ports/esp-idf/include/keybus_esp_config.h)

echo "size esp-idf rv32imc text=$text data=$data bss=$bss"
echo "size esp-idf-stack rv32imc bytes=$def"
echo "size esp-idf-iram rv32imc text=$iram"
echo "info esp-idf ram: kb_bus_t $busb, StaticTask_t $tcb, 2 x StaticSemaphore_t $sems, the component's own $((data + bss - busb - tcb - sems)) (ESP-IDF v5.3.5 kit, esp32c3)"
echo "info esp-idf ram: StaticTask_t is $tcb bytes with the kit's newlib headers (Debian's struct _reent; docs/esp32.md)"
echo "info esp-idf-iram: kb_link.o's .iram1 ($iram_link bytes: kb_link_edge/kb_link_sample, unused by the component) is left out: --gc-sections drops it when nothing calls it (not linked here)"
if [ $((data + bss)) -le "$RAM_LIMIT" ]; then echo "ok ram/esp-idf $((data + bss)) <= $RAM_LIMIT"
else bad "ram/esp-idf" "data+bss $((data + bss)) > $RAM_LIMIT"; fi
# the panel role (CONFIG_KEYBUS_ROLE_KEYPAD): the same objects but the
# reader's port; bss without its task stack (the same Kconfig default)
echo "size esp-idf-panel rv32imc text=$ptext data=$pdata bss=$pbss"
echo "size esp-idf-panel-iram rv32imc text=$piram"
echo "info esp-idf-panel ram: kb_pnl_t $(sym kbe_panel.o s_pnl), StaticTask_t $(sym kbe_panel.o s_tcb), the callback's state $(sym kbe_panel_isr.o kbe_pnl_isr); iram: kbe_pnl_alarm_cb $(iram_of kbe_panel_isr.o) + kb_pnl_isr $(iram_of kb_panel.o) (kb_panel.o's .iram1 holds kb_pnl_isr alone)"
if [ $((pdata + pbss)) -le "$RAM_LIMIT" ]; then echo "ok ram/esp-idf-panel $((pdata + pbss)) <= $RAM_LIMIT"
else bad "ram/esp-idf-panel" "data+bss $((pdata + pbss)) > $RAM_LIMIT"; fi

# the task's stack high-water mark, measured on the host
mkdir -p "$OUT/probe"
if ! err=$(gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Og -g -DKBE_STACK_PROBE -DKBE_HOST_FAKE \
  '-DKB_CONFIG_FILE="keybus_esp_config.h"' -Itests/esp/include -Itests/esp -Iports/esp-idf \
  -Iports/esp-idf/include -Iinclude -Isrc -Itests ports/esp-idf/*.c src/core/*.c src/sim/kb_sim_panel.c \
  src/host/kb_wave.c tests/esp/esp_fake.c tests/esp/test_esp_port.c tests/harness.c \
  -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc -Wl,-z,now -o "$OUT/probe/test_esp_port" 2>&1); then
  bad "stack/esp-idf" "probe build: $(printf '%s' "$err" | head -n 5 | tr '\n' ' ')"
else
  line=$("$OUT/probe/test_esp_port" stack_high_water | grep '^stack high-water:')
  hwm=$(printf '%s\n' "$line" | sed -n 's/^stack high-water: \([0-9]*\) bytes.*/\1/p')
  echo "info esp-idf-stack: $line"
  if [ -n "$hwm" ] && [ $((hwm + 1024)) -le "$def" ]; then echo "ok stack/esp-idf $hwm + 1024 <= $def"
  else bad "stack/esp-idf" "high-water '${hwm:-?}' + 1024 > $def"; fi
fi
# the same for the panel role's task (tests/esp/test_esp_panel.c)
if ! err=$(gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Og -g -DKBE_STACK_PROBE -DKBE_HOST_FAKE \
  '-DKB_CONFIG_FILE="keybus_esp_config.h"' -Itests/esp/include -Itests/esp -Iports/esp-idf \
  -Iports/esp-idf/include -Iinclude -Isrc -Itests ports/esp-idf/*.c src/core/*.c src/sim/kb_sim_keypad.c \
  src/host/kb_vcd.c src/host/kb_capture.c tests/esp/esp_fake.c tests/esp/test_esp_panel.c tests/harness.c \
  -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc -Wl,-z,now -o "$OUT/probe/test_esp_panel" 2>&1); then
  bad "stack/esp-idf-panel" "probe build: $(printf '%s' "$err" | head -n 5 | tr '\n' ' ')"
else
  line=$("$OUT/probe/test_esp_panel" test_stack_high_water | grep '^stack high-water:')
  hwm=$(printf '%s\n' "$line" | sed -n 's/^stack high-water: \([0-9]*\) bytes.*/\1/p')
  echo "info esp-idf-panel-stack: $line"
  if [ -n "$hwm" ] && [ $((hwm + 1024)) -le "$def" ]; then echo "ok stack/esp-idf-panel $hwm + 1024 <= $def"
  else bad "stack/esp-idf-panel" "high-water '${hwm:-?}' + 1024 > $def"; fi
fi
[ $nfail -eq 0 ]
