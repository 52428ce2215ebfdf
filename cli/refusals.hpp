// What the CLI says when the database refuses a command for a reason the user can fix: the
// extension's SQLSTATE (README, "Errors") says which case it is, and a query of the registry or
// the shards says what exactly is wrong, in the terms of the command line.
#pragma once

#include "db.hpp"

#include "mycelium/ed25519.hpp"

#include <string>

namespace mycelium::cli {

// One wording, for every command, of a shard this database does not have.
std::string unknown_shard(const std::string &shard);

// Whether `shard` is in mycelium.shards (readable by every Mycelium role); true when that cannot
// be read, so that the caller reports the refusal it has rather than a guess.
bool shard_exists(Connection &db, const std::string &shard);

// Who is signing: the node named on the command line and the key file used.
struct Signer {
  std::string node_id;
  std::string key_file;
  PublicKey public_key;
};

// For a write refused with MC001 (signature does not verify) or MC002 (signer not registered):
// "; key file F holds public key P, which is not ..." with what to do, when the registry shows
// that the key file is not the one registered for the node. Empty otherwise (the refusal has
// another cause, or the registry cannot be read). Runs outside a transaction.
std::string explain_signer_refusal(Connection &db, const pgclient::Error &refusal,
                                   const Signer &signer);

} // namespace mycelium::cli
