// The agent's configuration file (agent/README.md): what it accepts, the defaults it fills in, and
// for each kind of mistake the exact FILE:LINE:COLUMN: FIELD: problem the agent stops with.
#include "agent/config.hpp"
#include "agent/http_token.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

using mycelium::agent::ConfigError;
using mycelium::agent::describe;
using mycelium::agent::load_config;
using mycelium::agent::LogLevel;
using mycelium::agent::redact_dsn;

// Lines 1-8; tests append to it or replace one line.
const std::string kMinimal = "node_id: v1\n"                    // 1
                             "node_type: validator\n"           // 2
                             "key_file: v1.key\n"               // 3
                             "listen:\n"                        // 4
                             "  port: 7000\n"                   // 5
                             "http:\n"                          // 6
                             "  port: 7080\n"                   // 7
                             "database_dsn: dbname=postgres\n"; // 8

// `text` with the line starting with `prefix` replaced by `line` (removed when `line` is empty).
std::string replace_line(const std::string &text, const std::string &prefix,
                         const std::string &line) {
  const auto start = text.find(prefix);
  EXPECT_NE(start, std::string::npos) << prefix;
  const auto end = text.find('\n', start) + 1;
  return text.substr(0, start) + (line.empty() ? "" : line + "\n") + text.substr(end);
}

class AgentConfig : public ::testing::Test {
protected:
  void SetUp() override {
    char dir_template[] = "/tmp/mycelium-agent-config-test-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    path_ = dir_ + "/agent.yaml";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  mycelium::agent::AgentConfig load(const std::string &text) {
    std::ofstream(path_) << text;
    return load_config(path_);
  }

  // Expects the file to be refused with exactly `path_ + message`.
  void expect_error(const std::string &text, const std::string &message) {
    SCOPED_TRACE("config:\n" + text);
    try {
      load(text);
      ADD_FAILURE() << "accepted; expected " << message;
    } catch (const ConfigError &e) {
      EXPECT_EQ(std::string(e.what()), path_ + message);
    }
  }

  std::string dir_;
  std::string path_;
};

TEST_F(AgentConfig, MinimalFileGetsEveryDefault) {
  const auto c = load(kMinimal);
  EXPECT_EQ(c.node_id, "v1");
  EXPECT_EQ(c.node_type, "validator");
  EXPECT_EQ(c.key_file, dir_ + "/v1.key"); // relative to the file's folder
  EXPECT_EQ(c.listen.address, "127.0.0.1");
  EXPECT_EQ(c.listen.port, 7000);
  EXPECT_EQ(c.http.address, "127.0.0.1");
  EXPECT_EQ(c.http.port, 7080);
  EXPECT_EQ(c.database_dsn, "dbname=postgres");
  EXPECT_TRUE(c.bootstrap_peers.empty());
  EXPECT_EQ(c.log_level, LogLevel::info);
  EXPECT_EQ(c.min_stake, 0);
  EXPECT_EQ(c.ping_interval_ms, 5000);
  EXPECT_EQ(c.peer_timeout_ms, 15000);
  EXPECT_EQ(c.redial_min_ms, 500);
  EXPECT_EQ(c.redial_max_ms, 30000);
  EXPECT_EQ(c.max_frame_bytes, 1048576);
  EXPECT_EQ(c.replay_window_ms, 30000);
  EXPECT_EQ(c.db_sync_interval_ms, 1000);
  EXPECT_EQ(c.db_sync_page_size, 500);
  EXPECT_TRUE(c.features.empty());
  EXPECT_EQ(c.gossip.fanout, 6);
  EXPECT_EQ(c.gossip.ttl, 4);
  EXPECT_EQ(c.peer_target, 8);
  EXPECT_EQ(c.blacklist.threshold, 100);
  EXPECT_EQ(c.blacklist.stake_percent, 34);
  EXPECT_EQ(c.port_rotation.grace_seconds, 300);
  EXPECT_EQ(c.blacklist.ban_seconds, 3600);
  EXPECT_FALSE(c.port_rotation.enabled);
  EXPECT_EQ(c.port_rotation.epoch_seconds, 3600);
  EXPECT_EQ(c.port_rotation.range, 1000);
  EXPECT_EQ(c.port_rotation.secret_file, "");
  EXPECT_EQ(c.handshake.timeout_ms, 5000);
  EXPECT_EQ(c.handshake.per_address_per_second, 10);
  EXPECT_EQ(c.handshake.per_address_burst, 20);
  EXPECT_EQ(c.handshake.max_pending, 128);
}

