// PeerNetwork (peer_network.hpp): gossip, discovery, scores and the blacklist, port rotation and
// the status exchange. The decisions are the pure building blocks of
// core/include/mycelium/p2p/; these methods only move messages between them, the links (through
// PeerNetwork::Host) and the database (NodeStore).
#include "peer_network.hpp"

#include "link.hpp"
#include "log.hpp"

#include "mycelium/hex.hpp"
#include "mycelium/protocol/envelope.hpp"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <utility>

namespace mycelium::agent {

namespace p = mycelium::protocol;

namespace {

constexpr std::size_t kDeliveredKept = 1000; // GET /gossip shows the latest this many
constexpr std::int64_t kBlacklistRefreshMs = 1000;
constexpr std::int64_t kRecordLifetimeMs = 3600 * 1000; // without rotation

std::int64_t wall_clock_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

p2p::ScoreParams score_params(const AgentConfig &c) {
  p2p::ScoreParams params;
  params.ban_threshold = c.blacklist.threshold;
  params.half_life_ms = static_cast<std::int64_t>(c.blacklist.half_life_seconds) * 1000;
  return params;
}

p2p::BlacklistPolicy blacklist_policy(const AgentConfig &c) {
  p2p::BlacklistPolicy policy;
  policy.stake_num = static_cast<std::uint64_t>(c.blacklist.stake_percent);
  policy.stake_den = 100;
  policy.min_validators = static_cast<std::size_t>(c.blacklist.min_validators);
  return policy;
}

p2p::AddressBookLimits book_limits(const AgentConfig &c) {
  p2p::AddressBookLimits limits;
  limits.target = static_cast<std::size_t>(std::max(c.peer_target, 1)) * 4;
  // An honest peer asks once per discovery interval; twice as often is an offence.
  limits.min_request_interval_ms = c.discovery_interval_ms / 2;
  return limits;
}

std::uint64_t random64() {
  return (static_cast<std::uint64_t>(randombytes_random()) << 32) | randombytes_random();
}

} // namespace

PeerNetwork::PeerNetwork(Host &host, const AgentConfig &config, const SecretKey &key,
                         const p2p::NodeDirectory &directory, NodeStore &store,
                         AgentMetrics &metrics)
    : host_(host), config_(config), key_(key), directory_(directory), store_(store),
      metrics_(metrics), scores_(score_params(config_)),
      blacklist_(directory_, blacklist_policy(config_)),
      book_(directory_, config_.node_id, book_limits(config_)),
      gossip_(directory_, config_.node_id, static_cast<std::size_t>(config_.gossip.fanout),
              random64) {}

PeerNetwork::~PeerNetwork() = default;

void PeerNetwork::configure_port_rotation() {
  if (!config_.port_rotation.enabled)
    return;
  std::ifstream in(config_.port_rotation.secret_file, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read port_rotation.secret_file " +
                             config_.port_rotation.secret_file);
  const Bytes secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  p2p::PortScheduleConfig schedule;
  schedule.base_port = static_cast<std::uint16_t>(config_.listen.port);
  schedule.range = static_cast<std::uint32_t>(config_.port_rotation.range);
  schedule.epoch_seconds = config_.port_rotation.epoch_seconds;
  schedule.grace_seconds = config_.port_rotation.grace_seconds;
  schedule.announce_lead_seconds = config_.port_rotation.announce_seconds;
  schedule.bootstrap_port = static_cast<std::uint16_t>(config_.listen.port);
  ports_ = std::make_unique<p2p::PortSchedule>(secret, schedule);
}

// --- the periodic part ---------------------------------------------------------------------

void PeerNetwork::tick(std::int64_t now) {
  if (now - last_blacklist_ms_ >= kBlacklistRefreshMs) {
    last_blacklist_ms_ = now;
    refresh_blacklist();
    blacklist_.expire(now);
    scores_.prune(now);
    book_.expire(now);
    enforce_bans(now);
  }
  if (ports_)
    rotate_ports(now);
  // Our own record changes when the port rotates or the record nears its end: tell everyone.
  const std::uint16_t announced_port = own_record_.port;
  const std::int64_t announced_expiry = own_record_.expires_at_ms;
  const p::AddressRecord &mine = own_record(now);
  if (mine.port != announced_port || mine.expires_at_ms != announced_expiry) {
    for (Link *link : host_.established_links())
      host_.send(*link, p::AddressAnnounce{mine});
  }
  if (now - last_status_ms_ >= config_.status_interval_ms) {
    last_status_ms_ = now;
    send_status();
  }
  if (now - last_discovery_ms_ >= config_.discovery_interval_ms) {
    last_discovery_ms_ = now;
    if (book_.wants_more(now)) {
      const std::vector<Link *> ready = host_.established_links();
      if (!ready.empty())
        ask_addresses(*ready[randombytes_uniform(static_cast<std::uint32_t>(ready.size()))], now);
    }
  }
  dial_known_peers(now);
}

// --- sessions ------------------------------------------------------------------------------

void PeerNetwork::note_peer(const Link &link, const std::string &protocol_version) {
  const std::string peer = link.peer_id;
  store_.note_peer(peer, protocol_version, [this, peer](const std::optional<std::string> &error) {
    if (!error)
      peer_record_problem_.succeeded();
    else if (!NodeStore::is_unreachable(*error))
      peer_record_problem_.failed(peer + ": " + *error);
  });
  book_.touch(link.peer_id, p::now_ms());
}

// What a new session gets at once: where we listen, our status, the blacklist entries we
// share, and a request for addresses if we want more.
void PeerNetwork::on_session(Link &link) {
  const std::int64_t now = p::now_ms();
  host_.send(link, p::AddressAnnounce{own_record(now)});
  host_.send(link, status_message());
  const std::vector<p::BlacklistEntry> entries = blacklist_.entries_to_share(now);
  if (!entries.empty())
    host_.send(link, p::BlacklistSync{entries});
  if (book_.wants_more(now))
    ask_addresses(link, now);
}

void PeerNetwork::forget_request(Link &link) {
  if (link.address_request_id != 0)
    book_.forget_request(link.peer_id, std::exchange(link.address_request_id, 0));
}

// --- scores and bans -----------------------------------------------------------------------

std::string PeerNetwork::ban_refusal(const std::string &node_id) {
  const p2p::BanStatus ban = blacklist_.status(node_id, p::now_ms());
  if (!ban.banned)
    return {};
  metrics_.message_rejected("blacklisted");
  std::string why = "node " + node_id + " is banned by " + config_.node_id;
  if (ban.local)
    why += " until " + format_unix_ms(ban.local_until_ms) + " (" + ban.local_reason + ")";
  else
    why += " on the shared blacklist (validators with " + std::to_string(ban.vouching_stake) +
           " of " + std::to_string(ban.total_stake) + " stake)";
  // Once per ban: a banned peer redials with its backoff for as long as the ban lasts.
  const std::int64_t until = ban.local ? ban.local_until_ms : -1;
  auto logged = refusals_logged_.find(node_id);
  if (logged == refusals_logged_.end() || logged->second != until) {
    refusals_logged_[node_id] = until;
    log_info("refusing sessions from " + node_id + ": " + why);
  } else {
    log_debug("refused a session from " + node_id + ": " + why);
  }
  return why;
}

bool PeerNetwork::is_banned(const std::string &node_id, std::int64_t now) const {
  return blacklist_.is_banned(node_id, now);
}

void PeerNetwork::penalize(Link &link, p2p::Offence offence, const std::string &detail) {
  if (link.peer_id.empty())
    return;
  const std::int64_t now = p::now_ms();
  const double score = scores_.penalize(link.peer_id, offence, now);
  log_debug("peer " + link.peer_id + " " + p2p::to_string(offence) + " (" + detail + "): score " +
            std::to_string(score));
  if (scores_.should_ban(link.peer_id, now))
    ban_peer(link.peer_id, std::string(p2p::to_string(offence)) + ": " + detail);
}

// A local ban for ban_seconds; a validator also signs an entry and shares it, so that the
// network can ban the peer by stake (PROTOCOL.md "BlacklistSync").
void PeerNetwork::ban_peer(const std::string &node_id, const std::string &reason) {
  const std::int64_t now = p::now_ms();
  const std::int64_t until = now + static_cast<std::int64_t>(config_.blacklist.ban_seconds) * 1000;
  log_warn("banning " + node_id + " until " + format_unix_ms(until) + " (" + reason + ")");
  blacklist_.ban(node_id, until, reason);
  scores_.forget(node_id);
  metrics_.banned("local");
  if (config_.node_type == "validator") {
    p::BlacklistEntry entry;
    entry.node_id = node_id;
    entry.reason = reason.substr(0, 200);
    entry.created_by = config_.node_id;
    entry.created_at_ms = now;
    entry.expires_at_ms = until;
    p::sign_blacklist_entry(entry, key_);
    const p2p::OfferResult result = blacklist_.offer(entry, now);
    if (result == p2p::OfferResult::Accepted) {
      store_entry(entry, "");
      share_entries({entry}, 0);
    } else {
      log_warn(std::string("own blacklist entry not accepted: ") + p2p::to_string(result));
    }
  }
  enforce_bans(now);
}

void PeerNetwork::enforce_bans(std::int64_t now) {
  for (Link *link : host_.established_links())
    if (blacklist_.is_banned(link->peer_id, now)) {
      log_info("closing the link to blacklisted node " + link->peer_id);
      host_.close(link->id);
    }
}

void PeerNetwork::on_blacklist_sync(Link &link, const p::BlacklistSync &sync) {
  const std::int64_t now = p::now_ms();
  std::vector<p::BlacklistEntry> accepted;
  for (const p::BlacklistEntry &entry : sync.entries) {
    const bool was_banned = blacklist_.is_banned(entry.node_id, now);
    const p2p::OfferResult result = blacklist_.offer(entry, now);
    if (result == p2p::OfferResult::Accepted) {
      accepted.push_back(entry);
      store_entry(entry, link.peer_id);
      log_info("blacklist entry against " + entry.node_id + " by " + entry.created_by +
               " accepted from " + link.peer_id);
      if (!was_banned && blacklist_.is_banned(entry.node_id, now))
        metrics_.banned("shared");
    } else if (p2p::is_offence(result)) {
      metrics_.message_rejected(std::string("blacklist-") + p2p::to_string(result));
      penalize(link,
               result == p2p::OfferResult::BadSignature ? p2p::Offence::InvalidSignature
                                                        : p2p::Offence::Malformed,
               "blacklist entry against " + entry.node_id);
    }
  }
  if (!accepted.empty())
    share_entries(accepted, link.id);
  enforce_bans(now);
}

// Entries go to every peer but the one they came from; peers that hold them already answer
// Duplicate and stop the flood.
void PeerNetwork::share_entries(const std::vector<p::BlacklistEntry> &entries, ConnId except) {
  for (Link *link : host_.established_links())
    if (link->id != except && !blacklist_.is_banned(link->peer_id, p::now_ms()))
      host_.send(*link, p::BlacklistSync{entries});
}

// The database verifies the entry again (mycelium.blacklist_add) before it stores it.
void PeerNetwork::store_entry(const p::BlacklistEntry &entry, const std::string &received_from) {
  const p::BlacklistEntry e = entry;
  store_.store_blacklist_entry(entry, received_from, [e](const std::optional<std::string> &error) {
    if (error)
      log_warn("cannot record the blacklist entry against " + e.node_id + " by " + e.created_by +
               ": " + *error);
  });
}

// Operators add and lift entries with SQL (mycelium.blacklist_add, mycelium.blacklist_lift);
// the agent picks those up here, and drops expired rows.
void PeerNetwork::refresh_blacklist() {
  store_.read_blacklist([this](const std::optional<std::string> &error,
                               BlacklistSnapshot snapshot) {
    if (error) {
      if (!NodeStore::is_unreachable(*error))
        blacklist_problem_.failed(*error);
      return;
    }
    blacklist_problem_.succeeded();
    const std::int64_t now = p::now_ms();
    for (const auto &[node, lifted_at] : snapshot.lifts) {
      auto it = lifts_seen_.find(node);
      if (it != lifts_seen_.end() && it->second >= lifted_at)
        continue;
      lifts_seen_[node] = lifted_at;
      blacklist_.lift(node, now);
      scores_.forget(node);
      // Lifts made before this start are history, not news: said at debug only.
      if (lifts_loaded_)
        log_info("blacklist lifted for " + node + " (at " + format_unix_ms(lifted_at) + ")");
      else
        log_debug("blacklist lift for " + node + " from " + format_unix_ms(lifted_at) + " applied");
    }
    lifts_loaded_ = true;
    std::vector<p::BlacklistEntry> fresh;
    for (const p::BlacklistEntry &e : snapshot.entries)
      if (blacklist_.offer(e, now) == p2p::OfferResult::Accepted)
        fresh.push_back(e);
    if (!fresh.empty())
      share_entries(fresh, 0);
    enforce_bans(now);
  });
}

// --- discovery -----------------------------------------------------------------------------

// Where this node listens until when, signed. With port rotation the record names the port
// of the epoch (the next one from its announcement on) and expires with its grace window.
// Signed again only when the port or the expiry changes: the tick asks every 100 ms.
const p::AddressRecord &PeerNetwork::own_record(std::int64_t now) {
  p::AddressRecord r;
  r.node_id = config_.node_id;
  r.host = config_.listen.advertise;
  if (ports_) {
    const std::int64_t now_s = now / 1000;
    const p2p::PortAnnouncement next = ports_->next_port(now_s);
    const std::int64_t grace_ms = ports_->config().grace_seconds * 1000;
    if (now_s >= next.announce_from_s) {
      r.port = next.port;
      r.expires_at_ms = ports_->epoch_start_s(next.epoch + 1) * 1000 + grace_ms;
    } else {
      r.port = ports_->current_port(now_s);
      r.expires_at_ms = next.starts_at_s * 1000 + grace_ms;
    }
  } else {
    r.port = static_cast<std::uint16_t>(config_.listen.port);
    // Re-signed every half lifetime, so a peer's copy never runs out while we are up.
    r.expires_at_ms = (now / (kRecordLifetimeMs / 2) + 2) * (kRecordLifetimeMs / 2);
  }
  if (r.port != own_record_.port || r.expires_at_ms != own_record_.expires_at_ms) {
    p2p::sign_address(r, key_);
    own_record_ = std::move(r);
  }
  return own_record_;
}

void PeerNetwork::ask_addresses(Link &link, std::int64_t now) {
  // The periodic round counts from any request: a new session's request followed by the first
  // round at once would be two on one session, the second an offence for the peer.
  last_discovery_ms_ = now;
  const std::uint64_t id = next_address_request_++;
  if (book_.expect_reply(link.peer_id, id, now)) {
    link.address_request_id = id;
    host_.send(link, p::AddressRequest{id});
  }
}

void PeerNetwork::on_address_request(Link &link, const p::AddressRequest &request) {
  const std::int64_t now = p::now_ms();
  // A new session asks at once, so the first request of each session is answered whatever the
  // interval says: a restarted or reconnecting peer is not misbehaving (a reconnect costs a
  // whole handshake, which handshake.* limits). Only a second request on one session that
  // comes too soon is an offence.
  const bool first_of_session = !std::exchange(link.asked_addresses, true);
  if (!book_.allow_request(link.peer_id, now) && !first_of_session) {
    host_.reject(link, p::RejectReason::RateLimited,
                 "address request sooner than the discovery interval allows");
    return;
  }
  std::vector<p::AddressRecord> records = book_.reply_records(link.peer_id, now);
  records.insert(records.begin(), own_record(now));
  if (records.size() > 100)
    records.resize(100);
  host_.send(link, p::AddressReply{request.request_id, std::move(records)});
}

void PeerNetwork::on_address_reply(Link &link, const p::AddressReply &reply) {
  const std::int64_t now = p::now_ms();
  const p2p::ReplyOutcome outcome =
      book_.accept_reply(link.peer_id, reply.request_id, reply.records, now);
  if (outcome.status == p2p::ReplyStatus::Unsolicited ||
      outcome.status == p2p::ReplyStatus::TooMany) {
    host_.reject(link, p::RejectReason::ProtocolViolation,
                 std::string("address reply: ") + p2p::to_string(outcome.status));
    return;
  }
  for (std::size_t i = 0; i < outcome.invalid; ++i)
    penalize(link, p2p::Offence::InvalidSignature, "address record in a reply");
  if (outcome.added > 0) {
    log_info("learnt " + std::to_string(outcome.added) + " addresses from " + link.peer_id + " (" +
             std::to_string(book_.size()) + " known)");
    dial_known_peers(now);
  }
}

void PeerNetwork::on_address_announce(Link &link, const p::AddressAnnounce &announce) {
  if (announce.record.node_id != link.peer_id) {
    host_.reject(link, p::RejectReason::ProtocolViolation,
                 "announced the address of " + announce.record.node_id);
    return;
  }
  const p2p::RecordResult result = book_.add(announce.record, p::now_ms());
  if (result == p2p::RecordResult::BadSignature || result == p2p::RecordResult::Malformed) {
    penalize(link,
             result == p2p::RecordResult::BadSignature ? p2p::Offence::InvalidSignature
                                                       : p2p::Offence::Malformed,
             std::string("own address record: ") + p2p::to_string(result));
    return;
  }
  // Follow the port: the next dial to this node goes where it listens now.
  host_.follow(announce.record);
}

// Keeps up to peer_target links: dials the known records in preference order (validators
// first) that have no link yet. A record's dial follows the record (port rotation).
void PeerNetwork::dial_known_peers(std::int64_t now) {
  // A dial made from an address record lives only as long as a live record of an active,
  // registered node: one that left is not redialled for ever.
  const auto active = [&](const std::string &node_id) {
    const std::optional<p2p::NodeInfo> info = directory_.find(node_id);
    return info && info->active;
  };
  host_.drop_dials(
      [&](const std::string &node_id) { return !active(node_id) || !book_.find(node_id, now); });
  int linked = static_cast<int>(host_.established_links().size());
  for (const p::AddressRecord &record : book_.records(now)) {
    if (linked >= config_.peer_target)
      break;
    if (host_.link_to(record.node_id) || blacklist_.is_banned(record.node_id, now) ||
        !active(record.node_id))
      continue;
    if (host_.dial(record, now))
      ++linked; // counts as a link being made
  }
}

// --- port rotation -------------------------------------------------------------------------

// Opens the ports of the schedule (current, previous during the grace window, next from its
// announcement) and closes the others. Closing a port closes no session accepted on it.
void PeerNetwork::rotate_ports(std::int64_t now) {
  std::set<int> wanted;
  for (std::uint16_t port : ports_->open_ports(now / 1000))
    wanted.insert(port);
  for (auto it = rotated_ports_.begin(); it != rotated_ports_.end();) {
    if (wanted.count(*it) == 0) {
      host_.stop_listening(*it);
      log_info("stopped listening on rotated port " + std::to_string(*it));
      it = rotated_ports_.erase(it);
    } else {
      ++it;
    }
  }
  for (int port : wanted) {
    if (rotated_ports_.count(port))
      continue;
    std::string error;
    if (host_.listen_on(port, error)) {
      rotated_ports_.insert(port);
      log_info("listening on rotated port " + std::to_string(port) + " (epoch " +
               std::to_string(ports_->epoch(now / 1000)) + ")");
    } else {
      log_warn("cannot listen on rotated port " + std::to_string(port) + ": " + error);
    }
  }
  metrics_.set_listening_ports(1 + static_cast<int>(rotated_ports_.size()));
}

// --- status exchange -----------------------------------------------------------------------

p::Status PeerNetwork::status_message() const {
  const NodeStatus s = host_.status();
  auto ms = [](const std::optional<NodeStatus::Time> &t) -> std::int64_t {
    return t ? std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count()
             : 0;
  };
  p::Status m;
  m.node_id = s.id;
  m.version = s.version;
  m.start_time_ms = ms(s.start_time);
  m.last_sync_ms = ms(s.last_sync);
  m.last_heartbeat_ms = ms(s.last_heartbeat);
  m.active = s.active;
  m.status = s.status;
  m.peer_count = static_cast<std::uint32_t>(s.peer_count);
  m.serving_rate_milli = static_cast<std::uint64_t>(s.serving_rate * 1000);
  m.sync_progress_ppm = static_cast<std::uint32_t>(s.sync_progress * 1e6);
  m.response_latency_us = static_cast<std::uint64_t>(s.response_latency.count());
  m.memory_bytes = s.memory_bytes;
  return m;
}

void PeerNetwork::send_status() {
  const p::Status m = status_message();
  for (Link *link : host_.established_links())
    host_.send(*link, m);
}

void PeerNetwork::on_peer_status(Link &link, const p::Status &status) {
  if (status.node_id != link.peer_id) {
    host_.reject(link, p::RejectReason::ProtocolViolation, "a status for " + status.node_id);
    return;
  }
  peer_status_[link.peer_id] = status;
  const std::int64_t now = p::now_ms();
  std::int64_t &stored = status_stored_ms_[link.peer_id];
  if (now - stored < config_.status_interval_ms / 2)
    return; // a peer sending more often does not cost us more database writes
  stored = now;
  const std::string json =
      "{\"version\":" + json_string(status.version) + ",\"status\":" + json_string(status.status) +
      ",\"active\":" + (status.active ? "true" : "false") +
      ",\"start_time_ms\":" + std::to_string(status.start_time_ms) +
      ",\"last_sync_ms\":" + std::to_string(status.last_sync_ms) +
      ",\"last_heartbeat_ms\":" + std::to_string(status.last_heartbeat_ms) +
      ",\"peer_count\":" + std::to_string(status.peer_count) +
      ",\"serving_rate_milli\":" + std::to_string(status.serving_rate_milli) +
      ",\"sync_progress_ppm\":" + std::to_string(status.sync_progress_ppm) +
      ",\"response_latency_us\":" + std::to_string(status.response_latency_us) +
      ",\"memory_bytes\":" + std::to_string(status.memory_bytes) +
      ",\"cpu_percent_milli\":" + std::to_string(status.cpu_percent_milli) + "}";
  const std::string peer = link.peer_id;
  store_.note_peer_status(peer, json, [this, peer](const std::optional<std::string> &error) {
    if (!error)
      peer_record_problem_.succeeded();
    else if (!NodeStore::is_unreachable(*error))
      peer_record_problem_.failed(peer + ": " + *error);
  });
}

// --- gossip --------------------------------------------------------------------------------

void PeerNetwork::on_gossip(Link &link, const p::Gossip &gossip) {
  const std::int64_t now = p::now_ms();
  const p2p::GossipOutcome out = gossip_.receive(gossip, link.peer_id, now, linked_peers());
  metrics_.gossip(p2p::to_string(out.verdict));
  if (out.verdict == p2p::GossipVerdict::BadSignature) {
    host_.reject(link, p::RejectReason::BadSignature, "gossip claiming origin " + gossip.origin);
    return;
  }
  if (out.verdict != p2p::GossipVerdict::Deliver)
    return;
  Delivered d;
  d.message_id = to_hex(gossip.message_id.data(), gossip.message_id.size());
  d.origin = gossip.origin;
  d.topic = gossip.topic;
  d.from = link.peer_id;
  d.body = gossip.body;
  d.ttl = gossip.ttl;
  d.origin_ms = gossip.origin_timestamp_ms;
  d.received_ms = now;
  d.received_us = wall_clock_us();
  delivered_.push_back(std::move(d));
  ++delivered_total_;
  if (delivered_.size() > kDeliveredKept)
    delivered_.pop_front();
  if (!out.relay_ttl)
    return;
  p::Gossip relayed = gossip;
  relayed.ttl = *out.relay_ttl;
  for (const std::string &target : out.relay_targets)
    if (Link *to = host_.link_to(target))
      host_.send(*to, relayed);
}

std::string PeerNetwork::publish(const std::string &topic, Bytes body, std::int64_t &published_us) {
  std::vector<std::string> targets;
  const p::Gossip g =
      gossip_.originate(key_, topic, std::move(body), static_cast<std::uint8_t>(config_.gossip.ttl),
                        p::now_ms(), linked_peers(), targets);
  metrics_.gossip("published");
  published_us = wall_clock_us();
  for (const std::string &target : targets)
    if (Link *to = host_.link_to(target))
      host_.send(*to, g);
  return to_hex(g.message_id.data(), g.message_id.size());
}

std::vector<std::string> PeerNetwork::linked_peers() {
  std::vector<std::string> peers;
  for (const Link *link : host_.established_links())
    peers.push_back(link->peer_id);
  return peers;
}

// --- HTTP views ----------------------------------------------------------------------------

std::string PeerNetwork::peers_json(std::int64_t now, const std::string &dials) {
  std::string out = "{\"node_id\":" + json_string(config_.node_id) + ",\"listening_ports\":[" +
                    std::to_string(config_.listen.port);
  for (int port : rotated_ports_)
    out += "," + std::to_string(port);
  out += "],\"peers\":[";
  bool first = true;
  for (const auto &[node_id, info] : directory_) {
    if (node_id == config_.node_id)
      continue;
    const Link *link = host_.link_to(node_id);
    const std::optional<p::AddressRecord> record = book_.find(node_id, now);
    const p2p::BanStatus ban = blacklist_.status(node_id, now);
    auto st = peer_status_.find(node_id);
    out += std::string(first ? "" : ",") + "{\"node_id\":" + json_string(node_id) +
           ",\"linked\":" + (link ? "true" : "false") +
           ",\"direction\":" + (link ? json_string(link->outgoing ? "out" : "in") : "null") +
           ",\"rtt_ms\":" + (link && link->rtt_ms >= 0 ? std::to_string(link->rtt_ms) : "null") +
           ",\"score\":" + std::to_string(scores_.score(node_id, now)) +
           ",\"host\":" + (record ? json_string(record->host) : "null") +
           ",\"port\":" + (record ? std::to_string(record->port) : "null") +
           ",\"banned\":" + (ban.banned ? "true" : "false") +
           ",\"local_ban\":" + (ban.local ? "true" : "false") +
           ",\"vouching_validators\":" + std::to_string(ban.vouching_validators) +
           ",\"status\":" + (st != peer_status_.end() ? json_string(st->second.status) : "null") +
           ",\"version\":" + (st != peer_status_.end() ? json_string(st->second.version) : "null") +
           "}";
    first = false;
  }
  return out + "],\"dials\":" + dials + "}";
}

std::string PeerNetwork::gossip_json() const {
  std::string out = "{\"delivered_total\":" + std::to_string(delivered_total_) + ",\"messages\":[";
  bool first = true;
  for (const Delivered &d : delivered_) {
    out += std::string(first ? "" : ",") + "{\"message_id\":\"" + d.message_id +
           "\",\"origin\":" + json_string(d.origin) + ",\"topic\":" + json_string(d.topic) +
           ",\"from\":" + json_string(d.from) + ",\"ttl\":" + std::to_string(d.ttl) +
           ",\"origin_ms\":" + std::to_string(d.origin_ms) +
           ",\"received_ms\":" + std::to_string(d.received_ms) +
           ",\"received_us\":" + std::to_string(d.received_us) + ",\"body_hex\":\"" +
           to_hex(d.body) + "\"}";
    first = false;
  }
  return out + "]}";
}

} // namespace mycelium::agent
