// `snet up --tls`: a CA per data dir, Mosquitto's TLS listener, the services and devices on
// mqtts://, and a press from `mosquitto_pub --cafile` (as the README shows) all the way to the
// actuator's state; a client with another CA is refused.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <algorithm>
#include <fstream>
#include <sstream>

#include "harness.hpp"
#include "snet/net.hpp"
#include "snet/tls_files.hpp"
#include "snet/topics.hpp"
#include "snet_up.hpp"

using namespace snet;
using namespace snet::test;

namespace {

// The command line of every process of the stack.
std::string command_lines(pid_t up) {
  std::string all;
  for (const auto& [pid, name] : descendants_of(up)) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
    std::stringstream text;
    text << in.rdbuf();
    std::string line = text.str();
    std::replace(line.begin(), line.end(), '\0', ' ');
    all += line + "\n";
  }
  return all;
}

}  // namespace

TEST_CASE("snet up --tls: services and devices on mqtts://, mosquitto_pub --cafile presses") {
  const int mqtts_port = free_port();
  SnetUp::Options options;
  options.extra_args = {"--tls", "--mqtts-port", std::to_string(mqtts_port)};
  SnetUp up(options);
  const std::string ca = up.data_dir() + "/tls/ca.crt";
  struct stat info {};
  REQUIRE(::stat((up.data_dir() + "/tls/ca.key").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  REQUIRE(::stat((up.data_dir() + "/tls/server.key").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  const std::string output = up.output();
  CAPTURE(output);
  CHECK(output.find("mqtts://127.0.0.1:" + std::to_string(mqtts_port)) != std::string::npos);
  CHECK(output.find(ca) != std::string::npos);

  // The services and the agent were told the TLS listener (and nothing in argv is a secret).
  const std::string commands = command_lines(up.pid());
  CAPTURE(commands);
  CHECK(commands.find("snet-relayer --broker-url mqtts://") != std::string::npos);
  CHECK(commands.find("--mqtt-url mqtts://") != std::string::npos);

  const std::string t = "single";
  Recorder spy(up.mqtt_url(), {"snet/" + t + "/#"});
  REQUIRE(spy.bus().wait_connected(10s));
  const auto pressed = mosquitto_pub_tls(
      mqtts_port, ca, topics::make(t, topics::Kind::press, "button-1"), R"({"id":"tls-press-1"})");
  CAPTURE(pressed.second);
  CHECK(pressed.first == 0);
  CHECK(spy.wait_for(topics::make(t, topics::Kind::state, "actuator-1"), "tls-press-1", 15s));

  // Another data dir's CA does not vouch for this broker: refused, nothing published.
  TempDir other;
  const TlsFiles stranger = prepare_tls_files(other.path() + "/tls", {});
  const auto refused = mosquitto_pub_tls(mqtts_port, stranger.ca_cert,
                                         topics::make(t, topics::Kind::press, "button-1"),
                                         R"({"id":"tls-press-forged"})");
  CAPTURE(refused.second);
  CHECK(refused.first != 0);
  // Its words vary with the library ("certificate verify failed", "A TLS error occurred.").
  CHECK(refused.second.find("TLS") != std::string::npos);
  CHECK_FALSE(
      spy.wait_for(topics::make(t, topics::Kind::state, "actuator-1"), "tls-press-forged", 2s));
}
