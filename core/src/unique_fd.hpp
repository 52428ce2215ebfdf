// A file descriptor closed when it goes out of scope: the key files' reader and writer share it.
// Private to core (not under include/).
#pragma once

#include <unistd.h>

namespace mycelium {

class UniqueFd {
public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd &) = delete;
  UniqueFd &operator=(const UniqueFd &) = delete;
  ~UniqueFd() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  int get() const { return fd_; }

private:
  int fd_;
};

} // namespace mycelium
