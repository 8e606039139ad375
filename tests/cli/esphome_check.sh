#!/usr/bin/env bash
# esphome_check.sh - `make esphome-check` (and part of `make test`): the ESPHome
# external component (ports/esphome/components/keybus) run for real on
# ESPHome's host platform, through ESPHome 2024.10.2's own front end.
#
# The kit (the project's third-party README, section 2) is found ONLY through
# KEYBUS_ESPHOME_KIT (the esphome-2024.10.2 folder: its esphome/ is the Python
# package and the C++ runtime); .ci/run sets it. Without it the script reports
# "skipped" (counted neither passed nor failed), unless
# KB_ESPHOME_CHECK_REQUIRED=1 (make esphome-check), which fails instead.
#
# Cases:
#   - tests/esphome/keybus-host.yaml, its external_components pointing at
#     <repo>/ports/esphome/components (type: local), passes the real
#     `esphome config`; the access code (secrets.yaml) is not in its output;
#   - the real `esphome compile --only-generate` writes the tree, with the
#     engine sources copied by the component's to_code() under src/keybus/
#     (and not kb_ha_parse.c, which needs jsmn);
#   - that very tree compiles as PlatformIO would (tests/esphome/build.mk:
#     every .c with gcc, every .cpp with g++, the generated platformio.ini's
#     build_flags), with no warning in the component's or the engine's code;
#   - the program runs (HOME in the build folder; it ends by itself at the
#     YAML's simulation stop_after) and the alarm_control_panel follows
#     disarmed -> arming -> armed_away -> pending -> triggered -> disarmed:
#     the arm action with the YAML's code reaches the simulated panel, the
#     simulation opens zone 1, the disarm with the code; zones and health
#     values publish; each loop() stays within its bounds (counted: frames,
#     events, publications; each bound reached at least once, so the count
#     means something); the longest loop() is reported as a figure;
#   - every tests/esphome/invalid/*.yaml is rejected by `esphome config` with
#     the message of its "# expect:" line (the key is named);
#   - the component alone (copied without the repository) fails config with
#     the "engine not found" message;
#   - the keybus: block of examples/esphome/*.yaml equals the host YAML's
#     (the host-only simulation: block left out).
set -u
. "$(dirname "$0")/lib.sh"
NAME=tests/cli/esphome_check.sh

if [ -z "${KEYBUS_ESPHOME_KIT:-}" ]; then
  why="KEYBUS_ESPHOME_KIT not set: the ESPHome 2024.10.2 kit folder; .ci/run sets it"
  if [ "${KB_ESPHOME_CHECK_REQUIRED:-0}" = 1 ]; then
    ko "esphome-check: $why"
    kt_done "$NAME"
  fi
  kt_skip "$NAME" "esphome-check ($why)"
fi
K=$(cd "$KEYBUS_ESPHOME_KIT" 2>/dev/null && pwd)
if [ -z "$K" ] || [ ! -f "$K/esphome/__main__.py" ]; then
  ko "esphome-check: KEYBUS_ESPHOME_KIT=$KEYBUS_ESPHOME_KIT holds no esphome/__main__.py"
  kt_done "$NAME"
fi
PY=${PYTHON:-/usr/bin/python3}
for tool in "$PY" gcc g++ make; do
  if ! command -v "$tool" >/dev/null; then
    ko "$tool present (run make deps)"
    kt_done "$NAME"
  fi
done
if ! "$PY" -c 'import voluptuous, yaml, colorama, argcomplete' 2>/dev/null; then
  ko "python modules for the ESPHome front end (python3-voluptuous python3-yaml python3-colorama python3-argcomplete: run make deps)"
  kt_done "$NAME"
fi

