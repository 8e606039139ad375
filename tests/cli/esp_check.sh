#!/usr/bin/env bash
# esp_check.sh - `make esp-check` (and part of `make test`): the core builds
# for the ESP32-C3 with both ESP-IDF kits, and its interrupt code is IRAM-safe.
#
# The kits (see the project's third-party README, section 1) are found ONLY
# through KEYBUS_IDF_KITS, the folder holding v5.3.5/ and v6.0.2/ (each with
# idf-gcc and iram-safe.txt) and check-iram.sh; .ci/run sets it. Without it
# the script reports "skipped" (counted neither passed nor failed), unless
# KB_ESP_CHECK_REQUIRED=1 (make esp-check), which fails instead.
#
# Per kit:
#   - every src/core/*.c and ports/template/kb_port_template.c compiles with
#     `idf-gcc --strict -Wall -Wextra -Werror`, KB_ISR_FN mapped to the fixed
#     section .iram1.keybus as include/keybus/kb_port.h says;
#   - check-iram.sh passes on the link layer's object (no call to flash code,
#     no flash data from IRAM code: jump tables, const tables, memset/memcpy
#     calls would fail it; ROM functions of the allowlist are fine), and
#     kb_link_edge/kb_link_sample are in .iram1.keybus;
#   - check-iram.sh passes on the template port's object, its platform calls
#     (kbp_plat_*, which a real port places in IRAM or inlines) added to the
#     allowlist: the inline link leaves nothing else;
#   - the counter-check: KB_ISR_FN mapped to ESP-IDF's IRAM_ATTR does NOT
#     compile (IRAM_ATTR embeds __COUNTER__: prototype and definition get
#     different sections), which is why kb_port.h asks for the fixed name.
#   - the ESP-IDF component (ports/esp-idf, docs/esp32.md): every
#     ports/esp-idf/*.c and the engine it builds (src/core, src/ha) compiles
#     with the component's configuration (KB_CONFIG_FILE keybus_esp_config.h,
#     no CONFIG_KEYBUS_* as under ESPHome, and once with Kconfig values set),
#     against a copy of the kit's sdkconfig.h with the options of
#     ports/esp-idf/sdkconfig.defaults that the kit's Kconfig knows, included
#     first (the kit itself is never edited);
#   - without those options the component refuses to build (its #error);
#   - check-iram.sh passes on kbe_isr.o (the handlers) with the kit's
#     iram-safe.txt plus ports/esp-idf/iram-allow.txt, fails without the
#     latter, and every iram-allow.txt entry is really called (no spare one);
#   - counter-tests: handler variants calling gpio_get_level or ESP_LOGW (flash
#     functions) are rejected by check-iram.sh;
#   - the panel role's timer callback (kbe_panel_isr.o): esp_panel below.
#   - bench/esp_size.sh (make size) passes and prints its size lines (the
#     reader's three, the panel role's two and its RAM budget check).
# Xtensa (ESP32, ESP32-S3) builds: not checked here (no Xtensa compiler).
set -u
. "$(dirname "$0")/lib.sh"
NAME=tests/cli/esp_check.sh

if [ -z "${KEYBUS_IDF_KITS:-}" ]; then
  why="KEYBUS_IDF_KITS not set: the folder holding the ESP-IDF kits v5.3.5/ and v6.0.2/; .ci/run sets it"
  if [ "${KB_ESP_CHECK_REQUIRED:-0}" = 1 ]; then
    ko "esp-check: $why"
    kt_done "$NAME"
  fi
  kt_skip "$NAME" "esp-check ($why)"
fi
K=$KEYBUS_IDF_KITS
if ! command -v riscv64-unknown-elf-gcc >/dev/null; then
  ko "riscv64-unknown-elf-gcc present (run make deps)"
  kt_done "$NAME"
fi
check "check-iram.sh present in \$KEYBUS_IDF_KITS ($K)" test -x "$K/check-iram.sh"

