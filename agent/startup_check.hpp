// The agent's start-up checks against its database, judged: what NodeStore read (StartupFacts)
// against the configuration and the key file. Pure logic, so the unit tests cover each refusal.
#pragma once

#include "config.hpp"
#include "node_store_facts.hpp"

#include <string>

namespace mycelium::agent {

// Why this node may not start against this database ("" when it may), saying what to run or
// change: extension missing, privileges lacking, not registered, another key, another node type,
// deactivated, or another node's database.
std::string startup_problem(const StartupFacts &facts, const AgentConfig &config,
                            const std::string &public_key_hex);

} // namespace mycelium::agent
