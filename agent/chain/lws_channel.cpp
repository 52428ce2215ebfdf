#include "agent/chain/lws_channel.hpp"

#include "agent/chain/chain_error.hpp"

#include <libwebsockets.h>

#include <cstddef>
#include <cstring>
#include <type_traits>
#include <vector>

namespace mycelium::chain {

namespace {

// The timer service_until sets at a call's deadline. lws runs the timers already due when it
// works out how long to poll, then polls until the next one; a deadline that falls due right
// then is run there, and the poll waits for lws's own next timer (its connection timeouts, 5 or
// 30 s away). The callback therefore also wakes the poll itself (lws_cancel_service), so a
// deadline is never overrun by more than one round of the loop.
struct DeadlineTimer {
  lws_sorted_usec_list_t sul; // first member: the callback is given its address
  lws_context *context = nullptr;
};
static_assert(std::is_standard_layout_v<DeadlineTimer> && offsetof(DeadlineTimer, sul) == 0);

void on_deadline(lws_sorted_usec_list_t *sul) {
  lws_cancel_service(reinterpret_cast<DeadlineTimer *>(sul)->context);
}

} // namespace

// The WebSocket between calls. `wsi` is null when there is no connection.
struct LwsChannel::WebSocketState {
  enum class Phase { closed, connecting, open };
  lws *wsi = nullptr;
  Phase phase = Phase::closed;
  std::string why_closed; // lws's reason for a failed connection, or how it closed
  bool too_large = false; // closed by us: a message passed max_message_bytes
  std::string partial;    // the frames of a message not yet complete
  std::deque<std::string> inbox;
  std::string outgoing; // the message being sent (one at a time: calls are serialized)
  bool written = false; // lws took `outgoing`
};

// One HTTP POST, on the stack of post(); the connection never outlives it.
struct LwsChannel::HttpExchange {
  lws *wsi = nullptr;
  const std::string *body = nullptr;
  std::string host_header;
  bool body_written = false;
  bool completed = false;
  bool failed = false;
  bool too_large = false;
  std::string why_failed;
  int status = 0;
  std::string response;
};

namespace {

constexpr const char *kProtocolName = "mycelium-chain-rpc";
// What lws 4.1 reports (nothing) when the host name does not resolve, among other causes.
constexpr const char *kNoReason = "lws gave no reason; a host name that does not resolve fails so";

int trampoline(lws *wsi, lws_callback_reasons reason, void *user, void *in, size_t len) {
  auto *channel = static_cast<LwsChannel *>(lws_context_user(lws_get_context(wsi)));
  if (!channel)
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  return channel->on_event(wsi, reason, user, in, len);
}

const lws_protocols kProtocols[] = {{kProtocolName, trampoline, 0, 0, 0, nullptr, 0},
                                    {nullptr, nullptr, 0, 0, 0, nullptr, 0}};

// Closes a connection now, running its close callbacks before returning.
void kill(lws *wsi) {
  if (wsi)
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
}

// The Host header: the port only when it is not the scheme's default, brackets for IPv6.
std::string host_header(const RpcUrl &url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port != (url.tls ? 443 : 80))
    host += ":" + std::to_string(url.port);
  return host;
}

lws_client_connect_info connect_info(lws_context *context, const RpcUrl &url,
                                     const std::string &host, void *user, lws **pwsi) {
  lws_client_connect_info info;
  std::memset(&info, 0, sizeof info);
  info.context = context;
  info.address = url.host.c_str();
  info.port = url.port;
  info.path = url.path.c_str();
  info.host = host.c_str();
  // No Origin header: Substrate's CORS check (--rpc-cors) applies to browsers, which send one.
  info.ssl_connection = url.tls ? LCCSCF_USE_SSL : 0;
  info.local_protocol_name = kProtocolName; // our callback, without asking for a subprotocol
  info.userdata = user;
  info.pwsi = pwsi;
  // HTTP/1.1 even where the server offers h2 over TLS: one request per connection needs no more.
  info.alpn = "http/1.1";
  return info;
}

} // namespace

LwsChannel::LwsChannel(std::size_t max_message_bytes, const std::string &ca_file)
    : max_message_bytes_(max_message_bytes), ca_file_(ca_file),
      ws_(std::make_unique<WebSocketState>()) {
  // lws's errors only (the agent's transport sets the same); ours name the call and the URL.
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.user = this;
  if (!ca_file_.empty())
    info.client_ssl_ca_filepath = ca_file_.c_str();
  context_ = lws_create_context(&info);
  if (!context_)
    throw ChainError("libwebsockets: cannot create a client context" +
                     (ca_file_.empty() ? std::string() : " (is " + ca_file_ + " readable PEM?)"));
}

LwsChannel::~LwsChannel() {
  // Destroying the context closes what is open; its callbacks still find this object whole.
  lws_context_destroy(context_);
}

