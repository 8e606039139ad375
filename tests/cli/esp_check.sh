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
done
kt_done "$NAME"
