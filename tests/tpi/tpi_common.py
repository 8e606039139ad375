# SPDX-License-Identifier: MIT
# tpi_common.py - shared by the TPI tests (tests/tpi/*.py, run by
# tests/cli/keybusd_tpi*.sh): keybusd on the simulated panel with --tpi and the
# web keypad, each on a free 127.0.0.1 port and stopped by its pid; a raw TPI
# line client; the web API client (state document, sim pokes).
import json, os, re, signal, socket, subprocess, sys, tempfile, time, http.client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import kt  # noqa: E402
from kt import ok, free_port, log_of  # noqa: E402,F401

procs = kt.procs


def __getattr__(name):
    # tc.fails: the count of kt.ok(), read when asked (an int, not shared by import)
    if name == "fails":
        return kt.fails
    raise AttributeError(name)


def cs(s):
    return "%02X" % (sum(s.encode()) & 255)


def line(s):
    return (s + cs(s) + "\r\n").encode()


def start(K, args=None, env_extra=None, password="Tpi-s3cret", wait=True, tpi=True):
    hport, tport = free_port(), free_port()
    env = dict(os.environ)
    for k in ("KEYBUS_HTTP_PASSWORD", "KEYBUS_TPI_PASSWORD", "KEYBUS_TPI_CODE"):
        env.pop(k, None)
    if password is not None:
        env["KEYBUS_TPI_PASSWORD"] = password
    env.update(env_extra or {})
    p = kt.start(K, hport, (["--tpi", "127.0.0.1:%d" % tport] if tpi else []) + (args or []), env, "kdtpi")
    p.hport, p.tport = hport, tport
    if wait:  # the TPI listens once the web keypad does: probed after it
        kt.wait_listening(p, [hport, tport] if tpi else [hport], 400, give_up_on_exit=True)
    return p


def stop(p):
    return kt.stop(p, 10)


def stop_all():
    for p in procs:
        stop(p)


class Tpi:
    """A raw TPI client: whole lines in, lines out (checksums verified)."""

    def __init__(self, port, timeout=5):
        self.s = socket.create_connection(("127.0.0.1", port), timeout)
        self.buf = b""
        self.closed = False

    def send(self, raw):
        self.s.sendall(raw)

    def cmd(self, s):
        self.s.sendall(line(s))

    def read_line(self, timeout=5):
        end = time.time() + timeout
        while b"\r\n" not in self.buf:
            left = end - time.time()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                return None
            except OSError:
                d = b""
            if not d:
                self.closed = True
                return None
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l.decode("ascii", "replace")

    def expect(self, pattern, timeout=5):
        """Lines up to the first that matches the regex (without checksum);
        returns (match line or None, lines read before it)."""
        seen = []
        end = time.time() + timeout
        while time.time() < end:
            l = self.read_line(end - time.time())
            if l is None:
                break
            seen.append(l)
            if re.fullmatch(pattern, strip(l)):
                return l, seen
        return None, seen

    def login(self, pw="Tpi-s3cret"):
        first = self.read_line()
        self.cmd("005" + pw)
        a, b = self.read_line(), self.read_line()
        return first, a, b

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def strip(l):
    """The line without its timestamp prefix and checksum; None when the checksum is wrong."""
    if re.match(r"\d\d:\d\d:\d\d ", l):
        l = l[9:]
    if len(l) < 5 or cs(l[:-2]) != l[-2:]:
        return None
    return l[:-2]


class Web:
    def __init__(self, port):
        self.port = port
        self.cookie = None
        self.csrf = None

    def req(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = self.cookie
        raw = None
        if body is not None:
            raw = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        c.request(method, path, body=raw, headers=h)
        r = c.getresponse()
        data = r.read()
        sc = r.getheader("Set-Cookie")
        if sc:
            self.cookie = sc.split(";")[0]
        c.close()
        return r.status, data, r

    def state(self):
        s, d, _ = self.req("GET", "/api/state")
        return json.loads(d) if s == 200 else None

    def poke(self, body):
        if not self.csrf:
            s, d, _ = self.req("GET", "/api/session")
            self.csrf = json.loads(d)["csrf"]
        s, d, _ = self.req("POST", "/api/sim", body=body, headers={"X-CSRF-Token": self.csrf})
        return s

    def part(self, n):
        st = self.state()
        for p in (st or {}).get("partitions", []):
            if p["n"] == n:
                return p
        return None

    def part_when(self, n, pred, timeout=3.0):
        """partition n once pred(it) holds, else its last value: the state
        document is rebuilt on keybusd's own cadence, so it may trail the TPI
        line by a few hundred ms on a loaded machine"""
        end = time.time() + timeout
        while True:
            p = self.part(n)
            if (p and pred(p)) or time.time() >= end:
                return p
            time.sleep(0.05)

    def zone(self, n):
        st = self.state()
        for z in (st or {}).get("zones", []):
            if z["n"] == n:
                return z
        return None


def wait_for(fn, timeout=10, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()
