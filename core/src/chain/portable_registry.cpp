#include "mycelium/chain/portable_registry.hpp"

#include "mycelium/error.hpp"

namespace mycelium::chain {

namespace {

// How deep describe and encodes_to_nothing follow nested types. Real types nest a few levels;
// the bound keeps a recursive type (a call holding a Vec of calls) from recursing forever.
constexpr int kMaxDepth = 32;

std::string optional_string(ScaleDecoder &d, std::string_view field) {
  return d.option(field, [](ScaleDecoder &d) { return d.string(); }).value_or("");
}

std::uint32_t type_id(ScaleDecoder &d, std::string_view field) {
  return d.compact_as<std::uint32_t>(field);
}

// Documentation lines: read (they must be valid SCALE strings) and dropped.
void skip_docs(ScaleDecoder &d) {
  d.vec("docs", [](ScaleDecoder &d) { return d.string().size(); });
}

TypeField decode_field(ScaleDecoder &d) {
  TypeField field;
  field.name = optional_string(d, "name");
  field.type = type_id(d, "type");
  field.type_name = optional_string(d, "type_name");
  skip_docs(d);
  return field;
}

std::vector<TypeField> decode_fields(ScaleDecoder &d) {
  return d.vec("fields", decode_field);
}

TypeVariant decode_variant(ScaleDecoder &d) {
  TypeVariant variant;
  variant.name = d.string("name");
  variant.fields = decode_fields(d);
  variant.index = d.u8("index");
  skip_docs(d);
  return variant;
}

void decode_definition(ScaleDecoder &d, TypeInfo &type) {
  type.kind = static_cast<TypeKind>(d.variant("type_def", 8));
  switch (type.kind) {
  case TypeKind::composite:
    type.fields = decode_fields(d);
    break;
  case TypeKind::variant:
    type.variants = d.vec("variants", decode_variant);
    break;
  case TypeKind::sequence:
  case TypeKind::compact:
    type.element = type_id(d, "type_param");
    break;
  case TypeKind::array:
    type.length = d.u32("len");
    type.element = type_id(d, "type_param");
    break;
  case TypeKind::tuple:
    type.tuple = d.vec("fields", [](ScaleDecoder &d) { return type_id(d, {}); });
    break;
  case TypeKind::primitive:
    type.primitive = static_cast<Primitive>(d.variant("primitive", 15));
    break;
  case TypeKind::bit_sequence:
    type.bit_store = type_id(d, "bit_store_type");
    type.bit_order = type_id(d, "bit_order_type");
    break;
  }
}

TypeInfo decode_type(ScaleDecoder &d, std::uint32_t expected_id) {
  TypeInfo type;
  type.id = type_id(d, "id");
  if (type.id != expected_id)
    d.fail_at("id", "type id " + std::to_string(type.id) + " where " + std::to_string(expected_id) +
                        " was expected: the registry's ids must count up from 0");
  d.nested("type", [&](ScaleDecoder &d) {
    type.path = d.vec("path", [](ScaleDecoder &d) { return d.string(); });
    type.params = d.vec("type_params", [](ScaleDecoder &d) {
      TypeParameter param;
      param.name = d.string("name");
      param.type = d.option("type", [](ScaleDecoder &d) { return type_id(d, {}); });
      return param;
    });
    decode_definition(d, type);
    skip_docs(d);
    return 0;
  });
  return type;
}

template <class Describe>
std::string join_described(const std::vector<std::uint32_t> &ids, Describe describe) {
  std::string out;
  for (std::size_t i = 0; i < ids.size(); ++i)
    out += (i ? ", " : "") + describe(ids[i]);
  return out;
}

} // namespace

std::string primitive_name(Primitive primitive) {
  static const char *const kNames[] = {"bool", "char", "str", "u8",  "u16", "u32",  "u64", "u128",
                                       "u256", "i8",   "i16", "i32", "i64", "i128", "i256"};
  const auto index = static_cast<std::size_t>(primitive);
  return index < std::size(kNames) ? kNames[index] : "unknown primitive";
}

std::optional<unsigned> unsigned_bits(Primitive primitive) {
  switch (primitive) {
  case Primitive::u8:
    return 8;
  case Primitive::u16:
    return 16;
  case Primitive::u32:
    return 32;
  case Primitive::u64:
    return 64;
  case Primitive::u128:
    return 128;
  case Primitive::u256:
    return 256;
  default:
    return std::nullopt;
  }
}

PortableRegistry PortableRegistry::decode(ScaleDecoder &decoder) {
  PortableRegistry registry;
  std::uint32_t next_id = 0;
  registry.types_ =
      decoder.vec("types", [&](ScaleDecoder &d) { return decode_type(d, next_id++); });
  return registry;
}

const TypeInfo &PortableRegistry::at(std::uint32_t id) const {
  if (id >= types_.size())
    throw Error(sqlstate::kInvalidParameterValue, "metadata: type " + std::to_string(id) +
                                                      " is not in the type registry (" +
                                                      std::to_string(types_.size()) + " types)");
  return types_[id];
}

std::string PortableRegistry::path_text(std::uint32_t id) const {
  std::string out;
  for (const std::string &segment : at(id).path)
    out += (out.empty() ? "" : "::") + segment;
  return out;
}

std::string PortableRegistry::describe(std::uint32_t id) const {
  return describe(id, 0);
}

std::string PortableRegistry::describe(std::uint32_t id, int depth) const {
  if (depth > kMaxDepth)
    return "...";
  const TypeInfo &type = at(id);
  const auto inner = [&](std::uint32_t element) { return describe(element, depth + 1); };
  switch (type.kind) {
  case TypeKind::primitive:
    return primitive_name(type.primitive);
  case TypeKind::compact:
    return "Compact<" + inner(type.element) + ">";
  case TypeKind::sequence:
    return "Vec<" + inner(type.element) + ">";
  case TypeKind::array:
    return "[" + inner(type.element) + "; " + std::to_string(type.length) + "]";
  case TypeKind::tuple:
    return "(" + join_described(type.tuple, inner) + ")";
  case TypeKind::bit_sequence:
    return "BitVec";
  case TypeKind::composite:
  case TypeKind::variant:
    break;
  }
  if (type.path.empty())
    return type.kind == TypeKind::composite
               ? "struct of " + std::to_string(type.fields.size()) + " field(s)"
               : "enum of " + std::to_string(type.variants.size()) + " variant(s)";
  std::vector<std::uint32_t> used;
  for (const TypeParameter &param : type.params)
    if (param.type)
      used.push_back(*param.type);
  return type.path.back() + (used.empty() ? "" : "<" + join_described(used, inner) + ">");
}

bool PortableRegistry::encodes_to_nothing(std::uint32_t id) const {
  return encodes_to_nothing(id, 0);
}

bool PortableRegistry::encodes_to_nothing(std::uint32_t id, int depth) const {
  if (depth > kMaxDepth)
    return false;
  const TypeInfo &type = at(id);
  switch (type.kind) {
  case TypeKind::composite:
    for (const TypeField &field : type.fields)
      if (!encodes_to_nothing(field.type, depth + 1))
        return false;
    return true;
  case TypeKind::tuple:
    for (std::uint32_t element : type.tuple)
      if (!encodes_to_nothing(element, depth + 1))
        return false;
    return true;
  case TypeKind::array:
    return type.length == 0 || encodes_to_nothing(type.element, depth + 1);
  default:
    // An enum always has its index byte, a Vec its length, a primitive its bytes.
    return false;
  }
}

const TypeInfo &PortableRegistry::unwrap_newtypes(std::uint32_t id) const {
  const TypeInfo *type = &at(id);
  for (int depth = 0;
       depth < kMaxDepth && type->kind == TypeKind::composite && type->fields.size() == 1; ++depth)
    type = &at(type->fields[0].type);
  return *type;
}

std::optional<Primitive> PortableRegistry::primitive_of(std::uint32_t id) const {
  const TypeInfo &type = unwrap_newtypes(id);
  if (type.kind != TypeKind::primitive)
    return std::nullopt;
  return type.primitive;
}

std::optional<std::uint32_t> PortableRegistry::byte_array_length(std::uint32_t id) const {
  const TypeInfo &type = unwrap_newtypes(id);
  if (type.kind != TypeKind::array || primitive_of(type.element) != Primitive::u8)
    return std::nullopt;
  return type.length;
}

std::optional<Primitive> PortableRegistry::compact_primitive(std::uint32_t id) const {
  const TypeInfo &type = unwrap_newtypes(id);
  if (type.kind != TypeKind::compact)
    return std::nullopt;
  return primitive_of(type.element);
}

std::optional<std::uint32_t> PortableRegistry::sequence_element(std::uint32_t id) const {
  const TypeInfo &type = unwrap_newtypes(id);
  if (type.kind != TypeKind::sequence)
    return std::nullopt;
  return type.element;
}

} // namespace mycelium::chain
