#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make_hygiene.sh - the Makefile's promises about itself (issue 7), checked on
# a copy of the tree in a temporary directory (the real build/ is never
# touched; the copy builds at -O0 to stay fast):
#   - header dependencies are tracked (-MMD -MP): touching a header makes
#     `make -n` recompile every object whose .d names it; a header outside
#     the directories the rules list by wildcard, included by one core source
#     only, recompiles that object and no other core object (so the tracking
#     is -MMD's, not the wildcards'); once that header and its #include are
#     gone, make still builds (-MP);
#   - plain `make` installs nothing: `make -n` and `make -n apps` never name
#     apt-get or scripts/deps.sh, while `make -n test` does (the check can see
#     it: make test installs what it needs, as README.md says).
set -u
. "$(dirname "$0")/lib.sh"
kt_tmpdir
T=$tmp/tree
mkdir -p "$T"
# tracked and new (not ignored) files, as they are in the worktree
git ls-files -z -co --exclude-standard | tar -cf - --null -T - | tar -xf - -C "$T" ||
  { ko "copy of the tree"; kt_done tests/cli/make_hygiene.sh; }
M=(make --no-print-directory -C "$T" V=rel OPT=-O0)
LIBS=(build/rel/lib/libkbcore.a build/rel/lib/libkbhost.a build/rel/lib/libkbsim.a)

# ---- plain make installs nothing (before anything is built: no build/.deps-ok)
for goal in "" apps; do
  out=$(make --no-print-directory -C "$T" -n $goal 2>&1)
  if grep -qE 'apt-get|deps\.sh' <<<"$out"; then
    ko "make -n${goal:+ $goal} names neither apt-get nor deps.sh" "$(grep -E 'apt-get|deps\.sh' <<<"$out")"
  else
    ok "make -n${goal:+ $goal} names neither apt-get nor deps.sh ($(wc -l <<<"$out") lines)"
  fi
done
out=$(make --no-print-directory -C "$T" -n test 2>&1)
check "make -n test names scripts/deps.sh (the check above can see it)" grep -q 'scripts/deps\.sh' <<<"$out"

# ---- a header the rules do not list by wildcard (include/keybus/sub/), one includer
mkdir -p "$T/include/keybus/sub"
printf '#ifndef KB_HYG_H_\n#define KB_HYG_H_\n#define KB_HYG 1\n#endif\n' >"$T/include/keybus/sub/kb_hyg.h"
printf '\n#include "keybus/sub/kb_hyg.h"\n' >>"$T/src/core/kb_pev.c"
if ! out=$("${M[@]}" -j2 "${LIBS[@]}" 2>&1); then
  ko "the copy builds" "$(tail -n 20 <<<"$out")"
  kt_done tests/cli/make_hygiene.sh
fi
out=$("${M[@]}" -n "${LIBS[@]}" 2>&1)
check "nothing to compile right after a build" bash -c '! grep -qE " -c [^ ]+\.c" <<<"$1"' _ "$out"

# touching it recompiles kb_pev.o (from its .d) and no other core object
touch "$T/include/keybus/sub/kb_hyg.h"
out=$("${M[@]}" -n "${LIBS[@]}" 2>&1)
check "kb_pev.d names the header (-MMD)" grep -q 'include/keybus/sub/kb_hyg.h' "$T/build/rel/obj/src/core/kb_pev.d"
check "touching it: make -n recompiles src/core/kb_pev.c" grep -q -- '-c src/core/kb_pev.c' <<<"$out"
others=$(grep -oE -- '-c src/core/[a-z_]+\.c' <<<"$out" | grep -v kb_pev.c)
if [ -z "$others" ]; then ok "touching it: no other core object is recompiled"; else ko "touching it: no other core object is recompiled" "$others"; fi
"${M[@]}" "${LIBS[@]}" >/dev/null 2>&1

# gone again: -MP's empty rule keeps make from stopping at the vanished header
rm -r "$T/include/keybus/sub"
cp src/core/kb_pev.c "$T/src/core/kb_pev.c"
if out=$("${M[@]}" "${LIBS[@]}" 2>&1); then
  ok "header and its #include removed: make builds (-MP)"
else
  ko "header and its #include removed: make builds (-MP)" "$(tail -n 5 <<<"$out")"
fi

# ---- a public header: every object whose .d names it is recompiled
h=include/keybus/kb_proto.h
users=$(cd "$T" && grep -l "$h" $(find build/rel/obj -name '*.d') | sed 's/\.d$/.o/' | sort)
touch "$T/$h"
out=$("${M[@]}" -n "${LIBS[@]}" 2>&1)
missing=""
for o in $users; do
  grep -q -- "-o $o\$" <<<"$out" || missing="$missing $o"
done
if [ -n "$users" ] && [ -z "$missing" ]; then
  ok "touching $h: make -n recompiles the $(wc -w <<<"$users") object(s) that include it ($(echo $users | sed 's|build/rel/obj/||g'))"
else
  ko "touching $h: make -n recompiles the objects that include it" "includers: ${users:-none}; not recompiled:$missing"
fi
kt_done tests/cli/make_hygiene.sh
