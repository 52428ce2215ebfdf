#include "mycelium/version.hpp"

#include <gtest/gtest.h>

#include <regex>

// The version is read from extension/mycelium.control at configure time.
TEST(Version, IsSemanticVersionFromControlFile) {
  EXPECT_TRUE(std::regex_match(mycelium::kVersion, std::regex(R"(\d+\.\d+\.\d+)")))
      << mycelium::kVersion;
}
