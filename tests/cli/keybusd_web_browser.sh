#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The web keypad in a real browser (docs/web.md, "Tests"): keybusd on the
# simulated panel on a free 127.0.0.1 port, Debian's chromium headless driven
# over the DevTools protocol by playwright-core (tests/web/browser.mjs; the
# package from tests/web/package-lock.json, installed into tests/web/
# node_modules by this script when it is missing). Saves the armed keypad as
# build/web/armed.png. Without chromium, node or the package (and no way to
# install it) the script says "skipped: web-browser (...)", never passed.
. "$(dirname "$0")/lib.sh"
kt_tmpdir
K=${KEYBUSD:-build/bin/keybusd}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
PY=/usr/bin/python3
if [ ! -x "$K" ]; then
  ko "keybusd binary present ($K; run make apps)"
  kt_done keybusd_web_browser
fi
[ -x "$CHROMIUM" ] || kt_skip keybusd_web_browser "web-browser (chromium not installed at $CHROMIUM: scripts/deps.sh installs it)"
command -v node >/dev/null || kt_skip keybusd_web_browser "web-browser (node not installed: scripts/deps.sh installs nodejs)"
if [ ! -f tests/web/node_modules/playwright-core/package.json ] ||
   [ tests/web/package-lock.json -nt tests/web/node_modules/.package-lock.json ]; then
  command -v npm >/dev/null || kt_skip keybusd_web_browser "web-browser (npm not installed)"
  if ! (cd tests/web && npm ci --no-audit --no-fund --loglevel=error >"$tmp/npm.log" 2>&1); then
    kt_skip keybusd_web_browser "web-browser (playwright-core could not be installed: $(tail -n 1 "$tmp/npm.log"))"
  fi
fi

port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
# --speed 4: the 10 s exit delay of the demo house takes 2.5 s
"$K" --config /dev/null --mqtt off --http "127.0.0.1:$port" --speed 4 >"$tmp/out" 2>"$tmp/err" &
kpid=$!
trap 'kill -TERM $kpid 2>/dev/null; wait $kpid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do
  $PY -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$port)))" && break
  sleep 0.05
done
mkdir -p build/web
rm -f build/web/armed.png
out=$(CHROMIUM=$CHROMIUM timeout 120 node tests/web/browser.mjs "http://127.0.0.1:$port" build/web 2>&1); rc=$?
printf '%s\n' "$out" | grep -E '^(ok|FAIL|    |bench )'
check browser_script_exit_0 test "$rc" -eq 0
pass=$((pass + $(grep -c '^ok ' <<<"$out")))
fail=$((fail + $(grep -c '^FAIL ' <<<"$out")))
check browser_ran_every_case test "$(grep -cE '^(ok|FAIL) ' <<<"$out")" -ge 11
check screenshot_saved test -s build/web/armed.png
check keybusd_still_running kill -0 $kpid
kill -TERM $kpid; wait $kpid; krc=$?
check keybusd_sigterm_exit_0 test "$krc" -eq 0
check no_code_in_log bash -c '! grep -qE "1234|9999" "$0"' "$tmp/err"
kt_done keybusd_web_browser
