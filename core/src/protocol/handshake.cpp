// The two state machines over the steps in handshake_wire. Each keeps the transcript (every
// plaintext byte of the handshake, in order) and signs or verifies its hash, so a signature is
// only valid for one pair of ephemeral keys and randoms: that is what defeats replay and relay.
#include "mycelium/protocol/handshake.hpp"

#include "mycelium/protocol/handshake_wire.hpp"

#include <sodium.h>

#include <algorithm>
#include <utility>

namespace mycelium::protocol {

using Reason = HandshakeError::Reason;
using handshake::Bytes32;

namespace {

const char *sqlstate_for(Reason reason) {
  switch (reason) {
  case Reason::DecryptFailed:
  case Reason::BadSignature:
  case Reason::Refused:
  case Reason::PeerRefused:
    return sqlstate::kInvalidAuthorization;
  default:
    return sqlstate::kProtocolViolation;
  }
}

class SodiumRandom final : public RandomSource {
public:
  void fill(std::uint8_t *out, std::size_t size) override { randombytes_buf(out, size); }
};

[[noreturn]] void invalid(const std::string &message) {
  throw Error(sqlstate::kInvalidParameterValue, message);
}

} // namespace

std::string to_string(const Version &version) {
  return std::to_string(version.major) + "." + std::to_string(version.minor);
}

const char *to_string(HandshakeError::Reason reason) {
  switch (reason) {
  case Reason::Malformed:
    return "malformed";
  case Reason::IncompatibleVersion:
    return "incompatible version";
  case Reason::DecryptFailed:
    return "decrypt failed";
  case Reason::BadSignature:
    return "bad signature";
  case Reason::Refused:
    return "refused";
  case Reason::PeerRefused:
    return "peer refused";
  case Reason::UnexpectedMessage:
    return "unexpected message";
  }
  return "unknown";
}

HandshakeError::HandshakeError(Reason reason, const std::string &message)
    : Error(sqlstate_for(reason), message), reason_(reason) {}

RandomSource &system_random() {
  static SodiumRandom source;
  return source;
}

SessionKeys::~SessionKeys() {
  sodium_memzero(tx.data(), tx.size());
  sodium_memzero(rx.data(), rx.size());
}

Bytes refusal(const HandshakeError &error) {
  Bytes out;
  handshake::append_frame(out, handshake::kRefusalTag);
  handshake::append_u16(out, static_cast<std::uint16_t>(error.reason()));
  const std::string_view text(error.what());
  handshake::append_frame(out, text.substr(0, handshake::kMaxRefusalText));
  return out;
}

namespace detail {

struct HandshakeState {
  enum class Step { Fresh, SentHello, SentReply, Done, Failed };

  HandshakeState(Role role, const SecretKey &key, std::string node_id, Version version,
                 std::vector<std::string> features, Admit admit, RandomSource *random)
      : role(role), key(key), admit(std::move(admit)),
        random(random != nullptr ? random : &system_random()) {
    ensure_sodium();
    if (node_id.empty() || node_id.size() > handshake::kMaxNodeIdSize)
      invalid("node_id must be 1 to 255 bytes");
    if (version.major == 0)
      invalid("protocol major version 0 is reserved");
    std::sort(features.begin(), features.end());
    features.erase(std::unique(features.begin(), features.end()), features.end());
    try {
      handshake::check_features(features);
    } catch (const HandshakeError &e) {
      invalid(std::string("invalid feature list (names are 1-32 of [a-z0-9._-], at most 32): ") +
              e.what());
    }
    claim = {std::move(node_id), key.public_key()};
    offer = {version, std::move(features)};
  }
  ~HandshakeState() { wipe(); }

  // Runs one step; any failure leaves the handshake failed with its secrets erased.
  template <typename F> auto run(Step expected, const char *call, F &&step) {
    if (this->step != expected) {
      const std::string why = this->step == Step::Failed ? "the handshake already failed"
                              : this->step == Step::Done ? "the handshake is already complete"
                                                         : "out of order";
      // A completed session survives a stray call; a half-done handshake does not.
      if (this->step != Step::Done)
        fail();
      throw HandshakeError(Reason::UnexpectedMessage, std::string(call) + ": " + why);
    }
    try {
      return step();
    } catch (...) {
      fail();
      throw;
    }
  }

  void fail() {
    step = Step::Failed;
    wipe();
  }

  void wipe() {
    sodium_memzero(ephemeral_secret.data(), ephemeral_secret.size());
    sodium_memzero(shared.data(), shared.size());
    sodium_memzero(reply_key.data(), reply_key.size());
    sodium_memzero(finish_key.data(), finish_key.size());
  }

  // The order is part of the contract with RandomSource: ephemeral secret, then random.
  void draw_ephemeral(Bytes32 &ephemeral_public, Bytes32 &fresh_random) {
    random->fill(ephemeral_secret.data(), ephemeral_secret.size());
    random->fill(fresh_random.data(), fresh_random.size());
    ephemeral_public = handshake::ephemeral_public(ephemeral_secret);
  }

