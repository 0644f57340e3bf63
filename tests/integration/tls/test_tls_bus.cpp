// mqtts:// against a real Mosquitto with a TLS listener and a CA made per data dir
// (snet/tls_files.hpp): both MQTT buses (Paho's and the BusLoop's) carry QoS 1 messages with the
// right CA, and are refused, with a log line naming the TLS failure, with a wrong CA or none.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <atomic>
#include <fstream>
#include <sstream>

#include "harness.hpp"
#include "snet/bus_loop.hpp"
#include "snet/net.hpp"
#include "snet/tls_files.hpp"
#include "stderr_capture.hpp"

using namespace snet;
using namespace snet::test;

namespace {

unsigned mode_of(const std::string& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

// Mosquitto with its plain listener and a TLS one, both on free ports.
struct TlsMosquitto {
  TempDir dir{"snet-tls-mosquitto"};
  TlsFiles tls = prepare_tls_files(dir.path() + "/tls", {});
  std::unique_ptr<MosquittoServer> server;
  TlsMosquitto() {
    MosquittoOptions opt;
    opt.port = free_port();
    opt.tls_port = free_port();
    opt.data_dir = dir.path() + "/mosquitto";
    opt.tls_ca_file = tls.ca_cert;
    opt.tls_cert_file = tls.server_cert;
    opt.tls_key_file = tls.server_key;
    server = std::make_unique<MosquittoServer>(opt);
  }
};

using Factory = std::function<std::unique_ptr<Bus>(const BusOptions&)>;

void carries_qos1(TlsMosquitto& broker, const Factory& make) {
  Recorder plain(broker.server->url(), {"snet/t/#"});  // what went over TLS arrives in the clear
  BusOptions opt;
  opt.url = broker.server->tls_url();
  opt.ca_file = broker.tls.ca_cert;
  auto bus = make(opt);
  std::atomic<int> received{0};
  bus->on_message([&](const Message& m) { received += m.topic == "snet/t/cmd/a" ? 1 : 0; });
  bus->subscribe("snet/t/cmd/+", Qos::at_least_once);
  bus->start();
  REQUIRE(bus->wait_connected(10s));
  std::atomic<int> acked{0};
  bus->publish({"snet/t/press/b", "{\"over\":\"tls\"}", false, {}}, Qos::at_least_once,
               [&](bool ok, const std::string&) { acked += ok ? 1 : 0; });
  CHECK(plain.wait_for("snet/t/press/b", "tls"));
  CHECK(eventually([&] { return acked == 1; }));
  plain.bus().publish({"snet/t/cmd/a", "on", false, {}}, Qos::at_least_once);
  CHECK(eventually([&] { return received == 1; }));
  bus->stop();
}

// A bus that must not connect: it stays down and the log names the TLS failure.
void refused(TlsMosquitto& broker, const Factory& make, const std::string& ca_file) {
  StderrCapture log;
  BusOptions opt;
  opt.url = broker.server->tls_url();
  opt.ca_file = ca_file;
  auto bus = make(opt);
  bus->start();
  const bool logged = eventually(
      [&] {
        const std::string text = log.text();
        return text.find("TLS") != std::string::npos &&
               text.find("certificate verify failed") != std::string::npos;
      },
      10s);
  CHECK_FALSE(bus->connected());
  bus->stop();
  const std::string text = log.text();
  CAPTURE(text);
  CHECK(logged);
}

}  // namespace

TEST_CASE(
    "TLS files: a CA per folder, kept across runs, keys 0600, the server cert names the hosts") {
  TempDir dir;
  const TlsFiles first = prepare_tls_files(dir.path() + "/tls", {"10.0.0.7"});
  CHECK(mode_of(first.ca_key) == 0600);
  CHECK(mode_of(first.server_key) == 0600);
  CHECK(mode_of(first.dir) == 0700);
  const std::string ca = read_text(first.ca_cert), server = read_text(first.server_cert);
  CHECK(ca.find("BEGIN CERTIFICATE") != std::string::npos);

  const TlsFiles again = prepare_tls_files(dir.path() + "/tls", {"10.0.0.7"});
  CHECK(read_text(again.ca_cert) == ca);
  CHECK(read_text(again.server_cert) == server);  // nothing new to name: kept

  const TlsFiles moved = prepare_tls_files(dir.path() + "/tls", {"10.0.0.8"});
  CHECK(read_text(moved.ca_cert) == ca);  // clients keep trusting it
  CHECK(read_text(moved.server_cert) != server);
}

TEST_CASE("mqtts: Paho's bus and the BusLoop's carry QoS 1 both ways with the data dir's CA") {
  TlsMosquitto broker;
  SUBCASE("Paho") {
    carries_qos1(broker, [](const BusOptions& o) { return make_bus(o); });
  }
  SUBCASE("BusLoop") {
    BusLoop loop;
    carries_qos1(broker, [&](const BusOptions& o) { return loop.make_bus(o); });
  }
}

TEST_CASE("mqtts: a wrong CA or none is refused with a log line naming the TLS failure") {
  TlsMosquitto broker;
  TempDir other;
  const TlsFiles stranger = prepare_tls_files(other.path() + "/tls", {});
  SUBCASE("Paho, another CA") {
    refused(
        broker, [](const BusOptions& o) { return make_bus(o); }, stranger.ca_cert);
  }
  SUBCASE("Paho, the system's trust store") {
    refused(
        broker, [](const BusOptions& o) { return make_bus(o); }, "");
  }
  SUBCASE("BusLoop, another CA") {
    BusLoop loop;
    refused(
        broker, [&](const BusOptions& o) { return loop.make_bus(o); }, stranger.ca_cert);
  }
  SUBCASE("BusLoop, the system's trust store") {
    BusLoop loop;
    refused(
        broker, [&](const BusOptions& o) { return loop.make_bus(o); }, "");
  }
}

TEST_CASE("mqtts: a CA file that cannot be loaded is a clear error, not a retry loop") {
  BusLoop loop;
  BusOptions opt;
  opt.url = "mqtts://127.0.0.1:" + std::to_string(free_port());
  opt.ca_file = "/nonexistent/ca.crt";
  try {
    (void)loop.make_bus(opt);
    FAIL("expected std::invalid_argument");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("/nonexistent/ca.crt") != std::string::npos);
  }
}
