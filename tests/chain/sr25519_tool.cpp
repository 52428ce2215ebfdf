// The C++ side of tests/chain/sr25519_cross.mjs: reads one command a line on stdin, fields
// separated by tabs (so that a message or a password may be empty and a phrase may hold
// spaces), and writes one answer a line on stdout. Byte strings are lowercase hex. An error
// answers "error<TAB>message" and the tool goes on with the next line.
//
//   pair <seed>                              -> <public> <secret, polkadot-js form>
//   sign <secret> <message>                  -> <signature>
//   sign-with <secret> <message> <random>    -> <signature> (the 32 "random" bytes given)
//   verify <public> <message> <signature>    -> ok | refused <why>
//   uri <secret URI>                         -> <public> <mini secret | none>
//   junction <text after the separating />   -> <chain code> <hard | soft>
//   derive-hard <secret> <chain code>        -> <child secret>
//   derive-soft-with <secret> <chain code> <random> -> <child secret>
//   derive-soft-public <public> <chain code> -> <child public>
//   mnemonic <password> <phrase>             -> <mini secret>
//
// Secrets are in polkadot-js's form, (8 * key) || nonce (SecretKey::to_ed25519_bytes).
#include "mycelium/chain/bip39.hpp"
#include "mycelium/chain/derive_junction.hpp"
#include "mycelium/chain/sr25519.hpp"
#include "mycelium/chain/sr25519_derive.hpp"
#include "mycelium/chain/sr25519_uri.hpp"
#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"

#include <iostream>
#include <string>
#include <vector>

namespace {

using namespace mycelium;
using namespace mycelium::chain;
using namespace mycelium::chain::sr25519;

std::vector<std::string> split_tabs(const std::string &line) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (;;) {
    const std::size_t tab = line.find('\t', start);
    fields.push_back(
        line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos)
      return fields;
    start = tab + 1;
  }
}

Bytes hex_bytes(const std::string &text) {
  return from_hex(text, text.size() / 2, "hex argument");
}

template <std::size_t N> std::array<std::uint8_t, N> hex_array(const std::string &text) {
  const Bytes bytes = from_hex(text, N, "hex argument");
  std::array<std::uint8_t, N> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

SecretKey secret_from_hex(const std::string &text) {
  const Bytes bytes = hex_bytes(text);
  return SecretKey::from_ed25519_bytes(bytes.data(), bytes.size());
}

std::string secret_hex(const SecretKey &key) {
  const auto bytes = key.to_ed25519_bytes();
  return to_hex(bytes.data(), bytes.size());
}

std::string hex_of(const PublicKey &key) {
  return to_hex(key.data(), key.size());
}

void expect_fields(const std::vector<std::string> &fields, std::size_t count) {
  if (fields.size() != count)
    throw std::runtime_error(fields[0] + " takes " + std::to_string(count - 1) + " fields");
}

std::string answer(const std::vector<std::string> &fields) {
  const std::string &command = fields[0];
  if (command == "pair") {
    expect_fields(fields, 2);
    const auto seed = hex_array<32>(fields[1]);
    const SecretKey key = SecretKey::from_mini_secret(MiniSecretKey(seed.data()));
    return hex_of(key.public_key()) + "\t" + secret_hex(key);
  }
  if (command == "sign" || command == "sign-with") {
    expect_fields(fields, command == "sign" ? 3 : 4);
    const SecretKey key = secret_from_hex(fields[1]);
    const Bytes message = hex_bytes(fields[2]);
    Signature signature;
    if (command == "sign") {
      signature = key.sign(message);
    } else {
      const auto random = hex_array<kRandomSize>(fields[3]);
      std::uint8_t given[kRandomSize];
      std::copy(random.begin(), random.end(), given);
      signature = key.sign(message.data(), message.size(), given);
    }
    return to_hex(signature.data(), signature.size());
  }
  if (command == "verify") {
    expect_fields(fields, 4);
    const Bytes public_key = hex_bytes(fields[1]);
    const Bytes message = hex_bytes(fields[2]);
    const Bytes signature = hex_bytes(fields[3]);
    try {
      // The parsers refuse what verification would refuse anyway (lengths, invalid keys).
      verify_or_throw(signature_from_bytes(signature.data(), signature.size()), message.data(),
                      message.size(), public_key_from_bytes(public_key.data(), public_key.size()));
      return "ok";
    } catch (const Error &e) {
      return std::string("refused\t") + e.what();
    }
  }
  if (command == "uri") {
    expect_fields(fields, 2);
    const UriKey key = key_from_secret_uri(fields[1]);
    return hex_of(key.secret_key.public_key()) + "\t" +
           (key.mini_secret ? to_hex(key.mini_secret->data(), key.mini_secret->size()) : "none");
  }
  if (command == "junction") {
    expect_fields(fields, 2);
    const DeriveJunction junction = DeriveJunction::parse(fields[1]);
    return to_hex(junction.chain_code.data(), junction.chain_code.size()) +
           (junction.hard ? "\thard" : "\tsoft");
  }
  if (command == "derive-hard") {
    expect_fields(fields, 3);
    return secret_hex(derive_hard(secret_from_hex(fields[1]), hex_array<32>(fields[2])));
  }
  if (command == "derive-soft-with") {
    expect_fields(fields, 4);
    const auto random = hex_array<kRandomSize>(fields[3]);
    std::uint8_t given[kRandomSize];
    std::copy(random.begin(), random.end(), given);
    return secret_hex(derive_soft(secret_from_hex(fields[1]), hex_array<32>(fields[2]), given));
  }
  if (command == "derive-soft-public") {
    expect_fields(fields, 3);
    return hex_of(derive_soft(hex_array<32>(fields[1]), hex_array<32>(fields[2])));
  }
  if (command == "mnemonic") {
    expect_fields(fields, 3);
    const Bytes password = hex_bytes(fields[1]);
    const SecretBytes<32> mini = mini_secret_from_mnemonic(
        fields[2],
        std::string_view(reinterpret_cast<const char *>(password.data()), password.size()));
    return to_hex(mini.data(), mini.size());
  }
  throw std::runtime_error("unknown command " + command);
}

} // namespace

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    try {
      std::cout << answer(split_tabs(line)) << '\n';
    } catch (const std::exception &e) {
      std::cout << "error\t" << e.what() << '\n';
    }
  }
  return std::cout.good() ? 0 : 1;
}
