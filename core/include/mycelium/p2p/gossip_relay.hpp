// One node's part in epidemic dissemination: what to do with a Gossip message that arrives
// from a peer, and where a message this node creates goes first. The agent runs one per
// process; bench/gossip_sim runs a hundred in one process with the same code, so the
// simulation measures what the network does.
//
// receive() checks, in this order: the id was handled before (Duplicate: no signature check,
// so floods of copies cost a map lookup), the origin is a registered node (UnknownOrigin), the
// origin signature and message id verify (BadSignature: the forwarding peer's offence), the
// origin timestamp is fresh (Stale). A new message is delivered once and relayed to up to
// `fanout` peers other than the sender and the origin, with ttl - 1, while the received ttl
// is > 1 (gossip_cache.hpp).
//
// Pure and deterministic given the random source: the caller passes the time and the peers.
// Not thread-safe.
#pragma once

#include "mycelium/ed25519.hpp"
#include "mycelium/p2p/gossip_cache.hpp"
#include "mycelium/p2p/registry.hpp"
#include "mycelium/protocol/messages.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mycelium::p2p {

enum class GossipVerdict {
  Deliver,       // new and valid: hand it to the application; relay as `relay` says
  Duplicate,     // handled before: drop silently
  Stale,         // too old or too far ahead: drop
  UnknownOrigin, // origin is not a registered node: drop (the registry may lag; no offence)
  BadSignature,  // origin signature or message id does not verify: the sender's offence
};
const char *to_string(GossipVerdict verdict);

struct GossipOutcome {
  GossipVerdict verdict = GossipVerdict::Duplicate;
  std::optional<std::uint8_t> relay_ttl;  // set when the message travels on
  std::vector<std::string> relay_targets; // peers to send it to, with relay_ttl
};

class GossipRelay {
public:
  // `registry` must outlive the relay. fanout >= 1.
  GossipRelay(const NodeRegistry &registry, std::string self_id, std::size_t fanout,
              RandomSource random, SeenMessages::Limits limits = {});

  // A message created here: signed with `key` (this node's), remembered as seen, and sent to
  // up to `fanout` of `peers` with `ttl`. `targets` receives the chosen peers.
  protocol::Gossip originate(const SecretKey &key, std::string topic, Bytes body, std::uint8_t ttl,
                             std::int64_t now_ms, const std::vector<std::string> &peers,
                             std::vector<std::string> &targets);

  // A message received from peer `from`; `peers` are the peers it could go to next.
  GossipOutcome receive(const protocol::Gossip &gossip, std::string_view from, std::int64_t now_ms,
                        const std::vector<std::string> &peers);

  const SeenMessages &seen() const { return seen_; }
  std::size_t fanout() const { return fanout_; }

private:
  const NodeRegistry &registry_;
  std::string self_id_;
  std::size_t fanout_;
  RandomSource random_;
  SeenMessages seen_;
};

} // namespace mycelium::p2p
