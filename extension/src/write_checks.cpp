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

SignedChange signed_change(Change change, const PublicKey &key, const char *what) {
  SignedChange signed_change;
  catalog::AuditAppend &e = signed_change.entry;
  e.shard_id = std::move(change.shard_id);
  e.op = change.op;
  e.key = std::move(change.key);
  e.version = static_cast<std::int32_t>(change.version);
  e.value = change.value;
  e.value_null = change.value == Datum(0);
  e.created_by = std::move(change.created_by);
  e.signature_hex = std::move(change.signature_hex);
  signed_change.signature = change.signature;
  signed_change.payload = std::move(change.payload);
  signed_change.key = key;
  signed_change.what = what;
  return signed_change;
}

} // namespace mycelium::ext
