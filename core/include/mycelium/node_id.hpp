// The one rule for node ids: 1 to 63 ASCII letters, digits, '.', '_' or '-', starting with a
// letter or digit (usable in a hostname label, a file name and a SQL identifier alike).
#pragma once

#include <string_view>

namespace mycelium {

bool is_node_id(std::string_view id);

// Throws Error 22023 naming `field` when `id` breaks the rule.
void check_node_id(std::string_view id, std::string_view field = "node_id");

} // namespace mycelium
