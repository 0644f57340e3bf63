// Faults on RabbitMQ: a broker restart in the middle of a run, and messages that cannot be
// routed or read. Services recover by themselves, count what they could not use, and keep going.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include "emulation.hpp"

using namespace snet;
using namespace snet::test;
using nlohmann::json;

namespace {

long metric(const json& metrics, const std::string& name) {
  return metrics.value(name, 0L);
}

}  // namespace

TEST_CASE("after a RabbitMQ restart, devices and relayer reconnect and every later press applies") {
  Emulation emu(BrokerChoice::rabbitmq, topology_json("topology/mixed.json"), "restart");
  emu.start();
  emu.press("mqtt-switch", "before-restart");
  REQUIRE_MESSAGE(emu.wait_states("before-restart", {"amqp-lamp", "mqtt-lamp"}), emu.logs());

  shared_rabbitmq().server().restart();
  const Micros restarted = now_us();
  // Statuses stamped after the restart, showing every device (AMQP and MQTT-plugin) reconnected
  // and subscribed again, and the relayer too; they arrive through the recorder, reconnected.
  REQUIRE_MESSAGE(
      emu.wait_status(
          "agent", restarted,
          [](const json& m) { return metric(m, "snet_agent_devices_connected") == 6; }, 60s),
      emu.logs());
  REQUIRE_MESSAGE(
      emu.wait_status("relayer", restarted,
                      [](const json& m) { return metric(m, "snet_relayer_connected") == 1; }),
      emu.logs());

  // Every press after recovery is applied, by AMQP and MQTT actuators, whoever sends it.
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    const std::string id = "after-" + std::to_string(i);
    ids.push_back(id);
    if (i % 2 == 0) {
      emu.press(i % 4 == 0 ? "mqtt-switch" : "amqp-switch", id);
    } else {
      REQUIRE(mosquitto_pub(emu.mqtt_port(), emu.topic("press", "all-off"),
                            "{\"id\":\"" + id + "\"}") == 0);
    }
  }
  for (int i = 0; i < 10; ++i) {
    const std::vector<std::string> reached =
        i % 2 == 1   ? std::vector<std::string>{"amqp-lamp", "mqtt-lamp", "mqtt-fan"}
        : i % 4 == 0 ? std::vector<std::string>{"amqp-lamp", "mqtt-lamp"}
                     : std::vector<std::string>{"mqtt-fan"};
    CAPTURE(ids[i]);
    CHECK_MESSAGE(emu.wait_states(ids[i], reached), emu.logs());
  }
  CHECK(emu.relayer->process().running());
  CHECK(emu.agent->process().running());
}

TEST_CASE("unroutable and malformed messages are counted, never fatal") {
  Emulation emu(BrokerChoice::rabbitmq, json::parse(R"({
    "routing": "headers",
    "devices": [
      {"id": "north", "kind": "button", "match": {"x-match": "any", "zone": "north"}},
      {"id": "west", "kind": "button", "match": {"zone": "west"}},
      {"id": "north-lamp", "kind": "actuator", "attrs": {"zone": "north"}},
      {"id": "south-lamp", "kind": "actuator", "attrs": {"zone": "south"}},
      {"id": "west-lamp", "kind": "actuator", "attrs": {"zone": "west"}}]})"),
                "bad");
  // west-lamp is never started: nothing is bound for the "west" match.
  emu.start({"--devices", "north,west,north-lamp,south-lamp"});
  const Micros since = now_us();
  const std::string press_key = "snet." + emu.name + ".press.";
  const std::map<std::string, std::string> north_headers = {
      {"snet-topology", emu.name}, {"snet-match", "any"}, {"zone", "north"}};

  // A command no queue takes: the relayer counts it and reports the press as failed.
  emu.press("west", "to-nowhere");
  REQUIRE_MESSAGE(emu.recorder->wait_for(emu.topic("event", "west"), "to-nowhere", 10s),
                  emu.logs());
  CHECK(emu.recorder->wait_for(emu.topic("event", "west"), "unroutable", 0s));
  // A malformed press, and a press for a button the topology does not have.
  REQUIRE(amqp_publish(emu.url(), "amq.topic", press_key + "north", "{oops") == 0);
  REQUIRE(amqp_publish(emu.url(), "amq.topic", press_key + "nobody", "{}") == 0);
  // A malformed command matched to north-lamp by the headers exchange, and a well-formed one
  // under a routing key that is not a command topic.
  REQUIRE(amqp_publish(emu.url(), "snet.headers", "snet." + emu.name + ".match.x", "not json",
                       north_headers) == 0);
  REQUIRE(amqp_publish(emu.url(), "snet.headers", "elsewhere", R"({"on":true,"press_id":"stray"})",
                       north_headers) == 0);

  CHECK_MESSAGE(emu.wait_status("relayer", since,
                                [](const json& m) {
                                  return metric(m, "snet_relayer_unroutable_total") == 1 &&
                                         metric(m, "snet_relayer_press_errors_total") == 1 &&
                                         metric(m,
                                                "snet_relayer_rejected_total{reason=\""
                                                "malformed_json\"}") == 1 &&
                                         metric(m,
                                                "snet_relayer_rejected_total{reason=\""
                                                "unknown_device\"}") == 1;
                                }),
                emu.logs());
  CHECK_MESSAGE(emu.wait_status("agent", since,
                                [](const json& m) {
                                  return metric(m,
                                                "snet_agent_rejected_total{reason=\""
                                                "malformed_json\"}") == 1 &&
                                         metric(m,
                                                "snet_agent_rejected_total{reason=\""
                                                "unknown_topic\"}") == 1;
                                }),
                emu.logs());

  // Nothing broke: the next press is applied by exactly its actuator.
  emu.press("north", "still-fine");
  REQUIRE_MESSAGE(emu.wait_states("still-fine", {"north-lamp"}), emu.logs());
  CHECK(emu.reports_of("still-fine").size() == 1);
  CHECK(emu.reports_of("stray").empty());
  CHECK(emu.relayer->process().running());
  CHECK(emu.agent->process().running());
}

TEST_CASE("services refuse a broker URL that cannot carry the topology's routing or protocols") {
  // No broker needed: both check their URL against the topology before connecting.
  const auto run = [](const std::string& program, const std::string& topology) {
    Service service(program, {"--broker-url", "mqtt://127.0.0.1:1", "--topology",
                              source_path("topology/" + topology)});
    REQUIRE(service.process().wait_for(10s));
    const auto status = service.process().exit_status();
    REQUIRE(status);
    CHECK(WIFEXITED(*status));
    CHECK(WEXITSTATUS(*status) == 2);
    return service.log();
  };
  // Over MQTT the relayer could not reach the group exchanges: AMQP members would miss commands.
  CHECK(run("snet-relayer", "fanout.json")
            .find("fanout routing on RabbitMQ publishes to exchanges: give the AMQP URL") !=
        std::string::npos);
  // RabbitMQ's MQTT plugin has no $share: the relayer would never see a press.
  CHECK(run("snet-relayer", "mixed.json")
            .find("RabbitMQ's MQTT plugin has no shared subscriptions: give the AMQP URL") !=
        std::string::npos);
  CHECK(run("snet-agent", "headers.json")
            .find("device 'north-lamps' speaks amqp, but --broker-url 'mqtt://127.0.0.1:1' is "
                  "not an amqp:// URL") != std::string::npos);
}
