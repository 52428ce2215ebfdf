#include "config.hpp"

#include "mycelium/node_id.hpp"

#include "http_token.hpp"

#include "config_reader.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <regex>

namespace mycelium::agent {

using namespace config_reader;

namespace {

// Bounds. Intervals are capped at an hour: longer values are always mistakes (seconds written as
// milliseconds the other way round, say) and the caps keep later arithmetic (backoff doubling,
// deadlines) far from overflow.
constexpr long long kMaxIntervalMs = 3'600'000;
constexpr long long kMaxPort = 65535;
constexpr long long kMinFrameBytes = 1024;             // a handshake must fit
constexpr long long kMaxFrameBytes = 64 * 1024 * 1024; // one peer must not pin more memory
constexpr std::size_t kMaxFileBytes = 1024 * 1024;     // a config file, not /dev/zero

const std::vector<std::string> kTopLevelKeys = {"node_id",
                                                "key_file",
                                                "node_type",
                                                "listen",
                                                "bootstrap_peers",
                                                "database_dsn",
                                                "http",
                                                "log_level",
                                                "wire_format",
                                                "min_stake",
                                                "ping_interval_ms",
                                                "peer_timeout_ms",
                                                "handshake",
                                                "redial_min_ms",
                                                "redial_max_ms",
                                                "max_frame_bytes",
                                                "replay_window_ms",
                                                "db_sync_interval_ms",
                                                "db_sync_page_size",
                                                "features",
                                                "status_interval_ms",
                                                "discovery_interval_ms",
                                                "gossip",
                                                "peer_target",
                                                "blacklist",
                                                "port_rotation",
                                                "chain",
                                                "consensus"};

std::string read_file(const std::string &path) {
  std::unique_ptr<FILE, int (*)(FILE *)> file(std::fopen(path.c_str(), "re"), &std::fclose);
  if (!file)
    throw ConfigError(path, 0, 0, "", std::string("cannot read: ") + std::strerror(errno));
  std::string text;
  char buf[8192];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, file.get())) > 0) {
    text.append(buf, n);
    if (text.size() > kMaxFileBytes)
      throw ConfigError(path, 0, 0, "", "larger than 1 MiB; is this a configuration file?");
  }
  if (std::ferror(file.get()))
    throw ConfigError(path, 0, 0, "", std::string("cannot read: ") + std::strerror(errno));
  return text;
}

// Relative paths in the file are relative to the file's folder, so that the agent reads the same
// files whatever directory it is started from (systemd starts it in /).
std::string resolve(const std::string &config_path, const std::string &path) {
  const std::filesystem::path p(path);
  if (p.is_absolute())
    return path;
  return (std::filesystem::path(config_path).parent_path() / p).lexically_normal().string();
}

// Node ids follow the one rule (core/include/mycelium/node_id.hpp, which the database's CHECKs
// spell too), so that a node id the database would refuse is caught here, before any peer sees
// it.
void check_node_id(const Field &field, const std::string &id) {
  if (!is_node_id(id))
    field.fail("must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or "
               "digit, got \"" +
               id + "\"");
}

// A host name or an IP address. IPv6 colons are allowed only where the caller says so (in
// host:port they need brackets).
void check_host(const Field &field, const std::string &host, bool colons, const std::string &what) {
  const char *allowed = colons
                            ? "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:%"
                            : "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_";
  if (host.empty() || host.find_first_not_of(allowed) != std::string::npos)
    field.fail(what + ", got \"" + host + "\"");
}

// An address to bind: an IP literal (libwebsockets binds addresses; given a name it reported
// listening while nothing was bound).
void check_ip(const Field &field, const std::string &address) {
  in6_addr parsed{};
  if (inet_pton(AF_INET, address.c_str(), &parsed) != 1 &&
      inet_pton(AF_INET6, address.c_str(), &parsed) != 1)
    field.fail("expected an IPv4 or IPv6 address to listen on (not a host name), got \"" + address +
               "\"");
}

// Whether a DSN may hold a password: a password keyword or parameter, or user:password@ in a
// URI. Errs towards yes: it only decides whether a parse error may quote the DSN's words.
bool mentions_password(const std::string &dsn) {
  std::string lower = dsn;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.find("password") != std::string::npos)
    return true;
  const std::size_t scheme = lower.find("://");
  if (scheme == std::string::npos)
    return false;
  const std::size_t start = scheme + 3;
  const std::size_t end = std::min(lower.find_first_of("/?", start), lower.size());
  const std::string authority = lower.substr(start, end - start);
  const std::size_t at = authority.rfind('@');
  return at != std::string::npos && authority.find(':') < at;
}

