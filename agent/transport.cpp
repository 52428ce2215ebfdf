#include "transport.hpp"

#include <libwebsockets.h>

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <arpa/inet.h>
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>

namespace mycelium::agent {

struct HttpExchange;

// The per-transaction state of the HTTP vhost (libwebsockets allocates and zeroes it).
struct HttpSession {
  HttpExchange *exchange; // the request being answered, if any
};

struct Transport::Connection {
  ConnId id = 0;
  lws *wsi = nullptr;
  bool outgoing = false;
  bool json = false;
  bool open = false;
  bool closing = false;
  bool notified = false; // the handler heard of its end (on_close / on_connect_failed)
  std::string remote;
  std::deque<Bytes> out;
  std::size_t out_bytes = 0; // the sum of out's frame sizes
  Bytes in;
  // For outgoing connections lws uses this slot as the wsi's user data (ci.userdata).
  Connection *self = this;
};

// lws 4.1.6 on a foreign loop frees a context only when lws_context_destroy is called a second
// time, once the loop has closed lws's handles (its foreign-loop example calls it again after
// the loop stops); called earlier, it frees handles libuv is still closing. A Transport may be
// gone before the loop turns again, so this timer makes the second call: when no handle on the
// loop is marked as the context's any more (lws sets data = context on its per-thread handles
// and closes them after every connection's). If lws finished by itself, info.pcontext has
// cleared `context` and there is nothing to do.
struct ContextReaper {
  uv_timer_t timer;
  lws_context *context = nullptr;
};

namespace {

// The contexts whose Transport has not destroyed them. On a foreign loop lws_context_destroy
// only starts closing: lws finishes on later turns of the loop and calls back for each socket,
// when the Connections those sockets point at (or the Transport itself) are gone. Such late
// callbacks find no entry here and do nothing. A Transport lives on its loop's thread.
thread_local std::map<const lws_context *, Transport *> live_transports;

Transport *transport_of(lws *wsi) {
  const auto it = live_transports.find(lws_get_context(wsi));
  return it == live_transports.end() ? nullptr : it->second;
}

bool handles_left(uv_loop_t *loop, const lws_context *context) {
  struct Search {
    const lws_context *context;
    bool found;
  } search{context, false};
  uv_walk(
      loop,
      [](uv_handle_t *handle, void *arg) {
        auto *s = static_cast<Search *>(arg);
        s->found = s->found || handle->data == s->context;
      },
      &search);
  return search.found;
}

void reap(uv_timer_t *timer) {
  auto *reaper = static_cast<ContextReaper *>(timer->data);
  if (reaper->context && handles_left(timer->loop, reaper->context))
    return;
  if (reaper->context)
    lws_context_destroy(reaper->context);
  uv_close(reinterpret_cast<uv_handle_t *>(timer),
           [](uv_handle_t *handle) { delete static_cast<ContextReaper *>(handle->data); });
}

int ws_callback(lws *wsi, lws_callback_reasons reason, void *user, void *in, size_t len) {
  Transport *t = transport_of(wsi);
  if (!t)
    return 0;
  return t->on_ws_event(wsi, reason, user, in, len);
}

int http_callback(lws *wsi, lws_callback_reasons reason, void *user, void *in, size_t len) {
  if (Transport *t = transport_of(wsi))
    return t->on_http_event(wsi, reason, user, in, len);
  // Closed after the Transport let go: only an unsent response is left to free.
  if (reason == LWS_CALLBACK_CLOSED_HTTP && user) {
    auto **slot = static_cast<HttpResponse **>(user);
    delete *slot;
    *slot = nullptr;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

// What lws keeps per session: a pointer to our object (Connection, or an HTTP response). The
// first protocol is also what a client that names no subprotocol gets: binary.
const lws_protocols ws_protocols[] = {
    {kBinaryProtocol, ws_callback, sizeof(void *), 0, 0, nullptr, 0},
    {kJsonProtocol, ws_callback, sizeof(void *), 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0}};
const lws_protocols http_protocols[] = {
    {"http", http_callback, sizeof(HttpSession), 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0}};

// Why `address`:`port` cannot be bound now, or "" when it can (or when only lws can tell). lws
// reports a port in use only as a raw line of its own on stderr ("ERROR on binding fd 7 to port
// 7001 (-1 98)") and fails without a reason, so the bind is tried here first, as lws makes it
// (same family, SO_REUSEADDR), and released at once.
std::string bind_problem(const std::string &address, int port) {
  if (port <= 0)
    return ""; // lws picks a free port
  sockaddr_storage storage{};
  socklen_t size = 0;
  auto *v4 = reinterpret_cast<sockaddr_in *>(&storage);
  auto *v6 = reinterpret_cast<sockaddr_in6 *>(&storage);
  if (!address.empty() && inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    size = sizeof *v4;
  } else if (address.empty() || inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    // No address: lws binds the IPv6 wildcard, which takes IPv4 too.
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    size = sizeof *v6;
  } else {
    return "";
  }
  const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return "";
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const int bound = ::bind(fd, reinterpret_cast<sockaddr *>(&storage), size);
  const int error = errno;
  ::close(fd);
  if (bound == 0)
    return "";
  switch (error) {
  case EADDRINUSE:
    return "address already in use (another mycelium-agent or program holds it)";
  case EACCES:
    return "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
  case EADDRNOTAVAIL:
    return "the address is not one of this machine's";
  default:
    return std::strerror(error);
  }
}

std::string host_port(const std::string &address, int port) {
  const std::string host = address.empty() ? "*" : address;
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

// Throws, naming `setting`, when `address`:`port` cannot be bound now.
void check_bindable(const std::string &address, int port, const char *setting) {
  if (const std::string problem = bind_problem(address, port); !problem.empty())
    throw std::runtime_error("cannot listen on " + host_port(address, port) + " (" + setting +
                             "): " + problem);
}

} // namespace

Transport::Transport(uv_loop_t *loop, const TransportOptions &options, TransportHandler &handler)
    : loop_(loop), options_(options), handler_(handler) {
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  void *loops[] = {loop};
  info.foreign_loops = loops;
  info.port = CONTEXT_PORT_NO_LISTEN;
  reaper_ = new ContextReaper;
  info.pcontext = &reaper_->context;
  context_ = lws_create_context(&info);
  // On failure the reaper stays: lws may still write through pcontext while it cleans up.
  if (!context_)
    throw std::runtime_error("libwebsockets: cannot create the context (libuv event library?)");
  reaper_->context = context_;
  live_transports[context_] = this;
  // No destructor runs for a constructor that throws.
  try {
    if (options.peers_at_start)
      listen_for_peers();
    else // a port in use, or an address not this machine's, is said at start all the same
      check_bindable(options.listen_address, options.listen_port, "listen.port");
    if (options.http_port > 0)
      http_vhost_ = open_vhost("http", options.http_address, options.http_port, http_protocols,
                               "http.port", "serve HTTP");
  } catch (...) {
    destroy_context();
    throw;
  }
}

lws_vhost *Transport::open_vhost(const char *name, const std::string &address, int port,
                                 const lws_protocols *protocols, const char *setting,
                                 const char *what) {
  check_bindable(address, port, setting);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.vhost_name = name;
  info.port = port;
  info.iface = address.empty() ? nullptr : address.c_str();
  info.protocols = protocols;
  info.options = LWS_SERVER_OPTION_LIBUV;
  // libwebsockets built with IPv6 (Debian's 4.1.6) binds an IPv6 socket on every interface
  // when given an IPv4 address, whatever the address says (measured: `*:PORT` for
  // 127.0.0.1). For an IPv4 literal, an IPv4-only vhost binds exactly that address.
  in_addr v4{};
  if (!address.empty() && inet_pton(AF_INET, address.c_str(), &v4) == 1)
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  lws_vhost *vhost = lws_create_vhost(context_, &info);
  if (!vhost)
    throw std::runtime_error(std::string("cannot ") + what + " on " + address + ":" +
                             std::to_string(port));
  return vhost;
}

void Transport::listen_for_peers() {
  if (ws_vhost_)
    return;
  if (!context_)
    throw std::runtime_error("cannot listen for peers: the transport is shut down");
  ws_vhost_ = open_vhost("peers", options_.listen_address, options_.listen_port, ws_protocols,
                         "listen.port", "listen for peers");
}

Transport::~Transport() {
  destroy_context();
}

void Transport::shutdown() {
  destroy_context();
  connections_.clear();
}

void Transport::destroy_context() {
  close_listeners();
  if (!context_)
    return;
  // The closes lws makes at once still reach the handler; the later ones do not (see
  // live_transports).
  lws_context_destroy(context_);
  live_transports.erase(context_);
  context_ = nullptr;
  ws_vhost_ = http_vhost_ = nullptr;
  uv_timer_init(loop_, &reaper_->timer);
  reaper_->timer.data = reaper_;
  uv_timer_start(&reaper_->timer, reap, 0, 1);
  reaper_ = nullptr;
}

namespace {

void delete_tcp(uv_handle_t *handle) {
  delete reinterpret_cast<uv_tcp_t *>(handle);
}

} // namespace

bool Transport::listen_on(int port, std::string &error) {
  if (listeners_.count(port))
    return true;
  if (!context_) {
    error = "the transport is shut down";
    return false;
  }
  if (!ws_vhost_) {
    error = "not listening for peers yet";
    return false;
  }
  if (port <= 0 || port > 65535) {
    error = "port " + std::to_string(port) + " is not between 1 and 65535";
    return false;
  }
  std::string host = options_.listen_address;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string where = options_.listen_address + ":" + std::to_string(port);

  // Numeric only: a name lookup would block the loop (lws's own listener takes no names either).
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo *address = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc =
          getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &address)) {
    error = "cannot listen on " + where + ": " + gai_strerror(rc);
    return false;
  }

  auto *listener = new uv_tcp_t();
  uv_tcp_init(loop_, listener);
  listener->data = this;
  int rc = uv_tcp_bind(listener, address->ai_addr, 0);
  freeaddrinfo(address);
  // libuv reports EADDRINUSE from uv_listen, not from uv_tcp_bind.
  if (rc == 0)
    rc = uv_listen(reinterpret_cast<uv_stream_t *>(listener), SOMAXCONN,
                   [](uv_stream_t *server, int status) {
                     if (status == 0)
                       static_cast<Transport *>(server->data)->adopt_incoming(server);
                   });
  if (rc != 0) {
    error = "cannot listen on " + where + ": " + uv_strerror(rc);
    uv_close(reinterpret_cast<uv_handle_t *>(listener), delete_tcp);
    return false;
  }
  listeners_.emplace(port, listener);
  return true;
}

void Transport::adopt_incoming(uv_stream_t *listener) {
  // libuv cannot let go of a socket it accepted: lws gets a duplicate and libuv closes its own.
  auto *accepted = new uv_tcp_t();
  uv_tcp_init(loop_, accepted);
  int fd = -1;
  uv_os_fd_t own = -1;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t *>(accepted)) == 0 &&
      uv_fileno(reinterpret_cast<uv_handle_t *>(accepted), &own) == 0) {
    // What lws's own listener sets on the sockets it accepts (no keepalive: ka_time is 0).
    uv_tcp_nodelay(accepted, 1);
    fd = fcntl(own, F_DUPFD_CLOEXEC, 0);
  }
  uv_close(reinterpret_cast<uv_handle_t *>(accepted), delete_tcp);
  // The path lws's own listener takes after accept(). On failure lws closes the descriptor
  // and the peer sees the connection drop. (No listener outlives the context: shutdown closes
  // them first.)
  if (fd >= 0)
    lws_adopt_socket_vhost(ws_vhost_, fd);
}

