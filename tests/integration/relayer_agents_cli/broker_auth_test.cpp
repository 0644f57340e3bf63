// The logins and ACL of the Mosquitto `snet up` starts (cli/broker_accounts.hpp), attacked with
// real clients: anonymous ones on the loopback listener, wrong passwords, a button's and an
// actuator's own credentials used for what is not theirs, a service's for another's status.
// "Not delivered" is told without waiting for nothing: each attacker publishes its forgeries and
// then one message it may publish (a marker) on the same connection; Mosquitto hands one
// publisher's messages to a subscriber in order, so once the spy (the operator, who reads
// everything) has the marker, a forgery that got through would have arrived before it.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fstream>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "mqtt_packets.hpp"
#include "snet/broker_credentials.hpp"
#include "snet/topics.hpp"
#include "snet_up.hpp"

using namespace snet;
using namespace snet::test;
using nlohmann::json;

namespace {

// The CONNACK return code Mosquitto answers a CONNECT with (0 accepted, 5 not authorised);
// -1 when it answers nothing within 5 s.
int connack_code(int port, const std::string& user, const std::string& password) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  int code = -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const std::string connect =
        detail::mqtt::encode_connect("auth-probe-" + user, 10, std::nullopt, true, user, password);
    unsigned char answer[4] = {};
    if (::send(fd, connect.data(), connect.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(connect.size()) &&
        ::recv(fd, answer, sizeof answer, MSG_WAITALL) == 4 && answer[0] == 0x20) {
      code = answer[3];
    }
  }
  ::close(fd);
  return code;
}

std::string with_login(const std::string& url, const std::string& user,
                       const std::string& password) {
  return with_url_password(with_url_user(url, user), password);
}

// A client that publishes (QoS 1) as given and waits for the broker's acknowledgements.
class Publisher {
 public:
  Publisher(const std::string& url, const std::string& client_id) {
    BusOptions options;
    options.url = url;
    options.client_id = client_id;
    bus_ = make_bus(options);
    bus_->on_message([](const Message&) {});
    bus_->start();
    REQUIRE(bus_->wait_connected(10s));
  }
  ~Publisher() { bus_->stop(); }
  void publish(const std::string& topic, const std::string& payload, bool retained = false) {
    bus_->publish(Message{topic, payload, retained, {}}, Qos::at_least_once);
  }

 private:
  std::unique_ptr<Bus> bus_;
};