TEST_F(AgentConfig, ExampleFileLoads) {
  const auto c = load_config(MYCELIUM_AGENT_EXAMPLE);
  EXPECT_EQ(c.node_id, "validator-1");
  EXPECT_EQ(c.key_file, "/etc/mycelium/validator-1.key");
  EXPECT_EQ(c.listen.address, "0.0.0.0");
  ASSERT_EQ(c.bootstrap_peers.size(), 3u);
  EXPECT_EQ(c.bootstrap_peers[0].host, "10.0.0.2");
  EXPECT_EQ(c.bootstrap_peers[0].port, 7000);
  EXPECT_EQ(c.bootstrap_peers[1].host, "fd00::3");
  EXPECT_EQ(c.bootstrap_peers[2].host, "validator-4.example.net");
  EXPECT_FALSE(c.port_rotation.enabled);
  EXPECT_EQ(c.port_rotation.secret_file, "/etc/mycelium/port-rotation.secret");
}

TEST_F(AgentConfig, EverySettingIsRead) {
  const auto c = load(kMinimal + "bootstrap_peers: ['a:1', '[::1]:2', {host: b, port: 3}]\n"
                                 "log_level: debug\nmin_stake: 12.5\nping_interval_ms: 100\n"
                                 "peer_timeout_ms: 300\nredial_min_ms: 10\nredial_max_ms: 20\n"
                                 "max_frame_bytes: 2048\nreplay_window_ms: 7\n"
                                 "db_sync_interval_ms: 8\ndb_sync_page_size: 9\n"
                                 "features: [x, y-2]\ngossip: {fanout: 3, ttl: 2}\n"
                                 "peer_target: 5\nblacklist: {threshold: 4, ban_seconds: 60}\n"
                                 "port_rotation: {enabled: true, epoch_seconds: 600, range: 50,"
                                 " secret_file: /s}\n"
                                 "handshake: {timeout_ms: 700, per_address_per_second: 3,"
                                 " per_address_burst: 4, max_pending: 5}\n");
  ASSERT_EQ(c.bootstrap_peers.size(), 3u);
  EXPECT_EQ(c.bootstrap_peers[1].host, "::1");
  EXPECT_EQ(c.bootstrap_peers[1].port, 2);
  EXPECT_EQ(c.bootstrap_peers[2].host, "b");
  EXPECT_EQ(c.log_level, LogLevel::debug);
  EXPECT_EQ(c.min_stake, 12.5);
  EXPECT_EQ(c.ping_interval_ms, 100);
  EXPECT_EQ(c.peer_timeout_ms, 300);
  EXPECT_EQ(c.redial_min_ms, 10);
  EXPECT_EQ(c.redial_max_ms, 20);
  EXPECT_EQ(c.max_frame_bytes, 2048);
  EXPECT_EQ(c.replay_window_ms, 7);
  EXPECT_EQ(c.db_sync_interval_ms, 8);
  EXPECT_EQ(c.db_sync_page_size, 9);
  EXPECT_EQ(c.features, (std::vector<std::string>{"x", "y-2"}));
  EXPECT_EQ(c.gossip.fanout, 3);
  EXPECT_EQ(c.gossip.ttl, 2);
  EXPECT_EQ(c.peer_target, 5);
  EXPECT_EQ(c.blacklist.threshold, 4);
  EXPECT_EQ(c.blacklist.ban_seconds, 60);
  EXPECT_TRUE(c.port_rotation.enabled);
  EXPECT_EQ(c.port_rotation.epoch_seconds, 600);
  EXPECT_EQ(c.port_rotation.range, 50);
  EXPECT_EQ(c.port_rotation.secret_file, "/s");
  EXPECT_EQ(c.handshake.timeout_ms, 700);
  EXPECT_EQ(c.handshake.per_address_per_second, 3);
  EXPECT_EQ(c.handshake.per_address_burst, 4);
  EXPECT_EQ(c.handshake.max_pending, 5);
}

