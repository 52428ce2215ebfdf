#include "agent/chain/rpc_client.hpp"

#include "mycelium/canonical_json.hpp"
#include "mycelium/hex.hpp"

#include <sodium.h>

#include <algorithm>
#include <thread>

namespace mycelium::chain {

namespace {

constexpr std::size_t kHashBytes = 32;
// Notifications kept while a call waits (a subscription's updates arrive a few at a time;
// more than this means nobody is reading them).
constexpr std::size_t kMaxKeptNotifications = 1024;

std::string hex_param(const Bytes &bytes) {
  return "\"0x" + to_hex(bytes) + "\"";
}

// The JSON array of parameters, trailing absent ones left out (Substrate reads a missing
// parameter as null).
std::string params(std::initializer_list<std::optional<std::string>> values) {
  std::size_t count = 0;
  std::size_t i = 0;
  for (const auto &value : values) {
    ++i;
    if (value)
      count = i;
  }
  std::string out = "[";
  i = 0;
  for (const auto &value : values) {
    if (i == count)
      break;
    out += (i++ ? "," : "") + value.value_or("null");
  }
  return out + "]";
}

std::optional<std::string> optional_hash(const std::optional<Bytes> &hash, const char *what) {
  if (!hash)
    return std::nullopt;
  if (hash->size() != kHashBytes)
    throw std::invalid_argument(std::string(what) + " must be a 32-byte block hash, got " +
                                std::to_string(hash->size()) + " bytes");
  return hex_param(*hash);
}

// "0x"-prefixed lowercase hex, of exactly `size` bytes when given.
Bytes bytes_of(const JsonValue &value, const std::string &what,
               std::optional<std::size_t> size = std::nullopt) {
  const std::string &text = value.as_string(what);
  if (text.compare(0, 2, "0x") != 0)
    throw JsonError(what + ": expected 0x-prefixed hex, got \"" + text.substr(0, 40) + "\"");
  const std::string_view digits = std::string_view(text).substr(2);
  if (digits.size() % 2 != 0)
    throw JsonError(what + ": odd number of hex digits");
  if (size && digits.size() != *size * 2)
    throw JsonError(what + ": expected " + std::to_string(*size) + " bytes, got " +
                    std::to_string(digits.size() / 2));
  return from_hex(digits, digits.size() / 2, what);
}

std::uint32_t u32_of(const JsonValue &value, const std::string &what) {
  const std::uint64_t n = value.as_uint64(what);
  if (n > 0xffffffffu)
    throw JsonError(what + ": " + std::to_string(n) + " does not fit in 32 bits");
  return static_cast<std::uint32_t>(n);
}

// A block number as Substrate writes it in headers: a hex string ("0x1a").
std::uint64_t block_number_of(const JsonValue &value, const std::string &what) {
  const std::string &text = value.as_string(what);
  if (text.size() < 3 || text.size() > 18 || text.compare(0, 2, "0x") != 0)
    throw JsonError(what + ": expected a hex number such as \"0x1a\", got \"" + text.substr(0, 40) +
                    "\"");
  std::uint64_t n = 0;
  for (std::size_t i = 2; i < text.size(); ++i) {
    const char c = text[i];
    const int digit = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
    if (digit < 0)
      throw JsonError(what + ": \"" + text + "\" is not a hex number");
    n = n * 16 + static_cast<std::uint64_t>(digit);
  }
  return n;
}

BlockHeader header_of(const JsonValue &value, const std::string &what) {
  BlockHeader header;
  header.number = block_number_of(value.at("number", what), what + ".number");
  header.parent_hash = bytes_of(value.at("parentHash", what), what + ".parentHash", kHashBytes);
  header.state_root = bytes_of(value.at("stateRoot", what), what + ".stateRoot", kHashBytes);
  header.extrinsics_root =
      bytes_of(value.at("extrinsicsRoot", what), what + ".extrinsicsRoot", kHashBytes);
  return header;
}

Block block_of(const JsonValue &value) {
  const JsonValue &block = value.at("block", "result");
  Block out;
  out.header = header_of(block.at("header", "result.block"), "result.block.header");
  const auto &extrinsics = block.at("extrinsics", "result.block").as_array("extrinsics");
  for (std::size_t i = 0; i < extrinsics.size(); ++i)
    out.extrinsics.push_back(
        bytes_of(extrinsics[i], "result.block.extrinsics[" + std::to_string(i) + "]"));
  return out;
}

RuntimeVersion runtime_version_of(const JsonValue &value) {
  RuntimeVersion v;
  v.spec_name = value.at("specName", "result").as_string("specName");
  v.impl_name = value.at("implName", "result").as_string("implName");
  v.authoring_version = u32_of(value.at("authoringVersion", "result"), "authoringVersion");
  v.spec_version = u32_of(value.at("specVersion", "result"), "specVersion");
  v.impl_version = u32_of(value.at("implVersion", "result"), "implVersion");
  v.transaction_version = u32_of(value.at("transactionVersion", "result"), "transactionVersion");
  if (const JsonValue *state = value.find("stateVersion"))
    v.state_version = u32_of(*state, "stateVersion");
  for (const JsonValue &api : value.at("apis", "result").as_array("apis")) {
    const auto &pair = api.as_array("apis[]");
    if (pair.size() != 2)
      throw JsonError("apis[]: expected [id, version]");
    v.apis.emplace_back(bytes_of(pair[0], "apis[].id", 8), u32_of(pair[1], "apis[].version"));
  }
  return v;
}

Bytes blake2b_256(const Bytes &data) {
  Bytes out(kHashBytes);
  crypto_generichash(out.data(), out.size(), data.data(), data.size(), nullptr, 0);
  return out;
}

std::string milliseconds(Clock::duration d) {
  return std::to_string(std::chrono::round<std::chrono::milliseconds>(d).count()) + " ms";
}

} // namespace

RpcClient::RpcClient(const std::string &url, RpcClientOptions options)
    : url_(parse_rpc_url(url)), options_(std::move(options)),
      channel_(std::make_unique<LwsChannel>(options_.max_response_bytes, options_.ca_file)) {
  if (options_.attempts < 1)
    throw std::invalid_argument("chain client: attempts must be at least 1");
}

RpcClient::~RpcClient() = default;

JsonValue RpcClient::request(const std::string &method, const std::string &params_json,
                             Retry retry) {
  std::lock_guard<std::mutex> lock(mutex_);
  notifications_.clear();
  return request_locked(method, params_json, retry, Clock::now() + options_.call_timeout);
}

JsonValue RpcClient::request_locked(const std::string &method, const std::string &params_json,
                                    Retry retry, Clock::time_point deadline) {
  const std::string context = method + " on " + url_.text;
  const auto started = Clock::now();
  auto backoff = options_.first_backoff;
  for (int attempt = 1;; ++attempt) {
    // After a failure: wait, and try again if the policy and the deadline allow it. Otherwise
    // the failure is rethrown, saying how many tries it took and, when no connection could be
    // made, what to check.
    const auto again = [&](const auto &failure, const char *advice) {
      if (attempt < options_.attempts && Clock::now() + backoff < deadline) {
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, options_.max_backoff);
        return;
      }
      std::string message = failure.what();
      if (attempt > 1)
        message += "; gave up after " + std::to_string(attempt) + " attempts in " +
                   milliseconds(Clock::now() - started);
      throw std::decay_t<decltype(failure)>(message + advice);
    };
    try {
      return exchange(method, params_json, deadline, context);
    } catch (const ChainUnreachable &e) {
      // Nothing was sent: trying again cannot submit anything twice.
      again(e, url_.tls ? ". Is the node running, its RPC port reachable from here, and its "
                          "certificate signed by a CA this machine (or ca_file) trusts?"
                        : ". Is the node running, and its RPC port reachable from here?");
    } catch (const ChainConnectionLost &e) {
      if (retry == Retry::never)
        throw;
      again(e, "");
    } catch (const ChainTimeout &e) {
      throw ChainTimeout(std::string(e.what()) + " (" + milliseconds(deadline - started) + ")");
    }
  }
}

