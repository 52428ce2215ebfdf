#include "mycelium/chain/bittensor_wallet.hpp"

#include "mycelium/chain/ss58.hpp"
#include "mycelium/error.hpp"
#include "mycelium/json_value.hpp"
#include "mycelium/key_material_file.hpp"

#include <cstdlib>

namespace mycelium::chain {

namespace {

// A wallet file is under 600 bytes; anything much larger is not one.
constexpr std::size_t kMaxWalletFileSize = 16 * 1024;
constexpr std::size_t kPrivateKeySize = 64; // schnorrkel's secret key: scalar ‖ nonce

// Names what is being read in every message: "hotkey file /home/v/.bittensor/...: why".
class WalletFile {
public:
  WalletFile(const char *label, const std::string &path) : label_(label), path_(path) {}

  [[noreturn]] void fail(const std::string &what) const {
    throw Error(sqlstate::kInvalidParameterValue, std::string(label_) + " " + path_ + ": " + what);
  }

  const char *label() const { return label_; }
  std::string source() const { return std::string(label_) + " " + path_; }

  // The file's JSON: an object whose values are strings or null, read by the shared JSON reader
  // (json_value.hpp), which zeroes the strings it held.
  JsonValue read_json(std::string_view text) const {
    const std::string context = source() + ": not a JSON object of strings";
    // What the file should be, rather than the reader's "invalid JSON value" for "hello".
    const std::size_t start = text.find_first_not_of(" \t\n\r");
    if (start == std::string_view::npos || text[start] != '{')
      throw JsonError(context + ": the file must be a JSON object (at byte " +
                      std::to_string(start == std::string_view::npos ? text.size() : start) + ")");
    JsonValue json = parse_json(text, context);
    for (const auto &[key, value] : json.members())
      if (!value.is_string() && !value.is_null())
        throw JsonError(context + ": the value of \"" + key + "\" is not a string or null but " +
                        JsonValue::kind_name(value.kind()));
    return json;
  }

  // The string value of a field the file must have.
  const std::string &required(const JsonValue &json, const char *key) const {
    const JsonValue *value = json.find(key);
    if (!value)
      fail(std::string("missing field ") + key);
    if (value->is_null())
      fail(std::string(key) + " is null");
    return value->as_string(key);
  }

  // Decodes "0x" and exactly 2 * size lowercase hex digits into `out`, without an intermediate
  // copy (the value may be a secret).
  void decode_hex(const std::string &text, const char *key, std::uint8_t *out,
                  std::size_t size) const {
    const std::string shape = std::string(key) + " must be 0x and " + std::to_string(2 * size) +
                              " lowercase hex digits (" + std::to_string(size) + " bytes)";
    if (text.size() != 2 + 2 * size || text.compare(0, 2, "0x") != 0)
      fail(shape + ", got " + std::to_string(text.size()) + " characters" +
           (text.compare(0, 2, "0x") != 0 ? " without the 0x" : ""));
    for (std::size_t i = 0; i < size; ++i) {
      const int high = nibble(text[2 + 2 * i]);
      const int low = nibble(text[3 + 2 * i]);
      if (high < 0 || low < 0)
        fail(shape + ": invalid character at position " +
             std::to_string(high < 0 ? 2 + 2 * i : 3 + 2 * i));
      out[i] = static_cast<std::uint8_t>(high << 4 | low);
    }
  }

private:
  static int nibble(char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    return -1;
  }

  const char *label_;
  std::string path_;
};

// The string value of `key`; nullptr when the key is absent or its value is null (read_json
// admits nothing else).
const std::string *optional_field(const JsonValue &json, const char *key) {
  const JsonValue *value = json.find(key);
  return value && value->is_string() ? &value->as_string(key) : nullptr;
}

void check_file_name(std::string_view name, const char *what) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos)
    throw Error(sqlstate::kInvalidParameterValue,
                std::string(what) + " '" + std::string(name) +
                    "' is not a file name (empty, '.', '..' or containing '/')");
}

std::string wallet_folder(std::string_view wallets_path, std::string_view wallet) {
  check_file_name(wallet, "wallet name");
  std::string folder = expand_home(wallets_path);
  while (folder.size() > 1 && folder.back() == '/')
    folder.pop_back();
  return folder + "/" + std::string(wallet);
}

