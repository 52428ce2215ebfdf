// saturating_add: times from the wire and stake sums clamp at the ends of their range.
#include "mycelium/saturating.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::uint64_t kUMax = std::numeric_limits<std::uint64_t>::max();

TEST(SaturatingAdd, SignedSumsInRangeAreExact) {
  EXPECT_EQ(mycelium::saturating_add(std::int64_t{1700000000000}, std::int64_t{30000}),
            1700000030000);
  EXPECT_EQ(mycelium::saturating_add(std::int64_t{-5}, std::int64_t{3}), -2);
  EXPECT_EQ(mycelium::saturating_add(kMax, std::int64_t{0}), kMax);
  EXPECT_EQ(mycelium::saturating_add(kMax - 1, std::int64_t{1}), kMax);
}

TEST(SaturatingAdd, SignedSumsClampAtBothEnds) {
  EXPECT_EQ(mycelium::saturating_add(kMax, std::int64_t{1}), kMax);
  EXPECT_EQ(mycelium::saturating_add(kMax - 10, kMax), kMax);
  EXPECT_EQ(mycelium::saturating_add(kMin, std::int64_t{-1}), kMin);
  EXPECT_EQ(mycelium::saturating_add(kMin + 10, kMin), kMin);
  EXPECT_EQ(mycelium::saturating_add(kMin, kMax), -1);
}

TEST(SaturatingAdd, UnsignedSumsClampAtTheTop) {
  EXPECT_EQ(mycelium::saturating_add(std::uint64_t{10}, std::uint64_t{20}), 30u);
  EXPECT_EQ(mycelium::saturating_add(kUMax - 1, std::uint64_t{1}), kUMax);
  EXPECT_EQ(mycelium::saturating_add(kUMax, std::uint64_t{1}), kUMax);
  EXPECT_EQ(mycelium::saturating_add(kUMax / 2 + 1, kUMax / 2 + 1), kUMax);
}

static_assert(mycelium::saturating_add(std::int64_t{2}, std::int64_t{2}) == 4, "constexpr");

} // namespace