TEST_F(AgentConfig, EmptyPeerListAndQuotedStrings) {
  const auto c = load(replace_line(kMinimal, "node_id", "node_id: '42'") + "bootstrap_peers:\n");
  EXPECT_EQ(c.node_id, "42");
  EXPECT_TRUE(c.bootstrap_peers.empty());
}

TEST_F(AgentConfig, ErrorCarriesItsParts) {
  try {
    load(replace_line(kMinimal, "  port: 7000", "  port: 0"));
    FAIL() << "accepted";
  } catch (const ConfigError &e) {
    EXPECT_EQ(e.file(), path_);
    EXPECT_EQ(e.line(), 5);
    EXPECT_EQ(e.column(), 9);
    EXPECT_EQ(e.field(), "listen.port");
    EXPECT_EQ(e.problem(), "must be between 1 and 65535, got 0");
  }
}

TEST_F(AgentConfig, UnreadableFile) {
  try {
    load_config(dir_ + "/missing.yaml");
    FAIL() << "accepted";
  } catch (const ConfigError &e) {
    EXPECT_EQ(std::string(e.what()),
              dir_ + "/missing.yaml: cannot read: No such file or directory");
  }
  try {
    load_config(dir_);
    FAIL() << "accepted";
  } catch (const ConfigError &e) {
    EXPECT_EQ(std::string(e.what()), dir_ + ": cannot read: Is a directory");
  }
}

TEST_F(AgentConfig, SyntaxErrors) {
  expect_error("node_id: [v1\n", ":2:1: YAML syntax error: end of sequence flow not found");
  expect_error("node_id: v1: x\n", ":1:12: YAML syntax error: illegal map value");
  expect_error("node_id: v1\n\tnode_type: validator\n",
               ":2:1: YAML syntax error: illegal tab when looking for indentation");
}

TEST_F(AgentConfig, NotASingleMapping) {
  expect_error("", ":1:1: no settings: expected a mapping such as \"node_id: ...\"");
  expect_error("# only a comment\n",
               ":1:1: no settings: expected a mapping such as \"node_id: ...\"");
  expect_error("- node_id\n", ":1:1: expected a mapping, got a list");
  expect_error(kMinimal + "---\nnode_id: v2\n",
               ":10:1: only one YAML document is allowed (remove \"---\")");
}

TEST_F(AgentConfig, UnknownKeys) {
  expect_error(kMinimal + "ping_interval: 5\n",
               ":9:1: ping_interval: unknown key; did you mean \"ping_interval_ms\"?");
  expect_error(replace_line(kMinimal, "  port: 7000", "  prot: 7000"),
               ":5:3: listen.prot: unknown key; did you mean \"port\"?");
  expect_error(kMinimal + "colour: blue\n",
               ":9:1: colour: unknown key (known here: node_id, "
               "key_file, node_type, listen, bootstrap_peers, "
               "database_dsn, http, log_level, wire_format, min_stake, "
               "ping_interval_ms, peer_timeout_ms, handshake, redial_min_ms, "
               "redial_max_ms, max_frame_bytes, replay_window_ms, "
               "db_sync_interval_ms, db_sync_page_size, features, status_interval_ms, "
               "discovery_interval_ms, "
               "gossip, peer_target, blacklist, port_rotation, chain, consensus)");
  expect_error(kMinimal + "gossip:\n  fanuot: 3\n",
               ":10:3: gossip.fanuot: unknown key; did you mean \"fanout\"?");
  expect_error(kMinimal + "bootstrap_peers: [{host: a, port: 1, weight: 2}]\n",
               ":9:38: bootstrap_peers[0].weight: unknown key (known here: host, port)");
}

