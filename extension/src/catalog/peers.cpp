#include "mycelium/catalog/peers.hpp"

#include "mycelium/pg/spi.hpp"

namespace mycelium::catalog {

const char *to_string(PeerPurpose purpose) {
  return purpose == PeerPurpose::Push ? "push" : "read";
}

std::optional<PeerServerNames> find_peer_servers(const std::string &node_id) {
  static pg::Statement find(
      "SELECT schema_name, push_server, read_server FROM mycelium.peer_servers WHERE node_id = $1");
  if (find.execute({pg::text_param(node_id)}) == 0)
    return std::nullopt;
  return PeerServerNames{pg::result_text(0, 1).value_or(""), pg::result_text(0, 2).value_or(""),
                         pg::result_text(0, 3).value_or("")};
}

PeerServerNames assign_peer_servers(const std::string &node_id) {
  static pg::Statement add("INSERT INTO mycelium.peer_servers (node_id, push_server, read_server, "
                           "  schema_name) VALUES ($1, '', '', '') ON CONFLICT DO NOTHING");
  add.execute({pg::text_param(node_id)});
  static pg::Statement name(
      "UPDATE mycelium.peer_servers SET push_server = 'mycelium_peer_' || peer_no || '_push', "
      "  read_server = 'mycelium_peer_' || peer_no || '_read', "
      "  schema_name = 'mycelium_peer_' || peer_no WHERE node_id = $1 "
      "RETURNING schema_name, push_server, read_server");
  name.execute({pg::text_param(node_id)});
  return PeerServerNames{pg::result_text(0, 1).value_or(""), pg::result_text(0, 2).value_or(""),
                         pg::result_text(0, 3).value_or("")};
}

std::optional<PeerLogin> find_peer_login(const std::string &node_id, PeerPurpose purpose) {
  static pg::Statement credentials("SELECT username, password FROM mycelium.peer_credentials "
                                   "WHERE node_id = $1 AND purpose = $2");
  if (credentials.execute({pg::text_param(node_id), pg::text_param(to_string(purpose))}) == 0)
    return std::nullopt;
  return PeerLogin{pg::result_text(0, 1).value_or(""), pg::result_text(0, 2)};
}

} // namespace mycelium::catalog
