// STROBE-128 (strobe.sourceforge.io, v1.0.2), reduced to the four operations a Merlin transcript
// uses: meta-AD, AD, PRF and KEY, each with STROBE's `more` flag for continuing the previous
// operation. There is no transport direction (no T flag), hence no send or receive operations.
#pragma once

#include "mycelium/chain/keccak.hpp"

#include <cstddef>
#include <cstdint>

namespace mycelium::chain {

class Strobe128 {
public:
  // Initialises the sponge (STROBE's version string "STROBEv1.0.2", 128-bit security, rate 166
  // bytes) and absorbs the protocol label as meta-AD.
  Strobe128(const std::uint8_t *protocol_label, std::size_t size);
  // Copies are deliberate: a Merlin transcript forks its state for the witness RNG and for
  // every signature a signing context makes. Every copy zeroes itself when destroyed.
  Strobe128(const Strobe128 &) = default;
  Strobe128 &operator=(const Strobe128 &) = default;
  ~Strobe128();

  void meta_ad(const std::uint8_t *data, std::size_t size, bool more);
  void ad(const std::uint8_t *data, std::size_t size, bool more);
  void prf(std::uint8_t *out, std::size_t size, bool more);
  void key(const std::uint8_t *data, std::size_t size, bool more);

private:
  void begin_op(std::uint8_t flags, bool more);
  void run_f();
  void absorb(const std::uint8_t *data, std::size_t size);
  void overwrite(const std::uint8_t *data, std::size_t size);
  void squeeze(std::uint8_t *out, std::size_t size);

  std::uint8_t state_[kKeccakStateSize] = {};
  std::uint8_t pos_ = 0;
  std::uint8_t pos_begin_ = 0;
  std::uint8_t cur_flags_ = 0;
};

} // namespace mycelium::chain
