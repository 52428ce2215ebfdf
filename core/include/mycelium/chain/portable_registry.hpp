// The type registry of a runtime's metadata (scale-info's PortableRegistry, as frame-metadata
// v14 carries it): every type the metadata refers to, by id, with its shape. Mycelium reads it to
// check that a call's arguments and a signed extension's data are what it is about to encode,
// not to decode arbitrary values. schemas/CHAIN.md, "Weights".
#pragma once

#include "mycelium/chain/scale_decoder.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mycelium::chain {

// scale-info's TypeDefPrimitive, with its SCALE variant index.
enum class Primitive : std::uint8_t {
  boolean = 0,
  character = 1,
  str = 2,
  u8 = 3,
  u16 = 4,
  u32 = 5,
  u64 = 6,
  u128 = 7,
  u256 = 8,
  i8 = 9,
  i16 = 10,
  i32 = 11,
  i64 = 12,
  i128 = 13,
  i256 = 14,
};

// "u16", "bool", as Rust spells them.
std::string primitive_name(Primitive primitive);
// The width in bits of an unsigned integer primitive (u8 .. u256); none for the others.
std::optional<unsigned> unsigned_bits(Primitive primitive);

// A field of a struct or of an enum variant; `name` is empty for tuple-like fields.
struct TypeField {
  std::string name;
  std::uint32_t type = 0;
  std::string type_name; // the Rust type as written in the source ("T::Nonce"), or empty
};

struct TypeVariant {
  std::string name;
  std::uint8_t index = 0; // the byte that selects it in SCALE
  std::vector<TypeField> fields;
};

struct TypeParameter {
  std::string name;
  std::optional<std::uint32_t> type; // none for a parameter the type does not use (PhantomData)
};

// scale-info's TypeDef, with its SCALE variant index.
enum class TypeKind : std::uint8_t {
  composite = 0,
  variant = 1,
  sequence = 2,
  array = 3,
  tuple = 4,
  primitive = 5,
  compact = 6,
  bit_sequence = 7,
};

// One type. Which members are set depends on `kind`.
struct TypeInfo {
  std::uint32_t id = 0;
  std::vector<std::string> path; // {"sp_runtime", "generic", "era", "Era"}; empty for built-ins
  std::vector<TypeParameter> params;
  TypeKind kind = TypeKind::tuple;
  std::vector<TypeField> fields;     // composite
  std::vector<TypeVariant> variants; // variant
  std::uint32_t element = 0;         // sequence, array and compact: the item's type
  std::uint32_t length = 0;          // array
  std::vector<std::uint32_t> tuple;  // tuple: the element types
  Primitive primitive = Primitive::boolean;
  std::uint32_t bit_store = 0; // bit_sequence
  std::uint32_t bit_order = 0; // bit_sequence
};

class PortableRegistry {
public:
  // Reads Vec<PortableType> at the decoder. The ids must count up from 0 (scale-info writes them
  // so, and lookups rely on it); anything else is refused as malformed metadata.
  static PortableRegistry decode(ScaleDecoder &decoder);

  std::size_t size() const { return types_.size(); }
  // The type `id`; Error 22023 when the registry has no such type.
  const TypeInfo &at(std::uint32_t id) const;

  // A short Rust-like name for messages: "u16", "Vec<u16>", "Compact<u32>", "[u8; 32]", "()",
  // "(u16, u16)", "H256", "Option<[u8; 32]>", "CheckMortality".
  std::string describe(std::uint32_t id) const;
  // "sp_runtime::generic::era::Era"; empty for built-ins.
  std::string path_text(std::uint32_t id) const;

  // Whether every value of the type encodes to no bytes at all: (), a struct whose fields all
  // encode to nothing (a unit struct such as SubtensorSignedExtension<T>), [T; 0].
  bool encodes_to_nothing(std::uint32_t id) const;
  // The type a chain of single-field structs wraps (H256 -> [u8; 32], NetUid -> u16,
  // CheckMortality -> Era), or the type itself. A newtype encodes exactly as what it wraps.
  const TypeInfo &unwrap_newtypes(std::uint32_t id) const;
  // Through newtypes: the primitive, the N of [u8; N], the primitive of a Compact<uN>, the
  // element of a Vec. None when the type is not of that shape.
  std::optional<Primitive> primitive_of(std::uint32_t id) const;
  std::optional<std::uint32_t> byte_array_length(std::uint32_t id) const;
  std::optional<Primitive> compact_primitive(std::uint32_t id) const;
  std::optional<std::uint32_t> sequence_element(std::uint32_t id) const;

private:
  std::string describe(std::uint32_t id, int depth) const;
  bool encodes_to_nothing(std::uint32_t id, int depth) const;

  std::vector<TypeInfo> types_;
};

} // namespace mycelium::chain
