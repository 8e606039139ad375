#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/web_bench.sh - the web keypad's figures (bench/web_bench.py; docs/web.md,
# "Figures"): page weight, external references, zone change on the simulated
# wire to an SSE client (p50/p99), keybusd's RSS idle and with 20 SSE clients.
# The page's own time from the SSE message to the DOM is measured by the
# browser test (tests/cli/keybusd_web_browser.sh: bench web_sse_to_dom_p50_ms).
# Output: `bench <name> <value> <unit>` lines. KEYBUSD overrides build/bin/keybusd.
set -eu
cd "$(dirname "$0")/.."
K=${KEYBUSD:-build/bin/keybusd}
[ -x "$K" ] || make --no-print-directory V=rel apps >/dev/null
exec /usr/bin/python3 bench/web_bench.py "$K"
