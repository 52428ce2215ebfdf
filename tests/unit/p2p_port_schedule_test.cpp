// Port rotation (core/include/mycelium/p2p/port_schedule.hpp): the HMAC derivation against an
// independent implementation, range bounds, the bootstrap port, grace windows, announcements
// and the ports to keep open.
#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/p2p/port_schedule.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <set>

namespace {

using namespace mycelium;
using namespace mycelium::p2p;

Bytes counting_secret(std::size_t n = 32) {
  Bytes s(n);
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<std::uint8_t>(i);
  return s;
}

std::string hex_of(const std::array<std::uint8_t, 32> &a) {
  return to_hex(a.data(), a.size());
}

// The expected values were computed independently with Python's standard library:
//
//   import hmac, hashlib, struct
//   def port(secret, epoch, base, rng):
//       mac = hmac.new(secret, b"mycelium/v1/port" + struct.pack(">Q", epoch),
//                      hashlib.sha256).digest()
//       return mac.hex(), base + int.from_bytes(mac[:8], "big") % rng
//   port(bytes(range(32)), 0, 20000, 10000)       # 6252..., 25751
//   port(bytes(range(32)), 1, 20000, 10000)       # e753..., 29222
//   port(bytes(range(32)), 472222, 20000, 10000)  # 3a4a..., 23620
//   port(bytes(range(32)), 2**64 - 1, 20000, 10000)  # 3404..., 23485
//   port(b"mycelium-port-secret", 472222, 40000, 1000)  # 40899
//   port(bytes([0xaa]) * 100, 7, 1024, 64511)     # 48580 (a key longer than the block)
TEST(PortSchedule, MatchesAnIndependentHmac) {
  const Bytes secret = counting_secret();
  EXPECT_EQ(hex_of(port_hmac(secret, 0)),
            "625223152bd6f977afffb6cc15eca5d14292e8ef21883bd5e902d6b35d66cf52");
  EXPECT_EQ(hex_of(port_hmac(secret, 1)),
            "e753be9d70b60b56e3f9a24d0a30021d5f44d53354b4b683a587c907b2d39184");
  EXPECT_EQ(hex_of(port_hmac(secret, 472222)),
            "3a4a6b4a0fbafd940a07ed91d852be701be2407c1dee3c7bd55ede0e68fb4abd");
  EXPECT_EQ(port_for(secret, 0, 20000, 10000), 25751);
  EXPECT_EQ(port_for(secret, 1, 20000, 10000), 29222);
  EXPECT_EQ(port_for(secret, 472222, 20000, 10000), 23620);
  EXPECT_EQ(port_for(secret, std::numeric_limits<std::uint64_t>::max(), 20000, 10000), 23485);
  const std::string text = "mycelium-port-secret";
  EXPECT_EQ(port_for(Bytes(text.begin(), text.end()), 472222, 40000, 1000), 40899);
  EXPECT_EQ(port_for(Bytes(100, 0xaa), 7, 1024, 64511), 48580);
}

TEST(PortSchedule, DeterministicAndSecretDependent) {
  const Bytes a = counting_secret();
  Bytes b = a;
  b[31] ^= 1;
  int differ = 0;
  for (std::uint64_t e = 0; e < 50; ++e) {
    EXPECT_EQ(port_for(a, e, 20000, 10000), port_for(a, e, 20000, 10000));
    differ += port_for(a, e, 20000, 10000) != port_for(b, e, 20000, 10000);
  }
  EXPECT_GE(differ, 45) << "one bit of secret changes nearly every port";
}

TEST(PortSchedule, EpochOf) {
  EXPECT_EQ(epoch_of(0, 3600), 0u);
  EXPECT_EQ(epoch_of(3599, 3600), 0u);
  EXPECT_EQ(epoch_of(3600, 3600), 1u);
  EXPECT_EQ(epoch_of(1700000000, 3600), 472222u);
  EXPECT_THROW(epoch_of(10, 0), Error);
  EXPECT_THROW(epoch_of(10, -5), Error);
  EXPECT_THROW(epoch_of(-1, 3600), Error);
}

TEST(PortSchedule, StaysInsideTheRange) {
  const Bytes secret = counting_secret();
  std::set<std::uint16_t> seen;
  for (std::uint64_t e = 0; e < 2000; ++e) {
    const std::uint16_t p = port_for(secret, e, 30000, 16);
    EXPECT_GE(p, 30000);
    EXPECT_LT(p, 30016);
    seen.insert(p);
  }
  EXPECT_EQ(seen.size(), 16u) << "every port of a small range is used";
  EXPECT_EQ(port_for(secret, 5, 40000, 1), 40000) << "a range of one port";
  EXPECT_EQ(port_for(secret, 5, 65535, 1), 65535) << "the top port";
  const std::uint16_t full = port_for(secret, 5, 1, 65535);
  EXPECT_GE(full, 1);
}

TEST(PortSchedule, RejectsBadRangesAndSecrets) {
  const Bytes secret = counting_secret();
  EXPECT_THROW(port_for(secret, 0, 20000, 0), Error) << "empty range";
  EXPECT_THROW(port_for(secret, 0, 0, 100), Error) << "port 0";
  EXPECT_THROW(port_for(secret, 0, 65000, 537), Error) << "65000 + 536 > 65535";
  EXPECT_NO_THROW(port_for(secret, 0, 65000, 536));
  EXPECT_THROW(port_for(secret, 0, 1, 65536), Error);
  EXPECT_THROW(port_for(counting_secret(15), 0, 20000, 100), Error) << "short secret";
  EXPECT_NO_THROW(port_for(counting_secret(16), 0, 20000, 100));
  EXPECT_THROW(port_for(secret, 0, 7000, 1, 7000), Error) << "only the bootstrap port";
}

TEST(PortSchedule, SkipsTheBootstrapPort) {
  const Bytes secret = counting_secret();
  ASSERT_EQ(port_for(secret, 0, 20000, 10000), 25751);
  EXPECT_EQ(port_for(secret, 0, 20000, 10000, 25751), 25752) << "the next port";
  EXPECT_EQ(port_for(secret, 0, 20000, 10000, 7001), 25751) << "no collision: unchanged";
  // Offset 1 of a 2-port range is its last port: the next one wraps to the start.
  ASSERT_EQ(port_for(secret, 0, 30000, 2), 30001);
  EXPECT_EQ(port_for(secret, 0, 30000, 2, 30001), 30000);
  for (std::uint64_t e = 0; e < 500; ++e)
    EXPECT_NE(port_for(secret, e, 30000, 4, 30002), 30002);
}

PortScheduleConfig config() {
  PortScheduleConfig c;
  c.base_port = 20000;
  c.range = 10000;
  c.epoch_seconds = 3600;
  c.grace_seconds = 300;
  c.announce_lead_seconds = 120;
  return c;
}

TEST(PortSchedule, GraceWindowEdges) {
  const PortSchedule schedule(counting_secret(), config());
  // Epoch 0: 25751, epoch 1: 29222 (the vectors above).
  using Ports = std::vector<std::uint16_t>;
  EXPECT_EQ(schedule.listening_ports(0), Ports{25751}) << "epoch 0 has no previous epoch";
  EXPECT_EQ(schedule.listening_ports(3599), Ports{25751});
  EXPECT_EQ(schedule.listening_ports(3600), (Ports{29222, 25751})) << "switch: both";
  EXPECT_EQ(schedule.listening_ports(3899), (Ports{29222, 25751})) << "last second of grace";
  EXPECT_EQ(schedule.listening_ports(3900), Ports{29222}) << "grace is [start, start + 300)";
  EXPECT_TRUE(schedule.accepts(25751, 3899));
  EXPECT_FALSE(schedule.accepts(25751, 3900));
  EXPECT_TRUE(schedule.accepts(29222, 3900));
  EXPECT_FALSE(schedule.accepts(29222, 3599)) << "not before its epoch";
  EXPECT_EQ(schedule.current_port(3600), 29222);
  EXPECT_EQ(schedule.epoch_start_s(1), 3600);

  PortScheduleConfig no_grace = config();
  no_grace.grace_seconds = 0;
  const PortSchedule strict(counting_secret(), no_grace);
  EXPECT_EQ(strict.listening_ports(3600), Ports{29222});
}

TEST(PortSchedule, AnnouncesTheNextPort) {
  const PortSchedule schedule(counting_secret(), config());
  const PortAnnouncement a = schedule.next_port(3000);
  EXPECT_EQ(a.epoch, 1u);
  EXPECT_EQ(a.port, 29222);
  EXPECT_EQ(a.starts_at_s, 3600);
  EXPECT_EQ(a.announce_from_s, 3480);
  EXPECT_EQ(schedule.next_port(3599).port, 29222);
  EXPECT_EQ(schedule.next_port(3600).epoch, 2u);
  EXPECT_EQ(schedule.next_port(3600).port, schedule.port(2));
  // The announced port is the one listened on when the epoch comes.
  for (std::int64_t t = 0; t < 20 * 3600; t += 1234)
    EXPECT_EQ(schedule.next_port(t).port, schedule.current_port(schedule.next_port(t).starts_at_s));
}

TEST(PortSchedule, OpenPortsBeforeTheLeadWindow) {
  const PortSchedule schedule(counting_secret(), config());
  // Ports: epoch 0 25751, epoch 1 29222, epoch 2 23110. Lead 120 s, grace 300 s.
  using Ports = std::vector<std::uint16_t>;
  EXPECT_EQ(schedule.open_ports(0), Ports{25751});
  EXPECT_EQ(schedule.open_ports(3479), Ports{25751}) << "the last second before the lead";
  EXPECT_EQ(schedule.open_ports(3600), (Ports{29222, 25751})) << "current, then previous";
  EXPECT_EQ(schedule.open_ports(3899), (Ports{29222, 25751}));
  EXPECT_EQ(schedule.open_ports(3900), Ports{29222}) << "grace over, lead not begun";
  EXPECT_EQ(schedule.open_ports(7079), Ports{29222});
}

TEST(PortSchedule, OpenPortsInsideTheLeadWindow) {
  const PortSchedule schedule(counting_secret(), config());
  using Ports = std::vector<std::uint16_t>;
  ASSERT_EQ(schedule.next_port(3000).announce_from_s, 3480);
  EXPECT_EQ(schedule.open_ports(3480), (Ports{25751, 29222})) << "open from the announcement";
  EXPECT_EQ(schedule.open_ports(3599), (Ports{25751, 29222}));
  EXPECT_EQ(schedule.open_ports(7080), (Ports{29222, 23110}));
  // Whatever is announced is open from that second on, and so is everything accepted.
  for (std::int64_t t = 0; t < 20 * 3600; t += 97) {
    const Ports open = schedule.open_ports(t);
    for (const std::uint16_t p : schedule.listening_ports(t))
      EXPECT_NE(std::find(open.begin(), open.end(), p), open.end()) << t;
    const PortAnnouncement next = schedule.next_port(t);
    const Ports at_announcement = schedule.open_ports(next.announce_from_s);
    EXPECT_NE(std::find(at_announcement.begin(), at_announcement.end(), next.port),
              at_announcement.end())
        << t;
  }

  // Grace and lead overlap when their sum reaches an epoch: all three ports, current first.
  PortScheduleConfig c = config();
  c.epoch_seconds = 600;
  c.grace_seconds = 300;
  c.announce_lead_seconds = 400;
  const PortSchedule overlapping(counting_secret(), c);
  // Epoch 2 is [1200, 1800): grace until 1500, the next port announced from 1400.
  EXPECT_EQ(overlapping.open_ports(1450),
            (Ports{overlapping.port(2), overlapping.port(1), overlapping.port(3)}));
}

TEST(PortSchedule, OpenPortsCollapseDuplicates) {
  using Ports = std::vector<std::uint16_t>;
  PortScheduleConfig one = config();
  one.base_port = 40000;
  one.range = 1;
  const PortSchedule single(counting_secret(), one);
  EXPECT_EQ(single.open_ports(3500), Ports{40000}) << "lead: current and next are one port";
  EXPECT_EQ(single.open_ports(3700), Ports{40000}) << "grace: current and previous too";

  // A 2-port range: epochs 0..3 map to 30001, 30000, 30000, 30001.
  PortScheduleConfig two = config();
  two.base_port = 30000;
  two.range = 2;
  const PortSchedule pair(counting_secret(), two);
  ASSERT_EQ(pair.port(1), 30000);
  ASSERT_EQ(pair.port(2), 30000);
  EXPECT_EQ(pair.open_ports(7100), Ports{30000}) << "epoch 1 announcing epoch 2's equal port";
  EXPECT_EQ(pair.open_ports(7200), Ports{30000}) << "epoch 2 in grace for epoch 1's equal port";
  EXPECT_EQ(pair.open_ports(3500), (Ports{30001, 30000}));

  two.epoch_seconds = 600;
  two.grace_seconds = 300;
  two.announce_lead_seconds = 400;
  const PortSchedule overlapping(counting_secret(), two);
  EXPECT_EQ(overlapping.open_ports(1450), (Ports{30000, 30001})) << "current = previous, then next";
}

TEST(PortSchedule, BootstrapPortNeverListenedOn) {
  PortScheduleConfig c = config();
  c.base_port = 7000;
  c.range = 8;
  c.bootstrap_port = 7003;
  const PortSchedule schedule(counting_secret(), c);
  for (std::int64_t t = 0; t < 500 * 3600; t += 3600)
    for (const std::uint16_t p : schedule.listening_ports(t))
      EXPECT_NE(p, 7003);
}

TEST(PortSchedule, RejectsBadConfigurations) {
  const auto rejects = [](auto change, Bytes secret = counting_secret()) {
    PortScheduleConfig c = config();
    change(c);
    EXPECT_THROW(PortSchedule(secret, c), Error);
  };
  rejects([](PortScheduleConfig &c) { c.range = 0; });
  rejects([](PortScheduleConfig &c) { c.epoch_seconds = 0; });
  rejects([](PortScheduleConfig &c) { c.grace_seconds = 3600; });
  rejects([](PortScheduleConfig &c) { c.grace_seconds = -1; });
  rejects([](PortScheduleConfig &c) { c.announce_lead_seconds = 3600; });
  rejects([](PortScheduleConfig &c) { c.base_port = 60000; });
  rejects([](PortScheduleConfig &) {}, Bytes(8, 1));
  EXPECT_NO_THROW(PortSchedule(counting_secret(), config()));
  const PortSchedule schedule(counting_secret(), config());
  EXPECT_THROW(schedule.listening_ports(-1), Error);
}

} // namespace
