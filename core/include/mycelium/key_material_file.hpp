// Reading the small files keys live in: the node key file (key_file.hpp) and the Bittensor wallet
// files (chain/bittensor_wallet.hpp). One reader, so that every secret on disk is refused under
// the same rules: no symlink, a regular file, not readable by group or others, small.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mycelium {

// Text that may hold a secret, zeroed when it goes out of scope on every exit path. The whole
// capacity is zeroed, not just the size: a moved-from short string keeps its characters in its
// inline buffer, and a shrunk one past its end.
struct SecretText {
  std::string text;
  SecretText() = default;
  SecretText(SecretText &&) = default;
  SecretText(const SecretText &) = delete;
  SecretText &operator=(const SecretText &) = delete;
  ~SecretText();
};

enum class AllowedReaders {
  owner_only, // the file holds a secret: group- or other-readable is refused, with the chmod to run
  anyone,     // a public file (a public key): the mode is not checked
};

// Reads the whole file at `path`. The file is opened without following a symlink and its mode is
// checked on what was opened (no check-then-open race). Throws Error 22023 "<label> <path>: why"
// when it is missing or unreadable, not a regular file, larger than `max_size` bytes, or, for
// AllowedReaders::owner_only, readable by group or others.
SecretText read_key_material_file(const std::string &path, std::string_view label,
                                  std::size_t max_size, AllowedReaders readers);

} // namespace mycelium
