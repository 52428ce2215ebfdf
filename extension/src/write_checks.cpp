#include "mycelium/ext/write_checks.hpp"

#include "mycelium/error.hpp"
#include "mycelium/catalog/audit_log.hpp"
#include "mycelium/catalog/nodes.hpp"
#include "mycelium/ext/node_key.hpp"
#include "mycelium/pg/datum.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/replica_signing.hpp"
#include "mycelium/pg/spi.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/timestamp.h"
}

#include <cstring>

namespace mycelium::ext {

PublicKey check_signer(const std::string &node_id) {
  const std::optional<catalog::NodeRow> node = catalog::find_node(node_id);
  if (!node)
    throw Error(sqlstate::kUnknownSigner, "signer \"" + node_id + "\" is not a registered node");
  if (!node->active)
    throw Error(sqlstate::kInactiveSigner, "signer \"" + node_id + "\" is not active");
  if (node->type != catalog::NodeType::Validator)
    throw Error(sqlstate::kSignerNotValidator, "signer \"" + node_id + "\" is a " +
                                                   catalog::to_string(node->type) +
                                                   ", only validators may write");
  return parse_public_key(node->public_key, "public_key");
}

void check_next_version(std::int64_t version, std::int64_t current, const std::string &what) {
  if (version <= current)
    throw Error(sqlstate::kStaleVersion, what + ": version " + std::to_string(version) +
                                             " is not newer than the current version " +
                                             std::to_string(current) +
                                             " (a replayed or rolled-back write)");
  if (version > current + 1)
    throw Error(sqlstate::kVersionGap, what + ": version " + std::to_string(version) +
                                           " skips versions; the next version is " +
                                           std::to_string(current + 1));
}

void check_signature(const Signature &signature, const Bytes &payload, const PublicKey &key,
                     const char *what) {
  if (!verify(signature, payload, key))
    throw Error(sqlstate::kSignatureInvalid,
                std::string(what) + ": signature does not verify with the signer's registered key");
}

void append_audit(const Change &change, const catalog::ShardHead &head) {
  const TimestampTz now = GetCurrentTimestamp(); // cannot raise: reads the clock
  // TimestampTz counts microseconds from 2000-01-01; the chain uses the Unix epoch.
  const std::int64_t unix_us = pg::unix_us(now);
  const std::int64_t seq = head.seq + 1;
  const Hash entry_hash =
      audit_entry_hash(head.hash, static_cast<std::uint64_t>(seq), change.payload, change.signature,
                       head.origin_node, static_cast<std::uint64_t>(unix_us));
  // The primary vouches for the link with its node key: a replica believes an entry only with
  // this signature by the node its shard row names as primary (SIGNING.md, "Chain links").
  const SecretKey &key = node_key();
  if (head.registered_key &&
      *head.registered_key != to_hex(key.public_key().data(), kPublicKeySize))
    throw Error(sqlstate::kNoNodeKey,
                "mycelium.node_key_file holds public key " +
                    to_hex(key.public_key().data(), kPublicKeySize) + ", but this node (\"" +
                    head.origin_node + "\") is registered with " + *head.registered_key +
                    ": its replicas would refuse every entry; point the setting at the node's "
                    "own key file");
  const Signature link = key.sign(
      link_payload(change.shard_id, static_cast<std::uint64_t>(seq), entry_hash, head.origin_node));
  const std::string link_signature = to_hex(link.data(), link.size());

  catalog::AuditAppend entry;
  entry.shard_id = change.shard_id;
  entry.seq = seq;
  entry.op = change.op;
  entry.key = change.key;
  entry.version = static_cast<std::int32_t>(change.version);
  entry.value = change.value;
  entry.value_null = change.value == Datum(0);
  entry.created_by = change.created_by;
  entry.signature_hex = change.signature_hex;
  entry.created_at = now;
  entry.origin_node = head.origin_node;
  entry.prev_hash.assign(head.hash.begin(), head.hash.end());
  entry.entry_hash.assign(entry_hash.begin(), entry_hash.end());
  entry.link_signature_hex = link_signature;
  catalog::append_audit_entry(entry, catalog::AuditSource::Primary);
  catalog::write_shard_head(change.shard_id, seq, entry_hash.data(), entry_hash.size());
}

} // namespace mycelium::ext
