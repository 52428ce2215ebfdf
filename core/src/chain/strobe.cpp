#include "mycelium/chain/strobe.hpp"

#include "mycelium/error.hpp"

#include <sodium.h>

#include <cstring>

namespace mycelium::chain {

namespace {

// The sponge's rate for 128-bit security: 1600 / 8 - 2 * 128 / 8 - 2 bytes. The two bytes kept
// back hold the operation's start position and the padding.
constexpr std::uint8_t kRate = 166;

// Operation flags (STROBE, section 6.2): inbound, application, cipher, transport, meta, keytree.
constexpr std::uint8_t kFlagI = 1;
constexpr std::uint8_t kFlagA = 1 << 1;
constexpr std::uint8_t kFlagC = 1 << 2;
constexpr std::uint8_t kFlagM = 1 << 4;
constexpr std::uint8_t kFlagK = 1 << 5;

} // namespace

Strobe128::Strobe128(const std::uint8_t *protocol_label, std::size_t size) {
  // The initial block: domain bytes [1, rate + 2, 1, 0, 1, 12 * 8] and the version string,
  // permuted once (STROBE, section 5.1).
  const std::uint8_t domain[6] = {1, kRate + 2, 1, 0, 1, 96};
  std::memcpy(state_, domain, sizeof domain);
  std::memcpy(state_ + sizeof domain, "STROBEv1.0.2", 12);
  keccak_f1600(state_);
  meta_ad(protocol_label, size, false);
}

Strobe128::~Strobe128() {
  sodium_memzero(state_, sizeof state_);
}

void Strobe128::meta_ad(const std::uint8_t *data, std::size_t size, bool more) {
  begin_op(kFlagM | kFlagA, more);
  absorb(data, size);
}

void Strobe128::ad(const std::uint8_t *data, std::size_t size, bool more) {
  begin_op(kFlagA, more);
  absorb(data, size);
}

void Strobe128::prf(std::uint8_t *out, std::size_t size, bool more) {
  begin_op(kFlagI | kFlagA | kFlagC, more);
  squeeze(out, size);
}

void Strobe128::key(const std::uint8_t *data, std::size_t size, bool more) {
  begin_op(kFlagA | kFlagC, more);
  overwrite(data, size);
}

void Strobe128::begin_op(std::uint8_t flags, bool more) {
  if (more) {
    // Continuing an operation is only meaningful with the same flags; a caller doing otherwise
    // is a bug in this library, not bad input.
    if (flags != cur_flags_)
      throw Error(sqlstate::kInternalError, "STROBE: an operation continued with other flags");
    return;
  }
  const std::uint8_t old_begin = pos_begin_;
  pos_begin_ = static_cast<std::uint8_t>(pos_ + 1);
  cur_flags_ = flags;
  const std::uint8_t header[2] = {old_begin, flags};
  absorb(header, sizeof header);
  // Cipher and keytree operations start on a fresh block, so that their output depends on
  // everything absorbed before them.
  if ((flags & (kFlagC | kFlagK)) != 0 && pos_ != 0)
    run_f();
}

void Strobe128::run_f() {
  state_[pos_] ^= pos_begin_;
  state_[pos_ + 1] ^= 0x04;
  state_[kRate + 1] ^= 0x80;
  keccak_f1600(state_);
  pos_ = 0;
  pos_begin_ = 0;
}

// The position advances with the data's length only, never with its value: these loops take
// the same path for every secret of a given length.
void Strobe128::absorb(const std::uint8_t *data, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) {
    state_[pos_] ^= data[i];
    if (++pos_ == kRate)
      run_f();
  }
}

void Strobe128::overwrite(const std::uint8_t *data, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) {
    state_[pos_] = data[i];
    if (++pos_ == kRate)
      run_f();
  }
}

void Strobe128::squeeze(std::uint8_t *out, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) {
    out[i] = state_[pos_];
    state_[pos_] = 0;
    if (++pos_ == kRate)
      run_f();
  }
}

} // namespace mycelium::chain
