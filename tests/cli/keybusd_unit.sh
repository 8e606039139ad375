#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# packaging/systemd/keybusd.service: systemd-analyze verify accepts it (every
# directive known, values well formed; ExecStart pointed at the built binary,
# since the installed one may not exist here), and no hardening option hides
# what keybusd needs: /dev/gpiochip* (PrivateDevices, a DevicePolicy without
# char-gpiochip), SCHED_FIFO for the reader thread (RestrictRealtime), ioctl
# and sched_setscheduler (the syscall filter). A configuration error (exit 2)
# is not retried. Skipped without systemd-analyze.
set -u
. "$(dirname "$0")/lib.sh"
kt_tmpdir
T=keybusd_unit
U=packaging/systemd/keybusd.service
K=${KEYBUSD:-build/bin/keybusd}
command -v systemd-analyze >/dev/null || kt_skip $T "systemd-analyze not installed"
if [ ! -x "$K" ]; then
  ko "keybusd binary present ($K; run make V=rel apps)"
  kt_done $T
fi
sed "s|^ExecStart=/usr/local/bin/keybusd |ExecStart=$(pwd)/$K |" "$U" >"$tmp/keybusd.service"
if grep -q "^ExecStart=$(pwd)/$K --config /etc/keybus/keybusd.conf$" "$tmp/keybusd.service"; then
  ok "ExecStart: keybusd --config /etc/keybus/keybusd.conf"
else
  ko "ExecStart: keybusd --config /etc/keybus/keybusd.conf" "$(grep ExecStart "$U")"
fi
out=$(SYSTEMD_LOG_LEVEL=info systemd-analyze verify "$tmp/keybusd.service" 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && [ -z "$out" ]; then ok "systemd-analyze verify: no complaint"; else ko "systemd-analyze verify: no complaint (exit $rc)" "$out"; fi

# d KEY: the unit's value(s) of KEY, one per line
d() { sed -n "s/^$1=//p" "$U"; }
if [ "$(d PrivateDevices)" != yes ] && [ "$(d RestrictRealtime)" != yes ]; then
  ok "neither PrivateDevices= nor RestrictRealtime= (GPIO chips and SCHED_FIFO stay reachable)"
else
  ko "neither PrivateDevices= nor RestrictRealtime=" "PrivateDevices=$(d PrivateDevices) RestrictRealtime=$(d RestrictRealtime)"
fi
if [ -z "$(d DevicePolicy)" ] || d DeviceAllow | grep -qx 'char-gpiochip rw'; then
  ok "a device policy lets the GPIO chips through (DeviceAllow=char-gpiochip rw)"
else
  ko "a device policy lets the GPIO chips through" "DevicePolicy=$(d DevicePolicy) DeviceAllow=$(d DeviceAllow)"
fi
# expand SET...: the system calls of the sets (nested @groups expanded)
expand() {
  local x
  for x in "$@"; do
    case $x in
      @*) systemd-analyze syscall-filter "$x" 2>/dev/null | sed -n 's/^    //p' | grep -v '^#' |
            while read -r y; do expand "$y"; done ;;
      *) echo "$x" ;;
    esac
  done
}
allow=$(expand $(d SystemCallFilter | grep -v '^~') | sort -u)
deny=$(expand $(d SystemCallFilter | sed -n 's/^~//p') | sort -u)
if [ -n "$allow" ]; then
  miss=
  for sc in ioctl poll ppoll read write clock_gettime nanosleep sched_setscheduler mlockall socket connect; do
    grep -qx "$sc" <<<"$allow" || miss="$miss $sc"
    grep -qx "$sc" <<<"$deny" && miss="$miss $sc(denied)"
  done
  if [ -z "$miss" ]; then
    ok "the syscall filter allows ioctl, poll, read, write, sched_setscheduler, mlockall, socket, ... ($(wc -l <<<"$allow") allowed)"
  else
    ko "the syscall filter allows what keybusd needs; missing:$miss"
  fi
else
  ok "no syscall allow-list"
fi
# mlockall(MCL_CURRENT) is checked against the whole address space, and
# MCL_FUTURE against every later mapping: only an unlimited RLIMIT_MEMLOCK
# lets it and later allocations succeed.
if grep -q 'mlockall' apps/keybusd/*.c && [ "$(d LimitMEMLOCK)" != infinity ]; then
  ko "keybusd calls mlockall: LimitMEMLOCK=infinity (got '$(d LimitMEMLOCK)')"
else
  ok "LimitMEMLOCK fits keybusd's mlockall ($(d LimitMEMLOCK))"
fi
if [ "$(d User)" = keybus ] && d SupplementaryGroups | grep -qw gpio; then ok "runs as keybus, in the gpio group"; else ko "runs as keybus, in the gpio group" "User=$(d User) SupplementaryGroups=$(d SupplementaryGroups)"; fi
if [ "$(d Restart)" = on-failure ] && d RestartPreventExitStatus | grep -qw 2; then ok "restarts on failure, not after a configuration error (exit 2)"; else ko "Restart=on-failure, RestartPreventExitStatus=2"; fi
kt_done $T
