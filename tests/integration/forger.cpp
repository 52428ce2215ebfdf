// A misbehaving peer for tests/integration/agents_p2p.sh: a registered node that completes
// the real handshake with each target agent and then sends Gossip whose origin signature is
// forged. Built from the agent's own transport and link (protocol::PeerLink), so everything but
// the forgery is what an honest agent sends.
//
//   forger KEY_FILE NODE_ID COUNT HOST:PORT...
//
// Prints one line per target and exits when every target is done (or after 15 s):
//   HOST:PORT refused            the target closed before accepting us (e.g. blacklisted)
//   HOST:PORT refused (TEXT)     ...and said why, in a handshake refusal
//   HOST:PORT admitted           (COUNT 0) the target accepted the session
//   HOST:PORT closed after N     the target accepted, then closed after N forged messages
//   HOST:PORT open after N       all COUNT were sent and the session is still open
// "refused" can also mean "closed after": a target that closes while our forged frames are
// still unread in its socket resets the connection, and the reset may discard the frames it
// sent us on the session. Tests check the target's side (its ban counters) for that case.
#include "agent/transport.hpp"

#include "mycelium/key_file.hpp"
#include "mycelium/protocol/peer_link.hpp"

#include <uv.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

namespace {

using namespace mycelium;
using namespace mycelium::agent;
namespace p = mycelium::protocol;

struct Target {
  std::string name;
  std::unique_ptr<p::PeerLink> link;
  int sent = 0;
  bool admitted = false; // the target sent a frame on the session: it accepted us
  bool done = false;
};

class Forger : public TransportHandler {
public:
  Forger(uv_loop_t *loop, SecretKey key, std::string node_id, int count)
      : loop_(loop), key_(std::move(key)), node_id_(std::move(node_id)), count_(count) {
    TransportOptions options;
    options.listen_port = 0;
    transport_ = std::make_unique<Transport>(loop, options, *this);
  }

  void dial(const std::string &host, int port) {
    const ConnId id = transport_->connect(host, port);
    targets_[id].name = host + ":" + std::to_string(port);
  }

  bool all_done() const {
    for (const auto &[id, t] : targets_)
      if (!t.done)
        return false;
    return true;
  }

  void finish_all() {
    for (auto &[id, t] : targets_)
      if (!t.done)
        report(t, t.link && t.link->established() ? "open after " + std::to_string(t.sent)
                                                  : "refused");
    transport_->shutdown();
  }

  void on_open(ConnId id, bool, bool, const std::string &) override {
    Target &t = targets_[id];
    // Admits whoever answers: the forger tests the target's checks, not its own.
    t.link = std::make_unique<p::PeerLink>(
        p::Role::Initiator, false,
        p::LinkIdentity{&key_, node_id_, {p::kProtocolMajor, p::kProtocolMinor}, {"db-sync"}},
        p::DecodeLimits{}, nullptr);
    transport_->send(id, t.link->hello(p::now_ms()).bytes);
  }

  void on_frame(ConnId id, const Bytes &frame) override {
    Target &t = targets_[id];
    if (t.done || !t.link)
      return;
    p::LinkEvents events = t.link->receive(frame, guard_, p::now_ms());
    for (p::OutgoingFrame &reply : events.replies)
      transport_->send(id, std::move(reply.bytes));
    // The responder learns who we are from our last handshake message, so only its first frame
    // on the session says it accepted us; a refusal comes instead of that frame.
    if (events.peer_refused || (events.broken && !t.admitted)) {
      report(t, "refused (" + events.peer_refused.value_or("unreadable") + ")");
      transport_->close(id);
      return;
    }
    if (events.close || (events.rejected && !t.link->established())) {
      report(t, "refused");
      transport_->close(id);
      return;
    }
    if (events.accepted_by_peer) {
      t.admitted = true;
      if (count_ == 0) {
        report(t, "admitted");
        transport_->close(id);
      }
      return;
    }
    if (!events.session_started)
      return;
    for (int i = 0; i < count_; ++i) {
      p::Gossip g;
      g.origin = node_id_;
      g.ttl = 3;
      g.topic = "forged";
      g.body = {static_cast<std::uint8_t>(i)};
      g.origin_timestamp_ms = p::now_ms();
      g.message_id = p::gossip_message_id(g);
      g.origin_signature[0] = 1; // not a signature by anyone
      transport_->send(id, t.link->seal(g, p::now_ms()).bytes);
      ++t.sent;
    }
  }

  void on_close(ConnId id) override {
    Target &t = targets_[id];
    if (!t.done)
      report(t, t.admitted ? "closed after " + std::to_string(t.sent) : "refused");
  }

  void on_connect_failed(ConnId id, const std::string &) override {
    Target &t = targets_[id];
    if (!t.done)
      report(t, "refused");
  }

  HttpResponse on_http(const HttpRequest &) override { return {404, "text/plain", ""}; }

private:
  void report(Target &t, const std::string &what) {
    t.done = true;
    std::printf("%s %s\n", t.name.c_str(), what.c_str());
    std::fflush(stdout);
  }

  uv_loop_t *loop_;
  SecretKey key_;
  std::string node_id_;
  int count_;
  p::ReplayGuard guard_;
  std::unique_ptr<Transport> transport_;
  std::map<ConnId, Target> targets_;
};

} // namespace

int main(int argc, char **argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: forger KEY_FILE NODE_ID COUNT HOST:PORT...\n");
    return 2;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  auto forger =
      std::make_unique<Forger>(&loop, read_key_file(argv[1]), argv[2], std::stoi(argv[3]));
  for (int i = 4; i < argc; ++i) {
    const std::string target = argv[i];
    const auto colon = target.rfind(':');
    forger->dial(target.substr(0, colon), std::stoi(target.substr(colon + 1)));
  }
  uv_timer_t timer;
  uv_timer_init(&loop, &timer);
  timer.data = forger.get();
  const std::uint64_t started = uv_now(&loop);
  struct State {
    Forger *forger;
    std::uint64_t started;
  } state{forger.get(), started};
  timer.data = &state;
  uv_timer_start(
      &timer,
      [](uv_timer_t *t) {
        auto *s = static_cast<State *>(t->data);
        // Sessions that stay open are reported after 3 s; everything ends by 15 s.
        if (s->forger->all_done() || uv_now(t->loop) - s->started > 10000) {
          s->forger->finish_all();
          uv_timer_stop(t);
          uv_close(reinterpret_cast<uv_handle_t *>(t), nullptr);
        }
      },
      100, 100);
  uv_run(&loop, UV_RUN_DEFAULT);
  forger.reset();
  uv_run(&loop, UV_RUN_NOWAIT);
  return 0;
}
