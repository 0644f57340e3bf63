// Rules in a topology ("rules": [...]): a reading that crosses a threshold runs compute as a
// press does. What is accepted and resolved (routes, targets, sources), and what is refused,
// naming the rule and the field.
#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "snet/topology.hpp"
#include "topology_errors.hpp"
#include "topology_view.hpp"

using namespace snet;
using snet::test::errors_of;
using snet::test::mentions;

namespace {

// A topology with two temperature sensors, a humidity sensor, a button and two heaters; `rules`
// is the "rules" array's text.
std::string with_rules(const std::string& rules, const std::string& routing = "topic") {
  return R"({"name": "t", "routing": ")" + routing + R"(",)" +
         (routing == "fanout" ? R"("groups": {"heat": ["h1", "h2"]},)" : "") + R"(
    "devices": [
      {"id": "t1", "kind": "sensor", "sensor": {"capability": "temperature", "unit": "C",
       "rate_hz": 1, "model": {"type": "constant", "value": 21}}},
      {"id": "t2", "kind": "sensor", "sensor": {"capability": "temperature", "unit": "C",
       "rate_hz": 1, "model": {"type": "constant", "value": 21}}},
      {"id": "rh", "kind": "sensor", "sensor": {"capability": "humidity", "unit": "%",
       "rate_hz": 1, "model": {"type": "constant", "value": 40}}},
      {"id": "b", "kind": "button", )" +
         (routing == "fanout" ? R"("groups": ["heat"])" : R"("targets": ["h1"])") + R"(},
      {"id": "h1", "kind": "actuator"}, {"id": "h2", "kind": "actuator"}],
    "rules": )" +
         rules + "}";
}

}  // namespace

TEST_CASE("a rule is resolved like a button: routes, targets, compute, and its sensors") {
  const Topology t = parse_topology_text(with_rules(R"([
    {"id": "too-warm", "on": {"device": "t1", "reading": "temperature", "above": 25},
     "compute": {"action": "all_off"}, "targets": ["h1", "h2"]},
    {"id": "cold", "on": {"reading": "temperature", "below": 18.5}, "targets": ["h2"]}])"));
  REQUIRE(t.rules.size() == 2);
  const Rule* warm = t.find_rule("too-warm");
  REQUIRE(warm != nullptr);
  CHECK(warm->above);
  CHECK(warm->threshold == 25);
  CHECK(warm->reading == "temperature");
  CHECK(warm->sources == std::vector<std::string>{"t1"});
  CHECK(warm->action.id == "too-warm");
  CHECK(warm->action.compute.action == "all_off");
  CHECK(warm->action.targets == std::vector<std::string>{"h1", "h2"});
  CHECK(warm->action.routes.size() == 2);
  const Rule* cold = t.find_rule("cold");
  CHECK_FALSE(cold->above);
  CHECK(cold->threshold == 18.5);
  CHECK(cold->action.compute.action == "flip_switch");  // the topology's compute
  // No device: every sensor measuring the reading (not the humidity sensor).
  CHECK(cold->sources == std::vector<std::string>{"t1", "t2"});
  CHECK(t.rules_using("default").size() == 2);
  CHECK(t.find_rule("b") == nullptr);
  CHECK(t.find("too-warm") == nullptr);  // a rule is no device
  // GET /api/topology shows them.
  const auto view = state::topology_view(t);
  REQUIRE_MESSAGE(view.contains("rules"), view.dump());
  REQUIRE(view.at("rules").size() == 2);
  CHECK(view["rules"][0]["on"] ==
        nlohmann::json{{"device", "t1"}, {"reading", "temperature"}, {"above", 25}});
  CHECK(view["rules"][1]["sources"] == nlohmann::json{"t1", "t2"});
  CHECK(view["rules"][0]["targets"] == nlohmann::json{"h1", "h2"});
  CHECK(view["rules"][0]["compute"]["action"] == "all_off");
}

TEST_CASE("a rule routes by groups on fanout routing, as a button does") {
  const Topology t = parse_topology_text(with_rules(
      R"([{"id": "r", "on": {"device": "t1", "reading": "temperature", "above": 1},
          "groups": ["heat"]}])",
      "fanout"));
  REQUIRE(t.rules.front().action.routes.size() == 1);
  CHECK(t.rules.front().action.routes.front().id == "group:heat");
  CHECK(t.rules.front().action.targets == std::vector<std::string>{"h1", "h2"});
}

