// libFuzzer target for the message decoder (tests/fuzz/run-smoke.sh builds it with clang and
// runs it; tests/fuzz/CMakeLists.txt also builds it with g++ against a replay driver).
//
// Beyond "never crashes, never reads outside the buffer" (AddressSanitizer), it checks what the
// rest of the code relies on for every envelope decode() accepts: re-encoding gives an
// envelope that decodes to the same value, and its JSON form decodes to the same value too.
#include "mycelium/protocol/envelope.hpp"

#include <cstdio>
#include <cstdlib>

using namespace mycelium::protocol;

namespace {

bool same(const Envelope &a, const Envelope &b) {
  return a.version_major == b.version_major && a.version_minor == b.version_minor &&
         a.sender_id == b.sender_id && a.timestamp_ms == b.timestamp_ms && a.nonce == b.nonce &&
         a.payload == b.payload && a.signature == b.signature;
}

[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "envelope_fuzz: property violated: %s\n", what);
  std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const DecodeResult r = decode(data, size);
  if (!r.ok()) {
    if (to_string(r.reason())[0] == '\0' || r.detail().empty())
      fail("a rejection without a reason");
    return 0;
  }
  const Envelope &env = r.envelope();
  (void)signing_bytes(env);

  const mycelium::Bytes again = encode(env);
  const DecodeResult binary = decode(again);
  if (!binary.ok() || !same(binary.envelope(), env))
    fail("binary re-encoding of an accepted envelope");
  if (encode(binary.envelope()) != again)
    fail("encoding is not deterministic");

  const DecodeResult json = decode_json(to_json(again));
  if (!json.ok() || !same(json.envelope(), env))
    fail("JSON form of an accepted envelope");
  return 0;
}
