// One exit-code policy for every service (core/include/snet/service.hpp): 2 for a usage or
// configuration error, said on its output before anything runs; 0 for a clean stop on SIGTERM,
// after marking itself offline. The real programs of the build directory.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <csignal>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "snet/net.hpp"
#include "snet_up.hpp"

using namespace snet;
using namespace snet::test;
using namespace std::chrono_literals;

namespace {

struct Program {
  const char* program;
  const char* service;  // its status topic's last level
};
constexpr Program kServices[] = {{"snet-relayer", "relayer"},
                                 {"snet-agent", "agent"},
                                 {"snet-state", "state"},
                                 {"snet-whisk", "whisk"}};

// How `service` ended: its exit code, or -1 when a signal killed it or it did not end in time.
int exit_code(Service& service) {
  if (!service.process().wait_for(20s)) return -1;
  const auto status = service.process().exit_status();
  return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

// What each program needs besides the common flags to run on its own (free ports, own data).
std::vector<std::string> own_flags(const std::string& program, const TempDir& dir) {
  if (program == "snet-state") return {"--http-port", "0", "--data-dir", dir.path()};
  if (program == "snet-whisk") return {"--http-port", "0", "--workers", "1", "--prewarm", "0"};
  return {};
}

bool online(const Message& m, bool expected) {
  const auto doc = nlohmann::json::parse(m.payload, nullptr, false);
  return doc.is_object() && doc.value("online", !expected) == expected;
}

// The status a service publishes itself has a time; the broker's last will (a crash) has none.
bool published_by_service(const Message& m) {
  const auto doc = nlohmann::json::parse(m.payload, nullptr, false);
  return doc.is_object() && doc.contains("ts");
}

}  // namespace

TEST_CASE("every service exits 2 on a bad flag, broker URL, log level or topology, saying which") {
  const std::string topology = source_path("tests/topology/single-builtin.json");
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const Case cases[] = {
      {{"--no-such-flag"}, "unknown flag --no-such-flag"},
      {{"--broker-url", "broker.example:1883"},
       "--broker-url: URL 'broker.example:1883' has no "
       "scheme"},
      {{"--broker-url", "ftp://127.0.0.1:1"}, "unsupported scheme"},
      {{"--broker-url", "mqtt://127.0.0.1:99999"}, "port '99999' is not 1-65535"},
      {{"--broker-url", "amqp://127.0.0.1/?heartbeat=x"}, "heartbeat 'x'"},
      {{"--log-level", "loud", "--topology", topology}, "unknown log level 'loud'"},
      {{"--status-interval-ms", "0", "--topology", topology}, "--status-interval-ms: '0'"},
      {{"--broker-url", "mqtt://127.0.0.1:1", "--topology", "/nonexistent/t.json"},
       "/nonexistent/t.json: cannot open the file"},
  };
  for (const auto& [program, name] : kServices) {
    for (const auto& c : cases) {
      CAPTURE(program);
      CAPTURE(c.says);
      TempDir dir;
      auto args = own_flags(program, dir);
      args.insert(args.end(), c.args.begin(), c.args.end());
      Service service(program, args);
      CHECK(exit_code(service) == 2);
      CHECK_MESSAGE(service.log().find(c.says) != std::string::npos, service.log());
    }
  }
}

TEST_CASE("every service exits 0 on SIGTERM, and is marked offline") {
  Mosquitto broker;
  for (const auto& [program, name] : kServices) {
    const std::string service_program = program;  // a string: CAPTURE prints a char* as a pointer
    CAPTURE(service_program);
    const std::string topic = std::string("snet/single/status/") + name;
    Recorder status(broker.url(), {topic});
    TempDir dir;
    auto args = own_flags(program, dir);
    for (const std::string& arg :
         {std::string("--broker-url"), broker.url(), std::string("--topology"),
          source_path("tests/topology/single-builtin.json")}) {
      args.push_back(arg);
    }
    Service service(program, args);
    REQUIRE_MESSAGE(status.wait(
                        [](const std::vector<Message>& all) {
                          return !all.empty() && online(all.back(), true);
                        },
                        20s),
                    service.log());
    service.process().signal(SIGTERM);
    CHECK_MESSAGE(exit_code(service) == 0, service.log());
    // Offline as the service said it on its way out, not as the broker's will says of a crash.
    const bool marked_offline = status.wait([](const std::vector<Message>& all) {
      return !all.empty() && online(all.back(), false) && published_by_service(all.back());
    });
    std::string seen;
    for (const auto& m : status.messages()) seen += m.payload.substr(0, 60) + "\n";
    CHECK_MESSAGE(marked_offline, "status messages seen:\n", seen);
    CHECK(service.log().find("signal 15: shutting down") != std::string::npos);
  }
}

TEST_CASE("snet up exits 0 when a signal interrupts its start-up and starts nothing after it") {
  // An external broker that is not there: the services never come up, so snet up is still
  // starting them when the signal arrives.
  SnetUp::Options options;  // topology/single.json
  options.extra_args = {"--broker-url", "mqtt://127.0.0.1:" + std::to_string(free_port()),
                        "--start-timeout-s", "300"};
  options.wait_until_up = false;
  SnetUp up(options);
  REQUIRE(
      eventually([&] { return up.output().find("starting topology") != std::string::npos; }, 30s));
  up.process().signal(SIGTERM);
  // Before, start-up went on with the next services and waited for them until its timeout.
  REQUIRE(up.process().wait_for(30s));
  const std::string output = up.output();
  INFO(output);
  REQUIRE(up.process().exit_status().has_value());
  CHECK(WIFEXITED(*up.process().exit_status()));
  CHECK(WEXITSTATUS(*up.process().exit_status()) == 0);
  const auto first = output.find("stopping (start-up interrupted)");
  REQUIRE(first != std::string::npos);
  CHECK(output.find("stopping (start-up interrupted)", first + 1) == std::string::npos);
  CHECK(output.find("Serverlessnet is up") == std::string::npos);
}
