// Extra listeners (Transport::listen_on / stop_listening, for port rotation) over real sockets
// on 127.0.0.1: two Transports on one libuv loop, as two agents would be on two machines. The
// point is that closing a rotated port refuses new peers there but keeps the sessions it
// accepted, and that nothing is left on the loop after a shutdown.
#include "agent/transport.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace ag = mycelium::agent;

struct Opened {
  ag::ConnId id;
  bool outgoing;
  bool json;
};

class Events : public ag::TransportHandler {
public:
  std::vector<Opened> opened;
  std::map<ag::ConnId, std::vector<std::string>> frames;
  std::vector<ag::ConnId> closed;
  std::map<ag::ConnId, std::string> failed;

  void on_open(ag::ConnId id, bool outgoing, bool json, const std::string &) override {
    opened.push_back({id, outgoing, json});
  }
  void on_frame(ag::ConnId id, const ag::Bytes &frame) override {
    frames[id].emplace_back(frame.begin(), frame.end());
  }
  void on_close(ag::ConnId id) override { closed.push_back(id); }
  void on_connect_failed(ag::ConnId id, const std::string &reason) override { failed[id] = reason; }
  ag::HttpResponse on_http(const ag::HttpRequest &) override { return {404, "text/plain", ""}; }

  bool got(ag::ConnId id, const std::string &text) const {
    const auto it = frames.find(id);
    if (it == frames.end())
      return false;
    for (const std::string &frame : it->second)
      if (frame == text)
        return true;
    return false;
  }
};

ag::Bytes bytes(const std::string &text) {
  return ag::Bytes(text.begin(), text.end());
}

// A libuv loop turned until a condition holds or a deadline passes. The timer bounds each turn,
// so a deadline is noticed even when no socket stirs.
class Loop {
public:
  Loop() {
    uv_loop_init(&loop_);
    uv_timer_init(&loop_, &tick_);
    uv_timer_start(
        &tick_, [](uv_timer_t *) {}, 10, 10);
  }
  ~Loop() {
    uv_close(reinterpret_cast<uv_handle_t *>(&tick_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    // EBUSY here means a handle (a listener, an lws poll) outlived its Transport.
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "handles left open on the loop";
  }
  Loop(const Loop &) = delete;
  Loop &operator=(const Loop &) = delete;

  uv_loop_t *get() { return &loop_; }

  bool run_until(const std::function<bool()> &done, double seconds = 5) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline)
        return false;
      uv_run(&loop_, UV_RUN_ONCE);
    }
    return true;
  }

  // A few turns with nothing expected, to see that nothing happens.
  void idle(double seconds) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    run_until([&] { return std::chrono::steady_clock::now() > end; }, seconds + 1);
  }

private:
  uv_loop_t loop_;
  uv_timer_t tick_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (callers retry if it is taken meanwhile).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &size) != 0)
    throw std::runtime_error("cannot find a free port on 127.0.0.1");
  ::close(fd);
  return ntohs(address.sin_port);
}

ag::TransportOptions loopback(int port) {
  ag::TransportOptions options;
  options.listen_address = "127.0.0.1";
  options.listen_port = port;
  return options;
}

// A Transport whose own (bootstrap) port is known: lws's port 0 would hide it.
std::unique_ptr<ag::Transport> make_listener(Loop &loop, Events &events, int &port) {
  for (int attempt = 0;; ++attempt) {
    port = free_port();
    try {
      return std::make_unique<ag::Transport>(loop.get(), loopback(port), events);
    } catch (const std::exception &) {
      if (attempt >= 5)
        throw;
    }
  }
}

int listen_on_free_port(ag::Transport &transport) {
  std::string error;
  for (int attempt = 0; attempt < 5; ++attempt) {
    const int port = free_port();
    if (transport.listen_on(port, error))
      return port;
  }
  throw std::runtime_error("no extra port: " + error);
}

// Sends one frame each way on an open connection and waits for both.
void exchange(Loop &loop, ag::Transport &a, Events &a_events, ag::ConnId a_id, ag::Transport &b,
              Events &b_events, ag::ConnId b_id, const std::string &tag) {
  ASSERT_TRUE(a.send(a_id, bytes("from A " + tag)));
  ASSERT_TRUE(b.send(b_id, bytes("from B " + tag)));
  ASSERT_TRUE(loop.run_until([&] {
    return a_events.got(a_id, "from B " + tag) && b_events.got(b_id, "from A " + tag);
  })) << "frames both ways: "
      << tag;
}

