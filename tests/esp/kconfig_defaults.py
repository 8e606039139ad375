#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# kconfig_defaults.py KCONFIG CONFIG_H WORKDIR [MORE_H...] - parses the
# component's Kconfig with kconfiglib (as ESP-IDF's kconfgen does) for a
# non-ESP32 target and prints one line per symbol, "CONFIG_X kconfig=V
# header=W", the header's value being the #ifndef default of
# keybus_esp_config.h (or of a further header: keybus_esp_panel.h). Bool
# symbols have no header default (ESP-IDF leaves an unset bool undefined, so
# the sources test them with defined() only, and a build without the Kconfig
# sees them all unset): a bool must default to n, except the member a
# choice selects by default (the role a build without Kconfig gets).
# Exit 1 on a Kconfig warning, a symbol without a header default, or a
# difference.
import os
import re
import sys

import kconfiglib

kconfig, header, work = sys.argv[1:4]
headers = [header] + sys.argv[4:]
stub = os.path.join(work, "Kconfig.stub")
with open(stub, "w") as f:
    # the ESP-IDF symbols the component's Kconfig refers to
    f.write("config IDF_TARGET_ESP32\n    bool\n    default n\n")
    f.write('source "%s"\n' % os.path.abspath(kconfig))
kc = kconfiglib.Kconfig(stub, warn_to_stderr=False)
defaults = {}
for h in headers:
    with open(h) as f:
        for m in re.finditer(r"^#define (CONFIG_KEYBUS_[A-Z0-9_]+) (-?[0-9]+)", f.read(), re.M):
            defaults[m.group(1)] = m.group(2)
bad = 0
for w in kc.warnings:
    print("warning:", w)
    bad = 1
for s in kc.unique_defined_syms:
    if not s.name.startswith("KEYBUS_"):
        continue
    name = "CONFIG_" + s.name
    if s.type == kconfiglib.BOOL:
        chosen = s.choice is not None and s.choice.selection is s
        ok = (s.str_value == "n" or chosen) and name not in defaults
        print("%s kconfig=%s bool%s" % (name, s.str_value, " (the choice's default)" if chosen else ""))
        defaults.pop(name, None)
        if not ok:
            bad = 1
        continue
    h = defaults.pop(name, None)
    print("%s kconfig=%s header=%s" % (name, s.str_value, h))
    if h != s.str_value:
        bad = 1
for name in defaults:
    print("%s kconfig=None header=%s" % (name, defaults[name]))
    bad = 1
sys.exit(bad)
