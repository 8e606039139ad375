#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make install into a staging root (DESTDIR): the files land where the unit
# expects them, the unit names the PREFIX, an existing configuration is never
# overwritten, and the installed keybusd runs.
. "$(dirname "$0")/lib.sh"
kt_tmpdir
root=$tmp/root
out=$(make --no-print-directory install DESTDIR="$root" PREFIX=/opt/kb 2>&1); rc=$?
check_status install_exit_0 "$rc" "$(tail -n 5 <<<"$out")"
for f in /opt/kb/bin/keybusd /opt/kb/bin/keybus-reader /etc/systemd/system/keybusd.service \
         /etc/udev/rules.d/60-keybus-gpio.rules /opt/kb/share/doc/keybus/keybusd.md /etc/keybus/keybusd.conf; do
  check "installed$f" test -s "$root$f"
done
check unit_execstart_uses_prefix grep -q '^ExecStart=/opt/kb/bin/keybusd ' "$root/etc/systemd/system/keybusd.service"
check unit_has_no_usr_local bash -c '! grep -q /usr/local "$0"' "$root/etc/systemd/system/keybusd.service"
check config_not_world_readable bash -c '[ "$(stat -c %a "$0")" = 640 ]' "$root/etc/keybus/keybusd.conf"
check installed_keybusd_runs "$root/opt/kb/bin/keybusd" --version
echo "# mine" >>"$root/etc/keybus/keybusd.conf"
make --no-print-directory install DESTDIR="$root" PREFIX=/opt/kb >/dev/null 2>&1; rc=$?
check_status reinstall_exit_0 "$rc" "second make install failed"
check config_kept_on_reinstall grep -q "^# mine" "$root/etc/keybus/keybusd.conf"
kt_done install
