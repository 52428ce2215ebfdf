#include "mycelium/replica_signing.hpp"

#include "mycelium/error.hpp"

namespace mycelium {

Bytes link_payload(std::string_view shard_id, std::uint64_t seq, const Hash &entry_hash,
                   std::string_view primary_node, std::uint64_t term) {
  PayloadWriter writer(term == 0 ? kLinkTag : kLinkTagV2);
  writer.frame(shard_id)
      .frame_u64(seq)
      .frame(entry_hash.data(), entry_hash.size())
      .frame(primary_node);
  if (term != 0)
    writer.frame_u64(term);
  return writer.take();
}

Bytes replica_control_payload(std::string_view op, std::string_view shard_id,
                              std::string_view primary_node, std::string_view target_node,
                              std::int64_t issued_at_us, std::string_view canonical_validators) {
  if (op != "open" && op != "open-elected" && op != "close")
    throw Error(sqlstate::kInvalidParameterValue,
                "op of a replica control message must be 'open', 'open-elected' or 'close', got '" +
                    std::string(op) + "'");
  return PayloadWriter(kReplicaControlTag)
      .frame(op)
      .frame(shard_id)
      .frame(primary_node)
      .frame(target_node)
      .frame_u64(static_cast<std::uint64_t>(issued_at_us))
      .frame(canonical_validators)
      .take();
}

void check_control_time(std::int64_t issued_at_us, std::int64_t now_us,
                        std::int64_t last_accepted_us) {
  if (issued_at_us < now_us - kControlMaxAgeUs)
    throw Error(sqlstate::kReplicaRefused, "control message issued more than " +
                                               std::to_string(kControlMaxAgeUs / 1000000) +
                                               " s ago: too old to be believed (a replay?)");
  if (issued_at_us > now_us + kControlMaxAheadUs)
    throw Error(sqlstate::kReplicaRefused,
                "control message dated more than " + std::to_string(kControlMaxAheadUs / 1000000) +
                    " s ahead of this node's clock (are the nodes' clocks in sync?)");
  if (issued_at_us <= last_accepted_us)
    throw Error(sqlstate::kReplicaRefused,
                "control message is not newer than the last one accepted for this shard "
                "(a replay)");
}

} // namespace mycelium