// database_dsn as libpq will read it: PQconnectdb parses with the same code, so a misspelt
// keyword or broken quoting is refused here (and by --check-config) instead of at the first
// connection attempt. Only the syntax and the keywords are checked; nothing is contacted.
void check_dsn(const Field &field, const std::string &dsn) {
  char *error = nullptr;
  if (PQconninfoOption *parsed = PQconninfoParse(dsn.c_str(), &error)) {
    PQconninfoFree(parsed);
    return;
  }
  std::string problem = error ? error : "out of memory";
  PQfreemem(error);
  while (!problem.empty() && (problem.back() == '\n' || problem.back() == ' '))
    problem.pop_back();

  std::vector<std::string> keywords;
  if (PQconninfoOption *defaults = PQconndefaults()) {
    for (const PQconninfoOption *o = defaults; o->keyword; ++o)
      keywords.emplace_back(o->keyword);
    PQconninfoFree(defaults);
  }
  const auto is_keyword = [&](const std::string &word) {
    return std::find(keywords.begin(), keywords.end(), word) != keywords.end();
  };
  // libpq quotes the word it stumbled on, which may be part of a password ("password=my secret"
  // says: missing "=" after "secret"). With a password in the DSN only keywords are shown.
  const bool has_password = mentions_password(dsn);
  std::string shown, suggestion;
  for (std::size_t at = 0;;) {
    const std::size_t open = problem.find('"', at);
    const std::size_t close = open == std::string::npos ? open : problem.find('"', open + 1);
    if (close == std::string::npos) {
      shown += problem.substr(at);
      break;
    }
    const std::string word = problem.substr(open + 1, close - open - 1);
    shown += problem.substr(at, open + 1 - at) +
             (has_password && word != "=" && !is_keyword(word) ? "***" : word) + "\"";
    // An unknown keyword (key=value form) or query parameter (URI form): the likely typo.
    const std::string meant = nearest(word, keywords);
    if (suggestion.empty() && !meant.empty() && !is_keyword(word) &&
        (problem.rfind("invalid connection option", 0) == 0 ||
         problem.rfind("invalid URI query parameter", 0) == 0))
      suggestion = "; did you mean \"" + meant + "\"?";
    at = close + 1;
  }
  field.fail("not a valid libpq connection string: " + shown + suggestion);
}

int read_port(const Field &field) {
  return static_cast<int>(read_integer(field, 1, kMaxPort));
}

// "host:port", "[v6addr]:port", or {host: ..., port: ...}.
Peer read_peer(const Field &field) {
  Peer peer;
  if (field.value.IsMap()) {
    const Section s(*field.source, field.value, field.path, field.key, {"host", "port"});
    const Field host = s.require("host");
    peer.host = read_string(host);
    check_host(host, peer.host, true, "expected a host name or an IP address");
    peer.port = read_port(s.require("port"));
    return peer;
  }
  const std::string kShape = "expected host:port, [ipv6]:port or {host: ..., port: ...}";
  if (!field.value.IsScalar())
    field.fail(kShape + ", got a " + (field.value.IsSequence() ? "list" : "null value"));
  const std::string text = read_string(field);
  std::string port_text;
  if (text[0] == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || text.compare(close + 1, 1, ":") != 0)
      field.fail(kShape + ", got \"" + text + "\"");
    peer.host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos)
      field.fail(kShape + ", got \"" + text + "\" (no port)");
    peer.host = text.substr(0, colon);
    if (peer.host.find(':') != std::string::npos)
      field.fail("an IPv6 address needs brackets: [" + peer.host + "]:" + text.substr(colon + 1));
    port_text = text.substr(colon + 1);
  }
  check_host(field, peer.host, text[0] == '[', kShape);
  const bool digits = !port_text.empty() && port_text.size() <= 5 &&
                      port_text.find_first_not_of("0123456789") == std::string::npos;
  const long port = digits ? std::stol(port_text) : 0;
  if (port < 1 || port > kMaxPort)
    field.fail("the port must be between 1 and 65535, got \"" + port_text + "\" in \"" + text +
               "\"");
  peer.port = static_cast<int>(port);
  return peer;
}