void Transport::stop_listening(int port) {
  const auto it = listeners_.find(port);
  if (it == listeners_.end())
    return;
  // uv_close closes the socket at once (the port is free when this returns); the handle's
  // memory goes in the callback.
  uv_close(reinterpret_cast<uv_handle_t *>(it->second), delete_tcp);
  listeners_.erase(it);
}

std::vector<int> Transport::extra_ports() const {
  std::vector<int> ports;
  for (const auto &entry : listeners_)
    ports.push_back(entry.first);
  return ports;
}

void Transport::close_listeners() {
  while (!listeners_.empty())
    stop_listening(listeners_.begin()->first);
}

Transport::Connection *Transport::find(ConnId id) {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second.get();
}

void Transport::forget(Connection *c) {
  connections_.erase(c->id);
}

ConnId Transport::connect(const std::string &host, int port, bool json) {
  auto owned = std::make_unique<Connection>();
  Connection *c = owned.get();
  c->id = next_id_++;
  c->outgoing = true;
  c->json = json;
  c->remote = host + ":" + std::to_string(port);
  connections_.emplace(c->id, std::move(owned));
  const ConnId id = c->id;
  if (!ws_vhost_) {
    finish(c, context_ ? "not listening for peers yet" : "the transport is shut down");
    forget(c);
    return id;
  }

  lws_client_connect_info ci;
  std::memset(&ci, 0, sizeof ci);
  ci.context = context_;
  ci.vhost = ws_vhost_;
  ci.address = host.c_str();
  ci.port = port;
  ci.path = "/";
  ci.host = host.c_str();
  ci.origin = host.c_str();
  ci.protocol = json ? kJsonProtocol : kBinaryProtocol;
  ci.userdata = &c->self;
  ci.pwsi = &c->wsi;
  if (!lws_client_connect_via_info(&ci)) {
    // No wsi (or one already destroyed): report the failure unless a callback did.
    if (Connection *still = find(id)) {
      finish(still, "cannot start a connection to " + host);
      forget(still);
    }
  }
  return id;
}