TEST(TransportListen, SessionsOutliveTheirPort) {
  Loop loop;
  Events a_events, b_events;
  int bootstrap = 0;
  auto a = make_listener(loop, a_events, bootstrap);
  auto b = std::make_unique<ag::Transport>(loop.get(), loopback(0), b_events);

  const int rotated = listen_on_free_port(*a);
  std::string error;
  EXPECT_TRUE(a->listen_on(rotated, error)) << "already open: nothing to do";
  EXPECT_EQ(a->extra_ports(), std::vector<int>{rotated});
  EXPECT_FALSE(a->listen_on(bootstrap, error)) << "the vhost holds that port";
  EXPECT_NE(error.find(std::to_string(bootstrap)), std::string::npos) << error;

  // A peer dials the rotated port: an ordinary incoming connection on A.
  const ag::ConnId b_conn = b->connect("127.0.0.1", rotated);
  ASSERT_TRUE(loop.run_until([&] {
    return a_events.opened.size() == 1 && !b_events.opened.empty();
  })) << (b_events.failed.count(b_conn) ? b_events.failed[b_conn] : "no connection");
  const Opened incoming = a_events.opened[0];
  EXPECT_FALSE(incoming.outgoing);
  EXPECT_FALSE(incoming.json);
  EXPECT_EQ(b_events.opened[0].id, b_conn);
  EXPECT_TRUE(b_events.opened[0].outgoing);
  exchange(loop, *a, a_events, incoming.id, *b, b_events, b_conn, "on the open port");

  // The port closes; the session accepted there does not.
  a->stop_listening(rotated);
  EXPECT_TRUE(a->extra_ports().empty());
  a->stop_listening(rotated); // again: nothing to do
  exchange(loop, *a, a_events, incoming.id, *b, b_events, b_conn, "after the port closed");

  const ag::ConnId refused = b->connect("127.0.0.1", rotated);
  ASSERT_TRUE(loop.run_until([&] { return b_events.failed.count(refused) == 1; }))
      << "a new connection to the closed port must fail";
  EXPECT_EQ(a_events.opened.size(), 1u);

  // The bootstrap port still takes peers, in either subprotocol.
  const ag::ConnId b_boot = b->connect("127.0.0.1", bootstrap, true);
  ASSERT_TRUE(loop.run_until([&] { return a_events.opened.size() == 2; }))
      << (b_events.failed.count(b_boot) ? b_events.failed[b_boot] : "no connection");
  ASSERT_TRUE(loop.run_until([&] { return b_events.opened.size() == 2; }));
  const Opened boot = a_events.opened[1];
  EXPECT_TRUE(boot.json);
  exchange(loop, *a, a_events, boot.id, *b, b_events, b_boot, "on the bootstrap port");
  exchange(loop, *a, a_events, incoming.id, *b, b_events, b_conn, "still");

  // Ending the session from the side that accepted it on the closed port.
  a->close(incoming.id);
  ASSERT_TRUE(
      loop.run_until([&] { return a_events.closed.size() == 1 && b_events.closed.size() == 1; }));
  EXPECT_EQ(a_events.closed[0], incoming.id);
  EXPECT_EQ(b_events.closed[0], b_conn);
  EXPECT_TRUE(b_events.failed.count(b_conn) == 0);

  a->shutdown();
  b->shutdown();
}

TEST(TransportListen, ReopensAndShutsDownWithListenersOpen) {
  Loop loop;
  Events a_events, b_events;
  int bootstrap = 0;
  auto a = make_listener(loop, a_events, bootstrap);
  auto b = std::make_unique<ag::Transport>(loop.get(), loopback(0), b_events);

  // A port closed and opened again at once (the same port in two epochs) takes peers.
  const int port = listen_on_free_port(*a);
  a->stop_listening(port);
  std::string error;
  ASSERT_TRUE(a->listen_on(port, error)) << error;
  const ag::ConnId b_conn = b->connect("127.0.0.1", port);
  ASSERT_TRUE(loop.run_until([&] {
    return a_events.opened.size() == 1 && b_events.opened.size() == 1;
  })) << (b_events.failed.count(b_conn) ? b_events.failed[b_conn] : "no connection");

  // Shutdown with the listener still open closes it, and the sessions.
  a->shutdown();
  EXPECT_TRUE(a->extra_ports().empty());
  EXPECT_FALSE(a->listen_on(port, error));
  ASSERT_TRUE(loop.run_until([&] { return b_events.closed.size() == 1; }));
  b->shutdown();
}