REPO=$(pwd)
B=$REPO/build/esphome
CFG=$B/config
mkdir -p "$CFG" "$B/home"
rm -rf "$CFG/invalid" "$CFG/alone"
# the inputs are copied (esphome writes .esphome/ and .gitignore next to the
# YAML), the component path made absolute: <repo>/ports/esphome/components
abs() { sed "s#path: [./]*ports/esphome/components#path: $REPO/ports/esphome/components#" "$1" > "$2"; }
abs tests/esphome/keybus-host.yaml "$CFG/keybus-host.yaml"
cp tests/esphome/secrets.yaml "$CFG/secrets.yaml"
rm -rf "$CFG/invalid-esp32"
mkdir -p "$CFG/invalid" "$CFG/invalid-esp32"
for f in tests/esphome/invalid/*.yaml; do abs "$f" "$CFG/invalid/$(basename "$f")"; done
for f in tests/esphome/invalid-esp32/*.yaml; do abs "$f" "$CFG/invalid-esp32/$(basename "$f")"; done
esphome() { (cd "$CFG" && TZ=Etc/UTC PYTHONPATH="$K:$K/stubs" PYTHONPYCACHEPREFIX="$B/pycache" "$PY" -m esphome "$@"); }
CODE=$(sed -n 's/^keybus_code: *"\([0-9]*\)".*/\1/p' tests/esphome/secrets.yaml)

# 1. esphome config
out=$(esphome config keybus-host.yaml 2>&1)
rc=$?
if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q "Configuration is valid!"; then ok "esphome config keybus-host.yaml: valid"
else ko "esphome config keybus-host.yaml: valid (rc=$rc)" "$(printf '%s\n' "$out" | tail -n 30)"; fi
if [ -n "$CODE" ] && ! printf '%s\n' "$out" | grep -q "$CODE" && printf '%s\n' "$out" | grep -q "code: !secret"; then
  ok "esphome config: the code shows as !secret, never its digits"
else ko "esphome config: the code shows as !secret, never its digits"; fi

# 2. esphome compile --only-generate
out=$(esphome compile --only-generate keybus-host.yaml 2>&1)
rc=$?
GEN=$CFG/.esphome/build/keybus-host-test
if [ $rc -eq 0 ] && [ -f "$GEN/src/main.cpp" ] && [ -f "$GEN/platformio.ini" ]; then ok "esphome compile --only-generate"
else
  ko "esphome compile --only-generate (rc=$rc)" "$(printf '%s\n' "$out" | tail -n 30)"
  kt_done "$NAME"
fi
miss=""
for f in include/keybus/kb_bus.h src/core/kb_bus.c src/ha/kb_ha.c src/ha/kb_ha.h src/sim/kb_sim_panel.c src/sim/kb_wire.c; do
  cmp -s "$f" "$GEN/src/keybus/$f" || miss="$miss $f"
done
[ -e "$GEN/src/keybus/src/ha/kb_ha_parse.c" ] && miss="$miss (kb_ha_parse.c copied)"
[ -e "$GEN/src/keybus/ports" ] && miss="$miss (ports/esp-idf copied for the host)"
ls "$GEN/src/esphome/components/keybus/keybus_hub.cpp" >/dev/null 2>&1 || miss="$miss (component C++ not in src/esphome/components/keybus)"
for flag in -Isrc/keybus/include -Isrc/keybus/src -Isrc/keybus/src/ha; do
  grep -q -- "^ *$flag\$" "$GEN/platformio.ini" || miss="$miss (build flag $flag)"
done
if [ -z "$miss" ]; then ok "to_code copied the engine into src/keybus/ with its include flags (the generated platformio.ini)"
else ko "to_code copied the engine into src/keybus/ with its include flags" "missing or wrong:$miss"; fi

