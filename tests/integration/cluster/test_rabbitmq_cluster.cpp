// A real three-node RabbitMQ cluster (RabbitMqCluster) on loopback: it forms at first boot, and
// a node's crash during a confirmed stream loses no confirmed message (quorum queues, clients
// that fail over). One cluster per test case: a boot takes ~15 s on two cores.
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "snet/bus.hpp"
#include "snet/metrics.hpp"
#include "snet/rabbitmq_cluster.hpp"

using namespace snet;
using namespace snet::test;

namespace {

// The ids a consumer received, with bounded waits.
class Received {
 public:
  void add(const std::string& id) {
    std::lock_guard lock(mutex_);
    ids_.insert(id);
    cv_.notify_all();
  }
  bool wait_for_all(const std::set<std::string>& wanted, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] {
      for (const auto& id : wanted)
        if (!ids_.contains(id)) return false;
      return true;
    });
  }
  std::set<std::string> missing(const std::set<std::string>& wanted) {
    std::lock_guard lock(mutex_);
    std::set<std::string> out;
    for (const auto& id : wanted)
      if (!ids_.contains(id)) out.insert(id);
    return out;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::set<std::string> ids_;
};

std::int64_t metric(const Metrics& metrics, const std::string& name) {
  const auto snapshot = metrics.snapshot();
  return snapshot.contains(name) ? snapshot[name].get<std::int64_t>() : -1;
}

}  // namespace

TEST_CASE("a RabbitMQ cluster loses no confirmed message when the consumer's node is killed") {
  TempDir dir("snet-cluster");
  RabbitMqClusterOptions options;
  options.data_dir = dir.path();
  RabbitMqCluster cluster(options);
  REQUIRE(cluster.size() == 3);

  // Formed at first boot: a message published through node 1 reaches a queue on node 3.
  {
    BusOptions on_first, on_third;
    on_first.url = cluster.node(0).amqp_url() + "?queue-type=quorum";
    on_third.url = cluster.node(2).amqp_url() + "?queue-type=quorum";
    on_third.client_id = "formed-probe";
    on_third.persistent_session = true;
    Received got;
    auto consumer = make_bus(on_third);
    consumer->on_message([&](const Message& m) { got.add(m.payload); });
    consumer->subscribe("snet/c/probe", Qos::at_least_once);
    consumer->start();
    REQUIRE(consumer->wait_connected(10s));
    auto publisher = make_bus(on_first);
    publisher->start();
    REQUIRE(publisher->wait_connected(10s));
    publisher->publish({"snet/c/probe", "hello", false, {}}, Qos::at_least_once);
    CHECK(got.wait_for_all({"hello"}, 10s));
  }
  // Every node runs the vhost: a node that missed its creation while booting refuses logins
  // ("vhost 'snet' is down") and quietly leaves its quorum replicas short.
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    CAPTURE(i);
    BusOptions on_node;
    on_node.url = cluster.node(i).amqp_url();
    on_node.client_id = "vhost-probe-" + std::to_string(i);
    auto probe = make_bus(on_node);
    probe->start();
    CHECK(probe->wait_connected(10s));
  }

  // A consumer with a durable (quorum) queue and a publisher with confirms, both given every
  // node; the consumer's node dies in the middle of the stream.
  Metrics consumer_metrics;
  BusOptions consumer_options;
  consumer_options.url = cluster.amqp_url();
  consumer_options.client_id = "cluster-consumer";
  consumer_options.persistent_session = true;
  consumer_options.metrics = &consumer_metrics;
  Received received;
  auto consumer = make_bus(consumer_options);
  consumer->on_message([&](const Message& m) { received.add(m.payload); });
  consumer->subscribe("snet/c/press/#", Qos::at_least_once);
  consumer->start();
  REQUIRE(consumer->wait_connected(10s));
  const auto victim = static_cast<std::size_t>(metric(consumer_metrics, "snet_bus_broker_node"));
  REQUIRE(victim < cluster.size());

  BusOptions publisher_options;
  publisher_options.url = cluster.amqp_url();
  publisher_options.client_id = "cluster-publisher";
  auto publisher = make_bus(publisher_options);
  publisher->start();
  REQUIRE(publisher->wait_connected(10s));

  std::mutex mutex;
  std::set<std::string> confirmed;
  std::atomic<int> answered{0};
  constexpr int kMessages = 1200;  // 6 s at 200/s; the node dies after 2 s
  for (int i = 0; i < kMessages; ++i) {
    const std::string id = "m" + std::to_string(i);
    publisher->publish({"snet/c/press/" + std::to_string(i % 7), id, false, {}}, Qos::at_least_once,
                       [&, id](bool ok, const std::string&) {
                         if (ok) {
                           std::lock_guard lock(mutex);
                           confirmed.insert(id);
                         }
                         ++answered;
                       });
    if (i == 400) cluster.kill_node(victim);
    std::this_thread::sleep_for(5ms);  // pacing the stream, not synchronisation
  }
  REQUIRE(eventually([&] { return answered == kMessages; }, 60s));
  std::set<std::string> wanted;
  {
    std::lock_guard lock(mutex);
    wanted = confirmed;
  }
  CHECK(wanted.size() == kMessages);  // the publisher failed over too, when it had to
  const bool all = received.wait_for_all(wanted, 60s);
  CAPTURE(received.missing(wanted).size());
  CHECK(all);
  CHECK(metric(consumer_metrics, "snet_bus_failovers_total") >= 1);
  CHECK(metric(consumer_metrics, "snet_bus_broker_node") != static_cast<std::int64_t>(victim));
}

TEST_CASE("a fresh RabbitMQ cluster boots its first node alone and the others after it") {
  TempDir dir("snet-cluster");
  RabbitMqClusterOptions options;
  options.data_dir = dir.path();
  const auto fresh = RabbitMqCluster::prepare(options);
  CHECK(fresh->boot_waves() == std::vector<std::vector<std::size_t>>{{0}, {1, 2}});

  // On old data each node waits for the peers it last saw: they start together.
  std::filesystem::create_directories(dir.path() + "/node-1/mnesia");
  options.fresh_data = false;
  const auto restarted = RabbitMqCluster::prepare(options);
  CHECK(restarted->boot_waves() == std::vector<std::vector<std::size_t>>{{0, 1, 2}});
}
