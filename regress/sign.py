#!/usr/bin/python3
"""Test signer for the pg_regress suite: the client side, which never runs inside SQL.

Keys are derived from names (seed = SHA-256("mycelium-regress/" + name)), so expected output is
stable. The payload comes from the database under test (mycelium.signing_payload); whether that
payload is right is checked against independent vectors elsewhere (schemas/test-vectors).

    sign.py public NAME           -> public key hex
    sign.py sign NAME PAYLOAD_HEX -> signature hex
    sign.py sign-many NAME        -> one signature per payload hex line on stdin
"""
import hashlib
import sys

import nacl.signing


def key(name):
    return nacl.signing.SigningKey(hashlib.sha256(b"mycelium-regress/" + name.encode()).digest())


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
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
