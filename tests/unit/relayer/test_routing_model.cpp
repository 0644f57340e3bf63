// The routing model without a broker: per-mode targets in the topology file, their validation
// (every message says what to change), their resolution, GET /api/topology's view of them, and
// the wire addresses and subscriptions that let the broker do the selecting.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "route_targets.hpp"
#include "snet/routing.hpp"
#include "snet/topology.hpp"
#include "topology_errors.hpp"

using namespace snet;
using nlohmann::json;
using snet::test::errors_of;

namespace {

// Fails the test (printing every error) unless exactly one error contains `needle`.
void expect_error(const std::string& text, const std::string& needle) {
  const auto errors = errors_of(text);
  std::string all;
  for (const auto& e : errors) all += "\n  " + e;
  CAPTURE(all);
  CHECK(std::count_if(errors.begin(), errors.end(), [&](const std::string& e) {
          return e.find(needle) != std::string::npos;
        }) == 1);
}

const Route* route(const Topology& t, const std::string& button, const std::string& id) {
  for (const auto& r : t.find(button)->routes)
    if (r.id == id) return &r;
  return nullptr;
}

using Ids = std::vector<std::string>;

}  // namespace

TEST_CASE("topic routing: exact targets and patterns over the topic key resolve to actuators") {
  const Topology t = load_topology(test::source_path("topology/topic.json"));
  CHECK(t.topic_key == Ids{"floor", "room", "type"});
  CHECK(t.targets_of("desk-switch") == Ids{"desk-lamp"});
  CHECK(t.targets_of("floor1-lamps") == Ids{"desk-lamp", "kitchen-lamp", "hall-lamp"});
  CHECK(t.targets_of("kitchen") == Ids{"kitchen-lamp", "kitchen-fan"});
  CHECK(t.targets_of("fans-off") == Ids{"kitchen-fan", "bedroom-fan"});
  CHECK(t.targets_of("everything").size() == 6);
  const Route* r = route(t, "floor1-lamps", "pattern:1/+/lamp");
  REQUIRE(r != nullptr);
  CHECK(r->levels == Ids{"1", "+", "lamp"});
  CHECK(route(t, "kitchen", "pattern:1/kitchen/#")->levels == Ids{"1", "kitchen", "+"});
  CHECK(t.sources_of("kitchen-fan") == Ids{"kitchen", "fans-off", "everything"});
}

TEST_CASE("a pattern is published once, to a topic every selected actuator subscribes to") {
  const Topology t = load_topology(test::source_path("topology/topic.json"));
  const auto address = routing::address_of(t, *route(t, "floor1-lamps", "pattern:1/+/lamp"));
  CHECK(address.topic == "snet/topic/pattern/1/_/lamp");
  CHECK(address.exchange.empty());
  CHECK(routing::address_of(t, t.find("desk-switch")->routes[0]).topic ==
        "snet/topic/cmd/desk-lamp");
  // Each actuator subscribes to its key in every wildcard shape in use; a pattern's topic is
  // among an actuator's filters exactly when the pattern selects it.
  const routing::ActuatorSubscriptions subs(t);
  for (const Device* actuator : t.actuators()) {
    std::set<std::string> filters;
    for (const auto& s : subs.of(*actuator)) {
      CHECK_FALSE(s.exchange);
      filters.insert(s.filter);
    }
    CHECK(filters.count("snet/topic/cmd/" + actuator->id) == 1);
    for (const Device* button : t.buttons()) {
      for (const auto& r : button->routes) {
        const bool member =
            std::find(r.members.begin(), r.members.end(), actuator->id) != r.members.end();
        CAPTURE(actuator->id);
        CAPTURE(r.id);
        CHECK(filters.count(routing::address_of(t, r).topic) == (member ? 1u : 0u));
      }
    }
  }
}

