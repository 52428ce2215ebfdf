// Reads "<sender key hex> <origin key hex> <envelope JSON>" lines (python_client.py) and checks
// that each envelope passes decode_json() and every signature in it verifies. Exit status 1 if
// any line fails: the document was not precise enough for an independent client, or we drifted.
#include "mycelium/protocol/envelope.hpp"

#include <iostream>
#include <sstream>
#include <string>

using namespace mycelium;
using namespace mycelium::protocol;

namespace {

std::string check(const std::string &line) {
  std::istringstream in(line);
  std::string sender_hex, origin_hex;
  in >> sender_hex >> origin_hex;
  std::string json;
  std::getline(in, json);
  const PublicKey sender = parse_public_key(sender_hex);
  const PublicKey origin = parse_public_key(origin_hex);
  const DecodeResult r = decode_json(json);
  if (!r.ok())
    return std::string(to_string(r.reason())) + ": " + r.detail();
  const Envelope &env = r.envelope();
  if (!verify_signature(env, sender))
    return "envelope signature does not verify";
  if (const auto *g = std::get_if<Gossip>(&env.payload); g && !verify_gossip(*g, origin))
    return "gossip origin signature or message_id does not verify";
  if (const auto *b = std::get_if<BlacklistSync>(&env.payload))
    for (const BlacklistEntry &e : b->entries)
      if (!verify_blacklist_entry(e, origin))
        return "blacklist entry signature does not verify";
  return {};
}

} // namespace

int main() {
  int lines = 0, failures = 0;
  for (std::string line; std::getline(std::cin, line);) {
    ++lines;
    const std::string error = check(line);
    if (!error.empty()) {
      std::cout << "line " << lines << ": " << error << "\n";
      ++failures;
    }
  }
  std::cout << lines << " envelopes, " << failures << " refused\n";
  return lines > 0 && failures == 0 ? 0 : 1;
}
