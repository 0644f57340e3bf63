#include "stack.hpp"

#include <sys/wait.h>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "broker_accounts.hpp"
#include "snet/log.hpp"

namespace snet::cli {
namespace {
namespace fs = std::filesystem;

// Drops the node's database (queues, bindings) when the routing changed since its last run.
void forget_stale_queues(const std::string& data_dir, const std::string& now) {
  const fs::path marker = fs::path(data_dir) / "routing.fingerprint";
  std::string before;
  std::ifstream(marker) >> before;
  const fs::path database = fs::path(data_dir) / "mnesia";
  if (before != now && fs::exists(database)) {
    log::info(
        "the topology's routing changed since the last run: RabbitMQ starts without the "
        "old queues and bindings");
    fs::remove_all(database);
  }
  fs::create_directories(data_dir);
  std::ofstream(marker) << now << "\n";
}

// One node of a cluster as the supervisor sees it; the shared cluster outlives every node.
class ClusterNode : public Runnable {
 public:
  ClusterNode(std::shared_ptr<RabbitMqCluster> cluster, std::size_t index)
      : cluster_(std::move(cluster)), node_(cluster_->node(index)) {}
  void start() override { node_.start(); }
  ChildProcess& process() override { return node_.process(); }
  bool ready(Micros /*started*/) override { return node_.ready(); }
  std::string log_path() const override { return node_.log_path(); }

 private:
  std::shared_ptr<RabbitMqCluster> cluster_;
  RabbitMqServer& node_;
};

}  // namespace

LocalBroker::LocalBroker(const Options& options) {
  if (options.kind == BrokerKind::rabbitmq) {
    RabbitMqOptions rabbit;
    rabbit.bind_address = options.bind;
    rabbit.extra_bind_addresses = options.extra_binds;
    rabbit.amqp_port = options.amqp_port;
    rabbit.mqtt_port = options.mqtt_port;
    rabbit.data_dir = options.data_dir + "/rabbitmq";
    if (!options.tls.ca_cert.empty()) {
      rabbit.amqps_port = options.amqps_port;
      rabbit.mqtts_port = options.mqtts_port;
      rabbit.tls_ca_file = options.tls.ca_cert;
      rabbit.tls_cert_file = options.tls.server_cert;
      rabbit.tls_key_file = options.tls.server_key;
    }
    if (!options.definitions_file.empty()) {
      rabbit.definitions_file = options.definitions_file;
      rabbit.user = options.operator_user;
      rabbit.password = options.operator_password;
      if (!options.anonymous_password.empty()) {
        rabbit.mqtt_anonymous_user = kAnonymousUser;
        rabbit.mqtt_anonymous_password = options.anonymous_password;
      }
    }
    if (options.nodes > 1) {
      RabbitMqClusterOptions cluster;
      cluster.nodes = options.nodes;
      cluster.data_dir = options.data_dir + "/rabbitmq-cluster";
      cluster.first_amqp_port = options.amqp_port;
      cluster.first_mqtt_port = options.mqtt_port;
      cluster.fresh_data = true;  // a whole cluster restarted on old data boots in ~2 min
      rabbit.data_dir.clear();
      cluster.node = rabbit;
      cluster_ = RabbitMqCluster::prepare(std::move(cluster));
      return;
    }
    forget_stale_queues(rabbit.data_dir,
                        options.routing_fingerprint + "+logins:" + options.logins_fingerprint);
    rabbitmq_ = RabbitMqServer::prepare(rabbit);
  } else {
    MosquittoOptions mosquitto;
    mosquitto.port = options.mqtt_port;
    mosquitto.bind_address = options.bind;
    mosquitto.extra_bind_addresses = options.extra_binds;
    mosquitto.data_dir = options.data_dir + "/mosquitto";
    mosquitto.password_file = options.password_file;
    mosquitto.acl_file = options.acl_file;
    mosquitto.run_as = options.run_as;
    mosquitto.extra_config = options.extra_config;
    if (!options.tls.ca_cert.empty()) {
      mosquitto.tls_port = options.mqtts_port;
      mosquitto.tls_ca_file = options.tls.ca_cert;
      mosquitto.tls_cert_file = options.tls.server_cert;
      mosquitto.tls_key_file = options.tls.server_key;
    }
    mosquitto_ = MosquittoServer::prepare(mosquitto);
  }
}

std::string LocalBroker::url() const {
  if (cluster_) return cluster_->amqp_url();
  return rabbitmq_ ? rabbitmq_->amqp_url() : mosquitto_->url();
}

std::string LocalBroker::mqtt_url() const {
  if (cluster_) return cluster_->mqtt_url();
  return rabbitmq_ ? rabbitmq_->mqtt_url() : mosquitto_->url();
}

std::vector<std::unique_ptr<Runnable>> LocalBroker::nodes() const {
  std::vector<std::unique_ptr<Runnable>> out;
  for (std::size_t i = 0; cluster_ && i < cluster_->size(); ++i) {
    out.push_back(std::make_unique<ClusterNode>(cluster_, i));
  }
  return out;
}

std::vector<std::vector<std::size_t>> LocalBroker::node_boot_waves() const {
  return cluster_ ? cluster_->boot_waves() : std::vector<std::vector<std::size_t>>{};
}

std::string LocalBroker::tls_url() const {
  if (cluster_) return cluster_->amqps_url();
  return rabbitmq_ ? rabbitmq_->amqps_url() : mosquitto_->tls_url();
}

std::string LocalBroker::tls_mqtt_url() const {
  if (cluster_) return cluster_->mqtts_url();
  return rabbitmq_ ? rabbitmq_->mqtts_url() : mosquitto_->tls_url();
}

void LocalBroker::start() {
  if (rabbitmq_) {
    rabbitmq_->start();
  } else {
    mosquitto_->start();
  }
}

ChildProcess& LocalBroker::process() {
  return rabbitmq_ ? rabbitmq_->process() : mosquitto_->process();
}

bool LocalBroker::ready(Micros /*started*/) {
  return rabbitmq_ ? rabbitmq_->ready() : mosquitto_->accepting();
}

std::string LocalBroker::log_path() const {
  return rabbitmq_ ? rabbitmq_->log_path() : mosquitto_->log_path();
}

ServiceProgram::ServiceProgram(std::vector<std::string> argv, std::string log_path,
                               std::function<bool(Micros started)> ready,
                               std::map<std::string, std::string> env)
    : argv_(std::move(argv)),
      log_path_(std::move(log_path)),
      ready_(std::move(ready)),
      env_(std::move(env)) {}

void ServiceProgram::start() {
  ChildProcess::Options options;
  options.env = env_;
  options.stdout_path = log_path_;
  options.stderr_path = "=stdout";
  options.new_process_group = true;  // a terminal's Ctrl-C reaches snet up, which stops them
  options.die_with_owner = true;     // however snet up ends
  process_ = ChildProcess(argv_, options);
}

std::string describe_exit(int wait_status) {
  if (WIFEXITED(wait_status))
    return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return "killed by signal " + std::to_string(WTERMSIG(wait_status));
  return "stopped (wait status " + std::to_string(wait_status) + ")";
}

std::string tail_of_file(const std::string& path, std::size_t lines) {
  std::ifstream in(path);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += "    " + l + "\n";
  return out;
}

}  // namespace snet::cli