// database_dsn goes through libpq's own parser: a misspelt keyword or broken quoting stops the
// agent (and --check-config) at once, naming the field, without contacting any database.
TEST_F(AgentConfig, DatabaseDsnIsParsedByLibpq) {
  const auto dsn = [](const std::string &value) {
    return replace_line(kMinimal, "database_dsn", "database_dsn: " + value);
  };
  expect_error(dsn("hots=127.0.0.1 port=5432"),
               ":8:15: database_dsn: not a valid libpq connection string: invalid connection "
               "option \"hots\"; did you mean \"host\"?");
  expect_error(dsn("\"host='127.0.0.1 port=5432\""),
               ":8:15: database_dsn: not a valid libpq connection string: unterminated quoted "
               "string in connection info string");
  expect_error(dsn("mycelium"), ":8:15: database_dsn: not a valid libpq connection string: "
                                "missing \"=\" after \"mycelium\" in connection info string");
  expect_error(dsn("postgresql://agent@127.0.0.1/mycelium?sslmod=require"),
               ":8:15: database_dsn: not a valid libpq connection string: invalid URI query "
               "parameter: \"sslmod\"; did you mean \"sslmode\"?");
  // What libpq quotes may be part of a password: with one in the DSN, only keywords are shown.
  expect_error(dsn("host=h password=my secret"),
               ":8:15: database_dsn: not a valid libpq connection string: missing \"=\" after "
               "\"***\" in connection info string");
  expect_error(dsn("postgresql://agent:secret@h/db?secret=1"),
               ":8:15: database_dsn: not a valid libpq connection string: invalid URI query "
               "parameter: \"***\"");
  // Both forms are accepted as they are; values are libpq's to judge when it connects.
  EXPECT_EQ(load(dsn("host=127.0.0.1 port=5432 dbname=mycelium user=agent")).database_dsn,
            "host=127.0.0.1 port=5432 dbname=mycelium user=agent");
  EXPECT_EQ(load(dsn("postgresql://agent@127.0.0.1:5432/mycelium?sslmode=disable")).database_dsn,
            "postgresql://agent@127.0.0.1:5432/mycelium?sslmode=disable");
}

TEST_F(AgentConfig, DuplicateKey) {
  expect_error(kMinimal + "node_id: v2\n", ":9:1: node_id: duplicate key (first set on line 1)");
}

TEST_F(AgentConfig, MissingRequiredFields) {
  expect_error(replace_line(kMinimal, "node_id", ""), ":1:1: node_id: required field is missing");
  expect_error(replace_line(kMinimal, "node_type", ""),
               ":1:1: node_type: required field is missing");
  expect_error(replace_line(kMinimal, "key_file", ""), ":1:1: key_file: required field is missing");
  expect_error(replace_line(kMinimal, "database_dsn", ""),
               ":1:1: database_dsn: required field is missing");
  // The mapping that lacks the field is pointed at: the listen section, or the top level when
  // the whole section is absent.
  expect_error(replace_line(kMinimal, "  port: 7000", "  address: 0.0.0.0"),
               ":5:3: listen.port: required field is missing");
  expect_error(replace_line(replace_line(kMinimal, "listen:", ""), "  port: 7000", ""),
               ":1:1: listen.port: required field is missing");
  expect_error(replace_line(replace_line(kMinimal, "http:", ""), "  port: 7080", ""),
               ":1:1: http.port: required field is missing");
  // `listen:` with nothing under it: the key is pointed at.
  expect_error(replace_line(replace_line(kMinimal, "listen:", "listen:"), "  port: 7000", ""),
               ":4:1: listen.port: required field is missing");
}

