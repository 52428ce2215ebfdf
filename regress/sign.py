#!/usr/bin/python3
"""Test signer for the pg_regress suite: the client side, which never runs inside SQL.

Keys are derived from names (seed = SHA-256("mycelium-regress/" + name)), so expected output is
stable. The payload comes from the database under test (mycelium.signing_payload); whether that
payload is right is checked against independent vectors elsewhere (schemas/test-vectors).

    sign.py public NAME           -> public key hex
    sign.py sign NAME PAYLOAD_HEX -> signature hex
    sign.py sign-many NAME        -> one signature per payload hex line on stdin
    sign.py entry-hash PREV_HEX SEQ PAYLOAD_HEX SIGNATURE_HEX ORIGIN CREATED_AT_US
                                  -> the audit entry hash (schemas/SIGNING.md, "Audit chain"),
                                     as a forger would compute it
"""
import hashlib
import struct
import sys

import nacl.signing


def key(name):
    return nacl.signing.SigningKey(hashlib.sha256(b"mycelium-regress/" + name.encode()).digest())


def frame(b):
    return struct.pack(">I", len(b)) + b


def entry_hash(prev_hex, seq, payload_hex, signature_hex, origin, created_at_us):
    data = b"".join([
        frame(b"mycelium/v1/audit"), frame(bytes.fromhex(prev_hex)),
        frame(struct.pack(">Q", int(seq))), frame(bytes.fromhex(payload_hex)),
        frame(bytes.fromhex(signature_hex)), frame(origin.encode()),
        frame(struct.pack(">Q", int(created_at_us)))])
    return hashlib.sha256(data).hexdigest()


def main(argv):
    if len(argv) == 3 and argv[1] == "public":
        print(key(argv[2]).verify_key.encode().hex())
    elif len(argv) == 4 and argv[1] == "sign":
        print(key(argv[2]).sign(bytes.fromhex(argv[3])).signature.hex())
    elif len(argv) == 3 and argv[1] == "sign-many":
        k = key(argv[2])
        for line in sys.stdin:
            if line.strip():
                print(k.sign(bytes.fromhex(line.strip())).signature.hex())
    elif len(argv) == 8 and argv[1] == "entry-hash":
        print(entry_hash(*argv[2:]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
