// Agent transport: what one authenticated peer connection carries on loopback, and how long its
// handshake takes. One process, one libuv loop, two agent Transports (a listener and a dialler,
// real sockets on 127.0.0.1), each connection driven by the agent's own protocol::PeerLink: the
// handshake, then sealed envelopes, with the agent's receive path on the far side (open, decode,
// replay window, sender check), its metrics, and for Gossip the origin's signature
// (verify_gossip). Measures handshake latency, one-hop
// Ping, signed Gossip and ~4 KiB DBSyncResp pages per second (plus the same codec + AEAD path in
// memory, without sockets, as an upper bound) and the Ed25519 verify rate of one core, and prints
// a Markdown table for bench/RESULTS.md. Run it through bench/agent-transport.sh.
#include "agent/metrics.hpp"
#include "agent/transport.hpp"

#include "bench_common.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/protocol/peer_link.hpp"
#include "mycelium/signing.hpp"

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <sched.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace p = mycelium::protocol;
namespace ag = mycelium::agent;
using namespace mycelium::bench;
using mycelium::Bytes;

const char *const kListenerId = "bench-listener";
const char *const kDiallerId = "bench-dialler";
const char *const kOriginId = "bench-origin"; // a third node: gossip it signed is relayed to us
constexpr std::size_t kGossipBody = 200;
constexpr std::size_t kPageTarget = 4096; // bytes of the encoded DBSyncResp envelope
constexpr int kPageEntries = 6;
constexpr std::size_t kVerifyCount = 20000;
constexpr double kOneHopTarget = 50000;
constexpr double kSignedTargetShare = 0.8;
constexpr double kHandshakeTargetMs = 5;