TEST_F(AgentConfig, WrongTypes) {
  expect_error(replace_line(kMinimal, "  port: 7000", "  port: seven"),
               ":5:9: listen.port: expected an integer, got \"seven\"");
  expect_error(replace_line(kMinimal, "  port: 7000", "  port: \"7000\""),
               ":5:9: listen.port: expected an integer, got the string \"7000\"");
  expect_error(replace_line(kMinimal, "  port: 7000", "  port: 7000.5"),
               ":5:9: listen.port: expected an integer, got \"7000.5\"");
  expect_error(replace_line(kMinimal, "  port: 7000", "  port:"),
               ":5:3: listen.port: expected an integer, got no value");
  expect_error(replace_line(kMinimal, "node_id", "node_id: [v1]"),
               ":1:10: node_id: expected a string, got a list");
  expect_error(replace_line(kMinimal, "node_id", "node_id: ''"),
               ":1:10: node_id: must not be empty");
  expect_error(replace_line(replace_line(kMinimal, "listen:", "listen: 7000"), "  port: 7000", ""),
               ":4:9: listen: expected a mapping, got \"7000\"");
  expect_error(kMinimal + "bootstrap_peers: a:1\n",
               ":9:18: bootstrap_peers: expected a list, got \"a:1\"");
  expect_error(kMinimal + "min_stake: lots\n", ":9:12: min_stake: expected a number, got \"lots\"");
  expect_error(kMinimal + "min_stake: .inf\n", ":9:12: min_stake: expected a number, got \".inf\"");
  expect_error(kMinimal + "port_rotation:\n  enabled: yes\n",
               ":10:12: port_rotation.enabled: expected true or false, got \"yes\"");
  expect_error(kMinimal + "features: [{a: 1}]\n",
               ":9:12: features[0]: expected a string, got a mapping");
}

TEST_F(AgentConfig, OutOfRange) {
  expect_error(replace_line(kMinimal, "  port: 7080", "  port: 65536"),
               ":7:9: http.port: must be between 1 and 65535, got 65536");
  expect_error(replace_line(kMinimal, "  port: 7080", "  port: 99999999999999999999"),
               ":7:9: http.port: must be between 1 and 65535, got 99999999999999999999");
  expect_error(kMinimal + "ping_interval_ms: 0\n",
               ":9:19: ping_interval_ms: must be between 1 and 3600000, got 0");
  expect_error(kMinimal + "db_sync_interval_ms: -5\n",
               ":9:22: db_sync_interval_ms: must be between 1 and 3600000, got -5");
  expect_error(kMinimal + "min_stake: -0.5\n", ":9:12: min_stake: must be at least 0, got -0.5");
  expect_error(kMinimal + "max_frame_bytes: 100\n",
               ":9:18: max_frame_bytes: must be between 1024 and 67108864, got 100");
  expect_error(kMinimal + "port_rotation: {epoch_seconds: 1}\n",
               ":9:32: port_rotation.epoch_seconds: must be between 2 and 2592000, got 1");
  expect_error(kMinimal + "port_rotation: {enabled: true, epoch_seconds: 10, grace_seconds: 10, "
                          "secret_file: /s}\n",
               ":9:66: port_rotation.grace_seconds: must be shorter than epoch_seconds (10)");
  expect_error(kMinimal + "handshake: {max_pending: 0}\n",
               ":9:26: handshake.max_pending: must be between 1 and 100000, got 0");
  expect_error(kMinimal + "handshake: {timeout_ms: 50}\n",
               ":9:25: handshake.timeout_ms: must be between 100 and 3600000, got 50");
}

