#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# KB_BARRIER (include/keybus/kb_config.h): the default is a compiler barrier
# (interrupt and task on one core); KB_SMP=1 (interrupt and task on different
# cores) must make it a real memory fence, inline, with no atomic
# read-modify-write and no libatomic call. Checked on the link layer, the
# only user, for the cross targets of `make size` and the host compiler.
set -u
. "$(dirname "$0")/lib.sh"
kt_tmpdir
FLAGS="-Os -ffreestanding -std=c11 -Wall -Wextra -Werror -pedantic -Wundef -Iinclude"
# target: compiler, flags, objdump/nm prefix, fence instruction
targets=(
  "cortex-m4|arm-none-eabi-gcc|-mcpu=cortex-m4 -mthumb|arm-none-eabi-|dmb"
  "rv32imc|riscv64-unknown-elf-gcc|-march=rv32imc -mabi=ilp32 --specs=picolibc.specs|riscv64-unknown-elf-|fence"
  "host|cc||/usr/bin/|mfence\\|lock or"
)
for t in "${targets[@]}"; do
  IFS='|' read -r name cc arch pfx fence <<<"$t"
  if ! command -v "$cc" >/dev/null; then
    ko "$name: compiler $cc present (scripts/deps.sh installs it)"
    continue
  fi
  for smp in 0 1; do
    o="$tmp/link-$name-$smp.o"
    # shellcheck disable=SC2086
    if ! err=$("$cc" $arch $FLAGS -DKB_SMP=$smp -c src/core/kb_link.c -o "$o" 2>&1); then
      ko "$name KB_SMP=$smp builds" "$err"
      continue
    fi
    n=$("${pfx}objdump" -d "$o" | grep -c "$fence")
    und=$("${pfx}nm" -u "$o" | grep -E '__atomic|__sync' || true)
    if [ "$smp" -eq 1 ]; then
      if [ "$n" -gt 0 ] && [ -z "$und" ]; then
        ok "$name KB_SMP=1: KB_BARRIER is a memory fence ($n inline), no atomic call"
      else
        ko "$name KB_SMP=1: KB_BARRIER is a memory fence, no atomic call" "fences $n, undefined: $und"
      fi
    else
      if [ "$n" -eq 0 ] && [ -z "$und" ]; then
        ok "$name default: KB_BARRIER is a compiler barrier (no fence instruction)"
      else
        ko "$name default: KB_BARRIER is a compiler barrier" "fences $n, undefined: $und"
      fi
    fi
  done
done
if err=$(cc -std=c11 -Werror -Iinclude -DKB_SMP=2 -c src/core/kb_link.c -o "$tmp/bad.o" 2>&1); then
  ko "KB_SMP=2 is refused at build time"
else
  ok "KB_SMP=2 is refused at build time"
fi
kt_done barrier
