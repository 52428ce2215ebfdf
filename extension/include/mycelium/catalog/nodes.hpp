// The node registry (mycelium.node_metadata) and this node's identity (mycelium.local_node),
// through typed functions. Part of the catalog (extension/src/catalog/). Callers hold an SPI
// connection.
#pragma once

#include "mycelium/pg/postgres.hpp"
#include "mycelium/signing.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mycelium::catalog {

// What a registered node is (the column node_type): validators write, miners only read.
enum class NodeType { Validator, Miner };
const char *to_string(NodeType type); // "validator", "miner", as stored

struct NodeRow {
  std::string node_id;
  NodeType type = NodeType::Miner;
  std::string public_key; // hex, as registered
  bool active = false;
  std::string ip;
  std::int32_t port = 0;
  std::string dbname;    // where postgres_fdw reaches it
  bool is_local = false; // this node (mycelium.local_node)
};

// One index lookup: the signed write path calls it for every row (check_signer). Whether the
// node is this one is local_node_id()'s to say, for the callers that ask.
std::optional<NodeRow> find_node(const std::string &node_id);

// The registrations a new one must agree with: the node's own row and any row holding the same
// key, locked until the end of the transaction.
std::vector<NodeRow> lock_registrations(const std::string &node_id, const std::string &public_key);
// Inserts the node, or refreshes its registration (active again, seen now).
void store_registration(const NodeRegistration &node, const std::string &signature_hex);
// false when the node is not registered.
bool deactivate_node(const std::string &node_id);

// mycelium.local_node ("" before set_local_node).
std::string local_node_id();

// The first element of a text[] Datum that is NULL or not a registered validator ("NULL" for a
// NULL element); nullopt when all are registered validators.
std::optional<std::string> first_non_validator(Datum node_ids);

} // namespace mycelium::catalog
