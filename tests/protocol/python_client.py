#!/usr/bin/env python3
"""A client written from schemas/PROTOCOL.md alone (python3-nacl, no Mycelium code): it builds
envelopes in the JSON form, signs them as the document says and prints one per line as
    <sender public key hex> <origin public key hex> <envelope JSON>
for json_check (ctest ProtocolPythonClient), which must accept every one of them."""
import hashlib
import json
import struct

from nacl.signing import SigningKey


def frame(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def u64(value: int) -> bytes:
    return frame(struct.pack(">Q", value & 0xFFFFFFFFFFFFFFFF))  # two's complement for negatives


def text(value: str) -> bytes:
    return frame(value.encode("utf-8"))


def raw(values) -> bytes:
    return frame(bytes(values))


# The payload's fields in schema order, each framed by its kind (PROTOCOL.md, "Signing bytes").
KINDS = {
    "Handshake": [("data", raw)],
    "HandshakeResponse": [("data", raw)],
    "Ping": [("seq", u64), ("sent_ms", u64)],
    "Pong": [("seq", u64), ("sent_ms", u64)],
    "Gossip": [("message_id", raw), ("origin", text), ("ttl", u64), ("topic", text),
               ("body", raw), ("origin_timestamp_ms", u64), ("origin_signature", raw)],
    "Sync": [("node_id", text), ("version", text), ("start_time_ms", u64), ("last_sync_ms", u64),
             ("last_heartbeat_ms", u64), ("active", lambda b: u64(int(b))), ("status", text),
             ("peer_count", u64), ("serving_rate_milli", u64), ("sync_progress_ppm", u64),
             ("response_latency_us", u64), ("memory_bytes", u64), ("cpu_percent_milli", u64)],
    "SyncCursor": [("shard_id", text), ("origin", text), ("last_seq", u64)],
    "AuditEntry": [("shard_id", text), ("seq", u64), ("op", text), ("key", text),
                   ("version", u64), ("value_json", text), ("created_by", text),
                   ("signature", text), ("created_at_us", u64), ("origin_node", text),
                   ("prev_hash", raw), ("entry_hash", raw), ("link_signature", raw),
                   ("term", u64)],
    "BlacklistEntry": [("node_id", text), ("reason", text), ("created_by", text),
                       ("created_at_ms", u64), ("expires_at_ms", u64), ("signature", raw)],
    "AddressRecord": [("node_id", text), ("host", text), ("port", u64), ("expires_at_ms", u64),
                      ("signature", raw)],
    "AddressRequest": [("request_id", u64)],
}
KINDS["AddressReply"] = [("request_id", u64), ("records", "AddressRecord")]
# A nested table: its fields in place, no count (PROTOCOL.md "Signing bytes").
KINDS["AddressAnnounce"] = [("record", "AddressRecord!")]
KINDS["DBSyncReq"] = [("request_id", u64), ("cursors", "SyncCursor"), ("page_size", u64)]
KINDS["DBSyncResp"] = [("request_id", u64), ("entries", "AuditEntry"),
                       ("more", lambda b: u64(int(b)))]
KINDS["BlacklistSync"] = [("entries", "BlacklistEntry")]
KINDS["RaftMessage"] = [("data", raw)]


def fields(kind: str, table: dict) -> bytes:
    out = b""
    for name, how in KINDS[kind]:
        if isinstance(how, str) and how.endswith("!"):  # one nested table
            out += fields(how[:-1], table[name])
        elif isinstance(how, str):  # a vector of tables: count, then each item's fields
            items = table[name]
            out += u64(len(items)) + b"".join(fields(how, item) for item in items)
        else:
            out += how(table[name])
    return out


def signing_bytes(env: dict) -> bytes:
    return (frame(b"mycelium/v1/envelope") + u64(env["version_major"]) +
            u64(env["version_minor"]) + text(env["payload_type"]) + text(env["sender_id"]) +
            u64(env["timestamp_ms"]) + raw(env["nonce"]) +
            fields(env["payload_type"], env["payload"]))


def envelope(key: SigningKey, sender: str, kind: str, payload: dict, n: int) -> dict:
    env = {"version_major": 1, "version_minor": 0, "sender_id": sender,
           "timestamp_ms": 1700000000000 + n, "nonce": list(range(n, n + 16)),
           "payload_type": kind, "payload": payload}
    env["signature"] = list(key.sign(signing_bytes(env)).signature)
    return env


def sign_gossip(origin_key: SigningKey, g: dict) -> dict:
    data = (frame(b"mycelium/v1/gossip") + text(g["origin"]) + text(g["topic"]) +
            raw(g["body"]) + u64(g["origin_timestamp_ms"]))
    g["message_id"] = list(hashlib.sha256(data).digest())
    g["origin_signature"] = list(origin_key.sign(data).signature)
    return g


def sign_blacklist(creator_key: SigningKey, e: dict) -> dict:
    data = (frame(b"mycelium/v1/blacklist") + text(e["node_id"]) + text(e["reason"]) +
            text(e["created_by"]) + u64(e["created_at_ms"]) + u64(e["expires_at_ms"]))
    e["signature"] = list(creator_key.sign(data).signature)
    return e


def main() -> None:
    sender = SigningKey(bytes(range(32)))
    origin = SigningKey(bytes(range(1, 33)))
    gossip = sign_gossip(origin, {"origin": "validator-\U0001F344", "ttl": 3, "topic": "weights",
                                  "body": [0, 255, 7], "origin_timestamp_ms": -5})
    entry = {"shard_id": "users", "seq": 9, "op": "put", "key": "ada", "version": 2,
             "value_json": "{\"age\":36}", "created_by": "validator-1", "signature": "ab" * 64,
             "created_at_us": 1700000000123456, "origin_node": "node-1",
             "prev_hash": [1] * 32, "entry_hash": [2] * 32, "link_signature": [3] * 64,
             "term": 2**63 + 5}
    messages = [
        ("Ping", {"seq": 2**64 - 1, "sent_ms": -1}),
        ("Pong", {"seq": 1, "sent_ms": 1700000000000}),
        ("Handshake", {"data": [1, 2, 3]}),
        ("HandshakeResponse", {"data": [4]}),
        ("Gossip", gossip),
        ("Sync", {"node_id": "node-1", "version": "0.3.0", "start_time_ms": 1,
                  "last_sync_ms": 2, "last_heartbeat_ms": 3, "active": True,
                  "status": "ready", "peer_count": 4, "serving_rate_milli": 12500,
                  "sync_progress_ppm": 1000000, "response_latency_us": 800,
                  "memory_bytes": 2**40, "cpu_percent_milli": 150000}),
        ("DBSyncReq", {"request_id": 7, "page_size": 500,
                       "cursors": [{"shard_id": "users", "origin": "", "last_seq": 0},
                                   {"shard_id": "orders", "origin": "node-2", "last_seq": 3}]}),
        ("DBSyncResp", {"request_id": 7, "entries": [entry], "more": False}),
        ("BlacklistSync", {"entries": [sign_blacklist(origin, {
            "node_id": "bad", "reason": "spam", "created_by": "validator-2",
            "created_at_ms": 10, "expires_at_ms": 0})]}),
        ("AddressRequest", {"request_id": 2**64 - 1}),
        ("AddressReply", {"request_id": 3, "records": [
            {"node_id": "node-2", "host": "fd00::3", "port": 65535, "expires_at_ms": -1,
             "signature": [5] * 64}]}),
        ("AddressAnnounce", {"record": {"node_id": "node-1", "host": "127.0.0.1", "port": 7001,
                                        "expires_at_ms": 1700000003600000,
                                        "signature": [6] * 64}}),
        ("RaftMessage", {"data": [1, 0, 0, 0, 0, 0, 0, 0, 42, 6, 0, 255]}),
    ]
    for n, (kind, payload) in enumerate(messages):
        env = envelope(sender, "node-1", kind, payload, n)
        print(bytes(sender.verify_key).hex(), bytes(origin.verify_key).hex(),
              json.dumps(env, ensure_ascii=False))


if __name__ == "__main__":
    main()
