// A node's Ed25519 identity on disk, shared by the CLI and the agent. The format (text, one
// `name: value` per line) is in schemas/SIGNING.md, "Key files".
#pragma once

#include "mycelium/ed25519.hpp"

#include <string>

namespace mycelium {

// Writes a new key file with mode 0600; refuses to overwrite an existing file.
void write_key_file(const std::string &path, const SecretKey &key);

// Reads a key file. Throws Error with a message naming the file when it is missing, readable by
// group or others, malformed, or when its public key does not match its seed.
SecretKey read_key_file(const std::string &path);

} // namespace mycelium
