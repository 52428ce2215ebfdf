// The C++ side of tests/chain/weights_cross.mjs, which checks runtime metadata, storage keys,
// eras, the set_weights call and whole signed extrinsics against polkadot-js. Reads one command a
// line on stdin, fields separated by tabs, and writes one answer a line on stdout; "error<TAB>
// message" when ours refuses (the tool goes on). Byte strings are lowercase hex, "-" when empty;
// lists are comma-separated, "-" when empty.
//
//   metadata <hex>                         -> ok            (the metadata later commands use)
//   dump                                   -> the metadata as JSON (pallets, calls, storage,
//                                             extrinsic, signed extensions, type count)
//   format                                 -> <identifier>:<kind>[:<bits>],... (ExtrinsicFormat)
//   twox <bits> <hex>                      -> <hex>
//   storage-key <pallet> <item> <encoded key>,...   -> <hex>  (the metadata's hashers)
//   commit-reveal <netuid> <stored | none> -> <key> <true | false>
//   version-key <netuid> <stored | none>   -> <key> <value>
//   era <block> <period>                   -> <two bytes> <birth>
//   call <netuid> <dests> <weights> <version key>                 -> <call>
//   payload <call> <transaction>           -> <payload> <the message signed>
//   extrinsic <signer> <signature> <call> <transaction>           -> <extrinsic>
//   public <secret URI>                    -> <public key>
//   sign-with <secret URI> <message> <random>                     -> <signature>
//   sign <secret URI> <call> <transaction> -> <extrinsic>  (ExtrinsicFormat::sign, random nonce)
//   verify <public key> <message> <signature>                     -> ok | refused <why>
//   quantize <uids> <weights as decimal reals>                    -> <uids> <weights>
//
// <transaction> is 8 fields: spec version, transaction version, genesis hash, current block, era
// period, hash of the era's birth block, nonce, tip (decimal, up to u64).
#include "mycelium/chain/mortal_era.hpp"
#include "mycelium/chain/runtime_metadata.hpp"
#include "mycelium/chain/signed_extrinsic.hpp"
#include "mycelium/chain/sr25519_uri.hpp"
#include "mycelium/chain/storage_key.hpp"
#include "mycelium/chain/subtensor_weights.hpp"
#include "mycelium/chain/weight_quantization.hpp"
#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"

#include <algorithm>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace mycelium;
using namespace mycelium::chain;

std::vector<std::string> split(const std::string &text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = text.find(separator, start);
    parts.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos)
      return parts;
    start = at + 1;
  }
}