TEST_F(AgentConfig, SettingsThatContradictEachOther) {
  expect_error(kMinimal + "peer_timeout_ms: 5000\n",
               ":9:18: peer_timeout_ms: peer_timeout_ms (5000) must be longer than "
               "ping_interval_ms (5000), or every quiet link would time out");
  // Only the ping interval is set: it is the one pointed at.
  expect_error(kMinimal + "ping_interval_ms: 20000\n",
               ":9:19: ping_interval_ms: peer_timeout_ms (15000) must be longer than "
               "ping_interval_ms (20000), or every quiet link would time out");
  expect_error(kMinimal + "redial_min_ms: 100\nredial_max_ms: 50\n",
               ":10:16: redial_max_ms: redial_max_ms (50) must be at least redial_min_ms (100)");
  expect_error(replace_line(kMinimal, "  port: 7080", "  port: 7000"),
               ":7:9: http.port: is the same port as listen.port on an overlapping address");
  // Different addresses, same port: fine.
  EXPECT_NO_THROW(load(replace_line(replace_line(kMinimal, "  port: 7080", "  port: 7000"),
                                    "http:", "http:\n  address: 127.0.0.2")));
}

TEST_F(AgentConfig, PortRotation) {
  expect_error(kMinimal + "port_rotation:\n  enabled: true\n",
               ":10:3: port_rotation.secret_file: required when port_rotation.enabled is true");
  expect_error(replace_line(kMinimal, "  port: 7000", "  port: 65000") +
                   "port_rotation: {enabled: true, secret_file: s, range: 600}\n",
               ":9:55: port_rotation.range: listen.port + range - 1 = 65599 is beyond 65535");
  expect_error(replace_line(kMinimal, "  port: 7000", "  port: 65000") +
                   "port_rotation: {enabled: true, secret_file: s}\n",
               ":9:16: port_rotation.range: listen.port + range - 1 = 65999 is beyond 65535 "
               "(default value)");
  expect_error(kMinimal + "port_rotation: {enabled: true, secret_file: s}\n",
               ":7:9: http.port: is inside the port rotation range 7000..7999");
  const auto c = load(replace_line(kMinimal, "  port: 7080", "  port: 9000") +
                      "port_rotation: {enabled: true, secret_file: rot.secret}\n");
  EXPECT_EQ(c.port_rotation.secret_file, dir_ + "/rot.secret");
}

TEST_F(AgentConfig, HttpTokenFile) {
  const std::string token = "0123456789abcdef0123456789abcdef";
  const std::string with_token =
      replace_line(kMinimal, "  port: 7080", "  port: 7080\n  token_file: http.token");
  const auto write_token = [&](const std::string &text, mode_t mode) {
    std::ofstream(dir_ + "/http.token") << text;
    ::chmod((dir_ + "/http.token").c_str(), mode);
  };
  expect_error(with_token, ":8:15: http.token_file: http.token_file " + dir_ +
                               "/http.token: cannot be read (does it exist?)");
  write_token(token + "\n", 0600);
  const auto c = load(with_token);
  EXPECT_EQ(c.http.token_file, dir_ + "/http.token");
  EXPECT_EQ(c.http.token, token); // the trailing newline is not part of it
  EXPECT_EQ(load(kMinimal).http.token, "");
  write_token(token, 0640);
  expect_error(with_token, ":8:15: http.token_file: http.token_file " + dir_ +
                               "/http.token: group or others may access it; chmod 600 it");
  write_token("short", 0600);
  expect_error(with_token, ":8:15: http.token_file: http.token_file " + dir_ +
                               "/http.token: the token must be at least 16 characters (e.g. "
                               "`openssl rand -hex 32 > FILE`)");
  write_token("two words in a token file", 0600);
  expect_error(with_token, ":8:15: http.token_file: http.token_file " + dir_ +
                               "/http.token: the token must be one line of printable ASCII "
                               "characters without spaces");
}

// Bind addresses are IP literals: given a host name, libwebsockets bound nothing while the
// agent logged that it was listening.
TEST_F(AgentConfig, ListenAddressesAreIpLiterals) {
  expect_error(replace_line(kMinimal, "listen:", "listen:\n  address: localhost"),
               ":5:12: listen.address: expected an IPv4 or IPv6 address to listen on (not a host "
               "name), got \"localhost\"");
  expect_error(replace_line(kMinimal, "http:", "http:\n  address: localhost"),
               ":7:12: http.address: expected an IPv4 or IPv6 address to listen on (not a host "
               "name), got \"localhost\"");
  EXPECT_EQ(load(replace_line(kMinimal, "http:", "http:\n  address: \"::1\"")).http.address, "::1");
}

