// The ACL `snet up` gives its Mosquitto (cli/broker_accounts.hpp): who may publish and read what.
#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

#include "acl_rules.hpp"
#include "broker_accounts.hpp"
#include "harness.hpp"
#include "snet/topology.hpp"

using namespace snet;
using namespace snet::cli;

namespace {

const auto& rules_of = test::acl_rules_of;

bool has(const std::vector<std::string>& rules, const std::string& rule) {
  return std::find(rules.begin(), rules.end(), rule) != rules.end();
}

}  // namespace

TEST_CASE(
    "the ACL: anonymous press, states and readings only, devices their own topics, services "
    "theirs") {
  const Topology topology = load_topology(test::source_path("topology/single.json"));
  const std::string acl = mosquitto_acl(topology, {{"relayer", ServiceRole::relayer},
                                                   {"state", ServiceRole::state},
                                                   {"agent", ServiceRole::agent},
                                                   {"whisk", ServiceRole::whisk}});
  CHECK(rules_of(acl, "") == std::vector<std::string>{"write snet/single/press/+",
                                                      "read snet/single/state/+",
                                                      "read snet/single/reading/+"});

  const auto button = rules_of(acl, "button-1");
  CHECK(has(button, "write snet/single/press/button-1"));
  CHECK(has(button, "read snet/single/trigger/button-1"));
  for (const auto& rule : button) {
    CAPTURE(rule);
    CHECK(rule.find("button-1") != std::string::npos);  // nothing of anyone else's
  }
  const auto actuator = rules_of(acl, "actuator-2");
  CHECK(has(actuator, "read snet/single/cmd/actuator-2"));
  CHECK(has(actuator, "readwrite snet/single/state/actuator-2"));
  for (const auto& rule : actuator) {
    CAPTURE(rule);
    const bool writes_only_its_own =
        rule.find("write") == std::string::npos || rule.find("actuator-2") != std::string::npos;
    CHECK(writes_only_its_own);
    CHECK(rule.find('#') == std::string::npos);
  }

  const auto relayer = rules_of(acl, "snet.relayer");
  CHECK(has(relayer, "read #"));
  CHECK(has(relayer, "write snet/single/status/relayer"));
  CHECK(has(relayer, "write snet/single/cmd/+"));
  CHECK_FALSE(has(relayer, "write snet/single/status/+"));
  const auto state = rules_of(acl, "snet.state");
  CHECK(has(state, "write snet/single/status/state"));
  CHECK(has(state, "write snet/single/trigger/+"));
  CHECK_FALSE(has(state, "write snet/single/cmd/+"));
  // Only services and the operator read everything.
  for (const auto* user : {"", "button-1", "actuator-1", "snet.compute"}) {
    CAPTURE(user);
    CHECK_FALSE(has(rules_of(acl, user), "read #"));
  }
  CHECK(has(rules_of(acl, "snet.up"), "readwrite #"));
  CHECK(service_user("relayer-2") == "snet.relayer-2");
}

TEST_CASE("the ACL: a sensor publishes its own readings and presence, reads nothing") {
  const Topology topology = load_topology(test::source_path("topology/sensors.json"));
  const std::string acl = mosquitto_acl(topology, {{"state", ServiceRole::state}});
  CHECK(rules_of(acl, "thermo-1") ==
        std::vector<std::string>{"write snet/sensors/presence/thermo-1",
                                 "write snet/sensors/reading/thermo-1"});
  // No one else may publish its readings; the state service reads them (it reads everything).
  for (const Device& d : topology.devices) {
    if (d.id == "thermo-1") continue;
    CAPTURE(d.id);
    CHECK_FALSE(has(rules_of(acl, d.id), "write snet/sensors/reading/thermo-1"));
    CHECK_FALSE(has(rules_of(acl, d.id), "write snet/sensors/reading/+"));
  }
  CHECK(has(rules_of(acl, "snet.state"), "read #"));
  // Sensors stay out of the button and actuator rules.
  CHECK(rules_of(acl, "button-1") ==
        std::vector<std::string>{"write snet/sensors/presence/button-1",
                                 "write snet/sensors/press/button-1",
                                 "read snet/sensors/trigger/button-1"});
}

TEST_CASE("the ACL: a composite device is an actuator that also publishes its own readings") {
  const Topology topology = load_topology(test::source_path("topology/home.json"));
  const std::string acl = mosquitto_acl(topology, {{"state", ServiceRole::state}});
  CHECK(rules_of(acl, "thermostat-1") ==
        std::vector<std::string>{
            "write snet/home/presence/thermostat-1", "readwrite snet/home/state/thermostat-1",
            "readwrite snet/home/sync/thermostat-1", "read snet/home/cmd/thermostat-1",
            "write snet/home/reading/thermostat-1"});
  for (const Device& d : topology.devices) {
    if (d.id == "thermostat-1") continue;
    CAPTURE(d.id);
    CHECK_FALSE(has(rules_of(acl, d.id), "write snet/home/reading/thermostat-1"));
    CHECK_FALSE(has(rules_of(acl, d.id), "read snet/home/cmd/thermostat-1"));
  }
  CHECK(has(rules_of(acl, "plug-1"), "write snet/home/reading/plug-1"));
  // A button only presses.
  CHECK_FALSE(has(rules_of(acl, "button-1"), "write snet/home/reading/button-1"));
}

TEST_CASE("the ACL: a relayer reads the readings its rules watch, a sensor cannot fire a rule") {
  const Topology topology = load_topology(test::source_path("topology/rules.json"));
  const std::string acl = mosquitto_acl(
      topology, {{"relayer", ServiceRole::relayer}, {"relayer-2", ServiceRole::relayer}});
  for (const auto* user : {"snet.relayer", "snet.relayer-2"}) {
    CAPTURE(user);
    CHECK(has(rules_of(acl, user), "read #"));  // snet/rules/reading/thermo-1 among them
    CHECK(has(rules_of(acl, user), "write snet/rules/event/+"));  // a failed firing's PressError
  }
  // A sensor publishes readings only: it cannot command what its rules target, nor speak for
  // the rule.
  for (const auto& rule : rules_of(acl, "thermo-1")) {
    CAPTURE(rule);
    CHECK(rule.find("thermo-1") != std::string::npos);
    CHECK(rule.rfind("write ", 0) == 0);
  }
  CHECK_FALSE(has(rules_of(acl, "thermo-1"), "write snet/rules/cmd/heater-1"));
  CHECK_FALSE(has(rules_of(acl, "thermo-1"), "write snet/rules/event/+"));
}
