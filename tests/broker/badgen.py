#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""badgen.py - the deterministic set of bad commands for keybusd's command
topic (tests/cli/keybusd_bad.sh publishes them with kbmqtt.py flood).

Every payload is refused by the contract of docs/home-assistant.md
("Commands"): why_invalid() below names the rule each one breaks, and
generate() keeps only payloads with a reason, so the set can never hold a
command keybusd should accept (a generator bug would otherwise make the test
blame the daemon). Many carry the demo house's real code 1234: if keybusd
accepted one, keys would reach the bus, which the test sees.

  badgen.py [--seed N] [--count N] --digest   sha256 of the set (determinism)
  badgen.py [--seed N] [--count N] --stats    payloads per category and rule
  badgen.py [--seed N] [--count N] --show K   payload K, as Python bytes
"""
import argparse
import hashlib
import json
import random
import re

ACTIONS = ("disarm", "arm_home", "arm_away", "arm_night", "bypass", "output", "set_time")
KEYS = {"partition", "action", "code", "keys", "zones", "output", "time", "id"}
KEY_CHARS = set("0123456789*#swnfapcrxb<>[]{}@SWNFAPCRXB")
ID_RE = re.compile(r"[A-Za-z0-9_.:-]{1,32}")
CODE_RE = re.compile(r"(\d{4}|\d{6})?")
TIME_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})")
CMD_MAX = 512


def _depth(v):
    if isinstance(v, dict):
        return 1 + max([_depth(x) for x in v.values()] or [0])
    if isinstance(v, list):
        return 1 + max([_depth(x) for x in v] or [0])
    return 0


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def why_invalid(p):
    """The contract rule payload p (bytes) breaks, or None when this
    reference cannot prove it bad (then it must not be in the set)."""
    if len(p) > CMD_MAX:
        return "size"
    try:
        text = p.decode("utf-8")
    except UnicodeDecodeError:
        return "json: not UTF-8"
    if any(ord(ch) < 0x20 and ch not in "\t\r\n" for ch in text):
        return "json: control character"  # NUL and the like, in or out of strings

    def pairs(kv):
        keys = [k for k, _ in kv]
        if len(keys) != len(set(keys)):
            raise ValueError("duplicate key")
        return dict(kv)

    def const(name):
        raise ValueError("not JSON: " + name)

    try:
        v = json.loads(text, object_pairs_hook=pairs, parse_constant=const)
    except RecursionError:
        return "json: nesting"
    except ValueError as e:
        return "json: " + str(e).split(":")[0]
    if not isinstance(v, dict):
        return "json: not an object"
    if _depth(v) > 4:
        return "json: nesting"
    if set(v) - KEYS:
        return "field: unknown key"
    if "partition" not in v:
        return "partition: missing"
    if not _is_int(v["partition"]):
        return "type: partition"
    if not 1 <= v["partition"] <= 8:
        return "partition: range"
    if "id" in v:
        i = v["id"]
        if isinstance(i, str):
            if not ID_RE.fullmatch(i):
                return "id: characters or length"
        elif not (_is_int(i) and 0 <= i <= 999999999):
            return "id: type or range"
    if "code" in v:
        if not isinstance(v["code"], str):
            return "type: code"
        if not CODE_RE.fullmatch(v["code"]):
            return "code: not 4 or 6 digits"
    has_action, has_keys = "action" in v, "keys" in v
    if has_action and has_keys:
        return None  # not stated by the contract: never generated
    if not has_action and not has_keys:
        return "action: missing"
    if has_keys:
        k = v["keys"]
        if not isinstance(k, str):
            return "type: keys"
        if not 1 <= len(k) <= 24:
            return "keys: length"
        if set(k) - KEY_CHARS:
            return "keys: not the keypad alphabet"
        return None
    a = v["action"]
    if not isinstance(a, str):
        return "type: action"
    if a not in ACTIONS:
        return "action: unknown"
    if a in ("disarm", "set_time") and v.get("code", "") == "":
        return "code: required"
    if a == "bypass":
        z = v.get("zones")
        if not isinstance(z, list):
            return "zones: missing or not a list"
        if not 1 <= len(z) <= 10:
            return "zones: count"
        if not all(_is_int(x) and 1 <= x <= 64 for x in z):
            return "zones: not zone numbers"
        if len(set(z)) != len(z):
            return "zones: repeated"
    if a == "output":
        o = v.get("output")
        if not (_is_int(o) and 1 <= o <= 4):
            return "output: missing or not 1-4"
    if a == "set_time":
        t = v.get("time")
        if not isinstance(t, str):
            return "time: missing or not a string"
        m = TIME_RE.fullmatch(t)
        if not m:
            return "time: format"
        y, mo, d, h, mi = (int(x) for x in m.groups())
        if not (2000 <= y <= 2099 and 1 <= mo <= 12 and h <= 23 and mi <= 59):
            return "time: range"
        dim = [31, 29 if y % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]
        if not 1 <= d <= dim:
            return "time: not a date"
    return None


# Commands keybusd accepts (the bases the categories break).
VALID = [
    {"partition": 1, "action": "arm_away", "code": "1234"},
    {"partition": 1, "action": "arm_home", "code": "1234"},
    {"partition": 2, "action": "arm_night", "code": "5555"},
    {"partition": 1, "action": "disarm", "code": "1234"},
    {"partition": 1, "action": "bypass", "zones": [3, 4], "code": "1234"},
    {"partition": 2, "action": "output", "output": 2, "code": "1234"},
    {"partition": 1, "action": "set_time", "code": "5555", "time": "2026-12-06 04:50"},
    {"partition": 1, "keys": "*1"},
]


def _dump(d):
    return json.dumps(d, separators=(",", ":")).encode()


def _valid(r):
    d = dict(r.choice(VALID))
    if r.random() < 0.5:
        d["id"] = "b%d" % r.randrange(100000)
    return d


def garbage(r):
    n = r.randrange(1, 300)
    return bytes([r.choice(b"}]x\xff\x00\x80")]) + bytes(r.randrange(256) for _ in range(n))


def wrong_type(r):
    d = _valid(r)
    field = r.choice(sorted(d))
    bad = {
        "partition": ["1", 1.5, True, None, [1], {"p": 1}],
        "action": [1, True, None, ["arm_away"], {"a": 1}],
        "code": [1234, 12.34, True, None, ["1234"], {"c": "1234"}],
        "keys": [5, True, None, ["*", "1"]],
        "zones": ["3", 3, True, {"z": 3}],
        "output": ["2", 2.5, True, None, [2]],
        "time": [202612060450, True, None, ["2026-12-06", "04:50"]],
        "id": [True, None, 1.5, ["b1"], {"i": 1}],
    }[field]
    d[field] = r.choice(bad)
    return _dump(d)


def unknown_action(r):
    d = _valid(r)
    d.pop("keys", None)
    d["code"] = "1234"
    d["action"] = r.choice(["arm", "ARM_AWAY", "arm_vacation", "arm_custom_bypass", "trigger",
                            "disarm ", " disarm", "panic", "", "arm-away", "armaway", "fire",
                            "arm_away\u00e9", "x" * r.randrange(1, 40)])
    return _dump(d)


def bad_code(r):
    d = dict(r.choice(VALID[:7]))
    n = r.choice([1, 2, 3, 5, 7, 8])
    digits = "".join(r.choice("0123456789") for _ in range(n))
    d["code"] = r.choice([digits, "12a4", "1234a", "a123", "12 4", " 1234", "1234 ", "１２３４",
                          "12.4", "-123", "+1234", "0x12", "123456a", "12345", "1234567",
                          "123", "1,234", "12\t34"])
    return _dump(d)


def huge(r):
    n = r.choice([513, 600, 1024, 4096, 65536, 200000])
    d = _valid(r)
    field = r.choice(["action", "code", "keys", "id", "pad"])
    if field == "pad":
        return _dump(d)[:-1] + b"," + b" " * n + b"}"
    d[field] = "1" * n if field == "code" else "w" * n
    if field == "keys":
        d.pop("action", None)
    return _dump(d)


def deep(r):
    n = r.choice([5, 6, 10, 50, 200, 1000, 5000])
    inner = r.choice([b"1", b"\"x\"", b"{}", b"[]"])
    where = r.choice(["partition", "zones", "top", "extra"])
    opens = b"[" * n
    closes = b"]" * n
    if where == "top":
        return opens + inner + closes
    if where == "extra":
        return b'{"partition":1,"keys":"*1","x":' + b'{"a":' * n + inner + b"}" * n + b"}"
    if where == "zones":
        return b'{"partition":1,"action":"bypass","code":"1234","zones":' + opens + b"3" + closes + b"}"
    return b'{"partition":' + opens + b"1" + closes + b',"action":"arm_away","code":"1234"}'


def non_object(r):
    return r.choice([b"[]", b"1", b"0", b"-1", b"\"x\"", b"null", b"true", b"false", b"\"\"",
                     b'["partition",1]', b'[{"partition":1,"action":"arm_away","code":"1234"}]',
                     b'"{\\"partition\\":1,\\"action\\":\\"arm_away\\",\\"code\\":\\"1234\\"}"',
                     b"1e400", b"3.14", b"", b" ", b"\n", b"{", b"}", b"{}", b"[", b"NaN"])


def with_nul(r):
    p = _dump(_valid(r))
    where = r.choice(["end", "start", "inside"])
    if where == "end":
        return p + b"\x00" + r.choice([b"", b"garbage", p])
    if where == "start":
        return b"\x00" + p
    i = r.randrange(1, len(p))
    return p[:i] + b"\x00" + p[i:]


def truncated(r):
    p = _dump(_valid(r))
    return p[:r.randrange(1, len(p))]


def structure(r):
    p = _dump(_valid(r))
    body = p[1:-1]
    return r.choice([
        p + b"x", p + b",", p + p, p + b"}", b"x" + p, b"," + p, p[:-1] + b",}",
        b"{," + body + b"}", b"{" + body.replace(b",", b",,", 1) + b"}",
        b"{" + body.replace(b",", b" ", 1) + b"}",
        b"{" + body.replace(b":", b"::", 1) + b"}",
        b"{'partition':1,'action':'arm_away','code':'1234'}",
        b'{partition:1,action:"arm_away",code:"1234"}',
        b'{"partition":01,"action":"arm_away","code":"1234"}',
        b'{"partition":1,"action":"arm_away","code":"1234",}',
        b'{"partition":1 "action":"arm_away","code":"1234"}',
        b'{"partition":1,"action":"arm_away","code":"1234"',
        b'{"partition":1,"action":arm_away,"code":"1234"}',
        b'{"partition":1,"action":"arm_away","code":1234"}',
        b'{"partition":NaN,"action":"arm_away","code":"1234"}',
        b'{"partition":1,"action":"arm_away","code":"1234","partition":1}',
        b'{"partition":1,"action":"arm_away","action":"disarm","code":"1234"}',
        b'{"partition":1,"action":"arm_away","code":"12\\u00334"}'.replace(b"\\u0033", b"\\u0033"),
        b'\xef\xbb\xbf{"partition":1,"action":"arm_away","code":"1234"}\xff',
        b'{"partition":1,"action":"arm_away","code":"1234"}\xc3\x28',
        b'{"partition":1,"action":"arm_\xff","code":"1234"}',
    ])


def bad_field(r):
    d = _valid(r)
    c = r.randrange(9)
    if c == 0:
        d[r.choice(["extra", "Partition", "ACTION", "codes", "user", "pin", ""])] = 1
    elif c == 1:
        d["partition"] = r.choice([0, 9, 10, -1, 255, 65536, 4294967297, 99999999999999999999])
    elif c == 2:
        d.pop("partition")
    elif c == 3:
        d = {"partition": 1, "keys": r.choice(["", "*1Z", "hello", "1 2", "*" * 25, "12345678901234567890123456",
                                                "é", "\\", "1234;", "w\n"])}
    elif c == 4:
        d = {"partition": 1, "action": "bypass", "code": "1234",
             "zones": r.choice([[], [0], [65], [3, 3], list(range(1, 12)), [-1], ["3"], [3.5], [[3]]])}
    elif c == 5:
        d = {"partition": 2, "action": "output", "code": "1234", "output": r.choice([0, 5, -1, 14, 100])}
    elif c == 6:
        d = {"partition": 1, "action": "set_time", "code": "5555",
             "time": r.choice(["2026-02-30 10:00", "2100-01-01 00:00", "1999-12-31 23:59",
                               "2026-13-01 00:00", "2026-12-06 24:00", "2026-12-06 12:60",
                               "2026-12-06", "04:50", "2026/12/06 04:50", "", "now",
                               "2026-12-06 04:50:00", "2025-02-29 12:00"])}
    elif c == 7:
        d["id"] = r.choice(["", "a b", "x" * 33, "é", "a/b", "a+b", "#", "a\"b", 1234567890, -1, 1.0])
    else:
        d = {"partition": 1, "action": r.choice(["disarm", "set_time"]),
             "time": "2026-12-06 04:50"} if r.random() < 0.5 else \
            {"partition": 1, "action": "disarm", "code": ""}
    return _dump(d)


CATEGORIES = [garbage, wrong_type, unknown_action, bad_code, huge, deep, non_object,
              with_nul, truncated, structure, bad_field]


def generate(seed=1, count=1000):
    """count payloads, each provably bad, the same for the same seed."""
    r = random.Random(seed)
    out = []
    while len(out) < count:
        cat = CATEGORIES[len(out) % len(CATEGORIES)]
        p = cat(r)
        if why_invalid(p) is not None:
            out.append(p)
    return out


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--seed", type=int, default=1)
    a.add_argument("--count", type=int, default=1000)
    a.add_argument("--digest", action="store_true")
    a.add_argument("--stats", action="store_true")
    a.add_argument("--show", type=int)
    o = a.parse_args()
    ps = generate(o.seed, o.count)
    if o.digest:
        h = hashlib.sha256()
        for p in ps:
            h.update(len(p).to_bytes(4, "big") + p)
        print(h.hexdigest())
    if o.stats:
        seen = {}
        for i, p in enumerate(ps):
            k = "%s / %s" % (CATEGORIES[i % len(CATEGORIES)].__name__, why_invalid(p).split(":")[0])
            seen[k] = seen.get(k, 0) + 1
        for k in sorted(seen):
            print("%5d %s" % (seen[k], k))
    if o.show is not None:
        print(repr(ps[o.show]))


if __name__ == "__main__":
    main()
