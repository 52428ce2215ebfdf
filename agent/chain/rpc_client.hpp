// A blocking client of a Substrate node's JSON-RPC interface (the methods the chain work needs),
// over a WebSocket (ws://, wss://) or HTTP POSTs (http://, https://). agent/chain/README.md,
// "Substrate RPC client", is the reference: timeouts, what is retried and what is not.
//
// Thread-safe: every call takes the client's mutex for its whole duration (submit_and_watch
// too), so calls from several threads run one after the other on the one connection. That is
// the simplest correct design for its users (the CLI, and one worker thread of the agent), which
// make a few calls at a time; a caller wanting parallel calls uses a client each.
#pragma once

#include "agent/chain/chain_error.hpp"
#include "agent/chain/lws_channel.hpp"
#include "agent/chain/rpc_url.hpp"
#include "mycelium/bytes.hpp"
#include "mycelium/json_value.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mycelium::chain {

using mycelium::Bytes;

struct RpcClientOptions {
  // One call, from its start to its answer, connecting and every retry included.
  std::chrono::milliseconds call_timeout{30000};
  // Tries of a call that may be tried again (see README): the first and up to attempts - 1 more,
  // within call_timeout, waiting first_backoff, then twice as long each time up to max_backoff.
  int attempts = 4;
  std::chrono::milliseconds first_backoff{250};
  std::chrono::milliseconds max_backoff{4000};
  // The largest answer accepted (metadata is a few MiB of hex).
  std::size_t max_response_bytes = 64u << 20;
  // How often submit_and_watch looks for new blocks when it follows the chain by polling.
  std::chrono::milliseconds poll_interval{1000};
  // PEM certificates trusted for wss:// and https:// ("": the system's store).
  std::string ca_file;
};

struct BlockHeader {
  std::uint64_t number = 0;
  Bytes parent_hash;     // 32 bytes
  Bytes state_root;      // 32 bytes
  Bytes extrinsics_root; // 32 bytes
};

struct Block {
  BlockHeader header;
  std::vector<Bytes> extrinsics; // each as submitted: SCALE, with its length prefix
};

struct RuntimeVersion {
  std::string spec_name;
  std::string impl_name;
  std::uint32_t authoring_version = 0;
  std::uint32_t spec_version = 0;
  std::uint32_t impl_version = 0;
  std::uint32_t transaction_version = 0;
  std::optional<std::uint32_t> state_version;        // absent from older runtimes
  std::vector<std::pair<Bytes, std::uint32_t>> apis; // runtime API id (8 bytes), version
};

// How far submit_and_watch follows an extrinsic.
enum class WaitFor { in_block, finalized };

struct Inclusion {
  Bytes extrinsic_hash; // BLAKE2b-256 of the extrinsic's bytes
  Bytes block_hash;     // the block it is in (finalized if WaitFor::finalized)
};

// Whether a call may be sent again after the connection broke with the request sent.
enum class Retry { idempotent, never };

class RpcClient {
public:
  // Parses the URL (std::invalid_argument if it is not one) and creates the lws context; no
  // connection is made until the first call.
  explicit RpcClient(const std::string &url, RpcClientOptions options = {});
  ~RpcClient();
  RpcClient(const RpcClient &) = delete;
  RpcClient &operator=(const RpcClient &) = delete;

  const RpcUrl &url() const { return url_; }

  // `at`, where a method takes one, is a block hash (32 bytes); none: the best block.
  Bytes state_call(const std::string &method, const Bytes &params,
                   const std::optional<Bytes> &at = std::nullopt);
  // The value under `key`; none when the key has no value.
  std::optional<Bytes> state_get_storage(const Bytes &key,
                                         const std::optional<Bytes> &at = std::nullopt);
  // The hash of block `number` (none: the best block); none when there is no such block.
  std::optional<Bytes> chain_get_block_hash(std::optional<std::uint64_t> number = std::nullopt);
  // The header of block `hash` (none: the best block); none when the node has no such block.
  std::optional<BlockHeader> chain_get_header(const std::optional<Bytes> &hash = std::nullopt);
  std::optional<Block> chain_get_block(const std::optional<Bytes> &hash = std::nullopt);
  Bytes chain_get_finalized_head();
  RuntimeVersion state_get_runtime_version(const std::optional<Bytes> &at = std::nullopt);
  // The SCALE-encoded RuntimeMetadataPrefixed ("meta", version, ...).
  Bytes state_get_metadata(const std::optional<Bytes> &at = std::nullopt);
  // The next nonce for the account, its pending transactions in the pool counted.
  std::uint64_t system_account_next_index(const std::string &ss58_address);
  // Submits a signed extrinsic; returns its hash as the node computed it. Never retried once
  // sent: on ChainConnectionLost or ChainTimeout the node may or may not have it.
  Bytes author_submit_extrinsic(const Bytes &extrinsic);

  // Submits `extrinsic` and blocks until it is in a block (or finalized), for at most `timeout`.
  // Over a WebSocket it follows author_submitAndWatchExtrinsic's notifications; over HTTP, or if
  // the WebSocket drops after the submission, it polls the chain's new blocks for the
  // extrinsic's bytes. Throws ExtrinsicNotIncluded when the node reports it invalid, dropped,
  // usurped or not finalized in time, ChainTimeout when it is not in a block (or final) by the
  // timeout, and what the calls throw (a submission is never sent twice).
  Inclusion submit_and_watch(const Bytes &extrinsic, WaitFor wait_for,
                             std::chrono::milliseconds timeout);

  // Any other method: `params_json` is the JSON array of its parameters. Returns "result".
  JsonValue request(const std::string &method, const std::string &params_json, Retry retry);

private:
  // request(), its result read by `parse` (a shape error becomes ChainBadResponse).
  template <typename Parse>
  auto call(const char *method, const std::string &params_json, Retry retry, Parse parse);
  JsonValue request_locked(const std::string &method, const std::string &params_json, Retry retry,
                           Clock::time_point deadline);
  JsonValue exchange(const std::string &method, const std::string &params_json,
                     Clock::time_point deadline, const std::string &context);
  JsonValue answer_of(const std::string &text, std::uint64_t id, const std::string &context);
  Inclusion poll_for_inclusion(const Bytes &extrinsic, Bytes hash, std::uint64_t from_block,
                               WaitFor wait_for, Clock::time_point deadline);

  RpcUrl url_;
  RpcClientOptions options_;
  std::mutex mutex_;
  std::unique_ptr<LwsChannel> channel_;
  std::uint64_t next_id_ = 1;
  // WebSocket notifications that arrived while a call waited for its answer.
  std::vector<JsonValue> notifications_;
};

} // namespace mycelium::chain
