// One authenticated link's protocol state, from the first frame to the end of its session: the
// handshake (Initiator or Responder in Handshake / HandshakeResponse envelopes), then sealed
// envelopes over the SecureChannel; decoding (binary or JSON), the replay check, the sender
// check, and the refusals in both directions (PROTOCOL.md, "Failures and refusals").
//
// Pure logic: frames in, frames and events out; no sockets, no clock of its own. The agent, the
// transport benchmark and the forger test all drive this one class, so what they measure and
// test is what the agent runs. The caller keeps its own policy (strikes before the session,
// scores after it, which messages to answer).
#pragma once

#include "mycelium/ed25519.hpp"
#include "mycelium/protocol/envelope.hpp"
#include "mycelium/protocol/handshake.hpp"
#include "mycelium/protocol/replay_guard.hpp"
#include "mycelium/protocol/secure_channel.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mycelium::protocol {

// Who this end of the link is. `key` must outlive the link.
struct LinkIdentity {
  const SecretKey *key = nullptr;
  std::string node_id;
  Version version{kProtocolMajor, kProtocolMinor};
  std::vector<std::string> features;
};

// The check of the peer's proven identity during the handshake: "" admits it; any other text
// refuses it, and a responder sends that text to the peer in place of its first session frame.
using LinkAdmission = std::function<std::string(const std::string &node_id, const PublicKey &key)>;

// A frame to send, with its message type for metrics ("Handshake", "Pong", ...).
struct OutgoingFrame {
  std::string_view type; // static text (type_name)
  Bytes bytes;
};

// A message dropped, and why; the caller scores it.
struct Rejection {
  RejectReason reason;
  std::string detail;
};

// What one incoming frame did. Several fields may be set: a handshake frame can carry a reply
// and complete the session at once.
struct LinkEvents {
  std::vector<OutgoingFrame> replies;           // send these now, in order
  std::optional<std::string_view> decoded_type; // the type of the message the frame held, if any
  bool accepted_by_peer = false;     // the first frame that opened under the session keys
  bool session_started = false;      // the handshake completed: session() is valid
  std::optional<Envelope> message;   // a session message for the caller to dispatch
  std::optional<Rejection> rejected; // the frame's message was dropped
  std::optional<HandshakeError> handshake_failed; // this link's handshake is over, failed
  bool refusal_sent = false;                      // ...and a refusal text is among the replies
  std::optional<std::string> peer_refused;        // the peer refused us, saying this
  bool broken = false;                            // a sealed frame failed to open: nothing after it
                                                  // can be trusted
  bool close = false;                             // the caller must close the connection
};

class PeerLink {
public:
  // A dialled link (Role::Initiator) or an accepted one (Role::Responder); `json` is the
  // subprotocol the WebSocket negotiated.
  PeerLink(Role role, bool json, LinkIdentity identity, DecodeLimits limits,
           LinkAdmission admission);
  ~PeerLink();
  PeerLink(const PeerLink &) = delete;
  PeerLink &operator=(const PeerLink &) = delete;

  // The initiator's first frame (its hello); throws Error for a responder or a second call.
  OutgoingFrame hello(std::int64_t now_ms);

  // One frame as it arrived. `guard` is the caller's replay memory (shared by its links: the
  // nonce memory guards unauthenticated handshake messages; on a session the channel's counter
  // already refuses a replayed frame and only the time window is checked).
  LinkEvents receive(const Bytes &frame, ReplayGuard &guard, std::int64_t now_ms);

  // A session message: a fresh envelope (this node as sender, `now_ms`, a random nonce),
  // encoded (JSON on a JSON link) and sealed. Throws Error before the session.
  OutgoingFrame seal(Payload payload, std::int64_t now_ms);

  Role role() const { return role_; }
  bool json() const { return json_; }
  bool established() const { return channel_ != nullptr; }
  // The first frame under the session keys arrived: the peer accepted this session.
  bool accepted_by_peer() const { return accepted_by_peer_; }
  // After session_started.
  const Session &session() const { return session_; }
  const std::string &peer_id() const { return session_.peer_node_id; }

private:
  OutgoingFrame frame_of(Payload payload, std::int64_t now_ms);
  void on_handshake(const Payload &payload, LinkEvents &events, std::int64_t now_ms);
  void start_session(const Session &session, LinkEvents &events);

  Role role_;
  bool json_;
  LinkIdentity identity_;
  DecodeLimits limits_;
  LinkAdmission admission_;
  std::unique_ptr<Initiator> initiator_;
  std::unique_ptr<Responder> responder_;
  std::unique_ptr<SecureChannel> channel_;
  Session session_;
  std::string refusal_; // why our admission refused the peer (responder: sent to it)
  bool hello_sent_ = false;
  bool hello_seen_ = false; // responder: msg1 arrived, msg3 is next
  bool accepted_by_peer_ = false;
  bool failed_ = false; // the handshake failed: further frames are ignored
};

} // namespace mycelium::protocol
