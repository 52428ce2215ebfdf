#include "mycelium/protocol/peer_link.hpp"

#include "mycelium/protocol/refusal.hpp"

#include <string_view>
#include <utility>

namespace mycelium::protocol {

PeerLink::PeerLink(Role role, bool json, LinkIdentity identity, DecodeLimits limits,
                   LinkAdmission admission)
    : role_(role), json_(json), identity_(std::move(identity)), limits_(limits),
      admission_(std::move(admission)) {
  if (!identity_.key)
    throw Error(sqlstate::kInvalidParameterValue, "PeerLink: no key");
  // The handshake's admit callback keeps the refusal text: a responder sends it to the peer.
  Admit admit = [this](const std::string &node_id, const PublicKey &key) {
    if (!admission_)
      return true;
    refusal_ = admission_(node_id, key);
    return refusal_.empty();
  };
  if (role_ == Role::Initiator)
    initiator_ = std::make_unique<Initiator>(*identity_.key, identity_.node_id, identity_.version,
                                             identity_.features, admit);
  else
    responder_ = std::make_unique<Responder>(*identity_.key, identity_.node_id, identity_.version,
                                             identity_.features, admit);
}

PeerLink::~PeerLink() = default;

OutgoingFrame PeerLink::frame_of(Payload payload, std::int64_t now_ms) {
  Envelope envelope;
  envelope.sender_id = identity_.node_id;
  envelope.timestamp_ms = now_ms;
  envelope.nonce = random_nonce();
  envelope.payload = std::move(payload);
  OutgoingFrame out;
  out.type = type_name(envelope.payload);
  out.bytes = encode(envelope);
  if (json_) {
    const std::string text = to_json(out.bytes);
    out.bytes.assign(text.begin(), text.end());
  }
  if (channel_)
    out.bytes = channel_->seal(out.bytes);
  return out;
}

OutgoingFrame PeerLink::hello(std::int64_t now_ms) {
  if (!initiator_ || hello_sent_)
    throw Error(sqlstate::kInvalidParameterValue, "PeerLink: hello is the initiator's first frame only");
  hello_sent_ = true;
  return frame_of(HandshakeMsg{initiator_->start()}, now_ms);
}

OutgoingFrame PeerLink::seal(Payload payload, std::int64_t now_ms) {
  if (!channel_)
    throw Error(sqlstate::kInvalidParameterValue, "PeerLink: no session to send on");
  return frame_of(std::move(payload), now_ms);
}

void PeerLink::start_session(const Session &session, LinkEvents &events) {
  session_ = session;
  channel_ = std::make_unique<SecureChannel>(session_.keys, limits_.max_bytes);
  initiator_.reset();
  responder_.reset();
  events.session_started = true;
}

void PeerLink::on_handshake(const Payload &payload, LinkEvents &events, std::int64_t now_ms) {
  try {
    if (initiator_) {
      const auto *reply = std::get_if<HandshakeResponseMsg>(&payload);
      if (!reply)
        throw HandshakeError(HandshakeError::Reason::UnexpectedMessage,
                             "expected the handshake response");
      events.replies.push_back(
          frame_of(HandshakeMsg{initiator_->on_response(reply->data)}, now_ms));
      start_session(initiator_->session(), events);
      return;
    }
    const auto *msg = std::get_if<HandshakeMsg>(&payload);
    if (!msg)
      throw HandshakeError(HandshakeError::Reason::UnexpectedMessage,
                           "expected a handshake message");
    if (!hello_seen_) {
      hello_seen_ = true;
      events.replies.push_back(
          frame_of(HandshakeResponseMsg{responder_->on_hello(msg->data)}, now_ms));
      return;
    }
    responder_->on_finish(msg->data);
    start_session(responder_->session(), events);
  } catch (const HandshakeError &e) {
    failed_ = true;
    events.handshake_failed = e;
    events.close = true;
    if (role_ == Role::Responder && e.reason() == HandshakeError::Reason::Refused &&
        !refusal_.empty()) {
      // The peer's msg3 was its last handshake message and it believes the session is up: tell
      // it why not, in place of the first session frame.
      events.replies.push_back(frame_of(
          HandshakeResponseMsg{refusal(HandshakeError(HandshakeError::Reason::Refused, refusal_))},
          now_ms));
      events.refusal_sent = true;
    }
  }
}

LinkEvents PeerLink::receive(const Bytes &frame, ReplayGuard &guard, std::int64_t now_ms) {
  LinkEvents events;
  if (failed_)
    return events;
  Bytes plaintext;
  if (channel_) {
    std::optional<Bytes> opened = channel_->open(frame);
    if (!opened) {
      // The responder checks who we are only after our msg3; a refusal arrives in place of its
      // first session frame, unauthenticated (anyone on the path could as well cut us off).
      if (role_ == Role::Initiator && !accepted_by_peer_)
        events.peer_refused = refusal_in_frame(frame, json_);
      if (!events.peer_refused)
        events.broken = true;
      events.close = true;
      return events;
    }
    plaintext = std::move(*opened);
    if (!accepted_by_peer_) {
      accepted_by_peer_ = true;
      events.accepted_by_peer = true;
    }
  } else {
    plaintext = frame;
  }

  DecodeResult result =
      json_ ? decode_json(std::string_view(reinterpret_cast<const char *>(plaintext.data()),
                                           plaintext.size()),
                          limits_)
            : decode(plaintext, limits_);
  if (!result) {
    events.rejected = Rejection{result.reason(), result.detail()};
    events.close = !channel_; // garbage instead of a handshake: no second chance
    return events;
  }
  Envelope &envelope = result.envelope();
  const auto why =
      channel_ ? guard.check_time(envelope.timestamp_ms, now_ms) : guard.accept(envelope, now_ms);
  if (why) {
    events.rejected = Rejection{*why, "timestamp " + std::to_string(envelope.timestamp_ms)};
    return events;
  }
  events.decoded_type = type_name(envelope.payload);
  if (!channel_) {
    on_handshake(envelope.payload, events, now_ms);
    return events;
  }
  if (envelope.sender_id != session_.peer_node_id) {
    events.rejected =
        Rejection{RejectReason::Malformed,
                  "sender_id " + envelope.sender_id + " on the link of " + session_.peer_node_id};
    return events;
  }
  if (std::holds_alternative<HandshakeMsg>(envelope.payload) ||
      std::holds_alternative<HandshakeResponseMsg>(envelope.payload)) {
    events.rejected =
        Rejection{RejectReason::ProtocolViolation, "a handshake message on an established link"};
    return events;
  }
  events.message = std::move(envelope);
  return events;
}

} // namespace mycelium::protocol