TEST_CASE("bad rules are refused, naming the rule and the field") {
  auto errors = errors_of(with_rules(
      R"([{"id": "r", "on": {"device": "nope", "reading": "temperature", "above": 1},
          "targets": ["h1"]}])"));
  CHECK(mentions(errors, "rule 'r': on.device: unknown device 'nope'"));

  errors = errors_of(with_rules(
      R"([{"id": "r", "on": {"device": "h1", "reading": "temperature", "above": 1},
          "targets": ["h1"]}])"));
  CHECK(mentions(errors, "rule 'r': on.device: 'h1' is a actuator, not a sensor"));

  errors = errors_of(with_rules(
      R"([{"id": "r", "on": {"device": "rh", "reading": "temperature", "above": 1},
          "targets": ["h1"]}])"));
  CHECK(mentions(errors, "rule 'r': on.reading: sensor 'rh' measures 'humidity', not"));

  errors = errors_of(
      with_rules(R"([{"id": "r", "on": {"reading": "lux", "above": 1}, "targets": ["h1"]}])"));
  CHECK(mentions(errors, "rule 'r': no sensor measures 'lux'"));

  errors = errors_of(with_rules(
      R"([{"id": "r", "on": {"device": "t1", "reading": "temperature", "above": 1},
          "targets": ["ghost"]}])"));
  CHECK(mentions(errors, "rule 'r': unknown target 'ghost'"));

  errors = errors_of(with_rules(
      R"([{"id": "r", "on": {"device": "t1", "reading": "temperature"}, "targets": ["h1"]}])"));
  CHECK(mentions(errors, "rules[0] 'r'.on: give exactly one of 'above' or 'below'"));

  errors = errors_of(with_rules(
      R"([{"id": "r", "on": {"device": "t1", "reading": "temperature", "above": 1, "below": 0},
          "targets": ["h1"]}])"));
  CHECK(mentions(errors, "rules[0] 'r'.on: give exactly one of 'above' or 'below'"));

  errors = errors_of(with_rules(
      R"([{"id": "r", "on": {"device": "t1", "reading": "temperature", "above": "25"},
          "targets": ["h1"]}])"));
  CHECK(mentions(errors, "rules[0] 'r'.on.above must be a finite number"));

  errors = errors_of(
      with_rules(R"([{"id": "r", "on": {"device": "t1", "above": 1}, "targets": ["h1"]}])"));
  CHECK(mentions(errors, "rules[0] 'r'.on: missing field 'reading'"));

  errors = errors_of(
      with_rules(R"([{"id": "r", "on": {"device": "t1", "reading": "temperature", "above": 1}}])"));
  CHECK(mentions(errors, "rule 'r': button without target"));

  errors = errors_of(with_rules(
      R"([{"id": "r", "on": {"device": "t1", "reading": "temperature", "above": 1},
          "targets": ["h1"]},
         {"id": "r", "on": {"device": "t1", "reading": "temperature", "above": 2},
          "targets": ["h1"]},
         {"id": "b", "on": {"device": "t1", "reading": "temperature", "above": 2},
          "targets": ["h1"]}])"));
  CHECK(mentions(errors, "rule 'r': duplicate id"));
  CHECK(mentions(errors, "rule 'b': id is also a device's"));

  errors = errors_of(with_rules(
      R"([{"id": "r", "on": {"device": "t1", "reading": "temperature", "above": 1},
          "targets": ["h1"], "when": 1}])"));
  CHECK(mentions(errors, "rules[0] 'r': unknown field 'when'"));

  errors = errors_of(with_rules(R"({"id": "r"})"));
  CHECK(mentions(errors, "rules: must be an array of rules"));

  // Another routing mode's field, as for a button.
  errors = errors_of(with_rules(
      R"([{"id": "r", "on": {"device": "t1", "reading": "temperature", "above": 1},
          "targets": ["h1"]}])",
      "fanout"));
  CHECK(mentions(errors, "rule 'r': 'targets' is for \"routing\": \"topic\""));
}
