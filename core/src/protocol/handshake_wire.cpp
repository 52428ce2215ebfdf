#include "mycelium/protocol/handshake_wire.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>

namespace mycelium::protocol::handshake {

namespace {

using Reason = HandshakeError::Reason;

[[noreturn]] void malformed(const std::string &what) {
  throw HandshakeError(Reason::Malformed, "malformed handshake message: " + what);
}

void check_size(const Bytes &message) {
  if (message.size() > kMaxMessageSize)
    malformed("longer than " + std::to_string(kMaxMessageSize) + " bytes");
}

bool valid_feature(std::string_view name) {
  if (name.empty() || name.size() > kMaxFeatureSize)
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

// True when `message` starts with frame(tag): lets a refusal be told apart from msg2/msg3.
bool starts_with_frame(const Bytes &message, std::string_view tag) {
  Bytes expected;
  append_frame(expected, tag);
  return message.size() >= expected.size() &&
         std::equal(expected.begin(), expected.end(), message.begin());
}

} // namespace

void append_frame(Bytes &out, const std::uint8_t *data, std::size_t size) {
  // Every caller passes far less than kMaxMessageSize; the check keeps the u32 honest.
  if (size > std::numeric_limits<std::uint32_t>::max())
    malformed("field longer than 4 GiB");
  const auto n = static_cast<std::uint32_t>(size);
  const std::uint8_t prefix[4] = {static_cast<std::uint8_t>(n >> 24),
                                  static_cast<std::uint8_t>(n >> 16),
                                  static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  out.insert(out.end(), std::begin(prefix), std::end(prefix));
  out.insert(out.end(), data, data + size);
}

void append_frame(Bytes &out, std::string_view text) {
  append_frame(out, reinterpret_cast<const std::uint8_t *>(text.data()), text.size());
}

void append_u16(Bytes &out, std::uint16_t value) {
  const std::uint8_t be[2] = {static_cast<std::uint8_t>(value >> 8),
                              static_cast<std::uint8_t>(value)};
  append_frame(out, be, sizeof be);
}

std::string_view FrameReader::next(std::size_t max_size, const char *field) {
  if (size_ - pos_ < 4)
    malformed(std::string("missing ") + field);
  const std::uint32_t n = (std::uint32_t{data_[pos_]} << 24) |
                          (std::uint32_t{data_[pos_ + 1]} << 16) |
                          (std::uint32_t{data_[pos_ + 2]} << 8) | std::uint32_t{data_[pos_ + 3]};
  if (n > max_size)
    malformed(std::string(field) + " longer than " + std::to_string(max_size) + " bytes");
  if (size_ - pos_ - 4 < n)
    malformed(std::string(field) + " truncated");
  const auto *start = reinterpret_cast<const char *>(data_ + pos_ + 4);
  pos_ += 4 + n;
  return {start, n};
}

void FrameReader::fixed(std::uint8_t *out, std::size_t size, const char *field) {
  const std::string_view bytes = next(size, field);
  if (bytes.size() != size)
    malformed(std::string(field) + " must be " + std::to_string(size) + " bytes");
  std::memcpy(out, bytes.data(), size);
}

std::uint16_t FrameReader::u16(const char *field) {
  std::uint8_t be[2];
  fixed(be, sizeof be, field);
  return static_cast<std::uint16_t>((be[0] << 8) | be[1]);
}

void FrameReader::expect_tag(std::string_view tag) {
  if (next(tag.size(), "tag") != tag)
    malformed(std::string("expected ") + std::string(tag));
}

void FrameReader::finish() const {
  if (pos_ != size_)
    malformed("unexpected bytes after the last field");
}

void check_features(const std::vector<std::string> &features) {
  if (features.size() > kMaxFeatures)
    malformed("more than " + std::to_string(kMaxFeatures) + " features");
  for (std::size_t i = 0; i < features.size(); ++i) {
    if (!valid_feature(features[i]))
      malformed("invalid feature name");
    // Strictly ascending: one offer has exactly one encoding, and no duplicates.
    if (i > 0 && !(features[i - 1] < features[i]))
      malformed("features not sorted and unique");
  }
}

void append_offer(Bytes &out, const Offer &offer) {
  append_u16(out, offer.version.major);
  append_u16(out, offer.version.minor);
  append_u16(out, static_cast<std::uint16_t>(offer.features.size()));
  for (const std::string &feature : offer.features)
    append_frame(out, feature);
}

Offer read_offer(FrameReader &in) {
  Offer offer;
  offer.version.major = in.u16("major version");
  offer.version.minor = in.u16("minor version");
  const std::uint16_t count = in.u16("feature count");
  if (count > kMaxFeatures)
    malformed("more than " + std::to_string(kMaxFeatures) + " features");
  for (std::uint16_t i = 0; i < count; ++i)
    offer.features.emplace_back(in.next(kMaxFeatureSize, "feature"));
  check_features(offer.features);
  return offer;
}

Offer negotiate(const Offer &ours, const Offer &theirs, Role our_role) {
  if (ours.version.major != theirs.version.major) {
    const Version &initiator = our_role == Role::Initiator ? ours.version : theirs.version;
    const Version &responder = our_role == Role::Initiator ? theirs.version : ours.version;
    throw HandshakeError(Reason::IncompatibleVersion,
                         "incompatible protocol version: the initiator speaks " +
                             to_string(initiator) + ", the responder speaks " +
                             to_string(responder) + " (major versions must match)");
  }
  Offer agreed;
  agreed.version = {ours.version.major, std::min(ours.version.minor, theirs.version.minor)};
  std::set_intersection(ours.features.begin(), ours.features.end(), theirs.features.begin(),
                        theirs.features.end(), std::back_inserter(agreed.features));
  return agreed;
}

Bytes encode_hello(const Hello &hello) {
  Bytes out;
  append_frame(out, kHelloTag);
  append_offer(out, hello.offer);
  append_frame(out, hello.ephemeral.data(), hello.ephemeral.size());
  append_frame(out, hello.random.data(), hello.random.size());
  return out;
}

Hello decode_hello(const Bytes &msg1) {
  check_size(msg1);
  FrameReader in(msg1);
  in.expect_tag(kHelloTag);
  Hello hello;
  hello.offer = read_offer(in);
  in.fixed(hello.ephemeral.data(), hello.ephemeral.size(), "ephemeral key");
  in.fixed(hello.random.data(), hello.random.size(), "random");
  in.finish();
  return hello;
}

Bytes reply_header(const Bytes32 &ephemeral, const Bytes32 &random) {
  Bytes out;
  append_frame(out, kReplyTag);
  append_frame(out, ephemeral.data(), ephemeral.size());
  append_frame(out, random.data(), random.size());
  return out;
}

Bytes encode_reply(const Reply &reply) {
  Bytes out = reply_header(reply.ephemeral, reply.random);
  append_frame(out, reply.sealed.data(), reply.sealed.size());
  return out;
}

Reply decode_reply(const Bytes &msg2) {
  check_size(msg2);
  FrameReader in(msg2);
  in.expect_tag(kReplyTag);
  Reply reply;
  in.fixed(reply.ephemeral.data(), reply.ephemeral.size(), "ephemeral key");
  in.fixed(reply.random.data(), reply.random.size(), "random");
  const std::string_view sealed = in.next(kMaxMessageSize, "sealed reply");
  reply.sealed.assign(sealed.begin(), sealed.end());
  in.finish();
  return reply;
}

Bytes encode_finish(const Bytes &sealed) {
  Bytes out;
  append_frame(out, kFinishTag);
  append_frame(out, sealed.data(), sealed.size());
  return out;
}

Bytes decode_finish(const Bytes &msg3) {
  check_size(msg3);
  FrameReader in(msg3);
  in.expect_tag(kFinishTag);
  const std::string_view sealed = in.next(kMaxMessageSize, "sealed finish");
  in.finish();
  return Bytes(sealed.begin(), sealed.end());
}

void append_claim(Bytes &out, const Claim &claim) {
  append_frame(out, claim.node_id);
  append_frame(out, claim.key.data(), claim.key.size());
}

Claim read_claim(FrameReader &in) {
  Claim claim;
  claim.node_id = std::string(in.next(kMaxNodeIdSize, "node_id"));
  if (claim.node_id.empty())
    malformed("empty node_id");
  in.fixed(claim.key.data(), claim.key.size(), "public key");
  return claim;
}

ReplyBody decode_reply_body(const Bytes &body) {
  FrameReader in(body);
  ReplyBody out;
  out.offer = read_offer(in);
  out.claim = read_claim(in);
  out.signed_end = in.position();
  in.fixed(out.signature.data(), out.signature.size(), "signature");
  in.finish();
  return out;
}

FinishBody decode_finish_body(const Bytes &body) {
  FrameReader in(body);
  FinishBody out;
  out.claim = read_claim(in);
  out.signed_end = in.position();
  in.fixed(out.signature.data(), out.signature.size(), "signature");
  in.finish();
  return out;
}

std::string printable(std::string_view text, std::size_t max) {
  std::string out(text.substr(0, max));
  for (char &c : out)
    if (c < 0x20 || c > 0x7e)
      c = '?';
  return out;
}

void throw_if_refusal(const Bytes &message) {
  if (!starts_with_frame(message, kRefusalTag))
    return;
  check_size(message);
  FrameReader in(message);
  in.expect_tag(kRefusalTag);
  const std::uint16_t code = in.u16("reason");
  const std::string text = printable(in.next(kMaxRefusalText, "reason text"), kMaxRefusalText);
  in.finish();
  const auto reason = static_cast<Reason>(code);
  const bool version = reason == Reason::IncompatibleVersion;
  const char *name = code >= 1 && code <= 7 ? to_string(reason) : "unknown";
  throw HandshakeError(version ? Reason::IncompatibleVersion : Reason::PeerRefused,
                       std::string("the peer refused the handshake (") + name + "): " + text);
}

Bytes32 transcript_hash(const Bytes &transcript) {
  Bytes32 out;
  crypto_generichash(out.data(), out.size(), transcript.data(), transcript.size(), nullptr, 0);
  return out;
}

Bytes32 ephemeral_public(const Bytes32 &secret) {
  ensure_sodium();
  Bytes32 out;
  crypto_scalarmult_base(out.data(), secret.data());
  return out;
}

Bytes32 dh(const Bytes32 &secret, const Bytes32 &peer_public) {
  Bytes32 out;
  // libsodium refuses (returns -1) when the result is all zeros, i.e. the peer sent a low-order
  // point that would make the "shared" secret known to everyone.
  if (crypto_scalarmult(out.data(), secret.data(), peer_public.data()) != 0)
    malformed("ephemeral key is a low-order point");
  return out;
}

SymmetricKey derive_key(const Bytes32 &dh_output, const Bytes32 &salt, std::string_view label) {
  // HKDF's shape with keyed BLAKE2b: extract with the (public) transcript hash as salt, then
  // expand with a label per key, so every key is bound to the DH secret and the transcript.
  Bytes32 prk;
  crypto_generichash(prk.data(), prk.size(), dh_output.data(), dh_output.size(), salt.data(),
                     salt.size());
  Bytes info;
  append_frame(info, label);
  SymmetricKey key;
  crypto_generichash(key.data(), key.size(), info.data(), info.size(), prk.data(), prk.size());
  sodium_memzero(prk.data(), prk.size());
  return key;
}

Bytes signed_payload(std::string_view tag, const Bytes32 &hash) {
  return PayloadWriter(tag).frame(hash.data(), hash.size()).take();
}

Bytes seal_once(const SymmetricKey &key, const Bytes32 &ad, const Bytes &plaintext) {
  const std::uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES] = {};
  Bytes out(plaintext.size() + crypto_aead_chacha20poly1305_IETF_ABYTES);
  unsigned long long size = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &size, plaintext.data(), plaintext.size(),
                                            ad.data(), ad.size(), nullptr, nonce, key.data());
  out.resize(size);
  return out;
}

std::optional<Bytes> open_once(const SymmetricKey &key, const Bytes32 &ad, const Bytes &sealed) {
  if (sealed.size() < crypto_aead_chacha20poly1305_IETF_ABYTES)
    return std::nullopt;
  const std::uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES] = {};
  // At least one byte so that data() is never null, which libsodium does not accept.
  Bytes out(std::max<std::size_t>(sealed.size() - crypto_aead_chacha20poly1305_IETF_ABYTES, 1));
  unsigned long long size = 0;
  if (crypto_aead_chacha20poly1305_ietf_decrypt(out.data(), &size, nullptr, sealed.data(),
                                                sealed.size(), ad.data(), ad.size(), nonce,
                                                key.data()) != 0)
    return std::nullopt;
  out.resize(size);
  return out;
}

} // namespace mycelium::protocol::handshake