void Transport::finish(Connection *c, const std::string &reason) {
  if (c->notified)
    return;
  c->notified = true;
  if (c->open)
    handler_.on_close(c->id);
  else
    handler_.on_connect_failed(c->id, reason.empty() ? "closed" : reason);
}

bool Transport::send(ConnId id, Bytes frame) {
  Connection *c = find(id);
  if (!c || !c->wsi || c->closing || c->notified)
    return false;
  const std::size_t limit = options_.max_queued_bytes
                                ? options_.max_queued_bytes
                                : std::max<std::size_t>(16u << 20, 4 * options_.max_frame_bytes);
  if (c->out_bytes + frame.size() > limit) {
    handler_.on_send_backlog(id, c->out_bytes);
    // What is queued is dropped with the connection: the peer was not reading it.
    c->out.clear();
    c->out_bytes = 0;
    close(id);
    return false;
  }
  c->out_bytes += frame.size();
  c->out.push_back(std::move(frame));
  lws_callback_on_writable(c->wsi);
  return true;
}

std::size_t Transport::queued_bytes(ConnId id) {
  const Connection *c = find(id);
  return c ? c->out_bytes : 0;
}

void Transport::close(ConnId id) {
  Connection *c = find(id);
  if (!c || !c->wsi)
    return;
  c->closing = true;
  lws_callback_on_writable(c->wsi);
}

