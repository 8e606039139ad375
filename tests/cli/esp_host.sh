#!/usr/bin/env bash
# esp_host.sh - part of `make test`: the ESP-IDF component (ports/esp-idf)
# run on the host against the simulated panel, on the fake of the ESP-IDF
# calls it makes (tests/esp: esp_fake.c, include/), under ASan+UBSan.
# Self-contained: builds into build/esp-host/ (no Makefile rule).
#   - the component's sources and the engine compile with the project's host
#     flags (-Werror -pedantic ...), the component's KB_CONFIG_FILE, with gcc
#     (ASan+UBSan) and clang (-O2), and the test passes with both;
#   - tests/esp/test_esp_port.c passes (frames through the real handlers,
#     init/stop order, every init failure, no heap after init, health,
#     the no-panel log budget, start/stop/start, failed allocations);
#   - tests/esp/test_esp_panel.c passes with both compilers (the panel role:
#     kbe_panel.c, kbe_panel_isr.c on the fake's periodic timer against the
#     simulated keypad: start-up sequence, lights, keys to the callback,
#     Classic, every init failure, no heap after init, start/stop/start,
#     health, the not-started log budget);
#   - every int CONFIG_KEYBUS_* of ports/esp-idf/Kconfig has its #ifndef
#     default in keybus_esp_config.h or keybus_esp_panel.h, and the sources
#     use no other one; bool ones (the role, Classic) have none and are
#     tested only with defined()/#ifdef; with python3-kconfiglib, the
#     Kconfig parses and its defaults are the headers';
#   - with KEYBUS_IDF_KITS: the fake (esp_fake.c) compiles against both kits'
#     real headers, so its signatures are ESP-IDF's (and a drifted signature
#     is refused: counter-test); without the kits that part is skipped.
set -u
. "$(dirname "$0")/lib.sh"
NAME=tests/cli/esp_host.sh
OUT=build/esp-host
mkdir -p "$OUT"
# parts that cannot run here: "skipped: ..." lines, counted apart (tests/run.sh)
nskip=0

COMMON=(-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Wshadow -Wundef -g
  -DKBE_HOST_FAKE '-DKB_CONFIG_FILE="keybus_esp_config.h"'
  -Itests/esp/include -Itests/esp -Iports/esp-idf -Iports/esp-idf/include -Iinclude -Isrc -Itests)
