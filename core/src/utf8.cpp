#include "mycelium/utf8.hpp"

namespace mycelium {

std::size_t utf8_sequence_length(std::string_view text, std::size_t at) {
  if (at >= text.size())
    return 0;
  const auto lead = static_cast<unsigned char>(text[at]);
  std::size_t length;
  std::uint32_t code_point, smallest;
  if (lead < 0x80)
    return 1;
  if ((lead & 0xe0) == 0xc0)
    length = 2, code_point = lead & 0x1f, smallest = 0x80;
  else if ((lead & 0xf0) == 0xe0)
    length = 3, code_point = lead & 0x0f, smallest = 0x800;
  else if ((lead & 0xf8) == 0xf0)
    length = 4, code_point = lead & 0x07, smallest = 0x10000;
  else
    return 0; // a continuation byte, or a five- or six-byte form
  if (text.size() - at < length)
    return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto continuation = static_cast<unsigned char>(text[at + k]);
    if ((continuation & 0xc0) != 0x80)
      return 0;
    code_point = code_point << 6 | (continuation & 0x3f);
  }
  if (code_point < smallest || code_point > 0x10ffff ||
      (code_point >= 0xd800 && code_point <= 0xdfff))
    return 0;
  return length;
}

std::size_t first_invalid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0)
      return i;
    i += length;
  }
  return std::string_view::npos;
}

void append_utf8(std::string &out, std::uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xc0 | code_point >> 6);
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xe0 | code_point >> 12);
    out += static_cast<char>(0x80 | (code_point >> 6 & 0x3f));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | code_point >> 18);
    out += static_cast<char>(0x80 | (code_point >> 12 & 0x3f));
    out += static_cast<char>(0x80 | (code_point >> 6 & 0x3f));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  }
}

} // namespace mycelium
