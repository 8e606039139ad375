#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# seeds.py TARGET OUTDIR - writes the seed corpus of one libFuzzer target
# (tests/fuzz/fuzz_TARGET.c) into OUTDIR, from the tests' own data: the
# captures (tests/data/captures), the VCD fixtures (tests/data/vcd), the
# scenarios (examples/scenarios) and VCDs keybus-reader writes from the
# captures ($KEYBUS_READER, default build/bin/keybus-reader). Built at run
# time by tests/cli/fuzz.sh; nothing here is committed as a corpus.
# The binary formats are the ones described at the top of each target.
import glob
import json
import os
import struct
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CAPS = sorted(glob.glob(os.path.join(ROOT, "tests/data/captures/*.txt")))
READER = os.environ.get("KEYBUS_READER", os.path.join(ROOT, "build/bin/keybus-reader"))
CHUNK = 30  # lines of a capture per seed


def chunks(path, n=CHUNK):
    lines = open(path, "rb").read().split(b"\n")
    for i in range(0, len(lines), n):
        yield i // n, b"\n".join(lines[i:i + n]) + b"\n"


def write(out, name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


def reader(args, stdin=None):
    r = subprocess.run([READER] + args, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, check=False)
    return r.stdout


def frames(path, limit=60):
    """(source, bytes, bits, cmd, time) of the first frames of a capture, via --json."""
    out = []
    for line in reader(["--json", path]).decode("utf-8", "replace").splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            continue
        b = bytes(int(x, 16) for x in o["bytes"])
        cmd = int(o["cmd"], 16) if o.get("cmd") else 0
        t = o.get("time", "")
        try:
            t = float(t)
        except ValueError:
            t = 0.0
        out.append((o["source"], b, o["bits"], cmd, t))
        if len(out) >= limit:
            break
    return out


def small_vcds(n_lines=8, per_file=2):
    """VCDs keybus-reader writes from short pieces of the captures."""
    tmp = os.path.join(os.environ.get("TMPDIR", "/tmp"), "kb-seeds-%d.vcd" % os.getpid())
    for path in CAPS:
        for k, text in chunks(path, n_lines):
            if k >= per_file:
                break
            src = tmp + ".txt"
            open(src, "wb").write(text)
            subprocess.run([READER, "--vcd-out", tmp, src], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
            if os.path.exists(tmp) and os.path.getsize(tmp) < 200000:
                yield "%s-%d" % (os.path.basename(path)[:-4], k), open(tmp, "rb").read()
    for p in (tmp, tmp + ".txt"):
        if os.path.exists(p):
            os.remove(p)


def vcd_edges(text):
    """(t_us, wire, level) of a VCD written by keybus-reader (1 us, ids ! and ")."""
    t, out = 0, []
    for line in text.decode().splitlines():
        if line.startswith("#"):
            t = int(line[1:])
        elif line[:1] in "01" and line[1:] in ("!", '"'):
            out.append((t, 0 if line[1:] == "!" else 1, int(line[0])))
    return out


def seed_capture(out):
    for path in CAPS:
        for k, data in chunks(path):
            write(out, "%s-%03d" % (os.path.basename(path)[:-4], k), data)


def seed_vcd(out):
    for path in glob.glob(os.path.join(ROOT, "tests/data/vcd/*.vcd")):
        write(out, os.path.basename(path), open(path, "rb").read())
    for name, data in small_vcds():
        write(out, name + ".vcd", data)


def seed_scenario(out):
    for path in glob.glob(os.path.join(ROOT, "examples/scenarios/*.kbs")):
        write(out, os.path.basename(path), open(path, "rb").read())


def frame_records(fr):
    """fuzz_engine records 0 (panel) and 1 (module) for a capture's frames."""
    rec, t0 = b"", None
    for src, b, bits, cmd, t in fr:
        dt = 0 if t0 is None else max(0, min(65535, int((t - t0) * 1000)))
        t0 = t
        n = min(len(b), 16)
        if src == "panel":
            rec += struct.pack("<BBHHH", 0, n, bits, 0, dt) + b[:n]
        else:
            rec += struct.pack("<BBBBHH", 1, cmd, b[2] if cmd == 0xE6 and len(b) > 2 else 0, n,
                               bits, dt) + b[:n]
    return rec


def seed_engine(out):
    for path in CAPS:
        fr = frames(path)
        if not fr:
            continue
        base = os.path.basename(path)[:-4]
        write(out, base + "-log", b"\x01" + frame_records(fr))
        write(out, base + "-live", b"\x00" + frame_records(fr))


def link_ops(edges, arm=None):
    """fuzz_link records: each clock edge (op 0 / 1) and its sample 250 us
    later (op 2) with the data level then; a drain (op 3) every 64 edges."""
    rec, t_prev, clk, dat = b"", 0, 1, 1
    if arm:
        rec += struct.pack("<BBBBBB", 6, *arm)
    pending = None  # time of the armed sample
    for i, (t, wire, level) in enumerate(edges):
        if pending is not None and t >= pending:
            rec += bytes([2 | (clk << 4) | (dat << 5)])
            pending = None
        if wire == 1:
            dat = level
            continue
        clk = level
        dt = t - t_prev
        t_prev = t
        if dt <= 0xFFFF:
            rec += struct.pack("<BH", 0 | (level << 4), dt)
        else:
            rec += struct.pack("<BI", 1 | (level << 4), dt & 0xFFFFFFFF)
        pending = t + 250
        if i % 64 == 63:
            rec += b"\x03"
    return rec + b"\x0a\x03\x05\x0b"


def seed_link(out):
    for k, (name, data) in enumerate(small_vcds(n_lines=6, per_file=1)):
        e = vcd_edges(data)
        write(out, name, link_ops(e))
        if k % 3 == 0:  # a key armed in the slot of partition 1 (0x05, byte 2)
            write(out, name + "-arm", link_ops(e, arm=(0x11, 2, 0x05, 0x0A, 1)))


def wave_records(fr):
    """fuzz_keys record 5: panel frames clocked through the link."""
    rec = b""
    for src, b, bits, cmd, t in fr:
        if src != "panel":
            continue
        n = min(len(b), 16)
        rec += struct.pack("<BBHB", 5, min(bits, 255), 100, n) + b[:n]
    return rec


def submit(part, keys, code=None):
    k = keys.encode()
    c = (code or "").encode()
    return struct.pack("<BBB", 0, part, len(k)) + k + struct.pack("<BB", 1 if code else 0, len(c)) + c


def seed_keys(out):
    reqs = [submit(1, "w", "1234"), submit(1, "s", "1234"), submit(1, "1234"),
            submit(2, "*1", "1234"), submit(1, "*6@1123405061#", "123456"), submit(1, "f"),
            submit(1, "p"), submit(5, "#"), submit(1, "c"),
            struct.pack("<BBHBBBBB", 1, 1, 2026, 12, 6, 1, 30, 4) + b"1234"]
    for k, path in enumerate(CAPS):
        fr = frames(path, limit=40)
        if not any(s == "panel" for s, *_ in fr):
            continue
        w = wave_records(fr)
        half = len(w) // 2
        tick = struct.pack("<BH", 3, 5000)
        write(out, os.path.basename(path)[:-4],
              w[:half] + reqs[k % len(reqs)] + w[half:] + tick + struct.pack("<BH", 4, 1))


def seed_conf(out):
    """fuzz_conf: the example configuration, the string literals of the
    configuration's unit test (each a file of its own: good files and one
    per class of error), C escapes decoded."""
    import codecs
    import re
    write(out, "example.conf", open(os.path.join(ROOT, "examples/keybusd.conf"), "rb").read())
    src = open(os.path.join(ROOT, "tests/unit/host/test_conf.c"), "rb").read().decode("utf-8")
    k = 0
    for lit in re.findall(r'((?:"(?:[^"\\\n]|\\.)*"\s*)+)', src):
        parts = re.findall(r'"((?:[^"\\\n]|\\.)*)"', lit)
        text = "".join(parts)
        if "[" not in text or "=" not in text and "]" not in text:
            continue
        try:
            data = codecs.escape_decode(text.encode("utf-8"))[0]
        except ValueError:
            continue
        write(out, "test-%03d.conf" % k, data)
        k += 1


SEEDERS = {"capture": seed_capture, "vcd": seed_vcd, "scenario": seed_scenario,
           "engine": seed_engine, "link": seed_link, "keys": seed_keys}
SEEDERS["conf"] = seed_conf


def seed_ha(out):
    """fuzz_ha: the commands of tests/unit/ha/test_ha.c (the JSON string
    literals of its parse calls and tables), good and bad, as raw bytes."""
    import re
    src = open(os.path.join(ROOT, "tests/unit/ha/test_ha.c"), encoding="utf-8").read()
    src = re.sub(r"'(?:\\.|[^'\\])'", "", src)  # char literals ('"') would pair quotes wrongly
    n = 0
    for m in re.finditer(r'"((?:\\.|[^"\\])*)"', src):
        lit = m.group(1)
        if not lit.startswith("{\\\""):
            continue
        text = bytes(lit, "utf-8").decode("unicode_escape").encode("utf-8")
        write(out, "cmd-%03d" % n, text)
        n += 1
    write(out, "template", b'{"partition":1,"action":"arm_away","code":"1234","id":"ha-1"}')
    write(out, "bypass-max", b'{"partition":2,"action":"bypass","code":"123456","zones":[1,2,3,4,5,6,7,8,9,10]}')
    # what the buttons' payload_press send (kb_ha_discovery)
    write(out, "button-output", b'{"partition":1,"action":"output","output":2}')
    write(out, "button-panic", b'{"partition":8,"action":"panic"}')
    write(out, "alarm-key-with-code", b'{"partition":1,"action":"aux","code":"1234"}')


SEEDERS["ha"] = seed_ha


def seed_ha_out(out):
    """fuzz_ha_out: 8 configuration bytes (partitions, zones, flags, PGM
    mask, buttons, entity to discover, reserved), then raw bytes of a
    kb_status_t, a kb_event_t and a kb_health_t (the target pads with
    zeros). Their layout is C's, so the seeds are patterns the fuzzer grows
    from: all zero, all ones, and a deterministic byte walk per config."""
    import random
    rnd = random.Random(8)
    configs = [b"\x01\x00\x00\x00\x00\x00\x00\x00", b"\x03\x03\x00\x05\x00\x52\x07\x00",
               b"\xff\x05\xff\xff\x3f\x7f\x40\x00", b"\x05\x02\x21\x01\x20\x00\x10\x00"]
    for k, cfg in enumerate(configs):
        write(out, "zero-%d" % k, cfg + bytes(600))
        write(out, "ones-%d" % k, cfg + b"\xff" * 600)
        write(out, "walk-%d" % k, cfg + bytes(rnd.randrange(256) for _ in range(600)))
        # small values only: states that look like real ones (flags 0/1, types in range)
        write(out, "small-%d" % k, cfg + bytes(rnd.randrange(3) for _ in range(600)))


SEEDERS["ha_out"] = seed_ha_out

def seed_http(out):
    """fuzz_http (the web keypad, tests/fuzz/fuzz_http.c): a flags byte, then
    method, path, query, host, cookie, token, if-none-match, content-type
    separated by newlines, then the body."""
    def req(name, flags, method, path, body=b"", query=b"", host=b"127.0.0.1:8080", ctype=b"application/json",
            cookie=b"", token=b"", inm=b""):
        write(out, name, bytes([flags]) + b"\n".join([method, path, query, host, cookie, token, inm, ctype]) + b"\n" + body)
    for p in [b"/", b"/app.js", b"/app.css", b"/index.html", b"/api/state", b"/api/events", b"/api/session",
              b"/api/stream", b"/api/result", b"/nothing", b"/api/"]:
        req("get" + p.decode().replace("/", "_"), 0x03, b"GET", p, query=b"id=web-1" if p == b"/api/result" else b"")
    for name, body in [("arm", b'{"partition":1,"action":"arm_away","code":"1234"}'), ("keys", b'{"partition":1,"keys":"*4"}'),
                       ("aux", b'{"partition":1,"action":"aux"}'), ("panic", b'{"partition":1,"action":"panic"}'),
                       ("bypass", b'{"partition":1,"action":"bypass","zones":[1,2],"code":"1234"}'),
                       ("bad", b'{"partition":1,'), ("output", b'{"partition":2,"action":"output","output":3}')]:
        req("keys_" + name, 0x03, b"POST", b"/api/keys", body)
        req("keys_notoken_" + name, 0x01, b"POST", b"/api/keys", body)
    req("sim_zone", 0x03, b"POST", b"/api/sim", b'{"zone":3,"open":true}')
    req("sim_cut", 0x03, b"POST", b"/api/sim", b'{"cut_ms":100}')
    req("login_right", 0x13, b"POST", b"/api/login", b'{"password":"fuzzpw"}')
    req("login_wrong", 0x13, b"POST", b"/api/login", b'{"password":"nope"}')
    req("logout", 0x13, b"POST", b"/api/logout", b"{}")
    req("state_pw", 0x11, b"GET", b"/api/state")
    req("host_evil", 0x03, b"GET", b"/api/state", host=b"evil.example")
    req("host_v6", 0x03, b"GET", b"/api/state", host=b"[::1]:8080")
    req("etag", 0x00, b"GET", b"/", inm=b'"0000000000000000"')
    req("cookie_odd", 0x00, b"GET", b"/api/state", cookie=b"a=b; kb_session=0123456789abcdef0123456789abcdef; x")
    req("put", 0x03, b"PUT", b"/api/keys", b"{}")
    req("stream", 0x23, b"GET", b"/api/stream")
    req("too_large", 0x0b, b"POST", b"/api/keys", b"x" * 600)
    # the Envisalink discovery pages (bit 7: the if-none-match field is the Authorization header)
    req("tpi_2_ok", 0x80, b"GET", b"/2")
    req("tpi_3_ok", 0x90, b"GET", b"/3")
    req("tpi_2_wrong", 0x80, b"GET", b"/2", inm=b"Basic dXNlcjp3cm9uZw==")
    req("tpi_3_garbage", 0x80, b"GET", b"/3", inm=b"Basic ###=")
    req("tpi_2_nobasic", 0x80, b"GET", b"/2", inm=b"Digest x")


SEEDERS["http"] = seed_http


def seed_tpi(out):
    """fuzz_tpi (keybusd --tpi, tests/fuzz/fuzz_tpi.c): a flags byte, then
    records: connect, the login, state changes, then client lines of the
    fact sheet (docs/protocol/envisalink-tpi.md), their output checked."""
    def ln(s):
        return s.encode() + ("%02X" % (sum(s.encode()) & 255)).encode() + b"\r\n"

    def rec_in(k, data):
        b = b""
        while data:
            b += bytes([1, k, min(len(data), 255)]) + data[:255]
            data = data[255:]
        return b

    up = bytes([3, 0, 1, 1, 0, 1]) + bytes([3, 5, 0, 3]) + bytes([3, 6, 0, 1])  # partition ready, AC ok, bus up
    base = bytes([0, 0]) + bytes([1, 0, 0]) + up + bytes([5, 0])
    lines = ["000", "001", "008", "0101230120626", "0301", "0311", "0321", "2001234", "04011234", "0401None",
             "0711*1#", "0711*4", "0603", "0201" + "1", "0551", "0561", "0741", "999", "0309"]
    for flags in (0x02, 0x03, 0x07):
        for i, l in enumerate(lines):
            write(out, "tpi_%02x_%02d" % (flags, i),
                  bytes([flags]) + base + rec_in(0, ln(l)) + bytes([5, 0, 7, 0, 2, 0, 50, 5, 0]))
    write(out, "tpi_garbage", bytes([2]) + base + rec_in(0, b"00091\r\n\x00\xff\r\n" + b"9" * 300 + b"\r\n000") +
          bytes([5, 0, 6, 0]))
    write(out, "tpi_wrong_login", bytes([2, 0, 1]) + rec_in(1, ln("005nope")) + bytes([5, 1, 2, 0, 200, 5, 1]))
    write(out, "tpi_arm_cycle", bytes([3]) + base + rec_in(0, ln("0301")) + bytes([7, 0]) +
          bytes([3, 3, 0, 1, 4, 0, 1, 40, 3, 2, 0, 2, 3, 3, 0, 0, 5, 0]) + rec_in(0, ln("04011234")) +
          bytes([7, 0, 3, 2, 0, 0, 5, 0]))


SEEDERS["tpi"] = seed_tpi


def seed_classic_text(out):
    """fuzz_classic_text: the Classic logs of tests/data/classic, whole and
    line by line (issue 11)."""
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/data/classic/*.txt"))):
        base = os.path.basename(path)[:-4]
        data = open(path, "rb").read()
        write(out, base, data)
        for i, line in enumerate(data.split(b"\n")):
            if line and not line.startswith(b"#"):
                write(out, "%s_%d" % (base, i), line + b"\n")


SEEDERS["classic_text"] = seed_classic_text

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in SEEDERS:
        sys.exit("usage: seeds.py {%s} OUTDIR" % ",".join(SEEDERS))
    os.makedirs(sys.argv[2], exist_ok=True)
    SEEDERS[sys.argv[1]](sys.argv[2])
    n = len(os.listdir(sys.argv[2]))
    print("seeds: %s: %d files" % (sys.argv[1], n))
    sys.exit(0 if n else 1)
