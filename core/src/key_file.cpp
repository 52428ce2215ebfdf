#include "mycelium/key_file.hpp"

#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"

#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace mycelium {

namespace {

[[noreturn]] void fail(const std::string &path, const std::string &what) {
  throw Error(sqlstate::kInvalidParameterValue, "key file " + path + ": " + what);
}

} // namespace

void write_key_file(const std::string &path, const SecretKey &key) {
  // O_EXCL: never overwrite an identity; the mode is set at creation, so the secret is never
  // readable by others even for a moment.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    fail(path, std::strerror(errno));
  std::string seed = key.seed_hex();
  const std::string text = "# mycelium ed25519 key file: keep it secret\npublic_key: " +
                           to_hex(key.public_key().data(), key.public_key().size()) +
                           "\nsecret_seed: " + seed + "\n";
  sodium_memzero(seed.data(), seed.size());
  const ssize_t written = ::write(fd, text.data(), text.size());
  const bool ok = written == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  const int saved_errno = errno;
  sodium_memzero(const_cast<char *>(text.data()), text.size());
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    fail(path, std::string("write failed: ") + std::strerror(saved_errno));
  }
}

SecretKey read_key_file(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    fail(path, std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    fail(path, "not a regular file");
  if (st.st_mode & 077)
    fail(path, "readable by group or others (mode " + std::to_string((st.st_mode >> 6) & 7) +
                   std::to_string((st.st_mode >> 3) & 7) + std::to_string(st.st_mode & 7) +
                   "); run: chmod 600 " + path);

  std::ifstream in(path);
  if (!in)
    fail(path, "cannot be opened");
  std::string public_hex, seed_hex, line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#')
      continue;
    const auto colon = line.find(": ");
    const std::string name = colon == std::string::npos ? line : line.substr(0, colon);
    const std::string value = colon == std::string::npos ? "" : line.substr(colon + 2);
    if (name == "public_key")
      public_hex = value;
    else if (name == "secret_seed")
      seed_hex = value;
    else
      fail(path, "line " + std::to_string(line_no) + ": unknown entry '" + name + "'");
  }
  if (public_hex.empty() || seed_hex.empty())
    fail(path, "needs both public_key and secret_seed lines");

  Bytes seed;
  try {
    seed = from_hex(seed_hex, kSeedSize, "secret_seed");
  } catch (const Error &e) {
    sodium_memzero(seed_hex.data(), seed_hex.size());
    fail(path, e.what());
  }
  sodium_memzero(seed_hex.data(), seed_hex.size());
  std::uint8_t seed_bytes[kSeedSize];
  std::memcpy(seed_bytes, seed.data(), kSeedSize);
  sodium_memzero(seed.data(), seed.size());
  SecretKey key = SecretKey::from_seed(seed_bytes);
  sodium_memzero(seed_bytes, sizeof seed_bytes);

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
