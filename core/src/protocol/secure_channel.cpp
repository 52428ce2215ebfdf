#include "mycelium/protocol/secure_channel.hpp"

#include "mycelium/error.hpp"

#include <sodium.h>

#include <algorithm>
#include <limits>

namespace mycelium::protocol {

namespace {

using AeadNonce = std::array<std::uint8_t, crypto_aead_chacha20poly1305_IETF_NPUBBYTES>;

// Noise's layout: 4 zero bytes, then the counter little-endian. The counter is never sent: both
// sides count, which is what makes any replay, reordering or loss visible.
AeadNonce nonce_for(std::uint64_t counter) {
  AeadNonce nonce{};
  for (std::size_t i = 4; i < nonce.size(); ++i, counter >>= 8)
    nonce[i] = static_cast<std::uint8_t>(counter);
  return nonce;
}

} // namespace

SecureChannel::SecureChannel(const SessionKeys &keys, std::size_t max_frame)
    : tx_(keys.tx), rx_(keys.rx), max_frame_(max_frame) {
  ensure_sodium();
}

SecureChannel::~SecureChannel() {
  sodium_memzero(tx_.data(), tx_.size());
  sodium_memzero(rx_.data(), rx_.size());
}

Bytes SecureChannel::seal(const std::uint8_t *data, std::size_t size) {
  if (size > max_frame_)
    throw Error(sqlstate::kInvalidParameterValue, "frame of " + std::to_string(size) +
                                                      " bytes exceeds the limit of " +
                                                      std::to_string(max_frame_));
  if (tx_counter_ == std::numeric_limits<std::uint64_t>::max())
    throw Error(sqlstate::kInvalidParameterValue, "channel exhausted: start a new handshake");
  const AeadNonce nonce = nonce_for(tx_counter_);
  Bytes out(size + kFrameTagSize);
  unsigned long long out_size = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &out_size, data, size, nullptr, 0, nullptr,
                                            nonce.data(), tx_.data());
  out.resize(out_size);
  ++tx_counter_;
  return out;
}

std::optional<Bytes> SecureChannel::open(const std::uint8_t *data, std::size_t size) {
  if (broken_ || size < kFrameTagSize || size - kFrameTagSize > max_frame_ ||
      rx_counter_ == std::numeric_limits<std::uint64_t>::max()) {
    broken_ = true;
    return std::nullopt;
  }
  const AeadNonce nonce = nonce_for(rx_counter_);
  // At least one byte so that data() is never null, even for an empty frame.
  Bytes out(std::max<std::size_t>(size - kFrameTagSize, 1));
  unsigned long long out_size = 0;
  if (crypto_aead_chacha20poly1305_ietf_decrypt(out.data(), &out_size, nullptr, data, size, nullptr,
                                                0, nonce.data(), rx_.data()) != 0) {
    // Without this, a dropped frame resent after its successor would open: stay broken.
    broken_ = true;
    return std::nullopt;
  }
  out.resize(out_size);
  ++rx_counter_;
  return out;
}

} // namespace mycelium::protocol