TEST_CASE("fanout routing: a group is one fanout exchange, forwarded to amq.topic") {
  const Topology t = load_topology(test::source_path("topology/fanout.json"));
  CHECK(t.targets_of("hall-switch") == Ids{"hall-lamp-1", "hall-lamp-2", "hall-lamp-3"});
  CHECK(t.targets_of("night").size() == 4);
  const auto address = routing::address_of(t, t.find("hall-switch")->routes[0]);
  CHECK(address.topic == "snet/fanout/group/hall");
  CHECK(address.exchange == "snet.fanout.group.hall");
  const auto exchanges = routing::exchanges_of(t);
  REQUIRE(exchanges.size() == 3);
  for (const auto& e : exchanges) {
    CHECK(e.type == ExchangeType::fanout);
    CHECK(e.forward_to_topics);
  }
  const auto subs = routing::ActuatorSubscriptions(t).of(*t.find("porch-lamp"));
  // Its own cmd topic, then the groups porch and house.
  REQUIRE(subs.size() == 3);
  CHECK(subs[1].filter == "snet/fanout/group/house");
  CHECK(subs[1].exchange->name == "snet.fanout.group.house");
  CHECK(subs[2].filter == "snet/fanout/group/porch");
}

TEST_CASE("headers routing: one message to snet.headers, and bindings that make all/any exact") {
  const Topology t = load_topology(test::source_path("topology/headers.json"));
  CHECK(t.targets_of("north-lamps") == Ids{"north-lamp-1", "north-lamp-2"});
  CHECK(t.targets_of("heat-or-south") == Ids{"north-heater", "south-lamp", "south-heater"});
  CHECK(t.targets_of("floor-2") == Ids{"south-lamp", "south-heater"});
  const Route& all = t.find("north-lamps")->routes[0];
  CHECK(all.id == "match:all(type=lamp,zone=north)");
  const auto address = routing::address_of(t, all);
  CHECK(address.exchange == "snet.headers");
  CHECK(address.headers == std::map<std::string, std::string>{{"snet-topology", "headers"},
                                                              {"snet-match", "all:type,zone"},
                                                              {"type", "lamp"},
                                                              {"zone", "north"}});
  // Emulate RabbitMQ's x-match all over each actuator's bindings: exactly the members match.
  const routing::ActuatorSubscriptions subs(t);
  for (const Device* button : t.buttons()) {
    for (const auto& r : button->routes) {
      const auto headers = routing::address_of(t, r).headers;
      for (const Device* actuator : t.actuators()) {
        bool delivered = false;
        for (const auto& s : subs.of(*actuator)) {
          if (!s.exchange || s.exchange->name != "snet.headers") continue;
          CHECK(s.arguments.at("x-match") == "all");
          delivered =
              delivered || std::all_of(s.arguments.begin(), s.arguments.end(), [&](const auto& kv) {
                if (kv.first == "x-match") return true;
                auto it = headers.find(kv.first);
                return it != headers.end() && it->second == kv.second;
              });
        }
        const bool member =
            std::find(r.members.begin(), r.members.end(), actuator->id) != r.members.end();
        CAPTURE(r.id);
        CAPTURE(actuator->id);
        CHECK(delivered == member);
      }
    }
  }
}

