#include "mycelium/shard_id.hpp"

#include "mycelium/error.hpp"

#include <string>

namespace mycelium {

bool is_shard_id(std::string_view id) {
  const auto lower_or_digit = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (id.empty() || id.size() > 48 || !lower_or_digit(id.front()))
    return false;
  for (const char c : id)
    if (!lower_or_digit(c) && c != '_' && c != '-')
      return false;
  return true;
}

void check_shard_id(std::string_view id, std::string_view field) {
  if (is_shard_id(id))
    return;
  // A long argument is shown cut: the message names the rule, not the whole input.
  const std::string shown = id.size() > 64 ? std::string(id.substr(0, 64)) + "…" : std::string(id);
  throw Error(sqlstate::kInvalidParameterValue,
              std::string(field) +
                  " must be 1 to 48 characters of [a-z0-9_-] starting with a letter or digit, "
                  "got \"" +
                  shown + "\"");
}

} // namespace mycelium
