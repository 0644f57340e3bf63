// amqps:// (and RabbitMQ's MQTT over TLS) against a real RabbitMQ node with TLS listeners and a
// CA of the test's own (snet/tls_files.hpp): the AMQP bus carries a confirmed QoS 1 message with
// the right CA and is refused, with a log line naming the TLS failure, with a wrong CA.
#include <doctest/doctest.h>

#include <atomic>

#include "amqp_test_support.hpp"
#include "harness.hpp"
#include "snet/bus_loop.hpp"
#include "snet/net.hpp"
#include "snet/tls_files.hpp"
#include "stderr_capture.hpp"

using namespace snet;
using namespace snet::test;

namespace {

struct TlsRabbitMq {
  TempDir dir{"snet-tls-rabbitmq"};
  TlsFiles tls = prepare_tls_files(dir.path() + "/tls", {});
  std::unique_ptr<RabbitMqServer> server;
  TlsRabbitMq() {
    RabbitMqOptions opt;
    opt.amqp_port = free_port();
    opt.mqtt_port = free_port();
    opt.amqps_port = free_port();
    opt.mqtts_port = free_port();
    opt.tls_ca_file = tls.ca_cert;
    opt.tls_cert_file = tls.server_cert;
    opt.tls_key_file = tls.server_key;
    opt.data_dir = dir.path() + "/rabbitmq";
    server = std::make_unique<RabbitMqServer>(opt);
  }
};

TlsRabbitMq& shared_tls_rabbitmq() {
  static TlsRabbitMq node;  // one boot (5-15 s) for every test of this file
  return node;
}

}  // namespace

TEST_CASE("amqps: the AMQP bus publishes a confirmed QoS 1 message and receives it over TLS") {
  auto& rmq = shared_tls_rabbitmq();
  const std::string topic = "snet/" + unique("amqps") + "/press/b";
  Recorder plain(rmq.server->amqp_url(), {topic});  // what went over TLS arrives in the clear
  BusOptions opt;
  opt.url = rmq.server->amqps_url();
  opt.ca_file = rmq.tls.ca_cert;
  auto bus = make_bus(opt);
  std::atomic<int> received{0};
  bus->on_message([&](const Message& m) { received += m.topic == topic ? 1 : 0; });
  bus->subscribe(topic, Qos::at_least_once);
  bus->start();
  REQUIRE(bus->wait_connected(10s));
  BusEvents events;
  bus->publish({topic, "{\"over\":\"amqps\"}", false, {}}, Qos::at_least_once, events.on_done());
  CHECK(plain.wait_for(topic, "amqps"));
  CHECK(eventually([&] { return received == 1; }));
  CHECK(events.wait([&] { return events.acked_locked() == 1; }, 5s));
  bus->stop();
}

TEST_CASE("amqps: a wrong CA is refused with a log line naming the TLS failure") {
  auto& rmq = shared_tls_rabbitmq();
  TempDir other;
  const TlsFiles stranger = prepare_tls_files(other.path() + "/tls", {});
  StderrCapture log;
  BusOptions opt;
  opt.url = rmq.server->amqps_url();
  opt.ca_file = stranger.ca_cert;
  auto bus = make_bus(opt);
  bus->start();
  const bool logged = eventually(
      [&] {
        const std::string text = log.text();
        return text.find("TLS connect to") != std::string::npos &&
               text.find(stranger.ca_cert) != std::string::npos;
      },
      10s);
  CHECK_FALSE(bus->connected());
  bus->stop();
  const std::string text = log.text();
  CAPTURE(text);
  CHECK(logged);
}

TEST_CASE("mqtts on RabbitMQ's MQTT plugin: the BusLoop's client carries QoS 1 over TLS") {
  auto& rmq = shared_tls_rabbitmq();
  const std::string topic = "snet/" + unique("mqtts") + "/press/b";
  Recorder plain(rmq.server->amqp_url(), {topic});
  BusLoop loop;
  BusOptions opt;
  opt.url = rmq.server->mqtts_url();
  opt.ca_file = rmq.tls.ca_cert;
  auto bus = loop.make_bus(opt);
  bus->start();
  REQUIRE(bus->wait_connected(10s));
  std::atomic<int> acked{0};
  bus->publish({topic, "over-mqtts", false, {}}, Qos::at_least_once,
               [&](bool ok, const std::string&) { acked += ok ? 1 : 0; });
  CHECK(plain.wait_for(topic, "over-mqtts"));
  CHECK(eventually([&] { return acked == 1; }));
  bus->stop();
}
