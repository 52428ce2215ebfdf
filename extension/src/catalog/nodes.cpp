#include "mycelium/catalog/nodes.hpp"

#include "mycelium/error.hpp"
#include "mycelium/pg/spi.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace mycelium::catalog {

namespace {

// The columns every read returns, in this order.
constexpr const char *kNodeColumns =
    "SELECT n.node_id, n.node_type, n.public_key, n.is_active, n.ip, n.port, n.dbname "
    "  FROM mycelium.node_metadata n ";

NodeType type_of(const std::optional<std::string> &text, const std::string &node_id) {
  if (text == "validator")
    return NodeType::Validator;
  if (text == "miner")
    return NodeType::Miner;
  // The column's CHECK allows only these two.
  throw Error(sqlstate::kInternalError,
              "node \"" + node_id + "\" has an unknown type \"" + text.value_or("NULL") + "\"");
}

NodeRow row_of(std::uint64_t row) {
  NodeRow node;
  node.node_id = pg::result_text(row, 1).value_or("");
  node.type = type_of(pg::result_text(row, 2), node.node_id);
  node.public_key = pg::result_text(row, 3).value_or("");
  node.active = pg::result_bool(row, 4).value_or(false);
  node.ip = pg::result_text(row, 5).value_or("");
  node.port = static_cast<std::int32_t>(pg::result_int(row, 6).value_or(0));
  node.dbname = pg::result_text(row, 7).value_or("");
  return node;
}

} // namespace

const char *to_string(NodeType type) {
  switch (type) {
  case NodeType::Validator:
    return "validator";
  case NodeType::Miner:
    return "miner";
  }
  return "?";
}

std::optional<NodeRow> find_node(const std::string &node_id) {
  static pg::Statement find(std::string(kNodeColumns) + "WHERE n.node_id = $1");
  if (find.execute({pg::text_param(node_id)}) == 0)
    return std::nullopt;
  return row_of(0);
}

std::vector<NodeRow> lock_registrations(const std::string &node_id, const std::string &public_key) {
  static pg::Statement lock(std::string(kNodeColumns) +
                            "WHERE n.node_id = $1 OR n.public_key = $2 FOR UPDATE OF n");
  const std::uint64_t n = lock.execute({pg::text_param(node_id), pg::text_param(public_key)});
  std::vector<NodeRow> rows;
  for (std::uint64_t row = 0; row < n; ++row)
    rows.push_back(row_of(row));
  return rows;
}

void store_registration(const NodeRegistration &node, const std::string &signature_hex) {
  static pg::Statement upsert(
      "INSERT INTO mycelium.node_metadata (node_id, node_type, public_key, ip, port, version, "
      "  capabilities, registration_signature, is_active, last_seen) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, true, now()) "
      "ON CONFLICT (node_id) DO UPDATE SET node_type = EXCLUDED.node_type, ip = EXCLUDED.ip, "
      "  port = EXCLUDED.port, version = EXCLUDED.version, capabilities = EXCLUDED.capabilities, "
      "  registration_signature = EXCLUDED.registration_signature, is_active = true, "
      "  last_seen = now()");
  upsert.execute({pg::text_param(node.node_id), pg::text_param(node.node_type),
                  pg::text_param(node.public_key), pg::text_param(node.ip),
                  pg::int4_param(static_cast<std::int32_t>(node.port)),
                  pg::text_param(node.version), pg::text_param(node.canonical_capabilities),
                  pg::text_param(signature_hex)});
}

bool deactivate_node(const std::string &node_id) {
  static pg::Statement deactivate(
      "UPDATE mycelium.node_metadata SET is_active = false WHERE node_id = $1");
  return deactivate.execute({pg::text_param(node_id)}) > 0;
}

std::string local_node_id() {
  static pg::Statement local("SELECT node_id FROM mycelium.local_node");
  if (local.execute({}) == 0)
    return {};
  return pg::result_text(0, 1).value_or("");
}

std::optional<std::string> first_non_validator(Datum node_ids) {
  static pg::Statement unknown("SELECT v FROM unnest($1::text[]) v WHERE v IS NULL OR NOT EXISTS ("
                               "  SELECT 1 FROM mycelium.node_metadata n WHERE n.node_id = v "
                               "   AND n.node_type = 'validator') LIMIT 1");
  if (unknown.execute({pg::datum_param(TEXTARRAYOID, node_ids)}) == 0)
    return std::nullopt;
  return pg::result_text(0, 1).value_or("NULL");
}

} // namespace mycelium::catalog
