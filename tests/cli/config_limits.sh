#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# config_limits.sh - the engine, link and virtual keypad built at the smallest
# and largest configurations kb_config.h allows (and one in between), gcc
# with ASan+UBSan and KB_ASSERT aborting, each fed every known command with
# seeded bytes in both input modes plus key requests (tests/config/limits.c).
# A configuration the #error checks accept must never read or write out of
# bounds: -DKB_MAX_ZONES=8 used to (issue 7: a zone group of 0x27/0x2D was
# bounded by 4, not by KB_ZONE_BYTES).
set -u
. "$(dirname "$0")/lib.sh"
kt_tmpdir
CFLAGS="-std=c11 -Wall -Wextra -Werror -pedantic -Wshadow -Wundef -O1 -g"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
i=0
while read -r cfg; do
  [ -n "$cfg" ] || continue
  i=$((i + 1))
  # shellcheck disable=SC2086 # cfg holds several -D flags
  if ! out=$(gcc $CFLAGS $SAN $cfg '-DKB_ASSERT(c)=((c)?(void)0:abort())' -include stdlib.h \
    -Iinclude tests/config/limits.c src/core/*.c -o "$tmp/limits$i" 2>&1); then
    ko "builds with $cfg" "$out"
    continue
  fi
  if out=$(ASAN_OPTIONS=detect_leaks=1 "$tmp/limits$i" 2>&1); then
    ok "$cfg: $(printf '%s\n' "$out" | grep '^limits:' | sed 's/^limits: //')"
  else
    ko "$cfg: no out-of-bounds access" "$(printf '%s\n' "$out" | grep -E 'runtime error|ERROR|SUMMARY|^    #[0-4] ' | head -n 12)"
  fi
done <<'CFGS'
-DKB_MAX_ZONES=8 -DKB_MAX_PARTITIONS=1 -DKB_FRAME_RING=2 -DKB_FILTER_K=1 -DKB_FILTER_SLOTS=1 -DKB_KEYS_ATTEMPTS=1 -DKB_KEYS_QUEUE=1 -DKB_KEYS_HISTORY=1 -DKB_KEYS_MAX=15
-DKB_MAX_ZONES=16 -DKB_MAX_PARTITIONS=2 -DKB_FILTER_K=2
-DKB_MAX_ZONES=64 -DKB_MAX_PARTITIONS=8 -DKB_FRAME_RING=127 -DKB_FRAME_BYTES=32 -DKB_FILTER_K=15 -DKB_FILTER_SLOTS=8 -DKB_KEYS_ATTEMPTS=9 -DKB_KEYS_QUEUE=32 -DKB_KEYS_HISTORY=64 -DKB_KEYS_MAX=200
CFGS
kt_done tests/cli/config_limits.sh
