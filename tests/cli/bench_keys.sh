#!/usr/bin/env bash
# bench_keys.sh - runs the key-latency benchmark (bench/bench.sh keys: the
# virtual keypad typing requests into the simulated panel over the virtual
# wire, bus time, deterministic) and checks its figures against the budget:
# every key goes out in the first eligible slot after it is due (excess 0),
# no key waits longer than one status round plus its slot (250 ms), and a
# request is never later than its n-th eligible slot by more than the two
# prompt waits of the set-time request through the noise filter: K status
# frames each, in rounds one message longer while a menu is open (the
# panel's 0x0A), about 1.3 s; budget 1500 ms.
set -u
. "$(dirname "$0")/lib.sh"
LAT_MAX=250
REQ_OVER_MAX=1500

bench_run keys '^bench'
over=$(figure key_latency_over_min_max_ms)
lat=$(figure key_latency_max_ms)
req=$(figure key_request_over_min_max_ms)
n=$(figure keys_accepted)
le "$over" 0
check_status key_in_first_eligible_slot $? "key_latency_over_min_max_ms=${over:-missing} > 0"
le "$lat" "$LAT_MAX"
check_status key_latency_max $? "key_latency_max_ms=${lat:-missing} > $LAT_MAX"
le "$req" "$REQ_OVER_MAX"
check_status request_over_min_max $? "key_request_over_min_max_ms=${req:-missing} > $REQ_OVER_MAX"
[ -n "$n" ] && [ "$n" -gt 500 ]
check_status keys_accepted $? "keys_accepted=${n:-missing} <= 500"
for f in key_latency_mean_ms key_latency_over_min_mean_ms key_request_over_min_mean_ms; do
  [ -n "$(figure $f)" ]
  check_status "figure_$f" $? "no 'bench $f' line"
done
kt_done tests/cli/bench_keys.sh
