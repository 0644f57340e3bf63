// The definitions `snet up` gives its RabbitMQ (cli/rabbitmq_accounts.hpp): users, vhost
// permissions and topic permissions, checked by matching their regexes as RabbitMQ does
// (unanchored search; std::regex's ECMAScript grammar reads these patterns as PCRE does).
#include <doctest/doctest.h>

#include <regex>

#include "harness.hpp"
#include "rabbitmq_accounts.hpp"
#include "snet/topology.hpp"

using namespace snet;
using namespace snet::cli;
using nlohmann::json;

namespace {

const std::vector<ServiceAccount> kServices = {{"relayer", ServiceRole::relayer},
                                               {"state", ServiceRole::state},
                                               {"agent", ServiceRole::agent},
                                               {"whisk", ServiceRole::whisk}};

std::map<std::string, std::string> passwords_for(const Topology& topology) {
  std::map<std::string, std::string> out = {
      {kOperatorUser, "op"}, {kComputeUser, "compute"}, {kAnonymousUser, "anon"}};
  for (const auto& service : kServices) out[service_user(service.name)] = "pw-" + service.name;
  for (const auto& device : topology.devices) out[device.id] = "pw-" + device.id;
  return out;
}

json entry_of(const json& list, const std::string& user) {
  for (const auto& entry : list) {
    if (entry.value("user", "") == user || entry.value("name", "") == user) return entry;
  }
  return json();
}

// Whether `user` may `what` ("configure", "write", "read") the queue or exchange `name`.
bool may(const json& definitions, const std::string& user, const std::string& what,
         const std::string& name) {
  const json entry = entry_of(definitions["permissions"], user);
  if (entry.is_null()) return false;
  return std::regex_search(name, std::regex(entry[what].get<std::string>()));
}

// Whether `user` may `what` ("write", "read") routing key `key` on amq.topic (no topic
// permission: anything, as in RabbitMQ).
bool may_topic(const json& definitions, const std::string& user, const std::string& what,
               const std::string& key) {
  const json entry = entry_of(definitions["topic_permissions"], user);
  if (entry.is_null()) return true;
  return std::regex_search(key, std::regex(entry[what].get<std::string>()));
}

}  // namespace

TEST_CASE("RabbitMQ password hashes are rabbit_password_hashing_sha256's") {
  // base64(salt + sha256(salt + "secret")) for salt 01 02 03 04 (computed with Python).
  CHECK(rabbitmq_password_hash("secret", {1, 2, 3, 4}) ==
        "AQIDBDB9kM21iEUzN1lZ+6VReCsdNqS0sERdAQTcY6Xs3PMz");
}

