// The JSON form (PROTOCOL.md, "JSON form"): flatbuffers' own parser and printer, driven by the
// schema text compiled into the library, so the JSON form can never drift from the binary one.
#include "mycelium/protocol/envelope.hpp"

#include "mycelium/error.hpp"
#include "mycelium/wire/schema_text.hpp"
#include "wire.hpp"

#include <flatbuffers/idl.h>

#include <memory>

namespace mycelium::protocol {
namespace {

// Parsing the schema text costs about 100 us, most of a JSON conversion; JSON is the debugging
// and foreign-client form, where that is acceptable.
std::unique_ptr<flatbuffers::Parser> make_parser() {
  flatbuffers::IDLOptions options;
  options.strict_json = true;                    // quoted field names: plain JSON for any client
  options.indent_step = -1;                      // one line: one WebSocket text frame, one log line
  options.output_default_scalars_in_json = true; // every field shown, even 0 and false
  auto parser = std::make_unique<flatbuffers::Parser>(options);
  if (!parser->Parse(wire::kSchemaText))
    throw Error(sqlstate::kInternalError, "embedded schema does not parse: " + parser->error_);
  return parser;
}

} // namespace

std::string to_json(const std::uint8_t *data, std::size_t size) {
  // The Verifier alone is not enough: flatbuffers' printer asserts (aborts the process) on a
  // payload without payload_type, which passes the Verifier. So only what decode() accepts is
  // printed, and from our own re-encoding (aligned, nothing the decoder did not look at).
  // Our own messages are printed whatever their size: receivers apply their limits.
  DecodeLimits no_size_limit;
  no_size_limit.max_bytes = size;
  const DecodeResult checked = decode(data, size, no_size_limit);
  if (!checked.ok())
    throw Error(sqlstate::kInvalidParameterValue, std::string("not a valid Mycelium envelope: ") +
                                                      to_string(checked.reason()) + ": " +
                                                      checked.detail());
  // Printing only reads the parser, so one shared parser serves every thread.
  static const std::unique_ptr<flatbuffers::Parser> parser = make_parser();
  const Bytes canonical = encode(checked.envelope());
  std::string json;
  if (!flatbuffers::GenerateText(*parser, canonical.data(), &json))
    throw Error(sqlstate::kInvalidParameterValue,
                "envelope cannot be printed as JSON (a string that is not UTF-8?)");
  return json;
}

Bytes from_json(std::string_view json) {
  // The parser reads a C string: an embedded NUL would silently end the text early.
  if (json.find('\0') != std::string_view::npos)
    throw Error(sqlstate::kInvalidParameterValue, "JSON message contains a NUL byte");
  // A fresh parser per message: ParseJson leaves state behind after a failed parse (the error
  // text, the field stack), and a fresh one is thread-safe.
  const auto parser = make_parser();
  const std::string text(json);
  if (!parser->ParseJson(text.c_str()))
    throw Error(sqlstate::kInvalidParameterValue, "JSON message: " + parser->error_);
  const flatbuffers::FlatBufferBuilder &fbb = parser->builder_;
  return Bytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

DecodeResult decode_json(std::string_view json, const DecodeLimits &limits) {
  if (json.size() > limits.max_json_bytes)
    return DecodeResult::reject(RejectReason::Oversized, std::to_string(json.size()) +
                                                             " bytes of JSON, limit " +
                                                             std::to_string(limits.max_json_bytes));
  Bytes buffer;
  try {
    buffer = from_json(json);
  } catch (const Error &e) {
    return DecodeResult::reject(RejectReason::Malformed, e.what());
  }
  return decode(buffer, limits);
}

} // namespace mycelium::protocol
