// The envelope every message travels in (schemas/PROTOCOL.md, "Envelope"): binary (flatbuffers)
// and JSON forms, the checks every incoming buffer passes, and the signatures.
#pragma once

#include "mycelium/ed25519.hpp"
#include "mycelium/protocol/messages.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mycelium::protocol {

// A receiver accepts every minor version of its major (PROTOCOL.md, "Versions").
inline constexpr std::uint16_t kProtocolMajor = 1;
inline constexpr std::uint16_t kProtocolMinor = 3;
inline constexpr std::string_view kFileIdentifier = "MYC1";
inline constexpr std::size_t kNonceSize = 16;

// WebSocket subprotocols: the form of every message on a connection.
inline constexpr std::string_view kSubprotocolBinary = "mycelium.v1.flatbuffers";
inline constexpr std::string_view kSubprotocolJson = "mycelium.v1.json";

inline constexpr std::string_view kEnvelopeTag = "mycelium/v1/envelope";
inline constexpr std::string_view kGossipTag = "mycelium/v1/gossip";

using Nonce = std::array<std::uint8_t, kNonceSize>;

struct Envelope {
  std::uint16_t version_major = kProtocolMajor;
  std::uint16_t version_minor = kProtocolMinor;
  std::string sender_id;
  std::int64_t timestamp_ms = 0; // Unix milliseconds
  Nonce nonce{};
  Payload payload;
  Signature signature{};
};

// Why an incoming message was dropped. Every reason except UnknownMessage and Overloaded is
// the sender's fault and counts against the peer (PROTOCOL.md, "Rejections").
enum class RejectReason {
  Oversized,      // larger than DecodeLimits
  Malformed,      // not a valid Mycelium envelope (Verifier, identifier, lengths, UTF-8, ...)
  WrongVersion,   // version_major differs from kProtocolMajor
  MissingField,   // a required field is absent or empty
  UnknownMessage, // a payload type of a newer minor version: dropped, not held against anyone
  Stale,          // timestamp outside the replay window
  Replayed,       // (sender_id, nonce) seen within the window
  Overloaded,     // the replay guard is full (ReplayGuard::Limits); the message is not remembered
  BadSignature,   // the envelope's (or a gossip origin's) signature does not verify
  // Judged above decoding, by the link or the agent:
  ProtocolViolation, // a message this peer may not send now (a handshake message on a session,
                     // an address record or status for another node)
  RateLimited,       // sooner than the protocol allows (an address request within the interval)
  Undecryptable,     // a sealed frame that fails to open (the link closes)
};

// "oversized", "malformed", "wrong-version", ... : stable names for logs and metrics labels.
const char *to_string(RejectReason reason);

struct DecodeLimits {
  std::size_t max_bytes = 1 << 20;      // binary form
  std::size_t max_json_bytes = 4 << 20; // JSON form: byte arrays are lists of numbers
  std::uint32_t max_depth = 16;         // flatbuffers Verifier: nesting of tables and vectors
  std::uint32_t max_tables = 100000;    // flatbuffers Verifier: tables in one buffer
};

// Either an envelope or the reason it was refused, with a detail for the log.
class DecodeResult {
public:
  static DecodeResult accept(Envelope envelope);
  static DecodeResult reject(RejectReason reason, std::string detail);

  bool ok() const { return envelope_.has_value(); }
  explicit operator bool() const { return ok(); }
  // Only when ok().
  const Envelope &envelope() const { return *envelope_; }
  Envelope &envelope() { return *envelope_; }
  // Only when !ok().
  RejectReason reason() const { return reason_; }
  const std::string &detail() const { return detail_; }

private:
  std::optional<Envelope> envelope_;
  RejectReason reason_ = RejectReason::Malformed;
  std::string detail_;
};

// The binary form (a flatbuffer with identifier "MYC1"). Deterministic for one flatbuffers
// version, but only the signing bytes are canonical across implementations.
Bytes encode(const Envelope &envelope);

// Checks, in this order (PROTOCOL.md, "Checks on receipt"): size, identifier, flatbuffers
// Verifier, version_major, required fields, payload type, field lengths and text. Never reads
// a byte the Verifier has not checked; never throws for bad input. Does not check time,
// nonce or signature: those need a clock, state and the sender's key (ReplayGuard,
// verify_signature).
DecodeResult decode(const std::uint8_t *data, std::size_t size, const DecodeLimits &limits = {});
inline DecodeResult decode(const Bytes &buffer, const DecodeLimits &limits = {}) {
  return decode(buffer.data(), buffer.size(), limits);
}

// The JSON form, through flatbuffers' own parser and printer with the embedded schema. Byte
// fields are arrays of numbers; field names quoted (strict JSON).
// to_json throws Error 22023 for a buffer decode() refuses.
std::string to_json(const std::uint8_t *data, std::size_t size);
inline std::string to_json(const Bytes &buffer) {
  return to_json(buffer.data(), buffer.size());
}
// Throws Error 22023 with the parser's message if the text does not match the schema.
Bytes from_json(std::string_view json);
// An incoming JSON message: size check (Oversized), from_json (Malformed), then decode().
DecodeResult decode_json(std::string_view json, const DecodeLimits &limits = {});

// What the sender signs (PROTOCOL.md, "Signing bytes"): framed fields, not flatbuffer bytes,
// so that any implementation computes the same bytes from the values alone.
Bytes signing_bytes(const Envelope &envelope);
void sign(Envelope &envelope, const SecretKey &key);
bool verify_signature(const Envelope &envelope, const PublicKey &sender_key);

// 16 bytes from the operating system's random source.
Nonce random_nonce();
// Now, in Unix milliseconds (system clock).
std::int64_t now_ms();

// Gossip origin signatures (PROTOCOL.md, "Gossip signatures"). The signing bytes leave out
// ttl (relays change it) and message_id (which is their SHA-256).
Bytes gossip_signing_bytes(const Gossip &gossip);
MessageId gossip_message_id(const Gossip &gossip);
// Sets message_id and origin_signature; `key` is the origin's.
void sign_gossip(Gossip &gossip, const SecretKey &origin_key);
// True if message_id is the SHA-256 of the signing bytes and origin_signature verifies.
bool verify_gossip(const Gossip &gossip, const PublicKey &origin_key);

// Blacklist entries travel further than one hop too; created_by signs them.
Bytes blacklist_signing_bytes(const BlacklistEntry &entry);
void sign_blacklist_entry(BlacklistEntry &entry, const SecretKey &creator_key);
bool verify_blacklist_entry(const BlacklistEntry &entry, const PublicKey &creator_key);

} // namespace mycelium::protocol
