#!/usr/bin/python3
"""Test signer for the pg_regress suite: the client side, which never runs inside SQL.

Keys are derived from names (seed = SHA-256("mycelium-regress/" + name)), so expected output is
stable. The payload comes from the database under test (mycelium.signing_payload); whether that
payload is right is checked against independent vectors elsewhere (schemas/test-vectors).

    sign.py public NAME           -> public key hex
    sign.py sign NAME PAYLOAD_HEX -> signature hex
    sign.py sign-many NAME        -> one signature per payload hex line on stdin
    sign.py put NAME SHARD KEY VERSION CANONICAL_VALUE
    sign.py delete NAME SHARD KEY VERSION
                                  -> NAME's signature of a put or delete it writes as
                                     created_by, over bytes built here from SIGNING.md (the
                                     value must be given in canonical JSON)
    sign.py seed NAME             -> NAME's secret seed, hex (for a key file written by a test)
    sign.py keyfile NAME PATH     -> writes NAME's key as a key file (SIGNING.md, "Key files"),
                                     mode 0600, for a database's mycelium.node_key_file
    sign.py entry-hash PREV_HEX SEQ PAYLOAD_HEX SIGNATURE_HEX ORIGIN CREATED_AT_US
                                  -> the audit entry hash (schemas/SIGNING.md, "Audit chain"),
                                     as a forger would compute it
    sign.py link NAME SHARD SEQ ENTRY_HASH_HEX PRIMARY
                                  -> NAME's signature of a chain link (SIGNING.md, "Chain
                                     links"), over bytes built here, as a forger would
    sign.py link-v2 NAME SHARD SEQ ENTRY_HASH_HEX PRIMARY TERM
                                  -> the same for an elected shard's v2 link, with its term
    sign.py control NAME OP SHARD PRIMARY TARGET ISSUED_AT_US CANONICAL_VALIDATORS
                                  -> NAME's signature of a replica control message (SIGNING.md,
                                     "Replica control"), over bytes built here
    sign.py blacklist NAME NODE_ID REASON CREATED_BY CREATED_AT_MS EXPIRES_AT_MS
                                  -> NAME's signature of a blacklist entry, over bytes built
                                     here from PROTOCOL.md ("BlacklistSync"), not asked of the
                                     database: an entry the database accepts proves both sides
                                     frame it alike
"""
import hashlib
import os
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


def u64be(v):
    return struct.pack(">Q", int(v))


def put_bytes(name, shard, key, version, canonical_value):
    return b"".join([frame(b"mycelium/v1/put"), frame(shard.encode()), frame(key.encode()),
                     frame(u64be(version)), frame(name.encode()), frame(canonical_value.encode())])


def delete_bytes(name, shard, key, version):
    return b"".join([frame(b"mycelium/v1/delete"), frame(shard.encode()), frame(key.encode()),
                     frame(u64be(version)), frame(name.encode())])


def link_bytes(shard, seq, entry_hash_hex, primary):
    return b"".join([frame(b"mycelium/v1/link"), frame(shard.encode()), frame(u64be(seq)),
                     frame(bytes.fromhex(entry_hash_hex)), frame(primary.encode())])


def link_v2_bytes(shard, seq, entry_hash_hex, primary, term):
    return b"".join([frame(b"mycelium/v2/link"), frame(shard.encode()), frame(u64be(seq)),
                     frame(bytes.fromhex(entry_hash_hex)), frame(primary.encode()),
                     frame(u64be(term))])


def control_bytes(op, shard, primary, target, issued_at_us, validators):
    return b"".join([frame(b"mycelium/v1/replica-control"), frame(op.encode()),
                     frame(shard.encode()), frame(primary.encode()), frame(target.encode()),
                     frame(u64be(issued_at_us)), frame(validators.encode())])


def blacklist_bytes(node_id, reason, created_by, created_at_ms, expires_at_ms):
    def u64(v):  # signed times travel as the u64 of their two's complement
        return struct.pack(">Q", int(v) & 0xFFFFFFFFFFFFFFFF)
    return b"".join([
        frame(b"mycelium/v1/blacklist"), frame(node_id.encode()), frame(reason.encode()),
        frame(created_by.encode()), frame(u64(created_at_ms)), frame(u64(expires_at_ms))])


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
    elif len(argv) == 3 and argv[1] == "seed":
        print(key(argv[2]).encode().hex())
    elif len(argv) == 4 and argv[1] == "keyfile":
        k = key(argv[2])
        fd = os.open(argv[3], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("# mycelium ed25519 key file: keep it secret\n")
            f.write("public_key: " + k.verify_key.encode().hex() + "\n")
            f.write("secret_seed: " + k.encode().hex() + "\n")
    elif len(argv) == 7 and argv[1] == "put":
        print(key(argv[2]).sign(put_bytes(*argv[2:])).signature.hex())
    elif len(argv) == 6 and argv[1] == "delete":
        print(key(argv[2]).sign(delete_bytes(*argv[2:])).signature.hex())
    elif len(argv) == 7 and argv[1] == "link":
        print(key(argv[2]).sign(link_bytes(*argv[3:])).signature.hex())
    elif len(argv) == 8 and argv[1] == "link-v2":
        print(key(argv[2]).sign(link_v2_bytes(*argv[3:])).signature.hex())
    elif len(argv) == 9 and argv[1] == "control":
        print(key(argv[2]).sign(control_bytes(*argv[3:])).signature.hex())
    elif len(argv) == 8 and argv[1] == "entry-hash":
        print(entry_hash(*argv[2:]))
    elif len(argv) == 8 and argv[1] == "blacklist":
        print(key(argv[2]).sign(blacklist_bytes(*argv[3:])).signature.hex())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
