// Setting a validator's weights on a subtensor chain: from "these weights for these uids" to an
// included SubtensorModule.set_weights extrinsic. Reads the runtime (version, metadata, genesis,
// head block), the subnet's CommitRevealWeightsEnabled and WeightsVersionKey and the hotkey's
// nonce; builds and signs the extrinsic (core's signed_extrinsic.hpp); submits it once and
// follows it to inclusion. agent/chain/README.md, "Setting weights"; schemas/CHAIN.md, "Weights".
#pragma once

#include "agent/chain/rpc_client.hpp"
#include "mycelium/chain/runtime_metadata.hpp"
#include "mycelium/chain/signed_extrinsic.hpp"
#include "mycelium/chain/sr25519.hpp"
#include "mycelium/chain/u128.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace mycelium::chain {

// A runtime's metadata, parsed, and the extrinsic format checked against it, by spec version: a
// validator setting weights every epoch fetches and parses the metadata (about 190 KiB) again
// only after a runtime upgrade. Thread-safe.
class RuntimeCache {
public:
  struct Runtime {
    std::uint32_t spec_version = 0;
    RuntimeMetadata metadata;
    ExtrinsicFormat format;
  };

  // The runtime of `spec_version`, fetched with state_getMetadata at block `at` (where the
  // version was read) the first time. An extrinsic format the metadata does not allow (Error
  // 22023) is not cached: the next call fetches again and refuses again.
  std::shared_ptr<const Runtime> get(RpcClient &chain, std::uint32_t spec_version, const Bytes &at);

private:
  std::mutex mutex_;
  std::map<std::uint32_t, std::shared_ptr<const Runtime>> runtimes_;
};

// set_weights refused before anything was submitted, because the chain would reject it.
class SetWeightsRefused : public ChainError {
public:
  using ChainError::ChainError;
};

// The subnet takes weights only through commit-reveal (CommitRevealWeightsEnabled), which
// Mycelium does not implement: a plain set_weights would fail on the chain.
class CommitRevealEnabled : public SetWeightsRefused {
public:
  using SetWeightsRefused::SetWeightsRefused;
};

struct SetWeightsOptions {
  // Blocks the extrinsic stays valid for; Substrate rounds it up to a power of two, 4..65536.
  std::uint64_t era_period = 64;
  U128 tip;
  // From submission to inclusion (or finality), on top of the calls before it.
  std::chrono::milliseconds inclusion_timeout{60000};
  // Shared between calls to fetch the metadata once per runtime; none: fetched every call.
  RuntimeCache *cache = nullptr;
};

struct WeightsSubmission {
  Bytes extrinsic_hash;
  Bytes block_hash; // the block it is in (finalized with WaitFor::finalized)
  std::uint32_t spec_version = 0;
  std::uint64_t nonce = 0;
  std::uint64_t version_key = 0;
  std::uint64_t era_birth = 0; // the block the era starts at; it dies era_period blocks later
};

// Signs SubtensorModule.set_weights(netuid, dests, weights, version_key) with `hotkey` and
// submits it, waiting as `wait_for` says. version_key none: the subnet's WeightsVersionKey.
//
// Throws, before submitting anything: CommitRevealEnabled when the subnet has commit-reveal on;
// SetWeightsRefused when version_key is below the subnet's WeightsVersionKey; mycelium::Error
// 22023 / 42704 when the runtime's metadata is not one this code can build for (the message names
// the extension, argument or item) or the arguments are wrong (dests and weights of different
// lengths, a repeated uid); ChainError for the calls. Then what submit_and_watch throws: the
// submission is never repeated (ChainTimeout or ChainConnectionLost mean it may be in the pool).
WeightsSubmission set_weights(RpcClient &chain, const sr25519::SecretKey &hotkey,
                              std::uint16_t netuid, const std::vector<std::uint16_t> &dests,
                              const std::vector<std::uint16_t> &weights,
                              std::optional<std::uint64_t> version_key, WaitFor wait_for,
                              const SetWeightsOptions &options = {});

} // namespace mycelium::chain