int Transport::on_ws_event(lws *wsi, int reason, void *user, void *in, std::size_t len) {
  auto **slot = static_cast<Connection **>(user);
  Connection *c = slot ? *slot : nullptr;
  try {
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED: {
      auto owned = std::make_unique<Connection>();
      c = owned.get();
      c->id = next_id_++;
      c->wsi = wsi;
      c->open = true;
      c->json = std::strcmp(lws_get_protocol(wsi)->name, kJsonProtocol) == 0;
      char peer[128] = "";
      lws_get_peer_simple(wsi, peer, sizeof peer);
      c->remote = peer;
      *slot = c;
      connections_.emplace(c->id, std::move(owned));
      handler_.on_open(c->id, false, c->json, c->remote);
      return 0;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      if (!c)
        return -1;
      c->wsi = wsi;
      c->open = true;
      handler_.on_open(c->id, true, c->json, c->remote);
      return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      // The slot lives inside the Connection: it is freed only at LWS_CALLBACK_WSI_DESTROY,
      // the last callback lws makes for the wsi.
      if (c)
        // lws counts the terminating NUL in len for some errors: stop at the first one.
        finish(c, in ? std::string(static_cast<const char *>(in),
                                   strnlen(static_cast<const char *>(in), len))
                     : "refused");
      return 0;
    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_CLIENT_RECEIVE: {
      if (!c || c->closing)
        return 0;
      const auto *data = static_cast<const std::uint8_t *>(in);
      if (c->in.size() + len > options_.max_frame_bytes)
        return -1; // oversized frames end the connection before they are buffered
      c->in.insert(c->in.end(), data, data + len);
      if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
        Bytes frame;
        frame.swap(c->in);
        handler_.on_frame(c->id, frame);
      }
      return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE:
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
      if (!c)
        return 0;
      if (c->closing && c->out.empty())
        return -1;
      if (c->out.empty())
        return 0;
      // Drain the queue while the socket takes more: one frame per writeable callback would
      // cost a round of epoll calls per message (measured: bench/agent-transport.sh).
      std::vector<unsigned char> buffer;
      while (!c->out.empty() && !lws_send_pipe_choked(wsi)) {
        const Bytes &frame = c->out.front();
        buffer.resize(LWS_PRE + frame.size());
        std::memcpy(buffer.data() + LWS_PRE, frame.data(), frame.size());
        const int written = lws_write(wsi, buffer.data() + LWS_PRE, frame.size(), LWS_WRITE_BINARY);
        if (written < static_cast<int>(frame.size()))
          return -1;
        c->out_bytes -= frame.size();
        c->out.pop_front();
      }
      if (!c->out.empty() || c->closing)
        lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_CLOSED:
      // Server side: the slot is lws's own session memory, valid until the wsi goes.
      if (c) {
        finish(c, "");
        *slot = nullptr;
        forget(c);
      }
      return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
      if (c)
        finish(c, "");
      return 0;
    case LWS_CALLBACK_WSI_DESTROY:
      if (c && c->outgoing) {
        finish(c, "connection closed before it opened");
        forget(c);
      }
      return 0;
    default:
      return 0;
    }
  } catch (const std::exception &) {
    // Never let an exception cross libwebsockets' C frames: drop the connection instead.
    return -1;
  }
}

