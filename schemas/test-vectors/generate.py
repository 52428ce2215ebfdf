#!/usr/bin/python3
"""Test vectors for schemas/SIGNING.md, made by an implementation independent of the C++ core.

Everything here is written from the specification alone: canonical JSON, framing, the signing
payloads, Ed25519 (python3-nacl) and the audit entry hash (hashlib). The C++ unit tests
(tests/unit/vectors_test.cpp) check that the core computes exactly the same bytes; when the two
disagree, one of them misreads the specification.

    generate.py          rewrite vectors.json next to this script
    generate.py --check  exit 1 if vectors.json differs from what would be written

Only the standard library and python3-nacl (Debian package): run with /usr/bin/python3.
"""

import argparse
import decimal
import hashlib
import json
import os
import struct
import sys

import nacl.signing

VECTORS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors.json")

MAX_DEPTH = 512
MAX_SIGNIFICANT_DIGITS = 15
MIN_MAGNITUDE = decimal.Decimal("1e-307")
MAX_MAGNITUDE = decimal.Decimal("1e308")


class Rejected(ValueError):
    """The JSON text has no canonical form."""


# --- Canonical JSON ----------------------------------------------------------------------------


class _Number:
    """A JSON number kept as its exact decimal value (never a float)."""

    def __init__(self, literal):
        # Decimal(str) is exact whatever the context precision; only arithmetic would round.
        self.value = decimal.Decimal(literal)
        self.literal = literal


def _reject_constant(name):
    # json.loads accepts NaN, Infinity and -Infinity by default; JSON does not.
    raise Rejected("not JSON: " + name)


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise Rejected("duplicate key")
    # A list of pairs rather than a dict: the order is fixed later, by UTF-8 bytes.
    return ("object", pairs)


def _parse(text):
    """Parses a JSON text (bytes) strictly. The json module's grammar is RFC 8259's, with
    NaN/Infinity turned off and duplicate keys detected; numbers stay exact."""
    try:
        # Strict UTF-8: rejects invalid bytes, overlong forms and encoded surrogates.
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Rejected("invalid UTF-8") from e
    try:
        return json.loads(
            decoded,
            object_pairs_hook=_no_duplicates,
            parse_float=_Number,
            parse_int=_Number,
            parse_constant=_reject_constant,
            strict=True,  # raw control characters in strings are an error
        )
    except json.JSONDecodeError as e:
        raise Rejected("invalid JSON: " + e.msg) from e
    except RecursionError as e:
        raise Rejected("nesting too deep") from e


def _utf8(s):
    # Python strings can hold lone surrogates (json decodes "\ud800" to one); UTF-8 cannot.
    try:
        b = s.encode("utf-8")
    except UnicodeEncodeError as e:
        raise Rejected("lone surrogate") from e
    if b"\x00" in b:
        raise Rejected("U+0000")
    return b


_SHORT_ESCAPES = {0x22: b'\\"', 0x5C: b"\\\\", 0x08: b"\\b", 0x09: b"\\t", 0x0A: b"\\n",
                  0x0C: b"\\f", 0x0D: b"\\r"}


def _string(s):
    out = bytearray(b'"')
    for byte in _utf8(s):
        if byte in _SHORT_ESCAPES:
            out += _SHORT_ESCAPES[byte]
        elif byte < 0x20:
            out += b"\\u00%02x" % byte
        else:
            out.append(byte)  # '/', U+007F and every UTF-8 byte of non-ASCII: raw
    out += b'"'
    return bytes(out)


def _number(n):
    value = n.value
    if value.is_zero():
        return b"0"  # also -0, -0.0, 0e5
    sign, digits, exponent = value.as_tuple()
    digits = list(digits)
    while digits[0] == 0:  # Decimal drops leading zeros already; stay sure
        digits.pop(0)
    while digits[-1] == 0:
        digits.pop()
        exponent += 1
    if len(digits) > MAX_SIGNIFICANT_DIGITS:
        raise Rejected("more than %d significant digits: %s" % (MAX_SIGNIFICANT_DIGITS, n.literal))
    # Decimal comparisons are exact (no rounding), however large the exponent.
    if not MIN_MAGNITUDE <= abs(value) <= MAX_MAGNITUDE:
        raise Rejected("outside 1e-307 .. 1e308: " + n.literal)
    text = "".join(map(str, digits))
    if exponent >= 0:
        plain = text + "0" * exponent
    else:
        point = len(text) + exponent  # digits before the decimal point
        if point > 0:
            plain = text[:point] + "." + text[point:]
        else:
            plain = "0." + "0" * -point + text
    return (b"-" if sign else b"") + plain.encode("ascii")


