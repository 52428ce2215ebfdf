#include "mycelium/node_id.hpp"

#include "mycelium/error.hpp"

#include <string>

namespace mycelium {

namespace {
bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
} // namespace

bool is_node_id(std::string_view id) {
  if (id.empty() || id.size() > 63 || !alnum(id.front()))
    return false;
  for (const char c : id)
    if (!alnum(c) && c != '.' && c != '_' && c != '-')
      return false;
  return true;
}

void check_node_id(std::string_view id, std::string_view field) {
  if (!is_node_id(id))
    throw Error(sqlstate::kInvalidParameterValue,
                std::string(field) + " \"" + std::string(id) +
                    "\" is not a node id (1 to 63 letters, digits, '.', '_' or '-', starting "
                    "with a letter or digit)");
}

} // namespace mycelium
