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

namespace {

// Button b of a topology of its own, whose presses go to a queue with room for `room` of them:
// the broker nacks the rest (x-overflow: reject-publish).
struct RefusingBroker {
  RabbitMq& rmq = shared_rabbitmq();
  std::string name;
  Topology topology;
  std::string queue = unique("presses");
  RawAmqp raw{rmq.amqp_port()};
  Metrics registry;
  agents::AgentMetrics metrics{registry};

  RefusingBroker(const std::string& prefix, std::int64_t room)
      : name(unique(prefix)), topology(parse_topology_text(R"({"name": ")" + name + R"(",
          "broker": "rabbitmq",
          "devices": [{"id": "b", "kind": "button", "targets": ["lamp"]},
                      {"id": "lamp", "kind": "actuator"}]})")) {
    raw.declare_refusing_queue(queue, room);
    raw.bind(queue, "snet." + name + ".press.b");
  }
  std::unique_ptr<agents::Agent> started_agent() {
    agents::AgentOptions options;
    options.broker_url = rmq.amqp_url();
    auto agent = std::make_unique<agents::Agent>(topology, std::vector{topology.find("b")}, options,
                                                 metrics);
    REQUIRE(agent->start() == 1);
    return agent;
  }
  void trigger(const std::string& id) {
    raw.publish("snet." + name + ".trigger.b", R"({"id": ")" + id + R"("})");
  }
};

}  // namespace

TEST_CASE("an emulated button publishes a press the broker refused again until it is taken") {
  // Room for one press; the broker nacks any more until one is taken out.
  RefusingBroker broker("refused", 1);
  auto& metrics = broker.metrics;
  const auto agent = broker.started_agent();
  const std::set<std::string> pressed = {"p0", "p1", "p2"};
  for (const auto& id : pressed) broker.trigger(id);
  // Two of them are refused at least once each.
  REQUIRE(eventually([&] { return metrics.press_retries.value() >= 2; }, 10s));

  // Taking presses out makes room for the next try of those still refused.
  std::set<std::string> taken;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (taken != pressed && std::chrono::steady_clock::now() < deadline) {
    if (auto body = broker.raw.get(broker.queue)) {
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

TEST_CASE("a press still waiting for its next try when the agent stops is counted as lost") {
  // No room at all: every try is refused, the next one waits up to 2 s.
  RefusingBroker broker("refused-stop", 0);
  auto& metrics = broker.metrics;
  {
    const auto agent = broker.started_agent();
    broker.trigger("p0");
    REQUIRE(eventually([&] { return metrics.press_retries.value() >= 1; }, 10s));
    CHECK(metrics.presses_lost.value() == 0);
  }  // stops with the press between two tries
  CHECK(metrics.presses.value() == 1);
  CHECK(metrics.presses_lost.value() == 1);
  CHECK_FALSE(broker.raw.get(broker.queue).has_value());
}
