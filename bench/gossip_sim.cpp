// Gossip to 100 nodes simulated in one process with the agent's own gossip code
// (p2p::GossipRelay: de-duplication, Ed25519 verification of every new message, fanout, ttl).
//
// A discrete-event simulation: each node is one CPU that handles one message at a time; the
// cost of handling is the real time GossipRelay::receive() takes on this machine (measured
// around each call), and each hop adds a fixed link latency (default 0.2 ms, loopback-like;
// LINK_US to change). Every node links to `degree` random others (the agent's peer_target);
// a message from a random origin is followed until no copy is in flight.
//
//   mycelium-bench-gossip-sim [NODES=100] [MESSAGES=200] [DEGREE=8]
//
// For each fanout (the agent's default 6, and the baseline: flooding, fanout = every link)
// prints the time until the last node had the message (p50, p99, max), the hops it took, how
// many copies were sent per message, and how many nodes were missed.
#include "mycelium/p2p/gossip_relay.hpp"
#include "mycelium/protocol/envelope.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <queue>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace mycelium;
using Clock = std::chrono::steady_clock;

SecretKey key_of(int n) {
  std::uint8_t seed[kSeedSize] = {};
  seed[0] = static_cast<std::uint8_t>(n);
  seed[1] = static_cast<std::uint8_t>(n >> 8);
  seed[2] = 0x5a;
  return SecretKey::from_seed(seed);
}

struct Arrival {
  double at_us;
  int to, from;
  protocol::Gossip gossip;
  bool operator>(const Arrival &o) const { return at_us > o.at_us; }
};

struct Result {
  std::vector<double> reach_us;
  std::vector<int> hops;
  double copies = 0;
  int missed = 0;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5))];
}

Result run(int nodes, int messages, const std::vector<std::vector<std::string>> &links,
           std::size_t fanout, int ttl, double link_us, std::uint64_t seed) {
  p2p::NodeDirectory directory;
  std::vector<SecretKey> keys;
  for (int n = 0; n < nodes; ++n) {
    keys.push_back(key_of(n));
    directory.set("n" + std::to_string(n), p2p::NodeInfo{keys.back().public_key(), true, true, 1});
  }
  p2p::SplitMix64 rng(seed);
  std::vector<p2p::GossipRelay> relays;
  for (int n = 0; n < nodes; ++n)
    relays.emplace_back(directory, "n" + std::to_string(n), fanout, [&rng] { return rng(); });

  Result result;
  const std::int64_t now_ms = protocol::now_ms();
  for (int m = 0; m < messages; ++m) {
    const int origin = static_cast<int>(rng() % static_cast<std::uint64_t>(nodes));
    std::vector<double> busy_until(static_cast<std::size_t>(nodes), 0);
    std::vector<double> got(static_cast<std::size_t>(nodes), -1);
    std::priority_queue<Arrival, std::vector<Arrival>, std::greater<>> queue;
    std::vector<std::string> targets;
    const protocol::Gossip g = relays[static_cast<std::size_t>(origin)].originate(
        keys[static_cast<std::size_t>(origin)], "bench",
        {static_cast<std::uint8_t>(m), static_cast<std::uint8_t>(m >> 8)},
        static_cast<std::uint8_t>(ttl), now_ms, links[static_cast<std::size_t>(origin)], targets);
    got[static_cast<std::size_t>(origin)] = 0;
    for (const std::string &t : targets)
      queue.push({link_us, std::stoi(t.substr(1)), origin, g});
    int max_hops = 0;
    while (!queue.empty()) {
      Arrival a = queue.top();
      queue.pop();
      result.copies += 1;
      const auto node = static_cast<std::size_t>(a.to);
      const double start = std::max(a.at_us, busy_until[node]);
      const auto t0 = Clock::now();
      const p2p::GossipOutcome out =
          relays[node].receive(a.gossip, "n" + std::to_string(a.from), now_ms, links[node]);
      const double cost = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
      busy_until[node] = start + cost;
      if (out.verdict != p2p::GossipVerdict::Deliver)
        continue;
      got[node] = start + cost;
      max_hops = std::max(max_hops, ttl - a.gossip.ttl + 1);
      if (!out.relay_ttl)
        continue;
      protocol::Gossip next = a.gossip;
      next.ttl = *out.relay_ttl;
      for (const std::string &t : out.relay_targets)
        queue.push({busy_until[node] + link_us, std::stoi(t.substr(1)), a.to, next});
    }
    double last = 0;
    for (double t : got) {
      if (t < 0)
        ++result.missed;
      last = std::max(last, t);
    }
    result.reach_us.push_back(last);
    result.hops.push_back(max_hops);
  }
  result.copies /= messages;
  return result;
}

} // namespace

int main(int argc, char **argv) {
  const int nodes = argc > 1 ? std::atoi(argv[1]) : 100;
  const int messages = argc > 2 ? std::atoi(argv[2]) : 200;
  const int degree = argc > 3 ? std::atoi(argv[3]) : 8;
  const char *link_env = std::getenv("LINK_US");
  const double link_us = link_env ? std::atof(link_env) : 200;
  const int ttl = 6;

  // A random graph where every node has at least `degree` links (links are symmetric).
  p2p::SplitMix64 rng(42);
  std::vector<std::set<int>> adjacency(static_cast<std::size_t>(nodes));
  for (int n = 0; n < nodes; ++n)
    while (static_cast<int>(adjacency[static_cast<std::size_t>(n)].size()) < degree) {
      const int m = static_cast<int>(rng() % static_cast<std::uint64_t>(nodes));
      if (m == n)
        continue;
      adjacency[static_cast<std::size_t>(n)].insert(m);
      adjacency[static_cast<std::size_t>(m)].insert(n);
    }
  std::vector<std::vector<std::string>> links(static_cast<std::size_t>(nodes));
  for (int n = 0; n < nodes; ++n)
    for (int m : adjacency[static_cast<std::size_t>(n)])
      links[static_cast<std::size_t>(n)].push_back("n" + std::to_string(m));

  std::printf("nodes %d, links per node >= %d, messages %d, ttl %d, link latency %.0f us\n", nodes,
              degree, messages, ttl, link_us);
  std::printf("%-22s %10s %10s %10s %8s %10s %8s\n", "fanout", "p50 ms", "p99 ms", "max ms",
              "hops max", "copies/msg", "missed");
  for (std::size_t fanout : {std::size_t{6}, std::size_t{3}, std::size_t{1000}}) {
    const Result r = run(nodes, messages, links, fanout, ttl, link_us, 7);
    const std::string name =
        fanout == 1000 ? "flood (every link)" : "gossip fanout " + std::to_string(fanout);
    std::printf("%-22s %10.2f %10.2f %10.2f %8d %10.0f %8d\n", name.c_str(),
                percentile(r.reach_us, 0.5) / 1000, percentile(r.reach_us, 0.99) / 1000,
                percentile(r.reach_us, 1.0) / 1000, *std::max_element(r.hops.begin(), r.hops.end()),
                r.copies, r.missed);
  }
  return 0;
}
