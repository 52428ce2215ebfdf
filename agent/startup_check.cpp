#include "startup_check.hpp"

namespace mycelium::agent {

std::string startup_problem(const StartupFacts &f, const AgentConfig &c,
                            const std::string &public_key) {
  const std::string where = "database " + f.database + " (database_dsn)";
  if (!f.extension)
    return "the mycelium extension is not installed in " + where +
           ": run CREATE EXTENSION mycelium there, or point database_dsn at the database that "
           "has it";
  if (!f.missing.empty()) {
    std::string list;
    for (const std::string &m : f.missing)
      list += (list.empty() ? "" : ", ") + m;
    return "login " + f.login + " lacks privileges the agent needs in " + where + ": " + list +
           "; run GRANT mycelium_replicator, mycelium_miner" +
           (c.chain.enabled ? std::string(", mycelium_chain") : std::string()) + " TO " + f.login +
           ";";
  }
  if (!f.public_key)
    return "node " + c.node_id + " is not registered in mycelium.node_metadata of " + where +
           ": register it first (mycelium register-node)";
  if (*f.public_key != public_key)
    return "key file " + c.key_file + " holds public key " + public_key +
           ", but mycelium.node_metadata registers " + *f.public_key + " for node " + c.node_id +
           ": wrong key file or wrong node_id";
  if (f.node_type.value_or("") != c.node_type)
    return "node_type is " + c.node_type +
           " in the configuration, but mycelium.node_metadata "
           "registers " +
           c.node_id + " as a " + f.node_type.value_or("?") +
           ": correct node_type (or register the node again with --type " + c.node_type + ")";
  if (!f.active)
    return "node " + c.node_id +
           " is deactivated in mycelium.node_metadata: peers refuse it; "
           "register it again (mycelium register-node) to reactivate it";
  if (f.local_node != c.node_id)
    return where + " is node " + f.local_node + "'s (mycelium.local_node), not " + c.node_id +
           "'s: point database_dsn at this node's database, or, if this is it, run SELECT "
           "mycelium.set_local_node('" +
           c.node_id + "'); as an admin";
  return {};
}

} // namespace mycelium::agent