Bytes bytes_of(const std::string &hex) {
  return hex == "-" ? Bytes() : from_hex(hex, hex.size() / 2, "hex argument");
}
std::string hex_of(const Bytes &bytes) {
  return bytes.empty() ? "-" : to_hex(bytes);
}
template <std::size_t N> std::array<std::uint8_t, N> array_of(const std::string &hex) {
  const Bytes bytes = from_hex(hex, N, "hex argument");
  std::array<std::uint8_t, N> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

std::uint64_t number_of(const std::string &text) {
  std::size_t used = 0;
  const unsigned long long value = std::stoull(text, &used);
  if (used != text.size())
    throw std::runtime_error("not a number: " + text);
  return value;
}

std::vector<std::uint16_t> u16_list(const std::string &text) {
  std::vector<std::uint16_t> out;
  if (text == "-")
    return out;
  for (const std::string &item : split(text, ','))
    out.push_back(static_cast<std::uint16_t>(number_of(item)));
  return out;
}

std::string join(const std::vector<std::uint16_t> &values) {
  if (values.empty())
    return "-";
  std::string out;
  for (std::uint16_t value : values)
    out += (out.empty() ? "" : ",") + std::to_string(value);
  return out;
}

std::string json_string(const std::string &text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += "\\u00" + to_hex(reinterpret_cast<const std::uint8_t *>(&c), 1);
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string dump(const RuntimeMetadata &metadata) {
  std::ostringstream out;
  out << "{\"types\":" << metadata.types().size() << ",\"pallets\":[";
  bool first_pallet = true;
  for (const PalletMetadata &pallet : metadata.pallets()) {
    out << (first_pallet ? "" : ",") << "{\"name\":" << json_string(pallet.name)
        << ",\"index\":" << int(pallet.index) << ",\"calls\":[";
    first_pallet = false;
    if (pallet.calls_type) {
      bool first = true;
      for (const TypeVariant &variant : metadata.types().at(*pallet.calls_type).variants) {
        const PalletCall call = metadata.call(pallet.name, variant.name);
        out << (first ? "" : ",") << "{\"name\":" << json_string(call.name)
            << ",\"index\":" << int(call.call_index) << ",\"args\":[";
        first = false;
        for (std::size_t i = 0; i < call.arguments.size(); ++i)
          out << (i ? "," : "") << "{\"name\":" << json_string(call.arguments[i].name)
              << ",\"type\":" << call.arguments[i].type << "}";
        out << "]}";
      }
    }
    out << "],\"storage\":";
    if (!pallet.storage) {
      out << "null}";
      continue;
    }
    out << "{\"prefix\":" << json_string(pallet.storage->prefix) << ",\"entries\":[";
    bool first = true;
    for (const StorageEntry &entry : pallet.storage->entries) {
      out << (first ? "" : ",") << "{\"name\":" << json_string(entry.name) << ",\"default\":"
          << (entry.modifier == StorageModifier::default_value ? "true" : "false")
          << ",\"hashers\":[";
      first = false;
      for (std::size_t i = 0; i < entry.hashers.size(); ++i)
        out << (i ? "," : "") << json_string(std::string(storage_hasher_name(entry.hashers[i])));
      out << "],\"key\":" << (entry.is_map ? std::to_string(entry.key_type) : "null")
          << ",\"value\":" << entry.value_type << ",\"fallback\":\"0x"
          << to_hex(entry.default_value) << "\"}";
    }
    out << "]}}";
  }
  const ExtrinsicMetadata &extrinsic = metadata.extrinsic();
  out << "],\"extrinsic\":{\"type\":" << extrinsic.type << ",\"version\":" << int(extrinsic.version)
      << ",\"signedExtensions\":[";
  for (std::size_t i = 0; i < extrinsic.signed_extensions.size(); ++i) {
    const SignedExtensionMetadata &extension = extrinsic.signed_extensions[i];
    out << (i ? "," : "") << "{\"identifier\":" << json_string(extension.identifier)
        << ",\"type\":" << extension.extra_type
        << ",\"additionalSigned\":" << extension.additional_signed_type << "}";
  }
  out << "]}}";
  return out.str();
}

const char *kind_name(SignedExtensions::Kind kind) {
  switch (kind) {
  case SignedExtensions::Kind::nothing:
    return "nothing";
  case SignedExtensions::Kind::spec_version:
    return "spec_version";
  case SignedExtensions::Kind::transaction_version:
    return "transaction_version";
  case SignedExtensions::Kind::genesis:
    return "genesis";
  case SignedExtensions::Kind::mortality:
    return "mortality";
  case SignedExtensions::Kind::nonce:
    return "nonce";
  case SignedExtensions::Kind::tip:
    return "tip";
  case SignedExtensions::Kind::metadata_hash:
    return "metadata_hash";
  }
  return "?";
}

struct Transaction {
  TransactionParameters parameters;
  std::uint64_t current_block = 0;
};

// The 8 <transaction> fields starting at fields[at].
Transaction transaction_of(const std::vector<std::string> &fields, std::size_t at) {
  if (fields.size() != at + 8)
    throw std::runtime_error(fields[0] + ": expected " + std::to_string(at + 7) + " fields");
  Transaction t;
  t.parameters.spec_version = static_cast<std::uint32_t>(number_of(fields[at]));
  t.parameters.transaction_version = static_cast<std::uint32_t>(number_of(fields[at + 1]));
  t.parameters.genesis_hash = array_of<32>(fields[at + 2]);
  t.current_block = number_of(fields[at + 3]);
  t.parameters.era = MortalEra::for_block(t.current_block, number_of(fields[at + 4]));
  t.parameters.era_birth_hash = array_of<32>(fields[at + 5]);
  t.parameters.nonce = number_of(fields[at + 6]);
  t.parameters.tip = number_of(fields[at + 7]);
  return t;
}

std::optional<Bytes> stored_of(const std::string &field) {
  if (field == "none")
    return std::nullopt;
  return bytes_of(field);
}

void expect_fields(const std::vector<std::string> &fields, std::size_t count) {
  if (fields.size() != count)
    throw std::runtime_error(fields[0] + " takes " + std::to_string(count - 1) + " fields");
}

class Tool {
public:
  std::string answer(const std::vector<std::string> &fields) {
    const std::string &command = fields[0];
    if (command == "metadata") {
      expect_fields(fields, 2);
      metadata_.reset();
      metadata_ = std::make_unique<RuntimeMetadata>(RuntimeMetadata::decode(bytes_of(fields[1])));
      return "ok";
    }
    if (command == "twox") {
      expect_fields(fields, 3);
      const Bytes data = bytes_of(fields[2]);
      return hex_of(twox(data.data(), data.size(), static_cast<unsigned>(number_of(fields[1]))));
    }
    if (command == "era") {
      expect_fields(fields, 3);
      const std::uint64_t block = number_of(fields[1]);
      const MortalEra era = MortalEra::for_block(block, number_of(fields[2]));
      const auto bytes = era.encode();
      return to_hex(bytes.data(), bytes.size()) + "\t" + std::to_string(era.birth(block));
    }
    if (command == "public") {
      expect_fields(fields, 2);
      const auto key = sr25519::key_from_secret_uri(fields[1]);
      return to_hex(key.secret_key.public_key().data(), sr25519::kPublicKeySize);
    }
    if (command == "sign-with") {
      expect_fields(fields, 4);
      const auto key = sr25519::key_from_secret_uri(fields[1]);
      const Bytes message = bytes_of(fields[2]);
      const auto random = array_of<sr25519::kRandomSize>(fields[3]);
      std::uint8_t given[sr25519::kRandomSize];
      std::copy(random.begin(), random.end(), given);
      const auto signature = key.secret_key.sign(message.data(), message.size(), given);
      return to_hex(signature.data(), signature.size());
    }
    if (command == "verify") {
      expect_fields(fields, 4);
      const Bytes public_key = bytes_of(fields[1]);
      const Bytes message = bytes_of(fields[2]);
      const Bytes signature = bytes_of(fields[3]);
      try {
        sr25519::verify_or_throw(
            sr25519::signature_from_bytes(signature.data(), signature.size()), message.data(),
            message.size(), sr25519::public_key_from_bytes(public_key.data(), public_key.size()));
        return "ok";
      } catch (const Error &e) {
        return std::string("refused\t") + e.what();
      }
    }
    if (command == "quantize") {
      expect_fields(fields, 3);
      std::vector<double> weights;
      if (fields[2] != "-")
        for (const std::string &item : split(fields[2], ','))
          weights.push_back(std::stod(item));
      const QuantizedWeights q = quantize_weights(u16_list(fields[1]), weights);
      return join(q.uids) + "\t" + join(q.weights);
    }
    const RuntimeMetadata &metadata = loaded();
    if (command == "dump") {
      expect_fields(fields, 1);
      return dump(metadata);
    }
    if (command == "format") {
      expect_fields(fields, 1);
      const ExtrinsicFormat format = ExtrinsicFormat::from_metadata(metadata);
      std::string out;
      for (const auto &extension : format.signed_extensions().list())
        out += (out.empty() ? "" : ",") + extension.identifier + ":" + kind_name(extension.kind) +
               (extension.compact_bits ? ":" + std::to_string(extension.compact_bits) : "");
      return out;
    }
    if (command == "storage-key") {
      expect_fields(fields, 4);
      const auto item = metadata.storage_item(fields[1], fields[2]);
      std::vector<Bytes> keys;
      if (fields[3] != "-")
        for (const std::string &key : split(fields[3], ','))
          keys.push_back(bytes_of(key));
      if (!item.entry.is_map)
        return hex_of(storage_prefix(item.pallet_prefix, item.entry.name));
      return hex_of(storage_map_key(item.pallet_prefix, item.entry.name, item.entry.hashers, keys));
    }
    if (command == "commit-reveal" || command == "version-key") {
      expect_fields(fields, 3);
      const auto netuid = static_cast<std::uint16_t>(number_of(fields[1]));
      const auto stored = stored_of(fields[2]);
      if (command == "commit-reveal")
        return hex_of(commit_reveal_weights_enabled_key(metadata, netuid)) + "\t" +
               (commit_reveal_weights_enabled(metadata, netuid, stored) ? "true" : "false");
      return hex_of(weights_version_key_key(metadata, netuid)) + "\t" +
             std::to_string(weights_version_key(metadata, netuid, stored));
    }
    if (command == "call") {
      expect_fields(fields, 5);
      SetWeights call;
      call.netuid = static_cast<std::uint16_t>(number_of(fields[1]));
      call.dests = u16_list(fields[2]);
      call.weights = u16_list(fields[3]);
      call.version_key = number_of(fields[4]);
      return hex_of(encode_set_weights_call(metadata, call));
    }
    if (command == "payload") {
      const Transaction t = transaction_of(fields, 2);
      const Bytes payload = ExtrinsicFormat::from_metadata(metadata).signing_payload(
          bytes_of(fields[1]), t.parameters);
      return hex_of(payload) + "\t" + hex_of(signing_message(payload));
    }
    if (command == "extrinsic") {
      const Transaction t = transaction_of(fields, 4);
      return hex_of(ExtrinsicFormat::from_metadata(metadata).signed_extrinsic(
          array_of<32>(fields[1]), array_of<64>(fields[2]), bytes_of(fields[3]), t.parameters));
    }
    if (command == "sign") {
      const Transaction t = transaction_of(fields, 3);
      const auto key = sr25519::key_from_secret_uri(fields[1]);
      return hex_of(ExtrinsicFormat::from_metadata(metadata).sign(
          key.secret_key, bytes_of(fields[2]), t.parameters));
    }
    throw std::runtime_error("unknown command " + command);
  }

private:
  const RuntimeMetadata &loaded() const {
    if (!metadata_)
      throw std::runtime_error("no metadata loaded");
    return *metadata_;
  }

  std::unique_ptr<RuntimeMetadata> metadata_;
};

} // namespace

int main() {
  Tool tool;
  std::string line;
  while (std::getline(std::cin, line)) {
    try {
      std::cout << tool.answer(split(line, '\t')) << '\n';
    } catch (const std::exception &e) {
      std::string message = e.what();
      std::replace(message.begin(), message.end(), '\n', ' ');
      std::cout << "error\t" << message << '\n';
    }
  }
  return std::cout.good() ? 0 : 1;
}
