// The agent's orchestrator: Agent is the transport's handler and owns the links (one per
// connection, each with its protocol::PeerLink), the dials and their redial backoff, handshake
// admission, the one node registry (p2p::NodeDirectory, from mycelium.node_metadata), the
// 100 ms tick, the start-up checks, health and status, and the HTTP routes. It hands the rest
// to the classes that own it: DbSync (DBSyncReq / DBSyncResp), PeerNetwork (gossip, discovery,
// scores and the blacklist, port rotation, the status exchange; it reaches the links and dials
// through PeerNetwork::Host, which Agent implements), ChainSync (the chain: section) and
// NodeStore (every SQL statement). Runs on one libuv loop; database work runs on the Database
// thread and comes back to the loop.
#pragma once

#include "chain_sync.hpp"
#include "config.hpp"
#include "consensus_host.hpp"
#include "db_sync.hpp"
#include "failure_episode.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "node_status.hpp"
#include "node_store.hpp"
#include "peer_network.hpp"
#include "transport.hpp"

#include "mycelium/ed25519.hpp"
#include "mycelium/p2p/handshake_limiter.hpp"
#include "mycelium/p2p/registry.hpp"
#include "mycelium/protocol/envelope.hpp"
#include "mycelium/protocol/peer_link.hpp"
#include "mycelium/protocol/replay_guard.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

typedef struct uv_timer_s uv_timer_t;

namespace mycelium::agent {

struct Link;

class Agent : public TransportHandler, private PeerNetwork::Host {
public:
  Agent(uv_loop_t *loop, AgentConfig config, SecretKey key);
  ~Agent() override;

  // Opens the HTTP endpoints, checks the database (extension, privileges, registration, key,
  // type, local node; waiting while it is unreachable), then listens for peers and dials.
  void start();
  // Closes every link and stops; the loop ends once its handles are closed.
  void stop();
  // 0 while running or after a clean stop; nonzero after a fatal start-up error.
  int exit_code() const { return exit_code_; }
  bool stopped() const { return stopping_; }

  void on_open(ConnId id, bool outgoing, bool json, const std::string &remote) override;
  void on_frame(ConnId id, const Bytes &frame) override;
  void on_close(ConnId id) override;
  void on_connect_failed(ConnId id, const std::string &reason) override;
  HttpResponse on_http(const HttpRequest &request) override;
  void on_send_backlog(ConnId id, std::size_t queued_bytes) override;

private:
  struct Dial {
    Peer peer;
    ConnId conn = 0;
    std::int64_t next_ms = 0;
    int backoff_ms = 0;
    std::string node_id;   // known once a handshake over this dial succeeded, or from the book
    bool bootstrap = true; // from the configuration: never given up
    // Attempts since the last session the peer accepted: a new problem is logged at info, a
    // repeat at debug.
    FailureEpisode failures;
    bool announced = false; // a failure was logged at info: the recovery will be too
  };

  void tick();
  // The start-up checks (agent.cpp, startup_problem); retried while the database is unreachable.
  void check_startup();
  void refresh_registry();
  // Why the peer may not have a session ("" when it may): banned, or not an admitted node.
  std::string admission_refusal(const std::string &node_id, const PublicKey &key);
  // The registry part of admit(): registered, active, this key, and allowed by type and stake.
  bool registered(const std::string &node_id, const PublicKey &key) const;
  void close_unregistered_links();
  void on_session(Link &link, const protocol::Session &session);
  void on_message(Link &link, const protocol::Envelope &envelope);
  void send_frame(Link &link, protocol::OutgoingFrame frame);
  void lost(ConnId id);
  void on_accepted_by_peer(Link &link);
  void dial_failed(ConnId id, const std::string &problem);
  std::vector<std::string> features() const;
  std::string health_problem(std::int64_t now_ms) const;
  std::string starting_problem(std::int64_t now_ms) const;
  std::string dials_json() const;

  // PeerNetwork::Host: what PeerNetwork reaches of the links, the dials and the transport.
  std::vector<Link *> established_links() override;
  Link *link_to(const std::string &node_id) override;
  void send(Link &link, protocol::Payload payload) override;
  void close(ConnId id) override;
  void reject(Link &link, protocol::RejectReason reason, const std::string &detail) override;
  bool listen_on(int port, std::string &error) override;
  void stop_listening(int port) override;
  bool dial(const protocol::AddressRecord &record, std::int64_t now) override;
  void follow(const protocol::AddressRecord &record) override;
  void drop_dials(const std::function<bool(const std::string &node_id)> &unwanted) override;
  NodeStatus status() const override;

  uv_loop_t *loop_;
  AgentConfig config_;
  SecretKey key_;
  AgentMetrics metrics_;
  NodeStore store_; // every statement the agent runs
  ChainSync chain_; // the chain: section: the subnet's metagraph into the database
  DbSync db_sync_;  // DBSyncReq and DBSyncResp: asking, serving, applying
  // The Raft groups of the elected shards this node holds (validators only).
  ConsensusHost consensus_;
  std::unique_ptr<Transport> transport_;
  uv_timer_t *timer_ = nullptr;
  std::map<ConnId, std::unique_ptr<Link>> links_;
  std::vector<Dial> dials_;
  // mycelium.node_metadata with each node's stake, re-read every 2 s: the one node registry,
  // read by admission, /status, and through PeerNetwork by /peers and the p2p building blocks.
  p2p::NodeDirectory directory_;
  protocol::ReplayGuard replay_guard_;
  NodeStatus::Time started_at_;
  std::optional<NodeStatus::Time> last_heartbeat_;
  CpuMeter cpu_;
  std::int64_t last_registry_ms_ = 0;
  bool registry_loaded_ = false; // read once: dials wait for it
  std::int64_t last_sync_round_ms_ = 0;
  std::int64_t started_ms_ = protocol::now_ms();
  std::int64_t last_linked_ms_ = 0; // the last tick with a peer linked (or the first tick)

  p2p::HandshakeLimiter handshakes_; // admission of incoming connections before they authenticate
  // Gossip, discovery, scores and the blacklist, port rotation, the status exchange.
  PeerNetwork network_;

  // A statement that runs every round: each failure episode logged once, and its end.
  RepeatedProblem registry_problem_{"cannot read the node registry"};
  bool startup_pending_ = false;     // the start-up checks are running
  bool waiting_logged_ = false;      // "waiting for the database" said
  std::int64_t next_startup_ms_ = 0; // when to try the checks again
  bool running_ = false;
  bool stopping_ = false;
  int exit_code_ = 0;
};

} // namespace mycelium::agent