  // Once both ephemeral keys are in the transcript: the keys that seal msg2 and msg3.
  Bytes32 derive_handshake_keys(const Bytes32 &peer_ephemeral) {
    shared = handshake::dh(ephemeral_secret, peer_ephemeral);
    const Bytes32 h = handshake::transcript_hash(transcript);
    reply_key = handshake::derive_key(shared, h, handshake::kReplyKeyLabel);
    finish_key = handshake::derive_key(shared, h, handshake::kFinishKeyLabel);
    return h;
  }

  // Appends our body (`prefix` || claim) to the transcript, signs the hash, returns the body
  // with the signature frame.
  Bytes sign_body(Bytes body, std::string_view tag) {
    handshake::append_claim(body, claim);
    transcript.insert(transcript.end(), body.begin(), body.end());
    const Signature signature =
        key.sign(handshake::signed_payload(tag, handshake::transcript_hash(transcript)));
    handshake::append_frame(body, signature.data(), signature.size());
    handshake::append_frame(transcript, signature.data(), signature.size());
    return body;
  }

  // Verifies the peer's signature over the transcript up to its signature frame, then asks
  // `admit`. Only then is the claimed identity the peer's.
  void verify_peer(const Bytes &body, std::size_t signed_end, const handshake::Claim &peer,
                   const Signature &signature, std::string_view tag) {
    transcript.insert(transcript.end(), body.begin(), body.begin() + signed_end);
    if (!verify(signature, handshake::signed_payload(tag, handshake::transcript_hash(transcript)),
                peer.key))
      throw HandshakeError(Reason::BadSignature,
                           "the peer's handshake signature does not cover this session's "
                           "transcript (replayed, relayed or forged)");
    transcript.insert(transcript.end(), body.begin() + signed_end, body.end());
    if (admit && !admit(peer.node_id, peer.key))
      throw HandshakeError(Reason::Refused,
                           "node '" + handshake::printable(peer.node_id, 64) + "' is not admitted");
  }

  void complete(const handshake::Claim &peer) {
    session.role = role;
    session.peer_node_id = peer.node_id;
    session.peer_key = peer.key;
    session.version = agreed.version;
    session.features = agreed.features;
    session.session_id = handshake::transcript_hash(transcript);
    SymmetricKey i2r =
        handshake::derive_key(shared, session.session_id, handshake::kInitiatorToResponderLabel);
    SymmetricKey r2i =
        handshake::derive_key(shared, session.session_id, handshake::kResponderToInitiatorLabel);
    session.keys.tx = role == Role::Initiator ? i2r : r2i;
    session.keys.rx = role == Role::Initiator ? r2i : i2r;
    sodium_memzero(i2r.data(), i2r.size());
    sodium_memzero(r2i.data(), r2i.size());
    wipe();
    transcript.clear();
    step = Step::Done;
  }

  const Session &done_session() const {
    if (step != Step::Done)
      throw HandshakeError(Reason::UnexpectedMessage, "no session: the handshake is not complete");
    return session;
  }

