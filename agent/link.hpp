// One WebSocket connection to a peer agent: private to the agent's .cpp files. Agent owns the
// links (one per connection, in Agent::links_); PeerNetwork reads them and keeps its discovery
// state of a session here (asked_addresses, address_request_id).
#pragma once

#include "transport.hpp"

#include "mycelium/ed25519.hpp"
#include "mycelium/protocol/peer_link.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace mycelium::agent {

// One WebSocket connection to a peer agent.
struct Link {
  ConnId id = 0;
  bool outgoing = false;
  bool json = false;
  std::string remote;
  // The protocol state: handshake, secure channel, decoding and the checks on receipt.
  std::unique_ptr<protocol::PeerLink> peer;
  std::string peer_id;
  std::string
      description;      // "node-2 (127.0.0.1:7001, outgoing, ...)" for the log, set at the session
  PublicKey peer_key{}; // proven in the handshake; checked against the registry on refresh
  bool peer_is_validator = false;
  std::uint16_t minor = 0;    // the session's negotiated protocol minor version
  std::int64_t opened_ms = 0; // the handshake must finish by opened_ms + handshake.timeout_ms
  std::int64_t last_rx_ms = 0;
  std::int64_t last_ping_ms = 0;
  std::uint64_t ping_seq = 0;
  double rtt_ms = -1;
  int strikes = 0;                      // rejected frames before the handshake completed
  bool asked_addresses = false;         // the peer sent an AddressRequest on this session
  std::uint64_t address_request_id = 0; // our last AddressRequest on this link
  bool closing = false; // the tick or a registry refresh closed it; on_close is to come

  // The session is up (the handshake completed).
  bool established() const { return peer && peer->established(); }
  // The initiator's handshake ends with its own msg3, before the responder has checked who it
  // is; only the first frame that opens under the session keys shows the peer accepted it.
  bool accepted_by_peer() const { return peer && peer->accepted_by_peer(); }
};

} // namespace mycelium::agent
