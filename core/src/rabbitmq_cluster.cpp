#include "snet/rabbitmq_cluster.hpp"

#include <csignal>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <thread>

#include <unistd.h>

#include "snet/net.hpp"

namespace snet {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// Erlang cookies are printable; 32 letters from the OS's entropy.
std::string random_cookie() {
  std::random_device entropy;
  std::uniform_int_distribution<int> letter(0, 25);
  std::string cookie(32, 'A');
  for (char& c : cookie) c = static_cast<char>('A' + letter(entropy));
  return cookie;
}

std::string client_host(const std::string& bind_address) {
  return bind_address == "0.0.0.0" || bind_address == "::" ? "127.0.0.1" : bind_address;
}

}  // namespace

RabbitMqCluster::RabbitMqCluster(RabbitMqClusterOptions options, bool)
    : options_(std::move(options)) {
  if (options_.nodes < 1) throw std::invalid_argument("RabbitMQ cluster: nodes must be >= 1");
  if (options_.data_dir.empty()) throw std::invalid_argument("RabbitMQ cluster: data_dir is empty");
  fs::create_directories(options_.data_dir);
  RabbitMqOptions& base = options_.node;
  if (base.epmd_port == 0) base.epmd_port = free_port();
  if (options_.name_prefix.empty()) {
    options_.name_prefix =
        "snet-" + std::to_string(::getpid()) + "-" + std::to_string(base.epmd_port);
  }
  base.own_epmd = false;
  if (base.erlang_cookie.empty()) base.erlang_cookie = random_cookie();
  base.cluster_nodes.clear();
  const auto name_of = [&](int i) {
    return options_.name_prefix + "-" + std::to_string(i) + "@localhost";
  };
  for (int i = 1; i <= options_.nodes; ++i) {
    RabbitMqOptions node = base;
    node.node_name = name_of(i);
    node.data_dir = options_.data_dir + "/node-" + std::to_string(i);
    if (options_.fresh_data) fs::remove_all(fs::path(node.data_dir) / "mnesia");
    const bool first = i == 1;
    if (first) fresh_ = !fs::exists(fs::path(node.data_dir) / "mnesia");
    // The first node forms the cluster alone (no wait for peers); the others join it. Booted
    // together, a node could still be between boot steps when a peer created the vhost, and
    // kept that vhost down for good (logins refused: "vhost 'snet' is down").
    node.cluster_nodes = {name_of(1)};
    if (!first) node.cluster_nodes.push_back(node.node_name);
    node.amqp_port =
        first && options_.first_amqp_port != 0 ? options_.first_amqp_port : free_port();
    node.mqtt_port =
        first && options_.first_mqtt_port != 0 ? options_.first_mqtt_port : free_port();
    node.dist_port = 0;
    // TLS listeners when asked for: the first node on the ports given, as its plain ones.
    if (base.amqps_port != 0 && !first) node.amqps_port = free_port();
    if (base.mqtts_port != 0 && !first) node.mqtts_port = free_port();
    nodes_.push_back(RabbitMqServer::prepare(std::move(node)));
  }
  epmd_ =
      launch_epmd(base.epmd_port, client_host(base.bind_address), options_.data_dir + "/epmd.log");
}

std::unique_ptr<RabbitMqCluster> RabbitMqCluster::prepare(RabbitMqClusterOptions options) {
  return std::unique_ptr<RabbitMqCluster>(new RabbitMqCluster(std::move(options), true));
}

RabbitMqCluster::RabbitMqCluster(RabbitMqClusterOptions options, std::chrono::milliseconds timeout)
    : RabbitMqCluster(std::move(options), true) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& wave : boot_waves()) {
    for (const std::size_t i : wave) nodes_[i]->start();
    for (const std::size_t i : wave) {
      while (!nodes_[i]->ready()) {
        const bool exited = !nodes_[i]->process().running();
        if (exited || std::chrono::steady_clock::now() >= deadline) {
          const std::string why =
              exited ? " exited while starting"
                     : " did not join within " + std::to_string(timeout.count()) + " ms";
          const std::string log = nodes_[i]->log();
          stop();
          throw std::runtime_error(
              "RabbitMQ cluster node " + nodes_[i]->node_name() + why + "; its log:\n" +
              (log.size() > 6000 ? "..." + log.substr(log.size() - 6000) : log));
        }
        std::this_thread::sleep_for(50ms);  // polling a log file: no event exists to await
      }
    }
  }
}

std::vector<std::vector<std::size_t>> RabbitMqCluster::boot_waves() const {
  std::vector<std::size_t> all(nodes_.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  // On old data every node waits for the peers it last saw running: they start together.
  if (!fresh_ || all.size() < 2) return {all};
  return {{0}, std::vector<std::size_t>(all.begin() + 1, all.end())};
}

RabbitMqCluster::~RabbitMqCluster() {
  stop();
}

std::string RabbitMqCluster::hosts(int (RabbitMqServer::*port)() const) const {
  std::string out;
  for (const auto& node : nodes_) {
    if (!out.empty()) out += ",";
    out += client_host(options_.node.bind_address) + ":" + std::to_string(((*node).*port)());
  }
  return out;
}

std::string RabbitMqCluster::amqp_url() const {
  const RabbitMqOptions& base = options_.node;
  return "amqp://" + base.user + ":" + base.password + "@" + hosts(&RabbitMqServer::amqp_port) +
         "/" + base.vhost + "?queue-type=quorum";
}

std::string RabbitMqCluster::mqtt_url() const {
  return "mqtt://" + hosts(&RabbitMqServer::mqtt_port);
}

std::string RabbitMqCluster::amqps_url() const {
  const RabbitMqOptions& base = options_.node;
  if (base.amqps_port == 0) return "";
  return "amqps://" + base.user + ":" + base.password + "@" + hosts(&RabbitMqServer::amqps_port) +
         "/" + base.vhost + "?queue-type=quorum";
}

std::string RabbitMqCluster::mqtts_url() const {
  if (options_.node.mqtts_port == 0) return "";
  return "mqtts://" + hosts(&RabbitMqServer::mqtts_port);
}

std::size_t RabbitMqCluster::node_at(int amqp_port) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->amqp_port() == amqp_port) return i;
  }
  return nodes_.size();
}

void RabbitMqCluster::kill_node(std::size_t i) {
  ChildProcess& vm = node(i).process();
  if (!vm.running()) return;
  ::kill(-vm.pid(), SIGKILL);  // the VM and its helpers, as a crash would take them
  vm.stop();                   // reaps
}

void RabbitMqCluster::stop() {
  // Together: a node stopping alone waits for its peers' replies; they answer faster while
  // they are still up, and the last ones need no majority to shut down.
  for (auto& node : nodes_) {
    if (node->process().running()) ::kill(-node->process().pid(), SIGTERM);
  }
  for (auto& node : nodes_) node->stop();
  epmd_.stop();
}

}  // namespace snet