# 3. the generated tree, compiled as PlatformIO would (the objects of the
#    component and the engine always rebuilt: their warnings are judged below)
rm -rf "$B/obj/src/keybus" "$B/obj/src/esphome/components/keybus"
out=$(make --no-print-directory -f "$REPO/tests/esphome/build.mk" -C "$GEN" OBJ="$B/obj" OUT="$B/keybus-host" -j"${KB_JOBS:-2}" 2>&1)
rc=$?
nc=$(find "$GEN/src" -name '*.c' | wc -l)
ncpp=$(find "$GEN/src" -name '*.cpp' | wc -l)
if [ $rc -eq 0 ] && [ -x "$B/keybus-host" ]; then ok "generated tree built: $nc .c with gcc, $ncpp .cpp with g++, the platformio.ini build_flags"
else
  ko "generated tree built (rc=$rc)" "$(printf '%s\n' "$out" | grep -E 'error|warning' | head -n 30)"
  kt_done "$NAME"
fi
# warnings: our code (the component, the engine) must have none
warn=$(printf '%s\n' "$out" | grep -E 'warning:' | grep -E 'components/keybus/|src/keybus/' || true)
if [ -z "$warn" ]; then ok "no compiler warning in the component or the engine sources"
else ko "no compiler warning in the component or the engine sources" "$warn"; fi

# the component's own C++ held to -Wall -Wextra -Werror (ESPHome's headers
# included); the build_flags are word-split as a shell would (eval), as
# PlatformIO does: -DKB_CONFIG_FILE=\"keybus_esp_config.h\" keeps its quotes
pflags() { awk '/^\[env:/{e=1;next} /^\[/{e=0} e&&/^build_flags *=/{b=1;next} e&&b&&/^[ \t]/{print $1;next} {b=0}' "$1/platformio.ini" | tr '\n' ' '; }
bad=""
for f in "$GEN"/src/esphome/components/keybus/*.cpp; do
  o=$(cd "$GEN" && eval "g++ $(pflags "$GEN") -Isrc -Wall -Wextra -Werror -fsyntax-only ${f#"$GEN"/}" 2>&1) || bad="$bad$o"
done
if [ -z "$bad" ]; then ok "component C++ (host): -Wall -Wextra -Werror"
else ko "component C++ (host): -Wall -Wextra -Werror" "$bad"; fi

# 4. run it: ends by itself (simulation stop_after: App.safe_reboot -> exit 0)
log=$B/run.log
(cd "$B" && HOME=$B/home timeout 120 ./keybus-host) > "$log.raw" 2>&1
rc=$?
sed 's/\x1b\[[0-9;]*m//g' "$log.raw" > "$log"
if [ $rc -eq 0 ] && grep -q "summary: loops=" "$log" && grep -q "Rebooting safely" "$log"; then ok "the program ran and ended by itself (exit 0)"
else ko "the program ran and ended by itself (rc=$rc)" "$(tail -n 20 "$log")"; fi

states=$(sed -n "s/.*\[alarm_control_panel:[0-9]*\]: Set state to: \([A-Z_]*\), previous: \([A-Z_]*\).*/\2>\1/p" "$log" | tr '\n' ' ')
want="DISARMED>ARMING ARMING>ARMED_AWAY ARMED_AWAY>PENDING PENDING>TRIGGERED TRIGGERED>DISARMED "
if [ "$states" = "$want" ]; then ok "alarm_control_panel: disarmed -> arming -> armed_away -> pending -> triggered -> disarmed"
else ko "alarm_control_panel: disarmed -> arming -> armed_away -> pending -> triggered -> disarmed" "got: $states"; fi
check "the arm action with the YAML's code reached the simulated panel (user code 1 started the exit delay)" \
  grep -q "simulated panel: partition 1 exit delay (arming away, access code number 1)" "$log"
check "the simulation opened zone 1 (entry delay), the alarm followed" \
  bash -c "grep -q 'simulated panel: partition 1 entry delay (zone 1)' '$log' && grep -q 'simulated panel: partition 1 alarm (zone 1)' '$log'"
check "the disarm with the YAML's code reached the simulated panel" \
  grep -q "simulated panel: partition 1 disarmed by access code number 1" "$log"
check "keybus.write_keys reached the simulated panel (c: door chime on)" \
  grep -q "simulated panel: partition 1 door chime on" "$log"
