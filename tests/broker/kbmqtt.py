#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""kbmqtt.py - a small MQTT 3.1.1 client (standard library only) for the
keybusd tests and bench: records what a broker delivers with CLOCK_MONOTONIC
stamps, publishes, and pushes the bad-command set with flow control.

Why not mosquitto_sub/pub: the recorder must stamp each message with the same
clock as keybusd's --trace (time.monotonic_ns() is CLOCK_MONOTONIC on Linux),
keep running across a broker restart, and keep binary payloads (NUL bytes)
intact; and 1,000 bad commands need one connection, not 1,000 processes.

QoS 0 only (subscriptions are made at QoS 0, so the broker downgrades what
keybusd sends at QoS 1): enough to observe, never used to judge delivery.

Subcommands (every one takes --port, host 127.0.0.1):
  record --out FILE [--topic T]...   one JSON line per message:
        {"t": ns, "topic": T, "retain": 0|1, "payload": latin-1 text}
        plus {"t": ns, "event": "connected"|"lost"} lines; reconnects every
        100 ms while the broker is down; runs until SIGTERM.
  pub --topic T --payload P [--retain] [--hex]   one message; prints the
        CLOCK_MONOTONIC ns stamp taken just before the PUBLISH is written.
  rtt [--count N]    the measuring chain's own latency: N messages published
        to a topic this client subscribes to, each stamped before its
        PUBLISH and on receipt; prints "rtt_us p50 P p99 Q" (a baseline for
        the bench's frame-to-subscriber figure, which includes one broker hop)
  flood --topic T --result-topic R --seed N --count N [--window W]
        [--timeout S] [--out FILE]
        publishes the generated bad commands (badgen.py), at most W without
        a result yet; records every result (same format as record) in FILE;
        prints "sent N results M".
"""
import argparse
import json
import os
import select
import signal
import socket
import struct
import sys
import time

HOST = "127.0.0.1"


def _varint(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        if n:
            b |= 0x80
        out.append(b)
        if not n:
            return bytes(out)


def _str(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("!H", len(b)) + b


class Client:
    """One connection: connect(), subscribe(), publish(), read() packets."""

    def __init__(self, port, client_id, keepalive=30):
        self.port = port
        self.client_id = client_id
        self.keepalive = keepalive
        self.sock = None
        self.buf = b""
        self.last_tx = 0.0
        self.mid = 0

    def connect(self, timeout=2.0):
        s = socket.create_connection((HOST, self.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        var = _str("MQTT") + bytes([4, 0x02]) + struct.pack("!H", self.keepalive)
        body = var + _str(self.client_id)
        s.sendall(bytes([0x10]) + _varint(len(body)) + body)
        self.sock = s
        self.buf = b""
        ptype, _, payload = self._read_packet(timeout)
        if ptype != 0x20 or len(payload) < 2 or payload[1] != 0:
            raise ConnectionError("CONNACK refused")
        s.settimeout(None)
        self.last_tx = time.monotonic()

    def close(self):
        if self.sock:
            try:
                self.sock.sendall(b"\xe0\x00")
            except OSError:
                pass
            self.sock.close()
            self.sock = None

    def _send(self, data):
        self.sock.sendall(data)
        self.last_tx = time.monotonic()

    def subscribe(self, topics, timeout=2.0):
        self.mid += 1
        body = struct.pack("!H", self.mid)
        for t in topics:
            body += _str(t) + b"\x00"
        self._send(bytes([0x82]) + _varint(len(body)) + body)
        # Wait for the SUBACK; PUBLISH packets that come first are kept.
        pending = []
        deadline = time.monotonic() + timeout
        while True:
            pkt = self._read_packet(max(0.01, deadline - time.monotonic()))
            if pkt[0] == 0x90:
                return pending
            pending.append(pkt)

    def publish(self, topic, payload, retain=False):
        body = _str(topic) + payload
        self._send(bytes([0x30 | (1 if retain else 0)]) + _varint(len(body)) + body)

    def ping_if_due(self):
        if time.monotonic() - self.last_tx > self.keepalive / 2:
            self._send(b"\xc0\x00")

    def _parse(self):
        """One complete packet from the buffer, or None."""
        if len(self.buf) < 2:
            return None
        n, mul, i = 0, 1, 1
        while True:
            if i >= len(self.buf):
                return None
            b = self.buf[i]
            n += (b & 0x7F) * mul
            mul *= 128
            i += 1
            if not b & 0x80:
                break
        if len(self.buf) < i + n:
            return None
        head, body = self.buf[0], self.buf[i:i + n]
        self.buf = self.buf[i + n:]
        return head & 0xF0, head & 0x0F, body

    def _read_packet(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            pkt = self._parse()
            if pkt:
                return pkt
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no packet from the broker")
            r, _, _ = select.select([self.sock], [], [], left)
            if r:
                data = self.sock.recv(65536)
                if not data:
                    raise ConnectionError("broker closed the connection")
                self.buf += data

    def poll(self, timeout):
        """Messages received within timeout: list of (t_ns, topic, retain,
        payload bytes); t_ns is stamped when the bytes were read from the
        socket, before any parsing. Raises ConnectionError when the
        connection is gone."""
        out = []
        r, _, _ = select.select([self.sock], [], [], timeout)
        if r:
            data = self.sock.recv(1 << 20)
            t = time.monotonic_ns()
            if not data:
                raise ConnectionError("broker closed the connection")
            self.buf += data
            while True:
                pkt = self._parse()
                if not pkt:
                    break
                msg = decode_publish(pkt)
                if msg:
                    out.append((t,) + msg)
        self.ping_if_due()
        return out


def decode_publish(pkt):
    ptype, flags, body = pkt
    if ptype != 0x30:
        return None
    tl = struct.unpack("!H", body[:2])[0]
    topic = body[2:2 + tl].decode("utf-8", "replace")
    rest = body[2 + tl:]
    if (flags >> 1) & 3:  # QoS > 0 carries a packet id (never, at QoS 0 subscriptions)
        rest = rest[2:]
    return topic, flags & 1, rest


def line(t, topic, retain, payload):
    return json.dumps({"t": t, "topic": topic, "retain": retain,
                       "payload": payload.decode("latin-1")}) + "\n"


def cmd_record(a):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    topics = a.topic or ["#"]
    out = open(a.out, "a", buffering=1)
    cid = "kbrec-%d" % os.getpid()
    while not stop:
        c = Client(a.port, cid)
        try:
            c.connect()
            first = c.subscribe(topics)
        except (OSError, ConnectionError, TimeoutError):
            c.close()
            time.sleep(0.1)
            continue
        out.write(json.dumps({"t": time.monotonic_ns(), "event": "connected"}) + "\n")
        for pkt in first:
            msg = decode_publish(pkt)
            if msg:
                out.write(line(time.monotonic_ns(), *msg))
        try:
            while not stop:
                for m in c.poll(0.2):
                    out.write(line(*m))
        except (OSError, ConnectionError):
            out.write(json.dumps({"t": time.monotonic_ns(), "event": "lost"}) + "\n")
        c.close()
    out.close()


def cmd_pub(a):
    payload = bytes.fromhex(a.payload) if a.hex else a.payload.encode("utf-8", "surrogateescape")
    c = Client(a.port, "kbpub-%d" % os.getpid())
    c.connect()
    t = time.monotonic_ns()
    c.publish(a.topic, payload, a.retain)
    c.close()
    print(t)


def cmd_flood(a):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import badgen
    payloads = badgen.generate(a.seed, a.count)
    c = Client(a.port, "kbflood-%d" % os.getpid())
    c.connect()
    c.subscribe([a.result_topic])
    out = open(a.out, "w", buffering=1) if a.out else None
    sent = got = 0
    last_progress = time.monotonic()
    while got < len(payloads):
        while sent < len(payloads) and sent - got < a.window:
            c.publish(a.topic, payloads[sent])
            sent += 1
        for m in c.poll(0.05):
            if m[1] == a.result_topic:
                got += 1
                last_progress = time.monotonic()
                if out:
                    out.write(line(*m))
        if time.monotonic() - last_progress > a.timeout:
            break
    # Anything more (a second result for one command would be a defect the
    # caller must see): listen a little longer.
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        for m in c.poll(0.05):
            if m[1] == a.result_topic:
                got += 1
                if out:
                    out.write(line(*m))
    c.close()
    print("sent %d results %d" % (sent, got))


def cmd_rtt(a):
    c = Client(a.port, "kbrtt-%d" % os.getpid())
    c.connect()
    topic = "kbrtt/%d" % os.getpid()
    c.subscribe([topic])
    lat = []
    for i in range(a.count):
        t0 = time.monotonic_ns()
        c.publish(topic, b"%d" % i)
        end = time.monotonic() + 2
        got = False
        while not got and time.monotonic() < end:
            for m in c.poll(0.5):
                if m[1] == topic and m[3] == b"%d" % i:
                    lat.append(m[0] - t0)
                    got = True
        time.sleep(0.01)
    c.close()
    lat.sort()
    if not lat:
        print("rtt_us none")
        return
    print("rtt_us p50 %.0f p99 %.0f" % (lat[len(lat) // 2] / 1e3, lat[min(len(lat) - 1, len(lat) * 99 // 100)] / 1e3))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--topic", action="append")
    q = sub.add_parser("pub")
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--topic", required=True)
    q.add_argument("--payload", required=True)
    q.add_argument("--retain", action="store_true")
    q.add_argument("--hex", action="store_true")
    t = sub.add_parser("rtt")
    t.add_argument("--port", type=int, required=True)
    t.add_argument("--count", type=int, default=100)
    f = sub.add_parser("flood")
    f.add_argument("--port", type=int, required=True)
    f.add_argument("--topic", required=True)
    f.add_argument("--result-topic", required=True)
    f.add_argument("--seed", type=int, default=1)
    f.add_argument("--count", type=int, default=1000)
    f.add_argument("--window", type=int, default=8)
    f.add_argument("--timeout", type=float, default=5.0)
    f.add_argument("--out")
    a = p.parse_args()
    {"record": cmd_record, "pub": cmd_pub, "flood": cmd_flood, "rtt": cmd_rtt}[a.cmd](a)


if __name__ == "__main__":
    main()
