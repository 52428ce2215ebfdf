#include "mycelium/key_material_file.hpp"

#include "mycelium/error.hpp"
#include "unique_fd.hpp"

#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mycelium {

SecretText::~SecretText() {
  sodium_memzero(text.data(), text.capacity());
}

SecretText read_key_material_file(const std::string &path, std::string_view label,
                                  std::size_t max_size, AllowedReaders readers) {
  const auto fail = [&](const std::string &what) {
    throw Error(sqlstate::kInvalidParameterValue, std::string(label) + " " + path + ": " + what);
  };
  // Open first, then check the mode of what was opened (no check-then-open race, no symlinks).
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0)
    fail(std::strerror(errno));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0)
    fail(std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    fail("not a regular file");
  if (readers == AllowedReaders::owner_only && (st.st_mode & 077))
    fail("readable by group or others (mode " + std::to_string((st.st_mode >> 6) & 7) +
         std::to_string((st.st_mode >> 3) & 7) + std::to_string(st.st_mode & 7) +
         "); run: chmod 600 " + path);
  if (static_cast<std::size_t>(st.st_size) > max_size)
    fail("too large to be a " + std::string(label));

  SecretText contents;
  // Sized once: no reallocation leaves an unzeroed copy of a secret behind.
  contents.text.resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < contents.text.size()) {
    const ssize_t n = ::read(fd.get(), contents.text.data() + done, contents.text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      fail("cannot be read");
    done += static_cast<std::size_t>(n);
  }
  return contents;
}

} // namespace mycelium
