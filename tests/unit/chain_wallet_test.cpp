// Bittensor wallet files (core/include/mycelium/chain/bittensor_wallet.hpp), read with the shared
// JSON reader (json_value.hpp): valid files in btcli's format, and every refusal, written to a
// fresh temporary folder.
#include "mycelium/bytes.hpp"
#include "mycelium/chain/bittensor_wallet.hpp"
#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <sys/stat.h>

namespace {

using namespace mycelium;
using namespace mycelium::chain;

// subkey inspect //Alice: the mini secret and the sr25519 public key derived from it.
constexpr char kAliceSeed[] = "0xe5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a";
constexpr char kAlicePublic[] =
    "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";
constexpr char kAliceAddress[] = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
constexpr char kBobAddress[] = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty";
constexpr char kBobPublic[] = "0x8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48";

AccountId account(const char *hex_with_0x) {
  const Bytes bytes = from_hex(hex_with_0x + 2, kAccountIdSize, "account");
  AccountId id;
  std::memcpy(id.data(), bytes.data(), id.size());
  return id;
}

// A wallet file's fields; nullopt is written as JSON null, a missing key not at all.
using Fields = std::map<std::string, std::optional<std::string>>;

Fields alice_hotkey() {
  return {{"accountId", kAlicePublic},
          {"publicKey", kAlicePublic},
          {"privateKey", "0x" + std::string(128, 'a')},
          {"secretPhrase", "bottom drive obey lake curtain smoke basket hold race lonely fit walk"},
          {"secretSeed", kAliceSeed},
          {"ss58Address", kAliceAddress}};
}

Fields alice_coldkeypub() {
  return {{"accountId", kAlicePublic}, {"publicKey", kAlicePublic}, {"ss58Address", kAliceAddress}};
}

std::string json_of(const Fields &fields) {
  std::string text = "{";
  for (const auto &[key, value] : fields) {
    if (text.size() > 1)
      text += ", ";
    text += "\"" + key + "\": " + (value ? "\"" + *value + "\"" : "null");
  }
  return text + "}";
}

class BittensorWallet : public ::testing::Test {
protected:
  void SetUp() override {
    char dir_template[] = "/tmp/mycelium-wallet-test-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `text` with exactly `mode` (chmod, so the umask does not interfere).
  std::string write(const std::string &name, const std::string &text, mode_t mode = 0600) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }

  // Expects read(path) refused with a message naming the file and containing each fragment.
  template <class Read>
  static void expect_refused(Read read, const std::string &path,
                             std::initializer_list<std::string> fragments) {
    try {
      read(path);
      ADD_FAILURE() << "accepted " << path;
    } catch (const Error &e) {
      const std::string message = e.what();
      EXPECT_STREQ(e.sqlstate(), sqlstate::kInvalidParameterValue);
      EXPECT_NE(message.find(path), std::string::npos) << message;
      for (const std::string &fragment : fragments)
        EXPECT_NE(message.find(fragment), std::string::npos)
            << "message: " << message << "\nexpected: " << fragment;
    }
  }

  void expect_hotkey_refused(const Fields &fields, std::initializer_list<std::string> fragments) {
    expect_refused(read_hotkey_file, write("hotkey", json_of(fields)), fragments);
  }

