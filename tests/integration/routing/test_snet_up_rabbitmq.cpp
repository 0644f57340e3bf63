// `snet up` with a "broker": "rabbitmq" topology starts its own RabbitMQ (data under --data-dir),
// gives the services the AMQP URL and the MQTT devices the plugin's, and stops it all on SIGTERM.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <csignal>
#include <filesystem>

#include "harness.hpp"
#include "snet/broker_credentials.hpp"
#include "snet/net.hpp"

using namespace snet;
using namespace snet::test;

TEST_CASE("snet up starts RabbitMQ for a rabbitmq topology, runs mixed devices, and stops it") {
  REQUIRE_MESSAGE(std::filesystem::exists(built_program("snet-state")),
                  "snet-state is not built: build it to run this test");
  TempDir data("snet-up-rabbitmq");
  const int amqp_port = free_port(), mqtt_port = free_port(), http_port = free_port();
  const std::string log_path = data.path() + "/snet-up.out";
  ChildProcess up(
      {built_program("snet"), "up", source_path("topology/mixed.json"), "--amqp-port",
       std::to_string(amqp_port), "--mqtt-port", std::to_string(mqtt_port), "--http-port",
       std::to_string(http_port), "--whisk-port", std::to_string(free_port()), "--data-dir",
       data.path() + "/data", "--start-timeout-s", "60"},
      ChildProcess::Options{{}, log_path, "=stdout", true});
  REQUIRE_MESSAGE(
      eventually(
          [&] { return read_text(log_path).find("Serverlessnet is up") != std::string::npos; },
          120s),
      read_text(log_path));
  // The operator's login (snet.up), generated for this data dir.
  const std::string password = read_secret_file(data.path() + "/data/credentials/snet.up.password");
  const std::string amqp_url =
      "amqp://snet.up:" + password + "@127.0.0.1:" + std::to_string(amqp_port) + "/snet";
  // The broker is named, its password never shown (it reaches the services by file).
  const std::string log = read_text(log_path);
  CHECK(log.find("broker amqp://snet.up@") != std::string::npos);
  CHECK(log.find(password) == std::string::npos);
  CHECK(log.find("@127.0.0.1:" + std::to_string(amqp_port) + "/snet") != std::string::npos);
  CHECK(log.find(amqp_url) == std::string::npos);
  CHECK(std::filesystem::exists(data.path() + "/data/rabbitmq/rabbitmq.log"));

  // A press with mosquitto_pub on the plugin's port reaches an AMQP and an MQTT lamp.
  Recorder recorder(amqp_url, {"snet/mixed/state/+"});
  REQUIRE(mosquitto_pub(mqtt_port, "snet/mixed/press/mqtt-switch", R"({"id":"up-rabbit"})") == 0);
  CHECK(recorder.wait_for("snet/mixed/state/amqp-lamp", "up-rabbit", 10s));
  CHECK(recorder.wait_for("snet/mixed/state/mqtt-lamp", "up-rabbit", 10s));
  CHECK(http_request("GET", http_port, "/healthz").status == 200);
  const auto topology = http_request("GET", http_port, "/api/topology");
  CHECK(topology.body.find("\"pattern:1/lamp\"") != std::string::npos);

  up.signal(SIGTERM);
  REQUIRE(up.wait_for(60s));
  REQUIRE(up.exit_status());
  CHECK(WIFEXITED(*up.exit_status()));
  CHECK(WEXITSTATUS(*up.exit_status()) == 0);
  // The node is gone: nothing accepts connections on its ports any more.
  CHECK_FALSE(wait_for_port("127.0.0.1", amqp_port, std::chrono::milliseconds(200)));
  CHECK_FALSE(wait_for_port("127.0.0.1", mqtt_port, std::chrono::milliseconds(200)));
}
