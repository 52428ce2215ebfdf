#include "agent/chain/rpc_url.hpp"

#include <stdexcept>

namespace mycelium::chain {

namespace {

[[noreturn]] void refuse(std::string_view url, const std::string &why) {
  throw std::invalid_argument("chain url '" + std::string(url) + "': " + why +
                              " (expected ws://, wss://, http:// or https://host[:port][/path])");
}

} // namespace

RpcUrl parse_rpc_url(std::string_view url) {
  RpcUrl out;
  out.text = std::string(url);
  const std::size_t colon = url.find("://");
  if (colon == std::string_view::npos)
    refuse(url, "no scheme");
  const std::string_view scheme = url.substr(0, colon);
  if (scheme == "ws" || scheme == "wss")
    out.websocket = true;
  else if (scheme != "http" && scheme != "https")
    refuse(url, "unsupported scheme '" + std::string(scheme) + "'");
  out.tls = scheme == "wss" || scheme == "https";
  out.port = out.tls ? 443 : 80;

  std::string_view rest = url.substr(colon + 3);
  if (rest.find('#') != std::string_view::npos)
    refuse(url, "a fragment (#...) has no meaning here");
  const std::size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.path[0] == '?')
    out.path.insert(0, "/");
  if (authority.find('@') != std::string_view::npos)
    refuse(url, "user information (user@host) is not supported");

  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos)
      refuse(url, "unterminated IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after[0] != ':')
      refuse(url, "unexpected text after the IPv6 address");
    if (!after.empty())
      port_text = after.substr(1);
    if (after == ":")
      refuse(url, "empty port");
  } else {
    const std::size_t port_colon = authority.find(':');
    out.host = std::string(authority.substr(0, port_colon));
    if (port_colon != std::string_view::npos) {
      port_text = authority.substr(port_colon + 1);
      if (port_text.empty())
        refuse(url, "empty port");
    }
  }
  if (out.host.empty())
    refuse(url, "no host");
  if (!port_text.empty()) {
    int port = 0;
    for (const char c : port_text) {
      if (c < '0' || c > '9' || port > 65535)
        refuse(url, "invalid port '" + std::string(port_text) + "'");
      port = port * 10 + (c - '0');
    }
    if (port < 1 || port > 65535)
      refuse(url, "port " + std::string(port_text) + " is outside 1..65535");
    out.port = port;
  }
  return out;
}

} // namespace mycelium::chain
