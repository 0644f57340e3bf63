// Starts a real RabbitMQ node (AMQP plus its MQTT plugin) as a child process for `snet up` and
// tests: configuration from broker-config/rabbitmq/, every port on loopback and free to choose,
// a node name of its own and its own epmd, so several nodes run side by side on one machine
// without touching a system-wide RabbitMQ. Everything the node writes goes under `data_dir`.
// Nothing outlives the owner process: epmd is our child in the foreground (not a daemon the node
// would start), the node is the Erlang VM exec'd in place of the start script, and both die
// with the owner (ChildProcess::Options::die_with_owner).
//
// Thread safety: one thread at a time per RabbitMqServer.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "snet/process.hpp"

namespace snet {

struct RabbitMqOptions {
  /// Folder with rabbitmq.conf (its listener and load_definitions lines are replaced),
  /// enabled_plugins and definitions.json. Empty: broker_config_dir() + "/rabbitmq".
  std::string config_dir;
  std::string bind_address = "127.0.0.1";
  /// More addresses its AMQP and MQTT listeners use, same ports (the emulated core bridge).
  std::vector<std::string> extra_bind_addresses;
  int amqp_port = 5672;
  int mqtt_port = 1883;
  /// TLS listeners when amqps_port is not 0: AMQPS there (and MQTT over TLS on mqtts_port when
  /// that is not 0) with this server certificate and key (snet/tls_files.hpp) and the CA that
  /// signed them; clients need no certificate of their own.
  int amqps_port = 0, mqtts_port = 0;
  std::string tls_ca_file, tls_cert_file, tls_key_file;
  int dist_port = 0;  // Erlang distribution (rabbitmqctl talks to it; loopback); 0: a free port
  int epmd_port = 0;  // the node's own epmd (loopback); 0: a free port
  /// false: an epmd on epmd_port is someone else's (a cluster's nodes must share one to find
  /// each other: RabbitMqCluster owns it); the node neither starts nor stops it.
  bool own_epmd = true;
  /// Not empty: the Erlang cookie, written before the node starts (a cluster's nodes and their
  /// rabbitmqctl must share one); empty: the node makes one of its own.
  std::string erlang_cookie;
  /// Not empty: the node is a cluster member, and these are the node names it forms or joins a
  /// cluster with at its first boot (itself included; classic config peer discovery: no
  /// rabbitmqctl join). MQTT sessions' queues are then quorum queues too, so a device's queued
  /// commands survive the loss of its node.
  std::vector<std::string> cluster_nodes;
  /// Unique per machine; empty: snet-<our pid>-<amqp port>@localhost.
  std::string node_name;
  std::string data_dir;  // config copy, database, Erlang cookie and log
  /// Credentials and vhost that definitions.json creates; used by amqp_url().
  std::string user = "snet", password = "snet", vhost = "snet";
  /// A definitions file of one's own (users, permissions: `snet up`'s per-data-dir logins)
  /// instead of config_dir's; copied, mode 0600. Empty: config_dir's (the development user).
  std::string definitions_file;
  /// With definitions_file: who the MQTT plugin's clients without a login act as (its
  /// rabbitmq.conf lines are replaced); an empty user means anonymous MQTT clients are refused.
  std::string mqtt_anonymous_user, mqtt_anonymous_password;
  /// Empty: $SNET_RABBITMQ_BIN (a folder holding both), else /usr/lib/rabbitmq/bin (the Debian
  /// scripts that run as the current user, unlike /usr/sbin's wrappers), else the PATH.
  std::string server_executable, ctl_executable;
};

/// Starts epmd (Erlang's port mapper) in the foreground on address:port, as our child; waits
/// until it listens. Throws std::runtime_error with its log when it does not within 5 s.
ChildProcess launch_epmd(int port, const std::string& address, const std::string& log_path);

class RabbitMqServer {
 public:
  /// Starts epmd and the node and waits until it has booted and both the AMQP and the MQTT port
  /// accept connections. Throws std::runtime_error with the node's log when it does not within
  /// `timeout` (a fresh node needs 5-15 s: the MQTT plugin waits for cluster peers first).
  explicit RabbitMqServer(RabbitMqOptions options,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));
  /// Writes the node's files but starts nothing: start() and ready() drive it (for a
  /// supervisor that restarts the node on the same ports and database).
  static std::unique_ptr<RabbitMqServer> prepare(RabbitMqOptions options);
  ~RabbitMqServer();
  RabbitMqServer(const RabbitMqServer&) = delete;
  RabbitMqServer& operator=(const RabbitMqServer&) = delete;

  int amqp_port() const { return options_.amqp_port; }
  int mqtt_port() const { return options_.mqtt_port; }
  int amqps_port() const { return options_.amqps_port; }  // 0: no TLS listener
  int mqtts_port() const { return options_.mqtts_port; }
  int dist_port() const { return options_.dist_port; }
  int epmd_port() const { return options_.epmd_port; }
  const std::string& node_name() const { return options_.node_name; }
  /// amqp://user:password@host:port/vhost
  std::string amqp_url() const;
  /// amqps://user:password@host:amqps_port/vhost and mqtts://host:mqtts_port ("" without them)
  std::string amqps_url() const;
  std::string mqtts_url() const;
  /// mqtt://host:port (the MQTT plugin; anonymous clients act as the configured default user)
  std::string mqtt_url() const;
  /// How long the last (re)start took until the node was ready.
  std::chrono::milliseconds start_duration() const { return start_duration_; }
  /// The node's process: the Erlang VM itself (rabbitmq-server, erl and erlexec exec it), so
  /// signals reach it directly and it dies with its owner. Its helpers (erl_child_setup,
  /// inet_gethost) exit when it does.
  ChildProcess& process() { return node_; }
  ChildProcess& epmd() { return epmd_; }
  const std::string& log_path() const { return log_path_; }

  /// Starts epmd (unless it runs) and a node process without waiting (the previous node must
  /// have exited); throws std::runtime_error when either cannot be started.
  void start();
  /// Whether the node started last has booted and accepts AMQP and MQTT connections.
  bool ready();

  /// Stops the node gracefully and starts it again on the same ports and database (durable
  /// queues and persistent messages survive; for broker-restart tests).
  void restart(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  /// Stops the node (SIGTERM to its process group: RabbitMQ shuts down cleanly; SIGKILL after
  /// `grace`) and then its epmd. Idempotent; the destructor calls it.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(30));

  struct CtlResult {
    int exit_code = -1;  // -1: did not finish within the timeout
    std::string output;  // stdout and stderr
  };
  /// Runs `rabbitmqctl -n <node> args...` against this node (e.g. {"list_connections"}).
  CtlResult rabbitmqctl(const std::vector<std::string>& args,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30));
  /// The node's log so far (for error messages and failed tests).
  std::string log() const;

 private:
  struct Prepared {};
  RabbitMqServer(RabbitMqOptions options, Prepared);
  void start_epmd();
  void launch_node(std::chrono::milliseconds timeout);
  void stop_node(std::chrono::milliseconds grace);
  std::map<std::string, std::string> environment() const;

  RabbitMqOptions options_;
  std::string log_path_;
  std::chrono::milliseconds start_duration_{0};
  int ctl_runs_ = 0;
  std::uintmax_t log_offset_ = 0;  // where the log of the node started last begins
  bool booted_ = false;            // that node logged its boot
  ChildProcess epmd_;
  ChildProcess node_;
};

}  // namespace snet
