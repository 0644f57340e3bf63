// The press path end to end on a real mosquitto: button -> broker -> relayer -> builtin compute
// -> broker -> actuator, observed on the actuators' retained state topics.
#include <doctest/doctest.h>

#include "emulation.hpp"

using namespace snet;
using namespace snet::test;

namespace {

// The one state report of `actuator` that is retained right now (what a newcomer would see).
std::optional<StateReport> retained_state(const Emulation& path, const std::string& actuator) {
  Recorder fresh(path.mosquitto->url(), {path.topic("state", actuator)});
  auto message = fresh.wait_for(path.topic("state", actuator));
  if (!message || !message->retained) return std::nullopt;
  return parse_state(message->payload);
}

// The newest state report of `actuator` received after `after` messages were recorded.
std::optional<StateReport> next_state(Emulation& path, const std::string& actuator,
                                      std::size_t after) {
  std::optional<StateReport> found;
  path.recorder->wait([&](const std::vector<Message>& all) {
    for (std::size_t i = after; i < all.size(); ++i) {
      if (all[i].topic == path.topic("state", actuator)) {
        found = parse_state(all[i].payload);
        return true;
      }
    }
    return false;
  });
  return found;
}

}  // namespace

TEST_CASE("mosquitto_pub presses with -n and with '{}' each flip the target's retained state") {
  Emulation path("tests/topology/single-builtin.json", "single");
  path.start();
  const auto initial = retained_state(path, "actuator-1");
  REQUIRE(initial);  // the actuator published its initial report
  CHECK_FALSE(initial->on);

  std::size_t mark = path.recorder->messages().size();
  REQUIRE(mosquitto_pub(path.mosquitto->port(), path.topic("press", "button-1"), "", true) == 0);
  auto first = next_state(path, "actuator-1", mark);
  REQUIRE_MESSAGE(first, path.logs());
  CHECK(first->on);
  CHECK_FALSE(first->press_id.empty());  // the relayer gave the empty press an id
  CHECK(first->button == "button-1");
  CHECK(first->press_ts > 0);
  CHECK(first->relay_ts >= first->press_ts);
  CHECK(first->applied_ts >= first->relay_ts);

  mark = path.recorder->messages().size();
  REQUIRE(mosquitto_pub(path.mosquitto->port(), path.topic("press", "button-1"), "{}") == 0);
  auto second = next_state(path, "actuator-1", mark);
  REQUIRE_MESSAGE(second, path.logs());
  CHECK_FALSE(second->on);
  CHECK(second->press_id != first->press_id);

  const auto retained = retained_state(path, "actuator-1");
  REQUIRE(retained);
  CHECK(retained->press_id == second->press_id);
  CHECK_FALSE(retained->on);
  // The other actuators were not touched.
  CHECK(path.count_states("actuator-2", first->press_id) == 0);
}

TEST_CASE("a trigger makes the emulated button press, with the id it was given") {
  Emulation path("tests/topology/single-builtin.json", "single");
  path.start();
  path.publish(path.topic("trigger", "button-2"), R"({"id":"trigger-1"})");
  auto press = path.recorder->wait_for(path.topic("press", "button-2"), "trigger-1");
  REQUIRE_MESSAGE(press, path.logs());
  CHECK(parse_press(press->payload).ts > 0);  // the button stamps the time of the press
  auto state = path.wait_state("actuator-2", "trigger-1");
  REQUIRE_MESSAGE(state, path.logs());
  CHECK(state->on);

  // An empty trigger presses too, under a new id.
  const std::size_t mark = path.recorder->messages().size();
  REQUIRE(mosquitto_pub(path.mosquitto->port(), path.topic("trigger", "button-3"), "", true) == 0);
  auto after = next_state(path, "actuator-3", mark);
  REQUIRE_MESSAGE(after, path.logs());
  CHECK(after->on);
}

