// The bearer token that authorises the agent's HTTP endpoints which make the node act and sign
// (POST /gossip). Loopback is not an authentication: any local user or process can reach it.
#pragma once

#include <string>

namespace mycelium::agent {

// Reads a token file: one line of at least 16 printable ASCII characters without spaces (a
// trailing newline is ignored), in a regular file that neither group nor others may read.
// Throws std::runtime_error naming the file and the problem.
std::string read_http_token(const std::string &path);

// Whether an Authorization header value is "Bearer <token>"; compared in constant time.
bool bearer_matches(const std::string &authorization, const std::string &token);

} // namespace mycelium::agent