  Role role;
  const SecretKey &key;
  Admit admit;
  RandomSource *random;
  handshake::Claim claim;  // ours
  handshake::Offer offer;  // ours
  handshake::Offer agreed; // after negotiation
  Step step = Step::Fresh;
  Bytes transcript;
  Bytes32 ephemeral_secret{};
  Bytes32 shared{};
  SymmetricKey reply_key{};
  SymmetricKey finish_key{};
  Bytes32 finish_ad{};
  Session session;
};

} // namespace detail

namespace {

detail::HandshakeState &live(const std::unique_ptr<detail::HandshakeState> &state) {
  if (!state)
    throw HandshakeError(Reason::UnexpectedMessage, "handshake object was moved from");
  return *state;
}

} // namespace

// --- Initiator ----------------------------------------------------------------------------------

Initiator::Initiator(const SecretKey &key, std::string node_id, Version version,
                     std::vector<std::string> features, Admit admit, RandomSource *random)
    : state_(std::make_unique<detail::HandshakeState>(Role::Initiator, key, std::move(node_id),
                                                      version, std::move(features),
                                                      std::move(admit), random)) {}
Initiator::~Initiator() = default;
Initiator::Initiator(Initiator &&) noexcept = default;
Initiator &Initiator::operator=(Initiator &&) noexcept = default;

Bytes Initiator::start() {
  detail::HandshakeState &s = live(state_);
  using Step = detail::HandshakeState::Step;
  return s.run(Step::Fresh, "start()", [&] {
    handshake::Hello hello;
    hello.offer = s.offer;
    s.draw_ephemeral(hello.ephemeral, hello.random);
    Bytes msg1 = handshake::encode_hello(hello);
    handshake::append_frame(s.transcript, handshake::kPrologue);
    s.transcript.insert(s.transcript.end(), msg1.begin(), msg1.end());
    s.step = Step::SentHello;
    return msg1;
  });
}

Bytes Initiator::on_response(const Bytes &reply) {
  detail::HandshakeState &s = live(state_);
  using Step = detail::HandshakeState::Step;
  return s.run(Step::SentHello, "on_response()", [&] {
    handshake::throw_if_refusal(reply);
    const handshake::Reply msg2 = handshake::decode_reply(reply);
    const Bytes header = handshake::reply_header(msg2.ephemeral, msg2.random);
    s.transcript.insert(s.transcript.end(), header.begin(), header.end());
    const Bytes32 h = s.derive_handshake_keys(msg2.ephemeral);

    const std::optional<Bytes> body = handshake::open_once(s.reply_key, h, msg2.sealed);
    if (!body)
      throw HandshakeError(Reason::DecryptFailed,
                           "the handshake reply does not decrypt (tampered, replayed, or relayed "
                           "with other ephemeral keys)");
    const handshake::ReplyBody peer = handshake::decode_reply_body(*body);
    s.agreed = handshake::negotiate(s.offer, peer.offer, Role::Initiator);
    s.verify_peer(*body, peer.signed_end, peer.claim, peer.signature,
                  handshake::kResponderSignatureTag);

    const Bytes32 ad = handshake::transcript_hash(s.transcript);
    const Bytes ours = s.sign_body({}, handshake::kInitiatorSignatureTag);
    Bytes msg3 = handshake::encode_finish(handshake::seal_once(s.finish_key, ad, ours));
    s.complete(peer.claim);
    return msg3;
  });
}

const Session &Initiator::session() const {
  return live(state_).done_session();
}

bool Initiator::done() const {
  return state_ && state_->step == detail::HandshakeState::Step::Done;
}

// --- Responder ----------------------------------------------------------------------------------

Responder::Responder(const SecretKey &key, std::string node_id, Version version,
                     std::vector<std::string> features, Admit admit, RandomSource *random)
    : state_(std::make_unique<detail::HandshakeState>(Role::Responder, key, std::move(node_id),
                                                      version, std::move(features),
                                                      std::move(admit), random)) {}
Responder::~Responder() = default;
Responder::Responder(Responder &&) noexcept = default;
Responder &Responder::operator=(Responder &&) noexcept = default;

Bytes Responder::on_hello(const Bytes &hello) {
  detail::HandshakeState &s = live(state_);
  using Step = detail::HandshakeState::Step;
  return s.run(Step::Fresh, "on_hello()", [&] {
    const handshake::Hello msg1 = handshake::decode_hello(hello);
    // Refuse an incompatible peer before spending a DH and a signature on it.
    s.agreed = handshake::negotiate(s.offer, msg1.offer, Role::Responder);

    handshake::Reply msg2;
    s.draw_ephemeral(msg2.ephemeral, msg2.random);
    handshake::append_frame(s.transcript, handshake::kPrologue);
    s.transcript.insert(s.transcript.end(), hello.begin(), hello.end());
    const Bytes header = handshake::reply_header(msg2.ephemeral, msg2.random);
    s.transcript.insert(s.transcript.end(), header.begin(), header.end());
    const Bytes32 h = s.derive_handshake_keys(msg1.ephemeral);

    // Our own offer, not the agreement: the initiator computes the same intersection.
    Bytes body;
    handshake::append_offer(body, s.offer);
    body = s.sign_body(std::move(body), handshake::kResponderSignatureTag);
    s.finish_ad = handshake::transcript_hash(s.transcript);
    msg2.sealed = handshake::seal_once(s.reply_key, h, body);
    s.step = Step::SentReply;
    return handshake::encode_reply(msg2);
  });
}

void Responder::on_finish(const Bytes &finish) {
  detail::HandshakeState &s = live(state_);
  using Step = detail::HandshakeState::Step;
  s.run(Step::SentReply, "on_finish()", [&] {
    handshake::throw_if_refusal(finish);
    const std::optional<Bytes> body =
        handshake::open_once(s.finish_key, s.finish_ad, handshake::decode_finish(finish));
    if (!body)
      throw HandshakeError(Reason::DecryptFailed,
                           "the handshake finish does not decrypt (tampered, replayed, or "
                           "relayed with other ephemeral keys)");
    const handshake::FinishBody peer = handshake::decode_finish_body(*body);
    s.verify_peer(*body, peer.signed_end, peer.claim, peer.signature,
                  handshake::kInitiatorSignatureTag);
    s.complete(peer.claim);
  });
}

const Session &Responder::session() const {
  return live(state_).done_session();
}

bool Responder::done() const {
  return state_ && state_->step == detail::HandshakeState::Step::Done;
}

} // namespace mycelium::protocol