def _write(node, depth):
    # Depth counts containers: a top-level object or array is level 1.
    if isinstance(node, tuple):  # ("object", pairs)
        if depth + 1 > MAX_DEPTH:
            raise Rejected("nesting deeper than %d" % MAX_DEPTH)
        members = sorted((_utf8(k), _string(k), _write(v, depth + 1)) for k, v in node[1])
        return b"{" + b",".join(s + b":" + v for _, s, v in members) + b"}"
    if isinstance(node, list):
        if depth + 1 > MAX_DEPTH:
            raise Rejected("nesting deeper than %d" % MAX_DEPTH)
        return b"[" + b",".join(_write(v, depth + 1) for v in node) + b"]"
    if isinstance(node, str):
        return _string(node)
    if isinstance(node, _Number):
        return _number(node)
    if node is True:
        return b"true"
    if node is False:
        return b"false"
    if node is None:
        return b"null"
    raise AssertionError(repr(node))


def canonical_json(text):
    """Canonical form (bytes) of a JSON text (str or bytes); raises Rejected."""
    # _write takes about two Python frames per level (a generator each); 512 levels must fit.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * MAX_DEPTH + 1000))
    if isinstance(text, str):
        text = text.encode("utf-8")
    return _write(_parse(text), 0)


# --- Framing and payloads ----------------------------------------------------------------------


