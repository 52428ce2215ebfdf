// Key files (schemas/SIGNING.md, "Key files"): a node's secret identity on disk.
#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/key_file.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>

namespace {

using namespace mycelium;

SecretKey test_key(std::uint8_t fill) {
  std::uint8_t seed[kSeedSize];
  for (std::size_t i = 0; i < kSeedSize; ++i)
    seed[i] = static_cast<std::uint8_t>(fill * 3 + i);
  return SecretKey::from_seed(seed);
}

std::string public_hex(const SecretKey &key) {
  return to_hex(key.public_key().data(), key.public_key().size());
}

class KeyFile : public ::testing::Test {
protected:
  void SetUp() override {
    char dir_template[] = "/tmp/mycelium-key-file-test-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path(const std::string &name) const { return dir_ + "/" + name; }

  // Writes `text` as a file with exactly `mode` (chmod, so the umask does not interfere).
  std::string write(const std::string &name, const std::string &text, mode_t mode = 0600) {
    const std::string p = path(name);
    std::ofstream(p) << text;
    EXPECT_EQ(::chmod(p.c_str(), mode), 0);
    return p;
  }

  static std::string contents(const std::string &p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // Expects read_key_file to fail with a message naming the file and containing `fragment`.
  static void expect_refused(const std::string &p, const std::string &fragment) {
    try {
      read_key_file(p);
      ADD_FAILURE() << "accepted " << p;
    } catch (const Error &e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(p), std::string::npos) << message;
      EXPECT_NE(message.find(fragment), std::string::npos) << message;
    }
  }

  std::string dir_;
};

TEST_F(KeyFile, WriteCreatesMode0600) {
  const std::string p = path("node.key");
  // Even with a permissive umask the secret must not be readable by others.
  const mode_t old_umask = ::umask(0);
  write_key_file(p, test_key(1));
  ::umask(old_umask);
  struct stat st;
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(KeyFile, WriteUsesTheDocumentedFormat) {
  const SecretKey key = test_key(2);
  const std::string p = path("node.key");
  write_key_file(p, key);
  EXPECT_EQ(contents(p), "# mycelium ed25519 key file: keep it secret\npublic_key: " +
                             public_hex(key) + "\nsecret_seed: " + key.seed_hex() + "\n");
}

TEST_F(KeyFile, WriteRefusesToOverwrite) {
  const std::string p = path("node.key");
  write_key_file(p, test_key(1));
  const std::string before = contents(p);
  EXPECT_THROW(write_key_file(p, test_key(2)), Error);
  EXPECT_EQ(contents(p), before);
  // Nor any other existing file.
  const std::string other = write("other", "precious\n", 0644);
  EXPECT_THROW(write_key_file(other, test_key(2)), Error);
  EXPECT_EQ(contents(other), "precious\n");
}

TEST_F(KeyFile, WriteFailsInAMissingDirectory) {
  EXPECT_THROW(write_key_file(path("no/such/dir/node.key"), test_key(1)), Error);
}

TEST_F(KeyFile, RoundTrip) {
  const SecretKey key = test_key(3);
  const std::string p = path("node.key");
  write_key_file(p, key);
  const SecretKey read = read_key_file(p);
  EXPECT_EQ(read.public_key(), key.public_key());
  EXPECT_EQ(read.seed_hex(), key.seed_hex());
  const Bytes payload{'h', 'i'};
  EXPECT_EQ(read.sign(payload), key.sign(payload));
}

TEST_F(KeyFile, CommentsAndEmptyLinesIgnored) {
  const SecretKey key = test_key(4);
  const std::string p =
      write("node.key", "# a comment\n\n#public_key: nonsense\nsecret_seed: " + key.seed_hex() +
                            "\n\n# between\npublic_key: " + public_hex(key) + "\n");
  EXPECT_EQ(read_key_file(p).public_key(), key.public_key());
}

TEST_F(KeyFile, OwnerOnlyModesAccepted) {
  const SecretKey key = test_key(5);
  const std::string text =
      "public_key: " + public_hex(key) + "\nsecret_seed: " + key.seed_hex() + "\n";
  EXPECT_NO_THROW(read_key_file(write("0400", text, 0400)));
  EXPECT_NO_THROW(read_key_file(write("0700", text, 0700)));
}

TEST_F(KeyFile, RefusesGroupOrOtherAccess) {
  const SecretKey key = test_key(5);
  const std::string text =
      "public_key: " + public_hex(key) + "\nsecret_seed: " + key.seed_hex() + "\n";
  const std::string p = write("0644", text, 0644);
  expect_refused(p, "readable by group or others (mode 644)");
  expect_refused(p, "chmod 600 " + p);
  for (const mode_t mode : {0640, 0604, 0620, 0602, 0610, 0601}) {
    SCOPED_TRACE(mode);
    expect_refused(write("m", text, mode), "chmod 600");
  }
}

TEST_F(KeyFile, RefusesMismatchedPublicKey) {
  const SecretKey key = test_key(6);
  const SecretKey other = test_key(7);
  expect_refused(write("node.key", "public_key: " + public_hex(other) +
                                       "\nsecret_seed: " + key.seed_hex() + "\n"),
                 "public_key does not match secret_seed");
}

TEST_F(KeyFile, RefusesMissingFile) {
  expect_refused(path("absent.key"), "No such file or directory");
}

TEST_F(KeyFile, RefusesDirectory) {
  const std::string p = path("dir");
  ASSERT_EQ(::mkdir(p.c_str(), 0700), 0);
  expect_refused(p, "not a regular file");
}

TEST_F(KeyFile, RefusesMissingLines) {
  const SecretKey key = test_key(8);
  expect_refused(write("a", "public_key: " + public_hex(key) + "\n"),
                 "needs both public_key and secret_seed lines");
  expect_refused(write("b", "secret_seed: " + key.seed_hex() + "\n"),
                 "needs both public_key and secret_seed lines");
  expect_refused(write("c", ""), "needs both");
  expect_refused(write("d", "# only a comment\n"), "needs both");
  expect_refused(write("e", "public_key: \nsecret_seed: " + key.seed_hex() + "\n"), "needs both");
}

TEST_F(KeyFile, RefusesUnknownEntry) {
  const SecretKey key = test_key(9);
  const std::string good =
      "public_key: " + public_hex(key) + "\nsecret_seed: " + key.seed_hex() + "\n";
  expect_refused(write("a", good + "comment: hello\n"), "line 3: unknown entry 'comment'");
  // "name: value" with exactly one space; anything else is not a known entry.
  expect_refused(
      write("b", "public_key:" + public_hex(key) + "\nsecret_seed: " + key.seed_hex() + "\n"),
      "unknown entry");
  expect_refused(write("c", " " + good), "unknown entry");
}

TEST_F(KeyFile, RefusesBadHex) {
  const SecretKey key = test_key(10);
  std::string upper_seed = key.seed_hex();
  for (char &c : upper_seed)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_NE(upper_seed, key.seed_hex()); // the seed has at least one letter
  expect_refused(
      write("a", "public_key: " + public_hex(key) + "\nsecret_seed: " + upper_seed + "\n"),
      "secret_seed must be lowercase hex");
  expect_refused(write("b", "public_key: " + public_hex(key) +
                                "\nsecret_seed: " + key.seed_hex().substr(2) + "\n"),
                 "secret_seed must be 64 lowercase hex characters");
  expect_refused(
      write("c", "public_key: " + public_hex(key) + "00\nsecret_seed: " + key.seed_hex() + "\n"),
      "public_key must be 64 lowercase hex characters");
  expect_refused(
      write("d", "public_key: " + std::string(64, 'x') + "\nsecret_seed: " + key.seed_hex() + "\n"),
      "public_key must be lowercase hex");
  // Windows line endings leave a '\r' in the value: refused rather than guessed at.
  expect_refused(
      write("e", "public_key: " + public_hex(key) + "\r\nsecret_seed: " + key.seed_hex() + "\r\n"),
      "must be 64 lowercase hex characters");
}

} // namespace