// One HTTP request in flight: a POST collects its body before the handler answers.
struct HttpExchange {
  HttpRequest request;
  std::unique_ptr<HttpResponse> response;
  bool sent = false; // the response was written; the next writeable callback closes
};

namespace {

// Writes the headers of `response` and queues its body for the writeable callback.
int send_response(lws *wsi, HttpExchange &exchange, HttpResponse response) {
  unsigned char headers[LWS_PRE + 1024];
  unsigned char *start = headers + LWS_PRE, *p = start, *end = headers + sizeof headers - 1;
  static const char close[] = "close";
  if (lws_add_http_common_headers(wsi, static_cast<unsigned int>(response.status),
                                  response.content_type.c_str(), response.body.size(), &p, end) ||
      lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
                                   reinterpret_cast<const unsigned char *>(close), sizeof close - 1,
                                   &p, end) ||
      lws_finalize_write_http_header(wsi, start, &p, end))
    return 1;
  exchange.response = std::make_unique<HttpResponse>(std::move(response));
  lws_callback_on_writable(wsi);
  return 0;
}

int respond(lws *wsi, Transport &, TransportHandler &handler, HttpExchange &exchange) {
  HttpResponse response;
  try {
    response = handler.on_http(exchange.request);
  } catch (const std::exception &e) {
    response = {500, "text/plain; charset=utf-8", std::string("error: ") + e.what() + "\n"};
  }
  return send_response(wsi, exchange, std::move(response));
}

// A POST is answered once its whole body arrived, which libwebsockets 4.1 can tell only from a
// Content-Length: a chunked body (or none announced) never completes, and the client used to
// wait for an answer that never came. Such a POST, and one announcing more than the agent
// accepts, is refused at once with the reason.
std::optional<HttpResponse> refuse_post_body(lws *wsi) {
  const int length = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
  char value[32] = {};
  if (length <= 0 || length >= static_cast<int>(sizeof value) ||
      lws_hdr_copy(wsi, value, sizeof value, WSI_TOKEN_HTTP_CONTENT_LENGTH) != length)
    return HttpResponse{411, "text/plain; charset=utf-8",
                        "error: a POST needs a Content-Length header (chunked request bodies "
                        "are not accepted)\n"};
  char *end = nullptr;
  errno = 0;
  const unsigned long long announced = std::strtoull(value, &end, 10);
  if (errno != 0 || end == value || *end != '\0' || value[0] == '-')
    return HttpResponse{400, "text/plain; charset=utf-8",
                        "error: Content-Length is not a number\n"};
  if (announced > kMaxHttpBody)
    return HttpResponse{413, "text/plain; charset=utf-8",
                        "error: the body is larger than the agent accepts (" +
                            std::to_string(kMaxHttpBody) + " bytes)\n"};
  return std::nullopt;
}

} // namespace

