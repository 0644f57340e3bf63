// AMQP devices and MQTT devices on RabbitMQ's MQTT plugin (MQTT 3.1.1) see each other's
// messages: our two Bus implementations, and the command-line tools a person would use.
#include <doctest/doctest.h>

#include "amqp_test_support.hpp"
#include "harness.hpp"

using namespace snet;
using namespace snet::test;

TEST_CASE("MQTT-plugin clients and AMQP clients exchange messages both ways") {
  auto& rmq = shared_rabbitmq();
  const std::string root = "snet/" + unique("mix");
  Recorder amqp_side(rmq.amqp_url(), {root + "/cmd/+"});
  Recorder mqtt_side(rmq.mqtt_url(), {root + "/state/+"});

  BusOptions mqtt_opt;
  mqtt_opt.url = rmq.mqtt_url();
  auto mqtt_pub = make_bus(mqtt_opt);
  mqtt_pub->start();
  REQUIRE(mqtt_pub->wait_connected(10s));
  BusOptions amqp_opt;
  amqp_opt.url = rmq.amqp_url();
  auto amqp_pub = make_bus(amqp_opt);
  amqp_pub->start();
  REQUIRE(amqp_pub->wait_connected(10s));

  SUBCASE("MQTT publish -> AMQP subscriber, with the plugin's headers readable") {
    mqtt_pub->publish({root + "/cmd/lamp", R"({"on":true})", false, {}}, Qos::at_least_once);
    const auto got = amqp_side.wait_for(root + "/cmd/lamp", R"({"on":true})");
    REQUIRE(got);
    CHECK(got->payload == R"({"on":true})");
    // The plugin marks what it forwards; integer headers arrive as text.
    CHECK(got->headers.count("x-mqtt-publish-qos") == 1);
    CHECK(got->headers.at("x-mqtt-publish-qos") == "1");
  }
  SUBCASE("AMQP publish -> MQTT subscriber") {
    amqp_pub->publish({root + "/state/lamp", R"({"on":false})", false, {}}, Qos::at_least_once);
    const auto got = mqtt_side.wait_for(root + "/state/lamp", R"({"on":false})");
    REQUIRE(got);
    CHECK(got->payload == R"({"on":false})");
  }
  SUBCASE("mosquitto_pub on the plugin port reaches an AMQP device") {
    REQUIRE(mosquitto_pub(rmq.mqtt_port(), root + "/cmd/fan", "from-mosquitto_pub") == 0);
    CHECK(amqp_side.wait_for(root + "/cmd/fan", "from-mosquitto_pub"));
  }
  SUBCASE("amqp-publish with a routing key reaches MQTT and AMQP devices") {
    const std::string key = "snet." + root.substr(5);
    REQUIRE(amqp_publish(rmq.amqp_url(), "amq.topic", key + ".state.lamp", "from-amqp-publish",
                         {{"zone", "north"}}) == 0);
    CHECK(mqtt_side.wait_for(root + "/state/lamp", "from-amqp-publish"));
    REQUIRE(amqp_publish(rmq.amqp_url(), "amq.topic", key + ".cmd.lamp", "cli",
                         {{"zone", "north"}}) == 0);
    const auto got = amqp_side.wait_for(root + "/cmd/lamp", "cli");
    REQUIRE(got);
    CHECK(got->headers.count("zone") == 1);
    CHECK(got->headers.at("zone") == "north");
  }
  SUBCASE("an AMQP wildcard subscription matches MQTT publishes on several levels") {
    Recorder any_device(rmq.amqp_url(), {root + "/#"});
    mqtt_pub->publish({root + "/cmd/lamp", "1", false, {}}, Qos::at_least_once);
    mqtt_pub->publish({root + "/state/lamp", "2", false, {}}, Qos::at_least_once);
    CHECK(any_device.wait([&](const std::vector<Message>& all) { return all.size() == 2; }));
    CHECK(mqtt_side.wait_for(root + "/state/lamp", "2"));
  }
}