double cpu_seconds() { // user + system time of this process
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval &t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// The agent's ReplayGuard limits are 10,000 nonces per sender and 200,000 in all
// (agent.cpp): one peer may send 10,000 messages per 30 s window. The benchmark sends far more
// over one connection, so it raises both caps (same window) to measure the guard's cost at these
// rates rather than its refusals (bench/RESULTS.md says what this means for the agent).
p::ReplayGuard::Limits bench_limits() {
  return p::ReplayGuard::Limits{30'000, 50'000'000, 50'000'000};
}

// node id -> hex public key, as the agent's registry holds them (all active validators here).
using Registry = std::map<std::string, std::string>;

// Agent::admit on an in-memory registry.
bool admit(const Registry &registry, const std::string &self, const std::string &node_id,
           const mycelium::PublicKey &key) {
  if (node_id == self)
    return false;
  const auto it = registry.find(node_id);
  return it != registry.end() && it->second == mycelium::to_hex(key.data(), key.size());
}

struct Counters {
  std::uint64_t pings = 0, gossips = 0, pages = 0, entries = 0, other = 0;
  std::uint64_t rejected = 0;
  std::string last_reject;
};

// What Agent::on_message does with the payloads measured here, minus the database and the
// Pong: Gossip is verified against its origin's registered key (registry lookup, hex parse,
// verify_gossip), a DBSyncResp page is taken apart (the agent hands its entries to the
// database thread), a Ping is counted.
void consume(const p::Envelope &envelope, const Registry &registry, Counters &counters) {
  if (std::holds_alternative<p::Ping>(envelope.payload)) {
    ++counters.pings;
  } else if (const auto *gossip = std::get_if<p::Gossip>(&envelope.payload)) {
    const auto it = registry.find(gossip->origin);
    if (it == registry.end() ||
        !p::verify_gossip(*gossip, mycelium::parse_public_key(it->second))) {
      ++counters.rejected;
      counters.last_reject = "bad-signature: gossip from " + gossip->origin;
      return;
    }
    ++counters.gossips;
  } else if (const auto *page = std::get_if<p::DBSyncResp>(&envelope.payload)) {
    ++counters.pages;
    counters.entries += page->entries.size();
  } else {
    ++counters.other;
  }
}

// One agent's side of the benchmark: its Transport, a PeerLink per connection, and what
// Agent::on_frame does with the events (metrics, replies, rejections, consume).
class Side : public ag::TransportHandler {
public:
  Side(uv_loop_t *loop, std::string node_id, const mycelium::SecretKey &key,
       const Registry &registry, int port)
      : node_id_(std::move(node_id)), key_(key), registry_(registry), guard_(bench_limits()) {
    ag::TransportOptions options;
    options.listen_address = "127.0.0.1";
    options.listen_port = port;
    options.http_port = 0; // no HTTP vhost
    transport_ = std::make_unique<ag::Transport>(loop, options, *this);
  }

  ag::Transport &transport() { return *transport_; }
  Counters &counters() { return counters_; }
  void reset_guard() { guard_ = p::ReplayGuard(bench_limits()); }
  std::size_t last_frame_bytes() const { return last_frame_bytes_; }
  bool has_session(ag::ConnId id) const {
    const auto it = links_.find(id);
    return it != links_.end() && it->second->established();
  }
  std::size_t links() const { return links_.size(); }
  void shutdown() {
    transport_.reset();
    links_.clear();
  }

  // Session callbacks for the benchmark (all on the loop thread).
  std::function<void(ag::ConnId)> established;
  std::function<void(ag::ConnId)> closed;
  std::function<void()> delivered; // after a session message went through the receive path

  // Agent::send on an established link.
  bool send(ag::ConnId id, p::Payload payload) {
    const auto it = links_.find(id);
    if (it == links_.end() || !it->second->established())
      return false;
    p::OutgoingFrame frame = it->second->seal(std::move(payload), p::now_ms());
    metrics_.message_out(std::string(frame.type));
    last_frame_bytes_ = frame.bytes.size();
    return transport_->send(id, std::move(frame.bytes));
  }

  void on_open(ag::ConnId id, bool outgoing, bool json, const std::string &) override {
    if (json)
      fail("the benchmark speaks the binary subprotocol only");
    auto &link = links_[id];
    link = std::make_unique<p::PeerLink>(
        outgoing ? p::Role::Initiator : p::Role::Responder, false,
        p::LinkIdentity{&key_, node_id_, {p::kProtocolMajor, p::kProtocolMinor}, {"db-sync"}},
        limits_, [this](const std::string &node_id, const mycelium::PublicKey &key) {
          return admit(registry_, node_id_, node_id, key) ? "" : "not in the registry";
        });
    if (outgoing)
      send_frame(id, link->hello(p::now_ms()));
  }

  void on_frame(ag::ConnId id, const Bytes &frame) override {
    const auto it = links_.find(id);
    if (it == links_.end())
      return;
    p::PeerLink &link = *it->second;
    p::LinkEvents events = link.receive(frame, guard_, p::now_ms());
    if (events.broken || events.peer_refused)
      reject("undecryptable", events.peer_refused.value_or("a frame failed authentication"));
    if (events.decoded_type)
      metrics_.message_in(std::string(*events.decoded_type));
    for (p::OutgoingFrame &reply : events.replies)
      send_frame(id, std::move(reply));
    if (events.rejected)
      reject(p::to_string(events.rejected->reason), events.rejected->detail);
    if (events.handshake_failed) {
      metrics_.handshake_failed(p::to_string(events.handshake_failed->reason()));
      fail(std::string("handshake failed: ") + events.handshake_failed->what());
    }
    if (events.close) {
      transport_->close(id);
      return;
    }
    if (events.session_started && established)
      established(id);
    if (events.message) {
      consume(*events.message, registry_, counters_);
      if (delivered)
        delivered();
    }
  }

  void on_close(ag::ConnId id) override {
    links_.erase(id);
    if (closed)
      closed(id);
  }

  void on_connect_failed(ag::ConnId id, const std::string &reason) override {
    links_.erase(id);
    fail("connection " + std::to_string(id) + " failed: " + reason);
  }

  ag::HttpResponse on_http(const ag::HttpRequest &) override {
    return {404, "text/plain; charset=utf-8", "not found\n"};
  }

  // A failure seen inside a libwebsockets callback: Transport swallows exceptions there (it
  // drops the connection), so it is kept and rethrown by the benchmark's loop.
  std::string error;

private:
  void fail(const std::string &message) {
    if (error.empty())
      error = node_id_ + ": " + message;
  }

  void send_frame(ag::ConnId id, p::OutgoingFrame frame) {
    metrics_.message_out(std::string(frame.type));
    transport_->send(id, std::move(frame.bytes));
  }

  void reject(const std::string &reason, const std::string &detail) {
    ++counters_.rejected;
    counters_.last_reject = reason + ": " + detail;
    metrics_.message_rejected(reason);
  }

  std::string node_id_;
  const mycelium::SecretKey &key_;
  const Registry &registry_;
  p::ReplayGuard guard_;
  p::DecodeLimits limits_;
  ag::AgentMetrics metrics_;
  Counters counters_;
  std::map<ag::ConnId, std::unique_ptr<p::PeerLink>> links_;
  std::size_t last_frame_bytes_ = 0;
  std::unique_ptr<ag::Transport> transport_; // last: destroyed first, while the rest is alive
};

// The libuv loop, turned until a condition holds. A 20 ms timer bounds each turn, so timeouts
// and errors recorded by the handlers are noticed even when the sockets are quiet.
class Loop {
public:
  Loop() {
    uv_loop_init(&loop_);
    uv_timer_init(&loop_, &tick_);
    uv_timer_start(
        &tick_, [](uv_timer_t *) {}, 20, 20);
  }
  ~Loop() {
    uv_close(reinterpret_cast<uv_handle_t *>(&tick_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT); // handles closed by the transports need a turn too
    uv_loop_close(&loop_);
  }
  Loop(const Loop &) = delete;
  Loop &operator=(const Loop &) = delete;

  uv_loop_t *get() { return &loop_; }
  void watch(Side *side) { sides_.push_back(side); }

  void run_until(const std::function<bool()> &done, double timeout_seconds, const char *what) {
    const auto start = Clock::now();
    while (!done()) {
      for (Side *side : sides_)
        if (!side->error.empty())
          throw std::runtime_error(side->error);
      if (seconds_since(start) > timeout_seconds)
        throw std::runtime_error(std::string("timed out waiting for ") + what);
      uv_run(&loop_, UV_RUN_ONCE);
    }
    for (Side *side : sides_)
      if (!side->error.empty())
        throw std::runtime_error(side->error);
  }

private:
  uv_loop_t loop_;
  uv_timer_t tick_;
  std::vector<Side *> sides_;
};

// A TCP port on 127.0.0.1 that was free a moment ago. Transport has no way to report the port
// it bound (port 0 would leave it unknown), so the benchmark asks the kernel for one by binding
// port 0 and closing the socket, and passes that port on.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t size = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &size) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

// A Side on a fresh free port; retried if another process took the port in between.
std::unique_ptr<Side> make_side(Loop &loop, const char *node_id, const mycelium::SecretKey &key,
                                const Registry &registry, int avoid_port, int &port) {
  for (int attempt = 0;; ++attempt) {
    port = free_port();
    if (port == avoid_port)
      continue;
    try {
      auto side = std::make_unique<Side>(loop.get(), node_id, key, registry, port);
      loop.watch(side.get());
      return side;
    } catch (const std::exception &e) {
      if (attempt >= 5)
        throw;
      std::fprintf(stderr, "  port %d: %s; trying another\n", port, e.what());
    }
  }
}

double percentile(std::vector<double> values, double fraction) {
  std::sort(values.begin(), values.end());
  const std::size_t rank = static_cast<std::size_t>(std::ceil(fraction * values.size()));
  return values[std::min(values.size() - 1, rank > 0 ? rank - 1 : 0)];
}

struct HandshakeResult {
  std::vector<double> latency_ms;   // connect -> session on both sides
  std::vector<double> initiator_ms; // connect -> session on the dialler
  std::vector<double> compute_ms;   // the four handshake steps in memory
};

// `count` fresh connections, one after the other: connect, handshake, close (the close is not
// timed). Each is timed from Transport::connect to the later of the two sessions (the
// responder's, after msg3).
HandshakeResult measure_handshakes(Loop &loop, Side &dialler, Side &listener, int listener_port,
                                   int count, const mycelium::SecretKey &dialler_key,
                                   const mycelium::SecretKey &listener_key,
                                   const Registry &registry) {
  HandshakeResult result;
  for (int i = 0; i < count; ++i) {
    bool dialler_up = false, listener_up = false;
    int closes = 0;
    Clock::time_point dialler_at, listener_at;
    dialler.established = [&](ag::ConnId) {
      dialler_up = true;
      dialler_at = Clock::now();
    };
    listener.established = [&](ag::ConnId) {
      listener_up = true;
      listener_at = Clock::now();
    };
    dialler.closed = listener.closed = [&](ag::ConnId) { ++closes; };
    const auto start = Clock::now();
    const ag::ConnId id = dialler.transport().connect("127.0.0.1", listener_port);
    loop.run_until([&] { return dialler_up && listener_up; }, 10, "a handshake");
    const auto ms = [&](Clock::time_point t) {
      return std::chrono::duration<double, std::milli>(t - start).count();
    };
    result.latency_ms.push_back(ms(std::max(dialler_at, listener_at)));
    result.initiator_ms.push_back(ms(dialler_at));
    dialler.transport().close(id);
    loop.run_until([&] { return closes == 2; }, 10, "a connection to close");
  }
  dialler.established = listener.established = nullptr;
  dialler.closed = listener.closed = nullptr;

  const p::Version version{p::kProtocolMajor, p::kProtocolMinor};
  for (int i = 0; i < count; ++i) {
    const auto start = Clock::now();
    p::Initiator initiator(dialler_key, kDiallerId, version, {"db-sync"},
                           [&](const std::string &id, const mycelium::PublicKey &k) {
                             return admit(registry, kDiallerId, id, k);
                           });
    p::Responder responder(listener_key, kListenerId, version, {"db-sync"},
                           [&](const std::string &id, const mycelium::PublicKey &k) {
                             return admit(registry, kListenerId, id, k);
                           });
    const Bytes hello = initiator.start();
    const Bytes reply = responder.on_hello(hello);
    responder.on_finish(initiator.on_response(reply));
    result.compute_ms.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  return result;
}

struct Rate {
  std::uint64_t messages = 0;
  double seconds = 0;
  double rate = 0;
  double cpu = 0; // process CPU seconds per wall second (1.0 = one core busy)
  std::size_t frame_bytes = 0;
};

using Generator = std::function<p::Payload()>;

void check_counters(const Counters &counters, const char *what) {
  if (counters.rejected)
    throw std::runtime_error(std::string(what) + ": " + std::to_string(counters.rejected) +
                             " messages rejected, last: " + counters.last_reject);
}

// Over the connection: `window` messages in flight; each one received (through the whole
// receive path) lets the sender send the next, until `duration` has passed; then the rest is
// drained and checked. The rate counts messages received within the timed window.
Rate stream(Loop &loop, Side &tx, ag::ConnId tx_id, Side &rx, ag::ConnId rx_id,
            const Generator &next, int window, double duration, const char *what) {
  rx.reset_guard();
  rx.counters() = Counters{};
  std::uint64_t sent = 0, received = 0, counted = 0;
  bool done = false;
  double cpu_end = 0;
  Clock::time_point end;
  const auto send_one = [&] {
    if (tx.send(tx_id, next()))
      ++sent;
    else if (tx.error.empty()) // inside a Transport callback: reported by Loop::run_until
      tx.error = std::string(what) + ": the connection is gone";
  };
  const double cpu_start = cpu_seconds();
  const auto start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration));
  rx.delivered = [&] {
    ++received;
    if (done)
      return;
    const auto now = Clock::now();
    if (now < deadline) {
      ++counted;
      send_one();
      return;
    }
    done = true;
    end = now;
    cpu_end = cpu_seconds();
  };
  for (int i = 0; i < window; ++i)
    send_one();
  loop.run_until([&] { return done && received == sent; }, duration + 60, what);
  rx.delivered = nullptr;
  check_counters(rx.counters(), what);
  if (!rx.has_session(rx_id) || !tx.has_session(tx_id))
    throw std::runtime_error(std::string(what) + ": the session ended (a frame failed to open?)");
  Rate r;
  r.messages = counted;
  r.seconds = duration;
  r.rate = counted / duration;
  r.cpu = (cpu_end - cpu_start) / std::chrono::duration<double>(end - start).count();
  r.frame_bytes = tx.last_frame_bytes();
  return r;
}

// Two PeerLinks joined in memory: the handshake frames handed across until both have a session.
struct LinkPair {
  p::PeerLink tx, rx;
  LinkPair(const mycelium::SecretKey &dialler_key, const mycelium::SecretKey &listener_key)
      : tx(p::Role::Initiator, false,
           p::LinkIdentity{
               &dialler_key, kDiallerId, {p::kProtocolMajor, p::kProtocolMinor}, {"db-sync"}},
           {}, nullptr),
        rx(p::Role::Responder, false,
           p::LinkIdentity{
               &listener_key, kListenerId, {p::kProtocolMajor, p::kProtocolMinor}, {"db-sync"}},
           {}, nullptr) {
    p::ReplayGuard guard;
    std::vector<p::OutgoingFrame> to_rx{tx.hello(p::now_ms())}, to_tx;
    for (int step = 0; step < 4 && !(tx.established() && rx.established()); ++step) {
      for (p::OutgoingFrame &f : to_rx)
        for (p::OutgoingFrame &reply : rx.receive(f.bytes, guard, p::now_ms()).replies)
          to_tx.push_back(std::move(reply));
      to_rx.clear();
      for (p::OutgoingFrame &f : to_tx)
        for (p::OutgoingFrame &reply : tx.receive(f.bytes, guard, p::now_ms()).replies)
          to_rx.push_back(std::move(reply));
      to_tx.clear();
    }
    if (!tx.established() || !rx.established())
      throw std::runtime_error("the in-memory handshake did not complete");
  }
};

// The same work without sockets, on this thread: PeerLink::seal on the sending side, then
// PeerLink::receive, metrics and consume on the receiving side.
Rate in_memory(const mycelium::SecretKey &dialler_key, const mycelium::SecretKey &listener_key,
               const Registry &registry, const Generator &next, double duration, const char *what) {
  LinkPair links(dialler_key, listener_key);
  p::ReplayGuard guard(bench_limits());
  ag::AgentMetrics tx_metrics, rx_metrics;
  Counters counters;
  Rate r;
  const double cpu_start = cpu_seconds();
  const auto start = Clock::now();
  double elapsed = 0;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      p::OutgoingFrame frame = links.tx.seal(next(), p::now_ms());
      tx_metrics.message_out(std::string(frame.type));
      r.frame_bytes = frame.bytes.size();
      p::LinkEvents events = links.rx.receive(frame.bytes, guard, p::now_ms());
      if (events.rejected)
        throw std::runtime_error(std::string(what) + ": " + p::to_string(events.rejected->reason) +
                                 ": " + events.rejected->detail);
      if (!events.message)
        throw std::runtime_error(std::string(what) + ": a frame did not open");
      rx_metrics.message_in(std::string(*events.decoded_type));
      consume(*events.message, registry, counters);
      ++r.messages;
    }
    elapsed = seconds_since(start);
    if (elapsed >= duration)
      break;
  }
  check_counters(counters, what);
  r.seconds = elapsed;
  r.rate = r.messages / elapsed;
  r.cpu = (cpu_seconds() - cpu_start) / elapsed;
  return r;
}

