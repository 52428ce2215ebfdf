#!/usr/bin/python3
"""Test vectors for the peer handshake and secure channel (schemas/PROTOCOL.md, "Handshake and
secure channel"), made by an implementation independent of the C++ core.

Written from the specification alone, with python3-cryptography (OpenSSL: X25519, Ed25519,
ChaCha20-Poly1305) and hashlib (BLAKE2b); the C++ core uses libsodium. The unit tests
(tests/unit/handshake_test.cpp, HandshakeVectors) replay each case with the same randomness and
check every byte. When the two disagree, one of them misreads the specification.

    handshake.py          rewrite handshake.json next to this script
    handshake.py --check  exit 1 if handshake.json differs from what would be written

Only the standard library and python3-cryptography (Debian package): run with /usr/bin/python3.
"""

import argparse
import hashlib
import json
import os
import struct
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "handshake.json")


def frame(data):
    if isinstance(data, str):
        data = data.encode()
    return struct.pack(">I", len(data)) + data


def u16(n):
    return frame(struct.pack(">H", n))


def blake2b(data, key=b""):
    return hashlib.blake2b(data, digest_size=32, key=key).digest()


def derive(dh, salt, label):
    return blake2b(frame(label), key=blake2b(dh, key=salt))


def offer(side):
    features = sorted(set(side["features"]))
    return (u16(side["major"]) + u16(side["minor"]) + u16(len(features))
            + b"".join(frame(f) for f in features))


def raw(public_key):
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def seal(key, counter, plaintext, ad=b""):
    nonce = bytes(4) + struct.pack("<Q", counter)
    return ChaCha20Poly1305(key).encrypt(nonce, plaintext, ad)


def counting(start, size):
    return bytes((start + k) % 256 for k in range(size))


def handshake(case):
    """The three messages, the session id and the traffic keys of one case."""
    ini, res = case["initiator"], case["responder"]
    ini_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(ini["seed"]))
    res_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(res["seed"]))
    ini_random, res_random = bytes.fromhex(ini["random"]), bytes.fromhex(res["random"])
    # Each side draws its ephemeral secret first, then its 32-byte random.
    ini_eph = X25519PrivateKey.from_private_bytes(ini_random[:32])
    res_eph = X25519PrivateKey.from_private_bytes(res_random[:32])

    msg1 = (frame("mycelium/v1/handshake/hello") + offer(ini) + frame(raw(ini_eph.public_key()))
            + frame(ini_random[32:]))
    header = (frame("mycelium/v1/handshake/reply") + frame(raw(res_eph.public_key()))
              + frame(res_random[32:]))
    transcript = frame("mycelium/v1/handshake") + msg1 + header
    dh = res_eph.exchange(ini_eph.public_key())
    h = blake2b(transcript)
    reply_key = derive(dh, h, "mycelium/v1/handshake/reply-key")
    finish_key = derive(dh, h, "mycelium/v1/handshake/finish-key")

    body2 = offer(res) + frame(res["node_id"]) + frame(raw(res_key.public_key()))
    transcript += body2
    signature = res_key.sign(frame("mycelium/v1/handshake/responder") + frame(blake2b(transcript)))
    body2 += frame(signature)
    transcript += frame(signature)
    msg2 = header + frame(ChaCha20Poly1305(reply_key).encrypt(bytes(12), body2, h))

    finish_ad = blake2b(transcript)
    body3 = frame(ini["node_id"]) + frame(raw(ini_key.public_key()))
    transcript += body3
    signature = ini_key.sign(frame("mycelium/v1/handshake/initiator") + frame(blake2b(transcript)))
    body3 += frame(signature)
    transcript += frame(signature)
    msg3 = (frame("mycelium/v1/handshake/finish")
            + frame(ChaCha20Poly1305(finish_key).encrypt(bytes(12), body3, finish_ad)))

    session_id = blake2b(transcript)
    i2r = derive(dh, session_id, "mycelium/v1/initiator-to-responder")
    r2i = derive(dh, session_id, "mycelium/v1/responder-to-initiator")
    frames = []
    for counter, text in enumerate(["hello", "", "third frame"]):
        frames.append({"direction": "initiator-to-responder", "plaintext": text.encode().hex(),
                       "frame": seal(i2r, counter, text.encode()).hex()})
        frames.append({"direction": "responder-to-initiator", "plaintext": text.encode().hex(),
                       "frame": seal(r2i, counter, text.encode()).hex()})
    return {
        "msg1": msg1.hex(), "msg2": msg2.hex(), "msg3": msg3.hex(),
        "session_id": session_id.hex(),
        "initiator_to_responder": i2r.hex(), "responder_to_initiator": r2i.hex(),
        "frames": frames,
    }


def side(node_id, seed_start, random_start, major, minor, features):
    return {"node_id": node_id, "seed": counting(seed_start, 32).hex(),
            "random": counting(random_start, 64).hex(), "major": major, "minor": minor,
            "features": features}


CASES = [
    {"name": "minor and features negotiated",
     "initiator": side("alice", 1, 10, 1, 4, ["gossip", "raft", "zstd"]),
     "responder": side("bob", 2, 100, 1, 2, ["gossip", "snapshots", "zstd"]),
     "agreed": {"major": 1, "minor": 2, "features": ["gossip", "zstd"]}},
    {"name": "no features, long node ids",
     "initiator": side("validator-" + "i" * 200, 40, 7, 1, 0, []),
     "responder": side("miner-" + "r" * 240, 80, 250, 1, 0, []),
     "agreed": {"major": 1, "minor": 0, "features": []}},
]


def generate():
    cases = []
    for case in CASES:
        out = dict(case)
        out.update(handshake(case))
        cases.append(out)
    return json.dumps({"handshake": cases}, indent=2, sort_keys=True) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if handshake.json is not what would be written")
    args = parser.parse_args()
    text = generate()
    if args.check:
        with open(OUTPUT, encoding="utf-8") as f:
            if f.read() != text:
                print("handshake.json is out of date: run schemas/test-vectors/handshake.py",
                      file=sys.stderr)
                return 1
        return 0
    with open(OUTPUT, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
