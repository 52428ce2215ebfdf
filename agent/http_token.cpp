#include "http_token.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mycelium::agent {

std::string read_http_token(const std::string &path) {
  const auto fail = [&](const std::string &problem) {
    throw std::runtime_error("http.token_file " + path + ": " + problem);
  };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    fail("cannot be read (does it exist?)");
  if (!S_ISREG(st.st_mode))
    fail("is not a regular file");
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    fail("group or others may access it; chmod 600 it");
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r'))
    token.pop_back();
  if (token.size() < 16)
    fail("the token must be at least 16 characters (e.g. `openssl rand -hex 32 > FILE`)");
  for (const char c : token)
    if (c <= ' ' || c > '~')
      fail("the token must be one line of printable ASCII characters without spaces");
  return token;
}

bool bearer_matches(const std::string &authorization, const std::string &token) {
  // The scheme is case-insensitive (RFC 7235); the token is not.
  static const std::string scheme = "bearer ";
  if (token.empty() || authorization.size() != scheme.size() + token.size())
    return false;
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i])
      return false;
  return sodium_memcmp(authorization.data() + scheme.size(), token.data(), token.size()) == 0;
}

} // namespace mycelium::agent