JsonValue RpcClient::exchange(const std::string &method, const std::string &params_json,
                              Clock::time_point deadline, const std::string &context) {
  const std::uint64_t id = next_id_++;
  const std::string request = "{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(id) +
                              ",\"method\":" + json_string(method) + ",\"params\":" + params_json +
                              "}";
  if (!url_.websocket)
    return answer_of(channel_->post(url_, request, deadline, context), id, context);

  channel_->open(url_, deadline, context);
  channel_->send(request, deadline, context);
  for (;;) {
    const std::string text = channel_->receive(deadline, context);
    JsonValue message;
    try {
      message = parse_json(text);
    } catch (const JsonError &e) {
      throw ChainBadResponse(context + ": the node sent something that is not JSON (" + e.what() +
                             ")");
    }
    const JsonValue *message_id = message.find("id");
    if (message_id && !message_id->is_null()) {
      // An answer to an earlier request (one that timed out, say) is not this one's.
      if (message_id->is_number() && message_id->to_json() == std::to_string(id))
        return answer_of(text, id, context);
      continue;
    }
    if (message.find("method") && message.find("params")) {
      if (notifications_.size() < kMaxKeptNotifications)
        notifications_.push_back(std::move(message));
      continue;
    }
    // An error without an id answers a request the node could not read: ours.
    if (message.find("error"))
      return answer_of(text, id, context);
    throw ChainBadResponse(context +
                           ": the node sent a message that is neither an answer nor "
                           "a notification: " +
                           text.substr(0, 200));
  }
}

