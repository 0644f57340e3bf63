#include <doctest/doctest.h>

#include <atomic>

#include "harness.hpp"
#include "snet/net.hpp"

using namespace snet;
using namespace snet::test;

TEST_CASE("the MQTT bus publishes and receives through a real mosquitto") {
  Mosquitto broker;
  Recorder recorder(broker.url(), {"snet/t/#"});
  BusOptions opt;
  opt.url = broker.url();
  auto bus = make_bus(opt);
  bus->start();
  REQUIRE(bus->wait_connected(5s));
  std::atomic<int> acked{0};
  bus->publish({"snet/t/press/b", "{}", false, {}}, Qos::at_least_once,
               [&](bool ok, const std::string&) { acked += ok ? 1 : 0; });
  CHECK(recorder.wait_for("snet/t/press/b"));
  CHECK(eventually([&] { return acked == 1; }));
}

TEST_CASE("the MQTT bus connects once the broker appears, and re-subscribes after a restart") {
  const int port = free_port();
  BusOptions opt;
  opt.url = "mqtt://127.0.0.1:" + std::to_string(port);
  auto bus = make_bus(opt);
  std::atomic<int> received{0};
  bus->on_message([&](const Message&) { ++received; });
  bus->subscribe("snet/t/cmd/+", Qos::at_least_once);
  bus->start();
  CHECK_FALSE(bus->wait_connected(300ms));  // nothing listens yet

  TempDir dir;
  MosquittoOptions mo;
  mo.port = port;
  mo.data_dir = dir.path();
  MosquittoServer server(mo);
  REQUIRE(bus->wait_connected(10s));
  CHECK(mosquitto_pub(port, "snet/t/cmd/a", "x") == 0);
  CHECK(eventually([&] { return received == 1; }));

  server.restart();
  REQUIRE(eventually([&] { return bus->connected(); }, 10s));
  CHECK(mosquitto_pub(port, "snet/t/cmd/a", "y") == 0);
  CHECK(eventually([&] { return received == 2; }));
}