# esp_component VER KIT OUT: the ports/esp-idf checks for one kit.
esp_component() {
  local ver=$1 kit=$2 out=$3/component opt n bad log src o fn
  mkdir -p "$out/config" "$out/jsmn" "$out/variant"
  # the kit's sdkconfig.h, then the component's options (those this
  # version's Kconfig knows: the 5.x and 6.x names differ) as kconfgen
  # would write them
  {
    cat "$kit/config/sdkconfig.h"
    echo "/* ports/esp-idf/sdkconfig.defaults (tests/cli/esp_check.sh) */"
    sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=y$/\1/p' ports/esp-idf/sdkconfig.defaults | while read -r opt; do
      if grep -q "^# $opt is not set\$\|^$opt=" "$kit/config/sdkconfig"; then echo "#define $opt 1"; fi
    done
  } >"$out/config/sdkconfig.h"
  n=$(grep -c '^#define CONFIG_GPTIMER_\(ISR_IRAM_SAFE\|ISR_CACHE_SAFE\|CTRL_FUNC_IN_IRAM\) 1$' "$out/config/sdkconfig.h")
  if [ "$n" = 2 ]; then ok "$ver: component sdkconfig: the GPTimer ISR-safe option and CTRL_FUNC_IN_IRAM set"
  else ko "$ver: component sdkconfig: the GPTimer IRAM options set" "$(tail -n 4 "$out/config/sdkconfig.h")"; fi
  if ! cp /usr/include/jsmn.h "$out/jsmn/jsmn.h" 2>/dev/null; then
    ko "$ver: /usr/include/jsmn.h present (libjsmn-dev)"
    return
  fi
  local CF=(--strict -Wall -Wextra -Werror "-I$out/config" -Iports/esp-idf -Iports/esp-idf/include
    -Iinclude -Isrc/ha "-I$out/jsmn" '-DKB_CONFIG_FILE="keybus_esp_config.h"')
  # every source of the component, with no CONFIG_KEYBUS_* (ESPHome) and
  # with Kconfig values
  for variant in defaults kconfig; do
    local extra=()
    [ $variant = kconfig ] && extra=(-DCONFIG_KEYBUS_PARTITIONS=2 -DCONFIG_KEYBUS_ZONES=32
      -DCONFIG_KEYBUS_RING_DEPTH=8 -DCONFIG_KEYBUS_WRITE_PIN=6 -DCONFIG_KEYBUS_TASK_STACK=3072)
    n=0 bad=""
    mkdir -p "$out/$variant"
    for src in ports/esp-idf/*.c src/core/*.c src/ha/*.c; do
      o=$out/$variant/$(basename "$src" .c).o
      if ! log=$("$kit/idf-gcc" "${CF[@]}" "${extra[@]}" -c "$src" -o "$o" 2>&1); then
        bad="$bad$src: $log"$'\n'
      fi
      n=$((n + 1))
    done
    if [ -z "$bad" ]; then ok "$ver: component ($variant): $n files compile (ports/esp-idf, src/core, src/ha; idf-gcc --strict -Wall -Wextra -Werror)"
    else ko "$ver: component ($variant) compiles" "$bad"; fi
  done
  # without the options: the component's #error, not a silent IRAM hazard
  if log=$("$kit/idf-gcc" --strict -Wall -Wextra -Werror -Iports/esp-idf/include -Iinclude \
    '-DKB_CONFIG_FILE="keybus_esp_config.h"' -c ports/esp-idf/kbe_isr.c -o "$out/noopt.o" 2>&1); then
    ko "$ver: component refuses the kit's default sdkconfig (it compiled)"
  elif printf '%s\n' "$log" | grep -q 'error: #error "keybus: set CONFIG_GPTIMER_'; then
    ok "$ver: component refuses a sdkconfig without the GPTimer IRAM options (#error)"
  else
    ko "$ver: component refuses the default sdkconfig with its #error" "$log"
  fi
  # the handlers' object: IRAM-safe with exactly the allowlist extension
  o=$out/defaults/kbe_isr.o
  [ -f "$o" ] || return
  # (+ iram-core.txt: core KB_ISR_FN functions, checked with their objects below)
  cat "$kit/iram-safe.txt" ports/esp-idf/iram-allow.txt ports/esp-idf/iram-core.txt >"$out/allow.txt"
  if log=$("$K/check-iram.sh" "$out/allow.txt" "$o" 2>&1); then ok "$ver: check-iram kbe_isr.o (kit iram-safe.txt + ports/esp-idf/iram-allow.txt)"
  else ko "$ver: check-iram kbe_isr.o" "$log"; fi
  printf '%s\n' "$log" | grep -E '^(iram|ok|FAIL|NOTE)' | sed "s/^/    $ver kbe_isr.o: /"
  for fn in kbe_clock_isr kbe_alarm_cb kbe_cls_clock_isr kbe_cls_alarm_cb; do
    if printf '%s\n' "$log" | grep -q "^iram  $fn in .iram1.keybus$"; then ok "$ver: $fn in .iram1.keybus"
    else ko "$ver: $fn in .iram1.keybus" "$log"; fi
  done
  for fn in $(grep -v '^\s*#' ports/esp-idf/iram-allow.txt | awk 'NF {print $1}'); do
    if printf '%s\n' "$log" | grep -q "call $fn (allowlist)"; then ok "$ver: iram-allow.txt entry $fn is called by the handlers"
    else ko "$ver: iram-allow.txt entry $fn is called by the handlers (a spare entry?)" "$log"; fi
  done
  if log=$("$K/check-iram.sh" "$kit/iram-safe.txt" "$o" 2>&1); then
    ko "$ver: check-iram kbe_isr.o fails without iram-allow.txt (it passed: the extension is not needed?)"
  else ok "$ver: check-iram kbe_isr.o fails without iram-allow.txt"; fi
  # counter-tests: a handler calling a flash function is rejected
  sed 's/bool data = gpio_ll_get_level(&GPIO, p->data_pin) != 0;/bool data = gpio_get_level((gpio_num_t)p->data_pin) != 0;/' \
    ports/esp-idf/kbe_isr.c >"$out/variant/kbe_isr_getlevel.c"
  sed 's|^  kb_link_isr_sample(p->link, clock, data);|  ESP_LOGW("keybus", "sample %d", (int)data);\n&|' \
    ports/esp-idf/kbe_isr.c >"$out/variant/kbe_isr_log.c"
  for v in getlevel:gpio_get_level log:esp_log; do
    local name=${v%%:*} sym=${v#*:}
    src=$out/variant/kbe_isr_$name.c
    if cmp -s "$src" ports/esp-idf/kbe_isr.c; then
      ko "$ver: counter-test $name: the variant differs from kbe_isr.c (the sed no longer matches)"
      continue
    fi
    if ! log=$("$kit/idf-gcc" "${CF[@]}" -include driver/gpio.h -include esp_log.h -c "$src" -o "$out/variant/$name.o" 2>&1); then
      ko "$ver: counter-test $name compiles" "$log"
      continue
    fi
    if log=$("$K/check-iram.sh" "$out/allow.txt" "$out/variant/$name.o" 2>&1); then
      ko "$ver: counter-test: a handler calling $sym is rejected (check-iram passed)" "$log"
    elif printf '%s\n' "$log" | grep -q "^FAIL.*$sym"; then
      ok "$ver: counter-test: a handler calling $sym (flash) is rejected by check-iram"
    else
      ko "$ver: counter-test: rejected for calling $sym" "$log"
    fi
  done
  esp_panel "$ver" "$kit" "$out" "${CF[@]}"
}

# esp_panel VER KIT OUT CFLAGS...: the panel role's timer callback
# (ports/esp-idf/kbe_panel_isr.c, docs/esp32.md "Panel role"), compiled by
# esp_component above with the component's configuration:
#   - check-iram.sh passes on kbe_panel_isr.o with the kit's iram-safe.txt
#     plus ports/esp-idf/iram-allow-panel.txt (kb_pnl_isr), fails without
#     the latter, and every entry of it is really called;
#   - linked with the engine's kb_panel.o (ld -r), the pair passes with the
#     kit's list alone: kb_pnl_isr is in .iram1.keybus and calls nothing in
#     flash (the allowlist entry is proven, not assumed);
#   - without the component's options kbe_panel_isr.c refuses to build;
#   - counter-tests: callbacks writing a pin with gpio_set_level or logging
#     with ESP_LOGW (flash functions) are rejected by check-iram.sh.
esp_panel() {
  local ver=$1 kit=$2 out=$3 log o lo fn src v name sym
  shift 3
  local CF=("$@")
  o=$out/defaults/kbe_panel_isr.o
  if [ ! -f "$o" ] || [ ! -f "$out/defaults/kb_panel.o" ]; then
    ko "$ver: panel role: kbe_panel_isr.o and kb_panel.o built"
    return
  fi
  cat "$kit/iram-safe.txt" ports/esp-idf/iram-allow-panel.txt >"$out/allow-panel.txt"
  if log=$("$K/check-iram.sh" "$out/allow-panel.txt" "$o" 2>&1); then ok "$ver: check-iram kbe_panel_isr.o (kit iram-safe.txt + ports/esp-idf/iram-allow-panel.txt)"
  else ko "$ver: check-iram kbe_panel_isr.o" "$log"; fi
  printf '%s\n' "$log" | grep -E '^(iram|ok|FAIL|NOTE)' | sed "s/^/    $ver kbe_panel_isr.o: /"
  if printf '%s\n' "$log" | grep -q "^iram  kbe_pnl_alarm_cb in .iram1.keybus$"; then ok "$ver: kbe_pnl_alarm_cb in .iram1.keybus"
  else ko "$ver: kbe_pnl_alarm_cb in .iram1.keybus" "$log"; fi
  for fn in $(grep -v '^\s*#' ports/esp-idf/iram-allow-panel.txt | awk 'NF {print $1}'); do
    if printf '%s\n' "$log" | grep -q "call $fn (allowlist)"; then ok "$ver: iram-allow-panel.txt entry $fn is called by the callback"
    else ko "$ver: iram-allow-panel.txt entry $fn is called by the callback (a spare entry?)" "$log"; fi
  done
  if log=$("$K/check-iram.sh" "$kit/iram-safe.txt" "$o" 2>&1); then
    ko "$ver: check-iram kbe_panel_isr.o fails without iram-allow-panel.txt (it passed: the extension is not needed?)"
  else ok "$ver: check-iram kbe_panel_isr.o fails without iram-allow-panel.txt"; fi
  # the callback and the engine's half period as one object
  lo=$out/panel_isr_linked.o
  if ! log=$(riscv64-unknown-elf-ld -m elf32lriscv -r "$o" "$out/defaults/kb_panel.o" -o "$lo" 2>&1); then
    ko "$ver: ld -r kbe_panel_isr.o kb_panel.o" "$log"
  elif log=$("$K/check-iram.sh" "$kit/iram-safe.txt" "$lo" 2>&1) &&
    printf '%s\n' "$log" | grep -q "^ok    .iram1.keybus: call kb_pnl_isr (IRAM, same object)$" &&
    printf '%s\n' "$log" | grep -q "^iram  kb_pnl_isr in .iram1.keybus$"; then
    ok "$ver: check-iram kbe_panel_isr.o + kb_panel.o linked (kit iram-safe.txt only): kb_pnl_isr in IRAM, the whole path IRAM-safe"
  else
    ko "$ver: check-iram kbe_panel_isr.o + kb_panel.o linked" "$log"
  fi
  # without the options: the #error
  if log=$("$kit/idf-gcc" --strict -Wall -Wextra -Werror -Iports/esp-idf/include -Iinclude \
    '-DKB_CONFIG_FILE="keybus_esp_config.h"' -c ports/esp-idf/kbe_panel_isr.c -o "$out/noopt-panel.o" 2>&1); then
    ko "$ver: panel role refuses the kit's default sdkconfig (it compiled)"
  elif printf '%s\n' "$log" | grep -q 'error: #error "keybus: set CONFIG_GPTIMER_ISR_'; then
    ok "$ver: panel role refuses a sdkconfig without the GPTimer ISR-safe option (#error)"
  else
    ko "$ver: panel role refuses the default sdkconfig with its #error" "$log"
  fi
  # counter-tests: a callback calling a flash function is rejected
  sed 's/^    gpio_ll_set_level(&GPIO, s->write_pin, w);/    (void)gpio_set_level((gpio_num_t)s->write_pin, w);/' \
    ports/esp-idf/kbe_panel_isr.c >"$out/variant/kbe_panel_isr_setlevel.c"
  sed 's|^  s->halves++;|  ESP_LOGW("keybus", "half %d", (int)data_high);\n&|' \
    ports/esp-idf/kbe_panel_isr.c >"$out/variant/kbe_panel_isr_log.c"
  for v in setlevel:gpio_set_level log:esp_log; do
    name=${v%%:*} sym=${v#*:}
    src=$out/variant/kbe_panel_isr_$name.c
    if cmp -s "$src" ports/esp-idf/kbe_panel_isr.c; then
      ko "$ver: panel counter-test $name: the variant differs from kbe_panel_isr.c (the sed no longer matches)"
      continue
    fi
    if ! log=$("$kit/idf-gcc" "${CF[@]}" -include driver/gpio.h -include esp_log.h -c "$src" -o "$out/variant/panel_$name.o" 2>&1); then
      ko "$ver: panel counter-test $name compiles" "$log"
      continue
    fi
    if log=$("$K/check-iram.sh" "$out/allow-panel.txt" "$out/variant/panel_$name.o" 2>&1); then
      ko "$ver: panel counter-test: a callback calling $sym is rejected (check-iram passed)" "$log"
    elif printf '%s\n' "$log" | grep -q "^FAIL.*$sym"; then
      ok "$ver: panel counter-test: a callback calling $sym (flash) is rejected by check-iram"
    else
      ko "$ver: panel counter-test: rejected for calling $sym" "$log"
    fi
  done
}

ISR='-DKB_ISR_FN=__attribute__((section(".iram1.keybus")))'
FLAGS=(--strict -Wall -Wextra -Werror -Iinclude -Iports/template "$ISR")
for ver in v5.3.5 v6.0.2; do
  kit=$K/$ver
  if [ ! -x "$kit/idf-gcc" ] || [ ! -f "$kit/iram-safe.txt" ]; then
    ko "$ver: kit present ($kit/idf-gcc, iram-safe.txt)"
    continue
  fi
  out=build/esp-check/$ver
  rm -rf "$out" && mkdir -p "$out"
  n=0 bad=""
  for src in src/core/*.c ports/template/kb_port_template.c; do
    o=$out/$(basename "$src" .c).o
    if ! log=$("$kit/idf-gcc" "${FLAGS[@]}" -c "$src" -o "$o" 2>&1); then
      bad="$bad$src: $log"$'\n'
    fi
    n=$((n + 1))
  done
  if [ -z "$bad" ]; then ok "$ver: $n files compile (idf-gcc --strict -Wall -Wextra -Werror)"
  else ko "$ver: compile" "$bad"; fi

  # the link layer's object
  if [ -f "$out/kb_link.o" ]; then
    if log=$("$K/check-iram.sh" "$kit/iram-safe.txt" "$out/kb_link.o" 2>&1); then
      ok "$ver: check-iram kb_link.o"
    else
      ko "$ver: check-iram kb_link.o" "$log"
    fi
    printf '%s\n' "$log" | grep -E '^(iram|ok|FAIL|NOTE)' | sed "s/^/    $ver kb_link.o: /"
    for fn in kb_link_edge kb_link_sample; do
      if printf '%s\n' "$log" | grep -q "^iram  $fn in .iram1.keybus$"; then ok "$ver: $fn in .iram1.keybus"
      else ko "$ver: $fn in .iram1.keybus" "$log"; fi
    done
  fi

  # issue 11: the Classic link's object, whose entry points the component's
  # Classic handlers call (ports/esp-idf/iram-core.txt)
  if [ -f "$out/kb_cls_link.o" ]; then
    if log=$("$K/check-iram.sh" "$kit/iram-safe.txt" "$out/kb_cls_link.o" 2>&1); then ok "$ver: check-iram kb_cls_link.o"
    else ko "$ver: check-iram kb_cls_link.o" "$log"; fi
    for fn in $(grep -v '^\s*#' ports/esp-idf/iram-core.txt | awk 'NF {print $1}'); do
      if printf '%s\n' "$log" | grep -q "^iram  $fn in .iram1.keybus$"; then ok "$ver: $fn in .iram1.keybus (iram-core.txt)"
      else ko "$ver: $fn in .iram1.keybus (iram-core.txt)" "$log"; fi
    done
  else
    ko "$ver: kb_cls_link.o built"
  fi

  # the template port: only its own platform calls may leave the object
  if [ -f "$out/kb_port_template.o" ]; then
    allow=$out/port-allow.txt
    {
      cat "$kit/iram-safe.txt"
      echo "# the template port's platform calls (a real port places them in IRAM or inlines them)"
      printf '%s\n' kbp_plat_lines_read kbp_plat_write_pin kbp_plat_now_us kbp_plat_timer_start
    } >"$allow"
    if log=$("$K/check-iram.sh" "$allow" "$out/kb_port_template.o" 2>&1); then
      ok "$ver: check-iram kb_port_template.o"
    else
      ko "$ver: check-iram kb_port_template.o" "$log"
    fi
    for fn in kbp_clock_isr kbp_sample_isr; do
      if printf '%s\n' "$log" | grep -q "^iram  $fn in .iram1.keybus$"; then ok "$ver: $fn in .iram1.keybus"
      else ko "$ver: $fn in .iram1.keybus" "$log"; fi
    done
  fi

  # counter-check: IRAM_ATTR cannot be KB_ISR_FN
  if log=$("$kit/idf-gcc" --strict -Wall -Wextra -Werror -Iinclude -include esp_attr.h \
    -DKB_ISR_FN=IRAM_ATTR -c src/core/kb_link.c -o "$out/iram_attr.o" 2>&1); then
    ko "$ver: KB_ISR_FN=IRAM_ATTR is refused (it compiled: kb_port.h's advice needs revisiting)"
  elif printf '%s\n' "$log" | grep -q 'conflicts with previous'; then
    ok "$ver: KB_ISR_FN=IRAM_ATTR is refused (section conflict, as kb_port.h says)"
  else
    ko "$ver: KB_ISR_FN=IRAM_ATTR is refused for the documented reason" "$log"
  fi

  esp_component "$ver" "$kit" "$out"
done
echo "info esp32/esp32s3 (Xtensa): component build not checked here (Debian has no Xtensa gcc; docs/esp32.md)"

# the sizes (make size): the three lines in their format, the budgets held
if out=$(bash bench/esp_size.sh 2>&1); then
  ok "bench/esp_size.sh: static RAM <= 3072 and stack high-water + 1024 <= the default"
else
  ko "bench/esp_size.sh passes" "$out"
fi
printf '%s\n' "$out" | grep -E '^(size|info)' | sed 's/^/    /'
for re in '^size esp-idf rv32imc text=[0-9]+ data=[0-9]+ bss=[0-9]+$' \
  '^size esp-idf-stack rv32imc bytes=[0-9]+$' '^size esp-idf-iram rv32imc text=[1-9][0-9]*$' \
  '^size esp-idf-panel rv32imc text=[0-9]+ data=[0-9]+ bss=[0-9]+$' '^size esp-idf-panel-iram rv32imc text=[1-9][0-9]*$' \
  '^ok ram/esp-idf-panel [0-9]+ <= [0-9]+$' '^ok stack/esp-idf-panel [0-9]+ \+ 1024 <= [0-9]+$'; do
  if printf '%s\n' "$out" | grep -Eq "$re"; then ok "bench/esp_size.sh prints /$re/"
  else ko "bench/esp_size.sh prints /$re/" "$out"; fi
done
kt_done "$NAME"
