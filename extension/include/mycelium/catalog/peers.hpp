// The postgres_fdw objects made for each peer node (mycelium.peer_servers) and the logins this
// node uses to reach it (mycelium.peer_credentials), through typed functions. Part of the catalog
// (extension/src/catalog/); replication.cpp creates the servers and foreign tables they name.
// Callers hold an SPI connection.
#pragma once

#include <optional>
#include <string>

namespace mycelium::catalog {

// Names as stored (unquoted): the servers for pushing (push_server) and reading (read_server), and the schema
// holding the peer's foreign tables.
struct PeerServerNames {
  std::string schema;
  std::string push_server;
  std::string read_server;
};

std::optional<PeerServerNames> find_peer_servers(const std::string &node_id);
// The node's names, given on first use (from its peer number) and kept.
PeerServerNames assign_peer_servers(const std::string &node_id);

// What a login is for (the column purpose): pushing entries, or reading remote shards.
enum class PeerPurpose { Push, Read };
const char *to_string(PeerPurpose purpose); // "push", "read", as stored

struct PeerLogin {
  std::string user;
  std::optional<std::string> password;
};
std::optional<PeerLogin> find_peer_login(const std::string &node_id, PeerPurpose purpose);

} // namespace mycelium::catalog
