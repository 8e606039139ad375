#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# web_bench.py KEYBUSD - figures of the web keypad (docs/web.md, "Figures"),
# against keybusd on the simulated panel at real speed on a free 127.0.0.1
# port. Prints `bench <name> <value> <unit>` lines:
#   web_page_bytes            /, /app.js and /app.css as served (the whole page:
#                             it loads nothing else)
#   web_external_refs         URLs in the page to anywhere else (must be 0)
#   web_sse_p50_ms, _p99_ms   the end of the last bit of the frame that changed
#                             a zone (the simulated wire's time, CLOCK_MONOTONIC)
#                             to an SSE client reading the state that shows it
#   web_rss_idle_kb           keybusd's RSS, no client
#   web_rss_20_streams_kb     keybusd's RSS with 20 SSE clients connected
# WEB_BENCH_POKES (default 40) zone changes are timed.
import json, os, re, signal, socket, subprocess, sys, time, http.client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "pylib"))
from kt import free_port, wait_listening  # noqa: E402

K = sys.argv[1]
N = int(os.environ.get("WEB_BENCH_POKES", "40"))


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def get(port, path, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r, body


def stream(port):
    s = socket.create_connection(("127.0.0.1", port), 5)
    s.sendall(b"GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    return s


port = free_port()
p = subprocess.Popen([K, "--config", "/dev/null", "--mqtt", "off", "--http", "127.0.0.1:%d" % port],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    wait_listening(p, [port], 200)
    time.sleep(1.0)
    total = 0
    ext = 0
    for a in ("/", "/app.js", "/app.css"):
        r, body = get(port, a)
        total += len(body)
        ext += len(re.findall(rb"(?:src|href|url)\s*[=(]\s*[\"']?(?:https?:)?//", body))
    print("bench web_page_bytes %d bytes" % total)
    print("bench web_external_refs %d refs" % ext)

    # session for the pokes
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/api/session")
    r = c.getresponse()
    tok = json.loads(r.read())["csrf"]
    cookie = r.getheader("Set-Cookie").split(";")[0]
    c.close()
    print("bench web_rss_idle_kb %d kB" % rss_kb(p.pid))

    s = stream(port)
    s.settimeout(2)
    buf = b""
    lat = []
    for i in range(N):
        want = i % 2 == 0
        body = json.dumps({"zone": 3, "open": want}).encode()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("POST", "/api/sim", body=body, headers={"Content-Type": "application/json", "X-CSRF-Token": tok, "Cookie": cookie})
        c.getresponse().read()
        c.close()
        end = time.time() + 3
        done = False
        while not done and time.time() < end:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                continue
            t_rx = time.monotonic_ns()
            buf += chunk
            while b"\n\n" in buf:
                msg, buf = buf.split(b"\n\n", 1)
                m = re.search(rb"event: state\ndata: (.*)", msg)
                if not m:
                    continue
                st = json.loads(m.group(1))
                z = [z for z in st["zones"] if z["n"] == 3]
                if z and z[0]["open"] == want and st.get("t_frame"):
                    lat.append((t_rx - st["t_frame"]) / 1e6)
                    done = True
        time.sleep(0.15)
    s.close()
    if lat:
        lat.sort()
        print("bench web_sse_p50_ms %.2f ms" % lat[len(lat) // 2])
        print("bench web_sse_p99_ms %.2f ms" % lat[min(len(lat) - 1, int(len(lat) * 0.99))])
        print("bench web_sse_samples %d changes" % len(lat))
    else:
        print("info web_bench: no zone change seen on the stream", file=sys.stderr)
        sys.exit(1)

    # the timing client's thread ends at its next write (the health every 2 s)
    time.sleep(2.5)
    streams = [stream(port) for _ in range(20)]
    time.sleep(2.5)  # a health message (every 2 s) counts them
    h = json.loads(get(port, "/api/state")[1])["health"]
    print("bench web_rss_20_streams_kb %d kB" % rss_kb(p.pid))
    print("bench web_streams_open %d streams" % h["web_clients"])
    for x in streams:
        x.close()
finally:
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
