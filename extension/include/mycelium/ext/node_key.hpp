// This node's own Ed25519 key, with which it signs what only it may say: each link of the audit
// chains of the shards it is primary of, and the open/close messages to their replicas
// (schemas/SIGNING.md). Read from mycelium.node_key_file (the key file format of `mycelium
// keygen`), never from SQL; the secret stays in this backend's memory, zeroed when replaced.
#pragma once

#include "mycelium/ed25519.hpp"

namespace mycelium::ext {

// The key named by mycelium.node_key_file, read on first use and again when the setting
// changes or the file is replaced (another inode, size or modification time). Throws Error MC015
// when the setting is empty, and the key file's own error (22023, naming the file) when it cannot
// be read.
const SecretKey &node_key();

} // namespace mycelium::ext