// Refuses the encrypted forms btcli writes, by their headers, with what to do instead of a
// puzzling "not JSON".
void refuse_encrypted(const WalletFile &file, std::string_view text) {
  const char *method = text.substr(0, 5) == "$NACL"             ? "NaCl"
                       : text.substr(0, 14) == "$ANSIBLE_VAULT" ? "Ansible Vault"
                       : text.substr(0, 6) == "gAAAAA"          ? "legacy Fernet"
                                                                : nullptr;
  if (method)
    file.fail(std::string("is encrypted (") + method +
              "); Mycelium reads unencrypted hotkeys only: regenerate it without a password "
              "(btcli wallet regen-hotkey --no-use-password)");
}

// accountId, publicKey and ss58Address, which hotkeys and coldkeypub.txt share, checked to agree.
void read_public_fields(const WalletFile &file, const JsonValue &json, AccountId &public_key,
                        std::string &ss58_address) {
  AccountId account_id;
  file.decode_hex(file.required(json, "accountId"), "accountId", account_id.data(),
                  account_id.size());
  file.decode_hex(file.required(json, "publicKey"), "publicKey", public_key.data(),
                  public_key.size());
  if (account_id != public_key)
    file.fail("accountId differs from publicKey (for an sr25519 key they are the same bytes)");
  ss58_address = file.required(json, "ss58Address");
  Ss58Address decoded;
  try {
    decoded = ss58_decode(ss58_address, "ss58Address");
  } catch (const Error &e) {
    file.fail(e.what());
  }
  if (decoded.account_id != public_key)
    file.fail("ss58Address " + ss58_address + " is not the address of publicKey (which is " +
              ss58_encode(public_key, decoded.prefix) + ")");
}

} // namespace

std::string expand_home(std::string_view path) {
  if (path.empty() || path[0] != '~' || (path.size() > 1 && path[1] != '/'))
    return std::string(path);
  const char *home = std::getenv("HOME");
  if (!home || !*home)
    throw Error(sqlstate::kInvalidParameterValue,
                "cannot expand '~' in " + std::string(path) + ": HOME is not set");
  return home + std::string(path.substr(1));
}

std::string hotkey_file_path(std::string_view wallets_path, std::string_view wallet,
                             std::string_view hotkey) {
  check_file_name(hotkey, "hotkey name");
  return wallet_folder(wallets_path, wallet) + "/hotkeys/" + std::string(hotkey);
}

std::string coldkeypub_file_path(std::string_view wallets_path, std::string_view wallet) {
  return wallet_folder(wallets_path, wallet) + "/coldkeypub.txt";
}

Hotkey read_hotkey_file(const std::string &path) {
  const WalletFile file("hotkey file", path);
  const SecretText text =
      read_key_material_file(path, file.label(), kMaxWalletFileSize, AllowedReaders::owner_only);
  refuse_encrypted(file, text.text);
  const JsonValue json = file.read_json(text.text);

  Hotkey hotkey;
  hotkey.file = path;
  read_public_fields(file, json, hotkey.public_key, hotkey.ss58_address);
  file.decode_hex(file.required(json, "secretSeed"), "secretSeed", hotkey.secret_seed.data(),
                  hotkey.secret_seed.size());
  // Not kept (the seed is what signs), but a malformed one means a damaged file.
  if (const std::string *private_key = optional_field(json, "privateKey")) {
    SecretBytes<kPrivateKeySize> scratch;
    file.decode_hex(*private_key, "privateKey", scratch.data(), scratch.size());
  }
  if (sr25519::SecretKey::from_mini_secret(hotkey.secret_seed).public_key() != hotkey.public_key)
    file.fail("publicKey is not the sr25519 public key of secretSeed");
  return hotkey;
}

ColdkeyPub read_coldkeypub_file(const std::string &path) {
  const WalletFile file("coldkeypub file", path);
  const SecretText text =
      read_key_material_file(path, file.label(), kMaxWalletFileSize, AllowedReaders::anyone);
  const JsonValue json = file.read_json(text.text);

  ColdkeyPub coldkey;
  coldkey.file = path;
  read_public_fields(file, json, coldkey.public_key, coldkey.ss58_address);
  for (const char *secret : {"privateKey", "secretPhrase", "secretSeed"})
    if (optional_field(json, secret))
      file.fail(std::string("holds ") + secret +
                ", a secret, in a file anyone may read: remove it and move the key elsewhere");
  return coldkey;
}

} // namespace mycelium::chain
