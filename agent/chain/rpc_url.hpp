// Where a chain's JSON-RPC endpoint is: ws://, wss://, http:// or https://, as an operator writes
// it in the configuration or on the command line.
#pragma once

#include <string>
#include <string_view>

namespace mycelium::chain {

struct RpcUrl {
  std::string text; // as given, for messages
  bool websocket = false;
  bool tls = false;
  std::string host; // without the brackets of an IPv6 literal
  int port = 0;     // the scheme's default (80 or 443) when the URL names none
  std::string path; // "/" when the URL names none; the query string, if any, included
};

// Throws std::invalid_argument with a message naming the URL and what is wrong with it
// (another scheme, no host, a port outside 1..65535, user information, a fragment).
RpcUrl parse_rpc_url(std::string_view url);

} // namespace mycelium::chain
