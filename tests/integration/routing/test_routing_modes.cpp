// Each routing mode against a real broker, with the shipped example topologies: a press changes
// exactly the actuators its comment promises and no others (see emulation.hpp for how
// "no others" is shown without sleeping), and the relayer publishes one command per route.
#include <doctest/doctest.h>

#include "emulation.hpp"

using namespace snet;
using namespace snet::test;
using nlohmann::json;

namespace {

json example(const std::string& file) {
  return topology_json("topology/" + file);
}

// The example plus a sentinel button "everyone" that reaches every actuator in its mode.
json with_sentinel(json topo) {
  const std::string routing = topo.value("routing", "topic");
  json sentinel = {{"id", "everyone"}, {"kind", "button"}};
  if (routing == "topic") {
    sentinel["patterns"] = json::array({"#"});
  } else if (routing == "fanout") {
    json all = json::array();
    for (const auto& d : topo["devices"])
      if (d["kind"] == "actuator") all.push_back(d["id"]);
    topo["groups"]["everyone"] = all;
    sentinel["groups"] = json::array({"everyone"});
  } else {
    for (auto& d : topo["devices"])
      if (d["kind"] == "actuator") d["attrs"]["site"] = "test";
    sentinel["match"] = {{"site", "test"}};
  }
  topo["devices"].push_back(sentinel);
  return topo;
}

// How many commands the relayer has published (from its status, once at least `at_least`),
// checking that none of them failed on the way (unroutable, refused) as a PressError.
long commands_published(Emulation& emu, long at_least) {
  const auto metrics = emu.wait_status("relayer", 0, [&](const json& m) {
    return m.value("snet_relayer_commands_total", 0L) >= at_least;
  });
  if (!metrics) return -1;
  CHECK(metrics->value("snet_relayer_unroutable_total", -1L) == 0);
  CHECK(metrics->value("snet_relayer_press_errors_total", -1L) == 0);
  return metrics->value("snet_relayer_commands_total", 0L);
}

void topic_example(BrokerChoice broker) {
  Emulation emu(broker, with_sentinel(example("topic.json")), "topic");
  emu.start();
  emu.expect_exactly("desk-switch", {"desk-lamp"}, true);
  emu.expect_exactly("floor1-lamps", {"desk-lamp", "kitchen-lamp", "hall-lamp"});
  emu.expect_exactly("kitchen", {"kitchen-lamp", "kitchen-fan"});
  emu.expect_exactly("fans-off", {"kitchen-fan", "bedroom-fan"}, false);
  // One command per pattern: the recorder saw exactly one message on the pattern's topic per
  // press (two presses of floor1-lamps: one above, one now).
  const std::string id = unique_name("once");
  emu.press("floor1-lamps", id);
  REQUIRE(emu.wait_states(id, {"desk-lamp", "kitchen-lamp", "hall-lamp"}));
  int published = 0;
  for (const auto& m : emu.recorder->messages()) {
    if (m.topic == emu.topic("pattern", "1/_/lamp") && m.payload.find(id) != std::string::npos) {
      ++published;
    }
  }
  CHECK(published == 1);
  // 9 presses so far (5 of them above, 4 sentinels), each with one route: 9 commands.
  CHECK(commands_published(emu, 9) == 9);
}

}  // namespace

TEST_CASE(
    "topic routing on Mosquitto: exact targets and key patterns reach exactly their actuators") {
  topic_example(BrokerChoice::mosquitto);
}

TEST_CASE("topic routing on RabbitMQ (AMQP devices): the same patterns through amq.topic") {
  topic_example(BrokerChoice::rabbitmq);
}

TEST_CASE("fanout routing on Mosquitto: every member of a group, nobody else") {
  Emulation emu(BrokerChoice::mosquitto, with_sentinel(example("fanout.json")), "fan");
  emu.start();
  emu.expect_exactly("hall-switch", {"hall-lamp-1", "hall-lamp-2", "hall-lamp-3"}, true);
  emu.expect_exactly("porch-switch", {"porch-lamp"});
  emu.expect_exactly("night", {"hall-lamp-1", "hall-lamp-2", "hall-lamp-3", "porch-lamp"}, false);
  CHECK(commands_published(emu, 6) == 6);
}

TEST_CASE("fanout routing on RabbitMQ: a fanout exchange per group reaches AMQP and MQTT members") {
  Emulation emu(BrokerChoice::rabbitmq, with_sentinel(example("fanout.json")), "fan");
  emu.start();
  emu.expect_exactly("hall-switch", {"hall-lamp-1", "hall-lamp-2", "hall-lamp-3"}, true);
  // porch-lamp is an MQTT-plugin device: the group exchange forwards to amq.topic for it.
  emu.expect_exactly("porch-switch", {"porch-lamp"});
  emu.expect_exactly("night", {"hall-lamp-1", "hall-lamp-2", "hall-lamp-3", "porch-lamp"}, false);
  // One command per group press: 3 presses + 3 sentinel presses.
  CHECK(commands_published(emu, 6) == 6);
}

TEST_CASE("headers routing on RabbitMQ: x-match all and any select exactly by attrs") {
  Emulation emu(BrokerChoice::rabbitmq, with_sentinel(example("headers.json")), "hdr");
  emu.start();
  emu.expect_exactly("north-lamps", {"north-lamp-1", "north-lamp-2"}, true);
  emu.expect_exactly("heat-or-south", {"north-heater", "south-lamp", "south-heater"});
  emu.expect_exactly("floor-2", {"south-lamp", "south-heater"}, false);
  CHECK(commands_published(emu, 6) == 6);
}

TEST_CASE("flip_switch on a group sends every member to the opposite of the members' majority") {
  Emulation emu(BrokerChoice::mosquitto, json::parse(R"({
    "routing": "fanout",
    "groups": {"one": ["a"], "three": ["a", "b", "c"]},
    "devices": [
      {"id": "solo", "kind": "button", "groups": ["one"]},
      {"id": "all", "kind": "button", "groups": ["three"]},
      {"id": "a", "kind": "actuator"}, {"id": "b", "kind": "actuator"},
      {"id": "c", "kind": "actuator"}]})"),
                "flip");
  emu.start();
  // Each step: press, await every member's report, check the state they were all sent to.
  const auto step = [&](const std::string& button, const std::vector<std::string>& members,
                        bool want) {
    const std::string id = unique_name(button);
    emu.press(button, id);
    REQUIRE_MESSAGE(emu.wait_states(id, members), emu.logs());
    for (const auto& m : members) CHECK(emu.state_of(m, id)->on == want);
  };
  step("solo", {"a"}, true);            // a: 0 of 1 on -> on
  step("all", {"a", "b", "c"}, true);   // 1 of 3 on: not a majority -> all on
  step("solo", {"a"}, false);           // a: on -> off
  step("all", {"a", "b", "c"}, false);  // 2 of 3 on (b, c): a majority -> all off
  step("all", {"a", "b", "c"}, true);   // 0 of 3 -> all on
}
