// refusal_in_frame: a handshake refusal sent in place of the responder's first session frame.
#include "mycelium/protocol/envelope.hpp"
#include "mycelium/protocol/handshake.hpp"
#include "mycelium/protocol/handshake_wire.hpp"
#include "mycelium/protocol/refusal.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace {

using namespace mycelium;
using namespace mycelium::protocol;
using Reason = HandshakeError::Reason;

// A refusal in place of the responder's first session frame: a plaintext envelope with a
// HandshakeResponse, recognised in the binary and the JSON form; a session frame (or anything
// else) is not one.
TEST(ProtocolRefusal, RefusalInAFrameIsFoundInBothForms) {
  Envelope envelope;
  envelope.sender_id = "node-1";
  envelope.timestamp_ms = now_ms();
  envelope.nonce = random_nonce();
  envelope.payload = HandshakeResponseMsg{
      refusal(HandshakeError(Reason::Refused, "node node-2 is banned by node-1"))};
  const Bytes binary = encode(envelope);
  const std::string json = to_json(binary.data(), binary.size());
  for (const Bytes &frame : {binary, Bytes(json.begin(), json.end())}) {
    const bool is_json = frame.front() == '{';
    const std::optional<std::string> text = refusal_in_frame(frame, is_json);
    ASSERT_TRUE(text.has_value()) << (is_json ? "json" : "binary");
    EXPECT_NE(text->find("(refused): node node-2 is banned by node-1"), std::string::npos) << *text;
  }
  envelope.payload = HandshakeResponseMsg{handshake::encode_finish({})};
  EXPECT_FALSE(refusal_in_frame(encode(envelope), false)) << "a handshake message";
  envelope.payload = Ping{1, 2};
  EXPECT_FALSE(refusal_in_frame(encode(envelope), false)) << "another message";
  EXPECT_FALSE(refusal_in_frame(Bytes(40, 0x17), false)) << "a sealed session frame";
}

} // namespace
