#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# assert.sh - KB_ASSERT traps in every test build of the core (issue 7): for
# each variant the Makefile builds tests against (rel, clang, asan, cov, fuzz;
# ASSERT_VARIANTS overrides the list), builds build/<variant>/lib/libkbcore.a
# with the Makefile, links tests/cli/assert_probe.c against it with that
# variant's compiler and instrumentation (read from the Makefile), and runs
# it: each call with a NULL the core asserts on must kill the process with a
# trap (SIGILL/SIGTRAP/SIGABRT), and the same calls made correctly must
# return. Until issue 7 the cov build left KB_ASSERT out: kb_module_reply_decode()
# then returned quietly on a NULL `out` and kb_link_init(NULL) died by SIGSEGV.
set -u
. "$(dirname "$0")/lib.sh"
kt_tmpdir
ulimit -c 0
CFLAGS="-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Wshadow -Wundef -O1 -g"
# prints a variable of the Makefile for a variant, without editing it
printf 'kt-print-%%:\n\t@echo '\''$($*)'\''\n' >"$tmp/print.mk"
mkvar() { make --no-print-directory -s V="$1" -f Makefile -f "$tmp/print.mk" "kt-print-$2"; }

for v in ${ASSERT_VARIANTS:-rel clang asan cov fuzz}; do
  lib=build/$v/lib/libkbcore.a
  # make does not track compiler flags: the core of a cov build made before
  # issue 7 has no trap and would still be up to date. Rebuild it (make -W:
  # as if each source had changed; -O0, a few seconds); coverage.sh does too.
  what_if=()
  if [ "$v" = cov ]; then
    for c in src/core/*.c; do what_if+=(-W "$c"); done
  fi
  if ! out=$(make --no-print-directory V="$v" -j2 "${what_if[@]}" "$lib" 2>&1); then
    ko "$v: make V=$v $lib" "$(printf '%s\n' "$out" | tail -n 20)"
    continue
  fi
  cc=$(mkvar "$v" CC) && san=$(mkvar "$v" SAN) || { ko "$v: CC and SAN read from the Makefile"; continue; }
  # shellcheck disable=SC2086 # san holds several flags
  if ! out=$($cc $CFLAGS $san -Iinclude tests/cli/assert_probe.c "$lib" -o "$tmp/probe_$v" 2>&1); then
    ko "$v: assert_probe builds with $cc $san" "$out"
    continue
  fi
  # GCOV_PREFIX: the cov probe's own .gcda files go to $tmp, not into build/cov
  out=$(GCOV_PREFIX="$tmp/gcov" ASAN_OPTIONS=detect_leaks=1 "$tmp/probe_$v" "$v" 2>&1)
  rc=$?
  while IFS= read -r line; do
    case $line in
      "ok   "*) ok "${line#ok   }" ;;
      "FAIL "*) ko "${line#FAIL }" ;;
    esac
  done <<<"$out"
  if ! grep -q '^assert_probe: [0-9]* passed, 0 failed$' <<<"$out" || [ "$rc" -ne 0 ]; then
    ko "$v: assert_probe finished with no failed case (exit $rc)" "$(tail -n 5 <<<"$out")"
  fi
done
kt_done tests/cli/assert.sh
