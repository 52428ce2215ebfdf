#include "mycelium/protocol/refusal.hpp"

#include "mycelium/protocol/envelope.hpp"
#include "mycelium/protocol/handshake_wire.hpp"

#include <string_view>
#include <variant>

namespace mycelium::protocol {

std::optional<std::string> refusal_in_frame(const Bytes &frame, bool json) {
  const DecodeResult result =
      json ? decode_json(
                 std::string_view(reinterpret_cast<const char *>(frame.data()), frame.size()))
           : decode(frame);
  if (!result)
    return std::nullopt;
  const auto *reply = std::get_if<HandshakeResponseMsg>(&result.envelope().payload);
  if (!reply)
    return std::nullopt;
  try {
    handshake::throw_if_refusal(reply->data);
  } catch (const HandshakeError &e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

} // namespace mycelium::protocol