template <typename Done> bool LwsChannel::service_until(Done done, Clock::time_point deadline) {
  // lws's poll waits until its next timer (lws_service's timeout argument only says wait or
  // not), so a timer at the deadline bounds the wait.
  DeadlineTimer wake;
  std::memset(&wake.sul, 0, sizeof wake.sul);
  wake.context = context_;
  bool ok = true;
  while (!done()) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) {
      ok = false;
      break;
    }
    lws_sul_schedule(context_, 0, &wake.sul, on_deadline,
                     std::chrono::duration_cast<std::chrono::microseconds>(left).count() + 1);
    lws_service(context_, 0);
  }
  lws_sul_schedule(context_, 0, &wake.sul, nullptr, LWS_SET_TIMER_USEC_CANCEL);
  return ok;
}

void LwsChannel::take_pending_events() {
  // A negative timeout: one round of poll without waiting.
  lws_service(context_, -1);
}

std::string LwsChannel::post(const RpcUrl &url, const std::string &body, Clock::time_point deadline,
                             const std::string &context) {
  HttpExchange exchange;
  exchange.body = &body;
  exchange.host_header = host_header(url);
  lws_client_connect_info info =
      connect_info(context_, url, exchange.host_header, &exchange, &exchange.wsi);
  info.method = "POST";
  info.ssl_connection |= LCCSCF_HTTP_NO_FOLLOW_REDIRECT;
  // Whatever happens below, the connection is gone before `exchange` is.
  struct Closer {
    HttpExchange &exchange;
    ~Closer() { kill(exchange.wsi); }
  } closer{exchange};

  if (!lws_client_connect_via_info(&info) && !exchange.failed) {
    exchange.failed = true;
    exchange.why_failed = kNoReason;
  }
  const bool finished =
      service_until([&] { return exchange.completed || exchange.failed; }, deadline);
  if (!finished) {
    const std::string what = exchange.body_written ? "no answer" : "no connection";
    throw ChainTimeout(context + ": " + what + " within the call's timeout");
  }
  if (exchange.too_large)
    throw ChainBadResponse(context + ": the answer is larger than " +
                           std::to_string(max_message_bytes_) + " bytes");
  if (exchange.failed && !exchange.body_written)
    throw ChainUnreachable(context + ": cannot connect (" + exchange.why_failed + ")");
  if (exchange.failed)
    throw ChainConnectionLost(context + ": the connection closed before the answer (" +
                              exchange.why_failed + ")");
  if (exchange.status != 200)
    throw ChainBadResponse(context + ": HTTP status " + std::to_string(exchange.status) + ": " +
                           exchange.response.substr(0, 200));
  return std::move(exchange.response);
}

bool LwsChannel::is_open() const {
  return ws_->phase == WebSocketState::Phase::open;
}

void LwsChannel::open(const RpcUrl &url, Clock::time_point deadline, const std::string &context) {
  take_pending_events();
  if (is_open())
    return;
  close();
  const std::string host = host_header(url);
  lws_client_connect_info info = connect_info(context_, url, host, ws_.get(), &ws_->wsi);
  ws_->phase = WebSocketState::Phase::connecting;
  if (!lws_client_connect_via_info(&info) && ws_->phase == WebSocketState::Phase::connecting) {
    ws_->phase = WebSocketState::Phase::closed;
    ws_->why_closed = kNoReason;
  }
  const bool settled =
      service_until([&] { return ws_->phase != WebSocketState::Phase::connecting; }, deadline);
  if (!settled) {
    close();
    throw ChainTimeout(context + ": no WebSocket connection within the call's timeout");
  }
  if (!is_open())
    throw ChainUnreachable(context + ": cannot connect (" + ws_->why_closed + ")");
}

void LwsChannel::send(const std::string &text, Clock::time_point deadline,
                      const std::string &context) {
  take_pending_events();
  if (!is_open())
    throw ChainUnreachable(context + ": the WebSocket closed before the request was sent (" +
                           ws_->why_closed + ")");
  ws_->outgoing = text;
  ws_->written = false;
  lws_callback_on_writable(ws_->wsi);
  const bool done = service_until([&] { return ws_->written || !is_open(); }, deadline);
  if (!done) {
    close();
    throw ChainTimeout(context + ": the request could not be sent within the call's timeout");
  }
  if (!ws_->written)
    throw ChainUnreachable(context + ": the WebSocket closed before the request was sent (" +
                           ws_->why_closed + ")");
}

std::string LwsChannel::receive(Clock::time_point deadline, const std::string &context) {
  const bool done = service_until([&] { return !ws_->inbox.empty() || !is_open(); }, deadline);
  if (!ws_->inbox.empty()) {
    std::string message = std::move(ws_->inbox.front());
    ws_->inbox.pop_front();
    return message;
  }
  if (!done) {
    close();
    throw ChainTimeout(context + ": no answer within the call's timeout");
  }
  if (ws_->too_large)
    throw ChainBadResponse(context + ": an answer is larger than " +
                           std::to_string(max_message_bytes_) + " bytes");
  throw ChainConnectionLost(context + ": the WebSocket closed before the answer (" +
                            ws_->why_closed + ")");
}

