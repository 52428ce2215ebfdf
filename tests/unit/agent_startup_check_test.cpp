// The agent's start-up checks (agent/startup_check.cpp): each refusal says what is wrong and what
// to run or change; a node that is what its configuration says starts.
#include "agent/startup_check.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using mycelium::agent::AgentConfig;
using mycelium::agent::startup_problem;
using mycelium::agent::StartupFacts;

const std::string kKey(64, 'a');

AgentConfig config() {
  AgentConfig c;
  c.node_id = "node-1";
  c.node_type = "validator";
  c.key_file = "/etc/mycelium/node.key";
  return c;
}

// What a correctly set-up database says about node-1.
StartupFacts good() {
  StartupFacts f;
  f.login = "mycelium_agent";
  f.database = "mycelium";
  f.extension = true;
  f.public_key = kKey;
  f.node_type = "validator";
  f.active = true;
  f.local_node = "node-1";
  return f;
}

bool says(const std::string &problem, const std::string &text) {
  return problem.find(text) != std::string::npos;
}

TEST(StartupCheck, ANodeThatIsWhatItsConfigurationSaysStarts) {
  EXPECT_EQ(startup_problem(good(), config(), kKey), "");
}

TEST(StartupCheck, NoExtensionNamesTheDatabaseAndTheFix) {
  StartupFacts f = good();
  f.extension = false;
  const std::string problem = startup_problem(f, config(), kKey);
  EXPECT_TRUE(says(problem, "not installed in database mycelium (database_dsn)")) << problem;
  EXPECT_TRUE(says(problem, "CREATE EXTENSION mycelium")) << problem;
}

TEST(StartupCheck, MissingPrivilegesAreListedWithTheGrant) {
  StartupFacts f = good();
  f.missing = {"INSERT on mycelium.inbox", "SELECT on mycelium.blacklist"};
  const std::string problem = startup_problem(f, config(), kKey);
  EXPECT_TRUE(says(problem, "INSERT on mycelium.inbox, SELECT on mycelium.blacklist")) << problem;
  EXPECT_TRUE(says(problem, "GRANT mycelium_replicator, mycelium_miner TO mycelium_agent;"))
      << problem;
}

TEST(StartupCheck, AnUnregisteredNodeIsToldToRegister) {
  StartupFacts f = good();
  f.public_key.reset();
  EXPECT_TRUE(says(startup_problem(f, config(), kKey), "mycelium register-node"));
}

TEST(StartupCheck, AnotherKeyNamesBothKeys) {
  const std::string other(64, 'b');
  const std::string problem = startup_problem(good(), config(), other);
  EXPECT_TRUE(says(problem, "holds public key " + other)) << problem;
  EXPECT_TRUE(says(problem, "registers " + kKey)) << problem;
}

TEST(StartupCheck, AnotherNodeTypeSaysWhichIsRegistered) {
  AgentConfig c = config();
  c.node_type = "miner";
  const std::string problem = startup_problem(good(), c, kKey);
  EXPECT_TRUE(says(problem, "registers node-1 as a validator")) << problem;
}

TEST(StartupCheck, ADeactivatedNodeIsToldHowToReactivate) {
  StartupFacts f = good();
  f.active = false;
  EXPECT_TRUE(says(startup_problem(f, config(), kKey), "is deactivated"));
}

TEST(StartupCheck, AnotherNodesDatabaseIsRefused) {
  StartupFacts f = good();
  f.local_node = "node-2";
  const std::string problem = startup_problem(f, config(), kKey);
  EXPECT_TRUE(says(problem, "is node node-2's (mycelium.local_node), not node-1's")) << problem;
}

} // namespace