TEST_CASE("1->N and N->1 wiring: one button switches three lamps, two buttons share one") {
  Emulation path("tests/topology/wiring-builtin.json", "wiring");
  path.start();
  path.publish(path.topic("press", "hall-button"), R"({"id":"hall-1"})");
  for (const char* lamp : {"lamp-1", "lamp-2", "lamp-3"}) {
    auto state = path.wait_state(lamp, "hall-1");
    REQUIRE_MESSAGE(state, lamp, "\n", path.logs());
    CHECK(state->on);
  }
  CHECK(path.count_states("porch-lamp", "hall-1") == 0);

  path.publish(path.topic("press", "door-a"), R"({"id":"door-1"})");
  auto on = path.wait_state("porch-lamp", "door-1");
  REQUIRE_MESSAGE(on, path.logs());
  CHECK(on->on);
  CHECK(on->button == "door-a");
  path.publish(path.topic("press", "door-b"), R"({"id":"door-2"})");
  auto off = path.wait_state("porch-lamp", "door-2");
  REQUIRE_MESSAGE(off, path.logs());
  CHECK_FALSE(off->on);  // door-b flipped what door-a had switched on
  CHECK(off->button == "door-b");
}

TEST_CASE("two quick presses flip twice, and the same press id twice is applied once") {
  Emulation path("tests/topology/single-builtin.json", "single");
  path.start();
  // Back to back, without waiting in between: the relayer must not read a stale state.
  path.publish(path.topic("press", "button-1"), R"({"id":"quick-1"})");
  path.publish(path.topic("press", "button-1"), R"({"id":"quick-2"})");
  auto q1 = path.wait_state("actuator-1", "quick-1");
  auto q2 = path.wait_state("actuator-1", "quick-2");
  REQUIRE_MESSAGE((q1 && q2), path.logs());
  CHECK(q1->on);
  CHECK_FALSE(q2->on);

  path.publish(path.topic("press", "button-2"), R"({"id":"dup-1"})");
  path.publish(path.topic("press", "button-2"), R"({"id":"dup-1"})");
  REQUIRE(mosquitto_pub(path.mosquitto->port(), path.topic("press", "button-2"),
                        R"({"id":"dup-1"})") == 0);
  path.publish(path.topic("press", "button-2"), R"({"id":"dup-after"})");
  auto after = path.wait_state("actuator-2", "dup-after");
  REQUIRE_MESSAGE(after, path.logs());
  CHECK(path.count_states("actuator-2", "dup-1") == 1);
  CHECK_FALSE(after->on);  // dup-1 switched it on once; dup-after switched it off
  CHECK(path.wait_status("relayer", 0, [](const nlohmann::json& m) {
    return m.value("snet_relayer_duplicates_total", 0) == 2;
  }));

  // The actuator itself ignores a command whose press id it has applied (e.g. a redelivery).
  const std::string command = R"({"on":true,"press_id":"cmd-1","button":"test"})";
  path.publish(path.topic("cmd", "actuator-3"), command);
  path.publish(path.topic("cmd", "actuator-3"), command);
  path.publish(path.topic("cmd", "actuator-3"), R"({"on":false,"press_id":"cmd-2"})");
  REQUIRE(path.wait_state("actuator-3", "cmd-2"));
  CHECK(path.count_states("actuator-3", "cmd-1") == 1);
  CHECK(path.wait_status("agent", 0, [](const nlohmann::json& m) {
    return m.value("snet_agent_duplicates_total", 0) == 1;
  }));
}

TEST_CASE("an unknown builtin action becomes an error event naming it") {
  Emulation path(BrokerChoice::mosquitto, nlohmann::json::parse(R"({
    "compute": {"backend": "builtin", "action": "dim"}, "pairs": 1})"),
                 "dim");
  path.start();
  path.publish(path.topic("press", "button-1"), R"({"id":"dim-1"})");
  auto event = path.recorder->wait_for(path.topic("event", "button-1"), "dim-1");
  REQUIRE_MESSAGE(event, path.logs());
  const PressError error = parse_press_error(event->payload);
  CHECK(error.error.find("'dim'") != std::string::npos);
  CHECK(error.action == "dim");
  CHECK(path.wait_status("relayer", 0, [](const nlohmann::json& m) {
    return m.value("snet_relayer_press_errors_total", 0) == 1;
  }));
  CHECK(path.count_states("actuator-1", "dim-1") == 0);
}
