// The agent: authenticated links to peer agents, the DB sync pull path, keep-alives and
// redials, and the HTTP status surface. Runs on one libuv loop; database work runs on the
// Database thread and comes back to the loop.
#pragma once

#include "config.hpp"
#include "database.hpp"
#include "metrics.hpp"
#include "node_status.hpp"
#include "transport.hpp"

#include "mycelium/ed25519.hpp"
#include "mycelium/protocol/envelope.hpp"
#include "mycelium/protocol/handshake.hpp"
#include "mycelium/protocol/replay_guard.hpp"
#include "mycelium/protocol/secure_channel.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

typedef struct uv_timer_s uv_timer_t;

namespace mycelium::agent {

class Agent : public TransportHandler {
public:
  Agent(uv_loop_t *loop, AgentConfig config, SecretKey key);
  ~Agent() override;

  // Checks the node's identity against mycelium.node_metadata, then listens and dials.
  void start();
  // Closes every link and stops; the loop ends once its handles are closed.
  void stop();
  // 0 while running or after a clean stop; nonzero after a fatal start-up error.
  int exit_code() const { return exit_code_; }
  bool stopped() const { return stopping_; }

  void on_open(ConnId id, bool outgoing, bool json, const std::string &remote) override;
  void on_frame(ConnId id, const Bytes &frame) override;
  void on_close(ConnId id) override;
  void on_connect_failed(ConnId id, const std::string &reason) override;
  HttpResponse on_http(const std::string &path) override;

private:
  struct Link;
  struct Dial {
    Peer peer;
    ConnId conn = 0;
    std::int64_t next_ms = 0;
    int backoff_ms = 0;
  };
  struct NodeInfo {
    std::string public_key;
    std::string node_type;
    bool active = false;
    double stake = 0;
  };

  void tick();
  void refresh_registry();
  bool admit(const std::string &node_id, const PublicKey &key);
  void on_handshake_message(Link &link, const protocol::Payload &payload);
  void on_session(Link &link, const protocol::Session &session);
  void on_message(Link &link, const protocol::Envelope &envelope);
  void reject(Link &link, const std::string &reason, const std::string &detail);
  void send(Link &link, protocol::Payload payload);
  void send_raw_envelope(Link &link, const protocol::Envelope &envelope);
  void request_sync(Link &link);
  void serve_sync(Link &link, const protocol::DBSyncReq &request);
  void apply_sync(Link &link, protocol::DBSyncResp response);
  void lost(ConnId id);
  std::vector<std::string> features() const;
  NodeStatus status() const;

  uv_loop_t *loop_;
  AgentConfig config_;
  SecretKey key_;
  AgentMetrics metrics_;
  Database db_;
  std::unique_ptr<Transport> transport_;
  uv_timer_t *timer_ = nullptr;
  std::map<ConnId, std::unique_ptr<Link>> links_;
  std::vector<Dial> dials_;
  std::map<std::string, NodeInfo> registry_;
  protocol::ReplayGuard replay_guard_;
  NodeStatus::Time started_at_;
  std::optional<NodeStatus::Time> last_sync_, last_heartbeat_;
  CpuMeter cpu_;
  std::int64_t last_registry_ms_ = 0;
  std::int64_t last_sync_round_ms_ = 0;
  std::uint64_t next_request_id_ = 1;
  bool running_ = false;
  bool stopping_ = false;
  int exit_code_ = 0;
};

} // namespace mycelium::agent
