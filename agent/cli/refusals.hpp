// What the CLI says when the database refuses a command for a reason the user can fix: the
// extension's SQLSTATE (README, "Errors") says which case it is, and a query of the registry or
// the shards says what exactly is wrong, in the terms of the command line.
#pragma once

#include "db.hpp"

#include <string>

namespace mycelium::cli {

// One wording, for every command, of a shard this database does not have.
std::string unknown_shard(const std::string &shard);

// Whether `shard` is in mycelium.shards (readable by every Mycelium role); true when that cannot
// be read, so that the caller reports the refusal it has rather than a guess.
bool shard_exists(Connection &db, const std::string &shard);

} // namespace mycelium::cli