// Distinct gossip messages from kOriginId, signed before anything is timed.
std::vector<p::Gossip> make_gossip(std::size_t count, const mycelium::SecretKey &origin_key) {
  std::vector<p::Gossip> pool(count);
  const std::int64_t now = p::now_ms();
  parallel_for(count, [&](std::size_t i) {
    p::Gossip &g = pool[i];
    g.origin = kOriginId;
    g.ttl = 5;
    g.topic = "bench/transport";
    g.body.resize(kGossipBody);
    for (std::size_t b = 0; b < kGossipBody; b += 8) {
      const std::uint64_t word = mix(i * 64 + b);
      for (std::size_t k = 0; k < 8 && b + k < kGossipBody; ++k)
        g.body[b + k] = static_cast<std::uint8_t>(word >> (8 * k));
    }
    g.origin_timestamp_ms = now;
    p::sign_gossip(g, origin_key);
  });
  return pool;
}

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

struct VerifyRate {
  double wall = 0; // verifications per second of wall time
  double cpu = 0;  // per second of this thread's CPU time (what the core does when not shared)
};

// Ed25519 verifications per second on this thread, over distinct payloads of the gossip's size
// (its signing bytes), signed beforehand.
VerifyRate measure_verify_rate(const std::vector<p::Gossip> &pool,
                               const mycelium::SecretKey &origin_key) {
  const std::size_t n = std::min(kVerifyCount, pool.size());
  std::vector<Bytes> payloads(n);
  for (std::size_t i = 0; i < n; ++i)
    payloads[i] = p::gossip_signing_bytes(pool[i]);
  const mycelium::PublicKey key = origin_key.public_key();
  const double cpu_start = thread_cpu_seconds();
  const auto start = Clock::now();
  for (std::size_t i = 0; i < n; ++i)
    if (!mycelium::verify(pool[i].origin_signature, payloads[i], key))
      throw std::runtime_error("verify failed on a freshly signed payload");
  return VerifyRate{n / seconds_since(start), n / (thread_cpu_seconds() - cpu_start)};
}

