// The one exception type the core throws. It carries a SQLSTATE (a SQL-standard code, not a
// PostgreSQL type) so the extension can report each failure with its own code, and the CLI and
// the agent can show the same code a server would.
#pragma once

#include <stdexcept>
#include <string>

namespace mycelium {

// SQLSTATEs Mycelium raises. Class MC is Mycelium's own (README, "Errors"); the others are
// standard codes used with their standard meaning.
namespace sqlstate {
inline constexpr const char *kInvalidParameterValue = "22023";
// A time outside what PostgreSQL or a Unix-microsecond int64 can hold (unix_time.hpp).
inline constexpr const char *kDatetimeFieldOverflow = "22008";
inline constexpr const char *kInternalError = "XX000";
inline constexpr const char *kNullValueNotAllowed = "22004";
inline constexpr const char *kObjectNotInPrerequisiteState = "55000";
inline constexpr const char *kConfigurationLimitExceeded = "53400";
inline constexpr const char *kFeatureNotSupported = "0A000";
inline constexpr const char *kUndefinedObject = "42704";
inline constexpr const char *kDuplicateObject = "42710";
inline constexpr const char *kDependentObjectsStillExist = "2BP01";
inline constexpr const char *kCardinalityViolation = "21000";
inline constexpr const char *kSignatureInvalid = "MC001";
inline constexpr const char *kUnknownSigner = "MC002";
inline constexpr const char *kInactiveSigner = "MC003";
inline constexpr const char *kSignerNotValidator = "MC004";
inline constexpr const char *kSignerNotResponsible = "MC005";
inline constexpr const char *kStaleVersion = "MC006";
inline constexpr const char *kVersionGap = "MC007";
inline constexpr const char *kImmutableColumn = "MC008";
inline constexpr const char *kUnsignedDelete = "MC009";
inline constexpr const char *kAuditLogAppendOnly = "MC010";
inline constexpr const char *kNothingToDelete = "MC011";
inline constexpr const char *kNotPrimary = "MC012";
inline constexpr const char *kReplicaRefused = "MC013";
inline constexpr const char *kNoPeerCredentials = "MC014";
// This node cannot sign its audit entries: no node key configured, or the key is not the one
// registered for the local node.
inline constexpr const char *kNoNodeKey = "MC015";
// A node an admin operation targets (a replica, a peer to attach) is deactivated; signers that
// are not active get kInactiveSigner instead.
inline constexpr const char *kInactiveNode = "MC016";
// detach_remote_shard on a shard that is this node's primary or replica, not an attached remote.
inline constexpr const char *kNotRemoteShard = "MC017";
// Peer handshake (protocol/handshake.hpp): bad or out-of-order bytes, and failed authentication.
inline constexpr const char *kProtocolViolation = "08P01";
inline constexpr const char *kInvalidAuthorization = "28000";
} // namespace sqlstate

class Error : public std::runtime_error {
public:
  Error(const char *sqlstate, const std::string &message, std::string detail = {})
      : std::runtime_error(message), sqlstate_(sqlstate), detail_(std::move(detail)) {}

  // Five characters, [0-9A-Z].
  const char *sqlstate() const noexcept { return sqlstate_; }
  const std::string &detail() const noexcept { return detail_; }

private:
  const char *sqlstate_;
  std::string detail_;
};

} // namespace mycelium
