// Internal to core/src/protocol: the flatc-generated code (built from schemas/mycelium.fbs into
// the build tree, never committed) and helpers shared by the encoder and the decoder.
#pragma once

#include "mycelium/protocol/messages.hpp"
#include "mycelium/wire/mycelium_generated.h"

#include <cstddef>
#include <utility>
#include <variant>

namespace mycelium::protocol::detail {

// The Payload alternatives follow the union, so type number = variant index + 1.
inline wire::Message wire_type(const Payload &payload) {
  return static_cast<wire::Message>(payload.index() + 1);
}

// The flatbuffers table of each Payload alternative.
template <typename T> struct WireTable;
template <> struct WireTable<HandshakeMsg> { using type = wire::Handshake; };
template <> struct WireTable<HandshakeResponseMsg> { using type = wire::HandshakeResponse; };
template <> struct WireTable<Ping> { using type = wire::Ping; };
template <> struct WireTable<Pong> { using type = wire::Pong; };
template <> struct WireTable<Gossip> { using type = wire::Gossip; };
template <> struct WireTable<Status> { using type = wire::Status; };
template <> struct WireTable<DBSyncReq> { using type = wire::DBSyncReq; };
template <> struct WireTable<DBSyncResp> { using type = wire::DBSyncResp; };
template <> struct WireTable<BlacklistSync> { using type = wire::BlacklistSync; };
template <> struct WireTable<AddressRequest> { using type = wire::AddressRequest; };
template <> struct WireTable<AddressReply> { using type = wire::AddressReply; };
template <> struct WireTable<AddressAnnounce> { using type = wire::AddressAnnounce; };
template <> struct WireTable<RaftMessage> { using type = wire::RaftMessage; };

template <std::size_t... I> constexpr bool payload_matches_union(std::index_sequence<I...>) {
  return ((wire::MessageTraits<
               typename WireTable<std::variant_alternative_t<I, Payload>>::type>::enum_value ==
           static_cast<wire::Message>(I + 1)) &&
          ...);
}

static_assert(static_cast<std::size_t>(wire::Message::MAX) == std::variant_size_v<Payload> &&
                  payload_matches_union(std::make_index_sequence<std::variant_size_v<Payload>>()),
              "Payload must list the schema's Message union members in their order");

} // namespace mycelium::protocol::detail
