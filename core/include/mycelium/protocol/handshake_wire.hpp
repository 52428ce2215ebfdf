// The handshake's bytes and key schedule (schemas/PROTOCOL.md, "Handshake and secure channel"),
// one function per step. Initiator/Responder are built from these; tests use them to play the
// attacker (a relay with its own ephemeral keys, a replayed signature), and test vectors can be
// made from them. Every decoder is strict: exact field sizes, no trailing bytes.
#pragma once

#include "mycelium/ed25519.hpp"
#include "mycelium/protocol/handshake.hpp"
#include "mycelium/signing.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mycelium::protocol::handshake {

using Bytes32 = std::array<std::uint8_t, 32>;

// Every transcript starts with frame(kPrologue).
inline constexpr std::string_view kPrologue = "mycelium/v1/handshake";
inline constexpr std::string_view kHelloTag = "mycelium/v1/handshake/hello";
inline constexpr std::string_view kReplyTag = "mycelium/v1/handshake/reply";
inline constexpr std::string_view kFinishTag = "mycelium/v1/handshake/finish";
inline constexpr std::string_view kRefusalTag = "mycelium/v1/handshake/refusal";
// Role-specific signature tags: a responder's signature can never pass as an initiator's.
inline constexpr std::string_view kResponderSignatureTag = "mycelium/v1/handshake/responder";
inline constexpr std::string_view kInitiatorSignatureTag = "mycelium/v1/handshake/initiator";
// Key labels.
inline constexpr std::string_view kReplyKeyLabel = "mycelium/v1/handshake/reply-key";
inline constexpr std::string_view kFinishKeyLabel = "mycelium/v1/handshake/finish-key";
inline constexpr std::string_view kInitiatorToResponderLabel = "mycelium/v1/initiator-to-responder";
inline constexpr std::string_view kResponderToInitiatorLabel = "mycelium/v1/responder-to-initiator";

inline constexpr std::size_t kMaxNodeIdSize = 255;
inline constexpr std::size_t kMaxFeatureSize = 32;
inline constexpr std::size_t kMaxFeatures = 32;
inline constexpr std::size_t kMaxMessageSize = 4096; // far above any valid message
inline constexpr std::size_t kMaxRefusalText = 200;

// frame(bytes) = u32 big-endian length || bytes, as in schemas/SIGNING.md.
void append_frame(Bytes &out, const std::uint8_t *data, std::size_t size);
void append_frame(Bytes &out, std::string_view text);
void append_u16(Bytes &out, std::uint16_t value); // frame of 2 bytes, big-endian

// Reads frames front to back; any shortfall, oversize or wrong fixed size throws Malformed.
class FrameReader {
public:
  FrameReader(const std::uint8_t *data, std::size_t size) : data_(data), size_(size) {}
  explicit FrameReader(const Bytes &bytes) : FrameReader(bytes.data(), bytes.size()) {}
  std::string_view next(std::size_t max_size, const char *field);
  void fixed(std::uint8_t *out, std::size_t size, const char *field);
  std::uint16_t u16(const char *field);
  void expect_tag(std::string_view tag);
  std::size_t position() const { return pos_; }
  void finish() const; // no bytes may follow the last field

private:
  const std::uint8_t *data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// A version and a sorted, duplicate-free feature list.
struct Offer {
  Version version;
  std::vector<std::string> features;
};
void append_offer(Bytes &out, const Offer &offer);
Offer read_offer(FrameReader &in);
// Throws Malformed unless every feature is valid and the list strictly ascending.
void check_features(const std::vector<std::string> &features);

// Same major or IncompatibleVersion (naming the initiator's and the responder's version); the
// smaller minor; the intersection of the features.
Offer negotiate(const Offer &ours, const Offer &theirs, Role our_role);

// msg1 = frame(kHelloTag) || offer || frame(ephemeral) || frame(random)
struct Hello {
  Offer offer;
  Bytes32 ephemeral{};
  Bytes32 random{};
};
Bytes encode_hello(const Hello &hello);
Hello decode_hello(const Bytes &msg1);

// msg2 = header || frame(sealed), header = frame(kReplyTag) || frame(ephemeral) || frame(random)
struct Reply {
  Bytes32 ephemeral{};
  Bytes32 random{};
  Bytes sealed;
};
Bytes reply_header(const Bytes32 &ephemeral, const Bytes32 &random);
Bytes encode_reply(const Reply &reply);
Reply decode_reply(const Bytes &msg2);

// msg3 = frame(kFinishTag) || frame(sealed)
Bytes encode_finish(const Bytes &sealed);
Bytes decode_finish(const Bytes &msg3);

// Who a side claims to be; the sealed bodies end with frame(signature) after it.
struct Claim {
  std::string node_id;
  PublicKey key{};
};
void append_claim(Bytes &out, const Claim &claim);
Claim read_claim(FrameReader &in);

// Reply body: offer || claim || frame(signature); finish body: claim || frame(signature).
// `signed_end` is the length of the part before the signature frame.
struct ReplyBody {
  Offer offer;
  Claim claim;
  Signature signature{};
  std::size_t signed_end = 0;
};
ReplyBody decode_reply_body(const Bytes &body);
struct FinishBody {
  Claim claim;
  Signature signature{};
  std::size_t signed_end = 0;
};
FinishBody decode_finish_body(const Bytes &body);

// Peer-chosen text for an error message (it reaches logs): at most `max` bytes, every byte
// outside printable ASCII replaced by '?'.
std::string printable(std::string_view text, std::size_t max);

// Recognises a refusal and throws it as HandshakeError; returns if `message` is not one.
void throw_if_refusal(const Bytes &message);

// --- Key schedule -------------------------------------------------------------------------------

Bytes32 transcript_hash(const Bytes &transcript); // BLAKE2b-256
Bytes32 ephemeral_public(const Bytes32 &secret);  // X25519 base point multiplication
// X25519; a low-order peer key (all-zero result) throws Malformed.
Bytes32 dh(const Bytes32 &secret, const Bytes32 &peer_public);
// prk = BLAKE2b-256(key = salt, message = dh); key = BLAKE2b-256(key = prk, frame(label)).
SymmetricKey derive_key(const Bytes32 &dh_output, const Bytes32 &salt, std::string_view label);
// What each side signs: frame(tag) || frame(transcript hash).
Bytes signed_payload(std::string_view tag, const Bytes32 &hash);

// ChaCha20-Poly1305 (IETF) with nonce 0: each handshake key seals exactly one message.
Bytes seal_once(const SymmetricKey &key, const Bytes32 &ad, const Bytes &plaintext);
std::optional<Bytes> open_once(const SymmetricKey &key, const Bytes32 &ad, const Bytes &sealed);

} // namespace mycelium::protocol::handshake