def frame(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return struct.pack(">I", len(data)) + data


def u64(n):
    return struct.pack(">Q", n)


def check_version(version):
    if not 1 <= version <= 2**31 - 1:
        raise ValueError("version out of range: %d" % version)


def put_payload(shard_id, key, version, created_by, canonical_value):
    check_version(version)
    return b"".join([frame("mycelium/v1/put"), frame(shard_id), frame(key), frame(u64(version)),
                     frame(created_by), frame(canonical_value)])


def delete_payload(shard_id, key, version, created_by):
    check_version(version)
    return b"".join([frame("mycelium/v1/delete"), frame(shard_id), frame(key),
                     frame(u64(version)), frame(created_by)])


def register_payload(node_id, node_type, public_key, ip, port, version, canonical_capabilities):
    assert node_type in ("validator", "miner") and 1 <= port <= 65535 and len(public_key) == 32
    return b"".join([frame("mycelium/v1/register-node"), frame(node_id), frame(node_type),
                     frame(public_key), frame(ip), frame(u64(port)), frame(version),
                     frame(canonical_capabilities)])


def audit_entry_hash(prev_hash, seq, payload, signature, origin_node, created_at_us):
    assert len(prev_hash) == 32 and len(signature) == 64
    data = b"".join([frame("mycelium/v1/audit"), frame(prev_hash), frame(u64(seq)),
                     frame(payload), frame(signature), frame(origin_node),
                     frame(u64(created_at_us))])
    return hashlib.sha256(data).digest()


def link_payload(shard_id, seq, entry_hash, primary_node):
    assert len(entry_hash) == 32
    return b"".join([frame("mycelium/v1/link"), frame(shard_id), frame(u64(seq)),
                     frame(entry_hash), frame(primary_node)])


def link_payload_v2(shard_id, seq, entry_hash, primary_node, term):
    """An elected shard's link: the Raft term the entry was written in, one more frame."""
    assert len(entry_hash) == 32 and term >= 1
    return b"".join([frame("mycelium/v2/link"), frame(shard_id), frame(u64(seq)),
                     frame(entry_hash), frame(primary_node), frame(u64(term))])


def replica_control_payload(op, shard_id, primary_node, target_node, issued_at_us,
                            canonical_validators):
    assert op in ("open", "open-elected", "close")
    return b"".join([frame("mycelium/v1/replica-control"), frame(op), frame(shard_id),
                     frame(primary_node), frame(target_node), frame(u64(issued_at_us)),
                     frame(canonical_validators)])


# --- The vectors -------------------------------------------------------------------------------

# Seeds are fixed so that the file is reproducible; they are test keys, never to be used.
KEY_NAMES = ["validator-1", "validator-2", "miner-1"]


def seed_of(name):
    return hashlib.sha256(b"mycelium test vector seed: " + name.encode()).digest()


def make_keys():
    return {name: nacl.signing.SigningKey(seed_of(name)) for name in KEY_NAMES}


def sign(key, payload):
    signature = key.sign(payload).signature
    key.verify_key.verify(payload, signature)  # nacl raises if it does not verify
    return signature


# (shard_id, key, version, created_by, value text). Most values are deliberately not canonical.
PUT_CASES = [
    ("shard-a", "user/1", 1, "validator-1", '{"name": "Ada", "age": 36}'),
    ("shard-a", "user/1", 2, "validator-1",
     ' {\n\t"b" : [ 1 , 2 ,3 ] ,\r\n "a":{ } , "c" :[ ]}\n'),
    ("shard-a", "numbers", 1, "validator-2",
     '[1.50, 1e2, 1E+2, -0.0, 0, -0, 12e-4, 123.450, 0.000123, 1e-0, -7, 2.5E-3, 100e-2]'),
    ("shard-a", "limits", 1, "validator-2",
     '{"max": 1e308, "min": 1e-307, "neg_min": -1E-307, "digits15": 123456789012345,'
     ' "frac15": 0.123456789012345, "big": 12345678901234500000}'),
    ("shard-b", "escapes", 1, "validator-1",
     '["caf\\u00e9", "\\ud83d\\ude00", "a\\/b", "q\\"b\\\\", "\\b\\f\\n\\r\\t",'
     ' "\\u0001\\u001f\\u0020", "\\u007f", "\\u2028\\u2029", "\\u00E9"]'),
    ("shard-b", "raw-utf8", 1, "validator-1",
     '{"text": "caf\u00e9 \U0001f600 \u2028 \u007f / \u00e9", "emoji\U0001f600": true}'),
    ("shard-b", "key-order", 1, "validator-2",
     # By UTF-8 bytes U+FB01 (ef ac 81) sorts before U+1F600 (f0 9f 98 80); by UTF-16 code
     # units (RFC 8785) the surrogate d83d comes first. Also: "" first, "B" before "a".
     '{"\\ud83d\\ude00": 1, "\\ufb01": 2, "a": 3, "B": 4, "": 5, "\\u00e9": 6, "aa": 7,'
     ' "a\\u0001": 8, "\\u007f": 9}'),
    ("shard-b", "nested", 3, "validator-2",
     '{"z": [{"y": [[], {}, [[null]]], "x": false}], "a": {"c": {"e": [true, "s"], "d": 0.5}}}'),
    ("shard-b", "empty-object", 1, "miner-1", "{ }"),
    ("shard-b", "empty-array", 1, "miner-1", "[\n]"),
    ("shard-c", "scalar-string", 2147483647, "validator-1", '  "just a string"  '),
    ("shard-c", "scalar-null", 1, "validator-1", "null"),
    ("shard-c", "scalar-number", 1, "validator-1", "-12.3400e1"),
    ("sh\u00e4rd/\U0001f600", "k\u00e9y with spaces", 7, "validator-\u00e9",
     '{"unicode fields": "are their UTF-8 bytes, not normalised", "e\u0301": "\u00e9"}'),
]

# (shard_id, key, version, created_by)
DELETE_CASES = [
    ("shard-a", "user/1", 3, "validator-1"),
    ("shard-b", "escapes", 2, "validator-2"),
    ("sh\u00e4rd/\U0001f600", "k\u00e9y with spaces", 8, "validator-\u00e9"),
]

# (node_id, node_type, ip, port, version, capabilities text); each signs with its own key.
REGISTER_CASES = [
    ("validator-1", "validator", "10.0.0.1", 5432, "0.1.0",
     '{"shards": ["shard-b", "shard-a"], "max_value_bytes": 1E6}'),
    ("validator-2", "validator", "2001:db8::2", 1, "0.1.0", "{}"),
    ("miner-1", "miner", "192.168.1.20", 65535, "0.2.0-beta",
     ' { "gpu" : true , "models" : [ "a" , "b" ] , "ram_gb" : 64.0 } '),
]

# (value text, reason). Invalid UTF-8 cannot appear in this (UTF-8) file: the C++ unit tests
# cover it. No text holds a raw U+0000 either, so each can pass through PostgreSQL text.
REJECT_CASES = [
    ('{"a": 1, "a": 2}', "duplicate key"),
    ('{"a": 1, "\\u0061": 2}', "duplicate key, spelled differently"),
    ('{"x": {"k": 1, "k": 1}}', "duplicate key in a nested object, even with equal values"),
    ("1.234567890123456", "16 significant digits"),
    ("12345678901234567", "17 significant digits"),
    ("1.0000000000000001", "17 significant digits"),
    ("1e309", "magnitude above 1e308"),
    ("2e308", "magnitude above 1e308 (exceeds the largest double)"),
    ("-1.5e308", "magnitude above 1e308"),
    ("1e-400", "magnitude below 1e-307"),
    ("1e-308", "magnitude below 1e-307"),
    ("9.99e-308", "magnitude below 1e-307"),
    ('"\\ud800"', "lone high surrogate"),
    ('"\\udc00"', "lone low surrogate"),
    ('"\\ud83d\\u0041"', "high surrogate followed by a non-surrogate escape"),
    ('"\\ude00\\ud83d"', "surrogates in the wrong order"),
    ('"a\\u0000b"', "U+0000 (PostgreSQL jsonb cannot store it)"),
    ('{"\\u0000": 1}', "U+0000 in a key"),
    ('"tab\there"', "raw control character in a string"),
    ('"\\x41"', "invalid escape"),
    ("[1, 2,]", "trailing comma in an array"),
    ('{"a": 1,}', "trailing comma in an object"),
    ("01", "leading zero"),
    ("-01.5", "leading zero"),
    ("1.", "no digit after the decimal point"),
    (".5", "no digit before the decimal point"),
    ("-", "minus without digits"),
    ("+1", "plus sign"),
    ("1e", "no digit in the exponent"),
    ("NaN", "NaN is not JSON"),
    ("Infinity", "Infinity is not JSON"),
    ("-Infinity", "-Infinity is not JSON"),
    ("0x10", "hex number"),
    ("{'a': 1}", "single quotes"),
    ("{a: 1}", "unquoted key"),
    ("TRUE", "literals are lower case"),
    ("", "empty text"),
    ("   ", "only whitespace"),
    ('{"a": 1} x', "trailing garbage"),
    ("[1] [2]", "two JSON values"),
    ('"unterminated', "unterminated string"),
    ("[1, 2", "unterminated array"),
    ("\u00a0[1]", "U+00A0 is not JSON whitespace"),
    ("\ufeff[1]", "byte order mark"),
    ("[" * 513 + "]" * 513, "513 levels of nesting"),
    ('{"a":' * 513 + "1" + "}" * 513, "513 levels of nesting (objects)"),
]


def build():
    keys = make_keys()
    pub = {name: k.verify_key.encode().hex() for name, k in keys.items()}
    out = {
        "description": "Test vectors for schemas/SIGNING.md (v1), written by generate.py: an "
                       "implementation independent of the C++ core. All byte strings are "
                       "lowercase hex; every text is UTF-8. Regenerate with "
                       "/usr/bin/python3 schemas/test-vectors/generate.py.",
        "keys": [{"name": n, "seed": seed_of(n).hex(), "public_key": pub[n]}
                 for n in KEY_NAMES],
    }

    puts, payloads = [], {}
    for shard_id, key, version, created_by, value in PUT_CASES:
        canonical = canonical_json(value)
        payload = put_payload(shard_id, key, version, created_by, canonical)
        signer = created_by if created_by in keys else "validator-2"
        signature = sign(keys[signer], payload)
        payloads[(shard_id, key, version)] = (payload, signature, created_by)
        puts.append({"shard_id": shard_id, "key": key, "version": version,
                     "created_by": created_by, "value": value,
                     "canonical_value": canonical.decode("utf-8"), "payload_hex": payload.hex(),
                     "signer": signer, "public_key": pub[signer],
                     "signature": signature.hex()})
    out["put"] = puts

    deletes = []
    for shard_id, key, version, created_by in DELETE_CASES:
        payload = delete_payload(shard_id, key, version, created_by)
        signer = created_by if created_by in keys else "validator-2"
        signature = sign(keys[signer], payload)
        payloads[(shard_id, key, version)] = (payload, signature, created_by)
        deletes.append({"shard_id": shard_id, "key": key, "version": version,
                        "created_by": created_by, "payload_hex": payload.hex(),
                        "signer": signer, "public_key": pub[signer],
                        "signature": signature.hex()})
    out["delete"] = deletes

    registrations = []
    for node_id, node_type, ip, port, version, capabilities in REGISTER_CASES:
        key = keys[node_id]
        canonical = canonical_json(capabilities)
        payload = register_payload(node_id, node_type, key.verify_key.encode(), ip, port, version,
                                   canonical)
        registrations.append({"node_id": node_id, "node_type": node_type,
                              "public_key": pub[node_id], "ip": ip, "port": port,
                              "version": version, "capabilities": capabilities,
                              "canonical_capabilities": canonical.decode("utf-8"),
                              "payload_hex": payload.hex(),
                              "signature": sign(key, payload).hex()})
    out["register_node"] = registrations

    # One shard's chain: put v1, put v2, delete v3 of shard-a/user/1.
    chain, prev = [], bytes(32)
    changes = [("shard-a", "user/1", 1), ("shard-a", "user/1", 2), ("shard-a", "user/1", 3)]
    for seq, change in enumerate(changes, start=1):
        payload, signature, created_by = payloads[change]
        origin_node = created_by
        created_at_us = 1767225600000000 + seq * 1234567  # 2026-01-01T00:00:00Z + a bit
        entry_hash = audit_entry_hash(prev, seq, payload, signature, origin_node, created_at_us)
        # The primary (here the writer's own node) signs the link.
        link = link_payload("shard-a", seq, entry_hash, origin_node)
        chain.append({"prev_hash": prev.hex(), "seq": seq, "payload_hex": payload.hex(),
                      "signature": signature.hex(), "origin_node": origin_node,
                      "created_at_us": created_at_us, "entry_hash": entry_hash.hex(),
                      "shard_id": "shard-a", "link_payload_hex": link.hex(),
                      "link_signature": sign(keys[origin_node], link).hex()})
        prev = entry_hash
    out["audit"] = chain

    # An elected shard's chain: terms 1, 1, then 3 (validator-2 took over), each link a v2 link
    # signed by the primary of the entry's term.
    chain, prev = [], bytes(32)
    elected = [(("shard-a", "user/1", 1), 1, "validator-1"),
               (("shard-a", "user/1", 2), 1, "validator-1"),
               (("shard-a", "user/1", 3), 3, "validator-2")]
    for seq, (change, term, origin_node) in enumerate(elected, start=1):
        payload, signature, created_by = payloads[change]
        created_at_us = 1767225600000000 + seq * 7654321
        entry_hash = audit_entry_hash(prev, seq, payload, signature, origin_node, created_at_us)
        link = link_payload_v2("shard-a", seq, entry_hash, origin_node, term)
        chain.append({"prev_hash": prev.hex(), "seq": seq, "term": term,
                      "payload_hex": payload.hex(), "signature": signature.hex(),
                      "origin_node": origin_node, "created_at_us": created_at_us,
                      "entry_hash": entry_hash.hex(), "shard_id": "shard-a",
                      "link_payload_hex": link.hex(),
                      "link_signature": sign(keys[origin_node], link).hex()})
        prev = entry_hash
    out["audit_v2"] = chain

    controls = []
    for op, validators in [("open", '["validator-1","validator-2"]'), ("open", "null"),
                           ("open-elected", "null"), ("close", "null")]:
        issued_at_us = 1767225600000000 + 42
        payload = replica_control_payload(op, "shard-a", "validator-1", "validator-2",
                                          issued_at_us, canonical_json(validators).decode())
        controls.append({"op": op, "shard_id": "shard-a", "primary_node": "validator-1",
                         "target_node": "validator-2", "issued_at_us": issued_at_us,
                         "validators": validators, "payload_hex": payload.hex(),
                         "signature": sign(keys["validator-1"], payload).hex()})
    out["replica_control"] = controls

    rejects = []
    for value, reason in REJECT_CASES:
        try:
            canonical_json(value)
        except Rejected:
            rejects.append({"value": value, "reason": reason})
            continue
        raise AssertionError("accepted a text that must be rejected: %r (%s)" % (value, reason))
    out["canonical_reject"] = rejects
    return out


# Characters written as \u escapes although JSON allows them raw: line and paragraph separators
# (line breaks to some editors and to YAML 1.1), C1 controls, DEL and the byte order mark. Each
# is in the BMP, so no surrogate pair escape is ever written: yaml-cpp, which reads this file in
# the C++ tests, refuses those.
_ESCAPE_IN_FILE = {c: "\\u%04x" % c for c in [0x7F, 0x2028, 0x2029, 0xFEFF, *range(0x80, 0xA0)]}


def render(vectors):
    text = json.dumps(vectors, indent=2, sort_keys=True, ensure_ascii=False)
    return text.translate(_ESCAPE_IN_FILE) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if vectors.json is not what this script would write")
    args = parser.parse_args()
    text = render(build()).encode("utf-8")
    if args.check:
        try:
            with open(VECTORS_PATH, "rb") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current != text:
            print("%s is out of date: run %s" % (VECTORS_PATH, sys.argv[0]), file=sys.stderr)
            return 1
        return 0
    with open(VECTORS_PATH, "wb") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