TEST(HttpToken, BearerMatchesOnlyTheExactToken) {
  const std::string token = "0123456789abcdef";
  EXPECT_TRUE(mycelium::agent::bearer_matches("Bearer " + token, token));
  EXPECT_FALSE(mycelium::agent::bearer_matches("Bearer " + token + "x", token));
  EXPECT_FALSE(mycelium::agent::bearer_matches("Bearer 0123456789abcdeF", token));
  EXPECT_TRUE(mycelium::agent::bearer_matches("bearer " + token, token)); // RFC 7235
  EXPECT_TRUE(mycelium::agent::bearer_matches("BEARER " + token, token));
  EXPECT_FALSE(mycelium::agent::bearer_matches(token, token));
  EXPECT_FALSE(mycelium::agent::bearer_matches("", token));
  EXPECT_FALSE(mycelium::agent::bearer_matches("Bearer ", ""));
}

TEST_F(AgentConfig, BadEnumValues) {
  expect_error(replace_line(kMinimal, "node_type", "node_type: validtor"),
               ":2:12: node_type: expected one of validator, miner, got \"validtor\"; did you "
               "mean \"validator\"?");
  expect_error(replace_line(kMinimal, "node_type", "node_type: admin"),
               ":2:12: node_type: expected one of validator, miner, got \"admin\"");
  expect_error(kMinimal + "log_level: warning\n",
               ":9:12: log_level: expected one of debug, info, warn, error, got \"warning\"; did "
               "you mean \"warn\"?");
}

TEST_F(AgentConfig, BadNodeId) {
  expect_error(replace_line(kMinimal, "node_id", "node_id: 'node 1'"),
               ":1:10: node_id: must be 1 to 63 letters, digits, '.', '_' or '-', starting with a "
               "letter or digit, got \"node 1\"");
}

TEST_F(AgentConfig, BadBootstrapPeers) {
  const std::string shape = "expected host:port, [ipv6]:port or {host: ..., port: ...}";
  expect_error(kMinimal + "bootstrap_peers: [ok:1, nohost]\n",
               ":9:25: bootstrap_peers[1]: " + shape + ", got \"nohost\" (no port)");
  expect_error(kMinimal + "bootstrap_peers:\n  - a:0\n",
               ":10:5: bootstrap_peers[0]: the port must be between 1 and 65535, got \"0\" in "
               "\"a:0\"");
  expect_error(kMinimal + "bootstrap_peers:\n  - a:http\n",
               ":10:5: bootstrap_peers[0]: the port must be between 1 and 65535, got \"http\" in "
               "\"a:http\"");
  expect_error(kMinimal + "bootstrap_peers: ['::1:7000']\n",
               ":9:19: bootstrap_peers[0]: an IPv6 address needs brackets: [::1]:7000");
  expect_error(kMinimal + "bootstrap_peers: ['[::1]7000']\n",
               ":9:19: bootstrap_peers[0]: " + shape + ", got \"[::1]7000\"");
  expect_error(kMinimal + "bootstrap_peers: ['a b:1']\n",
               ":9:19: bootstrap_peers[0]: " + shape + ", got \"a b\"");
  expect_error(kMinimal + "bootstrap_peers: [[a, 1]]\n",
               ":9:19: bootstrap_peers[0]: " + shape + ", got a list");
  expect_error(kMinimal + "bootstrap_peers: [{host: a}]\n",
               ":9:19: bootstrap_peers[0].port: required field is missing");
  expect_error(kMinimal + "bootstrap_peers: [{host: a, port: 70000}]\n",
               ":9:35: bootstrap_peers[0].port: must be between 1 and 65535, got 70000");
}

