// The processes `snet up` runs: the broker the topology names (LocalBroker), and the services as
// child processes started in order and stopped in reverse order (the agents before the relayer
// before the state service), each logging to <log_dir>/<name>.log.
// Thread safety: one thread.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "snet/broker_launcher.hpp"
#include "snet/process.hpp"
#include "snet/rabbitmq_launcher.hpp"
#include "snet/topology.hpp"

namespace snet::cli {

/// Mosquitto, or RabbitMQ (AMQP plus its MQTT plugin) for "broker": "rabbitmq" topologies;
/// listening on `bind`, persisting under `data_dir`, stopped with the object.
class LocalBroker {
 public:
  struct Options {
    BrokerKind kind = BrokerKind::mosquitto;
    std::string bind = "127.0.0.1";
    int mqtt_port = 1883;  // mosquitto, or RabbitMQ's MQTT plugin
    int amqp_port = 5672;  // RabbitMQ only
    std::string data_dir;
    /// RabbitMQ: text that changes whenever the topology's routing does. When it differs from
    /// the last run's in this data_dir the node starts with no queues: the durable queues'
    /// bindings of the old routing would misroute commands.
    std::string routing_fingerprint;
  };
  /// Starts it and waits until it accepts connections; throws std::runtime_error saying why not.
  explicit LocalBroker(const Options& options);
  const char* name() const { return rabbitmq_ ? "rabbitmq" : "mosquitto"; }
  /// What the services connect to: mqtt:// for mosquitto, amqp:// for RabbitMQ.
  std::string url() const;
  /// The MQTT listener (RabbitMQ: the plugin), for MQTT devices and mosquitto_pub.
  std::string mqtt_url() const;
  std::string log_path() const { return log_path_; }
  bool running();
  void stop();

 private:
  std::optional<MosquittoServer> mosquitto_;
  std::optional<RabbitMqServer> rabbitmq_;
  std::string log_path_;
};

class Stack {
 public:
  explicit Stack(std::string log_dir) : log_dir_(std::move(log_dir)) {}
  ~Stack() { stop_all(); }
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  /// Starts `argv` as the service `name`; throws std::system_error when it cannot be started.
  void start(const std::string& name, std::vector<std::string> argv);
  /// "<name> exited with status N" for the first child that is no longer running.
  std::optional<std::string> find_dead();
  /// Stops every child, last started first; each gets `grace` to exit before SIGKILL.
  void stop_all(std::chrono::milliseconds grace = std::chrono::seconds(10));
  std::string log_path(const std::string& name) const { return log_dir_ + "/" + name + ".log"; }
  std::vector<pid_t> pids() const;

 private:
  std::string log_dir_;
  std::vector<std::pair<std::string, ChildProcess>> children_;
};

/// "exited with status 1", "killed by signal 9".
std::string describe_exit(int wait_status);
/// The last `lines` lines of a text file (for telling why a service died).
std::string tail_of_file(const std::string& path, std::size_t lines);

}  // namespace snet::cli
