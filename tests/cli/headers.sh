#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The public headers (include/keybus) are the API every port and frontend is
# written against (docs/api.md). Each one must compile ALONE (it includes
# what it needs), as C11 with gcc and clang (-Wall -Wextra -Werror
# -pedantic) and as C++ (the ESPHome component is C++: the event union uses
# named member types, no C-only constructs), freestanding for the cross
# targets; keybus.h must carry KB_API_VERSION and include the whole task API.
set -u
. "$(dirname "$0")/lib.sh"
kt_tmpdir
W="-Wall -Wextra -Werror -pedantic -Wundef -Iinclude"
for h in include/keybus/*.h; do
  name=${h#include/}
  printf '#include "%s"\nint kb_header_probe;\n' "$name" >"$tmp/probe.c"
  cp "$tmp/probe.c" "$tmp/probe.cpp"
  bad=""
  for cc in "gcc -std=c11" "clang -std=c11" "gcc -std=c11 -ffreestanding -nostdinc -isystem $(gcc -print-file-name=include)"; do
    # shellcheck disable=SC2086 # cc holds flags
    if ! out=$($cc $W -fsyntax-only "$tmp/probe.c" 2>&1); then bad="$bad
$cc: $out"; fi
  done
  if ! out=$(g++ -std=c++17 $W -fsyntax-only "$tmp/probe.cpp" 2>&1); then bad="$bad
g++: $out"; fi
  if [ -z "$bad" ]; then ok "$name compiles alone: C11 (gcc, clang, freestanding) and C++17"; else ko "$name compiles alone" "$bad"; fi
done

cat >"$tmp/api.c" <<'C'
#include "keybus/keybus.h"
#include <stdio.h>
#include <string.h>
/* KB_API_VERSION is a number the preprocessor can test */
#if !defined(KB_API_VERSION) || KB_API_VERSION < 10000
#error "KB_API_VERSION missing"
#endif
int main(void) {
  static kb_bus_t bus; /* the whole task API through the one include */
  kb_bus_init(&bus, NULL);
  kb_bus_poll(&bus, 1000u);
  printf("%d %d.%d.%d", KB_API_VERSION, KB_API_VERSION_MAJOR, KB_API_VERSION_MINOR,
         KB_API_VERSION_PATCH);
  for (int e = 0; e <= KB_ERR_COUNT; e++) printf(" %s", kb_err_name((kb_err_t)e));
  printf(" %s\n", kb_err_name((kb_err_t)-1));
  return kb_bus_keys_submit(&bus, 9, "1", NULL, NULL) == KB_ERR_PARTITION ? 0 : 1;
}
C
if out=$(gcc -std=c11 $W "$tmp/api.c" src/core/*.c -o "$tmp/api" 2>&1) && got=$("$tmp/api" 2>&1); then
  want="10400 1.4.0 ok argument full key partition code range not_ready busy ? ?"
  if [ "$got" = "$want" ]; then
    ok "keybus.h: KB_API_VERSION 1.4.0, kb_bus through the one include, kb_err_name names every error"
  else
    ko "keybus.h: version and error names" "got:  $got
want: $want"
  fi
else
  ko "keybus.h: a program using only keybus.h builds and runs" "$out $got"
fi
# docs/api.md's port example is real code: it compiles (-Wall -Wextra
# -Werror) against the headers with the platform calls it names declared.
python3 - "$tmp/example.c" <<'PY'
import re, sys
s = open("docs/api.md").read()
code = re.findall(r"```c\n(.*?)```", s, re.S)[0]
decl = """#include <stdbool.h>
#include <stdint.h>
bool plat_read_clock(void); bool plat_read_data(void); uint32_t plat_now_us(void);
void plat_write_pin(bool high); void plat_oneshot_start(uint32_t us);
void plat_oneshot_create(void (*fn)(void *)); void plat_clock_irq_attach(void (*fn)(void *));
void plat_sleep_ms(unsigned ms); void publish_zone(unsigned zone, unsigned on);
void publish_armed(unsigned partition, unsigned mode);
"""
open(sys.argv[1], "w").write(decl + code)
PY
if out=$(gcc -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude -c "$tmp/example.c" -o "$tmp/example.o" 2>&1); then
  ok "docs/api.md: the port example compiles against the headers"
else
  ko "docs/api.md: the port example compiles against the headers" "$out"
fi
kt_done tests/cli/headers.sh
