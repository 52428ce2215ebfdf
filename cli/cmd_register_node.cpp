#include "commands.hpp"
#include "db.hpp"

#include "mycelium/canonical_json.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/key_file.hpp"
#include "mycelium/signing.hpp"
#include "mycelium/version.hpp"

#include <iostream>

namespace mycelium::cli {

int run_register_node(const Options &options) {
  const std::string command(options.command().name);
  NodeRegistration node;
  node.node_id = options.get("node-id");
  node.node_type = options.get("type");
  // The core checks this too, but a wrong choice on the command line is a usage error (exit 2).
  if (node.node_type != "validator" && node.node_type != "miner")
    throw UsageError("--type must be validator or miner, got '" + node.node_type + "'", command);
  node.ip = options.get("ip");
  node.port = parse_port(options.get("port"), "port", command);
  node.version = options.get_or("version", kVersion);
  node.canonical_capabilities =
      canonical_json(options.get_or("capabilities", "{}"), "--capabilities");

  // Sign before connecting, so the secret key is gone from memory before any network traffic.
  std::string signature_hex;
  {
    const SecretKey key = read_key_file(options.get("key-file"));
    node.public_key = to_hex(key.public_key().data(), key.public_key().size());
    const Signature signature = key.sign(registration_payload(node));
    signature_hex = to_hex(signature.data(), signature.size());
  }

  Connection db = connect_database(options.get_or("dsn", ""));
  try {
    db.exec("SELECT mycelium.register_node($1, $2, $3, $4, $5::int, $6, $7::jsonb, $8)",
            {node.node_id, node.node_type, node.public_key, node.ip, std::to_string(node.port),
             node.version, node.canonical_capabilities, signature_hex});
  } catch (const pgclient::Error &e) {
    throw Failure(e.describe("registration"));
  }
  std::cout << "registered " << node.node_type << " " << node.node_id << " (public key "
            << node.public_key << ")\n";
  return kExitOk;
}

} // namespace mycelium::cli
