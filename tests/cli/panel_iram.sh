#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The panel role's interrupt handler (src/core/kb_panel.c, kb_pnl_isr) is
# IRAM-safe on the ESP32-C3 with both ESP-IDF kits: compiled as esp_check.sh
# compiles the core (KB_ISR_FN = section .iram1.keybus), check-iram.sh finds
# no call from it to flash code (its helpers are forced inline; before that
# they were left in flash at -Os) and no flash table (an if-chain, not a
# switch). Skipped without KEYBUS_IDF_KITS (.ci/run sets it).
set -u
. "$(dirname "$0")/lib.sh"
NAME=tests/cli/panel_iram.sh
if [ -z "${KEYBUS_IDF_KITS:-}" ]; then
  kt_skip "$NAME" "KEYBUS_IDF_KITS not set: the folder holding the ESP-IDF kits; .ci/run sets it"
fi
K=$KEYBUS_IDF_KITS
kt_tmpdir
ISR='-DKB_ISR_FN=__attribute__((section(".iram1.keybus")))'
for ver in v5.3.5 v6.0.2; do
  kit=$K/$ver
  o=$tmp/kb_panel-$ver.o
  if ! log=$("$kit/idf-gcc" --strict -Wall -Wextra -Werror -Iinclude "$ISR" -c src/core/kb_panel.c -o "$o" 2>&1); then
    ko "$ver: kb_panel.c compiles (idf-gcc --strict)" "$log"
    continue
  fi
  ok "$ver: kb_panel.c compiles (idf-gcc --strict)"
  if log=$("$K/check-iram.sh" "$kit/iram-safe.txt" "$o" 2>&1); then ok "$ver: check-iram kb_panel.o"
  else ko "$ver: check-iram kb_panel.o" "$log"; fi
  if printf '%s\n' "$log" | grep -q "^iram  kb_pnl_isr in .iram1.keybus$"; then ok "$ver: kb_pnl_isr in .iram1.keybus"
  else ko "$ver: kb_pnl_isr in .iram1.keybus" "$log"; fi
done
kt_done "$NAME"
