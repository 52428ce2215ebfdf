// The peer handshake (schemas/PROTOCOL.md, "Handshake and secure channel"): three messages that
// give two nodes a session bound to both Ed25519 identities and fresh X25519 ephemeral keys.
// Pure logic: the caller moves the bytes (WebSocket, test harness) and checks the peer's claimed
// identity against its registry, here or through the `admit` callback.
#pragma once

#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"
#include "mycelium/signing.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mycelium::protocol {

struct Version {
  std::uint16_t major = 0;
  std::uint16_t minor = 0;
};
std::string to_string(const Version &version); // "1.2"

// Every failure of a handshake. A handshake that failed once stays failed: start again with new
// Initiator/Responder objects (and fresh randomness).
class HandshakeError : public Error {
public:
  enum class Reason : std::uint16_t {
    Malformed = 1,           // bytes that do not parse, or a low-order ephemeral key
    IncompatibleVersion = 2, // different major versions; the message names both
    DecryptFailed = 3,       // a sealed part fails to open: tampered, replayed or relayed
    BadSignature = 4,        // the peer's signature does not cover our transcript
    Refused = 5,             // our `admit` callback refused the peer's identity
    PeerRefused = 6,         // the peer sent a refusal (reason and text from the peer)
    UnexpectedMessage = 7,   // a call in the wrong state
  };
  HandshakeError(Reason reason, const std::string &message);
  Reason reason() const noexcept { return reason_; }

private:
  Reason reason_;
};
const char *to_string(HandshakeError::Reason reason);

// Where ephemeral secrets and handshake randoms come from. Each side draws 32 bytes for its
// ephemeral X25519 secret, then its 32-byte random; tests pass a deterministic source.
class RandomSource {
public:
  virtual ~RandomSource() = default;
  virtual void fill(std::uint8_t *out, std::size_t size) = 0;
};
RandomSource &system_random(); // libsodium's randombytes_buf

using SymmetricKey = std::array<std::uint8_t, 32>;

// Traffic keys from this side's point of view: `tx` seals what we send, `rx` opens what we
// receive. The initiator's tx is the responder's rx and vice versa. Zeroed on destruction.
struct SessionKeys {
  SymmetricKey tx{};
  SymmetricKey rx{};
  SessionKeys() = default;
  SessionKeys(const SessionKeys &) = default;
  SessionKeys &operator=(const SessionKeys &) = default;
  ~SessionKeys();
};

enum class Role : std::uint8_t { Initiator, Responder };

struct Session {
  Role role = Role::Initiator;
  // The peer's claimed identity, proven by its signature; whether it is a registered, active
  // node is the caller's question (or the `admit` callback's).
  std::string peer_node_id;
  PublicKey peer_key{};
  Version version{};                 // same major, the smaller minor
  std::vector<std::string> features; // sorted intersection of both offers
  SessionKeys keys;
  std::array<std::uint8_t, 32> session_id{}; // BLAKE2b-256 of the whole transcript
};

// Consulted with the peer's proven identity before the handshake completes; false refuses it
// (HandshakeError::Refused).
using Admit = std::function<bool(const std::string &node_id, const PublicKey &key)>;

namespace detail {
struct HandshakeState;
}

// `version` is the protocol version this node speaks (envelope.hpp's kProtocolMajor/Minor).
// Features are 1..32 bytes of [a-z0-9._-], at most 32 of them; the constructors sort and
// deduplicate ours and throw Error 22023 for an invalid name, node_id (1..255 bytes) or major 0.
// `key` and `random` must outlive the object; `random` defaults to system_random().
class Initiator {
public:
  Initiator(const SecretKey &key, std::string node_id, Version version,
            std::vector<std::string> features, Admit admit = nullptr,
            RandomSource *random = nullptr);
  ~Initiator();
  Initiator(Initiator &&) noexcept;
  Initiator &operator=(Initiator &&) noexcept;

  Bytes start();                         // msg1 (hello)
  Bytes on_response(const Bytes &reply); // msg2 in, msg3 (finish) out; the session is ready
  const Session &session() const;        // after on_response
  bool done() const;

private:
  std::unique_ptr<detail::HandshakeState> state_;
};

class Responder {
public:
  Responder(const SecretKey &key, std::string node_id, Version version,
            std::vector<std::string> features, Admit admit = nullptr,
            RandomSource *random = nullptr);
  ~Responder();
  Responder(Responder &&) noexcept;
  Responder &operator=(Responder &&) noexcept;

  Bytes on_hello(const Bytes &hello);  // msg1 in, msg2 (reply) out
  void on_finish(const Bytes &finish); // msg3 in; the session is ready
  const Session &session() const;      // after on_finish
  bool done() const;

private:
  std::unique_ptr<detail::HandshakeState> state_;
};

// An unauthenticated refusal to send in place of the next handshake message, so that the peer
// learns why (an incompatible version above all). The peer's on_response/on_finish throws
// HandshakeError with the same reason and a message quoting `error.what()` (sanitised, at most
// 200 bytes). Anyone on the path could forge one, but they could as well cut the connection.
Bytes refusal(const HandshakeError &error);

} // namespace mycelium::protocol
