#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""keybusd_latency.py - the keybusd bench's figures from its three records
(bench/keybusd_bench.sh makes them):

  TRACE  keybusd --trace: "pub <t_publish> <t_frame_end> <topic> <payload>",
         "cmd <t_rx> <request>", "key <t_wire> <request>" (CLOCK_MONOTONIC ns)
  REC    tests/broker/kbmqtt.py record: what the subscriber received, each
         stamped with CLOCK_MONOTONIC ns when its bytes were read
  CMDS   one CLOCK_MONOTONIC ns stamp per command, taken just before its
         PUBLISH was written (kbmqtt.py pub), in the order sent

Frame to subscriber: each trace `pub` line is joined with the first message
received on the same topic with the same payload, in order (FIFO per topic
and payload), no earlier than its t_frame_end (not t_publish: keybusd may
stamp t_publish after the PUBLISH is already on its way, and a subscriber on
loopback can read it first); latency = receipt - t_frame_end.
Command to wire: the n-th command stamp with the n-th `cmd` line (commands
are sent one at a time, each after the previous one's result), then the
first `key` line of that request; latency = t_wire - stamp.

Prints `bench NAME VALUE UNIT` lines, `info` lines, and exits 1 when a
figure cannot be made (no state message or no command matched).
"""
import collections
import json
import sys


def pct(xs, p):
    """Nearest-rank percentile of a sorted list."""
    if not xs:
        return None
    k = max(0, min(len(xs) - 1, -(-len(xs) * p // 100) - 1))
    return xs[int(k)]


def main():
    trace, rec, cmds = sys.argv[1:4]
    pubs, cmd_lines, keys = [], [], {}
    # latin-1 both sides: the recorders write each payload byte as one
    # character, so a payload that is not ASCII still joins
    with open(trace, encoding="latin-1") as f:
        for ln in f:
            w = ln.rstrip("\n").split(" ", 4)
            if w[0] == "pub" and len(w) >= 4:
                pubs.append((int(w[1]), int(w[2]), w[3], w[4] if len(w) > 4 else ""))
            elif w[0] == "cmd" and len(w) >= 3:
                cmd_lines.append((int(w[1]), w[2]))
            elif w[0] == "key" and len(w) >= 3:
                keys.setdefault(w[2], int(w[1]))
    got = collections.defaultdict(collections.deque)
    with open(rec, encoding="utf-8") as f:
        for ln in f:
            m = json.loads(ln)
            if "topic" in m and not m["retain"]:
                got[(m["topic"], m["payload"])].append(m["t"])
    lat, inside, worst, missed = [], [], [], 0
    for t_pub, t_frame, topic, payload in pubs:
        q = got[(topic, payload)]
        while q and q[0] < t_frame:
            q.popleft()  # an earlier copy (an announce), not this one
        if not q:
            missed += 1
            continue
        lat.append(q.popleft() - t_frame)
        inside.append(t_pub - t_frame)
        worst.append((lat[-1], topic, payload))
    lat.sort()
    inside.sort()
    stamps = [int(x) for x in open(cmds).read().split()]
    cl = []
    for stamp, (t_rx, rid) in zip(stamps, cmd_lines):
        if rid in keys:
            cl.append(keys[rid] - stamp)
    cl.sort()
    ok = True
    print("info keybusd: %d state messages traced, %d received and joined, %d not received" % (
        len(pubs), len(lat), missed))
    if lat:
        print("bench keybusd_pub_p50 %.0f us" % (pct(lat, 50) / 1e3))
        print("bench keybusd_pub_p99 %.0f us" % (pct(lat, 99) / 1e3))
        print("bench keybusd_pub_max %.0f us" % (lat[-1] / 1e3))
        print("bench keybusd_pub_count %d messages" % len(lat))
        print("info keybusd: frame end to PUBLISH written by keybusd: p50 %.0f us, p99 %.0f us" % (
            pct(inside, 50) / 1e3, pct(inside, 99) / 1e3))
        worst.sort(reverse=True)
        print("info keybusd: slowest: %s" % ", ".join("%s %s %.0f us" % (t, p, l / 1e3) for l, t, p in worst[:3]))
        print("info keybusd: goal p99 <= 2000 us: %s" % ("met" if pct(lat, 99) <= 2e6 else "NOT met"))
    else:
        print("bench: FAIL keybusd: no state message joined (trace pub lines %d)" % len(pubs))
        ok = False
    print("info keybusd: %d commands sent, %d cmd lines, %d with a key on the wire" % (
        len(stamps), len(cmd_lines), len(cl)))
    if cl:
        print("bench keybusd_cmd_key_p50 %.1f ms" % (pct(cl, 50) / 1e6))
        print("bench keybusd_cmd_key_max %.1f ms" % (cl[-1] / 1e6))
    else:
        print("bench: FAIL keybusd: no command joined to a key on the wire")
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