// A DBSyncResp page of kPageEntries audit entries whose envelope encodes to about kPageTarget
// bytes: realistic entries (signed put records, hex signature, hash chain), values padded.
p::DBSyncResp make_page(const mycelium::SecretKey &writer_key, std::size_t &envelope_bytes) {
  const auto build = [&](std::size_t pad) {
    p::DBSyncResp page;
    page.request_id = 1;
    page.more = true;
    Bytes prev(32, 0);
    for (int i = 0; i < kPageEntries; ++i) {
      p::AuditEntry e;
      e.shard_id = "shard-07";
      e.seq = 100000 + i;
      e.op = "put";
      e.key = "accounts/user-" + std::to_string(4200 + i);
      e.version = 3;
      std::string filler = mycelium::to_hex(prev.data(), prev.size());
      while (filler.size() < pad)
        filler += filler;
      filler.resize(pad);
      e.value_json = "{\"balance\":" + std::to_string(1000 + i) + ",\"note\":\"" + filler + "\"}";
      e.created_by = "bench-writer";
      const mycelium::Signature s = writer_key.sign(
          mycelium::put_payload(e.shard_id, e.key, e.version, e.created_by, e.value_json));
      e.signature = mycelium::to_hex(s.data(), s.size());
      e.created_at_us = 1'700'000'000'000'000 + i;
      e.origin_node = kOriginId;
      std::copy(prev.begin(), prev.end(), e.prev_hash.begin());
      for (std::size_t b = 0; b < 32; ++b)
        e.entry_hash[b] = static_cast<std::uint8_t>(mix(i * 32 + b));
      prev.assign(e.entry_hash.begin(), e.entry_hash.end());
      page.entries.push_back(std::move(e));
    }
    return page;
  };
  const auto size_of = [](const p::DBSyncResp &page) {
    p::Envelope e;
    e.sender_id = kDiallerId;
    e.payload = page;
    return p::encode(e).size();
  };
  std::size_t pad = 0;
  p::DBSyncResp page = build(pad);
  for (int round = 0; round < 4; ++round) {
    const std::size_t size = size_of(page);
    if (size >= kPageTarget)
      break;
    pad += (kPageTarget - size) / kPageEntries;
    page = build(pad);
  }
  envelope_bytes = size_of(page);
  return page;
}

