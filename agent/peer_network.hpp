// PeerNetwork: the agent's peer-to-peer layer. Gossip relaying and publishing, peer discovery
// (the address book, this node's signed address record, address requests, replies and
// announcements, which known nodes to dial), peer scores and bans with the shared blacklist
// (BlacklistSync, mycelium.blacklist), port rotation, and the status exchange (Status, recorded
// in mycelium.peers). The decisions are the pure building blocks of core/include/mycelium/p2p/;
// PeerNetwork holds their state and moves messages between them, the links and the database.
//
// It owns no link, dial or socket: it reaches them through Host, which Agent implements (send
// on a link, close it, list the established ones, reject a message; open and close the rotated
// ports' listeners; add, redirect and drop dials; this node's status). It reads the one node
// directory Agent fills from mycelium.node_metadata. Everything runs on the agent's loop.
#pragma once

#include "config.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "node_status.hpp"
#include "node_store.hpp"
#include "transport.hpp"

#include "mycelium/ed25519.hpp"
#include "mycelium/p2p/address_book.hpp"
#include "mycelium/p2p/blacklist_policy.hpp"
#include "mycelium/p2p/gossip_relay.hpp"
#include "mycelium/p2p/peer_score.hpp"
#include "mycelium/p2p/port_schedule.hpp"
#include "mycelium/p2p/registry.hpp"
#include "mycelium/protocol/envelope.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace mycelium::agent {

struct Link;

class PeerNetwork {
public:
  // What PeerNetwork needs from the owner of the links, the dials and the transport.
  class Host {
  public:
    virtual ~Host() = default;
    // Links whose handshake completed, in connection order. Valid until the call that asked
    // returns (closing a link is asynchronous: it stays listed until its on_close).
    virtual std::vector<Link *> established_links() = 0;
    // The established link to `node_id`, or null.
    virtual Link *link_to(const std::string &node_id) = 0;
    virtual void send(Link &link, protocol::Payload payload) = 0;
    virtual void close(ConnId id) = 0;
    // A message dropped: counted and logged, and on a session held against the peer's score
    // (which comes back as penalize()).
    virtual void reject(Link &link, protocol::RejectReason reason, const std::string &detail) = 0;
    // Extra listening ports (port rotation), beside the bootstrap port. listen_on: false, with
    // `error` set, when the port cannot be opened.
    virtual bool listen_on(int port, std::string &error) = 0;
    virtual void stop_listening(int port) = 0;
    // Dials to nodes learnt from address records. dial: a dial to the record's node at its
    // address when there is none (true), else one made from a record follows the address
    // (false). follow: only the latter. drop_dials: the idle dials made from records (not
    // bootstrap, not connected) whose node `unwanted` names are given up.
    virtual bool dial(const protocol::AddressRecord &record, std::int64_t now) = 0;
    virtual void follow(const protocol::AddressRecord &record) = 0;
    virtual void drop_dials(const std::function<bool(const std::string &node_id)> &unwanted) = 0;
    // This node's status (/status), which Status messages carry to the peers.
    virtual NodeStatus status() const = 0;
  };

  // Every reference must outlive the PeerNetwork. `directory` is the registry Agent refreshes.
  PeerNetwork(Host &host, const AgentConfig &config, const SecretKey &key,
              const p2p::NodeDirectory &directory, NodeStore &store, AgentMetrics &metrics);
  ~PeerNetwork();
  PeerNetwork(const PeerNetwork &) = delete;
  PeerNetwork &operator=(const PeerNetwork &) = delete;

  // Reads port_rotation.secret_file and sets up the port schedule, when port rotation is
  // enabled. Throws std::runtime_error (the start-up refuses to listen).
  void configure_port_rotation();
  // Every agent tick: the blacklist, scores and address book once a second, rotated ports,
  // this node's record when it changes, the status every status_interval_ms, address requests
  // every discovery_interval_ms, and the dials up to peer_target.
  void tick(std::int64_t now);

  // --- sessions (called by Agent)
  // A handshake with link's peer completed: recorded (mycelium.note_peer, with the negotiated
  // version) and counted as seen in the address book.
  void note_peer(const Link &link, const std::string &protocol_version);
  // The session kept for its peer starts: our record, our status, the blacklist entries we
  // share, and a request for addresses if we want more.
  void on_session(Link &link);
  // The link is closing: an address request it carries gets no reply, so another may go out.
  void forget_request(Link &link);

  // --- bans
  // Why a session with `node_id` is refused because it is banned, or "": the answer is sent to
  // the refused peer. Logged once per ban.
  std::string ban_refusal(const std::string &node_id);
  bool is_banned(const std::string &node_id, std::int64_t now) const;
  // An offence of an authenticated peer: its score drops; at the threshold it is banned.
  void penalize(Link &link, p2p::Offence offence, const std::string &detail);

  // --- the messages Agent::on_message hands over
  void on_gossip(Link &link, const protocol::Gossip &gossip);
  void on_peer_status(Link &link, const protocol::Status &status);
  void on_blacklist_sync(Link &link, const protocol::BlacklistSync &sync);
  void on_address_request(Link &link, const protocol::AddressRequest &request);
  void on_address_reply(Link &link, const protocol::AddressReply &reply);
  void on_address_announce(Link &link, const protocol::AddressAnnounce &announce);

  // --- HTTP
  // POST /gossip. Returns the message id (hex); `published_us` receives the wall-clock
  // microsecond at which the message was handed to the links.
  std::string publish(const std::string &topic, Bytes body, std::int64_t &published_us);
  // GET /peers: listening ports and every registered node as PeerNetwork sees it; `dials` is
  // the JSON array of Agent's dials, shown as "dials".
  std::string peers_json(std::int64_t now, const std::string &dials);
  // GET /gossip: the latest gossip messages delivered here.
  std::string gossip_json() const;

private:
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

  void ban_peer(const std::string &node_id, const std::string &reason);
  void enforce_bans(std::int64_t now);
  void share_entries(const std::vector<protocol::BlacklistEntry> &entries, ConnId except);
  void store_entry(const protocol::BlacklistEntry &entry, const std::string &received_from);
  void refresh_blacklist();
  const protocol::AddressRecord &own_record(std::int64_t now);
  void ask_addresses(Link &link, std::int64_t now);
  void dial_known_peers(std::int64_t now);
  void rotate_ports(std::int64_t now);
  void send_status();
  protocol::Status status_message() const;
  std::vector<std::string> linked_peers();

  Host &host_;
  const AgentConfig &config_;
  const SecretKey &key_;
  const p2p::NodeDirectory &directory_;
  NodeStore &store_;
  AgentMetrics &metrics_;

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
  RepeatedProblem blacklist_problem_{"cannot read mycelium.blacklist"};
  RepeatedProblem peer_record_problem_{"cannot record a peer or its status in mycelium.peers"};
};

} // namespace mycelium::agent
