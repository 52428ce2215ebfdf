// put and delete: both write the key's next version, signed, in one transaction with the read of
// the current version, and retry when another writer took that version first.
#include "commands.hpp"
#include "db.hpp"
#include "refusals.hpp"

#include "mycelium/canonical_json.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/key_file.hpp"
#include "mycelium/signing.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <optional>
#include <random>
#include <thread>

namespace mycelium::cli {

namespace {

constexpr int kMaxAttempts = 5;

struct SignedWrite {
  std::string action; // "put" or "delete", for messages
  std::string shard;
  std::string key;
  Signer signer; // the node named with --node-id and the key file used
  // The signing payload for a version, and the SQL with its parameters for that version and
  // the signature's hex.
  std::function<Bytes(std::int64_t version)> payload;
  const char *sql;
  std::function<pgclient::Params(std::int64_t version, const std::string &signature)> params;
};

// SQLSTATEs after which a write is retried with a fresh version: the extension's stale version
// (someone else wrote the key between our read and our write), and the two ways PostgreSQL
// reports the same race under default_transaction_isolation = serializable or when two writers
// lock in opposite orders.
bool is_retryable(const pgclient::Error &e) {
  return e.sqlstate() == sqlstate::kStaleVersion || e.sqlstate() == "40001" ||
         e.sqlstate() == "40P01";
}

// Randomised, growing pauses, so that writers that collided do not collide again in lockstep.
void back_off(int attempt) {
  static std::minstd_rand random{std::random_device{}()};
  std::uniform_int_distribution<int> ms(0, 10 << attempt);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms(random)));
}

std::int64_t parse_current_version(const Result &result, const std::string &what) {
  if (result.rows() != 1 || result.columns() != 1)
    throw Failure("reading the current version of " + what + ": unexpected reply (" +
                  std::to_string(result.rows()) + " rows)");
  // NULL is taken as "never written", like 0: the server checks the version of every write
  // anyway, so this cannot make a wrong write succeed.
  if (result.is_null(0, 0))
    return 0;
  const std::string text = result.text(0, 0);
  try {
    std::size_t used = 0;
    const long long version = std::stoll(text, &used);
    if (used == text.size() && version >= 0)
      return version;
  } catch (const std::exception &) {
  }
  throw Failure("reading the current version of " + what + ": unexpected reply '" + text + "'");
}

// An elected shard's write refused because this node is not (or not yet, or no longer) its
// primary (MC012): where the database says the primary is, for write_following().
struct NotPrimary {
  std::string refusal;      // the database's message
  std::string primary_node; // the shard's primary by the latest epoch applied here ("" unknown)
  std::string local_node;   // the node the connection reached
};

// Returns the version written.
std::int64_t write(Connection &db, const SecretKey &secret, const SignedWrite &w) {
  const std::string what = w.shard + "/" + w.key;
  for (int attempt = 1;; ++attempt) {
    // Which step a database error belongs to, for its message.
    std::string step = "starting the transaction";
    try {
      db.begin();
      step = "reading the current version of " + what;
      const std::int64_t version =
          parse_current_version(
              db.exec("SELECT mycelium.current_version($1, $2)", {w.shard, w.key}), what) +
          1;
      // put_payload/delete_payload refuse a version beyond 2^31-1 (Error 22023).
      const Signature signature = secret.sign(w.payload(version));
      step = w.action;
      db.exec(w.sql, w.params(version, to_hex(signature.data(), signature.size())));
      step = "committing the " + w.action;
      db.commit();
      return version;
    } catch (const pgclient::Error &e) {
      db.rollback();
      if (is_retryable(e) && attempt < kMaxAttempts) {
        back_off(attempt);
        continue;
      }
      if (e.sqlstate() == sqlstate::kNotPrimary) {
        const pgclient::Rows where =
            db.query("SELECT s.primary_node, l.node_id FROM mycelium.shards s "
                     "CROSS JOIN mycelium.local_node l WHERE s.shard_id = $1 AND s.elected",
                     {w.shard});
        if (!where.empty())
          throw NotPrimary{e.describe(step), where[0][0].value_or(""), where[0][1].value_or("")};
      }
      // current_version reads 0 for a shard that does not exist; the write is what refuses it.
      if (e.sqlstate() == sqlstate::kUndefinedObject && !shard_exists(db, w.shard))
        throw Failure(w.action + ": " + unknown_shard(w.shard));
      // Another node's key file is the commonest cause of MC001: say which key it holds.
      std::string message = e.describe(step) + explain_signer_refusal(db, e, w.signer);
      if (is_retryable(e))
        message += " (gave up after " + std::to_string(attempt) + " attempts)";
      throw Failure(message);
    } catch (...) {
      db.rollback();
      throw;
    }
  }
}