// Reads an optional integer into `out` (which holds the default) and returns the field, for the
// checks between fields.
std::optional<Field> optional_int(const Section &s, const std::string &key, int &out, long long min,
                                  long long max) {
  auto field = s.get(key);
  if (field)
    out = static_cast<int>(read_integer(*field, min, max));
  return field;
}

bool is_wildcard(const std::string &address) {
  return address == "0.0.0.0" || address == "::" || address == "[::]";
}

std::string host_port(const std::string &host, int port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

void read_features(const Field &field, std::vector<std::string> &out) {
  static const std::regex pattern("[a-z0-9][a-z0-9_-]{0,62}");
  for (const Field &item : read_list(field)) {
    const std::string name = read_string(item);
    if (!std::regex_match(name, pattern))
      item.fail("a feature name is lowercase letters, digits, '_' and '-', got \"" + name + "\"");
    for (const auto &seen : out)
      if (seen == name)
        item.fail("\"" + name + "\" is listed twice");
    out.push_back(name);
  }
}

// Fails on `field` when the file sets it, otherwise on the section that would hold it (the value
// in force is then a default, and the message says so).
[[noreturn]] void fail_on(const std::optional<Field> &field, const Section &section,
                          const std::string &key, const std::string &problem) {
  if (field)
    field->fail(problem);
  section.source().fail(section.mark(), section.child_path(key), problem + " (default value)");
}

// chain: present means enabled; url and netuid are then required.
void read_chain(const Section &top, AgentConfig &c) {
  if (!top.get("chain"))
    return;
  const Section chain =
      top.section("chain", {"url", "netuid", "sync_interval_seconds", "timeout_ms"});
  c.chain.enabled = true;
  const Field url = chain.require("url");
  c.chain.url = read_string(url);
  bool known_scheme = false;
  for (const char *scheme : {"ws://", "wss://", "http://", "https://"})
    known_scheme = known_scheme || c.chain.url.rfind(scheme, 0) == 0;
  if (!known_scheme)
    url.fail("expected a ws://, wss://, http:// or https:// URL of a Substrate node, got \"" +
             c.chain.url + "\"");
  c.chain.netuid = static_cast<int>(read_integer(chain.require("netuid"), 0, 65535));
  optional_int(chain, "sync_interval_seconds", c.chain.sync_interval_seconds, 1, 86400);
  optional_int(chain, "timeout_ms", c.chain.timeout_ms, 100, 600000);
}

// consensus: the groups' directory and timing. The lease is election_timeout_ms - 250 ms, so
// the timeout must leave room for it; heartbeats must come well within one timeout.
void read_consensus(const Section &top, AgentConfig &c) {
  const Section s = top.section("consensus", {"directory", "election_timeout_ms", "heartbeat_ms"});
  if (auto f = s.get("directory")) {
    c.consensus.directory = resolve(top.source().path(), read_string(*f));
  } else if (const char *state = std::getenv("STATE_DIRECTORY"); state && *state) {
    // systemd's StateDirectory= (several paths are separated by ':'; the first is ours).
    std::string first(state);
    first = first.substr(0, first.find(':'));
    c.consensus.directory = (std::filesystem::path(first) / "consensus").string();
  } else {
    c.consensus.directory = "/var/lib/mycelium-agent/" + c.node_id + "/consensus";
  }
  const auto election =
      optional_int(s, "election_timeout_ms", c.consensus.election_timeout_ms, 500, 60'000);
  const auto heartbeat = optional_int(s, "heartbeat_ms", c.consensus.heartbeat_ms, 10, 10'000);
  if (c.consensus.heartbeat_ms * 3 > c.consensus.election_timeout_ms)
    fail_on(heartbeat ? heartbeat : election, s, "heartbeat_ms",
            "heartbeat_ms (" + std::to_string(c.consensus.heartbeat_ms) +
                ") must be at most a third of election_timeout_ms (" +
                std::to_string(c.consensus.election_timeout_ms) +
                "): followers would start elections between heartbeats");
}

void read_reserved(const Section &top, const Field &http_port, AgentConfig &c) {
  const Section handshake = top.section(
      "handshake", {"timeout_ms", "per_address_per_second", "per_address_burst", "max_pending"});
  optional_int(handshake, "timeout_ms", c.handshake.timeout_ms, 100, kMaxIntervalMs);
  optional_int(handshake, "per_address_per_second", c.handshake.per_address_per_second, 1, 100'000);
  optional_int(handshake, "per_address_burst", c.handshake.per_address_burst, 1, 100'000);
  optional_int(handshake, "max_pending", c.handshake.max_pending, 1, 100'000);
  const Section gossip = top.section("gossip", {"fanout", "ttl"});
  optional_int(gossip, "fanout", c.gossip.fanout, 1, 64);
  optional_int(gossip, "ttl", c.gossip.ttl, 1, 32);
  optional_int(top, "peer_target", c.peer_target, 1, 1000);
  optional_int(top, "discovery_interval_ms", c.discovery_interval_ms, 100, kMaxIntervalMs);
  optional_int(top, "status_interval_ms", c.status_interval_ms, 100, kMaxIntervalMs);
  const Section blacklist =
      top.section("blacklist", {"threshold", "half_life_seconds", "ban_seconds", "stake_percent",
                                "min_validators"});
  optional_int(blacklist, "threshold", c.blacklist.threshold, 1, 1'000'000);
  optional_int(blacklist, "half_life_seconds", c.blacklist.half_life_seconds, 1, 30 * 86400);
  optional_int(blacklist, "ban_seconds", c.blacklist.ban_seconds, 1, 365 * 86400);
  optional_int(blacklist, "stake_percent", c.blacklist.stake_percent, 1, 100);
  optional_int(blacklist, "min_validators", c.blacklist.min_validators, 1, 1000);

  const Section rotation =
      top.section("port_rotation", {"enabled", "epoch_seconds", "range", "grace_seconds",
                                    "announce_seconds", "secret_file"});
  if (auto f = rotation.get("enabled"))
    c.port_rotation.enabled = read_bool(*f);
  // Short epochs are for tests; in production an epoch should be long enough (minutes) for
  // every peer to hear the announcement over its link before the switch.
  const auto epoch =
      optional_int(rotation, "epoch_seconds", c.port_rotation.epoch_seconds, 2, 30 * 86400);
  const auto grace =
      optional_int(rotation, "grace_seconds", c.port_rotation.grace_seconds, 0, 30 * 86400);
  const auto announce =
      optional_int(rotation, "announce_seconds", c.port_rotation.announce_seconds, 0, 30 * 86400);
  if (c.port_rotation.enabled) {
    if (c.port_rotation.grace_seconds >= c.port_rotation.epoch_seconds)
      fail_on(grace ? grace : epoch, rotation, "grace_seconds",
              "must be shorter than epoch_seconds (" +
                  std::to_string(c.port_rotation.epoch_seconds) + ")");
    if (c.port_rotation.announce_seconds >= c.port_rotation.epoch_seconds)
      fail_on(announce ? announce : epoch, rotation, "announce_seconds",
              "must be shorter than epoch_seconds (" +
                  std::to_string(c.port_rotation.epoch_seconds) + ")");
  }
  const auto range = optional_int(rotation, "range", c.port_rotation.range, 2, kMaxPort);
  if (auto f = rotation.get("secret_file"))
    c.port_rotation.secret_file = resolve(top.source().path(), read_string(*f));
  if (!c.port_rotation.enabled)
    return;
  if (c.port_rotation.secret_file.empty())
    top.source().fail(rotation.mark(), rotation.child_path("secret_file"),
                      "required when port_rotation.enabled is true");
  const long long last = static_cast<long long>(c.listen.port) + c.port_rotation.range - 1;
  if (last > kMaxPort)
    fail_on(range, rotation, "range",
            "listen.port + range - 1 = " + std::to_string(last) + " is beyond 65535");
  if (c.http.port >= c.listen.port && c.http.port <= last)
    http_port.fail("is inside the port rotation range " + std::to_string(c.listen.port) + ".." +
                   std::to_string(last));
}

} // namespace

ConfigError::ConfigError(std::string file, int line, int column, std::string field,
                         std::string problem)
    : std::runtime_error(
          file +
          (line > 0 ? ":" + std::to_string(line) + ":" + std::to_string(column) : std::string()) +
          ": " + (field.empty() ? std::string() : field + ": ") + problem),
      file_(std::move(file)), line_(line), column_(column), field_(std::move(field)),
      problem_(std::move(problem)) {}

AgentConfig load_config(const std::string &path) {
  return parse_config(read_file(path), path);
}

AgentConfig parse_config(const std::string &text, const std::string &path) {
  const Source source(path);
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::ParserException &e) {
    source.fail(e.mark, "", "YAML syntax error: " + e.msg);
  }
  if (documents.empty() || documents[0].IsNull())
    throw ConfigError(path, 1, 1, "", "no settings: expected a mapping such as \"node_id: ...\"");
  if (documents.size() > 1)
    source.fail(documents[1].Mark(), "", "only one YAML document is allowed (remove \"---\")");

  AgentConfig c;
  const Section top(source, documents[0], "", documents[0].Mark(), kTopLevelKeys);

  // Required, in the order a reader of the file would look for them.
  const Field node_id = top.require("node_id");
  c.node_id = read_string(node_id);
  check_node_id(node_id, c.node_id);
  c.node_type = read_choice(top.require("node_type"), {"validator", "miner"});
  c.key_file = resolve(path, read_string(top.require("key_file")));

  const Section listen = top.section("listen", {"address", "port", "advertise"});
  if (auto f = listen.get("address")) {
    c.listen.address = read_string(*f);
    check_ip(*f, c.listen.address);
  }
  c.listen.port = read_port(listen.require("port"));
  if (auto f = listen.get("advertise")) {
    c.listen.advertise = read_string(*f);
    check_host(*f, c.listen.advertise, true, "expected an IP address or a host name");
  } else if (is_wildcard(c.listen.address)) {
    top.source().fail(listen.mark(), listen.child_path("advertise"),
                      "required when listen.address is a wildcard: other nodes need an address "
                      "to dial");
  } else {
    c.listen.advertise = c.listen.address;
  }

  const Section http = top.section("http", {"address", "port", "token_file"});
  if (auto f = http.get("address")) {
    c.http.address = read_string(*f);
    check_ip(*f, c.http.address);
  }
  if (auto f = http.get("token_file")) {
    c.http.token_file = resolve(path, read_string(*f));
    try {
      c.http.token = read_http_token(c.http.token_file);
    } catch (const std::runtime_error &e) {
      f->fail(e.what());
    }
  }
  const Field http_port = http.require("port");
  c.http.port = read_port(http_port);
  if (c.http.port == c.listen.port &&
      (c.http.address == c.listen.address || is_wildcard(c.http.address) ||
       is_wildcard(c.listen.address)))
    http_port.fail("is the same port as listen.port on an overlapping address");

  const Field database_dsn = top.require("database_dsn");
  c.database_dsn = read_string(database_dsn);
  check_dsn(database_dsn, c.database_dsn);

  // Optional.
  if (auto f = top.get("bootstrap_peers"))
    for (const Field &item : read_list(*f))
      c.bootstrap_peers.push_back(read_peer(item));
  if (auto f = top.get("log_level")) {
    const std::string name = read_choice(*f, {"debug", "info", "warn", "error"});
    c.log_level = *parse_log_level(name);
  }
  if (auto f = top.get("min_stake"))
    c.min_stake = read_number(*f, 0);
  if (auto f = top.get("wire_format"))
    c.wire_format = read_choice(*f, {"flatbuffers", "json"});

  const auto ping = optional_int(top, "ping_interval_ms", c.ping_interval_ms, 1, kMaxIntervalMs);
  const auto timeout = optional_int(top, "peer_timeout_ms", c.peer_timeout_ms, 1, kMaxIntervalMs);
  if (c.peer_timeout_ms <= c.ping_interval_ms)
    fail_on(timeout ? timeout : ping, top, "peer_timeout_ms",
            "peer_timeout_ms (" + std::to_string(c.peer_timeout_ms) +
                ") must be longer than ping_interval_ms (" + std::to_string(c.ping_interval_ms) +
                "), or every quiet link would time out");
  const auto redial_min = optional_int(top, "redial_min_ms", c.redial_min_ms, 1, kMaxIntervalMs);
  const auto redial_max = optional_int(top, "redial_max_ms", c.redial_max_ms, 1, kMaxIntervalMs);
  if (c.redial_min_ms > c.redial_max_ms)
    fail_on(redial_max ? redial_max : redial_min, top, "redial_max_ms",
            "redial_max_ms (" + std::to_string(c.redial_max_ms) +
                ") must be at least redial_min_ms (" + std::to_string(c.redial_min_ms) + ")");
  optional_int(top, "max_frame_bytes", c.max_frame_bytes, kMinFrameBytes, kMaxFrameBytes);
  optional_int(top, "replay_window_ms", c.replay_window_ms, 1, kMaxIntervalMs);
  optional_int(top, "db_sync_interval_ms", c.db_sync_interval_ms, 1, kMaxIntervalMs);
  optional_int(top, "db_sync_page_size", c.db_sync_page_size, 1, 100'000);
  if (auto f = top.get("features"))
    read_features(*f, c.features);

  read_reserved(top, http_port, c);
  read_chain(top, c);
  read_consensus(top, c);
  return c;
}

std::string redact_dsn(const std::string &dsn) {
  // URI form: postgresql://user:secret@host/db?password=secret&...
  for (const char *scheme : {"postgresql://", "postgres://"}) {
    if (dsn.rfind(scheme, 0) != 0)
      continue;
    std::string out = dsn;
    const std::size_t start = std::strlen(scheme);
    const std::size_t authority_end = out.find_first_of("/?#", start);
    const std::size_t at =
        out.rfind('@', authority_end == std::string::npos ? out.size() : authority_end);
    if (at != std::string::npos && at >= start) {
      const std::size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at)
        out.replace(colon + 1, at - colon - 1, "***");
    }
    const std::size_t query = out.find('?');
    if (query != std::string::npos) {
      std::size_t pos = query + 1;
      while (pos < out.size()) {
        std::size_t end = out.find('&', pos);
        if (end == std::string::npos)
          end = out.size();
        if (out.compare(pos, 9, "password=") == 0 && pos + 9 <= end) {
          out.replace(pos + 9, end - pos - 9, "***");
          end = pos + 12;
        }
        pos = end + 1;
      }
    }
    return out;
  }
  // key = value form; values may be 'single quoted' with backslash escapes. Anything this scanner
  // does not understand is hidden whole: better an unhelpful log line than a leaked password.
  std::string out;
  std::size_t i = 0;
  const std::size_t n = dsn.size();
  auto space = [&](std::size_t k) {
    return k < n && std::isspace(static_cast<unsigned char>(dsn[k]));
  };
  while (i < n) {
    while (space(i))
      out += dsn[i++];
    if (i >= n)
      break;
    const std::size_t key_start = i;
    while (i < n && dsn[i] != '=' && !space(i))
      ++i;
    const std::string key = dsn.substr(key_start, i - key_start);
    while (space(i))
      ++i;
    if (i >= n || dsn[i] != '=' || key.empty())
      return "***";
    ++i;
    while (space(i))
      ++i;
    const std::size_t value_start = i;
    if (i < n && dsn[i] == '\'') {
      for (++i; i < n && dsn[i] != '\''; ++i)
        if (dsn[i] == '\\')
          ++i;
      if (i >= n)
        return "***";
      ++i;
    } else {
      for (; i < n && !space(i); ++i)
        if (dsn[i] == '\\')
          ++i;
      i = std::min(i, n);
    }
    out += key + "=" + (key == "password" ? "***" : dsn.substr(value_start, i - value_start));
  }
  return out;
}

std::string describe(const AgentConfig &c) {
  std::string peers;
  for (const Peer &p : c.bootstrap_peers)
    peers += (peers.empty() ? "" : ",") + host_port(p.host, p.port);
  std::string features;
  for (const auto &f : c.features)
    features += (features.empty() ? "" : ",") + f;
  return "node_id=" + c.node_id + " node_type=" + c.node_type +
         " listen=" + host_port(c.listen.address, c.listen.port) +
         " http=" + host_port(c.http.address, c.http.port) + " bootstrap_peers=[" + peers +
         "] database=\"" + redact_dsn(c.database_dsn) + "\" key_file=" + c.key_file +
         " log_level=" + to_string(c.log_level) + " min_stake=" + format_number(c.min_stake) +
         " features=[" + features + "]" +
         (c.port_rotation.enabled
              ? " port_rotation=" + std::to_string(c.port_rotation.range) + " ports every " +
                    std::to_string(c.port_rotation.epoch_seconds) + "s"
              : std::string()) +
         (c.chain.enabled ? " chain=" + c.chain.url + " netuid=" + std::to_string(c.chain.netuid) +
                                " every " + std::to_string(c.chain.sync_interval_seconds) + "s"
                          : std::string());
}

} // namespace mycelium::agent
