#include "mycelium/key_file.hpp"

#include "mycelium/error.hpp"
#include "unique_fd.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/key_material_file.hpp"

#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace mycelium {

namespace {

[[noreturn]] void fail(const std::string &path, const std::string &what) {
  throw Error(sqlstate::kInvalidParameterValue, "key file " + path + ": " + what);
}

// A key file is about 150 bytes; anything much larger is not one.
constexpr std::size_t kMaxKeyFileSize = 4096;

} // namespace

void write_key_file(const std::string &path, const SecretKey &key) {
  // O_EXCL: never overwrite an identity. The mode is set at creation, so the secret is never
  // readable by others even for a moment.
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0)
    fail(path, std::strerror(errno));
  SecretText seed;
  seed.text = key.seed_hex();
  SecretText file;
  file.text.reserve(200); // no reallocation: no unzeroed copies of the seed left behind
  file.text += "# mycelium ed25519 key file: keep it secret\npublic_key: ";
  file.text += to_hex(key.public_key().data(), key.public_key().size());
  file.text += "\nsecret_seed: ";
  file.text += seed.text;
  file.text += "\n";
  std::size_t done = 0;
  while (done < file.text.size()) {
    const ssize_t n = ::write(fd.get(), file.text.data() + done, file.text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      const int saved = errno;
      ::unlink(path.c_str());
      fail(path, std::string("write failed: ") + std::strerror(saved));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) {
    const int saved = errno;
    ::unlink(path.c_str());
    fail(path, std::string("fsync failed: ") + std::strerror(saved));
  }
}

SecretKey read_key_file(const std::string &path) {
  const SecretText file =
      read_key_material_file(path, "key file", kMaxKeyFileSize, AllowedReaders::owner_only);

  // Views into the zeroed-on-exit buffer: the seed is never copied into another string.
  std::string_view public_hex, seed_hex;
  std::string_view rest = file.text;
  int line_no = 0;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    ++line_no;
    if (line.empty() || line[0] == '#')
      continue;
    const std::size_t colon = line.find(": ");
    const std::string_view name = line.substr(0, colon);
    const std::string_view value =
        colon == std::string_view::npos ? std::string_view() : line.substr(colon + 2);
    std::string_view *slot = name == "public_key"    ? &public_hex
                             : name == "secret_seed" ? &seed_hex
                                                     : nullptr;
    if (!slot)
      fail(path, "line " + std::to_string(line_no) + ": unknown entry '" +
                     std::string(name.substr(0, 40)) + "'");
    if (!slot->empty())
      fail(path,
           "line " + std::to_string(line_no) + ": duplicate entry '" + std::string(name) + "'");
    *slot = value;
  }
  if (public_hex.empty() || seed_hex.empty())
    fail(path, "needs both public_key and secret_seed lines");

  if (seed_hex.size() != 2 * kSeedSize)
    fail(path, "secret_seed must be " + std::to_string(2 * kSeedSize) +
                   " lowercase hex characters, got " + std::to_string(seed_hex.size()));
  if (seed_hex.find_first_not_of("0123456789abcdef") != std::string_view::npos)
    fail(path, "secret_seed must be lowercase hex");
  std::uint8_t seed[kSeedSize];
  sodium_hex2bin(seed, sizeof seed, seed_hex.data(), seed_hex.size(), nullptr, nullptr, nullptr);
  SecretKey key = SecretKey::from_seed(seed);
  sodium_memzero(seed, sizeof seed);

  PublicKey expected;
  try {
    expected = parse_public_key(public_hex, "public_key");
  } catch (const Error &e) {
    fail(path, e.what());
  }
  if (expected != key.public_key())
    fail(path, "public_key does not match secret_seed");
  return key;
}

} // namespace mycelium