// write(), following an elected shard's primary (CONSENSUS.md, "Elected shards"): a node that
// is not the primary names it (MC012), and the write goes there, through the same DSN with the
// primary's registered host, port and database. While a group is electing (the primary named is
// the node itself, or nobody), it waits and asks again, for up to ~10 s. Each hop is said on
// stderr.
std::int64_t write_following(const std::string &dsn, const SecretKey &secret,
                             const SignedWrite &w) {
  constexpr int kMaxTries = 20;
  pgclient::Overrides target;
  // One connection per node: waiting for an election asks the same node again on it.
  std::optional<Connection> connection;
  for (int attempt = 1;; ++attempt) {
    if (!connection)
      connection.emplace(connect_database(dsn, target));
    Connection &db = *connection;
    try {
      return write(db, secret, w);
    } catch (const NotPrimary &np) {
      if (attempt >= kMaxTries)
        throw Failure(np.refusal + " (gave up following the primary after " +
                      std::to_string(attempt) + " attempts)");
      if (np.primary_node.empty() || np.primary_node == np.local_node) {
        // Electing: a new epoch is on its way here or elsewhere.
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        continue;
      }
      const pgclient::Rows node =
          db.query("SELECT ip, port::text, dbname FROM mycelium.node_metadata WHERE node_id = $1",
                   {np.primary_node});
      if (node.empty() || !node[0][0] || !node[0][1] || !node[0][2])
        throw Failure(np.refusal + " (the primary \"" + np.primary_node +
                      "\" is not registered here, so its address is unknown)");
      target = {{"host", *node[0][0]}, {"port", *node[0][1]}, {"dbname", *node[0][2]}};
      connection.reset();
      std::cerr << np.refusal << "\n"
                << w.action << ": following shard " << w.shard << "'s primary " << np.primary_node
                << " at " << *node[0][0] << ":" << *node[0][1] << "\n";
    }
  }
}

// --value's canonical JSON. The commonest slip is a bare word: the shell takes the quotes of
// --value "hello", so JSON sees hello. The message shows how to pass a string.
std::string canonical_value(const std::string &text) {
  try {
    return canonical_json(text, "--value");
  } catch (const Error &e) {
    // The user's own text in the example, where it can go between single quotes as it is.
    const bool quotable = !text.empty() && text.size() <= 40 &&
                          text.find_first_of("'\"\\{}[]") == std::string::npos &&
                          std::none_of(text.begin(), text.end(), [](char c) {
                            return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
                          });
    const std::string example = quotable ? text : "text";
    throw Failure(std::string(e.what()) +
                  "; the value must be JSON (an object, array, number, true, false, null or a "
                  "string in double quotes): to store the string " +
                  example + ", pass --value '\"" + example + "\"'");
  }
}

} // namespace

int run_put(const Options &options) {
  // Refuse a bad value and a bad key file before connecting: neither needs the database.
  const std::string value = canonical_value(options.get("value"));
  const SecretKey secret = read_key_file(options.get("key-file"));

  SignedWrite w;
  w.action = "put";
  w.shard = options.get("shard");
  w.key = options.get("key");
  w.signer = {options.get("node-id"), options.get("key-file"), secret.public_key()};
  w.payload = [&](std::int64_t version) {
    return put_payload(w.shard, w.key, version, w.signer.node_id, value);
  };
  w.sql = "SELECT mycelium.put($1, $2, $3::jsonb, $4::int, $5, $6)";
  // The canonical text, exactly what was signed.
  w.params = [&](std::int64_t version, const std::string &signature) {
    return pgclient::Params{w.shard,          w.key,    value, std::to_string(version),
                            w.signer.node_id, signature};
  };

  const std::int64_t version = write_following(options.get_or("dsn", ""), secret, w);
  std::cout << "put " << w.shard << "/" << w.key << " version " << version << "\n";
  return kExitOk;
}

int run_delete(const Options &options) {
  const SecretKey secret = read_key_file(options.get("key-file"));

  SignedWrite w;
  w.action = "delete";
  w.shard = options.get("shard");
  w.key = options.get("key");
  w.signer = {options.get("node-id"), options.get("key-file"), secret.public_key()};
  w.payload = [&](std::int64_t version) {
    return delete_payload(w.shard, w.key, version, w.signer.node_id);
  };
  w.sql = "SELECT mycelium.delete($1, $2, $3::int, $4, $5)";
  w.params = [&](std::int64_t version, const std::string &signature) {
    return pgclient::Params{w.shard, w.key, std::to_string(version), w.signer.node_id, signature};
  };

  const std::int64_t version = write_following(options.get_or("dsn", ""), secret, w);
  std::cout << "delete " << w.shard << "/" << w.key << " version " << version << "\n";
  return kExitOk;
}

} // namespace mycelium::cli
