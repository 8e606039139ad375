#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# conformance.py KEYBUSD - keybusd --tpi against the exchanges of the fact
# sheet (docs/protocol/envisalink-tpi.md; docs/tpi.md), on the simulated
# panel: the login (prompt first, 500 005 before 505, wrong password closes,
# timeout 5052, rate limit), the worked checksum examples, one exact answer
# per command (500/501/502 codes), garbage (bad checksum, unknown command,
# over-long, binary, half lines, disconnects), 001/008/615/616, live zone and
# partition messages, arm/disarm with 900/200 and with a configured code, two
# clients, one-client mode, the start-up refusals, and no secret in the log.
# Prints "ok NAME" / "FAIL NAME: detail"; run by tests/cli/keybusd_tpi.sh.
import re, socket, subprocess, sys, time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from tpi_common import *  # noqa: E402,F401
import tpi_common as tc  # noqa: E402

K = sys.argv[1]
PW = "Tpi-s3cret"


def main():
    # --- the fact sheet's worked checksums (our rule, on its examples)
    for s, want in (("505" + "3", "CD"), ("005user", "54"), ("500005", "2A"), ("5051", "CB"), ("5050", "CA"),
                    ("5052", "CC"), ("000", "90"), ("500000", "25"), ("001", "91"), ("500001", "26"),
                    ("008", "98"), ("500008", "2D"), ("0711*112#", "AA"), ("04011234", "8F"), ("0603", "C9"),
                    ("6501", "CC"), ("65210", "FE"), ("65211", "FF"), ("65212", "00"), ("65213", "01"),
                    ("609001", "30"), ("610001", "28"), ("610048", "33"), ("7001" + "0040", "8C"),
                    ("502020", "29"), ("501", "96")):
        ok("checksum " + s, cs(s) == want, cs(s))

    p = start(K)
    web = Web(p.hport)
    ok("keybusd runs with --tpi", p.poll() is None, log_of(p)[-500:])
    early = Tpi(p.tport)  # logs in never: 5052 after 10 s (checked at the end)
    t0 = time.time()

    # --- login
    t = Tpi(p.tport)
    first = t.read_line()
    ok("first line is exactly 5053CD", first == "5053CD", first)
    t.cmd("005" + PW)
    a, b = t.read_line(), t.read_line()
    ok("login: 500005 ack first", a == "5000052A", a)
    ok("login: then 5051", b == "5051CB", b)
    l = t.read_line()
    ok("615 pushed after login", l is not None and l.startswith("615") and len(l) == 3 + 256 + 2 and strip(l), l)

    bad = Tpi(p.tport)
    bad.read_line()
    bad.cmd("005wrong")
    a, b = bad.read_line(), bad.read_line()
    ok("wrong password: 500005 then 5050", (a, b) == ("5000052A", "5050CA"), (a, b))
    ok("wrong password: socket closed", bad.read_line(2) is None and bad.closed)

    # --- one answer per command, exact acks
    for s, want in (("000", "50000025"), ("0561", "500056"), ("0560", "500056"), ("0741", "500074"),
                    ("0101230120626", "500010")):
        t.cmd(s)
        l, seen = t.expect(r"50[012].*")
        ok("answer to %s is %s" % (s, want), l is not None and (l == want or strip(l) == want), seen)
    t.expect(r"550.*", 1)  # 056 1 sends one time broadcast now
    # the worked examples: bad checksum, syntax, unknown, partition, not armed
    cases = [
        (b"00091\r\n", "501", "bad checksum -> 501"),
        (b"00090\r\n", "500000", "good checksum -> 500000"),
        (line("999"), "502022", "unknown command -> 502 022"),
        (line("0309"), "502021", "partition 9 -> 502 021"),
        (line("0401None"), "502027", "disarm with 'None' -> 502 027"),
        (line("04011234"), "502023", "disarm while disarmed -> 502 023"),
        (line("0401123"), "502025", "disarm with 3 digits -> 502 025"),
        (line("0711*1x#"), "502027", "keys with a letter -> 502 027"),
        (line("0711*1234567"), "502025", "7 keys -> 502 025"),
        (line("0604"), "502020", "panic 4 -> 502 020"),
        (line("2001234"), "502026", "200 with no 900 -> 502 026"),
        (b"garbage\r\n", "502020", "garbage -> 502 020"),
        (b"\x00\x01\xfe\xff\r\n", "502027", "binary -> 502 027"),
        (b"9" * 500 + b"\r\n", "502002", "over-long line -> one 502 002"),
        (b"000", None, None),
        (b"90\r\n", "500000", "a line in two pieces is put together"),
        (("00" + "0" + "90").lower().encode() + b"\r\n", "500000", "lower-case checksum is taken"),
    ]
    for raw, want, name in cases:
        t.send(raw)
        if want is None:
            time.sleep(0.1)
            continue
        l, seen = t.expect(r"50[012].*")
        got = strip(l) if l else None
        ok(name, got == want, seen)
    # nothing more after them (exactly one answer each: the next answer is the 000's)
    t.cmd("000")
    l, seen = t.expect(r"50[012].*")
    ok("exactly one answer per line (the next is the poll's)", strip(l or "") == "500000" and
       not [x for x in seen[:-1] if strip(x) and strip(x)[:3] in ("500", "501", "502")], seen)

    # --- 001: every zone, partitions, lights
    t.cmd("001")
    l, _ = t.expect(r"500001")
    ok("001 acked", l is not None)
    lines = []
    for _ in range(80):
        x = t.read_line(1)
        if x is None:
            break
        lines.append(strip(x))
    zl = [x for x in lines if x and x[:3] in ("609", "610")]
    ok("001: 609/610 for zones 001-064", [x[3:] for x in zl] == ["%03d" % z for z in range(1, 65)], zl[:5])
    ok("001: partition 1 and 2 states", "6501" in lines and "6502" in lines, lines[-12:])
    ok("001: 510 lights of partition 1", any(x and x.startswith("510") for x in lines), lines[-8:])
    st = web.state()
    ok("001's 650 1 agrees with keybus (ready)", st and st["partitions"][0]["ready"] is True, st)

    # --- 008 / 615 timers and live zones
    t.cmd("008")
    l, _ = t.expect(r"500008")
    l2, _ = t.expect(r"615.*")
    ok("008: 500008 then 615 with 64 timers of 0000", l and l2 and strip(l2) == "615" + "0000" * 64, l2)
    ok("poke zone 3 open", web.poke({"zone": 3, "open": True}) == 202)
    l, seen = t.expect(r"609003", 8)
    ok("zone 3 open -> 609003", l is not None, seen)
    t.cmd("008")
    l, _ = t.expect(r"615.*")
    ok("615: zone 3 open is FFFF", l and strip(l)[3 + 8:3 + 12] == "FFFF", l)
    web.poke({"zone": 3, "open": False})
    l, seen = t.expect(r"610003", 8)
    ok("zone 3 closed -> 610003", l is not None, seen)
    t.cmd("008")
    l, _ = t.expect(r"615.*")
    ok("615: zone 3 just closed is F9FF (0xFFF9 little-endian), zone 4 0000",
       l and strip(l)[3 + 8:3 + 12] == "F9FF" and strip(l)[3 + 12:3 + 16] == "0000", l)
    t.cmd("0711*1#")
    l, _ = t.expect(r"500071")
    l2, _ = t.expect(r"616.*")
    ok("*1# -> 500071 then 616 from the bypass report", l and l2 and strip(l2) == "616" + "00" * 8, l2)

    # --- a second client sees the same, its acks stay its own
    t2 = Tpi(p.tport)
    _, a, b = t2.login(PW)
    ok("second client logs in", b == "5051CB", (a, b))
    t2.expect(r"615.*")
    t2.cmd("000")
    l, _ = t2.expect(r"500000")
    ok("second client's 000 acked to it", l is not None)
    web.poke({"zone": 5, "open": True})
    l1, s1 = t.expect(r"609005", 8)
    l2, s2 = t2.expect(r"609005", 8)
    ok("zone 5 open reaches both clients", l1 and l2, (s1, s2))
    ok("the other client's ack did not reach the first", not [x for x in s1 if strip(x) == "500000"], s1)
    web.poke({"zone": 5, "open": False})
    t.expect(r"610005", 8)
    t2.expect(r"610005", 8)
    t2.close()

    # --- arm away: 500030, 900, 200 + code, then 656 and 652 10 (the panel's own states)
    t.cmd("0301")
    l, _ = t.expect(r"500030")
    ok("arm away: 500030", l is not None)
    l, seen = t.expect(r"900.*", 3)
    ok("arm away without a configured code: 900 1 4 (code required)", l and strip(l) == "90014", seen)
    t.cmd("2001234")
    l, _ = t.expect(r"500200")
    ok("200 + code acked", l is not None)
    l, seen = t.expect(r"6561", 8)
    ok("exit delay -> 6561", l is not None, seen)
    ok("no 651 while the panel prompts for the code (0x9F keeps the last state)",
       not [x for x in seen if strip(x) == "6511"], seen)
    l, seen = t.expect(r"65210", 15)
    ok("armed away -> 65210", l is not None, seen)
    st = web.part_when(1, lambda p: p["armed"] == "away")
    ok("keybus agrees: armed away", st and st["armed"] == "away", st)
    t.cmd("0301")
    l, _ = t.expect(r"50[012].*")
    ok("arm while armed -> 502 024", strip(l or "") == "502024", l)
    t.cmd("04011234")
    l, _ = t.expect(r"50[012].*")
    ok("disarm: 500040", strip(l or "") == "500040", l)
    l, seen = t.expect(r"6551", 8)
    ok("disarmed -> 6551 first", l is not None, seen)
    l2, seen2 = t.expect(r"650.*|651.*", 5)
    ok("then 650/651 after 655 (and 750 between when the panel names the user)",
       l2 is not None and all(strip(x) and strip(x)[:3] in ("750", "510", "511", "840", "841") for x in seen2[:-1]), seen2)
    st = web.part_when(1, lambda p: p["armed"] is None)
    ok("keybus agrees: disarmed", st and st["armed"] is None, st)

    # --- timestamps on request
    t.cmd("0551")
    t.expect(r"500055")
    t.cmd("000")
    l = t.read_line()
    ok("055 1: lines carry HH:MM:SS first", l and re.fullmatch(r"\d\d:\d\d:\d\d 50000025", l), l)
    t.cmd("0550")
    t.expect(r"500055")

    # --- half a line, then the client goes: keybusd stays
    h = Tpi(p.tport)
    h.read_line()
    h.send(b"005Tpi-s")
    h.close()
    d = Tpi(p.tport)
    d.read_line()
    try:
        d.send(b"\xff" * 70000)
    except OSError:
        pass
    d.close()
    time.sleep(0.3)
    t.cmd("000")
    l, _ = t.expect(r"500000")
    ok("half lines, floods and disconnects: keybusd answers on", l is not None and p.poll() is None)

    # --- the client that never logged in: 5052 and closed
    wait = 10.5 - (time.time() - t0)
    if wait > 0:
        time.sleep(wait)
    first = early.read_line(1)
    l = early.read_line(2)
    ok("no login within 10 s: 5052CC, then closed", first == "5053CD" and l == "5052CC" and early.read_line(2) is None, (first, l))

    # --- failed logins are rate-limited
    for i in range(5):
        b = Tpi(p.tport)
        b.login("nope%d" % i)
        b.close()
    b = Tpi(p.tport)
    _, a, r = b.login(PW)
    ok("after 5 failures the right password is refused for a while (5050)", r == "5050CA", r)
    b.close()
    log = log_of(p)
    ok("the limiter is logged", "too many failed logins" in log, log[-400:])
    ok("no password in the log", PW not in log and "nope" not in log)
    ok("no code in the log", not re.search(r"(?<!\d)1234(?!\d)", log), [x for x in log.splitlines() if "1234" in x])
    t.close()
    ok("keybusd stops cleanly (exit 0)", stop(p) == 0, log_of(p)[-300:])

    # --- a configured code: no 900; stay arming; one-client mode
    p = start(K, ["--tpi-clients", "1"], env_extra={"KEYBUS_TPI_CODE": "1234"})
    web = Web(p.hport)
    t = Tpi(p.tport)
    _, a, b = t.login(PW)
    ok("one-client mode: first client logs in", b == "5051CB", (a, b))
    l, seen = t.expect(r"6501", 10)
    ok("partition 1 reported ready (6501) once the bus is up", l is not None, seen)
    o = Tpi(p.tport)
    got = o.read_line(2)
    ok("one-client mode: a second connection is closed at once", got is None, got)
    t.cmd("0311")
    l, seen = t.expect(r"50[012].*")
    ok("arm stay: 500031", strip(l or "") == "500031", seen)
    l, seen = t.expect(r"6521[13]|900.*", 20)
    ok("configured code: no 900, armed stay -> 65211", l is not None and strip(l) == "65211", seen)
    st = web.part_when(1, lambda p: p.get("armed") == "stay")
    ok("keybus agrees: armed stay", (st or {}).get("armed") == "stay", st)
    t.cmd("04011234")
    l, seen = t.expect(r"6551", 8)
    ok("disarmed -> 6551", l is not None, seen)
    t.close()
    time.sleep(0.2)
    n = Tpi(p.tport)
    ok("one-client mode: the slot is free again after the client leaves", n.read_line(2) == "5053CD")
    n.close()
    log = log_of(p)
    ok("no code in the log (configured code)", not re.search(r"(?<!\d)1234(?!\d)", log), log[-300:])
    stop(p)

    # --- the discovery pages /2 and /3 (basic auth with the TPI password)
    import base64
    def page(port, path, pw, user="user"):
        h = {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()} if pw else {}
        s_, d_, r_ = Web(port).req("GET", path, headers=h)
        return s_, d_.decode("latin-1"), r_
    p = start(K)
    s2, d2, _ = page(p.hport, "/2", PW)
    ok("/2 with the TPI password: 200, Envisalink 4, DSC",
       s2 == 200 and "<TITLE>Envisalink 4</TITLE>" in d2 and ">Security Subsystem - DSC<" in d2, (s2, d2))
    s3, d3, _ = page(p.hport, "/3", PW)
    m = re.search(r"Firmware Version: ([^ ]*) ", d3), re.search(r"MAC: ([0-9a-fA-F]*)", d3)
    ok("/3: firmware and a 12-digit MAC", s3 == 200 and m[0] and m[1] and len(m[1].group(1)) == 12, d3)
    s3b, d3b, _ = page(p.hport, "/3", PW)
    ok("/3: the MAC is stable", d3b == d3)
    s, d_, r = page(p.hport, "/2", None)
    ok("/2 without credentials: 401 with a Basic challenge", s == 401 and "Basic" in (r.getheader("WWW-Authenticate") or ""), s)
    s, d_, r = page(p.hport, "/3", "wrong")
    ok("/3 with a wrong password: 401", s == 401, s)
    s, d_, r = Web(p.hport).req("GET", "/3", headers={"Authorization": "Basic %%%%"})
    ok("/3 with garbage credentials: 401", s == 401, s)
    for i in range(5):
        page(p.hport, "/3", "wrong%d" % i)
    s, d_, r = page(p.hport, "/3", PW)
    ok("/3 after 5 wrong passwords: 429 for a while", s == 429, s)
    s, d_, r = Web(p.hport).req("GET", "/api/state")
    ok("the web keypad is still served beside them", s == 200)
    log = log_of(p)
    ok("no password in the log (pages)", PW not in log and "wrong0" not in log)
    stop(p)
    p = start(K, ["--http", "off", "--tpi-http", "127.0.0.1:%d" % free_port()], wait=False)
    port = int(p.args[p.args.index("--tpi-http") + 1].rsplit(":", 1)[1])
    wait_for(lambda: p.poll() is not None or "discovery pages" in log_of(p), 10)
    s2, d2, _ = page(port, "/2", PW)
    ok("--http off --tpi-http: /2 served", s2 == 200 and "Security Subsystem - DSC" in d2, (s2, log_of(p)[-300:]))
    s, d_, r = Web(port).req("GET", "/api/state")
    ok("--tpi-http: nothing but /2 and /3 (404)", s == 404, s)
    stop(p)
    r = subprocess.run([K, "--config", "/dev/null", "--mqtt", "off", "--tpi-http", "127.0.0.1:1"], capture_output=True,
                       text=True, env={"PATH": "/usr/bin:/bin"}, timeout=20)
    ok("--tpi-http without --tpi, or with the keypad on: exit 2", r.returncode == 2 and "--tpi-http" in r.stderr, r.stderr)

    # --- the [tpi] section of the configuration file (kb_conf)
    import tempfile, os as _os
    cdir = tempfile.mkdtemp()
    with open(_os.path.join(cdir, "tpi.secret"), "w") as f:
        f.write("From-F1le\n")
    tp = free_port()
    conf = _os.path.join(cdir, "keybusd.conf")
    with open(conf, "w") as f:
        f.write("[tpi]\nlisten = 127.0.0.1:%d\npassword_file = tpi.secret\ncode = 1234\nclients = 2\n" % tp)
    r = subprocess.run([K, "--config", conf, "--mqtt", "off", "--http", "off", "--check-config"], capture_output=True,
                       text=True, env={"PATH": "/usr/bin:/bin"}, timeout=20)
    ok("[tpi] in the file: --check-config shows it, never the secrets",
       r.returncode == 0 and "[tpi]" in r.stdout and "listen = 127.0.0.1:%d" % tp in r.stdout and "clients = 2" in r.stdout
       and "From-F1le" not in r.stdout and "1234" not in r.stdout, r.stdout[-400:] + r.stderr)
    p = subprocess.Popen([K, "--config", conf, "--mqtt", "off", "--http", "off", "--speed", "4"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})
    tc.procs.append(p)
    t = None
    for _ in range(100):
        try:
            t = Tpi(tp)
            break
        except OSError:
            time.sleep(0.05)
    _, a, b = t.login("From-F1le") if t else (None, None, None)
    ok("[tpi] password_file: the password from the file logs in", b == "5051CB", (a, b))
    stop(p)
    with open(conf, "w") as f:
        f.write("[tpi]\nlisten = 127.0.0.1:%d\nclients = 9\ncode = 12\n" % tp)
    r = subprocess.run([K, "--config", conf, "--check-config"], capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin"}, timeout=20)
    ok("[tpi] clients 9 and a 2-digit code: errors naming the lines", r.returncode == 2 and ":3:" in r.stderr and
       "code_length" in r.stderr and "12" not in r.stderr.replace(":3:", ""), r.stderr)
    with open(conf, "w") as f:
        f.write("[tpi]\nlisten = 0.0.0.0:%d\n" % tp)
    r = subprocess.run([K, "--config", conf, "--mqtt", "off", "--http", "off"], capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin"}, timeout=20)
    ok("[tpi] listen on 0.0.0.0 without a password: exit 2", r.returncode == 2 and "other machines" in r.stderr, r.stderr)

    # --- the refusals at start-up
    r = subprocess.run([K, "--config", "/dev/null", "--mqtt", "off", "--http", "off", "--tpi", "127.0.0.1:1"],
                       capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, timeout=20)
    ok("--tpi without a password: exit 2", r.returncode == 2 and "KEYBUS_TPI_PASSWORD" in r.stderr, r.stderr)
    r = subprocess.run([K, "--config", "/dev/null", "--mqtt", "off", "--http", "off", "--tpi", "0.0.0.0:1"],
                       capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, timeout=20)
    ok("--tpi 0.0.0.0 without a password: exit 2, says other machines", r.returncode == 2 and "other machines" in r.stderr,
       r.stderr)
    r = subprocess.run([K, "--config", "/dev/null", "--mqtt", "off", "--http", "off", "--tpi", "127.0.0.1"],
                       capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "KEYBUS_TPI_PASSWORD": "x"}, timeout=20)
    ok("--tpi without a port: exit 2", r.returncode == 2 and "ADDR:PORT" in r.stderr, r.stderr)
    r = subprocess.run([K, "--config", "/dev/null", "--mqtt", "off", "--http", "off", "--tpi", "127.0.0.1:1",
                        "--check-config"], capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "KEYBUS_TPI_PASSWORD": "Tpi-s3cret", "KEYBUS_TPI_CODE": "1234"},
                       timeout=20)
    ok("--check-config names the TPI, not its secrets", r.returncode == 0 and "tpi" in r.stdout and
       "Tpi-s3cret" not in r.stdout + r.stderr and "1234" not in r.stdout + r.stderr, r.stdout[-300:] + r.stderr)


try:
    main()
finally:
    tc.stop_all()
print("conformance: %d failed" % tc.fails)
sys.exit(1 if tc.fails else 0)
