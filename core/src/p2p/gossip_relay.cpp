#include "mycelium/p2p/gossip_relay.hpp"

#include "mycelium/error.hpp"
#include "mycelium/protocol/envelope.hpp"

namespace mycelium::p2p {

const char *to_string(GossipVerdict verdict) {
  switch (verdict) {
  case GossipVerdict::Deliver:
    return "deliver";
  case GossipVerdict::Duplicate:
    return "duplicate";
  case GossipVerdict::Stale:
    return "stale";
  case GossipVerdict::UnknownOrigin:
    return "unknown-origin";
  case GossipVerdict::BadSignature:
    return "bad-signature";
  }
  return "unknown";
}

GossipRelay::GossipRelay(const NodeRegistry &registry, std::string self_id, std::size_t fanout,
                         RandomSource random, SeenMessages::Limits limits)
    : registry_(registry), self_id_(std::move(self_id)), fanout_(fanout),
      random_(std::move(random)), seen_(limits) {
  if (fanout_ == 0)
    throw Error(sqlstate::kInvalidParameterValue, "gossip fanout must be at least 1");
}

protocol::Gossip GossipRelay::originate(const SecretKey &key, std::string topic, Bytes body,
                                        std::uint8_t ttl, std::int64_t now_ms,
                                        const std::vector<std::string> &peers,
                                        std::vector<std::string> &targets) {
  protocol::Gossip g;
  g.origin = self_id_;
  g.ttl = ttl;
  g.topic = std::move(topic);
  g.body = std::move(body);
  g.origin_timestamp_ms = now_ms;
  protocol::sign_gossip(g, key);
  seen_.observe(g, now_ms); // our own copy coming back is a duplicate
  targets = choose_fanout(peers, fanout_, {self_id_}, random_);
  return g;
}

GossipOutcome GossipRelay::receive(const protocol::Gossip &gossip, std::string_view from,
                                   std::int64_t now_ms, const std::vector<std::string> &peers) {
  GossipOutcome out;
  if (seen_.contains(gossip.message_id)) {
    out.verdict = GossipVerdict::Duplicate;
    return out;
  }
  const std::optional<NodeInfo> origin = registry_.find(gossip.origin);
  if (!origin) {
    out.verdict = GossipVerdict::UnknownOrigin;
    return out;
  }
  if (!protocol::verify_gossip(gossip, origin->public_key)) {
    out.verdict = GossipVerdict::BadSignature;
    return out;
  }
  switch (seen_.observe(gossip, now_ms)) {
  case SeenResult::Duplicate:
    out.verdict = GossipVerdict::Duplicate;
    return out;
  case SeenResult::Stale:
    out.verdict = GossipVerdict::Stale;
    return out;
  case SeenResult::New:
    break;
  }
  out.verdict = GossipVerdict::Deliver;
  out.relay_ttl = relay_ttl(gossip.ttl);
  if (out.relay_ttl)
    out.relay_targets = choose_fanout(peers, fanout_, {from, gossip.origin, self_id_}, random_);
  return out;
}

} // namespace mycelium::p2p
