// Bittensor wallet files, as btcli writes them (schemas/CHAIN.md, "Wallet files"):
//
//   <wallets>/<wallet>/hotkeys/<hotkey>   JSON: accountId, publicKey, privateKey, secretPhrase,
//                                         secretSeed, ss58Address; mode 0600
//   <wallets>/<wallet>/coldkeypub.txt     JSON: accountId, publicKey, ss58Address; public
//
// Keys are "0x" and lowercase hex. Only unencrypted hotkeys are read (btcli's default for
// hotkeys); the coldkey itself is never needed.
#pragma once

#include "mycelium/chain/account_id.hpp"
#include "mycelium/chain/sr25519.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace mycelium::chain {

// btcli's default wallets folder, wallet name and hotkey name.
inline constexpr const char *kDefaultWalletsPath = "~/.bittensor/wallets";
inline constexpr const char *kDefaultWalletName = "default";
inline constexpr const char *kDefaultHotkeyName = "default";

// `path` with a leading "~" or "~/" replaced by $HOME, as Python's expanduser does for the
// current user ("~user" is not supported). Throws Error 22023 when HOME is needed and unset.
std::string expand_home(std::string_view path);

// The hotkey and coldkeypub.txt paths under `wallets_path` (home-expanded). The wallet and hotkey
// names must be non-empty file names: "/", "." and ".." are refused with Error 22023, so a name
// from a configuration cannot reach outside the wallets folder.
std::string hotkey_file_path(std::string_view wallets_path, std::string_view wallet,
                             std::string_view hotkey);
std::string coldkeypub_file_path(std::string_view wallets_path, std::string_view wallet);

struct Hotkey {
  std::string file;                   // where it was read, for messages
  AccountId public_key{};             // = accountId
  std::string ss58_address;           // as in the file; checked to encode public_key
  sr25519::MiniSecretKey secret_seed; // the sr25519 mini secret the key pair is expanded from
};

struct ColdkeyPub {
  std::string file;
  AccountId public_key{};
  std::string ss58_address;
};

// Reads a hotkey file. Throws Error 22023 "hotkey file <path>: why" when it is missing,
// unreadable, readable by group or others (the rules of node key files, key_material_file.hpp),
// encrypted, not a JSON object of strings, lacks accountId, publicKey, secretSeed or
// ss58Address (or has null for one), has a key of the wrong hex length (privateKey, optional,
// included), accountId different from publicKey, an ss58Address that is not publicKey's, or a
// publicKey that is not the sr25519 public key of secretSeed (a file whose keys disagree would
// make us sign as one account while claiming another).
Hotkey read_hotkey_file(const std::string &path);

// Reads coldkeypub.txt (no mode check: it holds nothing secret). Same errors as a hotkey's for
// its three fields, and a coldkeypub.txt holding a secret field that is not null is refused: a
// secret does not belong in a file anyone may read.
ColdkeyPub read_coldkeypub_file(const std::string &path);

} // namespace mycelium::chain
