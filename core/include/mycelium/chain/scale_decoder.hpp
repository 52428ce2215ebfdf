// SCALE decoding: a cursor over bytes that refuses anything parity-scale-codec would not
// produce. Every refusal throws Error 22023 naming what was being decoded (the path of fields,
// "neurons[3].axon_info.port"), what is wrong and the byte offset. schemas/CHAIN.md, "SCALE".
//
// A struct's decoder is a function reading its fields in order, each named:
//
//   AxonInfo decode_axon_info(ScaleDecoder &d) {
//     AxonInfo axon;
//     axon.block = d.u64("block");
//     axon.ip = d.u128("ip");
//     axon.port = d.u16("port");
//     return axon;
//   }
//   auto neurons = d.vec("neurons", [](ScaleDecoder &d) {
//     Neuron n;
//     n.uid = d.compact_as<std::uint16_t>("uid");
//     n.axon = d.nested("axon_info", decode_axon_info);
//     return n;
//   });
//   d.expect_end();
#pragma once

#include "mycelium/bytes.hpp"
#include "mycelium/chain/account_id.hpp"
#include "mycelium/chain/u128.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace mycelium::chain {

class ScaleDecoder {
public:
  // Reads `size` bytes at `data`, which must outlive the decoder. `what` names the whole value
  // in messages ("state_call NeuronInfoRuntimeApi_get_neurons_lite").
  ScaleDecoder(const std::uint8_t *data, std::size_t size, std::string_view what = "SCALE value");
  explicit ScaleDecoder(const Bytes &bytes, std::string_view what = "SCALE value")
      : ScaleDecoder(bytes.data(), bytes.size(), what) {}

  // Each reader takes the field's name for messages; empty when the caller's path already says
  // it (an item of a vec, the value of an option).
  std::uint8_t u8(std::string_view field = {});
  std::uint16_t u16(std::string_view field = {});
  std::uint32_t u32(std::string_view field = {});
  std::uint64_t u64(std::string_view field = {});
  U128 u128(std::string_view field = {});
  // Only 0 and 1: any other byte is refused rather than read as true.
  bool boolean(std::string_view field = {});

  // Compact<T> up to u128. Refuses a value written in a bigger mode than it needs (SCALE has one
  // encoding per value) and a big-integer form longer than 16 bytes (SCALE allows up to 2^536;
  // nothing Mycelium reads is wider than u128).
  U128 compact(std::string_view field = {});
  // Compact<T> for T = u8, u16, u32 or u64: a value above T's maximum is refused.
  template <class T> T compact_as(std::string_view field = {}) {
    static_assert(std::is_unsigned_v<T> && !std::is_same_v<T, bool> && sizeof(T) <= 8,
                  "compact_as<u8|u16|u32|u64>");
    const std::size_t at = offset_;
    const U128 value = compact(field);
    if (value > U128(std::numeric_limits<T>::max()))
      fail(field,
           "compact value " + to_string(value) + " does not fit in u" +
               std::to_string(8 * sizeof(T)),
           at);
    return static_cast<T>(value.low);
  }

  // The compact length of a Vec, refused when larger than the bytes left divided by
  // `min_item_size`: a hostile length cannot make us allocate before running out of input.
  std::size_t length(std::string_view field = {}, std::size_t min_item_size = 1);

  // [u8; N] and AccountId32: N bytes, no length prefix.
  template <std::size_t N> std::array<std::uint8_t, N> fixed(std::string_view field = {}) {
    std::array<std::uint8_t, N> out;
    copy_out(out.data(), N, field);
    return out;
  }
  AccountId account_id(std::string_view field = {}) { return fixed<kAccountIdSize>(field); }

  // Vec<u8>.
  Bytes bytes(std::string_view field = {});
  // String: Vec<u8> that must be valid UTF-8.
  std::string string(std::string_view field = {});

  // Vec<T>: each item read by decode_item(ScaleDecoder &) -> T, named field[i] in messages.
  // `min_item_size` is the fewest bytes an item can take (4 for u32, 32 for an AccountId),
  // for the guard of length().
  template <class DecodeItem>
  auto vec(std::string_view field, DecodeItem decode_item, std::size_t min_item_size = 1) {
    using T = std::invoke_result_t<DecodeItem, ScaleDecoder &>;
    PathScope in_field(*this, field);
    const std::size_t count = length({}, min_item_size);
    std::vector<T> items;
    // Capped: length() bounds the count by bytes, but an item in memory can be much larger than
    // its encoding, so a hostile count must not be multiplied by sizeof(T) up front.
    items.reserve(std::min<std::size_t>(count, kMaxReserve));
    for (std::size_t i = 0; i < count; ++i) {
      PathScope in_item(*this, i);
      items.push_back(decode_item(*this));
    }
    return items;
  }

  // Option<T>: 0 None, 1 then the value read by decode_value(ScaleDecoder &) -> T; any other
  // tag is refused. Rust's Option<bool> is this generic form.
  template <class DecodeValue> auto option(std::string_view field, DecodeValue decode_value) {
    using T = std::invoke_result_t<DecodeValue, ScaleDecoder &>;
    PathScope in_field(*this, field);
    if (!option_tag())
      return std::optional<T>();
    return std::optional<T>(decode_value(*this));
  }

  // parity-scale-codec's OptionBool: one byte, 0 None, 1 Some(true), 2 Some(false).
  std::optional<bool> option_bool(std::string_view field = {});

  // An enum's variant index, refused unless below `variant_count`; the caller then reads the
  // variant's fields.
  std::uint8_t variant(std::string_view field, std::uint8_t variant_count);

  // A struct (or tuple) field: decode(ScaleDecoder &) reads it with `field` in the path.
  template <class Decode> auto nested(std::string_view field, Decode decode) {
    PathScope in_field(*this, field);
    return decode(*this);
  }

  // Refuses bytes left over: a value that does not use all of its input was not the type the
  // caller thought it was.
  void expect_end();

  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return size_ - offset_; }

  // Throws Error 22023 naming the current path (plus `field`), `what` and the offset: for a
  // caller's own checks on a decoded value ("ip_type 5 is neither 4 nor 6").
  [[noreturn]] void fail_at(std::string_view field, const std::string &what) const;

private:
  static constexpr std::size_t kMaxReserve = 1024;

  // One step of the path: a field name, or the index of an item in a vec.
  struct PathStep {
    std::string_view name;
    std::size_t index;
  };
  // Pushes a step for the duration of a scope; an empty name pushes nothing.
  class PathScope {
  public:
    PathScope(ScaleDecoder &decoder, std::string_view name) : decoder_(decoder) {
      if (!name.empty())
        push({name, 0});
    }
    PathScope(ScaleDecoder &decoder, std::size_t index) : decoder_(decoder) { push({{}, index}); }
    PathScope(const PathScope &) = delete;
    PathScope &operator=(const PathScope &) = delete;
    ~PathScope() {
      if (pushed_)
        decoder_.path_.pop_back();
    }

  private:
    void push(PathStep step) {
      decoder_.path_.push_back(step);
      pushed_ = true;
    }
    ScaleDecoder &decoder_;
    bool pushed_ = false;
  };

  [[noreturn]] void fail(std::string_view field, const std::string &what, std::size_t at) const;
  const std::uint8_t *take(std::size_t count, std::string_view field);
  void copy_out(std::uint8_t *out, std::size_t count, std::string_view field);
  bool option_tag();

  const std::uint8_t *data_;
  std::size_t size_;
  std::size_t offset_ = 0;
  std::string what_;
  std::vector<PathStep> path_; // names are views of the callers' arguments, popped before return
};

} // namespace mycelium::chain