JsonValue RpcClient::answer_of(const std::string &text, std::uint64_t id,
                               const std::string &context) {
  JsonValue answer;
  try {
    answer = parse_json(text);
  } catch (const JsonError &e) {
    throw ChainBadResponse(context + ": the answer is not JSON (" + e.what() + ")");
  }
  const auto bad = [&](const std::string &why) {
    return ChainBadResponse(context + ": not a JSON-RPC 2.0 answer (" + why +
                            "): " + text.substr(0, 200));
  };
  if (!answer.is_object())
    throw bad("not an object");
  const JsonValue *version = answer.find("jsonrpc");
  if (!version || !version->is_string() || version->as_string("jsonrpc") != "2.0")
    throw bad("no \"jsonrpc\": \"2.0\"");
  const JsonValue *result = answer.find("result");
  const JsonValue *error = answer.find("error");
  if ((result != nullptr) == (error != nullptr))
    throw bad("it must have exactly one of \"result\" and \"error\"");
  const JsonValue *answer_id = answer.find("id");
  const bool id_matches =
      answer_id && answer_id->is_number() && answer_id->to_json() == std::to_string(id);
  if (error) {
    // A node that cannot read a request answers with a null id.
    if (!answer_id || !(id_matches || answer_id->is_null()))
      throw bad("its id is not the request's");
    try {
      const JsonValue *data = error->find("data");
      throw ChainRpcError(context, error->at("code", "error").as_int64("error.code"),
                          error->at("message", "error").as_string("error.message"),
                          data ? data->to_json() : "");
    } catch (const JsonError &e) {
      throw bad(e.what());
    }
  }
  if (!id_matches)
    throw bad("its id is not the request's");
  return *result;
}

namespace {

// Runs `parse` on a call's result, turning a shape error into ChainBadResponse.
template <typename Parse>
auto parsed(const std::string &method, const RpcUrl &url, const JsonValue &result, Parse parse) {
  try {
    return parse(result);
  } catch (const ChainError &) {
    throw;
  } catch (const std::exception &e) {
    throw ChainBadResponse(method + " on " + url.text + ": unexpected answer: " + e.what());
  }
}

// `parse` for a result that may be null (no such block, no value under a key).
template <typename Parse> auto or_null(Parse parse) {
  return [parse](const JsonValue &r) -> std::optional<decltype(parse(r))> {
    if (r.is_null())
      return std::nullopt;
    return parse(r);
  };
}

Bytes any_bytes(const JsonValue &r) {
  return bytes_of(r, "result");
}
Bytes hash_bytes(const JsonValue &r) {
  return bytes_of(r, "result", kHashBytes);
}
BlockHeader header(const JsonValue &r) {
  return header_of(r, "result");
}

} // namespace

template <typename Parse>
auto RpcClient::call(const char *method, const std::string &params_json, Retry retry, Parse parse) {
  return parsed(method, url_, request(method, params_json, retry), parse);
}

Bytes RpcClient::state_call(const std::string &method, const Bytes &call_params,
                            const std::optional<Bytes> &at) {
  return call("state_call",
              params({json_string(method), hex_param(call_params), optional_hash(at, "at")}),
              Retry::idempotent, any_bytes);
}

std::optional<Bytes> RpcClient::state_get_storage(const Bytes &key,
                                                  const std::optional<Bytes> &at) {
  return call("state_getStorage", params({hex_param(key), optional_hash(at, "at")}),
              Retry::idempotent, or_null(any_bytes));
}