  std::string dir_;
};

TEST_F(BittensorWallet, ReadsAHotkey) {
  const std::string path = write("hotkey", json_of(alice_hotkey()));
  const Hotkey hotkey = read_hotkey_file(path);
  EXPECT_EQ(hotkey.file, path);
  EXPECT_EQ(hotkey.public_key, account(kAlicePublic));
  EXPECT_EQ(hotkey.ss58_address, kAliceAddress);
  EXPECT_EQ(to_hex(hotkey.secret_seed.data(), hotkey.secret_seed.size()), kAliceSeed + 2);
}

TEST_F(BittensorWallet, OptionalHotkeyFieldsMayBeNullOrAbsent) {
  Fields fields = alice_hotkey();
  fields["secretPhrase"] = std::nullopt; // a hotkey regenerated from its seed has no phrase
  fields["privateKey"] = std::nullopt;
  EXPECT_NO_THROW(read_hotkey_file(write("a", json_of(fields))));
  fields.erase("secretPhrase");
  fields.erase("privateKey");
  fields["someFutureField"] = "x"; // unknown fields are ignored
  EXPECT_NO_THROW(read_hotkey_file(write("b", json_of(fields))));
}

TEST_F(BittensorWallet, RefusesEachMissingOrNullField) {
  for (const char *field : {"accountId", "publicKey", "secretSeed", "ss58Address"}) {
    Fields fields = alice_hotkey();
    fields[field] = std::nullopt;
    expect_hotkey_refused(fields, {std::string(field) + " is null"});
    fields.erase(field);
    expect_hotkey_refused(fields, {std::string("missing field ") + field});
  }
}

TEST_F(BittensorWallet, RefusesBadHex) {
  const std::string seed = kAliceSeed;
  const std::pair<std::string, std::string> cases[] = {
      {seed.substr(0, 64), "got 64 characters"},
      {seed + "00", "got 68 characters"},
      {seed.substr(2), "without the 0x"},
      {"0X" + seed.substr(2), "without the 0x"},
      {"0x" + std::string(64, 'A'), "invalid character at position 2"},
      {seed.substr(0, 65) + "g", "invalid character at position 65"},
  };
  for (const auto &[value, fragment] : cases) {
    Fields fields = alice_hotkey();
    fields["secretSeed"] = value;
    expect_hotkey_refused(
        fields, {"secretSeed must be 0x and 64 lowercase hex digits (32 bytes)", fragment});
  }
  Fields fields = alice_hotkey();
  fields["publicKey"] = std::string(kAlicePublic).substr(0, 10);
  expect_hotkey_refused(fields, {"publicKey must be 0x and 64", "got 10 characters"});
  fields = alice_hotkey();
  fields["privateKey"] = "0x" + std::string(64, 'a');
  expect_hotkey_refused(fields, {"privateKey must be 0x and 128 lowercase hex digits (64 bytes)"});
}

TEST_F(BittensorWallet, RefusesKeysThatDisagree) {
  Fields fields = alice_hotkey();
  fields["accountId"] = "0x" + std::string(64, '1');
  expect_hotkey_refused(fields, {"accountId differs from publicKey"});

  fields = alice_hotkey();
  fields["ss58Address"] = kBobAddress;
  expect_hotkey_refused(fields, {std::string("ss58Address ") + kBobAddress +
                                 " is not the address of publicKey (which is " + kAliceAddress});

  fields = alice_hotkey();
  std::string typo = kAliceAddress;
  std::swap(typo[5], typo[6]);
  fields["ss58Address"] = typo;
  expect_hotkey_refused(fields, {"ss58Address '" + typo + "': bad checksum"});
}

TEST_F(BittensorWallet, RefusesAHotkeyOthersCanRead) {
  const std::string path = write("hotkey", json_of(alice_hotkey()), 0644);
  expect_refused(
      read_hotkey_file, path,
      {"hotkey file " + path + ": readable by group or others (mode 644)", "chmod 600 " + path});
  expect_refused(read_hotkey_file, write("g", json_of(alice_hotkey()), 0640), {"mode 640"});
}

TEST_F(BittensorWallet, RefusesMissingFilesAndSymlinks) {
  expect_refused(read_hotkey_file, dir_ + "/absent", {"No such file or directory"});
  expect_refused(read_coldkeypub_file, dir_ + "/absent.txt", {"coldkeypub file", "No such file"});
  const std::string target = write("real", json_of(alice_hotkey()));
  const std::string link = dir_ + "/link";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  expect_refused(read_hotkey_file, link, {"hotkey file " + link});
  expect_refused(read_hotkey_file, dir_, {"not a regular file"});
  expect_refused(read_hotkey_file, write("big", std::string(20000, ' ')), {"too large"});
}

TEST_F(BittensorWallet, RefusesEncryptedHotkeys) {
  expect_refused(read_hotkey_file, write("nacl", "$NACL\x01\x02\x03"),
                 {"is encrypted (NaCl)", "--no-use-password"});
  expect_refused(read_hotkey_file, write("vault", "$ANSIBLE_VAULT;1.1;AES256\n6231"),
                 {"is encrypted (Ansible Vault)"});
  expect_refused(read_hotkey_file, write("legacy", "gAAAAABkxyz"), {"is encrypted (legacy"});
}

TEST_F(BittensorWallet, RefusesWhatIsNotAJsonObjectOfStrings) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "the file must be a JSON object (at byte 0)"},
      {" \n", "the file must be a JSON object (at byte 2)"},
      {"hello", "the file must be a JSON object (at byte 0)"},
      {"[\"a\"]", "the file must be a JSON object"},
      {"{\"accountId\": 5}", "the value of \"accountId\" is not a string or null but a number"},
      {"{\"a\": {}}", "the value of \"a\" is not a string or null but an object"},
      {"{\"a\": nul}", "invalid JSON value (at byte 6)"},
      {"{\"a\": \"x\", \"a\": \"y\"}", "duplicate key \"a\" (at byte 11)"},
      {"{\"a\": \"x\"} trailing", "unexpected text after the JSON value"},
      {"{\"a\": \"x\"", "unexpected end of JSON"},
      {"{\"a\": \"x", "unterminated string"},
      {"{\"a\" \"x\"}", "expected ':'"},
      {"{a: \"x\"}", "expected a string key"},
      // The string rules are the shared lexer's (json_lexer_test has them all).
      {R"({"a": "\ud83d"})", "lone high surrogate"},
      {R"({"a": "\ude00"})", "lone low surrogate"},
      {R"({"a": "\u12"})", "invalid \\u escape"},
      {R"({"a": "\x"})", "invalid escape in string (at byte 7)"},
      {"{\"a\": \"x\ty\"}", "unescaped control character"},
      {"{\"a\": \"\xff\"}", "invalid UTF-8 (at byte 7)"},
      {R"({"a": "x\"})", "unterminated string"},
  };
  for (const auto &[text, fragment] : cases) {
    const std::string path = write("h", text);
    expect_refused(read_hotkey_file, path,
                   {"hotkey file " + path + ": not a JSON object of strings"});
    expect_refused(read_hotkey_file, path, {fragment});
  }
}

