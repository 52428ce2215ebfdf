// The subcommands of `mycelium`. Each one signs locally with the node's key file: the secret key
// is read into a SecretKey (zeroed when it goes out of scope) and never leaves the process; only
// public keys and signatures are sent to the database.
#pragma once

#include "args.hpp"

#include <vector>

namespace mycelium::cli {

// All subcommands, in the order `mycelium --help` lists them.
const std::vector<CommandSpec> &commands();
const CommandSpec *find_command(std::string_view name);

int run_keygen(const Options &options);
int run_register_node(const Options &options);
int run_put(const Options &options);
int run_delete(const Options &options);
int run_get(const Options &options);
int run_chain_metagraph(const Options &options);
int run_chain_bind_hotkey(const Options &options);
int run_chain_set_weights(const Options &options);

} // namespace mycelium::cli
