#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# esp_example_check.sh - `make esp-check` (and part of `make test`): the
# ESP-IDF example examples/esp-idf-mqtt compiles for the ESP32-C3 with both
# ESP-IDF kits, and its files agree with each other.
#
# Without a kit (always):
#   - every menuconfig entry of main/Kconfig.projbuild has the same default
#     in app_main.c's #ifndef CONFIG_KBM_* block (the compile checks below,
#     and any build without the Kconfig, use those); a bool entry defaults
#     to n and app_main.c does not #define it (absent = off, as sdkconfig.h);
#   - main/CMakeLists.txt registers exactly the main/*.c files;
#   - CMakeLists.txt points EXTRA_COMPONENT_DIRS and SDKCONFIG_DEFAULTS at
#     ports/esp-idf, which holds the component's header;
#   - the bridge (kbm_bridge.c) and the panel clock (kbm_clock.c) build with
#     the host compiler and no ESP-IDF header (-std=c11 -pedantic): their
#     logic is what tests/unit/espex runs.
# With the kits (KEYBUS_IDF_KITS: the folder holding v5.3.5/ and v6.0.2/;
# .ci/run sets it; without it "skipped", or a failure with
# KB_ESP_CHECK_REQUIRED=1, as `make esp-check` runs it), per kit:
#   - every main/*.c, and src/ha/kb_clock.c (the clock's shared decision),
#     compiles with `idf-gcc --strict -Wall -Wextra -Werror`,
#     include paths include/, src/ha, ports/esp-idf/include and a copy of
#     Debian's jsmn.h in build/esp-example/ (standing for espressif/jsmn);
#     v5.3.5 reaches mqtt_client.h in components/mqtt, v6.0.2 in the managed
#     component espressif__mqtt, as the kits lay them out;
#     plus the component's PUBLIC compile definitions (ports/esp-idf/
#     CMakeLists.txt), as a real build passes them to main;
#   - again with non-default menuconfig values (64 zones, 8 partitions,
#     credentials set, the panel clock on: SNTP, a TZ, partition 2, a code);
#   - app_main.c reaches esp_netif_sntp.h (the SNTP API of IDF 5.1+ and 6.x);
#   - the counter-checks: CONFIG_KBM_ZONES=65 and CONFIG_KBM_SYNC_TIME_PARTITION=9
#     are refused by app_main.c's #errors.
# Not checked here: linking, Ethernet (the kits have no esp_eth), Xtensa
# targets (ESP32, ESP32-S3): only a real `idf.py build` does that.
set -u
. "$(dirname "$0")/lib.sh"
NAME=tests/cli/esp_example_check.sh
EX=examples/esp-idf-mqtt
OUT=build/esp-example