TEST_CASE("RabbitMQ definitions: no guest, no administrator, each login held to its own keys") {
  const Topology topology = load_topology(test::source_path("topology/single.json"));
  const json base = {{"vhosts", json::array({{{"name", "snet"}}})},
                     {"users", json::array({{{"name", "snet"}, {"tags", {"administrator"}}}})}};
  const json d = rabbitmq_definitions(base, topology, kServices, passwords_for(topology), true);
  CHECK(d["vhosts"] == base["vhosts"]);
  for (const auto& user : d["users"]) {
    CAPTURE(user.dump());
    CHECK(user["tags"].empty());
    CHECK(user["name"] != "guest");
    CHECK(user["name"] != "snet");
    CHECK(user["hashing_algorithm"] == "rabbit_password_hashing_sha256");
    CHECK(user["password_hash"].get<std::string>().size() == 48);  // 36 bytes in base64
  }
  CHECK(d["users"].size() == 4 + 3 + 6);  // services, operator/compute/anonymous, devices

  SUBCASE("a button: its own press and presence, its trigger, its own session queues") {
    CHECK(may_topic(d, "button-1", "write", "snet.single.press.button-1"));
    CHECK(may_topic(d, "button-1", "write", "snet.single.presence.button-1"));
    CHECK_FALSE(may_topic(d, "button-1", "write", "snet.single.press.button-2"));
    CHECK_FALSE(may_topic(d, "button-1", "write", "snet.single.press.button-10"));
    CHECK_FALSE(may_topic(d, "button-1", "write", "snet.single.state.actuator-1"));
    CHECK_FALSE(may_topic(d, "button-1", "write", "snet.single.cmd.actuator-1"));
    CHECK_FALSE(may_topic(d, "button-1", "write", "snet.single.status.relayer"));
    CHECK(may_topic(d, "button-1", "read", "snet.single.trigger.button-1"));
    CHECK_FALSE(may_topic(d, "button-1", "read", "#"));
    CHECK_FALSE(may_topic(d, "button-1", "read", "snet.single.#"));
    CHECK(may(d, "button-1", "configure", "snet-bus-snet-single-button-1"));
    CHECK(may(d, "button-1", "configure", "mqtt-subscription-snet-single-button-1qos1"));
    CHECK_FALSE(may(d, "button-1", "configure", "snet-bus-snet-single-relayer"));
    CHECK_FALSE(may(d, "button-1", "configure", "snet-bus-snet-single-button-2"));
    CHECK_FALSE(may(d, "button-1", "configure", "amq.topic"));
    CHECK_FALSE(may(d, "button-1", "configure", "snet.headers"));
    CHECK_FALSE(may(d, "button-1", "read", "snet-bus-snet-single-state"));
    CHECK(may(d, "button-1", "write", "amq.topic"));
    CHECK_FALSE(may(d, "button-1", "write", "snet.headers"));
  }
  SUBCASE("an actuator: its own commands in, its own state out") {
    CHECK(may_topic(d, "actuator-1", "read", "snet.single.cmd.actuator-1"));
    CHECK_FALSE(may_topic(d, "actuator-1", "read", "snet.single.cmd.actuator-2"));
    CHECK_FALSE(may_topic(d, "actuator-1", "read", "snet.single.cmd.*"));
    CHECK(may_topic(d, "actuator-1", "write", "snet.single.state.actuator-1"));
    CHECK_FALSE(may_topic(d, "actuator-1", "write", "snet.single.state.actuator-2"));
    CHECK_FALSE(may_topic(d, "actuator-1", "write", "snet.single.cmd.actuator-1"));
    CHECK_FALSE(may_topic(d, "actuator-1", "write", "snet.single.press.button-1"));
  }
  SUBCASE("services read everything and publish their own status and their role's topics") {
    CHECK(may_topic(d, "snet.state", "read", "#"));
    CHECK(may_topic(d, "snet.relayer", "write", "snet.single.cmd.actuator-1"));
    CHECK(may_topic(d, "snet.relayer", "write", "snet.single.status.relayer"));
    CHECK_FALSE(may_topic(d, "snet.relayer", "write", "snet.single.status.state"));
    CHECK_FALSE(may_topic(d, "snet.relayer", "write", "snet.single.state.actuator-1"));
    CHECK_FALSE(may_topic(d, "snet.agent", "write", "snet.single.cmd.actuator-1"));
    CHECK(may(d, "snet.relayer", "configure", "snet-bus-snet-single-relayer"));
    CHECK(may_topic(d, kOperatorUser, "write", "snet.single.state.actuator-1"));
  }
  SUBCASE("anonymous MQTT clients press and read states and readings, in queues of their own") {
    CHECK(may_topic(d, kAnonymousUser, "write", "snet.single.press.button-2"));
    CHECK_FALSE(may_topic(d, kAnonymousUser, "write", "snet.single.state.actuator-1"));
    CHECK_FALSE(may_topic(d, kAnonymousUser, "write", "snet.single.cmd.actuator-1"));
    CHECK(may_topic(d, kAnonymousUser, "read", "snet.single.state.*"));
    CHECK(may_topic(d, kAnonymousUser, "read", "snet.single.state.#"));
    CHECK(may_topic(d, kAnonymousUser, "read", "snet.single.reading.*"));
    CHECK_FALSE(may_topic(d, kAnonymousUser, "write", "snet.single.reading.sensor-1"));
    CHECK_FALSE(may_topic(d, kAnonymousUser, "read", "#"));
    CHECK_FALSE(may_topic(d, kAnonymousUser, "read", "snet.single.cmd.actuator-1"));
    CHECK(may(d, kAnonymousUser, "configure", "mqtt-subscription-mosq-abcqos0"));
    CHECK_FALSE(may(d, kAnonymousUser, "configure", "mqtt-subscription-snet-single-button-1qos1"));
    CHECK_FALSE(may(d, kAnonymousUser, "configure", "snet-bus-snet-single-state"));
  }
  SUBCASE("without anonymous clients there is no such user") {
    const json closed =
        rabbitmq_definitions(base, topology, kServices, passwords_for(topology), false);
    CHECK(entry_of(closed["users"], kAnonymousUser).is_null());
    CHECK(entry_of(closed["permissions"], kAnonymousUser).is_null());
  }
}

