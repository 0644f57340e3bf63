// An emulated button on AMQP when the broker refuses its press (a nack): here a full
// reject-publish queue, which is what a cluster's queue between two leaders looks like to it.
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "agent.hpp"
#include "amqp_test_support.hpp"
#include "harness.hpp"
#include "snet/metrics.hpp"
#include "snet/topology.hpp"

using namespace snet;
using namespace snet::test;
using namespace std::chrono_literals;

TEST_CASE("an emulated button publishes a press the broker refused again until it is taken") {
  auto& rmq = shared_rabbitmq();
  const std::string name = unique("refused");
  const Topology topology = parse_topology_text(R"({"name": ")" + name + R"(",
    "broker": "rabbitmq",
    "devices": [{"id": "b", "kind": "button", "targets": ["lamp"]},
                {"id": "lamp", "kind": "actuator"}]})");
  // Room for one press; the broker nacks any more until one is taken out.
  const std::string queue = unique("presses");
  RawAmqp raw(rmq.amqp_port());
  raw.declare_refusing_queue(queue, 1);
  raw.bind(queue, "snet." + name + ".press.b");

  Metrics registry;
  agents::AgentMetrics metrics(registry);
  agents::AgentOptions options;
  options.broker_url = rmq.amqp_url();
  agents::Agent agent(topology, {topology.find("b")}, options, metrics);
  REQUIRE(agent.start() == 1);
  const std::set<std::string> pressed = {"p0", "p1", "p2"};
  for (const auto& id : pressed) {
    raw.publish("snet." + name + ".trigger.b", R"({"id": ")" + id + R"("})");
  }
  // Two of them are refused at least once each.
  REQUIRE(eventually([&] { return metrics.press_retries.value() >= 2; }, 10s));

  // Taking presses out makes room for the next try of those still refused.
  std::set<std::string> taken;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (taken != pressed && std::chrono::steady_clock::now() < deadline) {
    if (auto body = raw.get(queue)) {
      taken.insert(parse_press(*body).id);
    } else {
      std::this_thread::sleep_for(20ms);  // basic.get polls: nothing to await
    }
  }
  CHECK(taken == pressed);
  CHECK(metrics.presses.value() == 3);
  CHECK(metrics.presses_lost.value() == 0);
  MESSAGE("retries: ", metrics.press_retries.value());
}
