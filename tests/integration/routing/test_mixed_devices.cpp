// MQTT devices (through RabbitMQ's MQTT plugin) and AMQP devices in one topology, pressed the
// ways a person would: mosquitto_pub on the plugin's port and amqp-publish on amq.topic.
#include <doctest/doctest.h>

#include "emulation.hpp"

using namespace snet;
using namespace snet::test;
using nlohmann::json;

namespace {

json mixed_example() {
  json topo = topology_json("topology/mixed.json");
  topo["devices"].push_back({{"id", "everyone"}, {"kind", "button"}, {"patterns", {"#"}}});
  return topo;
}

}  // namespace

TEST_CASE("MQTT-plugin and AMQP devices share one RabbitMQ topology, both ways") {
  Emulation emu(BrokerChoice::rabbitmq, mixed_example(), "mix");
  emu.start();
  // The MQTT button presses; its pattern reaches an AMQP lamp and an MQTT lamp.
  emu.expect_exactly("mqtt-switch", {"amqp-lamp", "mqtt-lamp"}, true);
  // The AMQP button commands an MQTT actuator.
  emu.expect_exactly("amqp-switch", {"mqtt-fan"}, true);

  // A press by hand with mosquitto_pub on the plugin's port ...
  REQUIRE(mosquitto_pub(emu.mqtt_port(), emu.topic("press", "mqtt-switch"),
                        R"({"id":"by-mosquitto-pub"})") == 0);
  REQUIRE_MESSAGE(emu.wait_states("by-mosquitto-pub", {"amqp-lamp", "mqtt-lamp"}), emu.logs());
  // ... and with amqp-publish on amq.topic ('/' becomes '.').
  REQUIRE(amqp_publish(emu.url(), "amq.topic", "snet." + emu.name + ".press.amqp-switch",
                       R"({"id":"by-amqp-publish"})") == 0);
  REQUIRE_MESSAGE(emu.wait_states("by-amqp-publish", {"mqtt-fan"}), emu.logs());
  CHECK_FALSE(emu.state_of("mqtt-fan", "by-amqp-publish")->on);  // on before, flipped off

  // The emulated buttons press when triggered, whichever protocol they speak.
  emu.recorder->bus().publish(
      Message{emu.topic("trigger", "mqtt-switch"), R"({"id":"triggered"})", false, {}},
      Qos::at_least_once);
  REQUIRE_MESSAGE(emu.wait_states("triggered", {"amqp-lamp", "mqtt-lamp"}), emu.logs());
  // Seven presses, every command delivered: none unroutable, no press failed.
  const auto relayer = emu.wait_status(
      "relayer", 0, [](const json& m) { return m.value("snet_relayer_presses_total", 0L) == 7; });
  REQUIRE(relayer);
  CHECK(relayer->value("snet_relayer_commands_total", 0L) == 7);
  CHECK(relayer->value("snet_relayer_unroutable_total", -1L) == 0);
  CHECK(relayer->value("snet_relayer_press_errors_total", -1L) == 0);
}
