// A RabbitMQ cluster on one machine for `snet up --rabbitmq-nodes N` and tests: N nodes
// (RabbitMqServer) with unique names and ports, one shared Erlang cookie and one shared epmd
// (nodes find each other through it), formed at first boot by classic config peer discovery:
// the first node alone, then the others join it.
// Clients get every node in one URL (amqp://u:p@h:p1,h:p2,h:p3/v?queue-type=quorum) and fail
// over between them; durable queues are quorum queues, replicated on every node.
//
// A cluster whose nodes all restart on old data waits ~2 min for the MQTT plugin's client-id
// tracker to elect a leader: start from fresh data dirs (`fresh_data`) unless that wait is fine.
//
// Thread safety: one thread at a time per RabbitMqCluster.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "snet/process.hpp"
#include "snet/rabbitmq_launcher.hpp"

namespace snet {

struct RabbitMqClusterOptions {
  int nodes = 3;
  /// Every node's settings but its ports, node name and data dir (chosen here: free ports,
  /// <name_prefix>-<i>@localhost, data_dir/node-<i>). Its epmd_port: the shared epmd's (0: free).
  RabbitMqOptions node;
  std::string data_dir;
  /// Empty: snet-<our pid>-<epmd port>.
  std::string name_prefix;
  /// The first node's AMQP and MQTT ports (what a user gives mosquitto_pub); 0: free ones. The
  /// other nodes take free ports.
  int first_amqp_port = 0, first_mqtt_port = 0;
  /// Drop each node's database before the first start (a fresh cluster boots in ~15 s here).
  bool fresh_data = true;
};

class RabbitMqCluster {
 public:
  /// Starts the epmd and the nodes in boot_waves() order and waits until all accept AMQP and
  /// MQTT. Throws std::runtime_error naming the node that did not, with its log.
  explicit RabbitMqCluster(RabbitMqClusterOptions options,
                           std::chrono::milliseconds timeout = std::chrono::seconds(180));
  /// Writes every node's files and starts the shared epmd, no node (a supervisor starts each
  /// node as its own service: node(i).start(), node(i).ready()).
  static std::unique_ptr<RabbitMqCluster> prepare(RabbitMqClusterOptions options);
  ~RabbitMqCluster();
  RabbitMqCluster(const RabbitMqCluster&) = delete;
  RabbitMqCluster& operator=(const RabbitMqCluster&) = delete;

  std::size_t size() const { return nodes_.size(); }
  RabbitMqServer& node(std::size_t i) { return *nodes_.at(i); }
  /// Every node, in order: amqp://user:password@h:p1,h:p2/vhost?queue-type=quorum
  std::string amqp_url() const;
  /// mqtt://h:q1,h:q2,... (the nodes' MQTT plugin)
  std::string mqtt_url() const;
  /// Every node's TLS listeners, likewise (amqps://...?queue-type=quorum, mqtts://h:q1,...);
  /// "" without them (node.amqps_port / mqtts_port 0). The first node listens on the ports
  /// given in `node`, the others on free ones.
  std::string amqps_url() const;
  std::string mqtts_url() const;
  /// The order to start the nodes in, each wave once the one before is ready: a fresh cluster
  /// the first node alone, then the others (they join it); on old data all at once.
  std::vector<std::vector<std::size_t>> boot_waves() const;
  /// The node whose AMQP port is `amqp_port`, or size() when none is.
  std::size_t node_at(int amqp_port) const;
  /// SIGKILL to node i's VM (a crash: no clean shutdown, nothing flushed), reaped.
  void kill_node(std::size_t i);

  /// Stops every node, then the epmd. Idempotent; the destructor calls it.
  void stop();

 private:
  explicit RabbitMqCluster(RabbitMqClusterOptions options, bool);
  /// h:p1,h:p2,... of every node's `port`.
  std::string hosts(int (RabbitMqServer::*port)() const) const;
  RabbitMqClusterOptions options_;
  bool fresh_ = true;  // the first node has no database yet
  ChildProcess epmd_;
  std::vector<std::unique_ptr<RabbitMqServer>> nodes_;
};

}  // namespace snet