std::optional<Bytes> RpcClient::chain_get_block_hash(std::optional<std::uint64_t> number) {
  std::optional<std::string> number_param;
  if (number)
    number_param = std::to_string(*number);
  return call("chain_getBlockHash", params({number_param}), Retry::idempotent, or_null(hash_bytes));
}

std::optional<BlockHeader> RpcClient::chain_get_header(const std::optional<Bytes> &hash) {
  return call("chain_getHeader", params({optional_hash(hash, "hash")}), Retry::idempotent,
              or_null(header));
}

std::optional<Block> RpcClient::chain_get_block(const std::optional<Bytes> &hash) {
  return call("chain_getBlock", params({optional_hash(hash, "hash")}), Retry::idempotent,
              or_null(block_of));
}

Bytes RpcClient::chain_get_finalized_head() {
  return call("chain_getFinalizedHead", "[]", Retry::idempotent, hash_bytes);
}

RuntimeVersion RpcClient::state_get_runtime_version(const std::optional<Bytes> &at) {
  return call("state_getRuntimeVersion", params({optional_hash(at, "at")}), Retry::idempotent,
              runtime_version_of);
}

Bytes RpcClient::state_get_metadata(const std::optional<Bytes> &at) {
  return call("state_getMetadata", params({optional_hash(at, "at")}), Retry::idempotent, any_bytes);
}

std::uint64_t RpcClient::system_account_next_index(const std::string &ss58_address) {
  return call("system_accountNextIndex", params({json_string(ss58_address)}), Retry::idempotent,
              [](const JsonValue &r) { return r.as_uint64("result"); });
}

Bytes RpcClient::author_submit_extrinsic(const Bytes &extrinsic) {
  return call("author_submitExtrinsic", params({hex_param(extrinsic)}), Retry::never, hash_bytes);
}

Inclusion RpcClient::submit_and_watch(const Bytes &extrinsic, WaitFor wait_for,
                                      std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> lock(mutex_);
  notifications_.clear();
  const auto deadline = Clock::now() + timeout;
  const auto call_deadline = [&] {
    return std::min(deadline, Clock::now() + options_.call_timeout);
  };
  const Bytes hash = blake2b_256(extrinsic);
  const std::string hash_hex = "0x" + to_hex(hash);

  // The best block before the submission: the extrinsic cannot be in an earlier one, so a
  // search by polling starts there.
  const JsonValue best =
      request_locked("chain_getHeader", "[]", Retry::idempotent, call_deadline());
  const std::uint64_t from_block = parsed("chain_getHeader", url_, best, header).number;

  if (!url_.websocket) {
    request_locked("author_submitExtrinsic", params({hex_param(extrinsic)}), Retry::never,
                   call_deadline());
    return poll_for_inclusion(extrinsic, hash, from_block, wait_for, deadline);
  }

  const std::string method = "author_submitAndWatchExtrinsic";
  const std::string context = method + " on " + url_.text;
  const JsonValue subscription =
      request_locked(method, params({hex_param(extrinsic)}), Retry::never, call_deadline());
  if (!subscription.is_string() && !subscription.is_number())
    throw ChainBadResponse(context + ": the subscription id is " + subscription.to_json());
  const std::string subscription_json = subscription.to_json();

  // Statuses as Substrate's TransactionStatus serializes them: "future", "ready", "dropped",
  // "invalid", or {"broadcast": [...]}, {"inBlock": hash}, {"retracted": hash},
  // {"finalityTimeout": hash}, {"finalized": hash}, {"usurped": hash}.
  const auto unwatch = [&] {
    try {
      request_locked("author_unwatchExtrinsic", "[" + subscription_json + "]", Retry::never,
                     call_deadline());
    } catch (const ChainError &) {
      // Only a courtesy to the node: the subscription also ends with the connection.
    }
  };
  for (;;) {
    JsonValue update;
    const auto it =
        std::find_if(notifications_.begin(), notifications_.end(), [&](const JsonValue &n) {
          const JsonValue *p = n.find("params");
          const JsonValue *s = p ? p->find("subscription") : nullptr;
          return s && s->to_json() == subscription_json;
        });
    if (it != notifications_.end()) {
      update = std::move(*it);
      notifications_.erase(it);
    } else {
      try {
        const std::string text = channel_->receive(deadline, context);
        JsonValue message = parse_json(text);
        if (message.find("method") && message.find("params"))
          notifications_.push_back(std::move(message));
        continue;
      } catch (const ChainConnectionLost &) {
        // The node has the extrinsic; follow it from the blocks instead, on a new connection.
        return poll_for_inclusion(extrinsic, hash, from_block, wait_for, deadline);
      } catch (const ChainTimeout &) {
        throw ChainTimeout(context + ": extrinsic " + hash_hex + " not " +
                           (wait_for == WaitFor::in_block ? "in a block" : "finalized") +
                           " within " + milliseconds(timeout) +
                           "; it may still be included (the account's nonce tells)");
      } catch (const JsonError &e) {
        throw ChainBadResponse(context + ": the node sent something that is not JSON (" + e.what() +
                               ")");
      }
    }
    const JsonValue *update_params = update.find("params");
    const JsonValue *status_member = update_params ? update_params->find("result") : nullptr;
    if (!status_member)
      throw ChainBadResponse(
          context + ": a status update without params.result: " + update.to_json().substr(0, 200));
    const JsonValue &status = *status_member;
    std::string kind;
    const JsonValue *block = nullptr;
    if (status.is_string()) {
      kind = status.as_string("status");
    } else if (status.is_object() && status.members().size() == 1) {
      kind = status.members()[0].first;
      block = &status.members()[0].second;
    } else {
      throw ChainBadResponse(context + ": unexpected status " + status.to_json());
    }
    const auto block_hash = [&] {
      return parsed(method, url_, *block,
                    [](const JsonValue &b) { return bytes_of(b, "status block", kHashBytes); });
    };
    if (kind == "future" || kind == "ready" || kind == "broadcast" || kind == "retracted")
      continue;
    if ((kind == "inBlock" && wait_for == WaitFor::in_block) || kind == "finalized") {
      Inclusion inclusion{hash, block_hash()};
      if (kind == "inBlock")
        unwatch();
      return inclusion;
    }
    if (kind == "inBlock")
      continue;
    throw ExtrinsicNotIncluded(context + ": extrinsic " + hash_hex + ": the node reports it " +
                               kind + (block ? " (block " + block->to_json() + ")" : "") +
                               "; it will not be included");
  }
}

