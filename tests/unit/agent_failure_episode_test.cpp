// FailureEpisode (agent/failure_episode.hpp): the rule behind the agent's once-per-outage log
// lines. The first failure and each change of text are news; repeats are counted; success ends
// the episode and says how long it was.
#include "agent/failure_episode.hpp"

#include <gtest/gtest.h>

namespace {

using mycelium::agent::FailureEpisode;
using News = FailureEpisode::News;

TEST(FailureEpisode, TheFirstFailureStartsAnEpisodeAndRepeatsAreOnlyCounted) {
  FailureEpisode e;
  EXPECT_FALSE(e.running());
  EXPECT_EQ(e.failed("connection refused", 1000), News::started);
  EXPECT_EQ(e.failed("connection refused", 2000), News::none);
  EXPECT_EQ(e.failed("connection refused", 3000), News::none);
  EXPECT_TRUE(e.running());
  EXPECT_EQ(e.failures(), 3);
  EXPECT_EQ(e.started_ms(), 1000) << "the episode's start, not the last failure's";
  EXPECT_EQ(e.first_detail(), "connection refused");
}

TEST(FailureEpisode, ANewTextIsNewsAndGoingBackIsNewsAgain) {
  FailureEpisode e;
  e.failed("a");
  EXPECT_EQ(e.failed("b"), News::changed);
  EXPECT_EQ(e.failed("b"), News::none);
  EXPECT_EQ(e.last_detail(), "b");
  EXPECT_EQ(e.failed("a"), News::changed);
  EXPECT_EQ(e.first_detail(), "a");
  EXPECT_EQ(e.last_detail(), "a");
  e.succeeded();
  EXPECT_EQ(e.last_detail(), "") << "forgotten with the episode";
}

TEST(FailureEpisode, SuccessEndsTheEpisodeWithItsCount) {
  FailureEpisode e;
  EXPECT_EQ(e.succeeded(), 0) << "no episode: nothing to report";
  e.failed("x", 5);
  e.failed("x", 6);
  EXPECT_EQ(e.succeeded(), 2);
  EXPECT_FALSE(e.running());
  EXPECT_EQ(e.succeeded(), 0) << "reported once";
  EXPECT_EQ(e.failed("x", 9), News::started) << "the same text starts a new episode";
  EXPECT_EQ(e.started_ms(), 9);
}

} // namespace