SRCS=(ports/esp-idf/*.c src/core/*.c src/sim/kb_sim_panel.c src/host/kb_wave.c tests/esp/esp_fake.c
  tests/esp/test_esp_port.c tests/harness.c)
# gcc with ASan+UBSan (the run that matters), clang -O2 (the other compiler)
for variant in gcc-asan clang; do
  case $variant in
    gcc-asan) cc=gcc; extra=(-O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer) ;;
    clang) cc=clang; extra=(-O2) ;;
  esac
  if ! command -v "$cc" >/dev/null; then
    ko "$variant: $cc present (run make deps)"
    continue
  fi
  bin=$OUT/test_esp_port-$variant
  if log=$("$cc" "${COMMON[@]}" "${extra[@]}" "${SRCS[@]}" -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc \
    -o "$bin" 2>&1); then
    ok "$variant: build ports/esp-idf + engine + fake + simulated panel (-Werror -pedantic)"
    if log=$(ASAN_OPTIONS=detect_leaks=1 "$bin" 2>&1); then
      ok "$variant: run: $(printf '%s\n' "$log" | grep '^kt:')"
    else
      ko "$variant: run tests/esp/test_esp_port.c" "$(printf '%s\n' "$log" | grep -v '^ok ' | tail -n 30)"
    fi
  else
    ko "$variant: build tests/esp (host)" "$log"
  fi
  # the panel role against the simulated keypad
  bin=$OUT/test_esp_panel-$variant
  if log=$("$cc" "${COMMON[@]}" "${extra[@]}" ports/esp-idf/*.c src/core/*.c src/sim/kb_sim_keypad.c \
    src/host/kb_vcd.c src/host/kb_capture.c tests/esp/esp_fake.c tests/esp/test_esp_panel.c tests/harness.c \
    -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc -o "$bin" 2>&1); then
    ok "$variant: build the panel role + engine + fake + simulated keypad (-Werror -pedantic)"
    if log=$(ASAN_OPTIONS=detect_leaks=1 "$bin" 2>&1); then
      ok "$variant: run: $(printf '%s\n' "$log" | grep '^kt:')"
    else
      ko "$variant: run tests/esp/test_esp_panel.c" "$(printf '%s\n' "$log" | grep -v '^ok ' | tail -n 30)"
    fi
  else
    ko "$variant: build tests/esp panel role (host)" "$log"
  fi
done

# Kconfig <-> the #ifndef defaults (the ESPHome build has no Kconfig)
# bool symbols: a `config KEYBUS_X` whose next line is a bool type
bools=$(awk '/^ *config KEYBUS_/ {s = $2; next} s != "" && NF {if ($1 == "bool") print "CONFIG_" s; s = ""}' \
  ports/esp-idf/Kconfig | sort -u)
kconf=$(sed -n 's/^ *config \(KEYBUS_[A-Z0-9_]*\)$/CONFIG_\1/p' ports/esp-idf/Kconfig | sort -u | comm -23 - <(echo "$bools"))
defs=$(sed -n 's/^#ifndef \(CONFIG_KEYBUS_[A-Z0-9_]*\)$/\1/p' ports/esp-idf/include/keybus_esp_config.h \
  ports/esp-idf/include/keybus_esp_panel.h | sort)
used=$(grep -ho 'CONFIG_KEYBUS_[A-Z0-9][A-Z0-9_]*' ports/esp-idf/*.c ports/esp-idf/*.h ports/esp-idf/include/*.h |
  sort -u | comm -23 - <(echo "$bools"))
if [ -n "$kconf" ] && [ "$kconf" = "$defs" ]; then ok "every int Kconfig symbol has one #ifndef default in keybus_esp_config.h / keybus_esp_panel.h ($(echo "$kconf" | wc -l))"
else ko "Kconfig symbols = #ifndef defaults" "$(diff <(echo "$kconf") <(echo "$defs"))"; fi
if [ "$used" = "$defs" ]; then ok "the sources use only the Kconfig's CONFIG_KEYBUS_* symbols"
else ko "CONFIG_KEYBUS_* used = defined" "$(diff <(echo "$used") <(echo "$defs"))"; fi
# a bool is only ever tested for being defined (an unset one is undefined)
bad=""
for b in $bools; do
  bad="$bad$(grep -n "$b" ports/esp-idf/*.c ports/esp-idf/*.h ports/esp-idf/include/*.h |
    grep -v "defined($b)\|#ifdef $b\b" | grep -v '^[^:]*:[0-9]*: *\(/\*\|\*\)')"
done
if [ -n "$bools" ] && [ -z "$bad" ]; then ok "bool Kconfig symbols ($(echo $bools)) are tested with defined()/#ifdef only"
else ko "bool Kconfig symbols tested with defined() only" "$bad"; fi

# the Kconfig parses (kconfiglib, as ESP-IDF's kconfgen) and its defaults
# (non-ESP32 target) are the header's
if /usr/bin/python3 -c 'import kconfiglib' 2>/dev/null; then
  if log=$(/usr/bin/python3 tests/esp/kconfig_defaults.py ports/esp-idf/Kconfig \
    ports/esp-idf/include/keybus_esp_config.h "$OUT" ports/esp-idf/include/keybus_esp_panel.h 2>&1); then
    ok "Kconfig parses without warning and its defaults are keybus_esp_config.h's ($(printf '%s\n' "$log" | wc -l) symbols)"
  else
    ko "Kconfig defaults = keybus_esp_config.h defaults" "$log"
  fi
else
  echo "skipped: esp-host kconfig (python3-kconfiglib not installed: the Kconfig is not parsed)"
  nskip=$((nskip + 1))
fi

# the fake's signatures against the real headers
if [ -z "${KEYBUS_IDF_KITS:-}" ]; then
  echo "skipped: esp-host signatures (KEYBUS_IDF_KITS not set: the fake is not compared with the real ESP-IDF headers)"
  nskip=$((nskip + 1))
elif ! command -v riscv64-unknown-elf-gcc >/dev/null; then
  ko "riscv64-unknown-elf-gcc present for the signature check (run make deps)"
else
  sed 's/^uint32_t ulTaskGenericNotifyTake(UBaseType_t uxIndexToWaitOn,/uint32_t ulTaskGenericNotifyTake(uint8_t uxIndexToWaitOn,/' \
    tests/esp/esp_fake.c >"$OUT/esp_fake_drift.c"
  for ver in v5.3.5 v6.0.2; do
    kit=$KEYBUS_IDF_KITS/$ver
    if log=$("$kit/idf-gcc" --strict -Wall -Wextra -Werror -DKBE_FAKE_REAL_HEADERS -Itests/esp \
      -c tests/esp/esp_fake.c -o "$OUT/esp_fake_$ver.o" 2>&1); then
      ok "$ver: the fake's definitions match the real ESP-IDF prototypes (esp_fake.c compiled against the kit)"
    else
      ko "$ver: esp_fake.c against the kit's headers" "$log"
    fi
    if cmp -s "$OUT/esp_fake_drift.c" tests/esp/esp_fake.c; then
      ko "$ver: signature counter-test: the drift sed still matches esp_fake.c"
    elif log=$("$kit/idf-gcc" --strict -Wall -Wextra -Werror -DKBE_FAKE_REAL_HEADERS -Itests/esp \
      -c "$OUT/esp_fake_drift.c" -o "$OUT/esp_fake_drift.o" 2>&1); then
      ko "$ver: signature counter-test: a drifted prototype is refused (it compiled)"
    elif printf '%s\n' "$log" | grep -q "conflicting types for 'ulTaskGenericNotifyTake'"; then
      ok "$ver: signature counter-test: a drifted prototype is refused (conflicting types)"
    else
      ko "$ver: signature counter-test refused for the right reason" "$log"
    fi
  done
fi
if [ "$nskip" -gt 0 ]; then
  echo "kt: $NAME: $pass passed, $fail failed, $nskip skipped"
  [ "$fail" -eq 0 ] && exit 0
  exit 1
fi
kt_done "$NAME"
