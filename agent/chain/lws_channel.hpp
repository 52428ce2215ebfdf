// The libwebsockets side of the chain client: blocking HTTP POSTs and one WebSocket kept open
// between calls, on an lws context of its own.
//
// Threading: there is no service thread. lws runs only inside these calls, on the calling
// thread, until what the call waits for has happened or its deadline has passed (a timer
// scheduled on the context at the deadline wakes lws's poll). Between calls nothing services
// the socket, which is harmless: the kernel buffers what arrives, and a connection the node
// closed meanwhile is noticed at the next call. The class is not thread-safe; its one user,
// RpcClient, serializes calls with a mutex, so the context is only ever touched by one thread
// at a time (lws allows that; it forbids concurrent use).
#pragma once

#include "agent/chain/rpc_url.hpp"

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>

struct lws;
struct lws_context;

namespace mycelium::chain {

using Clock = std::chrono::steady_clock;

class LwsChannel {
public:
  // `max_message_bytes`: the largest answer accepted (a larger one fails the call with
  // ChainBadResponse). `ca_file`: PEM certificates trusted for wss:// and https:// instead of
  // the system's store ("": the system's).
  LwsChannel(std::size_t max_message_bytes, const std::string &ca_file);
  ~LwsChannel();
  LwsChannel(const LwsChannel &) = delete;
  LwsChannel &operator=(const LwsChannel &) = delete;

  // `context` starts every error message ("chain_getHeader on http://...").
  //
  // One HTTP POST of `body` (application/json) on a new connection; returns the response body
  // of a 200 answer. Throws ChainUnreachable (nothing sent), ChainConnectionLost, ChainTimeout,
  // ChainBadResponse (another status, or too large).
  std::string post(const RpcUrl &url, const std::string &body, Clock::time_point deadline,
                   const std::string &context);

  // The WebSocket to `url`: opened if it is not open (a close that arrived since the last call
  // is taken in first). Throws ChainUnreachable or ChainTimeout.
  void open(const RpcUrl &url, Clock::time_point deadline, const std::string &context);
  bool is_open() const;
  // Sends one text message; returns once lws has taken it. Throws ChainUnreachable if the
  // socket closed before (nothing sent), ChainConnectionLost, ChainTimeout.
  void send(const std::string &text, Clock::time_point deadline, const std::string &context);
  // The next complete text message (however many frames it came in). Throws
  // ChainConnectionLost, ChainTimeout, ChainBadResponse (too large).
  std::string receive(Clock::time_point deadline, const std::string &context);
  // Closes the WebSocket (if open) and forgets what it had received.
  void close();

  // Called from the lws callback (public for the C trampoline only).
  struct WebSocketState;
  struct HttpExchange;
  int on_event(lws *wsi, int reason, void *user, void *in, std::size_t len);

private:
  // Runs lws until `done()` or the deadline; false if the deadline passed first.
  template <typename Done> bool service_until(Done done, Clock::time_point deadline);
  void take_pending_events();

  std::size_t max_message_bytes_;
  std::string ca_file_;
  lws_context *context_ = nullptr;
  std::unique_ptr<WebSocketState> ws_;
};

} // namespace mycelium::chain
