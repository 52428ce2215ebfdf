// The agent: authenticated links to peer agents, the DB sync pull path, keep-alives and
// redials, gossip, peer discovery, scoring and the blacklist, port rotation, status exchange,
// and the HTTP surface. agent.cpp holds the links and DB sync; peer_network.cpp the rest. Runs on
// one libuv loop; database work runs on the Database thread and comes back to the loop.
#pragma once

#include "config.hpp"
#include "chain_sync.hpp"
#include "db_sync.hpp"
#include "node_store.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "node_status.hpp"
#include "transport.hpp"

#include "mycelium/ed25519.hpp"
#include "mycelium/p2p/address_book.hpp"
#include "mycelium/p2p/blacklist_policy.hpp"
#include "mycelium/p2p/gossip_relay.hpp"
#include "mycelium/p2p/handshake_limiter.hpp"
#include "mycelium/p2p/peer_score.hpp"
#include "mycelium/p2p/port_schedule.hpp"
#include "mycelium/p2p/registry.hpp"
#include "mycelium/protocol/envelope.hpp"
#include "mycelium/protocol/handshake.hpp"
#include "mycelium/protocol/peer_link.hpp"
#include "mycelium/protocol/replay_guard.hpp"
#include "mycelium/protocol/secure_channel.hpp"

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <optional>
#include <string>
#include <vector>

typedef struct uv_timer_s uv_timer_t;

namespace mycelium::agent {

class Agent : public TransportHandler {
public:
  Agent(uv_loop_t *loop, AgentConfig config, SecretKey key);
  ~Agent() override;

  // Checks the database (extension, privileges, registration, key, type, local node; waiting
  // while it is unreachable), then listens and dials.
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
  struct Link;
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
  // A gossip message delivered here, for GET /gossip.
  struct Delivered {
    std::string message_id; // hex
    std::string origin, topic, from;
    Bytes body;
    int ttl = 0;
    std::int64_t origin_ms = 0, received_ms = 0;
    // Wall clock in microseconds, for measuring reach time against the origin's published_us
    // (bench/gossip-agents.py): milliseconds are too coarse on one machine.
    std::int64_t received_us = 0;
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
  void reject(Link &link, protocol::RejectReason reason, const std::string &detail);
  void send(Link &link, protocol::Payload payload);
  void send_frame(Link &link, protocol::OutgoingFrame frame);
  void lost(ConnId id);
  void on_accepted_by_peer(Link &link);
  void dial_failed(ConnId id, const std::string &problem);
  std::vector<std::string> features() const;
  NodeStatus status() const;
  std::string health_problem(std::int64_t now_ms) const;
  Link *link_to(const std::string &node_id);
  std::vector<std::string> connected_peers() const;

  // peer_network.cpp
  void p2p_tick(std::int64_t now);
  void on_peer_session(Link &link);
  void penalize(Link &link, p2p::Offence offence, const std::string &detail);
  void ban_peer(const std::string &node_id, const std::string &reason);
  void enforce_bans(std::int64_t now);
  void on_gossip(Link &link, const protocol::Gossip &gossip);
  // Returns the message id (hex); `published_us` receives the wall-clock microsecond at which
  // the message was handed to the links.
  std::string publish(const std::string &topic, Bytes body, std::int64_t &published_us);
  void on_blacklist_sync(Link &link, const protocol::BlacklistSync &sync);
  void share_entries(const std::vector<protocol::BlacklistEntry> &entries, ConnId except);
  void store_entry(const protocol::BlacklistEntry &entry, const std::string &received_from);
  void refresh_blacklist();
  const protocol::AddressRecord &own_record(std::int64_t now);
  void on_address_request(Link &link, const protocol::AddressRequest &request);
  void on_address_reply(Link &link, const protocol::AddressReply &reply);
  void on_address_announce(Link &link, const protocol::AddressAnnounce &announce);
  void ask_addresses(Link &link, std::int64_t now);
  void dial_known_peers(std::int64_t now);
  void rotate_ports(std::int64_t now);
  void send_status(std::int64_t now);
  protocol::Status status_message() const;
  void on_peer_status(Link &link, const protocol::Status &status);
  std::string peers_json(std::int64_t now);
  std::string gossip_json() const;

  uv_loop_t *loop_;
  AgentConfig config_;
  SecretKey key_;
  AgentMetrics metrics_;
  NodeStore store_; // every statement the agent runs
  ChainSync chain_; // the chain: section: the subnet's metagraph into the database
  DbSync db_sync_;  // DBSyncReq and DBSyncResp: asking, serving, applying
  std::unique_ptr<Transport> transport_;
  uv_timer_t *timer_ = nullptr;
  std::map<ConnId, std::unique_ptr<Link>> links_;
  std::vector<Dial> dials_;
  // mycelium.node_metadata with each node's stake, re-read every 2 s: the one node registry,
  // read by admission, /status, /peers and the peer-to-peer building blocks.
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

  // Peer-to-peer state (peer_network.cpp).
  p2p::PeerScores scores_;
  p2p::Blacklist blacklist_;
  p2p::AddressBook book_;
  p2p::GossipRelay gossip_;
  std::unique_ptr<p2p::PortSchedule> ports_; // when port_rotation is enabled
  std::set<int> rotated_ports_;              // extra listeners open now
  protocol::AddressRecord own_record_;       // signed; port 0 until the first own_record()
  std::deque<Delivered> delivered_;
  std::uint64_t delivered_total_ = 0;
  std::map<std::string, protocol::Status> peer_status_;
  std::map<std::string, std::int64_t> status_stored_ms_;
  std::map<std::string, std::int64_t> lifts_seen_; // node_id -> lifted_at_ms applied
  bool lifts_loaded_ = false; // lifts older than this start are applied without a log line
  // node_id -> the ban end last logged when refusing it: one line per ban, not per redial.
  std::map<std::string, std::int64_t> refusals_logged_;
  std::int64_t last_status_ms_ = 0, last_discovery_ms_ = 0, last_blacklist_ms_ = 0;
  std::uint64_t next_address_request_ = 1;
  // Statements that run every round: each failure episode logged once, and its end.
  RepeatedProblem registry_problem_{"cannot read the node registry"};
  RepeatedProblem blacklist_problem_{"cannot read mycelium.blacklist"};
  RepeatedProblem peer_record_problem_{"cannot record a peer or its status in mycelium.peers"};
  bool startup_pending_ = false;     // the start-up checks are running
  bool waiting_logged_ = false;      // "waiting for the database" said
  std::int64_t next_startup_ms_ = 0; // when to try the checks again
  bool running_ = false;
  bool stopping_ = false;
  int exit_code_ = 0;
};

} // namespace mycelium::agent