TEST(TransportListen, RejectsBadPortsAndClosesOnDestruction) {
  Loop loop;
  Events events;
  int bootstrap = 0;
  auto a = make_listener(loop, events, bootstrap);
  std::string error;
  EXPECT_FALSE(a->listen_on(0, error));
  EXPECT_FALSE(a->listen_on(65536, error));
  EXPECT_FALSE(a->listen_on(-1, error));
  EXPECT_TRUE(a->extra_ports().empty());
  listen_on_free_port(*a);
  listen_on_free_port(*a);
  EXPECT_EQ(a->extra_ports().size(), 2u);
  a.reset(); // without shutdown: the destructor closes the listeners (~Loop checks)
}

// The listening sockets of this machine on `port`, as "tcp 0100007F" or "tcp6 <32 hex digits>"
// (the kernel's /proc/net/tcp{,6} notation of the local address, state 0A = LISTEN).
std::vector<std::string> listening_on(int port) {
  std::vector<std::string> found;
  char hex_port[8];
  std::snprintf(hex_port, sizeof hex_port, "%04X", port);
  for (const char *family : {"tcp", "tcp6"}) {
    std::ifstream table(std::string("/proc/net/") + family);
    std::string line;
    std::getline(table, line); // header
    while (std::getline(table, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      const auto colon = local.find(':');
      if (state == "0A" && colon != std::string::npos && local.substr(colon + 1) == hex_port)
        found.push_back(std::string(family) + " " + local.substr(0, colon));
    }
  }
  return found;
}

// Told 127.0.0.1, the peer port, the HTTP port and a rotated port listen on 127.0.0.1 only:
// libwebsockets with IPv6 used to bind the first two on every interface (`*:PORT`).
TEST(TransportListen, BindsExactlyTheConfiguredIPv4Address) {
  Loop loop;
  Events events;
  std::unique_ptr<ag::Transport> transport;
  int port = 0, http_port = 0;
  for (int attempt = 0; !transport; ++attempt) {
    port = free_port();
    http_port = free_port();
    ag::TransportOptions options = loopback(port);
    options.http_address = "127.0.0.1";
    options.http_port = http_port;
    try {
      transport = std::make_unique<ag::Transport>(loop.get(), options, events);
    } catch (const std::exception &) {
      if (attempt >= 5)
        throw;
    }
  }
  const int rotated = listen_on_free_port(*transport);
  for (const int p : {port, http_port, rotated})
    EXPECT_EQ(listening_on(p), std::vector<std::string>{"tcp 0100007F"}) << "port " << p;
  transport->shutdown();
}

// Told ::1, it listens on ::1 only (no IPv4 socket, no wildcard).
TEST(TransportListen, BindsExactlyTheConfiguredIPv6Address) {
  const int probe = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  const bool has_ipv6 =
      probe >= 0 && ::bind(probe, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0;
  if (probe >= 0)
    ::close(probe);
  if (!has_ipv6)
    GTEST_SKIP() << "no IPv6 loopback on this machine";
  Loop loop;
  Events events;
  std::unique_ptr<ag::Transport> transport;
  int port = 0;
  for (int attempt = 0; !transport; ++attempt) {
    port = free_port();
    ag::TransportOptions options = loopback(port);
    options.listen_address = "::1";
    try {
      transport = std::make_unique<ag::Transport>(loop.get(), options, events);
    } catch (const std::exception &) {
      if (attempt >= 5)
        throw;
    }
  }
  EXPECT_EQ(listening_on(port), std::vector<std::string>{"tcp6 00000000000000000000000001000000"});
  transport->shutdown();
}

// A socket listening on 127.0.0.1:port, as another program holding the port would be.
class PortHolder {
public:
  PortHolder() {
    for (int attempt = 0; attempt < 5 && fd_ < 0; ++attempt) {
      port_ = free_port();
      fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(static_cast<std::uint16_t>(port_));
      if (::bind(fd_, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 ||
          ::listen(fd_, 1) != 0) {
        ::close(fd_);
        fd_ = -1;
      }
    }
    if (fd_ < 0)
      throw std::runtime_error("cannot hold a port on 127.0.0.1");
  }
  ~PortHolder() { ::close(fd_); }
  PortHolder(const PortHolder &) = delete;
  PortHolder &operator=(const PortHolder &) = delete;
  int port() const { return port_; }

private:
  int fd_ = -1;
  int port_ = 0;
};

// The message an operator gets for a port in use: which address, which setting, and why; and
// no raw libwebsockets line beside it. The peer port is checked at construction also when it is
// opened later (peers_at_start false): the agent says so at once, not after its database is up.
TEST(TransportListen, ExplainsAPortInUse) {
  const PortHolder held;
  const std::string in_use = "address already in use (another mycelium-agent or program holds it)";
  for (const bool http : {false, true})
    for (const bool peers_at_start : {true, false}) {
      SCOPED_TRACE(http ? "http.port" : "listen.port");
      SCOPED_TRACE(peers_at_start ? "peers at start" : "peers later");
      Loop loop;
      Events events;
      ag::TransportOptions options = loopback(http ? free_port() : held.port());
      options.http_port = http ? held.port() : free_port();
      options.peers_at_start = peers_at_start;
      testing::internal::CaptureStderr();
      try {
        ag::Transport transport(loop.get(), options, events);
        ADD_FAILURE() << "listening on a port that is in use";
      } catch (const std::runtime_error &e) {
        EXPECT_EQ(std::string(e.what()),
                  "cannot listen on 127.0.0.1:" + std::to_string(held.port()) +
                      (http ? " (http.port): " : " (listen.port): ") + in_use);
      }
      EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
    }
}

// An HTTP handler that counts what it answers.
class HttpCounter : public Events {
public:
  int gets = 0, posts = 0;
  std::string body = "ok\n";
  ag::HttpResponse on_http(const ag::HttpRequest &request) override {
    (request.method == "POST" ? posts : gets) += 1;
    return {200, "text/plain", body};
  }
};

// Sends `request` on a new connection to 127.0.0.1:port, then reads whatever comes back while
// turning the loop, for `seconds` or until the server closes. Returns what was read.
std::string http_exchange(Loop &loop, int port, const std::string &request, double seconds) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0)
    throw std::runtime_error("cannot connect to the HTTP port");
  if (::send(fd, request.data(), request.size(), 0) != static_cast<ssize_t>(request.size()))
    throw std::runtime_error("cannot send the request");
  std::string received;
  bool closed = false;
  loop.run_until(
      [&] {
        char buffer[65536];
        for (;;) {
          const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
          if (n > 0) {
            received.append(buffer, static_cast<std::size_t>(n));
            continue;
          }
          closed = n == 0;
          break;
        }
        return closed;
      },
      seconds);
  ::close(fd);
  return received;
}

std::unique_ptr<ag::Transport> make_http(Loop &loop, Events &events, int &http_port) {
  for (int attempt = 0;; ++attempt) {
    ag::TransportOptions options = loopback(free_port());
    http_port = free_port();
    options.http_port = http_port;
    try {
      return std::make_unique<ag::Transport>(loop.get(), options, events);
    } catch (const std::exception &) {
      if (attempt >= 5)
        throw;
    }
  }
}

std::size_t count(const std::string &text, const std::string &what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

// A POST is answered once, announcing "Connection: close".
TEST(TransportHttp, OneRequestPerConnection) {
  Loop loop;
  HttpCounter events;
  int port = 0;
  auto transport = make_http(loop, events, port);
  const std::string reply = http_exchange(
      loop, port, "POST /gossip?topic=t HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi", 0.5);
  EXPECT_EQ(events.posts, 1);
  EXPECT_EQ(count(reply, "HTTP/1.1 200"), 1u) << reply;
  EXPECT_NE(reply.find("connection: close"), std::string::npos) << reply;
  transport->shutdown();
}

// A large answer arrives whole.
TEST(TransportHttp, LargeAnswersArriveWhole) {
  Loop loop;
  HttpCounter events;
  events.body = std::string(2 * 1024 * 1024, 'x');
  int port = 0;
  auto transport = make_http(loop, events, port);
  const std::string reply = http_exchange(loop, port, "GET /gossip HTTP/1.1\r\nHost: x\r\n\r\n", 1);
  const auto body_at = reply.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos);
  EXPECT_EQ(reply.size() - body_at - 4, events.body.size());
  transport->shutdown();
}

// A POST pipelined behind another request used to be answered (and published, signed) again
// and again by libwebsockets 4.1.6, as long as the client read. Now the second request on a
// connection closes it: at most one POST is handled, and the reply stays small.
TEST(TransportHttp, PipelinedRequestsAreNotRepeated) {
  for (const char *first :
       {"GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
        "POST /gossip?topic=a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na"}) {
    SCOPED_TRACE(first);
    Loop loop;
    HttpCounter events;
    int port = 0;
    auto transport = make_http(loop, events, port);
    const std::string pipelined =
        std::string(first) +
        "POST /gossip?topic=b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi";
    const std::string reply = http_exchange(loop, port, pipelined, 2);
    EXPECT_EQ(events.gets + events.posts, 1);
    EXPECT_LE(count(reply, "HTTP/1.1 "), 1u);
    EXPECT_LT(reply.size(), 4096u);
    transport->shutdown();
  }
}

// The agent's start: HTTP answers while the peer port is still closed (the start-up checks wait
// for the database); listen_for_peers() opens the peer port later, on exactly the configured
// address, and then peers connect and the transport dials.
TEST(TransportHttp, AnswersBeforeListeningForPeers) {
  Loop loop;
  HttpCounter events;
  std::unique_ptr<ag::Transport> transport;
  int peer_port = 0, http_port = 0;
  for (int attempt = 0; !transport; ++attempt) {
    ag::TransportOptions options = loopback(peer_port = free_port());
    options.http_port = http_port = free_port();
    options.peers_at_start = false;
    try {
      transport = std::make_unique<ag::Transport>(loop.get(), options, events);
    } catch (const std::exception &) {
      if (attempt >= 5)
        throw;
    }
  }
  EXPECT_FALSE(transport->listening_for_peers());
  EXPECT_TRUE(listening_on(peer_port).empty()) << "no peer port before listen_for_peers";
  EXPECT_EQ(listening_on(http_port), std::vector<std::string>{"tcp 0100007F"});
  const std::string reply =
      http_exchange(loop, http_port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 1);
  EXPECT_EQ(count(reply, "HTTP/1.1 200"), 1u) << reply;
  EXPECT_EQ(events.gets, 1);

  // Nothing peer-facing works yet: no rotated port, no dial (failed at once, with the reason).
  std::string error;
  EXPECT_FALSE(transport->listen_on(free_port(), error));
  EXPECT_EQ(error, "not listening for peers yet");
  const ag::ConnId early = transport->connect("127.0.0.1", http_port);
  ASSERT_EQ(events.failed.count(early), 1u);
  EXPECT_EQ(events.failed[early], "not listening for peers yet");

  transport->listen_for_peers();
  EXPECT_TRUE(transport->listening_for_peers());
  transport->listen_for_peers(); // again: nothing to do
  EXPECT_EQ(listening_on(peer_port), std::vector<std::string>{"tcp 0100007F"});
  EXPECT_EQ(listening_on(http_port), std::vector<std::string>{"tcp 0100007F"});

  // A peer connects to the port opened late, and the transport dials out through it.
  Events b_events;
  auto b = std::make_unique<ag::Transport>(loop.get(), loopback(0), b_events);
  const ag::ConnId b_conn = b->connect("127.0.0.1", peer_port);
  ASSERT_TRUE(loop.run_until([&] {
    return events.opened.size() == 1 && b_events.opened.size() == 1;
  })) << (b_events.failed.count(b_conn) ? b_events.failed[b_conn] : "no connection");
  exchange(loop, *transport, events, events.opened[0].id, *b, b_events, b_conn, "late port");
  const int rotated = listen_on_free_port(*transport);
  const ag::ConnId out = transport->connect("127.0.0.1", rotated);
  ASSERT_TRUE(loop.run_until([&] { return events.opened.size() == 3; }))
      << (events.failed.count(out) ? events.failed[out] : "no connection");
  transport->shutdown();
  EXPECT_FALSE(transport->listening_for_peers());
  EXPECT_THROW(transport->listen_for_peers(), std::runtime_error);
  b->shutdown();
}

// A peer port taken after the transport started (by another program while the agent waited for
// its database): the reason, as at construction, and HTTP stays up (the agent logs the reason
// and exits).
TEST(TransportHttp, ExplainsAPeerPortInUseWhenOpenedLate) {
  Loop loop;
  HttpCounter events;
  std::unique_ptr<ag::Transport> transport;
  int peer_port = 0, http_port = 0;
  for (int attempt = 0; !transport; ++attempt) {
    ag::TransportOptions options = loopback(peer_port = free_port());
    options.http_port = http_port = free_port();
    options.peers_at_start = false;
    try {
      transport = std::make_unique<ag::Transport>(loop.get(), options, events);
    } catch (const std::exception &) {
      if (attempt >= 5)
        throw;
    }
  }
  const int taker = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(peer_port));
  ASSERT_EQ(::bind(taker, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(taker, 1), 0);
  try {
    transport->listen_for_peers();
    ADD_FAILURE() << "listening on a port that is in use";
  } catch (const std::runtime_error &e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot listen on 127.0.0.1:" + std::to_string(peer_port) +
                  " (listen.port): address already in use (another mycelium-agent or program "
                  "holds it)");
  }
  EXPECT_FALSE(transport->listening_for_peers());
  const std::string reply =
      http_exchange(loop, http_port, "GET /status HTTP/1.1\r\nHost: x\r\n\r\n", 1);
  EXPECT_EQ(count(reply, "HTTP/1.1 200"), 1u) << reply;
  ::close(taker);
  transport->shutdown();
}

} // namespace

