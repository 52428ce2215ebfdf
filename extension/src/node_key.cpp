#include "mycelium/ext/node_key.hpp"

#include "mycelium/error.hpp"
#include "mycelium/ext/settings.hpp"
#include "mycelium/key_file.hpp"

#include <sys/stat.h>

#include <memory>
#include <string>

namespace mycelium::ext {

namespace {

struct FileIdentity {
  dev_t device;
  ino_t inode;
  off_t size;
  time_t mtime_s;
  long mtime_ns;
  bool operator==(const FileIdentity &o) const {
    return device == o.device && inode == o.inode && size == o.size && mtime_s == o.mtime_s &&
           mtime_ns == o.mtime_ns;
  }
};

} // namespace

const SecretKey &node_key() {
  static std::unique_ptr<SecretKey> key;
  static std::string loaded_from;
  static FileIdentity loaded_identity{};
  const std::string path = node_key_file ? node_key_file : "";
  if (path.empty())
    throw Error(sqlstate::kNoNodeKey,
                "this node has no key to sign its audit entries with: set mycelium.node_key_file "
                "to the node's key file (mycelium keygen; owned by the server's user, mode 0600) "
                "in postgresql.conf or with ALTER SYSTEM, then reload");
  // The file's identity too, not only its name: an operator who replaces the key file in place
  // (a new key, re-registered) must not have backends go on signing with the old one. One
  // stat() per use, against a signature's ~50 us.
  struct stat st {};
  const bool found = ::stat(path.c_str(), &st) == 0;
  const FileIdentity identity{found ? st.st_dev : 0, found ? st.st_ino : 0, found ? st.st_size : -1,
                              found ? st.st_mtim.tv_sec : 0, found ? st.st_mtim.tv_nsec : 0};
  if (!key || path != loaded_from || !found || !(identity == loaded_identity)) {
    // read_key_file refuses files that group or others can read, and a public key that does not
    // match the seed (and says why a missing file cannot be read).
    key = std::make_unique<SecretKey>(read_key_file(path));
    loaded_from = path;
    loaded_identity = identity;
  }
  return *key;
}

} // namespace mycelium::ext
