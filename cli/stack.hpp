// The programs `snet up` supervises (supervisor.hpp): the broker the topology names
// (LocalBroker: mosquitto or RabbitMQ, with its data and persistence under the data dir) and the
// services (ServiceProgram: snet-state, snet-relayer, ... each logging to <log_dir>/<name>.log).
// Each is started again with the same command line, ports and data whenever the supervisor
// restarts it.
// Thread safety: one thread (the supervisor's owner).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "snet/broker_launcher.hpp"
#include "snet/process.hpp"
#include "snet/rabbitmq_cluster.hpp"
#include "snet/rabbitmq_launcher.hpp"
#include "snet/tls_files.hpp"
#include "snet/topology.hpp"
#include "supervisor.hpp"

namespace snet::cli {

/// Mosquitto, or RabbitMQ (AMQP plus its MQTT plugin) for "broker": "rabbitmq" topologies;
/// listening on `bind`, persisting under `data_dir`. Ready when it accepts connections.
class LocalBroker : public Runnable {
 public:
  struct Options {
    BrokerKind kind = BrokerKind::mosquitto;
    std::string bind = "127.0.0.1";
    std::vector<std::string> extra_binds;  // more addresses, same ports (the emulated core)
    int mqtt_port = 1883;                  // mosquitto, or RabbitMQ's MQTT plugin
    int amqp_port = 5672;                  // RabbitMQ only
    std::string data_dir;
    /// RabbitMQ: routing_fingerprint() of the topology. When it differs from the last run's in
    /// this data_dir the node starts with no queues: the durable queues' bindings of the old
    /// routing would misroute commands.
    std::string routing_fingerprint;
    /// Mosquitto: logins and ACL (broker_accounts.hpp), and the user it switches to as root.
    std::string password_file, acl_file, run_as;
    /// Mosquitto: appended to its configuration (a site broker's bridge: site_brokers.hpp).
    std::string extra_config;
    /// RabbitMQ: the logins' definitions (rabbitmq_accounts.hpp), the operator's login for
    /// url() and the MQTT plugin's anonymous login ("": anonymous refused). A change of
    /// logins_fingerprint, like one of the routing, starts the node afresh: users the
    /// definitions no longer name would otherwise stay in its database.
    std::string definitions_file, operator_user, operator_password, anonymous_password,
        logins_fingerprint;
    /// TLS listeners when `tls` has files (snet up --tls): MQTT over TLS on mqtts_port
    /// (mosquitto, or RabbitMQ's MQTT plugin) and, on RabbitMQ, AMQPS on amqps_port.
    TlsFiles tls;
    int mqtts_port = 8883, amqps_port = 5671;
    /// RabbitMQ: more than 1 starts a cluster of that many nodes (rabbitmq_cluster.hpp): the
    /// first on amqp_port and mqtt_port, the others on free ports, fresh data every run, quorum
    /// queues; url() and mqtt_url() then name every node. Run its nodes() instead of this.
    int nodes = 1;
  };
  /// Prepares its configuration; start() runs it. Throws std::runtime_error saying why not.
  explicit LocalBroker(const Options& options);
  const char* program() const { return rabbitmq_ ? "rabbitmq" : "mosquitto"; }
  /// What the services connect to: mqtt:// for mosquitto, amqp:// for RabbitMQ.
  std::string url() const;
  /// The MQTT listener (RabbitMQ: the plugin), for MQTT devices and mosquitto_pub.
  std::string mqtt_url() const;
  /// The TLS listeners ("" without): what url() and mqtt_url() are over TLS (amqps://,
  /// mqtts://).
  std::string tls_url() const;
  std::string tls_mqtt_url() const;

  void start() override;
  ChildProcess& process() override;
  bool ready(Micros started) override;
  std::string log_path() const override;

  /// A cluster's nodes, each to supervise as a service of its own (rabbitmq-1..N); empty for
  /// one broker. Each keeps the cluster's shared epmd alive while it exists.
  std::vector<std::unique_ptr<Runnable>> nodes() const;
  /// Which of nodes() to start together, each group once the one before runs
  /// (RabbitMqCluster::boot_waves); empty for one broker.
  std::vector<std::vector<std::size_t>> node_boot_waves() const;

 private:
  std::unique_ptr<MosquittoServer> mosquitto_;
  std::unique_ptr<RabbitMqServer> rabbitmq_;
  std::shared_ptr<RabbitMqCluster> cluster_;
};

/// One of our services: `argv` with `env` added, output appended to `log_path`; ready when
/// `ready(started)` says so.
class ServiceProgram : public Runnable {
 public:
  ServiceProgram(std::vector<std::string> argv, std::string log_path,
                 std::function<bool(Micros started)> ready,
                 std::map<std::string, std::string> env = {});
  void start() override;
  ChildProcess& process() override { return process_; }
  bool ready(Micros started) override { return ready_(started); }
  std::string log_path() const override { return log_path_; }

 private:
  std::vector<std::string> argv_;
  std::string log_path_;
  std::function<bool(Micros)> ready_;
  std::map<std::string, std::string> env_;
  ChildProcess process_;
};

/// "exited with status 1", "killed by signal 9".
std::string describe_exit(int wait_status);
/// The last `lines` lines of a text file (for telling why a service died).
std::string tail_of_file(const std::string& path, std::size_t lines);

}  // namespace snet::cli
