// The id rules are defined once, in core (node_id.hpp, shard_id.hpp); the extension's install
// script spells them as regular expressions in its CHECKs and its PL/pgSQL checks, where C++
// cannot reach. This test reads every such expression out of the script and holds it to the C++
// rule on the same inputs, so that the two cannot drift: a change to either fails here.
#include "mycelium/node_id.hpp"
#include "mycelium/shard_id.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string install_script() {
  std::ifstream in(MYCELIUM_INSTALL_SQL);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The regular expressions the script applies to `subject` ("node_id ~ '...'", "$1 !~ '...'").
std::set<std::string> patterns_applied_to(const std::string &script, const std::string &subject) {
  std::set<std::string> found;
  const std::regex use(subject + R"( !?~ '([^']+)')");
  for (auto it = std::sregex_iterator(script.begin(), script.end(), use);
       it != std::sregex_iterator(); ++it)
    found.insert((*it)[1].str());
  return found;
}

// Inputs at the rules' edges: every length around the limits, every kind of character first
// and later, and the characters a careless rule lets through.
std::vector<std::string> candidates() {
  std::vector<std::string> out{"",    "a",  "A",     "0",     "-",      "_",      ".",
                               "a-",  "a_", "a.",    "-a",    "_a",     ".a",     "a b",
                               "a\n", "é",  "a\x7f", "ab\nc", "Z9._-", "node-1", "pg-7311"};
  for (const char c : std::string("aZ09._-/ :'\"%")) {
    out.push_back(std::string(1, c) + "x");
    out.push_back("x" + std::string(1, c));
  }
  for (const std::size_t n : {46u, 47u, 48u, 49u, 62u, 63u, 64u, 65u, 255u})
    for (const char c : std::string("aA0-"))
      out.push_back(std::string(1, 'a') + std::string(n - 1, c));
  return out;
}

void expect_same_rule(const std::string &pattern, const std::function<bool(std::string)> &rule) {
  // PostgreSQL's regular expressions (ARE) and ECMAScript agree on the subset used here:
  // anchors, bracket expressions and bounded repetition.
  const std::regex re(pattern);
  for (const std::string &id : candidates())
    EXPECT_EQ(std::regex_search(id, re), rule(id))
        << "pattern " << pattern << " and the C++ rule disagree on \"" << id << "\"";
}

TEST(IdRulesInSql, EveryNodeIdCheckIsTheNodeIdRule) {
  const std::string script = install_script();
  ASSERT_FALSE(script.empty()) << MYCELIUM_INSTALL_SQL;
  std::set<std::string> patterns = patterns_applied_to(script, "node_id");
  // The PL/pgSQL checks test their first argument, the node id.
  for (const std::string &p : patterns_applied_to(script, R"(\$1)"))
    patterns.insert(p);
  ASSERT_FALSE(patterns.empty());
  for (const std::string &pattern : patterns)
    expect_same_rule(pattern, [](const std::string &id) { return mycelium::is_node_id(id); });
}

TEST(IdRulesInSql, EveryShardIdCheckIsTheShardIdRule) {
  const std::set<std::string> patterns = patterns_applied_to(install_script(), "shard_id");
  ASSERT_FALSE(patterns.empty());
  for (const std::string &pattern : patterns)
    expect_same_rule(pattern, [](const std::string &id) { return mycelium::is_shard_id(id); });
}

} // namespace