check "zone 1 published open, then closed" \
  bash -c "grep -q \"'Zone 1 Front door': Sending state ON\" '$log' && grep -q \"'Zone 1 Front door': Sending state OFF\" '$log'"
check "zone 1 alarm published" grep -q "'Zone 1 alarm': Sending state ON" "$log"
check "keybus connected and healthy published ON" \
  bash -c "grep -q \"'Keybus connected': Sending state ON\" '$log' && grep -q \"'Keybus healthy': Sending state ON\" '$log'"
frames_pub=$(sed -n "s/.*'Keybus frames': Sending state \([0-9]*\).*/\1/p" "$log" | tail -n 1)
if [ -n "$frames_pub" ] && [ "$frames_pub" -gt 100 ]; then ok "health values publish (frames: last $frames_pub)"
else ko "health values publish (frames)" "last frames value: '${frames_pub}'"; fi
check "health values publish (errors 0, largest free block: nan on the host)" \
  bash -c "grep -q \"'Keybus errors': Sending state 0\" '$log' && grep -q \"'Largest free block': Sending state nan\" '$log'"
check "partition status text published" grep -q "'Partition 1 status': Sending state 'ready to arm'" "$log"
check "last event text published (exit delay, zone 1 open)" \
  bash -c "grep -q \"'Keybus last event': Sending state 'partition 1 exit delay'\" '$log' && grep -q \"'Keybus last event': Sending state 'zone 1 open'\" '$log'"
if [ -n "$CODE" ] && ! grep -q "$CODE" "$log"; then ok "the code never appears in the log"
else ko "the code never appears in the log" "$(grep -n "$CODE" "$log" | head -n 5)"; fi

