// Frames after the handshake (schemas/PROTOCOL.md, "Handshake and secure channel"): each frame is
// ChaCha20-Poly1305 (IETF) under the session's direction key, with an implicit 64-bit counter as
// the nonce. The transport delivers frames in order (TCP, WebSocket), so a frame that is replayed,
// reordered, dropped or altered fails to open, and the channel stays broken from then on.
#pragma once

#include "mycelium/protocol/handshake.hpp"
#include "mycelium/signing.hpp"

#include <cstdint>
#include <optional>

namespace mycelium::protocol {

inline constexpr std::size_t kFrameTagSize = 16;          // Poly1305 tag per frame
inline constexpr std::size_t kDefaultMaxFrame = 1u << 20; // plaintext bytes per frame

class SecureChannel {
public:
  // Copies the keys (the caller's Session may go away); zeroes its copy on destruction.
  explicit SecureChannel(const SessionKeys &keys, std::size_t max_frame = kDefaultMaxFrame);
  ~SecureChannel();
  SecureChannel(const SecureChannel &) = delete;
  SecureChannel &operator=(const SecureChannel &) = delete;

  // Ciphertext || tag (size + 16 bytes). Throws Error 22023 above max_frame, and once 2^64 - 1
  // frames have been sent (the nonce would repeat; a new handshake is needed long before).
  Bytes seal(const std::uint8_t *data, std::size_t size);
  Bytes seal(const Bytes &plaintext) { return seal(plaintext.data(), plaintext.size()); }

  // The plaintext of the next frame, or nullopt if it is not exactly the next frame the peer
  // sealed (or is larger than max_frame + 16). After one failure every later call fails.
  std::optional<Bytes> open(const std::uint8_t *data, std::size_t size);
  std::optional<Bytes> open(const Bytes &frame) { return open(frame.data(), frame.size()); }

  bool broken() const { return broken_; }
  std::uint64_t frames_sent() const { return tx_counter_; }
  std::uint64_t frames_received() const { return rx_counter_; }

private:
  SymmetricKey tx_{};
  SymmetricKey rx_{};
  std::size_t max_frame_;
  std::uint64_t tx_counter_ = 0;
  std::uint64_t rx_counter_ = 0;
  bool broken_ = false;
};

} // namespace mycelium::protocol
