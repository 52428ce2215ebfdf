// The one rule for shard ids: 1 to 48 characters of [a-z0-9_-], starting with a letter or digit
// (they name a partition, mycelium."data_<shard>", and travel in signed payloads).
#pragma once

#include <string_view>

namespace mycelium {

bool is_shard_id(std::string_view id);

// Throws Error 22023 naming `field` when `id` breaks the rule.
void check_shard_id(std::string_view id, std::string_view field = "shard_id");

} // namespace mycelium
