// The checks every signed write passes, shared by the record and tombstone triggers (the
// statements themselves are the catalog's). Each failure
// throws mycelium::Error with its own SQLSTATE. Callers hold an SPI connection.
#pragma once

#include "mycelium/audit.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/catalog/shards.hpp"
#include "mycelium/ext/statement_writes.hpp"
#include "mycelium/pg/postgres.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace mycelium::ext {

// created_by must be a registered, active validator; returns its public key.
PublicKey check_signer(const std::string &node_id);

// version must be exactly current + 1.
void check_next_version(std::int64_t version, std::int64_t current, const std::string &what);

void check_signature(const Signature &signature, const Bytes &payload, const PublicKey &key,
                     const char *what);

// A signed change as the record triggers read it from the written row.
struct Change {
  const char *op; // "put" or "delete"
  std::string shard_id;
  std::string key;
  std::int64_t version;
  Datum value; // jsonb, or 0 for a delete
  std::string created_by;
  std::string signature_hex;
  Signature signature;
  Bytes payload;
};
// The change as a WriteBatch holds it until its flush (statement_writes.hpp), with the signer's
// key; `what` names it in errors.
SignedChange signed_change(Change change, const PublicKey &key, const char *what);

} // namespace mycelium::ext