void LwsChannel::close() {
  kill(ws_->wsi);
  ws_->wsi = nullptr;
  ws_->phase = WebSocketState::Phase::closed;
  ws_->partial.clear();
  ws_->inbox.clear();
  ws_->too_large = false;
}

int LwsChannel::on_event(lws *wsi, int reason, void *user, void *in, std::size_t len) {
  const auto dummy = [&] {
    return lws_callback_http_dummy(wsi, static_cast<lws_callback_reasons>(reason), user, in, len);
  };
  if (!user)
    return dummy();
  const auto text = [&](const char *fallback) {
    return in && len > 0 ? std::string(static_cast<const char *>(in), len)
           : in          ? std::string(static_cast<const char *>(in))
                         : std::string(fallback);
  };

  if (user == ws_.get()) {
    WebSocketState &ws = *ws_;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      ws.phase = WebSocketState::Phase::open;
      ws.why_closed.clear();
      return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      ws.phase = WebSocketState::Phase::closed;
      ws.why_closed = text(kNoReason);
      return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
      if (ws.partial.size() + len > max_message_bytes_) {
        ws.too_large = true;
        ws.why_closed = "answer too large";
        return -1; // lws closes the connection
      }
      ws.partial.append(static_cast<const char *>(in), len);
      if (lws_is_final_fragment(wsi)) {
        ws.inbox.push_back(std::move(ws.partial));
        ws.partial.clear();
      }
      return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
      if (ws.written || ws.outgoing.empty())
        return 0;
      std::vector<unsigned char> buffer(LWS_PRE + ws.outgoing.size());
      std::memcpy(buffer.data() + LWS_PRE, ws.outgoing.data(), ws.outgoing.size());
      const int n = lws_write(wsi, buffer.data() + LWS_PRE, ws.outgoing.size(), LWS_WRITE_TEXT);
      if (n < static_cast<int>(ws.outgoing.size())) {
        ws.why_closed = "write failed";
        return -1;
      }
      ws.written = true;
      return 0;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      ws.why_closed = "closed by the node";
      return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
      ws.phase = WebSocketState::Phase::closed;
      if (ws.why_closed.empty())
        ws.why_closed = "connection closed";
      return 0;
    case LWS_CALLBACK_WSI_DESTROY:
      if (ws.wsi == wsi) {
        ws.wsi = nullptr;
        if (ws.phase != WebSocketState::Phase::closed && ws.why_closed.empty())
          ws.why_closed = "connection closed";
        ws.phase = WebSocketState::Phase::closed;
      }
      return 0;
    default:
      return dummy();
    }
  }

  HttpExchange &http = *static_cast<HttpExchange *>(user);
  switch (reason) {
  case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
    auto **p = static_cast<unsigned char **>(in);
    unsigned char *end = *p + len;
    const std::string length = std::to_string(http.body->size());
    static const char kJson[] = "application/json";
    if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                     reinterpret_cast<const unsigned char *>(kJson),
                                     sizeof kJson - 1, p, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH,
                                     reinterpret_cast<const unsigned char *>(length.data()),
                                     static_cast<int>(length.size()), p, end))
      return -1;
    lws_client_http_body_pending(wsi, 1);
    lws_callback_on_writable(wsi);
    return 0;
  }
  case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE: {
    if (http.body_written)
      return 0;
    const std::string &body = *http.body;
    std::vector<unsigned char> buffer(LWS_PRE + body.size());
    std::memcpy(buffer.data() + LWS_PRE, body.data(), body.size());
    lws_client_http_body_pending(wsi, 0);
    if (lws_write(wsi, buffer.data() + LWS_PRE, body.size(), LWS_WRITE_HTTP_FINAL) <
        static_cast<int>(body.size())) {
      http.why_failed = "write failed";
      return -1;
    }
    http.body_written = true;
    return 0;
  }
  case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
    http.status = static_cast<int>(lws_http_client_http_response(wsi));
    return 0;
  case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
    if (http.response.size() + len > max_message_bytes_) {
      http.too_large = true;
      http.failed = true;
      return -1;
    }
    http.response.append(static_cast<const char *>(in), len);
    return 0;
  case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
    unsigned char buffer[LWS_PRE + 16384];
    char *p = reinterpret_cast<char *>(buffer + LWS_PRE);
    int n = static_cast<int>(sizeof buffer - LWS_PRE);
    return lws_http_client_read(wsi, &p, &n) < 0 ? -1 : 0;
  }
  case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
    http.completed = true;
    return 0;
  case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    http.failed = true;
    http.why_failed = text(kNoReason);
    return 0;
  case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
    if (!http.completed && !http.failed) {
      http.failed = true;
      if (http.why_failed.empty())
        http.why_failed = "connection closed";
    }
    return 0;
  case LWS_CALLBACK_WSI_DESTROY:
    if (http.wsi == wsi)
      http.wsi = nullptr;
    if (!http.completed && !http.failed) {
      http.failed = true;
      http.why_failed = "connection closed";
    }
    return 0;
  default:
    return dummy();
  }
}

} // namespace mycelium::chain