TEST_F(AgentConfig, BadFeatures) {
  expect_error(kMinimal + "features: [a, a]\n", ":9:15: features[1]: \"a\" is listed twice");
  expect_error(kMinimal + "features: [Big]\n",
               ":9:12: features[0]: a feature name is lowercase letters, digits, '_' and '-', got "
               "\"Big\"");
}

TEST(AgentConfigDsn, PasswordsAreHidden) {
  EXPECT_EQ(redact_dsn("host=h dbname=d user=u password=secret"),
            "host=h dbname=d user=u password=***");
  EXPECT_EQ(redact_dsn("password = 'it\\'s secret' host=h"), "password=*** host=h");
  EXPECT_EQ(redact_dsn("dbname='my db'  port=5432"), "dbname='my db'  port=5432");
  EXPECT_EQ(redact_dsn("postgresql://u:secret@h:5432/d?sslmode=require&password=x"),
            "postgresql://u:***@h:5432/d?sslmode=require&password=***");
  EXPECT_EQ(redact_dsn("postgres://u@h/d"), "postgres://u@h/d");
  EXPECT_EQ(redact_dsn("postgresql:///d?host=/run/postgresql"),
            "postgresql:///d?host=/run/postgresql");
  // Not understood: hidden whole.
  EXPECT_EQ(redact_dsn("password='unterminated"), "***");
  EXPECT_EQ(redact_dsn("just-a-word"), "***");
}

TEST_F(AgentConfig, DescribeShowsTheSettingsButNoPassword) {
  const auto c = load(replace_line(kMinimal, "database_dsn", "database_dsn: dbname=d password=pw") +
                      "bootstrap_peers: ['a:1', '[::1]:2']\nfeatures: [x]\n");
  EXPECT_EQ(describe(c), "node_id=v1 node_type=validator listen=127.0.0.1:7000 "
                         "http=127.0.0.1:7080 bootstrap_peers=[a:1,[::1]:2] "
                         "database=\"dbname=d password=***\" key_file=" +
                             dir_ + "/v1.key log_level=info min_stake=0 features=[x]");
}

} // namespace

// consensus: the groups' directory (defaults: systemd's STATE_DIRECTORY, else a path under
// /var/lib named by the node) and timing, checked against each other.
TEST_F(AgentConfig, ConsensusSection) {
  ::unsetenv("STATE_DIRECTORY");
  auto c = load(kMinimal);
  EXPECT_EQ(c.consensus.directory, "/var/lib/mycelium-agent/v1/consensus");
  EXPECT_EQ(c.consensus.election_timeout_ms, 1000);
  EXPECT_EQ(c.consensus.heartbeat_ms, 100);
  ::setenv("STATE_DIRECTORY", "/var/lib/mycelium-agent/n1:/elsewhere", 1);
  c = load(kMinimal);
  ::unsetenv("STATE_DIRECTORY");
  EXPECT_EQ(c.consensus.directory, "/var/lib/mycelium-agent/n1/consensus");
  c = load(kMinimal +
           "consensus: {directory: raft, election_timeout_ms: 3000, heartbeat_ms: 50}\n");
  EXPECT_EQ(c.consensus.directory, dir_ + "/raft"); // relative to the file's folder
  EXPECT_EQ(c.consensus.election_timeout_ms, 3000);
  EXPECT_EQ(c.consensus.heartbeat_ms, 50);
  expect_error(kMinimal + "consensus: {heartbeat_ms: 400}\n",
               ":9:27: consensus.heartbeat_ms: heartbeat_ms (400) must be at most a third of "
               "election_timeout_ms (1000): followers would start elections between heartbeats");
  expect_error(kMinimal + "consensus: {election_timeout_ms: 100}\n",
               ":9:34: consensus.election_timeout_ms: must be between 500 and 60000, got 100");
  expect_error(kMinimal + "consensus: {directory: ''}\n",
               ":9:24: consensus.directory: must not be empty");
  expect_error(kMinimal + "consensus: {dir: x}\n",
               ":9:13: consensus.dir: unknown key; did you mean \"directory\"?");
}
