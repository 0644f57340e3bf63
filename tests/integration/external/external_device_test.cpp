// A device played by another program (docs/external-devices.md): `snet up topology/external.json`
// runs examples/external-device/lamp.py (Python, paho-mqtt) with its login in its environment; a
// press by an independent client reaches it through the relayer like any actuator, its state is
// retained and flipped from, its login cannot speak for another device, and it ends with the
// stack. ExternalProgram (cli/external_devices.hpp) leaves nothing of its program behind.
#include <doctest/doctest.h>

#include <signal.h>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "external_devices.hpp"
#include "harness.hpp"
#include "snet/broker_credentials.hpp"
#include "snet/bus.hpp"
#include "snet/topics.hpp"
#include "snet_up.hpp"

using namespace snet;
using namespace snet::test;
using nlohmann::json;

namespace {

const std::string t = "external";

std::string topic(topics::Kind kind, const std::string& device) {
  return topics::make(t, kind, device);
}

// Publishes (QoS 1) with the given login, acknowledged before it returns.
void publish_as(const std::string& url, const std::string& client_id,
                const std::vector<Message>& messages) {
  BusOptions options;
  options.url = url;
  options.client_id = client_id;
  auto bus = make_bus(options);
  bus->on_message([](const Message&) {});
  bus->start();
  REQUIRE(bus->wait_connected(10s));
  for (const auto& m : messages) bus->publish(m, Qos::at_least_once);
  bus->stop();
}

bool received(Recorder& recorder, const std::string& needle) {
  for (const auto& m : recorder.messages()) {
    if (m.payload.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string cmdline_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("external: snet up runs the Python lamp, presses reach it, its login stays its own") {
  SnetUp::Options options;
  options.topology = "topology/external.json";
  options.topology_name = t;
  SnetUp up(options);
  const std::string creds = up.data_dir() + "/credentials";
  const std::string password_file = creds + "/py-lamp.password";
  const std::string password = read_secret_file(password_file);
  REQUIRE_FALSE(password.empty());

  // It says how the program connects, and never the password; nor does any command line.
  const std::string out = up.output();
  CHECK(out.find("external device py-lamp (plays actuator): run by snet up as external-py-lamp") !=
        std::string::npos);
  CHECK(out.find("SNET_BROKER_PASSWORD_FILE=" + password_file) != std::string::npos);
  CHECK(out.find("SNET_BROKER_URL=mqtt://py-lamp@127.0.0.1:" + std::to_string(up.mqtt_port())) !=
        std::string::npos);
  CHECK(out.find(password) == std::string::npos);
  const pid_t lamp = up.pid_of("external-py-lamp");
  REQUIRE(lamp > 0);
  CHECK(up.service("external-py-lamp").value("kind", "") == "external");
  CHECK(cmdline_of(lamp).find("lamp.py") != std::string::npos);
  for (const auto& [pid, name] : descendants_of(up.pid())) {
    CAPTURE(name);
    CHECK(cmdline_of(pid).find(password) == std::string::npos);
  }
  // No agent plays it: the agent hosts the two others only.
  CHECK(read_credentials_file(creds + "/devices.credentials").count("py-lamp") == 0);

  Recorder spy(up.mqtt_url(), {"snet/" + t + "/#"});
  // Online once subscribed (it announces itself after its subscriptions).
  REQUIRE(spy.wait_for(topic(topics::Kind::presence, "py-lamp"), "true", 30s));

  // An independent client presses: both lamps, the Python one and the emulated one, switch on.
  REQUIRE(mosquitto_pub(up.mqtt_port(), topic(topics::Kind::press, "hall-button"),
                        R"({"id":"ext-press-1"})") == 0);
  const auto on = spy.wait_for(topic(topics::Kind::state, "py-lamp"), "ext-press-1", 15s);
  REQUIRE(on);
  const json state = json::parse(on->payload);
  CHECK(state["device"] == "py-lamp");
  CHECK(state["on"] == true);
  CHECK(state["press_id"] == "ext-press-1");
  CHECK(state["button"] == "hall-button");
  CHECK(state["applied_ts"].get<std::int64_t>() > 0);
  CHECK(spy.wait_for(topic(topics::Kind::state, "lamp"), "ext-press-1", 15s));
  // Retained: a late subscriber gets it at once.
  {
    Recorder late(up.mqtt_url(), {topic(topics::Kind::state, "py-lamp")});
    const auto kept = late.wait_for(topic(topics::Kind::state, "py-lamp"), "ext-press-1", 10s);
    REQUIRE(kept);
    CHECK(kept->retained);
  }
  // The state service shows it like any actuator.
  CHECK(eventually(
      [&] {
        const auto got = http_request("GET", up.http_port(), "/api/devices/py-lamp");
        return got.status == 200 && got.body.find("ext-press-1") != std::string::npos;
      },
      10s));
  // The relayer flips from its reported state: the second press turns it off.
  REQUIRE(mosquitto_pub(up.mqtt_port(), topic(topics::Kind::press, "hall-button"),
                        R"({"id":"ext-press-2"})") == 0);
  const auto off = spy.wait_for(topic(topics::Kind::state, "py-lamp"), "ext-press-2", 15s);
  REQUIRE(off);
  CHECK(json::parse(off->payload)["on"] == false);

  // Its login is held to its own topics: another device's state, a press and a command are
  // refused; its own presence (the marker) goes through after them on the same connection.
  const std::string as_lamp =
      with_url_password(with_url_user(up.anonymous_url(), "py-lamp"), password);
  publish_as(
      as_lamp, "py-lamp-attacker",
      {{topic(topics::Kind::state, "lamp"),
        R"({"device":"lamp","on":true,"applied_ts":1,"press_id":"forged-by-py"})",
        true,
        {}},
       {topic(topics::Kind::press, "hall-button"), R"({"id":"press-by-py"})", false, {}},
       {topic(topics::Kind::cmd, "lamp"), R"({"on":true,"press_id":"cmd-by-py"})", false, {}},
       {topic(topics::Kind::presence, "py-lamp"),
        R"({"online":true,"marker":"py-marker"})",
        false,
        {}}});
  CHECK(spy.wait_for(topic(topics::Kind::presence, "py-lamp"), "py-marker", 10s));
  CHECK_FALSE(received(spy, "forged-by-py"));
  CHECK_FALSE(received(spy, "press-by-py"));
  CHECK_FALSE(received(spy, "cmd-by-py"));

  // Stopping the stack stops the program.
  up.process().signal(SIGTERM);
  REQUIRE(up.process().wait_for(30s));
  CHECK_FALSE(alive(lamp));
}

TEST_CASE("external: what the program started itself is killed once it has exited") {
  TempDir dir("snet-external-program");
  const std::string pid_file = dir.path() + "/leftover.pid";
  pid_t leftover = 0;
  // A program that starts a child of its own and writes its pid (relative: in its directory).
  auto start = [&](cli::ExternalProgram& program) {
    std::remove(pid_file.c_str());
    program.start();
    REQUIRE(eventually(
        [&] {
          std::ifstream in(pid_file);
          return static_cast<bool>(in >> leftover) && leftover > 0;
        },
        10s));
    CHECK(alive(leftover));
  };
  const std::vector<std::string> command = {"/bin/sh", "-c",
                                            "sleep 300 & echo $! > leftover.pid; exec sleep 300"};
  {
    cli::ExternalProgram program(command, dir.path(), dir.path() + "/program.log", {});
    start(program);
    // The way the supervisor stops it: its own process only; then tells it it has exited.
    program.process().signal(SIGTERM);
    REQUIRE(program.process().wait_for(10s));
    CHECK(alive(leftover));  // what it started outlives it: without the group kill, an orphan
    program.exited();
    CHECK(eventually([&] { return !alive(leftover); }, 5s));
    // Started again and dropped while running (snet up ending): nothing of it is left either.
    start(program);
  }
  CHECK(eventually([&] { return !alive(leftover); }, 5s));
}