int Transport::on_http_event(lws *wsi, int reason, void *user, void *in, std::size_t len) {
  auto *session = static_cast<HttpSession *>(user);
  HttpExchange **slot = session ? &session->exchange : nullptr;
  switch (reason) {
  case LWS_CALLBACK_HTTP: {
    // One request per connection (every answer says "Connection: close"): the exchange stays
    // in the session until the connection closes, so a request pipelined behind it closes the
    // connection. libwebsockets 4.1.6 parsed a POST pipelined behind another request again and
    // again after lws_http_transaction_completed (the node signed and published it thousands
    // of times), so no transaction is ever completed: the connection closes after its answer.
    if (!session || session->exchange)
      return -1;
    auto exchange = std::make_unique<HttpExchange>();
    exchange->request.path = in ? static_cast<const char *>(in) : "/";
    char topic[256];
    if (lws_get_urlarg_by_name(wsi, "topic=", topic, sizeof topic))
      exchange->request.topic = topic;
    const int auth_length = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (auth_length > 0 && auth_length < 1024) {
      std::string authorization(static_cast<std::size_t>(auth_length) + 1, '\0');
      if (lws_hdr_copy(wsi, authorization.data(), auth_length + 1, WSI_TOKEN_HTTP_AUTHORIZATION) ==
          auth_length) {
        authorization.resize(static_cast<std::size_t>(auth_length));
        exchange->request.authorization = std::move(authorization);
      }
    }
    const bool post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
    exchange->request.method = post ? "POST" : "GET";
    *slot = exchange.release();
    if (post) {
      if (std::optional<HttpResponse> refusal = refuse_post_body(wsi))
        return send_response(wsi, **slot, std::move(*refusal));
      return 0; // answered at LWS_CALLBACK_HTTP_BODY_COMPLETION
    }
    return respond(wsi, *this, handler_, **slot);
  }
  case LWS_CALLBACK_HTTP_BODY:
    if (slot && *slot && (*slot)->response)
      return 0; // refused before its body arrived: the answer is on its way
    if (!slot || !*slot || (*slot)->request.body.size() + len > kMaxHttpBody)
      return -1;
    (*slot)->request.body.append(static_cast<const char *>(in), len);
    return 0;
  case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    if (!slot || !*slot)
      return -1;
    // Answered already: lws 4.1.6 repeats this callback for a pipelined POST.
    if ((*slot)->response)
      return 0;
    return respond(wsi, *this, handler_, **slot);
  case LWS_CALLBACK_HTTP_WRITEABLE: {
    // lws calls back for writing only once what it buffered has gone out: after the answer,
    // the next call means it was sent whole, and the connection closes.
    if (!slot || !*slot || (*slot)->sent || !(*slot)->response)
      return -1;
    const HttpResponse &response = *(*slot)->response;
    std::vector<unsigned char> body(LWS_PRE + response.body.size());
    std::memcpy(body.data() + LWS_PRE, response.body.data(), response.body.size());
    if (lws_write(wsi, body.data() + LWS_PRE, response.body.size(), LWS_WRITE_HTTP_FINAL) <
        static_cast<int>(response.body.size()))
      return -1;
    (*slot)->sent = true;
    lws_callback_on_writable(wsi);
    return 0;
  }
  case LWS_CALLBACK_CLOSED_HTTP:
    if (slot && *slot) {
      delete *slot;
      *slot = nullptr;
    }
    return 0;
  case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    if (slot && *slot) {
      delete *slot;
      *slot = nullptr;
    }
    return 0;
  default:
    return lws_callback_http_dummy(wsi, static_cast<lws_callback_reasons>(reason), user, in, len);
  }
}

} // namespace mycelium::agent
