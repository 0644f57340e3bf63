// Trigger computes in a topology ("compute": {..., "trigger": NAME}): what is accepted, what is
// refused (with the device and the reason), and how GET /api/topology shows them.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "snet/topology.hpp"
#include "topology_errors.hpp"
#include "topology_view.hpp"

using namespace snet;
using snet::test::errors_of;
using snet::test::mentions;

TEST_CASE("a trigger compute is inherited with the topology's compute, and shown") {
  const Topology t = parse_topology_text(R"({
    "name": "feed",
    "compute": {"backend": "openwhisk", "action": "flip_publish", "trigger": "snet-press"},
    "devices": [
      {"id": "b1", "kind": "button", "targets": ["a"]},
      {"id": "b2", "kind": "button", "targets": ["a"], "compute": {"action": "all_off"}},
      {"id": "b3", "kind": "button", "targets": ["a"], "compute": {"trigger": "other"}},
      {"id": "a", "kind": "actuator"}
    ]
  })");
  CHECK(t.find("b1")->compute.trigger == "snet-press");
  CHECK(t.find("b2")->compute.trigger.empty());  // its own action: invoked, not a trigger
  CHECK(t.find("b3")->compute.trigger == "other");
  CHECK(t.find("b3")->compute.action == "flip_publish");
  const auto view = state::topology_view(t);
  CHECK(view["compute"]["trigger"] == "snet-press");
  CHECK(view["devices"][1]["compute"].contains("trigger") == false);
}

TEST_CASE("trigger computes that cannot work are refused, naming the device") {
  auto errors = errors_of(R"({"name": "t", "devices": [
      {"id": "b", "kind": "button", "targets": ["a"],
       "compute": {"backend": "builtin", "action": "flip_switch", "trigger": "x"}},
      {"id": "a", "kind": "actuator"}]})");
  CHECK(mentions(errors, "trigger 'x' needs \"backend\": \"openwhisk\""));

  errors = errors_of(R"({"name": "t", "devices": [
      {"id": "b", "kind": "button", "targets": ["a"],
       "compute": {"backend": "openwhisk", "action": "f", "trigger": "no/slash"}},
      {"id": "a", "kind": "actuator"}]})");
  CHECK(mentions(errors, "'no/slash' is not an OpenWhisk name"));

  errors = errors_of(R"({"name": "t", "compute": {"backend": "openwhisk", "trigger": "p"},
    "devices": [
      {"id": "b1", "kind": "button", "targets": ["a"]},
      {"id": "b2", "kind": "button", "targets": ["a"],
       "compute": {"backend": "openwhisk", "action": "all_off", "trigger": "p"}},
      {"id": "a", "kind": "actuator"}]})");
  CHECK(
      mentions(errors, "device 'b2': compute.trigger 'p': runs action 'all_off' but device 'b1'"));

  // A rule fires its trigger as a button does: the same checks, naming the rule.
  errors = errors_of(R"({"name": "t", "compute": {"backend": "openwhisk", "trigger": "p"},
    "devices": [
      {"id": "b1", "kind": "button", "targets": ["a"]},
      {"id": "s", "kind": "sensor", "sensor": {"capability": "temperature",
       "model": {"type": "constant", "value": 20}}},
      {"id": "a", "kind": "actuator"}],
    "rules": [
      {"id": "hot", "on": {"reading": "temperature", "above": 25}, "targets": ["a"],
       "compute": {"action": "all_off", "trigger": "p"}},
      {"id": "cold", "on": {"reading": "temperature", "below": 5}, "targets": ["a"],
       "compute": {"backend": "builtin", "action": "all_on", "trigger": "q"}}]})");
  CHECK(mentions(errors, "rule 'hot': compute.trigger 'p': runs action 'all_off' but device 'b1'"));
  CHECK(mentions(errors, "trigger 'q' needs \"backend\": \"openwhisk\""));

  errors = errors_of(R"({"name": "t", "broker": "rabbitmq", "routing": "headers",
    "compute": {"backend": "openwhisk", "action": "f", "trigger": "p"},
    "devices": [
      {"id": "b", "kind": "button", "match": {"zone": "n"}},
      {"id": "a", "kind": "actuator", "attrs": {"zone": "n"}}]})");
  CHECK(mentions(errors, "cannot carry the headers"));
}

TEST_CASE("the example topology of the trigger pattern loads") {
  const Topology t = load_topology(test::source_path("topology/feed.json"));
  for (const Device* b : t.buttons()) CHECK(b->compute.trigger == "snet-press");
}
