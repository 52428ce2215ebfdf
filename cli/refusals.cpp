#include "refusals.hpp"

#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"

#include <optional>

namespace mycelium::cli {

std::string unknown_shard(const std::string &shard) {
  return "shard \"" + shard + "\" does not exist in this database (see mycelium.shards)";
}

bool shard_exists(Connection &db, const std::string &shard) {
  try {
    return db.exec("SELECT 1 FROM mycelium.shards WHERE shard_id = $1", {shard}).rows() == 1;
  } catch (const pgclient::Error &) {
    return true; // unknown: the caller reports what it has rather than a guess
  }
}

std::string explain_signer_refusal(Connection &db, const pgclient::Error &refusal,
                                   const Signer &signer) {
  if (refusal.sqlstate() != sqlstate::kSignatureInvalid &&
      refusal.sqlstate() != sqlstate::kUnknownSigner)
    return "";
  const std::string mine = to_hex(signer.public_key.data(), signer.public_key.size());
  std::optional<std::string> registered; // the key registered for the node named, if any
  std::string owner;                     // the node registered with the key file's key, if any
  try {
    // Public keys are unique in the registry, so at most one node owns the key file's key.
    const Result result =
        db.exec("SELECT (SELECT public_key FROM mycelium.node_metadata WHERE node_id = $1), "
                "       (SELECT node_id FROM mycelium.node_metadata WHERE public_key = $2)",
                {signer.node_id, mine});
    if (result.rows() != 1)
      return "";
    if (!result.is_null(0, 0))
      registered = result.text(0, 0);
    owner = result.text(0, 1);
  } catch (const pgclient::Error &) {
    return ""; // the refusal itself is still reported
  }
  if (registered == mine)
    return ""; // the right key: the refusal has another cause
  if (!registered) {
    // The database has said that the node is not registered.
    if (!owner.empty())
      return "; key file " + signer.key_file + " holds the key of node " + owner +
             ": did you mean --node-id " + owner + "?";
    return "; register it first (mycelium register-node --key-file " + signer.key_file +
           " --node-id " + signer.node_id + " ...)";
  }
  // The agent words the same mistake this way when it starts.
  std::string text = "; key file " + signer.key_file + " holds public key " + mine +
                     ", but mycelium.node_metadata registers " + *registered + " for node " +
                     signer.node_id + ": wrong key file or wrong --node-id";
  if (!owner.empty())
    return text + " (the key file is node " + owner + "'s: use " + signer.node_id +
           "'s own key file, or --node-id " + owner + " to write as " + owner + ")";
  return text + " (use the key file node " + signer.node_id + " was registered with)";
}

} // namespace mycelium::cli
