#include "mycelium/chain/merlin.hpp"

#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"

#include <sodium.h>

#include <limits>

namespace mycelium::chain {

namespace {

constexpr std::string_view kMerlinProtocolLabel = "Merlin v1.0";

const std::uint8_t *bytes_of(std::string_view text) {
  return reinterpret_cast<const std::uint8_t *>(text.data());
}

// Merlin frames every length as a little-endian u32; longer inputs are refused, not truncated.
void encode_length(std::size_t size, std::uint8_t (&out)[4]) {
  if (size > std::numeric_limits<std::uint32_t>::max())
    throw Error(sqlstate::kInvalidParameterValue,
                "merlin transcript: an input longer than 4 GiB - 1 cannot be framed");
  for (int i = 0; i < 4; ++i)
    out[i] = static_cast<std::uint8_t>(size >> (8 * i));
}

// meta-AD(label || LE32(size)), the header of every Merlin operation.
void meta_ad_label_and_length(Strobe128 &strobe, std::string_view label, std::size_t size) {
  std::uint8_t length[4];
  encode_length(size, length);
  strobe.meta_ad(bytes_of(label), label.size(), false);
  strobe.meta_ad(length, sizeof length, true);
}

} // namespace

Transcript::Transcript(std::string_view label)
    : strobe_(bytes_of(kMerlinProtocolLabel), kMerlinProtocolLabel.size()) {
  append_message("dom-sep", label);
}

void Transcript::append_message(std::string_view label, const std::uint8_t *message,
                                std::size_t size) {
  meta_ad_label_and_length(strobe_, label, size);
  strobe_.ad(message, size, false);
}

void Transcript::append_message(std::string_view label, std::string_view message) {
  append_message(label, bytes_of(message), message.size());
}

void Transcript::append_u64(std::string_view label, std::uint64_t value) {
  std::uint8_t le[8];
  for (int i = 0; i < 8; ++i)
    le[i] = static_cast<std::uint8_t>(value >> (8 * i));
  append_message(label, le, sizeof le);
}

void Transcript::challenge_bytes(std::string_view label, std::uint8_t *out, std::size_t size) {
  meta_ad_label_and_length(strobe_, label, size);
  strobe_.prf(out, size, false);
}

TranscriptRng Transcript::build_rng() const {
  return TranscriptRng(strobe_);
}

TranscriptRng &TranscriptRng::rekey_with_witness_bytes(std::string_view label,
                                                       const std::uint8_t *witness,
                                                       std::size_t size) {
  if (finalized_)
    throw Error(sqlstate::kInternalError, "merlin transcript RNG: rekeyed after finalize");
  meta_ad_label_and_length(strobe_, label, size);
  strobe_.key(witness, size, false);
  return *this;
}

void TranscriptRng::finalize() {
  ensure_sodium();
  std::uint8_t random[kRandomSize];
  randombytes_buf(random, sizeof random);
  finalize(random);
  sodium_memzero(random, sizeof random);
}

void TranscriptRng::finalize(const std::uint8_t (&random)[kRandomSize]) {
  if (finalized_)
    throw Error(sqlstate::kInternalError, "merlin transcript RNG: finalized twice");
  strobe_.meta_ad(bytes_of("rng"), 3, false);
  strobe_.key(random, kRandomSize, false);
  finalized_ = true;
}

void TranscriptRng::fill_bytes(std::uint8_t *out, std::size_t size) {
  if (!finalized_)
    throw Error(sqlstate::kInternalError, "merlin transcript RNG: used before finalize");
  std::uint8_t length[4];
  encode_length(size, length);
  strobe_.meta_ad(length, sizeof length, false);
  strobe_.prf(out, size, false);
}

} // namespace mycelium::chain