// A handler that also counts the connections closed for a send backlog.
class BacklogEvents : public Events {
public:
  std::vector<std::pair<ag::ConnId, std::size_t>> backlogs;
  void on_send_backlog(ag::ConnId id, std::size_t queued) override {
    backlogs.emplace_back(id, queued);
  }
};

// A peer that completes the WebSocket upgrade and then never reads cannot make the sender hold
// more than max_queued_bytes: the frame that would pass the bound closes the connection, once,
// and the handler hears why and then of the close.
TEST(TransportSend, APeerThatStopsReadingCannotGrowTheQueuePastItsBound) {
  Loop loop;
  BacklogEvents events;
  constexpr std::size_t kBound = 1 << 20;
  int port = 0;
  std::unique_ptr<ag::Transport> server;
  for (int attempt = 0; !server; ++attempt) {
    port = free_port();
    ag::TransportOptions options = loopback(port);
    options.max_queued_bytes = kBound;
    try {
      server = std::make_unique<ag::Transport>(loop.get(), options, events);
    } catch (const std::exception &) {
      if (attempt >= 5)
        throw;
    }
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const int small = 4096; // a small window, so that the kernel buffers fill at once
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
  const std::string upgrade =
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " +
      std::string(ag::kBinaryProtocol) + "\r\n\r\n";
  ASSERT_EQ(::send(fd, upgrade.data(), upgrade.size(), 0), static_cast<ssize_t>(upgrade.size()));
  ASSERT_TRUE(loop.run_until([&] { return !events.opened.empty(); })) << "the upgrade";
  const ag::ConnId id = events.opened[0].id;

  // 64 KiB frames, with the loop turning between them so that the socket takes what it can.
  const ag::Bytes frame(64 * 1024, 0x5a);
  std::size_t accepted = 0, most_queued = 0;
  bool refused = false;
  for (int i = 0; i < 2000 && !refused; ++i) {
    if (server->send(id, frame))
      accepted += frame.size();
    else
      refused = true;
    most_queued = std::max(most_queued, server->queued_bytes(id));
    uv_run(loop.get(), UV_RUN_NOWAIT);
  }
  EXPECT_TRUE(refused) << "accepted " << accepted << " bytes for a peer that reads nothing";
  EXPECT_LE(most_queued, kBound);
  EXPECT_LT(accepted, 64u << 20) << "the kernel took some; the rest waited within the bound";
  ASSERT_EQ(events.backlogs.size(), 1u);
  EXPECT_EQ(events.backlogs[0].first, id);
  EXPECT_FALSE(server->send(id, frame)) << "a closing connection takes nothing more";
  EXPECT_EQ(server->queued_bytes(id), 0u) << "the backlog is dropped with the connection";
  EXPECT_TRUE(loop.run_until([&] { return !events.closed.empty(); })) << "on_close follows";
  EXPECT_EQ(events.backlogs.size(), 1u) << "said once";
  ::close(fd);
  server->shutdown();
}
