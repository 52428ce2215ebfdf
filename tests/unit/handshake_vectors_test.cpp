// Checks the handshake and the secure channel against schemas/test-vectors/handshake.json,
// written by an independent Python implementation of schemas/PROTOCOL.md (handshake.py, on
// OpenSSL rather than libsodium). A mismatch means one of the two misreads the specification.
#include "mycelium/ed25519.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/protocol/handshake.hpp"
#include "mycelium/protocol/secure_channel.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace mycelium;
using namespace mycelium::protocol;

// The file is JSON, which yaml-cpp reads as YAML 1.2.
const YAML::Node &vectors() {
  static const YAML::Node root = YAML::LoadFile(MYCELIUM_HANDSHAKE_VECTORS);
  return root;
}

Bytes unhex(const YAML::Node &node) {
  const std::string text = node.as<std::string>();
  return from_hex(text, text.size() / 2, "test vector");
}

std::string hex(const std::uint8_t *data, std::size_t size) {
  return to_hex(data, size);
}

// Hands out exactly the bytes the vector says each side draws.
class ScriptedRandom final : public RandomSource {
public:
  explicit ScriptedRandom(Bytes bytes) : bytes_(std::move(bytes)) {}
  void fill(std::uint8_t *out, std::size_t size) override {
    if (bytes_.size() - used_ < size)
      throw std::runtime_error("the vector's randomness is used up");
    std::memcpy(out, bytes_.data() + used_, size);
    used_ += size;
  }

private:
  Bytes bytes_;
  std::size_t used_ = 0;
};

SecretKey key_from(const YAML::Node &side) {
  const Bytes seed = unhex(side["seed"]);
  std::uint8_t raw[kSeedSize];
  std::memcpy(raw, seed.data(), kSeedSize);
  return SecretKey::from_seed(raw);
}

Version version_of(const YAML::Node &side) {
  return {side["major"].as<std::uint16_t>(), side["minor"].as<std::uint16_t>()};
}

TEST(HandshakeVectors, EveryByteMatchesTheIndependentImplementation) {
  const YAML::Node cases = vectors()["handshake"];
  ASSERT_TRUE(cases.IsSequence());
  ASSERT_GE(cases.size(), 2u);
  for (const YAML::Node &c : cases) {
    SCOPED_TRACE(c["name"].as<std::string>());
    const YAML::Node ini = c["initiator"], res = c["responder"];
    const SecretKey ini_key = key_from(ini), res_key = key_from(res);
    ScriptedRandom ini_random(unhex(ini["random"])), res_random(unhex(res["random"]));
    Initiator i(ini_key, ini["node_id"].as<std::string>(), version_of(ini),
                ini["features"].as<std::vector<std::string>>(), nullptr, &ini_random);
    Responder r(res_key, res["node_id"].as<std::string>(), version_of(res),
                res["features"].as<std::vector<std::string>>(), nullptr, &res_random);

    const Bytes msg1 = i.start();
    EXPECT_EQ(to_hex(msg1), c["msg1"].as<std::string>());
    const Bytes msg2 = r.on_hello(msg1);
    EXPECT_EQ(to_hex(msg2), c["msg2"].as<std::string>());
    const Bytes msg3 = i.on_response(msg2);
    EXPECT_EQ(to_hex(msg3), c["msg3"].as<std::string>());
    r.on_finish(msg3);

    const Session &s = i.session();
    EXPECT_EQ(hex(s.session_id.data(), s.session_id.size()), c["session_id"].as<std::string>());
    EXPECT_EQ(hex(s.keys.tx.data(), 32), c["initiator_to_responder"].as<std::string>());
    EXPECT_EQ(hex(s.keys.rx.data(), 32), c["responder_to_initiator"].as<std::string>());
    EXPECT_EQ(s.version.minor, c["agreed"]["minor"].as<std::uint16_t>());
    EXPECT_EQ(s.features, c["agreed"]["features"].as<std::vector<std::string>>());

    SecureChannel to_responder(i.session().keys), to_initiator(r.session().keys);
    for (const YAML::Node &f : c["frames"]) {
      const bool from_initiator = f["direction"].as<std::string>() == "initiator-to-responder";
      SecureChannel &sender = from_initiator ? to_responder : to_initiator;
      SecureChannel &receiver = from_initiator ? to_initiator : to_responder;
      const Bytes frame = sender.seal(unhex(f["plaintext"]));
      EXPECT_EQ(to_hex(frame), f["frame"].as<std::string>());
      EXPECT_EQ(receiver.open(frame), unhex(f["plaintext"]));
    }
  }
}

} // namespace
