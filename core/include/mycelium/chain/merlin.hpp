// Merlin transcripts (merlin.cool, the merlin crate 3.x) on STROBE-128: the Fiat-Shamir hash that
// schnorrkel signs and derives keys with, and the transcript-bound RNG it draws witness nonces
// from.
#pragma once

#include "mycelium/chain/strobe.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mycelium::chain {

class TranscriptRng;

// Labels are protocol constants (short ASCII strings); messages are any bytes up to 4 GiB - 1,
// their length being framed as a little-endian u32.
class Transcript {
public:
  // STROBE-128 with protocol label "Merlin v1.0", then append_message("dom-sep", label).
  explicit Transcript(std::string_view label);

  // meta-AD(label || LE32(size)), AD(message).
  void append_message(std::string_view label, const std::uint8_t *message, std::size_t size);
  void append_message(std::string_view label, std::string_view message);
  // append_message(label, LE64(value)).
  void append_u64(std::string_view label, std::uint64_t value);
  // meta-AD(label || LE32(size)), PRF(size bytes).
  void challenge_bytes(std::string_view label, std::uint8_t *out, std::size_t size);

  // A copy of the transcript's state for deriving secret nonces; the transcript itself is left
  // as it was (merlin's build_rng).
  TranscriptRng build_rng() const;

private:
  Strobe128 strobe_;
};

// merlin's TranscriptRngBuilder and TranscriptRng in one: rekey with the prover's secrets, then
// finalize with fresh randomness, then draw bytes. The nonce so drawn depends on the public
// transcript, on the secrets and on the randomness: a broken OS RNG alone cannot repeat a nonce
// across messages, and a fault with the secrets alone cannot make it predictable.
class TranscriptRng {
public:
  inline static constexpr std::size_t kRandomSize = 32;

  // meta-AD(label || LE32(size)), KEY(witness). Only before finalize.
  TranscriptRng &rekey_with_witness_bytes(std::string_view label, const std::uint8_t *witness,
                                          std::size_t size);
  // meta-AD("rng"), KEY(32 bytes from the OS, libsodium's randombytes_buf).
  void finalize();
  // The same with the 32 bytes given, so that a test can compare with another implementation
  // fed the same bytes. Outside tests, finalize() above.
  void finalize(const std::uint8_t (&random)[kRandomSize]);
  // meta-AD(LE32(size)), PRF(size bytes). Only after finalize.
  void fill_bytes(std::uint8_t *out, std::size_t size);

private:
  friend class Transcript;
  explicit TranscriptRng(const Strobe128 &strobe) : strobe_(strobe) {}

  Strobe128 strobe_;
  bool finalized_ = false;
};

} // namespace mycelium::chain
