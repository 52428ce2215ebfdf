// Little-endian integer writing and bounds-checked reading, shared by the message codec and the
// storage files. Private to core/src/consensus.
#pragma once

#include "mycelium/bytes.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace mycelium::consensus::detail {

inline void put_u8(Bytes &out, std::uint8_t v) {
  out.push_back(v);
}

template <typename T> void put_le(Bytes &out, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i)
    out.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) >> (8 * i)));
}
inline void put_u16(Bytes &out, std::uint16_t v) {
  put_le(out, v);
}
inline void put_u32(Bytes &out, std::uint32_t v) {
  put_le(out, v);
}
inline void put_u64(Bytes &out, std::uint64_t v) {
  put_le(out, v);
}
inline void put_bytes(Bytes &out, const void *data, std::size_t n) {
  const auto *p = static_cast<const std::uint8_t *>(data);
  out.insert(out.end(), p, p + n);
}

// Reads fields in order; every read first checks that the bytes are there. `Fail` is called with
// a message naming the field and must throw (each user throws its own error type).
template <typename Fail> class Reader {
public:
  Reader(const std::uint8_t *data, std::size_t size, Fail fail)
      : data_(data), size_(size), fail_(fail) {}

  std::size_t remaining() const { return size_ - pos_; }
  std::size_t position() const { return pos_; }

  std::uint8_t u8(const char *field) { return static_cast<std::uint8_t>(le(1, field)); }
  std::uint16_t u16(const char *field) { return static_cast<std::uint16_t>(le(2, field)); }
  std::uint32_t u32(const char *field) { return static_cast<std::uint32_t>(le(4, field)); }
  std::uint64_t u64(const char *field) { return le(8, field); }

  // A view of the next `n` bytes; the length was read from the input, so it is checked here.
  const std::uint8_t *take(std::uint64_t n, const char *field) {
    need(n, field);
    const std::uint8_t *p = data_ + pos_;
    pos_ += static_cast<std::size_t>(n);
    return p;
  }
  Bytes bytes(std::uint64_t n, const char *field) {
    const std::uint8_t *p = take(n, field);
    return Bytes(p, p + n);
  }
  void expect_end(const char *what) {
    if (pos_ != size_)
      fail_(std::string(what) + ": " + std::to_string(size_ - pos_) + " trailing bytes");
  }

private:
  void need(std::uint64_t n, const char *field) {
    if (n > size_ - pos_)
      fail_(std::string("truncated at ") + field + " (needs " + std::to_string(n) + " bytes, " +
            std::to_string(size_ - pos_) + " left)");
  }
  std::uint64_t le(std::size_t n, const char *field) {
    need(n, field);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i)
      v |= static_cast<std::uint64_t>(data_[pos_ + i]) << (8 * i);
    pos_ += n;
    return v;
  }

  const std::uint8_t *data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  Fail fail_;
};

} // namespace mycelium::consensus::detail
