// The agent's network glue: one libwebsockets context on the agent's libuv loop, with a
// WebSocket vhost (listening for peers, and dialling out to them) and an HTTP vhost (/metrics,
// /health, /status). Everything here runs on the loop thread; it knows nothing about
// handshakes or messages, only connections and frames.
//
// The two listeners may open at different times: the agent answers HTTP from its start, while
// it waits for its database, but accepts peers only once it has checked its identity there
// (TransportOptions::peers_at_start false, then listen_for_peers()).
//
// Besides the vhost's own (bootstrap) port, peers may be accepted on extra ports opened and
// closed at run time (port rotation). lws ties a connection to the vhost that accepted it and
// closes it with that vhost, so a vhost per rotated port would drop its sessions when the port
// closes. Instead each extra port is a plain libuv listener whose connections are handed to
// the peers vhost (lws_adopt_socket_vhost): they belong to the vhost, not to the port, and
// outlive it.
#pragma once

#include "mycelium/bytes.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct lws;
struct lws_context;
struct lws_vhost;
struct lws_protocols;
typedef struct uv_loop_s uv_loop_t;
typedef struct uv_tcp_s uv_tcp_t;
typedef struct uv_stream_s uv_stream_t;

namespace mycelium::agent {

struct ContextReaper;

using ConnId = std::uint64_t;
using mycelium::Bytes;

// WebSocket subprotocols: the same messages as flatbuffers binary or as flatbuffers JSON.
inline constexpr const char *kBinaryProtocol = "mycelium.v1.flatbuffers";
inline constexpr const char *kJsonProtocol = "mycelium.v1.json";

// The local operator's HTTP surface: GET, and POST with a body of at most kMaxHttpBody bytes.
struct HttpRequest {
  std::string method;        // "GET" or "POST"
  std::string path;          // without the query string
  std::string topic;         // the query argument topic=..., if any
  std::string authorization; // the Authorization header, if any
  std::string body;
};
inline constexpr std::size_t kMaxHttpBody = 64 * 1024;

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class TransportHandler {
public:
  virtual ~TransportHandler() = default;
  // A connection is up (outgoing: we dialled it; json: the JSON subprotocol was chosen).
  virtual void on_open(ConnId id, bool outgoing, bool json, const std::string &remote) = 0;
  virtual void on_frame(ConnId id, const Bytes &frame) = 0;
  virtual void on_close(ConnId id) = 0;
  // An outgoing connection could not be made (it never opened).
  virtual void on_connect_failed(ConnId id, const std::string &reason) = 0;
  virtual HttpResponse on_http(const HttpRequest &request) = 0;
  // The connection is being closed because max_queued_bytes were waiting for a peer that does
  // not read (on_close follows). For the log; nothing to do.
  virtual void on_send_backlog(ConnId /*id*/, std::size_t /*queued_bytes*/) {}
};

struct TransportOptions {
  std::string listen_address = "127.0.0.1";
  int listen_port = 0;
  std::string http_address = "127.0.0.1";
  int http_port = 0;
  std::size_t max_frame_bytes = 1 << 20;
  // Bytes queued for one connection beyond what its socket took. A peer that stops reading
  // cannot make us hold more: the frame that would pass this closes the connection instead
  // (a sealed frame cannot be dropped alone: the channel counts frames). 0: the default,
  // max(16 MiB, 4 frames of max_frame_bytes).
  std::size_t max_queued_bytes = 0;
  // Whether the constructor opens the peers' listener. false: only HTTP until
  // listen_for_peers(); until then nothing is accepted from peers nor dialled.
  bool peers_at_start = true;
};

class Transport {
public:
  // Opens the HTTP listener (when http_port > 0) and, with peers_at_start, the peers'; throws
  // std::runtime_error naming the address, the setting and the reason when one cannot be opened
  // (without peers_at_start, also when the peers' port could not be bound now).
  Transport(uv_loop_t *loop, const TransportOptions &options, TransportHandler &handler);
  ~Transport();
  Transport(const Transport &) = delete;
  Transport &operator=(const Transport &) = delete;

  // Opens the peers' listener on options.listen_address:listen_port, when the constructor did
  // not (peers_at_start false); nothing to do when it is open. Throws std::runtime_error as the
  // constructor does when the port cannot be opened, or when the transport is shut down.
  void listen_for_peers();
  bool listening_for_peers() const { return ws_vhost_ != nullptr; }

  // Dials a peer; the result arrives as on_open or on_connect_failed with the returned id
  // (failed at once before listen_for_peers: the peers' vhost also dials).
  ConnId connect(const std::string &host, int port, bool json = false);
  // Queues a frame; written when the socket is writeable. Returns false if the id is gone or
  // closing, or if the frame would pass max_queued_bytes (then the connection is closed).
  bool send(ConnId id, Bytes frame);
  // Bytes queued for the connection and not yet handed to its socket (0 if it is gone).
  std::size_t queued_bytes(ConnId id);
  void close(ConnId id);
  // Stops accepting and closes every connection (for shutdown). The handler may hear of some
  // closes during the call and hears nothing after it. lws finishes on later turns of the
  // loop, which keeps running until it has; the Transport may be destroyed at once. The
  // destructor does the same.
  void shutdown();

  // Also accepts peers on options.listen_address:port, exactly as on the vhost's own port
  // (same subprotocols, on_open(id, false, ...)). True if the port is (already) open; false
  // with a reason otherwise. The address must be an IP address (lws also takes an interface
  // name for its own port; this does not). False before listen_for_peers.
  bool listen_on(int port, std::string &error);
  // Stops accepting on an extra port; connections accepted there stay up.
  void stop_listening(int port);
  // The extra ports open now, in ascending order (the vhost's own port is not among them).
  std::vector<int> extra_ports() const;

  // Called from the lws callbacks (public for the C callback trampolines only).
  struct Connection;
  int on_ws_event(lws *wsi, int reason, void *user, void *in, std::size_t len);
  int on_http_event(lws *wsi, int reason, void *user, void *in, std::size_t len);

private:
  // A listening vhost on address:port; throws, naming `setting` (a port that cannot be bound)
  // or `what` (lws failed otherwise), when it cannot be opened.
  lws_vhost *open_vhost(const char *name, const std::string &address, int port,
                        const lws_protocols *protocols, const char *setting, const char *what);
  Connection *find(ConnId id);
  void forget(Connection *c);
  void finish(Connection *c, const std::string &reason);
  void adopt_incoming(uv_stream_t *listener);
  void close_listeners();
  void destroy_context();

  uv_loop_t *loop_;
  TransportOptions options_;
  TransportHandler &handler_;
  lws_context *context_ = nullptr;
  ContextReaper *reaper_ = nullptr; // finishes the context's destruction (transport.cpp)
  lws_vhost *ws_vhost_ = nullptr;
  lws_vhost *http_vhost_ = nullptr;
  ConnId next_id_ = 1;
  std::map<ConnId, std::unique_ptr<Connection>> connections_;
  // port -> listener. Not owned by the map: uv_close frees a handle only in its close
  // callback, which may run after this object is gone.
  std::map<int, uv_tcp_t *> listeners_;
};

} // namespace mycelium::agent