# ---- the example's files agree with each other (no kit needed)
kall=$(awk '/^ *config KBM_/ {name=$2; type=""} /^ *(bool|string|int)( |$)/ && name {type=$1}
  /^ *default / && name {d=$0; sub(/^ *default /, "", d); print (type == "bool" ? "BOOL " : "") "CONFIG_" name " " d; name=""}' \
  "$EX/main/Kconfig.projbuild" | sort)
kconf=$(printf '%s\n' "$kall" | grep -v '^BOOL ')
kbool=$(printf '%s\n' "$kall" | sed -n 's/^BOOL //p')
cdef=$(sed -n 's/^#define \(CONFIG_KBM_[A-Z_]*\) \(.*\)$/\1 \2/p' "$EX/main/app_main.c" | sort)
if [ -n "$kconf" ] && [ "$kconf" = "$cdef" ]; then
  ok "Kconfig.projbuild defaults = app_main.c's #ifndef defaults ($(printf '%s\n' "$kconf" | wc -l) entries)"
else
  ko "Kconfig.projbuild defaults = app_main.c's #ifndef defaults" "$(diff <(printf '%s\n' "$kconf") <(printf '%s\n' "$cdef"))"
fi
bad=""
while read -r name d; do
  [ -z "$name" ] && continue
  [ "$d" = n ] || bad="$bad $name defaults to $d;"
  grep -q "^#define $name\b" "$EX/main/app_main.c" && bad="$bad app_main.c #defines $name;"
done <<<"$kbool"
if [ -n "$kbool" ] && [ -z "$bad" ]; then
  ok "Kconfig.projbuild bools default to n and app_main.c leaves them undefined ($(printf '%s\n' "$kbool" | wc -l))"
else
  ko "Kconfig.projbuild bools default to n and app_main.c leaves them undefined" "${bad:-no bool entry found}"
fi
srcs=$(grep -o '"[a-z_]*\.c"' "$EX/main/CMakeLists.txt" | tr -d '"' | sort | tr '\n' ' ')
have=$(cd "$EX/main" && ls -- *.c | sort | tr '\n' ' ')
if [ "$srcs" = "$have" ]; then ok "main/CMakeLists.txt registers every main/*.c ($have)"
else ko "main/CMakeLists.txt registers every main/*.c" "registered: $srcs; present: $have"; fi
if grep -q 'EXTRA_COMPONENT_DIRS "${CMAKE_CURRENT_LIST_DIR}/../../ports/esp-idf"' "$EX/CMakeLists.txt" &&
   grep -q '/../../ports/esp-idf/sdkconfig.defaults"' "$EX/CMakeLists.txt" &&
   [ -f "$EX/../../ports/esp-idf/include/keybus_esp.h" ]; then
  ok "CMakeLists.txt: EXTRA_COMPONENT_DIRS and SDKCONFIG_DEFAULTS point at ports/esp-idf"
else
  ko "CMakeLists.txt: EXTRA_COMPONENT_DIRS and SDKCONFIG_DEFAULTS point at ports/esp-idf"
fi
mkdir -p "$OUT"
for f in kbm_bridge kbm_clock; do
  if log=$(${CC:-cc} -std=c11 -Wall -Wextra -Werror -pedantic -Wshadow -Wundef -Iinclude -Isrc/ha \
      -c "$EX/main/$f.c" -o "$OUT/$f.host.o" 2>&1); then
    ok "$f.c builds on the host without ESP-IDF (-std=c11 -pedantic)"
  else
    ko "$f.c builds on the host without ESP-IDF" "$log"
  fi
done

# ---- the kits
if [ -z "${KEYBUS_IDF_KITS:-}" ]; then
  why="KEYBUS_IDF_KITS not set: the folder holding the ESP-IDF kits v5.3.5/ and v6.0.2/; .ci/run sets it"
  if [ "${KB_ESP_CHECK_REQUIRED:-0}" = 1 ]; then
    ko "esp-example: $why"
    kt_done "$NAME"
  fi
  kt_skip "$NAME" "esp-example ($why)"
fi
K=$KEYBUS_IDF_KITS
if ! command -v riscv64-unknown-elf-gcc >/dev/null; then
  ko "riscv64-unknown-elf-gcc present (run make deps)"
  kt_done "$NAME"
fi
if [ ! -f /usr/include/jsmn.h ]; then
  ko "jsmn.h present (libjsmn-dev; run make deps)"
  kt_done "$NAME"
fi
mkdir -p "$OUT/jsmn"
cp /usr/include/jsmn.h "$OUT/jsmn/jsmn.h"
FLAGS=(--strict -Wall -Wextra -Werror -Iinclude -Isrc/ha -Iports/esp-idf/include -I"$OUT/jsmn")
# the component's PUBLIC compile definitions reach main in a real build (e.g.
# KB_CONFIG_FILE: kb_bus_t's sizes come from the component's Kconfig): the
# example is compiled with them too
defs=()
if [ -f ports/esp-idf/CMakeLists.txt ]; then
  while IFS= read -r d; do
    [ -n "$d" ] && defs+=("-D${d//\\\"/\"}")
  done < <(sed -n 's/.*target_compile_definitions(${COMPONENT_LIB} PUBLIC "\(.*\)")/\1/p' ports/esp-idf/CMakeLists.txt)
fi
echo "info the keybus component's public definitions: ${defs[*]:-none}"
FLAGS+=("${defs[@]}")
OTHER=(-DCONFIG_KBM_ZONES=64 -DCONFIG_KBM_PARTITIONS=255 '-DCONFIG_KBM_WIFI_SSID="home"'
  '-DCONFIG_KBM_WIFI_PASSWORD="secret99"' '-DCONFIG_KBM_MQTT_USER="ha"' '-DCONFIG_KBM_MQTT_PASSWORD="pw"'
  '-DCONFIG_KBM_BROKER_URI="mqtts://broker:8883"' -DCONFIG_KBM_PUBLISHER_STACK=8192
  -DCONFIG_KBM_SYNC_TIME=1 '-DCONFIG_KBM_SNTP_SERVER="time.example.org"' '-DCONFIG_KBM_TZ="CET-1CEST,M3.5.0,M10.5.0/3"'
  -DCONFIG_KBM_SYNC_TIME_PARTITION=2 '-DCONFIG_KBM_SYNC_TIME_CODE="5555"')
for ver in v5.3.5 v6.0.2; do
  kit=$K/$ver
  if [ ! -x "$kit/idf-gcc" ]; then
    ko "$ver: kit present ($kit/idf-gcc)"
    continue
  fi
  o=$OUT/$ver
  rm -rf "$o" && mkdir -p "$o"
  for variant in defaults other; do
    n=0 bad=""
    for src in "$EX"/main/*.c src/ha/kb_clock.c; do
      extra=()
      [ "$variant" = other ] && extra=("${OTHER[@]}")
      if ! log=$("$kit/idf-gcc" "${FLAGS[@]}" "${extra[@]}" -c "$src" -o "$o/$(basename "$src" .c).$variant.o" 2>&1); then
        bad="$bad$src: $log"$'\n'
      fi
      n=$((n + 1))
    done
    if [ -z "$bad" ]; then ok "$ver: $n files of $EX compile, menuconfig $variant (idf-gcc --strict -Wall -Wextra -Werror)"
    else ko "$ver: $EX compiles, menuconfig $variant" "$bad"; fi
  done
  # the esp-mqtt header the kit lays out for this version is the one used
  if "$kit/idf-gcc" "${FLAGS[@]}" -M "$EX/main/app_main.c" 2>/dev/null | tr ' \\' '\n\n' | grep -q '/mqtt_client\.h$'; then
    where=$("$kit/idf-gcc" "${FLAGS[@]}" -M "$EX/main/app_main.c" 2>/dev/null | tr ' \\' '\n\n' | grep '/mqtt_client\.h$' | sed "s|^$kit/||")
    case "$ver:$where" in
      v5.3.5:components/mqtt/*|v6.0.2:managed_components/espressif__mqtt/*) ok "$ver: mqtt_client.h from $where" ;;
      *) ko "$ver: mqtt_client.h from the kit's esp-mqtt" "$where" ;;
    esac
  else
    ko "$ver: app_main.c reaches mqtt_client.h"
  fi
  # the SNTP API both versions offer (esp_netif_sntp, not lwIP's esp_sntp.h)
  if "$kit/idf-gcc" "${FLAGS[@]}" -M "$EX/main/app_main.c" 2>/dev/null | tr ' \\' '\n\n' |
      grep -q "components/esp_netif/include/esp_netif_sntp\.h$"; then
    ok "$ver: app_main.c reaches esp_netif_sntp.h in components/esp_netif"
  else
    ko "$ver: app_main.c reaches esp_netif_sntp.h in components/esp_netif"
  fi
  # counter-checks: the range guards
  if log=$("$kit/idf-gcc" "${FLAGS[@]}" -DCONFIG_KBM_ZONES=65 -c "$EX/main/app_main.c" -o "$o/zones65.o" 2>&1); then
    ko "$ver: CONFIG_KBM_ZONES=65 is refused (it compiled)"
  elif printf '%s\n' "$log" | grep -q 'CONFIG_KBM_ZONES must be'; then
    ok "$ver: CONFIG_KBM_ZONES=65 is refused by its #error"
  else
    ko "$ver: CONFIG_KBM_ZONES=65 is refused for the documented reason" "$log"
  fi
  if log=$("$kit/idf-gcc" "${FLAGS[@]}" -DCONFIG_KBM_SYNC_TIME_PARTITION=9 -c "$EX/main/app_main.c" -o "$o/part9.o" 2>&1); then
    ko "$ver: CONFIG_KBM_SYNC_TIME_PARTITION=9 is refused (it compiled)"
  elif printf '%s\n' "$log" | grep -q 'CONFIG_KBM_SYNC_TIME_PARTITION must be'; then
    ok "$ver: CONFIG_KBM_SYNC_TIME_PARTITION=9 is refused by its #error"
  else
    ko "$ver: CONFIG_KBM_SYNC_TIME_PARTITION=9 is refused for the documented reason" "$log"
  fi
done
kt_done "$NAME"
