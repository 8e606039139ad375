#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""kbcheck.py - reads what kbmqtt.py record wrote (one JSON line per message)
and judges it for the keybusd tests. Every wait is bounded; on failure it
prints the evidence (what did arrive) and exits 1.

  mark FILE                          the number of lines now (a later
                                     command looks only past it)
  wait FILE MARK TOPIC TIMEOUT (--re REGEX | --json SUBSET) [--retain 0|1]
                                     the first message on TOPIC after MARK
                                     whose payload fully matches REGEX, or
                                     is a JSON object holding SUBSET; prints
                                     its line number
  (discovery, announced, retained: --prefix P for topics P/ID/..., default
  keybus)
  discovery FILE MARK ID [--partitions N] [--zones N]
                                     every discovery document after MARK is
                                     valid and complete (docs/home-assistant.md)
  announced FILE MARK ID TIMEOUT [--status]
                                     after MARK: every discovery document,
                                     every state topic the documents name
                                     (last_event once there was one) and
                                     health (and status online: --status, a
                                     (re)connect; a birth message re-announces
                                     without it)
  retained FILE ID [--seen MAIN]     a recorder that subscribed afterwards
                                     got every state and status online, all
                                     with the retain flag (last_event too
                                     when MAIN, the main recording, has one)
  last FILE TOPIC                    the last payload on TOPIC
  number FILE TOPIC KEYRE            the last JSON payload on TOPIC has a
                                     key (at any depth) matching KEYRE with
                                     a number: prints key=value
  uids FILE                          the discovery documents of every device
                                     in FILE: unique_ids unique across all
  results FILE TOPIC                 counts of the result words on TOPIC
  secrets FILE... --code C... [--skip-topic T...]
                                     no payload (recordings) or line (logs)
                                     contains a code
