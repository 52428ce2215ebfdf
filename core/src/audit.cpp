#include "mycelium/audit.hpp"
#include "mycelium/signing.hpp"

#include <sodium.h>

namespace mycelium {

Hash audit_entry_hash(const Hash &prev_hash, std::uint64_t seq, const Bytes &signing_payload,
                      const Signature &signature, std::string_view origin_node,
                      std::uint64_t created_at_us) {
  const Bytes input = PayloadWriter(kAuditTag)
                          .frame(prev_hash.data(), prev_hash.size())
                          .frame_u64(seq)
                          .frame(signing_payload)
                          .frame(signature.data(), signature.size())
                          .frame(origin_node)
                          .frame_u64(created_at_us)
                          .take();
  Hash hash;
  crypto_hash_sha256(hash.data(), input.data(), input.size());
  return hash;
}

} // namespace mycelium
