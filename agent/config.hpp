// The agent's configuration file (YAML). Every field, its default and its meaning are in
// agent/README.md; agent/mycelium-agent.example.yaml is a complete example that ctest loads.
//
// The file is checked strictly: a syntax error, an unknown key, a value of the wrong type or out
// of range, or a missing required field stops the agent before it does anything, with a message
// that names the file, the line, the column and the field. A typo in an optional key must not
// silently leave a default in force on a production node.
#pragma once

#include "log.hpp"

#include <stdexcept>
#include <string>
#include <vector>

namespace mycelium::agent {

struct Peer {
  std::string host; // a name or an address; IPv6 without the brackets
  int port = 0;
};

struct AgentConfig {
  // --- Required ---
  std::string node_id;   // as registered in mycelium.node_metadata
  std::string key_file;  // the node's Ed25519 key file; relative paths: from the config's folder
  std::string node_type; // "validator" or "miner"
  struct Listen {
    std::string address = "127.0.0.1";
    int port = 0; // required: the bootstrap port (rotated ports are added, port_rotation)
    // The host other nodes dial, in this node's signed address record (peer discovery).
    // Default: address; required when address is a wildcard (0.0.0.0, ::).
    std::string advertise;
  } listen;
  std::string database_dsn; // libpq connection string of the node's own database
  struct Http {
    std::string address = "127.0.0.1";
    int port = 0; // required: /metrics, /health, /status
    // Optional: a file holding the bearer token that POST endpoints (/gossip) require; without
    // it they are refused (403). Relative paths: from the config's folder.
    std::string token_file;
    std::string token; // read from token_file by load_config
  } http;

  // --- Optional ---
  std::vector<Peer> bootstrap_peers;
  LogLevel log_level = LogLevel::info;
  double min_stake = 0; // peers (validators) with less stake are refused
  // The form of the envelopes on the links this agent dials: "flatbuffers" (binary) or "json"
  // (the WebSocket subprotocol mycelium.v1.json). Incoming links use what the dialler chose.
  std::string wire_format = "flatbuffers";
  int ping_interval_ms = 5000; // heartbeat period on each peer link
  int peer_timeout_ms = 15000; // a link silent this long is closed
  // Connections to our peer port before they authenticate (p2p::HandshakeLimiter): each costs a
  // key exchange and a signature, so they are limited per address and in total, and must
  // finish the handshake in timeout_ms.
  struct Handshake {
    int timeout_ms = 5000;
    int per_address_per_second = 10;
    int per_address_burst = 20;
    int max_pending = 128;
  } handshake;
  int redial_min_ms = 500;       // first redial delay after a lost link; doubles each failure
  int redial_max_ms = 30000;     // ... up to this
  int max_frame_bytes = 1 << 20; // larger frames close the link
  int replay_window_ms = 30000;  // messages whose timestamp is further off are rejected
  int db_sync_interval_ms = 1000;
  int db_sync_page_size = 500; // audit entries per sync request
  std::vector<std::string> features;
  int status_interval_ms = 5000; // how often each peer is sent this node's status (Status)

  struct Gossip {
    int fanout = 6; // peers each gossip message is forwarded to
    int ttl = 4;    // hops a message created here may travel
  } gossip;
  int peer_target = 8; // peer links the agent tries to keep; discovery fills up to this
  // Ask a peer for addresses at most this often; a peer asking us more than twice as often is
  // rate-limited (an offence).
  int discovery_interval_ms = 30000;
  struct Blacklist {
    int threshold = 100;         // score at or below -threshold: disconnect and ban (PROTOCOL.md)
    int half_life_seconds = 600; // penalties halve in this time
    int ban_seconds = 3600;      // how long a ban lasts, and a shared entry made here
    // Shared entries ban a node once validators holding at least this percentage of the active
    // validator stake, and at least min_validators of them, have signed one against it.
    int stake_percent = 34;
    int min_validators = 1;
  } blacklist;
  struct PortRotation {
    bool enabled = false;
    int epoch_seconds = 3600;   // the listening port changes every epoch
    int range = 1000;           // port = listen.port + HMAC(secret, epoch) mod range
    int grace_seconds = 300;    // the previous port stays open this long into an epoch
    int announce_seconds = 300; // the next port is opened and announced this long before
    std::string secret_file;    // required when enabled; relative: from the config's folder
  } port_rotation;
  // The chain (schemas/CHAIN.md, "Stake from the chain"): when the section is present, the agent
  // reads the subnet's metagraph every sync_interval_seconds and stores it in the database
  // (mycelium.store_metagraph; the login needs mycelium_chain).
  struct Chain {
    bool enabled = false;           // the section is present
    std::string url;                // ws://, wss://, http:// or https://
    int netuid = 0;                 // the subnet
    int sync_interval_seconds = 60; // how often the metagraph is read
    int timeout_ms = 10000;         // each JSON-RPC call
  } chain;
  // The Raft groups of elected shards this node holds as a validator (schemas/CONSENSUS.md,
  // "Elected shards: the agent"): one directory per shard under `directory`, and the timing.
  struct Consensus {
    // Default: $STATE_DIRECTORY/consensus when systemd sets it (the unit's StateDirectory=),
    // else /var/lib/mycelium-agent/<node_id>/consensus. Relative: from the config's folder.
    // Created when the first group starts.
    std::string directory;
    int election_timeout_ms = 1000; // libraft randomises each election timer in [1x, 2x)
    int heartbeat_ms = 100;
  } consensus;
};

// Everything that is wrong with a configuration file. what() is
//   FILE:LINE:COLUMN: FIELD: problem
// (line and column 1-based), or FILE:LINE:COLUMN: problem for a YAML syntax error, or
// FILE: problem when the file cannot be read at all.
class ConfigError : public std::runtime_error {
public:
  ConfigError(std::string file, int line, int column, std::string field, std::string problem);

  const std::string &file() const { return file_; }
  int line() const { return line_; }                  // 1-based; 0 when unknown
  int column() const { return column_; }              // 1-based; 0 when unknown
  const std::string &field() const { return field_; } // dotted path, e.g. "listen.port"; or ""
  const std::string &problem() const { return problem_; }

private:
  std::string file_;
  int line_;
  int column_;
  std::string field_;
  std::string problem_;
};

// Reads and checks the file. Throws ConfigError.
AgentConfig load_config(const std::string &path);

// The same from text already in memory; `path` names it in messages and anchors relative paths.
AgentConfig parse_config(const std::string &text, const std::string &path);

// One line for the startup log: the settings that matter, with the DSN's password hidden.
std::string describe(const AgentConfig &config);

// A libpq connection string (key=value or URI form) with any password replaced by "***".
std::string redact_dsn(const std::string &dsn);

} // namespace mycelium::agent