TEST_F(BittensorWallet, ReadsAColdkeypubReadableByAnyone) {
  const std::string path = write("coldkeypub.txt", json_of(alice_coldkeypub()), 0644);
  const ColdkeyPub coldkey = read_coldkeypub_file(path);
  EXPECT_EQ(coldkey.public_key, account(kAlicePublic));
  EXPECT_EQ(coldkey.ss58_address, kAliceAddress);
  // Older btcli versions wrote the secret fields as null.
  Fields fields = alice_coldkeypub();
  fields["secretSeed"] = fields["privateKey"] = fields["secretPhrase"] = std::nullopt;
  EXPECT_NO_THROW(read_coldkeypub_file(write("old.txt", json_of(fields), 0644)));
}

TEST_F(BittensorWallet, RefusesABadColdkeypub) {
  for (const char *field : {"accountId", "publicKey", "ss58Address"}) {
    Fields fields = alice_coldkeypub();
    fields.erase(field);
    expect_refused(read_coldkeypub_file, write("c", json_of(fields), 0644),
                   {std::string("missing field ") + field});
  }
  Fields fields = alice_coldkeypub();
  fields["ss58Address"] = kBobAddress;
  expect_refused(read_coldkeypub_file, write("c", json_of(fields), 0644),
                 {"is not the address of publicKey"});
  fields = alice_coldkeypub();
  fields["secretSeed"] = kAliceSeed;
  expect_refused(read_coldkeypub_file, write("c", json_of(fields), 0644),
                 {"holds secretSeed, a secret, in a file anyone may read"});
}

TEST_F(BittensorWallet, ChecksTheSeedAgainstThePublicKeyThroughSr25519) {
  // Alice's seed under Bob's public key and address: each field is well formed, and the file
  // would sign as Alice while claiming to be Bob.
  Fields fields = alice_hotkey();
  fields["accountId"] = fields["publicKey"] = kBobPublic;
  fields["ss58Address"] = kBobAddress;
  const std::string path = write("hotkey", json_of(fields));
  expect_refused(read_hotkey_file, path, {"publicKey is not the sr25519 public key of secretSeed"});
}

TEST(BittensorWalletPaths, FollowBtcliLayout) {
  const char *saved = std::getenv("HOME");
  const std::string saved_home = saved ? saved : "";
  ::setenv("HOME", "/home/v", 1);
  EXPECT_EQ(hotkey_file_path(kDefaultWalletsPath, "miner", "h0"),
            "/home/v/.bittensor/wallets/miner/hotkeys/h0");
  EXPECT_EQ(coldkeypub_file_path(kDefaultWalletsPath, kDefaultWalletName),
            "/home/v/.bittensor/wallets/default/coldkeypub.txt");
  EXPECT_EQ(hotkey_file_path("/srv/wallets/", "w", kDefaultHotkeyName),
            "/srv/wallets/w/hotkeys/default");
  EXPECT_EQ(expand_home("~"), "/home/v");
  EXPECT_EQ(expand_home("~other/x"), "~other/x");
  EXPECT_EQ(expand_home("rel/~"), "rel/~");
  for (const char *bad : {"", ".", "..", "a/b", "../x"}) {
    EXPECT_THROW(hotkey_file_path("/w", bad, "h"), Error) << bad;
    EXPECT_THROW(hotkey_file_path("/w", "w", bad), Error) << bad;
  }
  ::unsetenv("HOME");
  EXPECT_THROW(expand_home("~/.bittensor"), Error);
  EXPECT_EQ(expand_home("/abs"), "/abs");
  if (saved)
    ::setenv("HOME", saved_home.c_str(), 1);
}

TEST_F(BittensorWallet, DecodesEscapedFields) {
  // Escapes and surrogate pairs are decoded; null and unknown fields are fine.
  Fields fields = alice_hotkey();
  fields.erase("ss58Address");
  std::string text = json_of(fields);
  text.pop_back(); // the closing brace
  text += R"(, "ss58Address": "\u0035Grwva\u0045F5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",)"
          R"( "note": "\ud83d\ude00\n\"\/", "n": null, "": ""})";
  EXPECT_EQ(read_hotkey_file(write("escaped", text)).ss58_address, kAliceAddress);
}

} // namespace
