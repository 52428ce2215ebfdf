// What the agent's start-up checks read from its database (NodeStore::read_startup_facts), apart
// from NodeStore so that startup_check.cpp, pure logic, does not depend on the database thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mycelium::agent {

// What the start-up checks read (startup_check.hpp judges them).
struct StartupFacts {
  std::string login, database;
  bool extension = false;
  std::vector<std::string> missing; // privileges the agent's statements need, lacking
  std::optional<std::string> public_key, node_type; // this node's registration, if any
  bool active = false;
  std::string local_node; // mycelium.local_node
};

} // namespace mycelium::agent