mode_t mode_of(const std::string& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

bool received(Recorder& recorder, const std::string& needle) {
  for (const auto& m : recorder.messages()) {
    if (m.payload.find(needle) != std::string::npos || m.topic.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("snet up's Mosquitto: per-data-dir logins, files only their owner reads, no root") {
  // A data dir the broker's own user can reach (a TempDir is the owner's alone: mosquitto would
  // stay root, with a warning).
  TempDir dir("snet-up-auth");
  ::chmod(dir.path().c_str(), 0755);
  SnetUp::Options options;
  options.data_dir = dir.path() + "/data";
  SnetUp up(options);
  const std::string creds = up.data_dir() + "/credentials";
  CHECK(mode_of(creds) == 0700);
  for (const auto* file : {"/snet.up.password", "/snet.relayer.password", "/snet.state.password",
                           "/snet.agent.password", "/devices.credentials"}) {
    CAPTURE(file);
    CHECK(mode_of(creds + file) == 0600);
  }
  const auto devices = read_credentials_file(creds + "/devices.credentials");
  CHECK(devices.size() == 6);  // button-1..3, actuator-1..3
  const std::string password = devices.at("button-1");
  // Mosquitto keeps hashes only; no password is printed or in any process's arguments.
  const std::string hashed = read_text(up.data_dir() + "/mosquitto/passwd");
  CHECK(hashed.find("button-1:$6$") != std::string::npos);  // salted SHA-512 (broker_accounts.cpp)
  CHECK(hashed.find(password) == std::string::npos);
  CHECK(up.output().find(password) == std::string::npos);
  CHECK(up.output().find(creds) != std::string::npos);  // says where they are
  for (const auto& [pid, name] : descendants_of(up.pid())) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
    const std::string cmdline((std::istreambuf_iterator<char>(in)), {});
    CAPTURE(cmdline);
    CHECK(cmdline.find(password) == std::string::npos);
    CHECK(cmdline.find(read_secret_file(creds + "/snet.relayer.password")) == std::string::npos);
  }
  // Started as root, the broker switched to its own user.
  if (::geteuid() == 0) {
    const pid_t broker = up.pid_of("broker");
    REQUIRE(broker > 0);
    std::ifstream status("/proc/" + std::to_string(broker) + "/status");
    std::string line;
    while (std::getline(status, line) && line.rfind("Uid:", 0) != 0) {
    }
    CAPTURE(line);
    CHECK(line.find("\t0\t") == std::string::npos);
  }
}

TEST_CASE("snet up's Mosquitto: anonymous presses only, each login held to its own topics") {
  SnetUp up;
  const std::string creds = up.data_dir() + "/credentials";
  const std::string anonymous = up.anonymous_url();
  const auto devices = read_credentials_file(creds + "/devices.credentials");
  const std::string t = "single";
  // The operator sees everything that is delivered.
  Recorder spy(up.mqtt_url(), {"snet/" + t + "/#"});

  SUBCASE("an anonymous client may press and read states and readings, nothing else") {
    Recorder anon_everything(anonymous, {"#"});
    {
      Publisher anon(anonymous, "anon-attacker");
      anon.publish(topics::make(t, topics::Kind::state, "actuator-2"),
                   R"({"device":"actuator-2","on":true,"applied_ts":1,"press_id":"forged-state"})",
                   true);
      anon.publish(topics::make(t, topics::Kind::cmd, "actuator-2"),
                   R"({"on":true,"press_id":"forged-cmd"})");
      anon.publish(topics::make(t, topics::Kind::status, "relayer"), R"({"forged-status":1})");
      anon.publish(topics::make(t, topics::Kind::trigger, "button-2"), R"({"id":"forged-trig"})");
      anon.publish(topics::make(t, topics::Kind::reading, "actuator-2"),
                   R"({"device":"actuator-2","capability":"forged-reading","value":1,"seq":1})");
      anon.publish(topics::make(t, topics::Kind::press, "button-1"), R"({"id":"anon-press-1"})");
    }
    // The press went all the way: relayer, command, actuator, state.
    CHECK(spy.wait_for(topics::make(t, topics::Kind::state, "actuator-1"), "anon-press-1", 15s));
    for (const auto* forged :
         {"forged-state", "forged-cmd", "forged-status", "forged-trig", "forged-reading"}) {
      CAPTURE(forged);
      CHECK_FALSE(received(spy, forged));
    }
    // Subscribed to '#', it got the states (allowed; readings too, none here) and nothing else,
    // though statuses, presences and commands flowed meanwhile.
    CHECK(anon_everything.wait_for(topics::make(t, topics::Kind::state, "actuator-1"),
                                   "anon-press-1", 5s));
    CHECK(received(spy, "/cmd/actuator-1"));
    CHECK(received(spy, "/status/"));
    for (const auto& m : anon_everything.messages()) {
      CAPTURE(m.topic);
      CHECK(m.topic.rfind("snet/" + t + "/state/", 0) == 0);
    }
    // The README's way of pressing still works.
    CHECK(mosquitto_pub(up.mqtt_port(), topics::make(t, topics::Kind::press, "button-2"),
                        R"({"id":"readme-press"})") == 0);
    CHECK(spy.wait_for(topics::make(t, topics::Kind::state, "actuator-2"), "readme-press", 15s));
  }

  SUBCASE("a wrong password or an unknown user is refused") {
    CHECK(connack_code(up.mqtt_port(), "button-1", devices.at("button-1")) == 0);
    CHECK(connack_code(up.mqtt_port(), "button-1", "wrong") == 5);
    CHECK(connack_code(up.mqtt_port(), "button-1", devices.at("button-2")) == 5);
    CHECK(connack_code(up.mqtt_port(), "snet.up", "") == 5);
    CHECK(connack_code(up.mqtt_port(), "intruder", "x") == 5);
  }

  SUBCASE("one button's credentials cannot press another") {
    {
      Publisher button1(with_login(anonymous, "button-1", devices.at("button-1")), "b1-attacker");
      button1.publish(topics::make(t, topics::Kind::press, "button-2"), R"({"id":"b1-as-b2"})");
      button1.publish(topics::make(t, topics::Kind::press, "button-1"), R"({"id":"b1-own"})");
    }
    CHECK(spy.wait_for(topics::make(t, topics::Kind::press, "button-1"), "b1-own", 10s));
    CHECK_FALSE(received(spy, "b1-as-b2"));
  }

  SUBCASE("a forged service status or command from a device's credentials is not delivered") {
    {
      Publisher actuator(with_login(anonymous, "actuator-1", devices.at("actuator-1")),
                         "a1-attacker");
      actuator.publish(topics::make(t, topics::Kind::status, "relayer"),
                       R"({"online":false,"note":"forged-by-device"})", true);
      actuator.publish(topics::make(t, topics::Kind::cmd, "actuator-2"),
                       R"({"on":true,"press_id":"a1-cmd-a2"})");
      actuator.publish(topics::make(t, topics::Kind::state, "actuator-2"),
                       R"({"device":"actuator-2","on":true,"applied_ts":1,"press_id":"a1-st-a2"})");
      actuator.publish(topics::make(t, topics::Kind::presence, "actuator-1"),
                       R"({"online":true,"marker":"a1-marker"})", true);
    }
    CHECK(spy.wait_for(topics::make(t, topics::Kind::presence, "actuator-1"), "a1-marker", 10s));
    CHECK_FALSE(received(spy, "forged-by-device"));
    CHECK_FALSE(received(spy, "a1-cmd-a2"));
    CHECK_FALSE(received(spy, "a1-st-a2"));
    // A service may not speak for another either.
    {
      const std::string relayer = read_secret_file(creds + "/snet.relayer.password");
      Publisher service(with_login(anonymous, "snet.relayer", relayer), "relayer-attacker");
      service.publish(topics::make(t, topics::Kind::status, "state"),
                      R"({"x":"relayer-as-state"})");
      service.publish(topics::make(t, topics::Kind::event, "button-3"),
                      R"({"x":"relayer-marker"})");
    }
    CHECK(spy.wait_for(topics::make(t, topics::Kind::event, "button-3"), "relayer-marker", 10s));
    CHECK_FALSE(received(spy, "relayer-as-state"));
  }
}