TEST_CASE("RabbitMQ definitions: an actuator may declare only the exchanges its routing binds") {
  const Topology topology = load_topology(test::source_path("topology/fanout.json"));
  std::map<std::string, std::string> passwords = passwords_for(topology);
  const json d = rabbitmq_definitions(json::object(), topology, kServices, passwords, false);
  // hall-lamp-1 is in groups hall and house; porch-lamp (MQTT) in porch and house.
  CHECK(may(d, "hall-lamp-1", "configure", "snet.fanout.group.hall"));
  CHECK(may(d, "hall-lamp-1", "read", "snet.fanout.group.house"));
  CHECK_FALSE(may(d, "hall-lamp-1", "write", "snet.fanout.group.hall"));  // no commands of its own
  CHECK_FALSE(may(d, "hall-lamp-1", "configure", "snet.fanout.group.porch"));
  CHECK_FALSE(may(d, "hall-lamp-1", "configure", "snet.headers"));
  CHECK(may_topic(d, "porch-lamp", "read", "snet.fanout.group.porch"));
  CHECK_FALSE(may_topic(d, "porch-lamp", "read", "snet.fanout.group.hall"));
}

TEST_CASE("RabbitMQ definitions: a sensor writes its own reading key only") {
  const Topology topology = load_topology(test::source_path("topology/sensors.json"));
  const json d =
      rabbitmq_definitions(json::object(), topology, kServices, passwords_for(topology), true);
  CHECK(may_topic(d, "thermo-1", "write", "snet.sensors.reading.thermo-1"));
  CHECK(may_topic(d, "thermo-1", "write", "snet.sensors.presence.thermo-1"));
  CHECK_FALSE(may_topic(d, "thermo-1", "write", "snet.sensors.reading.power-1"));
  CHECK_FALSE(may_topic(d, "thermo-1", "write", "snet.sensors.reading.thermo-10"));
  CHECK_FALSE(may_topic(d, "thermo-1", "write", "snet.sensors.press.button-1"));
  CHECK_FALSE(may_topic(d, "thermo-1", "write", "snet.sensors.state.lamp-1"));
  CHECK_FALSE(may_topic(d, "thermo-1", "read", "snet.sensors.reading.thermo-1"));
  CHECK_FALSE(may_topic(d, "thermo-1", "read", "snet.sensors.cmd.lamp-1"));
  CHECK_FALSE(may_topic(d, "power-1", "write", "snet.sensors.reading.thermo-1"));
  CHECK_FALSE(may_topic(d, "button-1", "write", "snet.sensors.reading.thermo-1"));
  CHECK(may_topic(d, "snet.state", "read", "snet.sensors.reading.thermo-1"));
  CHECK(may(d, "thermo-1", "configure", "snet-bus-snet-sensors-thermo-1"));
  CHECK_FALSE(may(d, "thermo-1", "configure", "snet-bus-snet-sensors-power-1"));
}

TEST_CASE("RabbitMQ definitions: a composite device writes its own state and reading keys") {
  const Topology topology = load_topology(test::source_path("topology/home.json"));
  const json d =
      rabbitmq_definitions(json::object(), topology, kServices, passwords_for(topology), true);
  CHECK(may_topic(d, "thermostat-1", "write", "snet.home.reading.thermostat-1"));
  CHECK(may_topic(d, "thermostat-1", "write", "snet.home.state.thermostat-1"));
  CHECK(may_topic(d, "thermostat-1", "read", "snet.home.cmd.thermostat-1"));
  CHECK_FALSE(may_topic(d, "thermostat-1", "write", "snet.home.reading.plug-1"));
  CHECK_FALSE(may_topic(d, "thermostat-1", "read", "snet.home.cmd.plug-1"));
  CHECK_FALSE(may_topic(d, "thermostat-1", "write", "snet.home.state.plug-1"));
  CHECK_FALSE(may_topic(d, "plug-1", "write", "snet.home.reading.thermostat-1"));
  CHECK_FALSE(may_topic(d, "button-1", "write", "snet.home.reading.thermostat-1"));
}

TEST_CASE("RabbitMQ definitions: a relayer reads the readings its rules watch") {
  const Topology topology = load_topology(test::source_path("topology/rules.json"));
  const json d =
      rabbitmq_definitions(json::object(), topology, kServices, passwords_for(topology), true);
  CHECK(may_topic(d, "snet.relayer", "read", "snet.rules.reading.thermo-1"));
  CHECK(may_topic(d, "snet.relayer", "write", "snet.rules.event.too-warm"));
  CHECK(may_topic(d, "snet.relayer", "write", "snet.rules.cmd.heater-1"));
  CHECK_FALSE(may_topic(d, "thermo-1", "write", "snet.rules.cmd.heater-1"));
  CHECK_FALSE(may_topic(d, "thermo-1", "write", "snet.rules.event.too-warm"));
  CHECK_FALSE(may_topic(d, "snet.compute", "write", "snet.rules.reading.thermo-1"));
}
