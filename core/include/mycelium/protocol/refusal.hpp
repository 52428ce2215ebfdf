// Recognising a handshake refusal that arrives as a frame, where the protocol library (envelope
// decoding) and the handshake's refusal format meet.
#pragma once

#include "mycelium/bytes.hpp"

#include <optional>
#include <string>

namespace mycelium::protocol {

// A refusal sent in place of the responder's first session frame (PROTOCOL.md, "Failures and
// refusals"): `frame` as it arrived (binary, or the JSON form when `json`), a plaintext
// envelope carrying a HandshakeResponse with a refusal. Its text as throw_if_refusal reports
// it, or nullopt if `frame` is anything else.
std::optional<std::string> refusal_in_frame(const Bytes &frame, bool json);

} // namespace mycelium::protocol
