#include "agent/chain/set_weights.hpp"

#include "mycelium/chain/ss58.hpp"
#include "mycelium/chain/subtensor_weights.hpp"

#include <algorithm>
#include <string>

namespace mycelium::chain {

namespace {

std::string context(const RpcClient &chain) {
  return "SubtensorModule.set_weights on " + chain.url().text;
}

BlockHash block_hash(RpcClient &chain, std::uint64_t number, const char *what) {
  const std::optional<Bytes> hash = chain.chain_get_block_hash(number);
  if (!hash || hash->size() != 32)
    throw ChainBadResponse(context(chain) + ": the node has no hash for block " +
                           std::to_string(number) + " (" + what + ")");
  BlockHash out;
  std::copy(hash->begin(), hash->end(), out.begin());
  return out;
}

} // namespace

std::shared_ptr<const RuntimeCache::Runtime>
RuntimeCache::get(RpcClient &chain, std::uint32_t spec_version, const Bytes &at) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = runtimes_.find(spec_version);
    if (found != runtimes_.end())
      return found->second;
  }
  // Fetched and parsed without the lock: two threads may both fetch a new runtime once.
  RuntimeMetadata metadata = RuntimeMetadata::decode(chain.state_get_metadata(at));
  ExtrinsicFormat format = ExtrinsicFormat::from_metadata(metadata);
  auto runtime = std::make_shared<const Runtime>(
      Runtime{spec_version, std::move(metadata), std::move(format)});
  std::lock_guard<std::mutex> lock(mutex_);
  return runtimes_.emplace(spec_version, std::move(runtime)).first->second;
}

WeightsSubmission set_weights(RpcClient &chain, const sr25519::SecretKey &hotkey,
                              std::uint16_t netuid, const std::vector<std::uint16_t> &dests,
                              const std::vector<std::uint16_t> &weights,
                              std::optional<std::uint64_t> version_key, WaitFor wait_for,
                              const SetWeightsOptions &options) {
  SetWeights call;
  call.netuid = netuid;
  call.dests = dests;
  call.weights = weights;
  // The arguments and the era period are checked before any call to the chain.
  check_set_weights(call);
  MortalEra::for_block(0, options.era_period);

  // Everything is read at one block, the best one now, so that the runtime version, metadata
  // and storage agree with each other even across a runtime upgrade.
  const std::optional<Bytes> head_hash = chain.chain_get_block_hash();
  if (!head_hash)
    throw ChainBadResponse(context(chain) + ": the node has no best block");
  const std::optional<BlockHeader> head = chain.chain_get_header(*head_hash);
  if (!head)
    throw ChainBadResponse(context(chain) + ": the node has no header for its best block");
  const RuntimeVersion version = chain.state_get_runtime_version(*head_hash);
  RuntimeCache uncached;
  RuntimeCache &cache = options.cache ? *options.cache : uncached;
  const auto runtime = cache.get(chain, version.spec_version, *head_hash);
  const RuntimeMetadata &metadata = runtime->metadata;

  if (commit_reveal_weights_enabled(
          metadata, netuid,
          chain.state_get_storage(commit_reveal_weights_enabled_key(metadata, netuid), *head_hash)))
    throw CommitRevealEnabled(context(chain) + ": commit-reveal is enabled on subnet " +
                              std::to_string(netuid) +
                              ": set_weights would be rejected; commit-reveal weights are not "
                              "supported");
  const std::uint64_t required = weights_version_key(
      metadata, netuid,
      chain.state_get_storage(weights_version_key_key(metadata, netuid), *head_hash));
  // Subtensor's check_version_key: a WeightsVersionKey of 0 accepts any version_key.
  if (version_key && required != 0 && *version_key < required)
    throw SetWeightsRefused(context(chain) + ": version_key " + std::to_string(*version_key) +
                            " is below subnet " + std::to_string(netuid) + "'s WeightsVersionKey " +
                            std::to_string(required) + ": the chain would reject the weights");

  call.version_key = version_key.value_or(required);
  const Bytes call_bytes = encode_set_weights_call(metadata, call);

  TransactionParameters parameters;
  parameters.spec_version = version.spec_version;
  parameters.transaction_version = version.transaction_version;
  parameters.genesis_hash = block_hash(chain, 0, "genesis");
  parameters.era = MortalEra::for_block(head->number, options.era_period);
  const std::uint64_t birth = parameters.era.birth(head->number);
  if (birth == head->number)
    std::copy(head_hash->begin(), head_hash->end(), parameters.era_birth_hash.begin());
  else
    parameters.era_birth_hash = block_hash(chain, birth, "the era's birth");
  parameters.nonce = chain.system_account_next_index(ss58_encode(hotkey.public_key()));
  parameters.tip = options.tip;

  const Bytes extrinsic = runtime->format.sign(hotkey, call_bytes, parameters);
  const Inclusion inclusion =
      chain.submit_and_watch(extrinsic, wait_for, options.inclusion_timeout);

  WeightsSubmission submission;
  submission.extrinsic_hash = inclusion.extrinsic_hash;
  submission.block_hash = inclusion.block_hash;
  submission.spec_version = version.spec_version;
  submission.nonce = parameters.nonce;
  submission.version_key = call.version_key;
  submission.era_birth = birth;
  return submission;
}

} // namespace mycelium::chain
