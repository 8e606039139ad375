#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# pyenv_test.py KEYBUSD - the real client: pyenvisalink (the library of Home
# Assistant's envisalink integrations; found through KEYBUS_PYENVISALINK, the
# folder that holds the package) against keybusd --tpi on the simulated
# panel. It detects a DSC panel (probe connection), logs in, follows zones and
# partitions as they change, arms (the code it holds goes out as 200 after our
# 900) and disarms with a code; at each step the state it reports is compared
# with keybus's own (the web keypad's /api/state), and the library must log
# no error (an unexpected or wrong ack, a failed command, a parse error).
# Prints "ok NAME" / "FAIL NAME: detail"; run by tests/cli/keybusd_tpi_client.sh.
import asyncio, logging, os, sys, time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.environ["KEYBUS_PYENVISALINK"])
from tpi_common import *  # noqa: E402,F401
import tpi_common as tc  # noqa: E402
from pyenvisalink.alarm_panel import EnvisalinkAlarmPanel  # noqa: E402

K = sys.argv[1]
PW = "Tpi-s3cret"


class Errors(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, r):
        self.records.append(r.getMessage())


async def until(fn, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        if fn():
            return True
        await asyncio.sleep(0.05)
    return bool(fn())


def ha_state(s):
    """Home Assistant's alarm panel state from pyenvisalink's partition dict
    (the priority of HA's envisalink integrations, fact sheet §5.3)."""
    if s["alarm"]:
        return "triggered"
    if s["armed_zero_entry_delay"]:
        return "armed_night"
    if s["armed_away"]:
        return "armed_away"
    if s["armed_stay"]:
        return "armed_home"
    if s["exit_delay"]:
        return "arming"
    if s["entry_delay"]:
        return "pending"
    return "disarmed"


async def run(p):
    web = Web(p.hport)
    errors = Errors()
    logging.getLogger("pyenvisalink").addHandler(errors)
    logging.getLogger().addHandler(errors)
    # the discovery of envisalink_new's config flow: /3 then /2 (HTTP Basic)
    wrong = EnvisalinkAlarmPanel("127.0.0.1", p.tport, "user", "nope", httpPort=p.hport, connectionTimeout=10)
    res = await wrong.discover()
    ok("discovery with a wrong password: invalid authorization",
       res == EnvisalinkAlarmPanel.ConnectionResult.INVALID_AUTHORIZATION, res)
    errors.records.clear()  # that one error was the point
    disc = EnvisalinkAlarmPanel("127.0.0.1", p.tport, "user", PW, httpPort=p.hport, connectionTimeout=10)
    res = await disc.discover()
    ok("discovery: success", res == EnvisalinkAlarmPanel.ConnectionResult.SUCCESS, res)
    ok("discovery: a DSC panel behind an Envisalink 4", disc.panel_type == "DSC" and str(disc.envisalink_version) == "4",
       (disc.panel_type, disc.envisalink_version))
    ok("discovery: firmware and a 12-digit MAC (the unique id)",
       (disc.firmware_version or "").startswith("keybusd-") and len(disc.mac_address or "") == 12,
       (disc.firmware_version, disc.mac_address))
    changes = {"zone": [], "partition": []}
    panel = EnvisalinkAlarmPanel("127.0.0.1", p.tport, "user", PW, zoneTimerInterval=0, keepAliveInterval=60,
                                 connectionTimeout=10, httpPort=p.hport)
    panel.callback_zone_state_change = lambda d: changes["zone"].append(d)
    panel.callback_partition_state_change = lambda d: changes["partition"].append(d)
    res = await panel.start()
    ok("pyenvisalink detects a DSC panel and logs in", res == EnvisalinkAlarmPanel.ConnectionResult.SUCCESS, res)
    ok("panel type DSC", panel.panel_type == "DSC", panel.panel_type)
    if res != EnvisalinkAlarmPanel.ConnectionResult.SUCCESS:
        return
    part = lambda n: panel.alarm_state["partition"][n]["status"]  # noqa: E731
    zone = lambda n: panel.alarm_state["zone"][n]["status"]  # noqa: E731
    ok("partition 1 ready, as keybus says",
       await until(lambda: part(1)["ready"]) and (web.part(1) or {}).get("ready") is True, part(1))
    ok("partition 2 known too (alpha set)", await until(lambda: part(2)["alpha"] not in ("N/A", "")), part(2))
    ok("HA state of partition 1 matches keybus's (disarmed)",
       ha_state(part(1)) == (web.part(1) or {}).get("state") == "disarmed", (part(1), web.part(1)))

    # zones open and close
    web.poke({"zone": 3, "open": True})
    ok("zone 3 open in pyenvisalink", await until(lambda: zone(3)["open"]), zone(3))
    ok("zone 3 open in keybus", (web.zone(3) or {}).get("open") is True, web.zone(3))
    ok("a zone callback came for zone 3", any(3 in (d or []) for d in changes["zone"]), changes["zone"][-3:])
    ok("partition 1 not ready while zone 3 is open (both)",
       await until(lambda: not part(1)["ready"]) and (web.part(1) or {}).get("ready") is False, part(1))
    web.poke({"zone": 3, "open": False})
    ok("zone 3 closed in pyenvisalink", await until(lambda: not zone(3)["open"]), zone(3))
    ok("zone 3 closed in keybus", (web.zone(3) or {}).get("open") is False, web.zone(3))
    ok("partition 1 ready again", await until(lambda: part(1)["ready"]), part(1))
    await panel.dump_zone_timers()
    await asyncio.sleep(0.5)
    ok("615 timers: zone 3 closed, a last fault time recorded",
       not zone(3)["open"] and panel.alarm_state["zone"][3]["last_fault"] > 0, panel.alarm_state["zone"][3])

    # arm away with a code: 030 1, our 900, its 200 + code
    await panel.arm_away_partition("1234", 1)
    ok("arming: exit delay (HA 'arming') in pyenvisalink", await until(lambda: part(1)["exit_delay"], 10), part(1))
    ok("arming: keybus says arming", (web.part(1) or {}).get("state") == "arming", web.part(1))
    ok("armed away in pyenvisalink", await until(lambda: part(1)["armed_away"], 20), part(1))
    ok("HA state matches keybus's: armed_away", await until(lambda: ha_state(part(1)) == (web.part(1) or {}).get("state")
                                                           == "armed_away", 5), (part(1), web.part(1)))
    # disarm with a code
    await panel.disarm_partition("1234", 1)
    ok("disarmed in pyenvisalink", await until(lambda: not part(1)["armed_away"] and part(1)["alpha"] != "Armed", 10),
       part(1))
    ok("HA state matches keybus's: disarmed",
       await until(lambda: ha_state(part(1)) == (web.part(1) or {}).get("state") == "disarmed", 5),
       (part(1), web.part(1)))
    ok("ready after the disarm", await until(lambda: part(1)["ready"], 10), part(1))
    # arm stay (HA arm home) and disarm, and a zone of partition 2
    await panel.arm_stay_partition("1234", 1)
    ok("armed stay (HA armed_home) in both", await until(lambda: ha_state(part(1)) == "armed_home" ==
                                                        {"armed_home": "armed_home"}.get((web.part(1) or {}).get("state")), 20),
       (part(1), web.part(1)))
    await panel.disarm_partition("1234", 1)
    ok("disarmed again", await until(lambda: ha_state(part(1)) == "disarmed" and part(1)["ready"], 10), part(1))
    web.poke({"zone": 7, "open": True})
    ok("zone 7 (partition 2) open in both", await until(lambda: zone(7)["open"]) and (web.zone(7) or {}).get("open"),
       zone(7))
    ok("partition 2 not ready in both", await until(lambda: not part(2)["ready"]) and not (web.part(2) or {}).get("ready"),
       part(2))
    web.poke({"zone": 7, "open": False})
    ok("zone 7 closed", await until(lambda: not zone(7)["open"]), zone(7))
    # a wrong code: the panel refuses, the state stays
    await panel.arm_away_partition("1234", 1)
    await until(lambda: part(1)["exit_delay"] or part(1)["armed_away"], 10)
    await panel.disarm_partition("9999", 1)
    await asyncio.sleep(2)
    ok("a wrong disarm code changes nothing: still arming/armed in both",
       ha_state(part(1)) in ("arming", "armed_away") and (web.part(1) or {}).get("state") in ("arming", "armed_away"),
       (part(1), web.part(1)))
    await panel.disarm_partition("1234", 1)
    ok("the right code disarms", await until(lambda: ha_state(part(1)) == "disarmed", 10), part(1))
    ok("pyenvisalink is still online (no command timed out)", panel.is_online())
    ok("pyenvisalink logged no error", not errors.records, errors.records[:5])
    await panel.stop()


def main():
    p = start(K)
    try:
        asyncio.run(asyncio.wait_for(run(p), 150))
    except Exception as ex:  # a crash of the test is a failure, shown
        ok("the client test ran to its end", False, repr(ex))
    log = log_of(p)
    ok("keybusd alive after the client", p.poll() is None, log[-400:])
    ok("no password or code in keybusd's log", PW not in log and "9999" not in log and
       not re.search(r"(?<!\d)1234(?!\d)", log), log[-300:])
    stop(p)


import re  # noqa: E402

try:
    main()
finally:
    tc.stop_all()
print("pyenvisalink: %d failed" % tc.fails)
sys.exit(1 if tc.fails else 0)
