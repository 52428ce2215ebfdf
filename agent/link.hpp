// One WebSocket connection to a peer agent: private to the agent's .cpp files.
#pragma once

#include "agent.hpp"

namespace mycelium::agent {

// One WebSocket connection to a peer agent.
struct Agent::Link {
  ConnId id = 0;
  bool outgoing = false;
  bool json = false;
  std::string remote;
  std::unique_ptr<protocol::Initiator> initiator;
  std::unique_ptr<protocol::Responder> responder;
  std::unique_ptr<protocol::SecureChannel> channel; // set once the handshake is done
  std::string peer_id;
  PublicKey peer_key{}; // proven in the handshake; checked against the registry on refresh
  bool peer_is_validator = false;
  std::int64_t opened_ms = 0; // the handshake must finish by opened_ms + handshake.timeout_ms
  std::int64_t last_rx_ms = 0;
  std::int64_t last_ping_ms = 0;
  std::uint64_t ping_seq = 0;
  double rtt_ms = -1;
  bool sync_pending = false;
  bool hello_seen = false; // responder: msg1 arrived, msg3 is next
  int strikes = 0;         // rejected frames before the handshake completed
  bool closing = false;    // the tick or a registry refresh closed it; on_close is to come
};

} // namespace mycelium::agent
