#include "commands.hpp"

#include "mycelium/ed25519.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/key_file.hpp"

#include <iostream>

namespace mycelium::cli {

int run_keygen(const Options &options) {
  const SecretKey key = SecretKey::generate();
  write_key_file(options.get("out"), key);
  // Only the public key on stdout, so that scripts can capture it.
  std::cout << to_hex(key.public_key().data(), key.public_key().size()) << "\n";
  return kExitOk;
}

} // namespace mycelium::cli
