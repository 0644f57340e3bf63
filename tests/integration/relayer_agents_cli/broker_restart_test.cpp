// Survival: the agent and relayer reconnect and re-subscribe after the broker restarts, and an
// actuator's state outlives the agent (it is restored from its retained report).
#include <doctest/doctest.h>

#include "emulation.hpp"

using namespace snet;
using namespace snet::test;

TEST_CASE("an agent survives a broker restart and applies presses after it") {
  Emulation path("tests/topology/single-builtin.json", "single");
  path.start();
  path.publish(path.topic("press", "button-1"), R"({"id":"before"})");
  REQUIRE_MESSAGE(path.wait_state("actuator-1", "before"), path.logs());

  path.mosquitto->server().restart();
  // Statuses stamped after the broker is back, showing every device reconnected and
  // re-subscribed, and the relayer too.
  const Micros restarted = now_us();
  REQUIRE_MESSAGE(path.wait_status("agent", restarted,
                                   [](const auto& m) {
                                     return m.value("snet_agent_devices_connected", 0) == 6;
                                   }),
                  path.logs());
  REQUIRE_MESSAGE(
      path.wait_status("relayer", restarted,
                       [](const auto& m) { return m.value("snet_relayer_connected", 0) == 1; }),
      path.logs());
  REQUIRE(path.recorder->bus().wait_connected(10s));
  REQUIRE(mosquitto_pub(path.mosquitto->port(), path.topic("press", "button-1"),
                        R"({"id":"after"})") == 0);
  auto after = path.wait_state("actuator-1", "after");
  REQUIRE_MESSAGE(after, path.logs());
  CHECK_FALSE(after->on);  // "before" switched it on; the relayer still knew that
  CHECK(path.agent->process().running());
  CHECK(path.relayer->process().running());
}

TEST_CASE("an actuator restores its state from its retained report when the agent restarts") {
  Emulation path("tests/topology/single-builtin.json", "single");
  path.start();
  path.publish(path.topic("press", "button-2"), R"({"id":"lit"})");
  REQUIRE_MESSAGE(path.wait_state("actuator-2", "lit"), path.logs());

  path.agent->stop();
  const Micros restarted = now_us();
  const std::size_t mark = path.recorder->messages().size();
  path.start_agent();
  REQUIRE(path.wait_status("agent", restarted, [](const auto& m) {
    return m.value("snet_agent_actuators_restored", 0) == 3;
  }));
  // Restored, not re-initialised: no new report for actuator-2 ...
  const auto messages = path.recorder->messages();
  for (std::size_t i = mark; i < messages.size(); ++i) {
    CHECK(messages[i].topic != path.topic("state", "actuator-2"));
  }
  // ... and a repeated command of the press it already applied changes nothing.
  path.publish(path.topic("cmd", "actuator-2"), R"({"on":false,"press_id":"lit"})");
  path.publish(path.topic("press", "button-2"), R"({"id":"next"})");
  auto next = path.wait_state("actuator-2", "next");
  REQUIRE_MESSAGE(next, path.logs());
  CHECK_FALSE(next->on);  // flipped from the restored "on"
  CHECK(path.count_states("actuator-2", "lit") == 1);
}
