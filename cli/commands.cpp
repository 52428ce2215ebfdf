// The declaration of every subcommand and its options: the parser and the help read it.
#include "commands.hpp"

namespace mycelium::cli {

namespace {

constexpr OptionSpec kDsn{"dsn", "DSN", false,
                          "libpq connection string or URI (default: PGHOST, PGDATABASE, ...)"};
constexpr OptionSpec kKeyFile{"key-file", "FILE", true, "the node's key file (mycelium keygen)"};
constexpr OptionSpec kNodeId{"node-id", "ID", true, "the node writing, as registered"};
constexpr OptionSpec kShard{"shard", "SHARD", true, "shard id"};
constexpr OptionSpec kKey{"key", "KEY", true, "key within the shard"};

} // namespace

const std::vector<CommandSpec> &commands() {
  static const std::vector<CommandSpec> table{
      {"keygen",
       "create a node key file",
       "Creates a new Ed25519 identity in FILE (mode 0600; an existing file is never\n"
       "overwritten) and prints its public key as hex.",
       {{"out", "FILE", true, "the key file to create"}},
       run_keygen},
      {"register-node",
       "register a node with the database",
       "Registers a node and its public key. The registration is signed with the key\n"
       "file's own secret key, which proves that the node holds it.",
       {kKeyFile,
        {"node-id", "ID", true, "the node's id"},
        {"type", "TYPE", true, "validator or miner"},
        {"ip", "IP", true, "the node's address"},
        {"port", "PORT", true, "the node's port, 1 to 65535"},
        {"version", "VERSION", false, "the node's software version (default: this tool's)"},
        {"capabilities", "JSON", false, "a JSON object (default: {})"},
        kDsn},
       run_register_node},
      {"put",
       "write a value, signed",
       "Writes JSON under SHARD/KEY as the next version of the key, signed by the node.\n"
       "When another writer takes that version first, retries with a fresh one.",
       {kKeyFile,
        kNodeId,
        kShard,
        kKey,
        {"value", "JSON", true, "the value, any JSON; a string in double quotes: '\"text\"'"},
        kDsn},
       run_put},
      {"delete",
       "delete a key, signed",
       "Deletes SHARD/KEY by writing a signed tombstone as the key's next version.\n"
       "When another writer takes that version first, retries with a fresh one.",
       {kKeyFile, kNodeId, kShard, kKey, kDsn},
       run_delete},
      {"get",
       "read a value",
       "Prints the current value of SHARD/KEY; exits with 1 when there is none.",
       {kShard,
        kKey,
        kDsn,
        {"json", "", false, "print key, value, version, created_by and signature as JSON"}},
       run_get},
      {"chain metagraph",
       "show a subnet's neurons, read from the chain",
       "Reads subnet NETUID's neurons from a Substrate node (NeuronInfoRuntimeApi, all at the\n"
       "node's best block) and prints them: uid, stake, validator trust and permit, hotkey,\n"
       "axon. With --json, Fiber's Node fields.",
       {{"url", "URL", true, "the chain node: ws://, wss://, http:// or https://"},
        {"netuid", "NETUID", true, "the subnet, 0 to 65535"},
        {"json", "", false, "print JSON: netuid, block, block_hash and the nodes"}},
       run_chain_metagraph},
      {"chain bind-hotkey",
       "bind a node to its Bittensor hotkey",
       "Signs the node's binding payload with the hotkey of a Bittensor wallet (sr25519) and\n"
       "has the database verify and store it (mycelium.bind_hotkey, an admin's login): the\n"
       "chain's stake of the hotkey then stands for the node. The hotkey file must be\n"
       "unencrypted and readable by its owner only.",
       {kNodeId,
        {"wallet-path", "DIR", false, "the wallets folder (default: ~/.bittensor/wallets)"},
        {"wallet", "NAME", false, "the wallet (default: default)"},
        {"hotkey", "NAME", false, "the hotkey (default: default)"},
        kDsn},
       run_chain_bind_hotkey},
      {"chain set-weights",
       "set the hotkey's weights on a subnet",
       "Signs SubtensorModule.set_weights with the wallet's hotkey (sr25519) and submits it,\n"
       "waiting for its block. WEIGHTS are quantised as Fiber does: the largest becomes 65535\n"
       "and zero weights are left out. A subnet with commit-reveal weights is refused:\n"
       "commit-reveal is not supported.",
       {{"url", "URL", true, "the chain node: ws://, wss://, http:// or https://"},
        {"netuid", "NETUID", true, "the subnet, 0 to 65535"},
        {"uids", "LIST", true, "the neurons' uids, comma-separated: 0,1,2"},
        {"weights", "LIST", true, "one non-negative weight per uid: 0.5,0.3,0.2"},
        {"version-key", "N", false, "default: the subnet's WeightsVersionKey"},
        {"wait", "WHEN", false, "in-block (default) or finalized"},
        {"wallet-path", "DIR", false, "the wallets folder (default: ~/.bittensor/wallets)"},
        {"wallet", "NAME", false, "the wallet (default: default)"},
        {"hotkey", "NAME", false, "the hotkey (default: default)"}},
       run_chain_set_weights},
  };
  return table;
}

const CommandSpec *find_command(std::string_view name) {
  for (const CommandSpec &command : commands())
    if (command.name == name)
      return &command;
  return nullptr;
}

} // namespace mycelium::cli
