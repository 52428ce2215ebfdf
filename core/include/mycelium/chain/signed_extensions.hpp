// The signed extensions a runtime's metadata lists, and what each adds to a signed extrinsic:
// its "extra" (sent in the extrinsic, after the signature) and its "additional signed" data
// (signed, never sent: the node supplies it itself when checking, so a wrong value makes the
// signature invalid). Only extensions whose data Mycelium knows how to fill in are accepted; an
// extension whose types encode to nothing is accepted whatever its name; any other is refused by
// name, never guessed. schemas/CHAIN.md, "Weights", lists them.
#pragma once

#include "mycelium/chain/mortal_era.hpp"
#include "mycelium/chain/runtime_metadata.hpp"
#include "mycelium/chain/scale_encoder.hpp"
#include "mycelium/chain/u128.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace mycelium::chain {

using BlockHash = std::array<std::uint8_t, 32>;

// What the known extensions carry for one transaction.
struct TransactionParameters {
  std::uint32_t spec_version = 0;        // CheckSpecVersion: the runtime's spec version
  std::uint32_t transaction_version = 0; // CheckTxVersion
  BlockHash genesis_hash{};              // CheckGenesis: the hash of block 0
  MortalEra era;                         // CheckMortality: the era...
  BlockHash era_birth_hash{};            // ...and the hash of block era.birth(current block)
  std::uint64_t nonce = 0;               // CheckNonce: the account's next nonce
  U128 tip;                              // ChargeTransactionPayment: paid on top of the fee
};

class SignedExtensions {
public:
  // What an extension contributes, once its types have been checked against the metadata.
  enum class Kind {
    nothing,             // both types encode to nothing (CheckNonZeroSender, CheckWeight, ...)
    spec_version,        // CheckSpecVersion: additional u32
    transaction_version, // CheckTxVersion: additional u32
    genesis,             // CheckGenesis: additional [u8; 32]
    mortality,           // CheckMortality (CheckEra): extra Era, additional [u8; 32]
    nonce,               // CheckNonce: extra Compact<uN>
    tip,                 // ChargeTransactionPayment: extra Compact<uN>
    metadata_hash,       // CheckMetadataHash: extra Mode::Disabled, additional None
  };
  struct Extension {
    std::string identifier;
    Kind kind = Kind::nothing;
    unsigned compact_bits = 0;        // nonce, tip: N of the Compact<uN>
    std::uint8_t mode_disabled = 0;   // metadata_hash: the index of Mode::Disabled
    std::uint8_t additional_none = 0; // metadata_hash: the index of Option::None
  };

  // Throws Error 22023 naming the first extension that is neither known (with the types its
  // name promises) nor empty, and what its types are.
  static SignedExtensions from_metadata(const RuntimeMetadata &metadata);

  const std::vector<Extension> &list() const { return extensions_; }

  // Each extension's extra, in the metadata's order. Throws Error 22023 when the nonce or the tip
  // does not fit the runtime's integer type.
  void encode_extra(ScaleEncoder &out, const TransactionParameters &parameters) const;
  // Each extension's additional signed data, in the same order.
  void encode_additional_signed(ScaleEncoder &out, const TransactionParameters &parameters) const;

private:
  std::vector<Extension> extensions_;
};

} // namespace mycelium::chain
