#include "mycelium/ext/node_key.hpp"

#include "mycelium/error.hpp"
#include "mycelium/ext/settings.hpp"
#include "mycelium/key_file.hpp"

#include <memory>
#include <string>

namespace mycelium::ext {

const SecretKey &node_key() {
  static std::unique_ptr<SecretKey> key;
  static std::string loaded_from;
  const std::string path = node_key_file ? node_key_file : "";
  if (path.empty())
    throw Error(sqlstate::kNoNodeKey,
                "this node has no key to sign its audit entries with: set mycelium.node_key_file "
                "to the node's key file (mycelium keygen; owned by the server's user, mode 0600) "
                "in postgresql.conf or with ALTER SYSTEM, then reload");
  if (!key || path != loaded_from) {
    // read_key_file refuses files that group or others can read, and a public key that does not
    // match the seed.
    key = std::make_unique<SecretKey>(read_key_file(path));
    loaded_from = path;
  }
  return *key;
}

} // namespace mycelium::ext