Inclusion RpcClient::poll_for_inclusion(const Bytes &extrinsic, Bytes hash,
                                        std::uint64_t from_block, WaitFor wait_for,
                                        Clock::time_point deadline) {
  // Each read within the call timeout and the overall deadline, retried as reads are.
  const auto read = [&](const char *method, const std::string &call_params, auto parse) {
    const auto call_deadline = std::min(deadline, Clock::now() + options_.call_timeout);
    return parsed(method, url_,
                  request_locked(method, call_params, Retry::idempotent, call_deadline), parse);
  };
  const auto hash_of_block = [&](std::uint64_t number) {
    return read("chain_getBlockHash", "[" + std::to_string(number) + "]", or_null(hash_bytes));
  };
  std::uint64_t next = from_block;                      // the first block not searched yet
  std::optional<std::pair<std::uint64_t, Bytes>> found; // its number and hash
  for (;;) {
    const std::uint64_t best = read("chain_getHeader", "[]", header).number;
    while (!found && next <= best) {
      const std::optional<Bytes> at = hash_of_block(next);
      if (!at)
        break;
      const auto block = read("chain_getBlock", "[" + hex_param(*at) + "]", or_null(block_of));
      if (block && std::find(block->extrinsics.begin(), block->extrinsics.end(), extrinsic) !=
                       block->extrinsics.end())
        found.emplace(next, *at);
      ++next;
    }
    if (found && wait_for == WaitFor::in_block)
      return {hash, found->second};
    if (found) {
      const Bytes head = read("chain_getFinalizedHead", "[]", hash_bytes);
      const BlockHeader final_header = read("chain_getHeader", "[" + hex_param(head) + "]", header);
      if (final_header.number >= found->first) {
        if (hash_of_block(found->first) == found->second)
          return {hash, found->second};
        // The block it was in did not become final: search again from its height.
        next = found->first;
        found.reset();
      }
    }
    if (Clock::now() + options_.poll_interval >= deadline)
      throw ChainTimeout("following extrinsic 0x" + to_hex(hash) + " on " + url_.text + ": not " +
                         (wait_for == WaitFor::in_block ? "in a block" : "finalized") +
                         " by the deadline; it may still be included (the account's nonce tells)");
    std::this_thread::sleep_for(options_.poll_interval);
  }
}

} // namespace mycelium::chain
