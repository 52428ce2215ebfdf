#include "refusals.hpp"

namespace mycelium::cli {

std::string unknown_shard(const std::string &shard) {
  return "shard \"" + shard + "\" does not exist in this database (see mycelium.shards)";
}

bool shard_exists(Connection &db, const std::string &shard) {
  try {
    return db.exec("SELECT 1 FROM mycelium.shards WHERE shard_id = $1", {shard}).rows() == 1;
  } catch (const DbError &) {
    return true; // unknown: the caller reports what it has rather than a guess
  }
}

} // namespace mycelium::cli
