// Peer discovery, the pure parts (the model is CometBFT's PEX): signed address records, the
// table of known peers, and the rules for address requests and replies.
//
// An address record says where a node listens until when, signed by that node, so a record
// relayed by anyone still proves itself:
//
//   frame("mycelium/v1/address") || frame(node_id) || frame(host) || frame(u64(port))
//     || frame(u64(expires_at_ms))
//
// (the PayloadWriter framing of schemas/SIGNING.md). With port rotation (port_schedule.hpp) a
// node signs a new record each epoch, expiring at the end of the epoch's grace window.
//
// The table holds at most `target` records, preferring validators, then the most recently
// seen (record received or connection made), then the smaller node id. An address reply is
// accepted only from a peer we sent a request to, with that request's id, before its timeout;
// address requests from each peer are answered at most once per interval.
//
// Pure and deterministic: the caller passes the time. Not thread-safe.
#pragma once

#include "mycelium/ed25519.hpp"
#include "mycelium/p2p/registry.hpp"
#include "mycelium/protocol/messages.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mycelium::p2p {

inline constexpr std::string_view kAddressTag = "mycelium/v1/address";

// The record travels in AddressReply and AddressAnnounce (schemas/mycelium.fbs), so the type is
// the protocol's.
using AddressRecord = protocol::AddressRecord;

Bytes address_signing_bytes(const AddressRecord &record);
// `key` is the record's node's own.
void sign_address(AddressRecord &record, const SecretKey &key);
bool verify_address(const AddressRecord &record, const PublicKey &key);

struct AddressBookLimits {
  std::size_t target = 32;                // records held (> 0)
  std::int64_t reply_timeout_ms = 10'000; // a reply later than this after the request is late
  std::int64_t min_request_interval_ms = 30'000; // answer one request per peer per interval
  std::size_t max_records_per_reply = 100;       // more is a protocol violation
  std::int64_t max_record_lifetime_ms = 24LL * 3600 * 1000; // expires_at_ms - now at most this
  std::size_t max_host_bytes = 253;                         // the longest DNS name
  std::size_t max_outstanding = 256;                        // requests awaiting a reply
  std::size_t max_tracked_requesters = 10'000;              // peers remembered by the request limit
};

enum class RecordResult {
  Added,        // a node not held before
  Refreshed,    // replaced the held record of the node (a later expires_at_ms)
  Unchanged,    // the same record, or one that does not expire later than the held one
  Self,         // our own record: never held
  Expired,      // expires_at_ms <= now
  TooFarAhead,  // expires_at_ms > now + max_record_lifetime_ms
  Malformed,    // empty node_id or host, host too long, port 0
  UnknownNode,  // node_id is not registered
  InactiveNode, // registered but not active
  BadSignature, // does not verify with node_id's registered key
  Full,         // the table is full of records preferred to this one
};
const char *to_string(RecordResult result);

enum class ReplyStatus {
  Accepted,    // the records were considered (see the counts)
  Unsolicited, // no request outstanding to this peer with this id: nothing considered
  Late,        // the request timed out: nothing considered; the request is closed
  TooMany,     // more than max_records_per_reply: nothing considered; the request is closed
};
const char *to_string(ReplyStatus status);

struct ReplyOutcome {
  ReplyStatus status = ReplyStatus::Unsolicited;
  std::size_t added = 0;   // Added or Refreshed
  std::size_t invalid = 0; // BadSignature or Malformed: the replying peer's fault
  std::size_t ignored = 0; // every other result
};

class AddressBook {
public:
  // `registry` must outlive the book. Throws Error 22023 for invalid limits.
  AddressBook(const NodeRegistry &registry, std::string self_id, AddressBookLimits limits = {});

  // --- our requests
  // Records that we are sending address request `request_id` to `peer`. False (send nothing)
  // if a request to that peer is still waiting for its reply, or max_outstanding are waiting.
  bool expect_reply(std::string_view peer, std::uint64_t request_id, std::int64_t now_ms);
  // A reply from `peer`. Unsolicited unless it answers the request outstanding to `peer` with
  // the same id; Late if now_ms > request time + reply_timeout_ms. Unsolicited and TooMany are
  // protocol violations (PeerScores), and so is each invalid record.
  ReplyOutcome accept_reply(std::string_view peer, std::uint64_t request_id,
                            const std::vector<AddressRecord> &records, std::int64_t now_ms);
  // The link request `request_id` went out on closed: its reply cannot come, so a new request
  // to `peer` may go out at once. Nothing if another request is the outstanding one.
  void forget_request(std::string_view peer, std::uint64_t request_id);
  std::size_t outstanding() const { return outstanding_.size(); }

  // --- their requests
  // Whether to answer an address request from `peer` now: at most once per
  // min_request_interval_ms (inclusive). A refused request is not counted; answering is. If
  // the clock has stepped back, the interval runs from the earlier time.
  bool allow_request(std::string_view peer, std::int64_t now_ms);
  // What to send in a reply: the live records in preference order, at most
  // max_records_per_reply, leaving out `requester` itself.
  std::vector<AddressRecord> reply_records(std::string_view requester, std::int64_t now_ms) const;

  // --- the table
  // A record from anywhere (bootstrap, a peer's announcement, a reply). Checks, in this order:
  // shape, self, expiry, duplicate, registry, signature, then the table.
  RecordResult add(const AddressRecord &record, std::int64_t now_ms);
  // A connection to the node succeeded: it counts as seen now.
  void touch(std::string_view node_id, std::int64_t now_ms);
  void remove(std::string_view node_id);
  void expire(std::int64_t now_ms);

  // The live records in preference order.
  std::vector<AddressRecord> records(std::int64_t now_ms) const;
  std::optional<AddressRecord> find(std::string_view node_id, std::int64_t now_ms) const;
  std::size_t size() const { return table_.size(); }
  // Whether to ask for more addresses: fewer than `target` live records.
  bool wants_more(std::int64_t now_ms) const;

private:
  struct Held {
    AddressRecord record;
    std::int64_t last_seen_ms = 0;
  };
  struct Rank {
    bool validator = false;
    std::int64_t last_seen_ms = 0;
    const std::string *node_id = nullptr;
  };
  Rank rank(const Held &held) const;
  static bool preferred(const Rank &a, const Rank &b);
  std::vector<const Held *> ordered(std::int64_t now_ms) const;

  struct Request {
    std::uint64_t request_id = 0;
    std::int64_t deadline_ms = 0;
  };

  const NodeRegistry &registry_;
  std::string self_id_;
  AddressBookLimits limits_;
  std::map<std::string, Held, std::less<>> table_;
  std::map<std::string, Request, std::less<>> outstanding_;
  std::map<std::string, std::int64_t, std::less<>> answered_; // peer -> last answered request
};

} // namespace mycelium::p2p
