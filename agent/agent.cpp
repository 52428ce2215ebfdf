// Agent (agent.hpp): the orchestration. Start-up checks, the tick, the links from their first
// frame (admission, sessions, dispatch of messages to DbSync and PeerNetwork, rejections), the
// dials, the node registry, health, status and the HTTP routes; and PeerNetwork::Host, the
// narrow access PeerNetwork has to the links, the dials and the transport.
#include "agent.hpp"
#include "http_token.hpp"

#include "link.hpp"
#include "log.hpp"
#include "startup_check.hpp"

#include "mycelium/hex.hpp"
#include "mycelium/protocol/refusal.hpp"
#include "mycelium/version.hpp"

#include <uv.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

namespace mycelium::agent {

namespace p = mycelium::protocol;

namespace {

constexpr int kTickMs = 100;
constexpr int kRegistryRefreshMs = 2000;
constexpr int kMaxStrikes = 10;

p2p::HandshakeLimiter::Limits handshake_limits(const AgentConfig &c) {
  p2p::HandshakeLimiter::Limits limits;
  limits.per_second = c.handshake.per_address_per_second;
  limits.burst = c.handshake.per_address_burst;
  limits.max_pending = static_cast<std::size_t>(c.handshake.max_pending);
  return limits;
}

std::string hex_of(const std::array<std::uint8_t, 32> &bytes) {
  return to_hex(bytes.data(), bytes.size());
}

// The registry as NodeStore reads it. node_metadata's checks allow only the node types
// 'validator' and 'miner', and keys in lowercase hex.
p2p::NodeDirectory directory_of(std::vector<RegisteredNode> nodes) {
  p2p::NodeDirectory directory;
  for (RegisteredNode &node : nodes) {
    try {
      directory.set(std::move(node.node_id),
                    p2p::NodeInfo{parse_public_key(node.public_key), node.active,
                                  node.node_type == "validator",
                                  static_cast<std::uint64_t>(std::llround(node.stake)),
                                  node.stake});
    } catch (const std::exception &) {
      // a malformed key cannot verify anything: left out
    }
  }
  return directory;
}

} // namespace

Agent::Agent(uv_loop_t *loop, AgentConfig config, SecretKey key)
    : loop_(loop), config_(std::move(config)), key_(std::move(key)),
      store_(loop, config_.database_dsn), chain_(config_.chain, store_),
      db_sync_(store_, metrics_, static_cast<std::uint32_t>(config_.db_sync_page_size),
               config_.db_sync_interval_ms,
               [this](ConnId id, p::Payload payload) {
                 auto it = links_.find(id);
                 if (it == links_.end() || !it->second->established())
                   return false;
                 send(*it->second, std::move(payload));
                 return true;
               }),
      consensus_(loop, config_, store_, metrics_,
                 ConsensusHost::Links{
                     // Raft traffic only between validators, on sessions that know RaftMessage
                     // (minor 3); without such a link the message is dropped and Raft resends.
                     [this](const std::string &node, Bytes data) {
                       Link *link = link_to(node);
                       if (!link || link->minor < 3 || !link->peer_is_validator)
                         return false;
                       send(*link, p::RaftMessage{std::move(data)});
                       return true;
                     },
                     [this](const std::string &node, const std::string &shard,
                            std::function<void(bool)> done) {
                       Link *link = link_to(node);
                       if (!link || !link->peer_is_validator)
                         return false;
                       db_sync_.ask_shard(link->id, node, shard, std::move(done));
                       return true;
                     }}),
      replay_guard_(p::ReplayGuard::Limits{config_.replay_window_ms, 10'000, 200'000}),
      started_at_(std::chrono::system_clock::now()), handshakes_(handshake_limits(config_)),
      network_(*this, config_, key_, directory_, store_, metrics_) {}

Agent::~Agent() {
  if (timer_) {
    uv_close(reinterpret_cast<uv_handle_t *>(timer_),
             [](uv_handle_t *h) { delete reinterpret_cast<uv_timer_t *>(h); });
    timer_ = nullptr;
  }
}

std::vector<std::string> Agent::features() const {
  std::vector<std::string> f = config_.features;
  f.push_back("db-sync");
  std::sort(f.begin(), f.end());
  f.erase(std::unique(f.begin(), f.end()), f.end());
  return f;
}

// HTTP from the start; peers only once the database has confirmed who this node is: the
// database has the extension, the login may run what the agent runs, and the database, the key
// file and the configuration agree on who this node is. Each refusal says what to run or change.
// While the checks wait for the database, /health says so and /status says "starting".
void Agent::start() {
  // The tick runs from the start: until the checks pass it only retries them (tick()).
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  uv_timer_start(
      timer_, [](uv_timer_t *t) { static_cast<Agent *>(t->data)->tick(); }, kTickMs, kTickMs);
  try {
    TransportOptions options;
    options.listen_address = config_.listen.address;
    options.listen_port = config_.listen.port;
    options.http_address = config_.http.address;
    options.http_port = config_.http.port;
    options.max_frame_bytes = static_cast<std::size_t>(config_.max_frame_bytes);
    options.peers_at_start = false; // listen_for_peers() once the start-up checks pass
    transport_ = std::make_unique<Transport>(loop_, options, *this);
  } catch (const std::exception &e) {
    log_error(e.what());
    exit_code_ = 1;
    stop();
    return;
  }
  check_startup();
}

void Agent::check_startup() {
  startup_pending_ = true;
  store_.read_startup_facts(
      config_.node_id, config_.chain.enabled,
      [this](const std::optional<std::string> &error, StartupFacts facts) {
        startup_pending_ = false;
        if (error && NodeStore::is_unreachable(*error)) {
          // Started before its database (boot order, a restart of PostgreSQL): wait for it.
          // The outage itself is logged once by Database; /health says why meanwhile.
          if (!waiting_logged_)
            log_info("waiting for the database to check node " + config_.node_id +
                     " before listening for peers (retrying every 2 s; HTTP on " +
                     config_.http.address + ":" + std::to_string(config_.http.port) +
                     " answers meanwhile)");
          waiting_logged_ = true;
          next_startup_ms_ = p::now_ms() + 2000;
          return;
        }
        const std::string mine = to_hex(key_.public_key().data(), key_.public_key().size());
        const std::string problem = error ? "cannot check this node in the database (" +
                                                redact_dsn(config_.database_dsn) + "): " + *error
                                          : startup_problem(facts, config_, mine);
        if (!problem.empty()) {
          log_error(problem);
          exit_code_ = 1;
          stop();
          return;
        }
        try {
          network_.configure_port_rotation();
          transport_->listen_for_peers();
        } catch (const std::exception &e) {
          log_error(e.what());
          exit_code_ = 1;
          stop();
          return;
        }
        running_ = true;
        // The bootstrap port; rotated ports are added by rotate_ports when rotation is on.
        metrics_.set_listening_ports(1);
        for (const Peer &peer : config_.bootstrap_peers)
          dials_.push_back(Dial{peer, 0, 0, config_.redial_min_ms, "", true, {}, false});
        log_info("node " + config_.node_id + " identity verified; listening for peers on " +
                 config_.listen.address + ":" + std::to_string(config_.listen.port) + ", HTTP on " +
                 config_.http.address + ":" + std::to_string(config_.http.port));
        refresh_registry();
        chain_.start();
        // Miners never vote: only a validator hosts the groups of its elected shards.
        if (config_.node_type == "validator")
          consensus_.start();
      });
}

void Agent::stop() {
  if (stopping_)
    return;
  stopping_ = true;
  running_ = false;
  log_info("stopping");
  if (timer_) {
    uv_timer_stop(timer_);
    uv_close(reinterpret_cast<uv_handle_t *>(timer_),
             [](uv_handle_t *h) { delete reinterpret_cast<uv_timer_t *>(h); });
    timer_ = nullptr;
  }
  if (transport_)
    transport_->shutdown();
  links_.clear();
  consensus_.stop();
  chain_.stop();
  store_.stop();
}

void Agent::refresh_registry() {
  store_.read_registry(
      [this](const std::optional<std::string> &error, std::vector<RegisteredNode> nodes) {
        if (error) {
          if (!NodeStore::is_unreachable(*error))
            registry_problem_.failed(*error);
          return;
        }
        registry_problem_.succeeded();
        registry_loaded_ = true;
        // Rebuilt whole, so that a node deleted from node_metadata is forgotten here too; assigned,
        // since the building blocks hold a reference to directory_.
        directory_ = directory_of(std::move(nodes));
        close_unregistered_links();
      });
}

// A session outlives its handshake only while the registry still admits its peer: a node
// deactivated, deleted, re-registered with another key or (a validator) below min_stake loses
// its links within one registry refresh, and admission_refusal() refuses it when it dials again.
void Agent::close_unregistered_links() {
  for (const auto &[id, link] : links_)
    if (link->established() && !link->closing && !registered(link->peer_id, link->peer_key)) {
      link->closing = true;
      log_info("closing the link to " + link->peer_id +
               ": no longer an admitted node in mycelium.node_metadata");
      transport_->close(id);
    }
}

bool Agent::registered(const std::string &node_id, const PublicKey &key) const {
  const std::optional<p2p::NodeInfo> node = directory_.find(node_id);
  if (!node || !node->active || node->public_key != key)
    return false;
  if (node->is_validator)
    return node->stake_exact >= config_.min_stake;
  return true; // a miner
}

// Peers are admitted only as registered, active nodes whose key matches; validators need the
// configured minimum stake; miners are admitted as read-only clients. The answer is sent to the
// refused peer (a handshake refusal), so it says who refuses and until when.
std::string Agent::admission_refusal(const std::string &node_id, const PublicKey &key) {
  if (node_id == config_.node_id)
    return "node " + node_id + " is this node's own id";
  if (std::string why = network_.ban_refusal(node_id); !why.empty())
    return why;
  if (!registered(node_id, key))
    return "node " + node_id + " is not admitted by " + config_.node_id +
           " (not registered in its mycelium.node_metadata with this key, inactive, or a "
           "validator below min_stake)";
  return {};
}

void Agent::tick() {
  if (!running_) {
    if (!stopping_ && !startup_pending_ && p::now_ms() >= next_startup_ms_)
      check_startup();
    return;
  }
  const std::int64_t now = p::now_ms();
  if (!links_.empty() || last_linked_ms_ == 0)
    last_linked_ms_ = now;
  if (now - last_registry_ms_ >= kRegistryRefreshMs) {
    last_registry_ms_ = now;
    refresh_registry();
  }
  // Not before the registry is read: our side of the handshake admits the peer against it, and
  // would refuse every node until then.
  for (Dial &dial : dials_)
    if (registry_loaded_ && dial.conn == 0 && now >= dial.next_ms &&
        (dial.node_id.empty() ||
         (!link_to(dial.node_id) && !network_.is_banned(dial.node_id, now))))
      dial.conn =
          transport_->connect(dial.peer.host, dial.peer.port, config_.wire_format == "json");
  network_.tick(now);

  const bool sync_round = now - last_sync_round_ms_ >= config_.db_sync_interval_ms;
  if (sync_round)
    last_sync_round_ms_ = now;
  std::vector<ConnId> dead;
  int ready = 0;
  for (auto &[id, link] : links_) {
    if (link->closing) // closed by a check below on an earlier tick: counted and logged once
      continue;
    if (now - link->last_rx_ms > config_.peer_timeout_ms) {
      link->closing = true;
      dead.push_back(id);
      continue;
    }
    if (!link->established()) {
      if (now - link->opened_ms > config_.handshake.timeout_ms) {
        link->closing = true;
        metrics_.handshake_failed("timeout");
        log_debug("handshake with " + link->remote + " not finished in " +
                  std::to_string(config_.handshake.timeout_ms) + " ms: closing");
        transport_->close(id);
      }
      continue;
    }
    ++ready;
    if (now - link->last_ping_ms >= config_.ping_interval_ms) {
      link->last_ping_ms = now;
      send(*link, p::Ping{++link->ping_seq, now});
    }
    db_sync_.on_tick(id, link->peer_id, link->peer_is_validator, sync_round, now);
  }
  for (ConnId id : dead) {
    log_warn("peer link " + std::to_string(id) + " silent for " +
             std::to_string(config_.peer_timeout_ms) + " ms: closing");
    transport_->close(id);
  }
  metrics_.set_peers(ready);
  replay_guard_.expire(now);
}

void Agent::on_open(ConnId id, bool outgoing, bool json, const std::string &remote) {
  const std::int64_t now = p::now_ms();
  if (!outgoing) {
    std::size_t pending = 0;
    for (const auto &[other, l] : links_)
      pending += !l->outgoing && !l->established();
    const p2p::Admission admission = handshakes_.admit(remote, pending, now);
    if (admission != p2p::Admission::Admit) {
      // Counted, logged only at debug: a flood must not also flood the log.
      metrics_.handshake_failed(p2p::to_string(admission));
      log_debug("refused a connection from " + remote + " (" + p2p::to_string(admission) + ")");
      transport_->close(id);
      return;
    }
  }
  auto link = std::make_unique<Link>();
  link->id = id;
  link->outgoing = outgoing;
  link->json = json;
  link->remote = remote;
  link->opened_ms = now;
  link->last_rx_ms = now;
  Link &l = *link;
  links_[id] = std::move(link);
  try {
    p::DecodeLimits limits;
    limits.max_bytes = static_cast<std::size_t>(config_.max_frame_bytes);
    l.peer = std::make_unique<p::PeerLink>(
        outgoing ? p::Role::Initiator : p::Role::Responder, json,
        p::LinkIdentity{&key_, config_.node_id, {p::kProtocolMajor, p::kProtocolMinor}, features()},
        limits, [this](const std::string &node_id, const PublicKey &key) {
          return admission_refusal(node_id, key);
        });
    if (outgoing)
      send_frame(l, l.peer->hello(now));
  } catch (const std::exception &e) {
    log_error(std::string("handshake set-up failed: ") + e.what());
    transport_->close(id);
  }
}

void Agent::send_frame(Link &link, p::OutgoingFrame frame) {
  metrics_.message_out(std::string(frame.type));
  transport_->send(link.id, std::move(frame.bytes));
}

// One-hop messages carry no envelope signature: the session's AEAD already authenticates the
// sender (PROTOCOL.md, "Signatures on a session"); multi-hop payloads carry their origin's
// signature.
void Agent::send(Link &link, p::Payload payload) {
  send_frame(link, link.peer->seal(std::move(payload), p::now_ms()));
}

// Every rejection on an authenticated link counts against the peer's score (PROTOCOL.md
// "Peer scores"); before the handshake there is no identity to score, so strikes close it.
void Agent::reject(Link &link, p::RejectReason reason, const std::string &detail) {
  metrics_.message_rejected(p::to_string(reason));
  log_warn("dropped a message from " + (link.peer_id.empty() ? link.remote : link.peer_id) + " (" +
           p::to_string(reason) + "): " + detail);
  if (!link.established()) {
    if (++link.strikes >= kMaxStrikes) {
      log_warn("closing the link to " + link.remote + ": too many rejected messages");
      transport_->close(link.id);
    }
    return;
  }
  if (const auto offence = p2p::offence_of(reason))
    network_.penalize(link, *offence, detail);
}

void Agent::on_frame(ConnId id, const Bytes &frame) {
  auto it = links_.find(id);
  if (it == links_.end() || !it->second->peer)
    return;
  Link &link = *it->second;
  const std::int64_t now = p::now_ms();
  link.last_rx_ms = now;
  p::LinkEvents events = link.peer->receive(frame, replay_guard_, now);
  if (events.peer_refused) {
    metrics_.handshake_failed("peer-refused");
    dial_failed(id, *events.peer_refused);
  } else if (events.broken) {
    // A frame that fails to open breaks the channel: nothing after it can be trusted.
    metrics_.message_rejected(p::to_string(p::RejectReason::Undecryptable));
    log_warn("closing the link to " + link.peer_id + ": a frame failed authentication");
  }
  if (events.accepted_by_peer)
    on_accepted_by_peer(link);
  if (events.decoded_type)
    metrics_.message_in(std::string(*events.decoded_type));
  for (p::OutgoingFrame &reply : events.replies)
    send_frame(link, std::move(reply));
  if (events.rejected)
    reject(link, events.rejected->reason, events.rejected->detail);
  if (events.handshake_failed) {
    const p::HandshakeError &e = *events.handshake_failed;
    metrics_.handshake_failed(p::to_string(e.reason()));
    // A refusal sent to the peer was logged by admission_refusal().
    if (!events.refusal_sent) {
      if (link.outgoing)
        dial_failed(id, std::string("handshake failed (") + p::to_string(e.reason()) +
                            "): " + e.what());
      else
        log_warn("handshake with " + link.remote + " failed (" + p::to_string(e.reason()) +
                 "): " + e.what());
    }
  }
  if (events.close) {
    transport_->close(id);
    return;
  }
  if (events.session_started)
    on_session(link, link.peer->session());
  else if (events.message)
    on_message(link, *events.message);
}

void Agent::on_session(Link &link, const p::Session &session) {
  link.peer_id = session.peer_node_id;
  link.peer_key = session.peer_key;
  const std::optional<p2p::NodeInfo> peer_node = directory_.find(link.peer_id);
  link.peer_is_validator = peer_node && peer_node->is_validator;
  link.minor = session.version.minor;
  last_heartbeat_ = std::chrono::system_clock::now();
  link.description =
      link.peer_id + " (" + link.remote + ", " + (link.outgoing ? "outgoing" : "incoming") + ", " +
      (link.json ? "json" : "flatbuffers") + ", protocol " + p::to_string(session.version) +
      ", session " + hex_of(session.session_id).substr(0, 16) + ")";
  // An incoming session is up once we admitted it; an outgoing one once the peer has (its first
  // frame, on_accepted_by_peer): a refused dial is not logged as a link.
  if (!link.outgoing)
    log_info("authenticated link to " + link.description);
  network_.note_peer(link, p::to_string(session.version));
  for (Dial &dial : dials_)
    if (dial.conn == link.id)
      dial.node_id = link.peer_id;
  // Two links to one peer (both dialled at once): keep the one the smaller node id dialled, a
  // rule both ends apply alike.
  for (auto &[id, other] : links_)
    if (id != link.id && other->established() && other->peer_id == link.peer_id) {
      const bool keep_this = link.outgoing == (config_.node_id < link.peer_id);
      Link &dropped = keep_this ? *other : link;
      // A request sent on the dropped link gets no reply: the kept one may ask at once.
      network_.forget_request(dropped);
      transport_->close(dropped.id);
      if (!keep_this)
        return;
      break;
    }
  network_.on_session(link);
}

void Agent::on_message(Link &link, const p::Envelope &envelope) {
  const std::int64_t now = p::now_ms();
  if (const auto *ping = std::get_if<p::Ping>(&envelope.payload)) {
    send(link, p::Pong{ping->seq, ping->sent_ms});
  } else if (const auto *pong = std::get_if<p::Pong>(&envelope.payload)) {
    link.rtt_ms = static_cast<double>(now - pong->sent_ms);
    last_heartbeat_ = std::chrono::system_clock::now();
  } else if (const auto *request = std::get_if<p::DBSyncReq>(&envelope.payload)) {
    db_sync_.on_request(link.id, *request);
  } else if (const auto *response = std::get_if<p::DBSyncResp>(&envelope.payload)) {
    db_sync_.on_response(link.id, *response);
  } else if (const auto *gossip = std::get_if<p::Gossip>(&envelope.payload)) {
    network_.on_gossip(link, *gossip);
  } else if (const auto *status = std::get_if<p::Status>(&envelope.payload)) {
    network_.on_peer_status(link, *status);
  } else if (const auto *entries = std::get_if<p::BlacklistSync>(&envelope.payload)) {
    network_.on_blacklist_sync(link, *entries);
  } else if (const auto *request = std::get_if<p::AddressRequest>(&envelope.payload)) {
    network_.on_address_request(link, *request);
  } else if (const auto *reply = std::get_if<p::AddressReply>(&envelope.payload)) {
    network_.on_address_reply(link, *reply);
  } else if (const auto *announce = std::get_if<p::AddressAnnounce>(&envelope.payload)) {
    network_.on_address_announce(link, *announce);
  } else if (const auto *raft = std::get_if<p::RaftMessage>(&envelope.payload)) {
    consensus_.on_message(link.peer_id, link.peer_is_validator, raft->data);
  }
}

// --- PeerNetwork::Host: the links, the dials and the transport as PeerNetwork reaches them ---

Link *Agent::link_to(const std::string &node_id) {
  for (auto &[id, link] : links_)
    if (link->established() && link->peer_id == node_id)
      return link.get();
  return nullptr;
}

std::vector<Link *> Agent::established_links() {
  std::vector<Link *> ready;
  for (auto &[id, link] : links_)
    if (link->established())
      ready.push_back(link.get());
  return ready;
}

void Agent::close(ConnId id) {
  transport_->close(id);
}

bool Agent::listen_on(int port, std::string &error) {
  return transport_->listen_on(port, error);
}

void Agent::stop_listening(int port) {
  transport_->stop_listening(port);
}

// A dial made from an address record follows the record (port rotation); a bootstrap dial
// keeps its configured address.
bool Agent::dial(const p::AddressRecord &record, std::int64_t now) {
  auto dial = std::find_if(dials_.begin(), dials_.end(),
                           [&](const Dial &d) { return d.node_id == record.node_id; });
  if (dial == dials_.end()) {
    Dial d;
    d.peer = Peer{record.host, record.port};
    d.node_id = record.node_id;
    d.bootstrap = false;
    d.next_ms = now;
    d.backoff_ms = config_.redial_min_ms;
    dials_.push_back(d);
    return true;
  }
  if (!dial->bootstrap)
    dial->peer = Peer{record.host, record.port};
  return false;
}

void Agent::follow(const p::AddressRecord &record) {
  for (Dial &dial : dials_)
    if (!dial.bootstrap && dial.node_id == record.node_id) {
      dial.peer.host = record.host;
      dial.peer.port = record.port;
    }
}

// PeerNetwork gives up a node when it has no live address record of an active node.
void Agent::drop_dials(const std::function<bool(const std::string &node_id)> &unwanted) {
  const auto gone = [&](const Dial &d) {
    if (d.bootstrap || d.conn != 0)
      return false;
    const bool drop = unwanted(d.node_id);
    if (drop)
      log_info("no longer dialling " + d.node_id + " (" + d.peer.host + ":" +
               std::to_string(d.peer.port) + "): no live address record of an active node");
    return drop;
  };
  dials_.erase(std::remove_if(dials_.begin(), dials_.end(), gone), dials_.end());
}

// The "dials" of GET /peers.
std::string Agent::dials_json() const {
  std::string out = "[";
  bool first = true;
  for (const Dial &d : dials_) {
    out += std::string(first ? "" : ",") +
           "{\"node_id\":" + (d.node_id.empty() ? "null" : json_string(d.node_id)) +
           ",\"host\":" + json_string(d.peer.host) + ",\"port\":" + std::to_string(d.peer.port) +
           ",\"bootstrap\":" + (d.bootstrap ? "true" : "false") +
           ",\"connected\":" + (d.conn != 0 ? "true" : "false") + "}";
    first = false;
  }
  return out + "]";
}

void Agent::lost(ConnId id) {
  if (auto it = links_.find(id); it != links_.end())
    network_.forget_request(*it->second);
  links_.erase(id);
  db_sync_.forget(id);
  const std::int64_t now = p::now_ms();
  for (Dial &dial : dials_)
    if (dial.conn == id) {
      dial.conn = 0;
      dial.next_ms = now + dial.backoff_ms;
      dial.backoff_ms = std::min(dial.backoff_ms * 2, config_.redial_max_ms);
    }
}

void Agent::on_close(ConnId id) {
  auto it = links_.find(id);
  if (it != links_.end() && !it->second->peer_id.empty()) {
    const Link &l = *it->second;
    if (l.outgoing && !l.accepted_by_peer())
      log_debug("unaccepted link to " + l.peer_id + " closed");
    else
      log_info("link to " + l.peer_id + " closed");
  }
  lost(id);
}

void Agent::on_send_backlog(ConnId id, std::size_t queued_bytes) {
  auto it = links_.find(id);
  const std::string who = it == links_.end()            ? std::to_string(id)
                          : it->second->peer_id.empty() ? it->second->remote
                                                        : it->second->peer_id;
  metrics_.message_rejected("send-backlog");
  log_warn("closing the link to " + who + ": " + std::to_string(queued_bytes) +
           " bytes are waiting for it to read (it does not read; it may redial)");
}

void Agent::on_connect_failed(ConnId id, const std::string &reason) {
  dial_failed(id, "cannot connect: " + reason);
  lost(id);
}

// The first frame that opens under the session keys: the peer accepted this session, so the
// dial's backoff starts again from redial_min_ms (not at the handshake's end, which a
// responder that refuses us lets us reach too).
void Agent::on_accepted_by_peer(Link &link) {
  if (link.outgoing)
    log_info("authenticated link to " + link.description);
  // Every dial to this node: the link may be the one the peer dialled to us.
  for (Dial &dial : dials_)
    if (dial.conn == link.id || (!dial.node_id.empty() && dial.node_id == link.peer_id)) {
      const long long failures = dial.failures.succeeded();
      if (dial.announced)
        log_info("linked to " + link.peer_id + " again after " + std::to_string(failures) +
                 " failed attempts to reach " + dial.peer.host + ":" +
                 std::to_string(dial.peer.port));
      dial.announced = false;
      dial.backoff_ms = config_.redial_min_ms;
    }
}

// A dial that did not end in an accepted session. Logged once per distinct problem (a
// bootstrap peer down for an hour is one line, not one per redial); repeats at debug.
void Agent::dial_failed(ConnId id, const std::string &problem) {
  for (Dial &dial : dials_) {
    if (dial.conn != id)
      continue;
    const FailureEpisode::News news = dial.failures.failed(problem);
    const std::string where = dial.peer.host + ":" + std::to_string(dial.peer.port) +
                              (dial.node_id.empty() ? "" : " (" + dial.node_id + ")");
    const int next_s = std::max(1, std::min(dial.backoff_ms, config_.redial_max_ms) / 1000);
    // A peer learnt from an address record and never reached is not worth a line.
    if (news != FailureEpisode::News::none && (dial.bootstrap || !dial.node_id.empty())) {
      dial.announced = true;
      log_info("peer " + where + ": " + problem + "; redialling with backoff (now " +
               std::to_string(next_s) + " s, at most " +
               std::to_string(config_.redial_max_ms / 1000) + " s)");
    } else {
      log_debug("peer " + where + ": " + problem + " (attempt " +
                std::to_string(dial.failures.failures()) + ")");
    }
  }
}

// Why this node is not healthy, or "": the database unreachable for more than 5 s, no peer
// linked for more than 30 s although bootstrap peers are configured, or no DB sync round
// completed for DbSync::stale_after_ms() while a validator peer is linked.
std::string Agent::health_problem(std::int64_t now_ms) const {
  bool validator_linked = false;
  for (const auto &[id, link] : links_)
    validator_linked = validator_linked || (link->established() && link->peer_is_validator);
  const std::int64_t since = std::max(db_sync_.last_round_ms(), started_ms_);
  const bool sync_stale = validator_linked && now_ms - since > db_sync_.stale_after_ms();
  // A database outage stalls DB sync too: then the database is the reason to give.
  const Database::Reachability &db = store_.reachability();
  if (!db.reachable && (now_ms - db.since_ms > 5000 || sync_stale))
    return "database unreachable for " + std::to_string((now_ms - db.since_ms) / 1000) +
           " s: " + db.error;
  if (!config_.bootstrap_peers.empty() && links_.empty() && now_ms - last_linked_ms_ > 30000)
    return "no peer linked for " + std::to_string((now_ms - last_linked_ms_) / 1000) + " s";
  if (sync_stale)
    return "DB sync stale: no round completed for " + std::to_string((now_ms - since) / 1000) +
           " s";
  return {};
}

// Why the agent does not run yet (the start-up checks have not passed): for /health and POST
// /gossip, so that an operator can tell an agent waiting for its database from one that is down.
std::string Agent::starting_problem(std::int64_t now_ms) const {
  const Database::Reachability &db = store_.reachability();
  if (!db.reachable)
    return "waiting for the database (" + db.error + ") since " +
           std::to_string(std::max<std::int64_t>(0, now_ms - db.since_ms) / 1000) +
           " s: not yet listening for peers";
  // The first attempt has not come back (a server that does not answer may take libpq's
  // connect timeout).
  return "checking node " + config_.node_id + " in its database since " +
         std::to_string(std::max<std::int64_t>(0, now_ms - started_ms_) / 1000) +
         " s: not yet listening for peers";
}

NodeStatus Agent::status() const {
  NodeStatus s;
  s.id = config_.node_id;
  s.version = kVersion;
  s.start_time = started_at_;
  s.last_sync = db_sync_.last_round();
  s.last_heartbeat = last_heartbeat_;
  const std::optional<p2p::NodeInfo> self = directory_.find(config_.node_id);
  s.active = self && self->active;
  s.status = stopping_                             ? "stopping"
             : !running_                           ? "starting"
             : health_problem(p::now_ms()).empty() ? "serving"
                                                   : "degraded";
  for (const auto &[id, link] : links_)
    if (link->established())
      ++s.peer_count;
  double rtt_sum = 0;
  int rtt_n = 0;
  for (const auto &[id, link] : links_)
    if (link->rtt_ms >= 0) {
      rtt_sum += link->rtt_ms;
      ++rtt_n;
    }
  s.response_latency =
      std::chrono::microseconds(rtt_n ? static_cast<long long>(rtt_sum * 1000 / rtt_n) : 0);
  s.sync_progress = db_sync_.progress();
  s.memory_bytes = process_rss_bytes();
  s.chain = chain_.status();
  s.consensus = consensus_.status();
  return s;
}

HttpResponse Agent::on_http(const HttpRequest &request) {
  const std::string &path = request.path;
  if (request.method == "POST") {
    if (path != "/gossip")
      return {404, "text/plain; charset=utf-8", "not found\n"};
    // Publishing makes this node sign: never for whoever can reach the port.
    if (config_.http.token.empty())
      return {403, "text/plain; charset=utf-8",
              "POST /gossip is disabled: set http.token_file in the agent's configuration and "
              "send 'Authorization: Bearer <token>'\n"};
    if (!bearer_matches(request.authorization, config_.http.token))
      return {401, "text/plain; charset=utf-8",
              "POST /gossip needs 'Authorization: Bearer <the token in http.token_file>'\n"};
    if (!running_)
      return {503, "text/plain; charset=utf-8", starting_problem(p::now_ms()) + "\n"};
    if (request.topic.empty())
      return {400, "text/plain; charset=utf-8", "POST /gossip?topic=NAME with the body\n"};
    std::int64_t published_us = 0;
    const std::string id = network_.publish(
        request.topic, Bytes(request.body.begin(), request.body.end()), published_us);
    return {200, "application/json",
            "{\"message_id\":\"" + id + "\",\"published_us\":" + std::to_string(published_us) +
                "}\n"};
  }
  if (path == "/peers")
    return {200, "application/json", network_.peers_json(p::now_ms(), dials_json()) + "\n"};
  if (path == "/gossip")
    return {200, "application/json", network_.gossip_json() + "\n"};
  if (path == "/metrics")
    return {200, kPrometheusContentType, metrics_.render_prometheus()};
  if (path == "/health") {
    if (!running_)
      return {503, "text/plain; charset=utf-8", starting_problem(p::now_ms()) + "\n"};
    if (const std::string problem = health_problem(p::now_ms()); !problem.empty())
      return {503, "text/plain; charset=utf-8", problem + "\n"};
    return {200, "text/plain; charset=utf-8", "ok\n"};
  }
  if (path == "/status") {
    NodeStatus s = status();
    s.cpu_percent = cpu_.sample();
    return {200, "application/json", to_json(s) + "\n"};
  }
  return {404, "text/plain; charset=utf-8", "not found\n"};
}

} // namespace mycelium::agent
