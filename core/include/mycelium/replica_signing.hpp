// What a shard's primary signs so that its replicas believe nothing else (schemas/SIGNING.md,
// "Chain links" and "Replica control"): each audit entry's place in the chain, and the
// open/close messages that create and drop a replica. A replicator login can deliver rows but
// cannot make these signatures, so it cannot plant, move or re-date an entry, nor open or close
// a replica on its own.
#pragma once

#include "mycelium/audit.hpp"
#include "mycelium/signing.hpp"

#include <cstdint>
#include <string_view>

namespace mycelium {

inline constexpr std::string_view kLinkTag = "mycelium/v1/link";
inline constexpr std::string_view kLinkTagV2 = "mycelium/v2/link";
inline constexpr std::string_view kReplicaControlTag = "mycelium/v1/replica-control";

// The primary's signature of one chain link: entry `seq` of `shard_id` has `entry_hash` (which
// covers everything a replica stores of the entry), appended by `primary_node` in `term`.
// term 0 (a fixed-primary shard) is the v1 link, without the term; term >= 1 (an elected shard,
// the Raft term of the epoch the entry was written in) is the v2 link, the term one more frame
// under the tag mycelium/v2/link (SIGNING.md, "Chain links"). One function for both, so that no
// caller can sign or check an entry with the other version than its term says: a v1 signature
// never verifies as a v2 one (the tags differ), so an elected shard's term cannot be stripped.
Bytes link_payload(std::string_view shard_id, std::uint64_t seq, const Hash &entry_hash,
                   std::string_view primary_node, std::uint64_t term);

// A replica control message: op is "open", "open-elected" (the open of an elected shard's
// replica: the replica then follows the shard's epochs, SIGNING.md "Replica control") or "close".
// `canonical_validators` is the canonical JSON of the shard's responsible validators (an array of
// node ids, or null for every active validator); a close carries null.
Bytes replica_control_payload(std::string_view op, std::string_view shard_id,
                              std::string_view primary_node, std::string_view target_node,
                              std::int64_t issued_at_us, std::string_view canonical_validators);

// How far a control message's time may lie from the receiver's clock: older than this, or more
// than kControlMaxAheadUs ahead, and it is refused. Within the window, replay is stopped by the
// receiver remembering the newest control it accepted for the shard.
inline constexpr std::int64_t kControlMaxAgeUs = 300LL * 1000 * 1000;
inline constexpr std::int64_t kControlMaxAheadUs = 60LL * 1000 * 1000;

// Throws Error MC013 naming the problem: issued_at_us outside [now - max age, now + max ahead],
// or not newer than `last_accepted_us` (0: none accepted yet).
void check_control_time(std::int64_t issued_at_us, std::int64_t now_us,
                        std::int64_t last_accepted_us);

} // namespace mycelium