"""
import argparse
import json
import re
import sys
import time

PREFIX = "keybus"
DISC = "homeassistant"


def load(path, mark=0):
    out = []
    try:
        f = open(path, encoding="utf-8")
    except FileNotFoundError:
        return out  # nothing recorded: the caller's check fails with that
    with f:
        for i, ln in enumerate(f):
            if i < mark or not ln.endswith("\n"):
                continue  # a line still being written is read next time
            try:
                m = json.loads(ln)
            except ValueError:
                continue
            m["line"] = i
            out.append(m)
    return out


def msgs(path, mark=0):
    return [m for m in load(path, mark) if "topic" in m]


def obj(payload):
    try:
        v = json.loads(payload)
    except ValueError:
        return None
    return v if isinstance(v, dict) else None


def matches(m, a):
    if a.retain is not None and m["retain"] != a.retain:
        return False
    if a.re is not None:
        return re.fullmatch(a.re, m["payload"], re.S) is not None
    want = json.loads(a.json)
    got = obj(m["payload"])
    return got is not None and all(got.get(k) == v for k, v in want.items())


def cmd_mark(a):
    with open(a.file, encoding="utf-8") as f:
        print(sum(1 for _ in f))


def cmd_wait(a):
    end = time.monotonic() + a.timeout
    while True:
        for m in msgs(a.file, a.mark):
            if m["topic"] == a.topic and matches(m, a):
                print(m["line"])
                return 0
        if time.monotonic() > end:
            break
        time.sleep(0.05)
    seen = [m for m in msgs(a.file, a.mark) if m["topic"] == a.topic]
    print("timeout %.1fs waiting on %s for %s; after line %d it got %s" % (
        a.timeout, a.topic, a.re if a.re is not None else a.json, a.mark,
        "nothing" if not seen else "%d message(s), the last: %s" % (
            len(seen), "; ".join(repr(m["payload"][:200]) + (" (retained)" if m["retain"] else "")
                                 for m in seen[-6:]))))
    return 1


def docs_after(path, mark, dev):
    """{topic: (line, payload)} of the last discovery document per topic."""
    d = {}
    pat = re.compile(r"%s/[a-z_]+/%s/[A-Za-z0-9_-]+/config" % (DISC, re.escape(dev)))
    for m in msgs(path, mark):
        if pat.fullmatch(m["topic"]) and m["payload"]:
            d[m["topic"]] = (m["line"], m["payload"])
    return d


def state_topics(docs):
    """The retained state topics the documents name: event entities' topics
    carry events (not retained, nothing to re-publish); buttons have none."""
    out = set()
    for topic, (_, p) in docs.items():
        v = obj(p)
        if v and isinstance(v.get("state_topic"), str) and topic.split("/")[1] != "event":
            out.add(v["state_topic"])
    return out


def event_born(topic):
    """State topics whose retained value comes from the panel's events, not
    from its status (docs/home-assistant.md: last_event): nothing to publish
    until the first event, then re-published at every announce."""
    return topic.endswith("/last_event")


def published_before(path, mark, topics):
    """Those of topics that carried a non-empty payload before line mark."""
    return {m["topic"] for m in load(path) if m["line"] < mark and m.get("topic") in topics and m["payload"]}


def broker_only(obj_id):
    """Entities that follow the broker connection only (docs/home-assistant.md:
    they matter most when the bus is gone): connected and the health sensors."""
    return obj_id == "connected" or obj_id == "health" or obj_id.startswith("health_")


def cmd_discovery(a):
    global PREFIX
    PREFIX = a.prefix
    dev = a.id
    docs = docs_after(a.file, a.mark, dev)
    errs = []
    base = "%s/%s/" % (PREFIX, dev)
    uids = {}
    kinds = {}
    for topic, (_, p) in sorted(docs.items()):
        comp, obj_id = topic.split("/")[1], topic.split("/")[3]
        v = obj(p)
        if v is None:
            errs.append("%s: not a JSON object: %r" % (topic, p[:120]))
            continue
        kinds.setdefault(comp, []).append(obj_id)
        uid = v.get("unique_id")
        if uid != "%s_%s" % (dev, obj_id):
            errs.append("%s: unique_id %r, expected %s_%s" % (topic, uid, dev, obj_id))
        if uid in uids:
            errs.append("%s: unique_id %r also in %s" % (topic, uid, uids[uid]))
        uids[uid] = topic
        for k in ("name", "device", "origin", "availability"):
            if k not in v:
                errs.append("%s: no %s" % (topic, k))
        if comp == "button":
            if v.get("command_topic") != base + "command":
                errs.append("%s: command_topic %r" % (topic, v.get("command_topic")))
        else:
            st = v.get("state_topic", "")
            if not isinstance(st, str) or not st.startswith(base):
                errs.append("%s: state_topic %r not under %s" % (topic, st, base))
        if comp == "event":
            et = v.get("event_types")
            if not isinstance(et, list) or not et or not all(isinstance(x, str) for x in et):
                errs.append("%s: event_types %r" % (topic, et))
        dv = v.get("device", {})
        if not isinstance(dv, dict) or ("keybus_%s" % dev) not in (dv.get("identifiers") or []) or \
                not all(isinstance(dv.get(k), str) and dv.get(k) for k in ("name", "manufacturer", "model", "sw_version")):
            errs.append("%s: device block %r" % (topic, dv))
        og = v.get("origin", {})
        if not isinstance(og, dict) or not og.get("name"):
            errs.append("%s: origin %r" % (topic, og))
        av = v.get("availability")
        av_topics = [x.get("topic") for x in av] if isinstance(av, list) and all(isinstance(x, dict) for x in av) else None
        if av_topics is None or base + "status" not in av_topics:
            errs.append("%s: availability %r lacks %sstatus" % (topic, av, base))
        elif broker_only(obj_id):
            if av_topics != [base + "status"]:
                errs.append("%s: availability %r: the broker connection only" % (topic, av_topics))
        elif base + "connected" not in av_topics or v.get("availability_mode") != "all":
            errs.append("%s: availability %r mode %r: the bus must count (both topics, all)" % (
                topic, av_topics, v.get("availability_mode")))
        if comp == "alarm_control_panel":
            pn = re.fullmatch(r"p(\d)", obj_id)
            if v.get("command_topic") != base + "command":
                errs.append("%s: command_topic %r" % (topic, v.get("command_topic")))
            tpl = v.get("command_template", "")
            if not (pn and '"partition":%s' % pn.group(1) in tpl and "{{ action }}" in tpl and "{{ code }}" in tpl):
                errs.append("%s: command_template %r" % (topic, tpl))
            if v.get("code") != "REMOTE_CODE":
                errs.append("%s: code %r, expected REMOTE_CODE" % (topic, v.get("code")))
            sf = v.get("supported_features")
            if not isinstance(sf, list) or not sf or set(sf) - {"arm_home", "arm_away", "arm_night"}:
                errs.append("%s: supported_features %r" % (topic, sf))
            for k in ("code_arm_required", "code_disarm_required"):
                if not isinstance(v.get(k), bool):
                    errs.append("%s: %s %r" % (topic, k, v.get(k)))
            for mode in sf if isinstance(sf, list) else []:
                if v.get("payload_" + mode) != mode:
                    errs.append("%s: payload_%s %r" % (topic, mode, v.get("payload_" + mode)))
            if v.get("payload_disarm") != "disarm":
                errs.append("%s: payload_disarm %r" % (topic, v.get("payload_disarm")))
            if '"1234"' in p or '"5555"' in p:
                errs.append("%s: holds a demo code" % topic)
    panels = sorted(kinds.get("alarm_control_panel", []))
    zones = sorted(int(o[5:]) for o in kinds.get("binary_sensor", []) if re.fullmatch(r"zone_\d+", o))
    if a.partitions is not None and panels != ["p%d" % i for i in range(1, a.partitions + 1)]:
        errs.append("alarm panels %r, expected p1..p%d" % (panels, a.partitions))
    if a.zones is not None and zones != list(range(1, a.zones + 1)):
        errs.append("zone sensors %r, expected 1..%d" % (zones, a.zones))
    for need in ("connected", "trouble", "ac_power", "battery"):
        if need not in kinds.get("binary_sensor", []):
            errs.append("no binary_sensor %s" % need)
    print("%d discovery documents (%s)" % (len(docs), ", ".join(
        "%d %s" % (len(v), k) for k, v in sorted(kinds.items()))))
    for e in errs:
        print(e)
    return 1 if errs or not docs else 0


def cmd_announced(a):
    global PREFIX
    PREFIX = a.prefix
    dev = a.id
    end = time.monotonic() + a.timeout
    base = "%s/%s/" % (PREFIX, dev)
    while True:
        # Read what came after MARK first, then every document so far:
        # health comes last in an announce, so once it is in the first read,
        # the second has every document.
        after = msgs(a.file, a.mark)
        all_docs = docs_after(a.file, 0, dev)
        want_docs = set(all_docs)
        want_states = state_topics(all_docs)
        born = {t for t in want_states if event_born(t)}
        want_states -= born - published_before(a.file, a.mark, born)
        topics = {m["topic"] for m in after}
        online = any(m["topic"] == base + "status" and m["payload"] == "online" for m in after)
        health = any(m["topic"] == base + "health" for m in after)
        missing = sorted((want_docs | want_states) - topics)
        if want_docs and not missing and (online or not a.status) and health:
            print("re-published %d documents and %d states" % (len(want_docs), len(want_states)))
            return 0
        if time.monotonic() > end:
            break
        time.sleep(0.1)
    print("after line %d, within %.1fs: %d/%d documents, %d/%d states, status online %s, health %s; missing: %s" % (
        a.mark, a.timeout, len(want_docs & topics), len(want_docs), len(want_states & topics),
        len(want_states), online, health, " ".join(missing[:12]) or "-"))
    return 1


def cmd_retained(a):
    global PREFIX
    PREFIX = a.prefix
    base = "%s/%s/" % (PREFIX, a.id)
    all_msgs = msgs(a.file)
    docs = docs_after(a.file, 0, a.id)
    errs = []
    got = {m["topic"]: m for m in all_msgs}
    want = state_topics(docs)
    born = {t for t in want if event_born(t)}
    # an event-born state is retained only once an event has happened: the
    # main recording (--seen) says whether one has
    want -= born - (published_before(a.seen, 1 << 62, born) if a.seen else set())
    for t in sorted(set(docs) | want | {base + "status", base + "health"}):
        m = got.get(t)
        if m is None:
            errs.append("%s: not retained" % t)
        elif not m["retain"]:
            errs.append("%s: delivered without the retain flag" % t)
    if got.get(base + "status", {}).get("payload") != "online":
        errs.append("status: %r, expected online" % got.get(base + "status", {}).get("payload"))
    print("%d retained messages, %d documents" % (len([m for m in all_msgs if m["retain"]]), len(docs)))
    for e in errs:
        print(e)
    return 1 if errs or not docs else 0


def cmd_uids(a):
    last = {}
    for m in msgs(a.file):
        if m["topic"].startswith(DISC + "/") and m["topic"].endswith("/config") and m["payload"]:
            last[m["topic"]] = m["payload"]
    seen, errs = {}, []
    for t, p in sorted(last.items()):
        v = obj(p)
        uid = v.get("unique_id") if v else None
        if not uid:
            errs.append("%s: no unique_id" % t)
        elif uid in seen:
            errs.append("%s: unique_id %s also in %s" % (t, uid, seen[uid]))
        else:
            seen[uid] = t
    devs = sorted({t.split("/")[2] for t in last})
    print("%d documents, %d unique ids, devices %s" % (len(last), len(seen), " ".join(devs)))
    for e in errs[:10]:
        print(e)
    return 1 if errs or not last else 0


def cmd_results(a):
    words = {}
    for m in msgs(a.file):
        if m["topic"] != a.topic:
            continue
        v = obj(m["payload"])
        k = "%s/%s" % (v.get("result"), v.get("detail")) if v else "not JSON: %r" % m["payload"][:60]
        words[k] = words.get(k, 0) + 1
    for k in sorted(words):
        print("%d %s" % (words[k], k))


def cmd_last(a):
    seen = [m for m in msgs(a.file) if m["topic"] == a.topic]
    if not seen:
        print("nothing on %s" % a.topic)
        return 1
    print(seen[-1]["payload"])
    return 0


def flat(v, path=""):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from flat(x, path + "." + k if path else k)
    else:
        yield path, v


def cmd_number(a):
    seen = [m for m in msgs(a.file) if m["topic"] == a.topic]
    v = obj(seen[-1]["payload"]) if seen else None
    if v is None:
        print("no JSON object on %s: %r" % (a.topic, seen[-1]["payload"][:200] if seen else None))
        return 1
    hits = [(k, x) for k, x in flat(v) if re.search(a.keyre, k)]
    good = [(k, x) for k, x in hits if isinstance(x, (int, float)) and not isinstance(x, bool)]
    if not good:
        print("no numeric key matching %r in %s" % (a.keyre, seen[-1]["payload"][:300]))
        return 1
    print(" ".join("%s=%s" % kx for kx in good))
    return 0


def token(code):
    """The code as a token: not a piece of a longer number (a counter of
    12345 in the health JSON, a time stamp)."""
    return re.compile(r"(?<![0-9])%s(?![0-9])" % re.escape(code))


def cmd_secrets(a):
    bad = []
    for path in a.files:
        if path.endswith(".jsonl"):
            for m in msgs(path):
                if m["topic"] in (a.skip_topic or []):
                    continue
                for c in a.code:
                    if token(c).search(m["payload"]) or token(c).search(m["topic"]):
                        bad.append("%s:%d: %s %r" % (path, m["line"] + 1, m["topic"], m["payload"][:160]))
        else:
            with open(path, encoding="utf-8", errors="replace") as f:
                for i, ln in enumerate(f):
                    if any(token(c).search(ln) for c in a.code):
                        bad.append("%s:%d: %s" % (path, i + 1, ln.rstrip()[:160]))
    for b in bad[:20]:
        print(b)
    return 1 if bad else 0


def main():
    p = argparse.ArgumentParser()
    s = p.add_subparsers(dest="cmd", required=True)
    x = s.add_parser("mark")
    x.add_argument("file")
    x = s.add_parser("wait")
    x.add_argument("file")
    x.add_argument("mark", type=int)
    x.add_argument("topic")
    x.add_argument("timeout", type=float)
    x.add_argument("--re")
    x.add_argument("--json")
    x.add_argument("--retain", type=int)
    x = s.add_parser("discovery")
    x.add_argument("--prefix", default="keybus")
    x.add_argument("file")
    x.add_argument("mark", type=int)
    x.add_argument("id")
    x.add_argument("--partitions", type=int)
    x.add_argument("--zones", type=int)
    x = s.add_parser("announced")
    x.add_argument("--prefix", default="keybus")
    x.add_argument("file")
    x.add_argument("mark", type=int)
    x.add_argument("id")
    x.add_argument("timeout", type=float)
    x.add_argument("--status", action="store_true")
    x = s.add_parser("retained")
    x.add_argument("--prefix", default="keybus")
    x.add_argument("--seen")
    x.add_argument("file")
    x.add_argument("id")
    x = s.add_parser("last")
    x.add_argument("file")
    x.add_argument("topic")
    x = s.add_parser("number")
    x.add_argument("file")
    x.add_argument("topic")
    x.add_argument("keyre")
    x = s.add_parser("uids")
    x.add_argument("file")
    x = s.add_parser("results")
    x.add_argument("file")
    x.add_argument("topic")
    x = s.add_parser("secrets")
    x.add_argument("files", nargs="+")
    x.add_argument("--code", action="append", required=True)
    x.add_argument("--skip-topic", action="append")
    a = p.parse_args()
    if a.cmd == "wait" and (a.re is None) == (a.json is None):
        p.error("wait takes --re or --json")
    sys.exit({"mark": cmd_mark, "wait": cmd_wait, "discovery": cmd_discovery,
              "announced": cmd_announced, "retained": cmd_retained,
              "results": cmd_results, "uids": cmd_uids, "last": cmd_last, "number": cmd_number, "secrets": cmd_secrets}[a.cmd](a) or 0)


if __name__ == "__main__":
    main()
