#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# api_test.py KEYBUSD - the web keypad's JSON API against keybusd on the
# simulated panel (docs/web.md), each keybusd on a free 127.0.0.1 port and
# stopped by its pid. Prints "ok NAME" / "FAIL NAME: detail" per case; run by
# tests/cli/keybusd_web.sh, which counts them.
import json, os, re, signal, socket, subprocess, sys, tempfile, time, http.client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import kt  # noqa: E402
from kt import ok, free_port, log_of  # noqa: E402,F401

K = sys.argv[1]
procs = kt.procs


def start(args, env_extra=None, wait=True):
    port = free_port()
    env = dict(os.environ)
    env.pop("KEYBUS_HTTP_PASSWORD", None)
    env.update(env_extra or {})
    p = kt.start(K, port, args, env, "kdweb")
    p.port = port
    if wait:
        kt.wait_listening(p, [port], 200)
    return p


def stop(p):
    return kt.stop(p, 5)


class Client:
    def __init__(self, port, host=None):
        self.port = port
        self.cookie = None
        self.csrf = None
        self.host = host

    def req(self, method, path, body=None, headers=None, raw_body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        h = {}
        if self.host:
            h["Host"] = self.host
        if self.cookie:
            h["Cookie"] = self.cookie
        if body is not None:
            raw_body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        c.request(method, path, body=raw_body, headers=h)
        r = c.getresponse()
        data = r.read()
        sc = r.getheader("Set-Cookie")
        if sc:
            self.set_cookie = sc
            self.cookie = sc.split(";")[0]
        c.close()
        try:
            j = json.loads(data) if data else None
        except ValueError:
            j = None
        return r.status, j, r, data

    def session(self):
        s, j, r, _ = self.req("GET", "/api/session")
        self.csrf = j["csrf"] if j else None
        return s, j

    def post(self, path, body, token=True, headers=None):
        h = {"X-CSRF-Token": self.csrf} if token and self.csrf else {}
        h.update(headers or {})
        return self.req("POST", path, body=body, headers=h)

    def result(self, rid, timeout=15):
        end = time.time() + timeout
        last = None
        while time.time() < end:
            s, j, _, _ = self.req("GET", "/api/result?id=" + rid)
            if s == 200:
                last = j
                if j.get("result") not in ("queued", "accepted"):
                    return j
            time.sleep(0.05)
        return last


def run(args, env=None, timeout=5):
    """keybusd that should end by itself: (exit code or None when it kept
    running and had to be stopped, stdout, stderr)"""
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return None, out, err


def raw(port, data, timeout=5):
    """sends data, returns what came back (the server may answer and close
    before it has read everything: that is fine)"""
    s = socket.create_connection(("127.0.0.1", port), timeout)
    out = b""
    try:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        while True:
            try:
                b = s.recv(65536)
            except (socket.timeout, OSError):
                break
            if not b:
                break
            out += b
        return out
    finally:
        s.close()


def status_of(resp):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", resp)
    return int(m.group(1)) if m else None


try:
    # ---------------------------------------------------------------- open
    p = start([])
    c = Client(p.port)
    end = time.time() + 10
    while True:  # until the simulated panel's first status frames are decoded
        s, st, r, _ = c.req("GET", "/api/state")
        if (st and st["partitions"][0]["known"]) or time.time() > end:
            break
        time.sleep(0.05)
    ok("state_200_json", s == 200 and r.getheader("Content-Type") == "application/json", s)
    ok("state_partition_1_ready", st and st["partitions"][0]["n"] == 1 and st["partitions"][0]["ready"] is True
       and st["partitions"][0]["state"] == "disarmed", st and st.get("partitions"))
    ok("state_zone_names", st and [z["name"] for z in st["zones"]][:2] == ["Front door", "Back door"], st and st.get("zones"))
    ok("state_says_simulated", st and st["simulated"] is True and st["backend"] == "sim")
    end = time.time() + 5
    while not (st and st["health"]["connected"] and st["health"]["frames"] > 0) and time.time() < end:
        time.sleep(0.1)  # the health is sent every 2 s
        st = c.req("GET", "/api/state")[1]
    ok("state_health", st and st["health"]["connected"] is True and st["health"]["frames"] > 0, st and st.get("health"))

    s, _, r, body = c.req("GET", "/")
    ok("page_html", s == 200 and r.getheader("Content-Type").startswith("text/html") and b"/app.js" in body, s)
    ok("page_csp", "script-src 'self'" in (r.getheader("Content-Security-Policy") or "") and
       r.getheader("X-Frame-Options") == "DENY" and r.getheader("X-Content-Type-Options") == "nosniff")
    etag = r.getheader("ETag")
    ok("page_cache_headers", r.getheader("Cache-Control") == "no-cache" and etag and etag.startswith('"'), etag)
    s, _, _, body = c.req("GET", "/", headers={"If-None-Match": etag or "x"})
    ok("page_304_if_none_match", s == 304 and body == b"", s)
    s, _, r, body = c.req("GET", "/app.js")
    ok("app_js_type", s == 200 and r.getheader("Content-Type").startswith("text/javascript") and len(body) > 1000)
    ok("no_external_urls_in_assets", all(not re.search(rb"(src|href)=[\"']?(https?:)?//", c.req("GET", a)[3])
                                         for a in ("/", "/app.js", "/app.css")))
    s, _, _, _ = c.req("GET", "/nothing-here")
    ok("unknown_path_404", s == 404, s)
    s, _, r, _ = c.req("PUT", "/api/keys", raw_body=b"{}")
    ok("put_405", s == 405, s)

    # session + CSRF
    s, j = c.session()
    ok("session_csrf", s == 200 and j and re.fullmatch(r"[0-9a-f]{32}", j["csrf"] or ""), j)
    sc = getattr(c, "set_cookie", "")
    ok("session_cookie_httponly_samesite", "HttpOnly" in sc and "SameSite=Strict" in sc and sc.startswith("kb_session="), sc)
    s, j, _, _ = c.post("/api/keys", {"partition": 1, "action": "arm_away", "code": "1234"}, token=False)
    ok("post_without_token_403", s == 403 and j == {"error": "csrf"}, (s, j))
    s, j, _, _ = c.post("/api/keys", {"partition": 1, "keys": "1"}, token=False, headers={"X-CSRF-Token": "0" * 32})
    ok("post_wrong_token_403", s == 403, s)
    other = Client(p.port)
    other.csrf = c.csrf  # the token without the session's cookie
    s, _, _, _ = other.post("/api/keys", {"partition": 1, "keys": "1"})
    ok("post_token_without_cookie_403", s == 403, s)
    s, _, _, _ = c.post("/api/keys", None, headers={"Content-Type": "text/plain"})
    s, _, _, _ = c.req("POST", "/api/keys", raw_body=b'{"partition":1,"keys":"1"}',
                       headers={"X-CSRF-Token": c.csrf, "Content-Type": "text/plain"})
    ok("post_text_plain_415", s == 415, s)
    evil = Client(p.port, host="evil.example:%d" % p.port)
    s, _, _, _ = evil.req("GET", "/api/state")
    ok("foreign_host_403", s == 403, s)

    # commands: the one queue, the same result words
    s, j, _, _ = c.post("/api/keys", {"partition": 1, "action": "arm_away", "code": "9999"})
    ok("wrong_code_accepted_202", s == 202 and j and j["id"].startswith("web-"), (s, j))
    res = c.result(j["id"]) if s == 202 else None
    ok("wrong_code_result", res and res["result"] == "wrong_code", res)
    s, st, _, _ = c.req("GET", "/api/state")
    ok("wrong_code_still_disarmed", st["partitions"][0]["state"] == "disarmed", st["partitions"][0])

    for name, body, want in [
            ("bad_json_400", b'{"partition":1,', "json"),
            ("unknown_field_400", b'{"partition":1,"keys":"1","x":2}', "field"),
            ("short_code_400", b'{"partition":1,"action":"arm_away","code":"123"}', "code"),
            ("bad_partition_400", b'{"partition":9,"keys":"1"}', "partition"),
            ("empty_body_400", b"", "size"),
            ("array_400", b"[1,2]", "json"),
            ("nul_bytes_400", b'{"partition":1,"keys":"1\x00"}', None)]:
        s, j, _, _ = c.req("POST", "/api/keys", raw_body=body,
                           headers={"X-CSRF-Token": c.csrf, "Content-Type": "application/json"})
        ok(name, s == 400 and j and j.get("error") == "invalid_request" and (want is None or j.get("detail") == want), (s, j))
    s, j, _, _ = c.post("/api/keys", {"partition": 1, "action": "panic"})
    ok("panic_not_enabled_403", s == 403 and j == {"error": "not_enabled"}, (s, j))
    s, _, _, _ = c.req("POST", "/api/keys", raw_body=b"x" * 600, headers={"X-CSRF-Token": c.csrf, "Content-Type": "application/json"})
    ok("command_over_512_413", s == 413, s)
    s, _, _, _ = c.req("POST", "/api/keys", raw_body=b"x" * 100000, headers={"X-CSRF-Token": c.csrf, "Content-Type": "application/json"})
    ok("body_100k_413", s == 413, s)
    resp = raw(p.port, b"POST /api/keys HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 999999999\r\nContent-Type: application/json\r\n\r\n{")
    ok("announced_huge_body_413", status_of(resp) == 413, resp[:80])
    resp = raw(p.port, b"GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
    ok("huge_header_4xx", status_of(resp) is None or 400 <= status_of(resp) < 500, resp[:80])
    resp = raw(p.port, b"\x16\x03\x01\x02\x00garbage\r\n\r\n")
    ok("garbage_request_4xx_or_closed", status_of(resp) is None or 400 <= status_of(resp) < 500, resp[:80])
    resp = raw(p.port, b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    ok("huge_url_4xx", status_of(resp) is None or 400 <= status_of(resp) < 500, resp[:80])
    resp = raw(p.port, b"GET /api/state HTTP/1.1\r\n\r\n")
    ok("no_host_4xx", status_of(resp) is not None and 400 <= status_of(resp) < 500, resp[:80])
    resp = raw(p.port, b"POST /api/keys HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n")
    ok("bad_chunk_4xx_or_closed", status_of(resp) is None or 400 <= status_of(resp) < 500, resp[:80])
    s, j, _, _ = c.req("GET", "/api/result?id=" + "x" * 100)
    ok("result_long_id_4xx", 400 <= s < 500, s)
    s, _, _, _ = c.req("GET", "/api/state")
    ok("alive_after_malformed", s == 200 and p.poll() is None, s)

    # the right code: exit delay, then armed, over the same table
    s, j, _, _ = c.post("/api/keys", {"partition": 1, "action": "arm_away", "code": "1234"})
    res = c.result(j["id"]) if s == 202 else None
    ok("arm_away_done", res and res["result"] == "done", res)
    s, st, _, _ = c.req("GET", "/api/state")
    p1 = st["partitions"][0]
    ok("exit_delay_shown", p1["exit_delay"] is True and p1["state"] == "arming" and p1.get("delay_total_s") == 10, p1)
    # disarm again (the code as keys)
    s, j, _, _ = c.post("/api/keys", {"partition": 1, "action": "disarm", "code": "1234"})
    res = c.result(j["id"]) if s == 202 else None
    ok("disarm_done", res and res["result"] == "done", res)

    # flashing lights: armed night (no entry delay) the panel flashes Armed
    # (0x5D), which the state document carries as "flash" (engine: part.flash)
    # at once after the disarm (the panel's "disarmed" passes in one message:
    # examples/scenarios/rearm_after_disarm.kbs)
    s, st, _, _ = c.req("GET", "/api/state")
    ok("flash_none_disarmed", st["partitions"][0].get("flash") == 0, st["partitions"][0])
    s, j, _, _ = c.post("/api/keys", {"partition": 1, "action": "arm_night", "code": "1234"})
    res = c.result(j["id"]) if s == 202 else None
    ok("arm_night_done", res and res["result"] == "done", res)
    p1 = None
    end = time.time() + 15  # the exit delay (10 s at --speed 4) and the next 0x5D
    while time.time() < end:
        s, st, _, _ = c.req("GET", "/api/state")
        p1 = st["partitions"][0]
        if p1.get("flash", 0) & 2:
            break
        time.sleep(0.2)
    ok("flash_armed_night", p1 is not None and p1.get("flash", 0) & 2 and p1["state"] == "armed_night", p1)
    s, j, _, _ = c.post("/api/keys", {"partition": 1, "action": "disarm", "code": "1234"})
    res = c.result(j["id"]) if s == 202 else None
    ok("disarm_night_done", res and res["result"] == "done", res)
    end = time.time() + 5
    while time.time() < end:
        s, st, _, _ = c.req("GET", "/api/state")
        p1 = st["partitions"][0]
        if p1.get("flash") == 0:
            break
        time.sleep(0.2)
    ok("flash_stops_disarmed", p1.get("flash") == 0, p1)

    # the simulation over the API, and the stream
    sse = socket.create_connection(("127.0.0.1", p.port), 5)
    sse.sendall(b"GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    buf = b""
    end = time.time() + 3
    while b"event: state" not in buf and time.time() < end:
        buf += sse.recv(65536)
    ok("stream_first_state", b"text/event-stream" in buf and b"event: state" in buf, buf[:200])
    t0 = time.time()
    s, j, _, _ = c.post("/api/sim", {"zone": 2, "open": True})
    ok("sim_poke_202", s == 202 and j.get("simulation") is True, (s, j))
    got = False
    buf = b""
    sse.settimeout(0.2)
    while time.time() - t0 < 1.0 and not got:
        try:
            buf += sse.recv(65536)
        except socket.timeout:
            pass
        for m in re.finditer(rb"event: state\ndata: (.*)\n\n", buf):
            stj = json.loads(m.group(1))
            if [z for z in stj["zones"] if z["n"] == 2 and z["open"]]:
                got = True
    ok("stream_zone_open_within_1s", got, "%.3f s" % (time.time() - t0))
    ok("stream_carries_events", b"event: event" in buf and b"zone 2 open" in buf, buf[-300:])
    sse.close()
    res = c.result(j["id"]) if s == 202 else None
    ok("sim_poke_result_done", res and res["result"] == "done", res)
    s, j, _, _ = c.post("/api/sim", {"zone": 99, "open": True})
    res = c.result(j["id"]) if s == 202 else None
    ok("sim_poke_bad_zone_invalid", res and res["result"] == "invalid_request" and res.get("detail") == "zone", res)
    s, ev, _, _ = c.req("GET", "/api/events")
    ok("events_have_times", s == 200 and ev["events"] and all(isinstance(e["t"], int) and e["text"] for e in ev["events"]), ev)
    ok("events_arm_and_zone", any("armed away" in e["text"] or "exit delay" in e["text"] for e in ev["events"]) and
       any(e.get("name") == "Back door" for e in ev["events"]), [e["text"] for e in ev["events"]][-10:])

    rc = stop(p)
    lg = log_of(p)
    ok("sigterm_exit_0", rc == 0, rc)
    ok("no_code_in_log", "1234" not in lg and "9999" not in lg, [l for l in lg.splitlines() if "1234" in l or "9999" in l])
    ok("log_shows_url", "web keypad: http://127.0.0.1:%d/" % p.port in lg, lg[:300])

    # ------------------------------------------------------ refusals
    nopw = {k: v for k, v in os.environ.items() if k != "KEYBUS_HTTP_PASSWORD"}
    rc, out, err = run([K, "--config", "/dev/null", "--mqtt", "off", "--http", "0.0.0.0:%d" % free_port()], nopw)
    ok("non_loopback_without_password_exit_2", rc == 2 and "no password is set" in err, (rc, err))
    rc, out, err = run([K, "--config", "/dev/null", "--mqtt", "off", "--http", "[::]:%d" % free_port(), "--check-config"], nopw)
    ok("check_config_refuses_too", rc == 2, (rc, err))
    env = dict(os.environ, KEYBUS_HTTP_PASSWORD="s3cretpw")
    rc, out, err = run([K, "--config", "/dev/null", "--mqtt", "off", "--http", "0.0.0.0:%d" % free_port(), "--check-config"], env)
    ok("non_loopback_with_password_ok", rc == 0 and "s3cretpw" not in out + err, (rc, err))
    rc, out, err = run([K, "--config", "/dev/null", "--http", "off", "--check-config"])
    ok("http_off_check_config", rc == 0 and "listen = off" in out, out[-200:])

    # port taken: said clearly, keybusd keeps running without the page
    q = start([])
    q2 = subprocess.Popen([K, "--config", "/dev/null", "--mqtt", "off", "--http", "127.0.0.1:%d" % q.port],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    alive = q2.poll() is None
    q2.send_signal(signal.SIGTERM)
    _, e2 = q2.communicate(timeout=5)
    ok("port_in_use_said_and_runs", alive and "cannot listen on 127.0.0.1:%d" % q.port in e2 and q2.returncode == 0, (alive, e2[-300:]))
    stop(q)

    # --------------------------------------------------------- password
    p = start([], {"KEYBUS_HTTP_PASSWORD": "s3cretpw"})
    a = Client(p.port)
    s, _, _, _ = a.req("GET", "/api/state")
    ok("password_state_needs_login_401", s == 401, s)
    s, j = a.session()
    ok("password_session_says_so", j and j["password"] is True and j["authed"] is False, j)
    s, j, _, _ = a.post("/api/login", {"password": "s3cretpw"}, token=False)
    ok("login_without_token_403", s == 403, s)
    s, j, _, _ = a.post("/api/login", {"password": "s3cretpw"})
    ok("login_right_password_200", s == 200 and j.get("ok") is True, (s, j))
    old_csrf = a.csrf
    a.csrf = j.get("csrf")
    ok("login_new_csrf", a.csrf and a.csrf != old_csrf)
    s, _, _, _ = a.req("GET", "/api/state")
    ok("state_after_login_200", s == 200, s)
    s, j, _, _ = a.post("/api/keys", {"partition": 1, "keys": "*4"})
    ok("keys_after_login_202", s == 202, (s, j))
    b = Client(p.port)
    b.session()
    codes = [b.post("/api/login", {"password": "wrong%d" % i})[0] for i in range(5)]
    ok("wrong_password_401", codes == [401] * 5, codes)
    s, j, r, _ = b.post("/api/login", {"password": "s3cretpw"})
    ok("rate_limited_429_even_right_password", s == 429 and j.get("error") == "rate_limited" and r.getheader("Retry-After"), (s, j))
    s, _, _, _ = b.req("GET", "/api/state")
    ok("rate_limited_client_not_logged_in", s == 401, s)
    s, _, _, _ = a.req("GET", "/api/state")
    ok("other_session_unaffected", s == 200, s)
    s, _, _, _ = a.post("/api/logout", {})
    s2, _, _, _ = a.req("GET", "/api/state")
    ok("logout_ends_session", s == 200 and s2 == 401, (s, s2))
    rc = stop(p)
    lg = log_of(p)
    ok("password_never_logged", "s3cretpw" not in lg and "wrong0" not in lg, lg[-300:])
    ok("failed_login_logged", "failed login from 127.0.0.1" in lg, lg[-300:])

    # the password given as a crypt(3) hash (yescrypt, as crypt_gensalt makes it)
    import ctypes
    lc = ctypes.CDLL("libcrypt.so.1")
    lc.crypt.restype = ctypes.c_char_p
    lc.crypt_gensalt.restype = ctypes.c_char_p
    hashed = lc.crypt(b"hashedpw", lc.crypt_gensalt(b"$y$", 0, None, 0)).decode()
    p = start([], {"KEYBUS_HTTP_PASSWORD": hashed})
    h = Client(p.port)
    h.session()
    s1 = h.post("/api/login", {"password": hashed})[0]
    s2 = h.post("/api/login", {"password": "hashedpw"})[0]
    ok("hashed_password_config", s1 == 401 and s2 == 200, (s1, s2))
    stop(p)
finally:
    for p in procs:
        stop(p)
        try:
            os.unlink(p.errfile)
        except OSError:
            pass
sys.exit(0)