double env_number(const char *name, double fallback) {
  const char *text = std::getenv(name);
  if (!text || !*text)
    return fallback;
  char *end = nullptr;
  const double value = std::strtod(text, &end);
  if (*end || !(value > 0))
    throw std::runtime_error(std::string(name) + " must be a positive number, got \"" + text +
                             "\"");
  return value;
}

// "**met** (123 % of target)" for a rate that must reach `target`.
std::string verdict_at_least(double measured, double target) {
  return std::string(measured >= target ? "**met**" : "**not met**") + " (" +
         fixed(100 * measured / target, 0) + " % of target)";
}

std::string mib_per_second(double rate, std::size_t bytes) {
  return fixed(rate * bytes / (1 << 20), 1) + " MiB/s";
}

int run() {
  const double duration = env_number("DURATION", 5);
  const int window = static_cast<int>(env_number("WINDOW", 128));
  const int handshakes = static_cast<int>(env_number("HANDSHAKES", 200));
  mycelium::ensure_sodium();
  const std::string load_start = load_average();

  const mycelium::SecretKey listener_key = mycelium::SecretKey::generate();
  const mycelium::SecretKey dialler_key = mycelium::SecretKey::generate();
  const mycelium::SecretKey origin_key = mycelium::SecretKey::generate();
  const auto hex_key = [](const mycelium::SecretKey &k) {
    return mycelium::to_hex(k.public_key().data(), k.public_key().size());
  };
  const Registry registry{{kListenerId, hex_key(listener_key)},
                          {kDiallerId, hex_key(dialler_key)},
                          {kOriginId, hex_key(origin_key)}};

  std::fprintf(stderr, "signing %zu gossip messages (not timed)\n",
               static_cast<std::size_t>(duration * 20000));
  const std::vector<p::Gossip> gossip =
      make_gossip(std::max<std::size_t>(kVerifyCount, duration * 20000), origin_key);
  std::size_t page_bytes = 0;
  const p::DBSyncResp page_template = make_page(origin_key, page_bytes);

  Loop loop;
  int listener_port = 0, dialler_port = 0;
  std::unique_ptr<Side> listener =
      make_side(loop, kListenerId, listener_key, registry, 0, listener_port);
  std::unique_ptr<Side> dialler =
      make_side(loop, kDiallerId, dialler_key, registry, listener_port, dialler_port);
  std::fprintf(stderr, "listener on 127.0.0.1:%d, dialler's own listener on 127.0.0.1:%d\n",
               listener_port, dialler_port);

  // 1. Handshake latency.
  std::fprintf(stderr, "handshakes: %d fresh connections\n", handshakes);
  const HandshakeResult hs = measure_handshakes(loop, *dialler, *listener, listener_port,
                                                handshakes, dialler_key, listener_key, registry);
  const double hs_p50 = percentile(hs.latency_ms, 0.5), hs_p99 = percentile(hs.latency_ms, 0.99);
  std::fprintf(stderr,
               "  p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms (in memory p50 %.3f ms)\n",
               hs_p50, percentile(hs.latency_ms, 0.9), hs_p99, percentile(hs.latency_ms, 1),
               percentile(hs.compute_ms, 0.5));
  if (std::getenv("HANDSHAKE_TRACE")) // every latency, in order, for a closer look at the tail
    for (std::size_t i = 0; i < hs.latency_ms.size(); ++i)
      std::fprintf(stderr, "  handshake %zu: %.3f ms (dialler %.3f ms)\n", i, hs.latency_ms[i],
                   hs.initiator_ms[i]);

  // The connection the rates are measured on.
  ag::ConnId dial_id = 0, accept_id = 0; // the connection's id on the dialler / the listener
  bool dialler_up = false;
  dialler->established = [&](ag::ConnId) { dialler_up = true; };
  listener->established = [&](ag::ConnId id) { accept_id = id; };
  dial_id = dialler->transport().connect("127.0.0.1", listener_port);
  loop.run_until([&] { return dialler_up && accept_id != 0; }, 10, "the benchmark connection");
  dialler->established = listener->established = nullptr;
  // Messages flow from the dialler to the listener (a WebSocket client masks what it sends),
  // or the other way with REVERSE=1.
  const bool reverse = std::getenv("REVERSE") && std::string(std::getenv("REVERSE")) == "1";
  Side &tx = reverse ? *listener : *dialler;
  Side &rx = reverse ? *dialler : *listener;
  const ag::ConnId tx_id = reverse ? accept_id : dial_id;
  const ag::ConnId rx_id = reverse ? dial_id : accept_id;

  // 2. One-hop Pings.
  std::uint64_t seq = 0;
  const Generator ping = [&] { return p::Payload(p::Ping{++seq, p::now_ms()}); };
  std::fprintf(stderr, "Ping: in memory, %.0f s\n", duration);
  const Rate ping_mem = in_memory(dialler_key, listener_key, registry, ping, duration, "Ping");
  std::fprintf(stderr, "  %.0f /s\nPing: over loopback, window %d, %.0f s\n", ping_mem.rate, window,
               duration);
  const Rate ping_net = stream(loop, tx, tx_id, rx, rx_id, ping, window, duration, "Ping");
  std::fprintf(stderr, "  %.0f /s\n", ping_net.rate);

  // 3. Signed gossip, against the verify rate of one core measured just before.
  std::fprintf(stderr, "verify rate: %zu distinct payloads on one thread\n", kVerifyCount);
  const VerifyRate verify_before = measure_verify_rate(gossip, origin_key);
  std::fprintf(stderr, "  %.0f verifications/s (%.0f per CPU-second)\n", verify_before.wall,
               verify_before.cpu);
  std::size_t next_gossip = 0;
  const Generator relay = [&] { return p::Payload(gossip[next_gossip++ % gossip.size()]); };
  std::fprintf(stderr, "Gossip: in memory, %.0f s\n", duration);
  const Rate gossip_mem = in_memory(dialler_key, listener_key, registry, relay, duration, "Gossip");
  std::fprintf(stderr, "  %.0f /s\n", gossip_mem.rate);
  const std::size_t reused_mem = next_gossip > gossip.size() ? next_gossip - gossip.size() : 0;
  next_gossip = 0;
  std::fprintf(stderr, "Gossip: over loopback, window %d, %.0f s\n", window, duration);
  const Rate gossip_net = stream(loop, tx, tx_id, rx, rx_id, relay, window, duration, "Gossip");
  std::fprintf(stderr, "  %.0f /s\n", gossip_net.rate);
  const std::size_t reused_net = next_gossip > gossip.size() ? next_gossip - gossip.size() : 0;
  if (reused_mem || reused_net)
    std::fprintf(stderr, "  (the gossip pool of %zu was cycled: %zu / %zu messages reused)\n",
                 gossip.size(), reused_mem, reused_net);

  std::fprintf(stderr, "verify rate again\n");
  const VerifyRate verify_after = measure_verify_rate(gossip, origin_key);
  std::fprintf(stderr, "  %.0f verifications/s (%.0f per CPU-second)\n", verify_after.wall,
               verify_after.cpu);
  // The target uses the mean of the two (this machine's rate drifts by several percent).
  const VerifyRate verify{(verify_before.wall + verify_after.wall) / 2,
                          (verify_before.cpu + verify_after.cpu) / 2};

  // 4. DB sync pages.
  std::uint64_t request_id = 0;
  const Generator pages = [&] {
    p::DBSyncResp page = page_template;
    page.request_id = ++request_id;
    return p::Payload(std::move(page));
  };
  std::fprintf(stderr, "DBSyncResp (%zu-byte envelope): in memory, %.0f s\n", page_bytes, duration);
  const Rate page_mem =
      in_memory(dialler_key, listener_key, registry, pages, duration, "DBSyncResp");
  std::fprintf(stderr, "  %.0f /s\nDBSyncResp: over loopback, window %d, %.0f s\n", page_mem.rate,
               window, duration);
  const Rate page_net = stream(loop, tx, tx_id, rx, rx_id, pages, window, duration, "DBSyncResp");
  std::fprintf(stderr, "  %.0f /s\n", page_net.rate);

  // Teardown: close the connection, then the transports (their handles close on the loop).
  int closes = 0;
  dialler->closed = listener->closed = [&](ag::ConnId) { ++closes; };
  dialler->transport().close(dial_id);
  loop.run_until([&] { return closes == 2; }, 10, "the benchmark connection to close");
  dialler->closed = listener->closed = nullptr;
  dialler->shutdown();
  listener->shutdown();

  // The table.
  std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::printf("\n### %s\n\n", date);
  std::printf("Machine: nproc %d, %s; libwebsockets %s, libuv %s, libsodium %s. %.0f s per rate, "
              "%d messages in flight, one connection on 127.0.0.1 (%s), both agents on one libuv "
              "loop (one thread). 1-minute load average at the start / end: %s / %s.\n",
              online_cpus(), cpu_model().c_str(), lws_get_library_version(), uv_version_string(),
              sodium_version_string(), duration, window,
              reverse ? "listener → dialler" : "dialler → listener, frames masked",
              load_start.c_str(), load_average().c_str());
  std::printf("Verify rate of one core (same run, %zu distinct %zu-byte payloads, measured "
              "before and after the Gossip runs): **%s verifications/s** (%s and %s; per "
              "CPU-second %s).\n\n",
              kVerifyCount, p::gossip_signing_bytes(gossip[0]).size(), num(verify.wall).c_str(),
              num(verify_before.wall).c_str(), num(verify_after.wall).c_str(),
              num(verify.cpu).c_str());
  std::printf("| measurement | message | in memory | over loopback | loop CPU | target | result "
              "| per CPU-second |\n");
  std::printf("|---|---|---:|---:|---:|---:|---|---|\n");
  std::printf("| handshake latency, p50 / p99 (%d connections) | connect → both sessions | "
              "%s ms (compute, p50) | %s / %s ms | | < %s ms | %s | |\n",
              handshakes, fixed(percentile(hs.compute_ms, 0.5), 3).c_str(),
              fixed(hs_p50, 3).c_str(), fixed(hs_p99, 3).c_str(),
              fixed(kHandshakeTargetMs, 0).c_str(),
              ((hs_p99 < kHandshakeTargetMs ? "**met** (p99 " : "**not met** (p99 ") +
               fixed(100 * hs_p99 / kHandshakeTargetMs, 0) + " % of the limit)")
                  .c_str());
  // "146,715 /s (6.8 µs)": the rate, and the CPU time the process spent per message.
  const auto cell = [](const Rate &r) {
    return num(r.rate) + " /s (" + fixed(1e6 * r.cpu / r.rate, 1) + " µs)";
  };
  // Messages per second of the process's CPU time over loopback: the rate one core would give
  // if nothing else ran on it (the cores of this machine may be shared).
  const auto per_cpu = [](const Rate &r) { return r.rate / r.cpu; };
  const auto rate_row = [&](const char *name, const Rate &mem, const Rate &net,
                            const std::string &target, const std::string &result,
                            const std::string &cpu_result) {
    std::printf("| %s | %zu-byte frame | %s | %s | %s %% | %s | %s | %s |\n", name, net.frame_bytes,
                cell(mem).c_str(), cell(net).c_str(), fixed(100 * net.cpu, 0).c_str(),
                target.c_str(), result.c_str(), cpu_result.c_str());
  };
  rate_row("one-hop Ping", ping_mem, ping_net, "≥ " + num(kOneHopTarget) + " /s",
           verdict_at_least(ping_net.rate, kOneHopTarget),
           num(per_cpu(ping_net)) + " /s: " + verdict_at_least(per_cpu(ping_net), kOneHopTarget));
  const double signed_target = kSignedTargetShare * verify.wall;
  const double signed_target_cpu = kSignedTargetShare * verify.cpu;
  rate_row("signed Gossip (200-byte body, verify_gossip)", gossip_mem, gossip_net,
           "≥ " + num(signed_target) + " /s (0.8 × verify)",
           verdict_at_least(gossip_net.rate, signed_target),
           num(per_cpu(gossip_net)) + " /s vs " + num(signed_target_cpu) + ": " +
               verdict_at_least(per_cpu(gossip_net), signed_target_cpu));
  rate_row("DB sync page (DBSyncResp, 6 entries)", page_mem, page_net,
           "none (" + mib_per_second(page_net.rate, page_bytes) + ")", "",
           num(per_cpu(page_net)) + " /s (" + mib_per_second(per_cpu(page_net), page_bytes) + ")");
  std::printf("\nRates count messages through the whole receive path (PeerLink::receive: open, "
              "decode, replay window, sender check; then metrics, and verify_gossip for Gossip); "
              "\"in memory\" is the "
              "same send and receive code without sockets, on one thread. In brackets: process CPU "
              "time per message (both ends). Loop CPU: process CPU time / wall time during the "
              "loopback run (100 %% = one core); per CPU-second: the loopback rate divided by it, "
              "compared with the same targets (for Gossip, 0.8 × the verify rate per CPU-second). "
              "Frame = sealed "
              "envelope (+16-byte tag); the DB page's envelope is %zu bytes. Handshake compute: "
              "Initiator + Responder in memory, no envelopes or sockets; the dialler's own "
              "session (after msg2) came at p50 %s ms.\n",
              page_bytes, fixed(percentile(hs.initiator_ms, 0.5), 3).c_str());
  return 0;
}

} // namespace

int main() {
  try {
    return run();
  } catch (const std::exception &e) {
    std::fprintf(stderr, "mycelium-bench-agent-transport: %s\n", e.what());
    return 1;
  }
}