TEST_CASE("invalid routing combinations fail validation saying what to change") {
  SUBCASE("headers on Mosquitto") {
    expect_error(R"({"name":"x","routing":"headers","devices":[
      {"id":"b","kind":"button","match":{"t":"1"}},{"id":"a","kind":"actuator","attrs":{"t":"1"}}]})",
                 "routing: 'headers' needs \"broker\": \"rabbitmq\"");
  }
  SUBCASE("an MQTT actuator in headers mode") {
    expect_error(R"({"name":"x","broker":"rabbitmq","routing":"headers","devices":[
      {"id":"b","kind":"button","match":{"t":"1"}},
      {"id":"a","kind":"actuator","protocol":"mqtt","attrs":{"t":"1"}}]})",
                 "device 'a': an MQTT actuator cannot receive headers-routed commands");
  }
  SUBCASE("an empty group, and an unknown one") {
    const std::string text = R"({"name":"x","routing":"fanout","groups":{"hall":[]},"devices":[
      {"id":"b","kind":"button","groups":["hall","attic"]},{"id":"a","kind":"actuator"}]})";
    expect_error(text, "group 'hall': has no members; list at least one actuator id");
    expect_error(text, "device 'b': unknown group 'attic' (the topology's \"groups\": 'hall')");
  }
  SUBCASE("a pattern matching no actuator, and one that does not fit the key") {
    const std::string text = R"({"name":"x","topic_key":["floor","type"],"devices":[
      {"id":"b","kind":"button","patterns":["3/+","1/lamp/x","1/#/lamp"]},
      {"id":"a","kind":"actuator","attrs":{"floor":"1","type":"lamp"}}]})";
    expect_error(text, "pattern '3/+' matches no actuator (keys are floor/type, e.g. '1/lamp')");
    expect_error(text, "pattern '1/lamp/x': has 3 levels but the topic key has 2");
    expect_error(text, "pattern '1/#/lamp': '#' must be the last level");
  }
  SUBCASE("patterns without a topic key, and an actuator without a key attr") {
    expect_error(R"({"name":"x","devices":[{"id":"b","kind":"button","patterns":["+"]},
      {"id":"a","kind":"actuator"}]})",
                 "'patterns' need a \"topic_key\"");
    expect_error(R"({"name":"x","topic_key":["floor"],"devices":[
      {"id":"b","kind":"button","patterns":["+"]},{"id":"a","kind":"actuator"}]})",
                 "device 'a': attrs.floor is missing; the topic_key (floor) needs it");
  }
  SUBCASE("a match matching no actuator, or reserved header names") {
    const std::string text = R"({"name":"x","broker":"rabbitmq","routing":"headers","devices":[
      {"id":"b","kind":"button","match":[{"x-match":"all","t":"9"},{"snet-topology":"y"}]},
      {"id":"a","kind":"actuator","attrs":{"t":"1"}}]})";
    expect_error(text, "match all(t=9) matches no actuator's attrs");
    expect_error(text, "match.snet-topology: names starting with 'x-' or 'snet-' are reserved");
  }
  SUBCASE("fields of another routing mode, and pairs outside topic routing") {
    const std::string text = R"({"name":"x","routing":"fanout","groups":{"g":["a"]},
      "pairs":1,"devices":[{"id":"b","kind":"button","targets":["a"],"groups":["g"]},
      {"id":"a","kind":"actuator"}]})";
    expect_error(text,
                 "device 'b': 'targets' is for \"routing\": \"topic\", but this topology "
                 "routes by fanout; use \"groups\"");
    expect_error(text, "device 'button-1': 'targets' is for \"routing\": \"topic\"");
    expect_error(R"({"name":"x","groups":{"g":["a"]},"devices":[
      {"id":"b","kind":"button","targets":["a"]},{"id":"a","kind":"actuator"}]})",
                 "groups: only fanout routing uses groups");
  }
  SUBCASE("unknown fields, per device and at the top") {
    const std::string text = R"({"name":"x","topic-key":["f"],"devices":[
      {"id":"b","kind":"button","targets":["a"],"pattern":["+"]},{"id":"a","kind":"actuator"}]})";
    expect_error(text,
                 "unknown field 'topic-key' (allowed: name, description, broker, routing, "
                 "compute, computes, topic_key, groups, devices, pairs, sensors, relayers, sites, "
                 "rules, comment)");
    expect_error(text,
                 "devices[0] 'b': unknown field 'pattern' (allowed: id, kind, targets, "
                 "patterns, groups, match");
  }
}

TEST_CASE("the compute sees one target per route, and a group as its members' majority") {
  const Topology t = parse_topology_text(R"({"name":"x","routing":"fanout",
    "groups":{"three":["a","b","c"]},"devices":[{"id":"g","kind":"button","groups":["three"]},
    {"id":"a","kind":"actuator"},{"id":"b","kind":"actuator"},{"id":"c","kind":"actuator"}]})");
  const Route& group = t.find("g")->routes[0];
  relayer::StateTracker states;
  CHECK(relayer::target_for(t, group, states).id == "group:three");
  CHECK(relayer::target_for(t, group, states).on == false);  // nothing known: off
  states.reported("a", true, "");
  CHECK(relayer::target_for(t, group, states).on == false);  // 1 of 3
  states.reported("b", true, "");
  CHECK(relayer::target_for(t, group, states).on == true);  // 2 of 3
  CHECK_FALSE(relayer::majority_on({"a", "c"}, states));    // a tie counts as off
}
