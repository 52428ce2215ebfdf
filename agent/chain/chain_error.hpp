// What a chain call can fail with. Every message starts with the method and the URL
// ("chain_getHeader on ws://127.0.0.1:9944/: ..."), so that a log line or a CLI error says which
// call to which node went wrong. The types tell a caller what is known about the request:
// ChainUnreachable means it was never sent; ChainConnectionLost and ChainTimeout mean it may or may
// not have reached the node (which matters for author_submitExtrinsic, never retried blindly).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace mycelium::chain {

class ChainError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// No connection could be made (refused, no route, name not resolved, TLS handshake failed):
// the request was not sent.
class ChainUnreachable : public ChainError {
public:
  using ChainError::ChainError;
};

// The connection broke after the request was sent, before its answer came.
class ChainConnectionLost : public ChainError {
public:
  using ChainError::ChainError;
};

// No answer by the call's deadline (the connection may still have been up).
class ChainTimeout : public ChainError {
public:
  using ChainError::ChainError;
};

// The node answered with a JSON-RPC error object.
class ChainRpcError : public ChainError {
public:
  ChainRpcError(const std::string &context, std::int64_t code, std::string message,
                std::string data_json)
      : ChainError(context + ": the node answered with error " + std::to_string(code) + ": " +
                   message + (data_json.empty() ? "" : " (data: " + data_json + ")")),
        code_(code), message_(std::move(message)), data_json_(std::move(data_json)) {}

  std::int64_t code() const { return code_; }
  const std::string &rpc_message() const { return message_; }
  // The error's "data" member as JSON text, or "" if it had none.
  const std::string &data_json() const { return data_json_; }

private:
  std::int64_t code_;
  std::string message_;
  std::string data_json_;
};

// The answer is not what the method returns: not JSON, not JSON-RPC 2.0, the wrong shape, bad
// hex, an HTTP status other than 200, or larger than the client accepts.
class ChainBadResponse : public ChainError {
public:
  using ChainError::ChainError;
};

// A submitted extrinsic that the node reports will not be included (invalid, dropped, usurped,
// finality timeout). Not seeing it in a block by the deadline is a ChainTimeout instead: it may
// still be included.
class ExtrinsicNotIncluded : public ChainError {
public:
  using ChainError::ChainError;
};

} // namespace mycelium::chain