# bounded work (counts, not time)
sum=$(grep -o "summary: .*" "$log" | tail -n 1)
val() { printf '%s\n' "$sum" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
bf=$(val bound_frames) be=$(val bound_events) bp=$(val bound_publish)
mf=$(val max_frames_per_loop) me=$(val max_events_per_loop) mp=$(val max_publish_per_loop)
lf=$(val loops_at_frame_bound) le_=$(val loops_at_event_bound) lp=$(val loops_at_publish_bound)
mfm=$(val max_frames_per_message) mus=$(val max_loop_us) loops=$(val loops) dropped=$(val events_dropped)
if [ -n "$mf" ] && [ "$mf" -le "$bf" ] && [ "$me" -le "$be" ] && [ "$mp" -le "$bp" ] && [ "$mfm" -le 2 ]; then
  ok "each loop() within its bounds: frames $mf <= $bf, events $me <= $be, publications $mp <= $bp"
else ko "each loop() within its bounds" "$sum"; fi
if [ -n "$lf" ] && [ "$lf" -gt 0 ] && [ "$le_" -gt 0 ] && [ "$lp" -gt 0 ]; then
  ok "every bound was reached (loops at the bound: frames $lf, events $le_, publications $lp of $loops)"
else ko "every bound was reached (else the count proves nothing)" "$sum"; fi
if [ -n "$mus" ] && [ "$mus" -lt 5000 ]; then ok "longest loop() under 5 ms"
else ko "longest loop() under 5 ms" "$sum"; fi
echo "figure esphome-host max_loop_us=$mus loops=$loops max_frames_per_loop=$mf max_events_per_loop=$me max_publish_per_loop=$mp events_dropped=$dropped"

# 5. invalid configurations (host platform; esp32 platform: the kit's front
#    end validates an esp32: configuration, it cannot generate one): rejected
#    with the "# expect:" message; "# key:" = the line ESPHome prints right
#    after the message (where its validator's text does not name the key)
for f in "$CFG"/invalid/*.yaml "$CFG"/invalid-esp32/*.yaml; do
  rel=${f#"$CFG"/}
  exp=$(sed -n 's/^# expect: //p' "$f")
  key=$(sed -n 's/^# key: //p' "$f")
  out=$(esphome config "$rel" 2>&1)
  rc=$?
  good=0
  if [ $rc -ne 0 ] && [ -n "$exp" ] && printf '%s\n' "$out" | grep -qF -- "$exp"; then
    good=1
    if [ -n "$key" ] && ! printf '%s\n' "$out" | grep -A1 -F -- "$exp" | tail -n 1 | grep -qF -- "$key"; then good=0; fi
  fi
  if [ $good = 1 ]; then ok "$rel rejected: $exp${key:+ [$key]}"
  else ko "$rel rejected: $exp${key:+ [$key]} (rc=$rc)" "$(printf '%s\n' "$out" | tail -n 20)"; fi
done

# 6. the component without the repository around it: a clear config error
mkdir -p "$CFG/alone/components"
cp -R ports/esphome/components/keybus "$CFG/alone/components/"
rm -rf "$CFG/alone/components/keybus/__pycache__"
sed "s#path: .*ports/esphome/components#path: $CFG/alone/components#" "$CFG/keybus-host.yaml" > "$CFG/alone.yaml"
out=$(esphome config alone.yaml 2>&1)
rc=$?
if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q "the C engine was not found"; then ok "component without the repository: config fails, 'the C engine was not found'"
else ko "component without the repository: config fails, 'the C engine was not found' (rc=$rc)" "$(printf '%s\n' "$out" | tail -n 10)"; fi

# 7. the examples' keybus: block = the host YAML's (simulation: left out)
keybus_block() {
  awk '/^keybus:/{k=1; print; next} k && /^[^ #]/{k=0} k && /^  simulation:/{s=1; next} s && /^  [^ ]/{s=0} k && !s && !/^ *$/' "$1"
}
host_block=$(keybus_block tests/esphome/keybus-host.yaml)
for ex in examples/esphome/keybus-esp32-devkit.yaml examples/esphome/keybus-wt32-eth01.yaml; do
  if [ ! -f "$ex" ]; then ko "$ex present"; continue; fi
  d=$(diff <(printf '%s\n' "$host_block") <(keybus_block "$ex"))
  if [ -n "$host_block" ] && [ -z "$d" ]; then ok "$ex: keybus: block identical to the host YAML's"
  else ko "$ex: keybus: block identical to the host YAML's" "$d"; fi
done

# 8. the examples on the esp32 platform, as far as the kit goes: the kit's
#    front end has the esp32 component's Python (schema, pins, variant,
#    sdkconfig) but not api/ota/wifi/ethernet: those sections are left out and
#    the git source becomes a local one; `esphome config` must accept the rest
#    (the keybus part included, with ESPHome's own esp32 pin checks)
esp32_yaml() {
  awk '/^[a-z_]+:/{skip=($1=="external_components:"||$1=="api:"||$1=="ota:"||$1=="wifi:"||$1=="ethernet:")} !skip' "$1"
  printf 'external_components:\n  - source:\n      type: local\n      path: %s/ports/esphome/components\n    components: [keybus]\n' "$REPO"
}
for ex in examples/esphome/keybus-esp32-devkit.yaml examples/esphome/keybus-wt32-eth01.yaml; do
  [ -f "$ex" ] || continue
  y=esp32-$(basename "$ex")
  esp32_yaml "$ex" > "$CFG/$y"
  out=$(esphome config "$y" 2>&1)
  rc=$?
  if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q "Configuration is valid!"; then ok "$ex without api/ota/wifi/ethernet: valid on the esp32 platform"
  else ko "$ex without api/ota/wifi/ethernet: valid on the esp32 platform (rc=$rc)" "$(printf '%s\n' "$out" | tail -n 20)"; fi
done
#    and the esp32 generation up to where the kit stops (it lacks the esp32
#    component's post_build.py.script, copied after every to_code() ran and
#    platformio.ini and the sdkconfig were written): the engine for ESP32
#    (ports/esp-idf, no src/sim), its include flags, the IRAM options
y=esp32-keybus-esp32-devkit.yaml
if [ -f "$CFG/$y" ]; then
  out=$(esphome compile --only-generate "$y" 2>&1)
  rc=$?
  EG=$CFG/.esphome/build/keybus-devkit
  if [ $rc -eq 0 ] || printf '%s\n' "$out" | grep -q "post_build.py.script"; then
    miss=""
    for f in ports/esp-idf/*.c ports/esp-idf/include/*.h src/core/kb_bus.c src/ha/kb_ha.c; do
      [ -e "$f" ] || continue
      cmp -s "$f" "$EG/src/keybus/$f" || miss="$miss $f"
    done
    [ -e "$EG/src/keybus/src/sim" ] && miss="$miss (src/sim copied for esp32)"
    [ -e "$EG/src/keybus/src/ha/kb_ha_parse.c" ] && miss="$miss (kb_ha_parse.c copied)"
    for flag in -Isrc/keybus/include -Isrc/keybus/ports/esp-idf/include -Isrc/keybus/src -Isrc/keybus/src/ha; do
      grep -q -- "^ *$flag\$" "$EG/platformio.ini" || miss="$miss (build flag $flag)"
    done
    opts="CONFIG_GPTIMER_ISR_IRAM_SAFE=y CONFIG_GPTIMER_CTRL_FUNC_IN_IRAM=y"
    [ -f ports/esp-idf/sdkconfig.defaults ] && opts=$(grep -E '^CONFIG_[A-Z0-9_]+=' ports/esp-idf/sdkconfig.defaults)
    if [ -f ports/esp-idf/include/keybus_esp_config.h ] &&
       ! grep -q '^ *-DKB_CONFIG_FILE=\\"keybus_esp_config.h\\"$' "$EG/platformio.ini"; then
      miss="$miss (build flag KB_CONFIG_FILE)"
    fi
    for opt in $opts; do
      grep -qx "$opt" "$EG/sdkconfig.keybus-devkit" || miss="$miss ($opt not in the sdkconfig)"
    done
    if [ -z "$miss" ]; then ok "esp32 generation: ports/esp-idf and the engine copied, include flags, ports/esp-idf's sdkconfig options (up to the kit's gap)"
    else ko "esp32 generation: ports/esp-idf and the engine copied, include flags, IRAM sdkconfig options" "missing or wrong:$miss"; fi
    # the ESP32 glue (USE_ESP32, the esp32 build_flags) type-checked on the
    # host against ESPHome's real headers and the real keybus_esp.h; the few
    # ESP-IDF names they reach are stubbed (tests/esphome/esp32-stubs): a
    # syntax and type check, not an ESP32 build (no Xtensa/RISC-V C++ here)
    bad=""
    for f in "$EG"/src/esphome/components/keybus/*.cpp; do
      o=$(cd "$EG" && eval "g++ -std=gnu++17 $(pflags "$EG") -Isrc -I$REPO/tests/esphome/esp32-stubs -Wall -Wextra -Werror \
            -fsyntax-only ${f#"$EG"/}" 2>&1) || bad="$bad$o"
    done
    if [ -z "$bad" ]; then ok "component C++ for USE_ESP32 (keybus_esp.h, attach_interrupt): type-checks, -Wall -Wextra -Werror"
    else ko "component C++ for USE_ESP32: type-checks, -Wall -Wextra -Werror" "$bad"; fi
  else
    ko "esp32 generation (rc=$rc)" "$(printf '%s\n' "$out" | tail -n 20)"
  fi
fi


# 9. panel: classic (issue 11) on the host: the simulated Classic panel
#    behind the port seam (tests/esphome/keybus-host-classic.yaml): config,
#    generation, the tree built and run; only what a Classic panel reports is
#    configured (the rest is refused: tests/esphome/invalid/classic-*.yaml)
abs tests/esphome/keybus-host-classic.yaml "$CFG/keybus-host-classic.yaml"
out=$(esphome config keybus-host-classic.yaml 2>&1)
rc=$?
if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q "Configuration is valid!"; then ok "classic: esphome config keybus-host-classic.yaml: valid"
else ko "classic: esphome config keybus-host-classic.yaml: valid (rc=$rc)" "$(printf '%s\n' "$out" | tail -n 30)"; fi
out=$(esphome compile --only-generate keybus-host-classic.yaml 2>&1)
rc=$?
GC=$CFG/.esphome/build/keybus-host-classic
if [ $rc -eq 0 ] && [ -f "$GC/src/keybus/src/sim/kb_sim_classic.c" ] && [ -f "$GC/src/keybus/src/host/kb_cls_edges.c" ]; then
  ok "classic: generated, the simulated Classic panel copied"
  rm -rf "$B/obj-classic/src/keybus" "$B/obj-classic/src/esphome/components/keybus"
  out=$(make --no-print-directory -f "$REPO/tests/esphome/build.mk" -C "$GC" OBJ="$B/obj-classic" OUT="$B/keybus-host-classic" -j"${KB_JOBS:-2}" 2>&1)
  rc=$?
  if [ $rc -eq 0 ] && [ -x "$B/keybus-host-classic" ]; then ok "classic: generated tree built"
  else ko "classic: generated tree built (rc=$rc)" "$(printf '%s\n' "$out" | grep -E 'error|warning' | head -n 30)"; fi
  warn=$(printf '%s\n' "$out" | grep -E 'warning:' | grep -E 'components/keybus/|src/keybus/' || true)
  if [ -z "$warn" ]; then ok "classic: no compiler warning in the component or the engine sources"
  else ko "classic: no compiler warning in the component or the engine sources" "$warn"; fi
  clog=$B/run-classic.log
  (cd "$B" && HOME=$B/home timeout 120 ./keybus-host-classic) > "$clog.raw" 2>&1
  rc=$?
  sed 's/\x1b\[[0-9;]*m//g' "$clog.raw" > "$clog"
  if [ $rc -eq 0 ] && grep -q "Rebooting safely" "$clog"; then ok "classic: the program ran and ended by itself (exit 0)"
  else ko "classic: the program ran and ended by itself (rc=$rc)" "$(tail -n 20 "$clog")"; fi
  check "classic: the simulated Classic panel started" grep -q "simulated Classic panel (no hardware)" "$clog"
  states=$(sed -n "s/.*\[alarm_control_panel:[0-9]*\]: Set state to: \([A-Z_]*\), previous: \([A-Z_]*\).*/\2>\1/p" "$clog" | tr '\n' ' ')
  # armed away (the code typed by the Classic virtual keypad), zone 1 opened:
  # triggered (no entry delay on a Classic), disarmed with the code
  if printf '%s\n' "$states" | grep -qE 'ARMED_AWAY .*ARMED_AWAY>TRIGGERED TRIGGERED>DISARMED|>ARMED_AWAY ARMED_AWAY>TRIGGERED TRIGGERED>DISARMED'; then
    ok "classic: alarm_control_panel: armed_away -> triggered -> disarmed ($states)"
  else ko "classic: alarm_control_panel: armed_away -> triggered -> disarmed" "got: $states"; fi
  check "classic: zone 1 published open, then closed" \
    bash -c "grep -q \"'Zone 1 Front door': Sending state ON\" '$clog' && grep -q \"'Zone 1 Front door': Sending state OFF\" '$clog'"
  check "classic: zone 1 alarm published" grep -q "'Zone 1 alarm': Sending state ON" "$clog"
  check "classic: keybus connected published ON" grep -q "'Keybus connected': Sending state ON" "$clog"
  if [ -n "$CODE" ] && ! grep -q "$CODE" "$clog"; then ok "classic: the code never appears in the log"
  else ko "classic: the code never appears in the log" "$(grep -n "$CODE" "$clog" | head -n 5)"; fi
else
  ko "classic: esphome compile --only-generate (rc=$rc)" "$(printf '%s\n' "$out" | tail -n 30)"
fi

kt_done "$NAME"
