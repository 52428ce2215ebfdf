// The postgres_fdw servers, user mappings and foreign tables made for each peer node
// (mycelium.peer_servers; extension/src/replication.cpp owns them).
#pragma once

#include <string>

namespace mycelium::ext {

// Points an existing peer's servers at the node's registered ip, port and database again
// (after a re-registration moved it); does nothing for a node without servers. Callers hold an
// SPI connection.
void refresh_peer_servers(const std::string &node_id);

} // namespace mycelium::ext
