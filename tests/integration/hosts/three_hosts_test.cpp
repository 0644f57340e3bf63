// Three hosts, emulated by network namespaces (tests/support/hosts.hpp): the core host (the root
// namespace) runs `snet up --agents 3 --remote-agents` with its broker on loopback and on the
// bridge address; each of hosts 1-3 runs the agent command snet up wrote for it
// (<data-dir>/remote-agents.json, what docs/hosts.md has a person run), inside its namespace,
// where only the bridge address leads to the broker. Every device connects, presses cross from
// one host's agent to another's, and killing host 2's agent takes only its shard offline.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "hosts.hpp"
#include "presser.hpp"
#include "snet/broker_credentials.hpp"
#include "snet/message.hpp"
#include "snet_up.hpp"

using namespace snet;
using namespace snet::test;
using namespace std::chrono_literals;

namespace {

// tests/topology/shards.json split over 3 agents (every 3rd device from the i-th).
const std::vector<std::set<std::string>> kShards = {
    {"button-1", "actuator-2", "sensor-1"},
    {"actuator-1", "button-3", "sensor-2"},
    {"button-2", "actuator-3", "sensor-3"},
};

// The latest presence of each device among `messages` (snet/shards/presence/<id>, retained).
std::map<std::string, bool> presence(const std::vector<Message>& messages) {
  std::map<std::string, bool> online;
  for (const auto& m : messages) {
    const auto doc = nlohmann::json::parse(m.payload, nullptr, false);
    if (!doc.is_object()) continue;
    online[m.topic.substr(m.topic.rfind('/') + 1)] = doc.value("online", false);
  }
  return online;
}

// Presses `button` (fresh ids, one a second) until `actuator`'s REST state carries one of them.
bool press_until_applied(SnetUp& up, Presser& presser, const std::string& button,
                         const std::string& actuator, const std::string& prefix,
                         std::chrono::milliseconds timeout) {
  std::set<std::string> sent;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string id = prefix + "-" + std::to_string(sent.size() + 1);
    sent.insert(id);
    presser.press("snet/shards/press/" + button, id);
    if (eventually(
            [&] {
              const auto got = http_request("GET", up.http_port(), "/api/devices/" + actuator);
              const auto view = nlohmann::json::parse(got.body, nullptr, false);
              return got.status == 200 && view.is_object() && view.contains("press_id") &&
                     view["press_id"].is_string() &&
                     sent.count(view["press_id"].get<std::string>());
            },
            1s)) {
      return true;
    }
  }
  return false;
}

// One host's agent: the command of remote-agents.json, run inside the host's namespace.
struct HostAgent {
  TempDir dir{"snet-host-agent"};
  std::string log = dir.path() + "/agent.log";
  ChildProcess process;
  HostAgent(const EmulatedHosts& hosts, int host, const nlohmann::json& entry) {
    std::vector<std::string> argv = {built_program("snet-agent")};
    for (const auto& arg : entry.at("args")) argv.push_back(arg.get<std::string>());
    ChildProcess::Options options;
    options.env = entry.at("env").get<std::map<std::string, std::string>>();
    options.env["SNET_STATUS_INTERVAL_MS"] = "200";
    options.stdout_path = log;
    options.stderr_path = "=stdout";
    process = ChildProcess(hosts.in_host(host, argv), options);
  }
};

std::string net_namespace_of(pid_t pid) {
  std::error_code error;
  return std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/ns/net", error).string();
}

}  // namespace

TEST_CASE("three hosts: each runs an agent shard against the core host's broker") {
  EmulatedHosts hosts(3);
  {
    SnetUp::Options options;
    options.topology = "tests/topology/shards.json";
    options.topology_name = "shards";
    options.extra_args = {"--agents", "3", "--remote-agents", "--mqtt-bind",
                          "127.0.0.1," + hosts.core_address()};
    SnetUp up(options);
    CHECK(up.service("agent-0").is_null());  // started by no one but the hosts
    CHECK(up.output().find("on other hosts") != std::string::npos);
    CHECK(up.output().find("no anonymous clients") != std::string::npos);

    std::ifstream in(up.data_dir() + "/remote-agents.json");
    REQUIRE(in);
    const auto commands = nlohmann::json::parse(in);
    REQUIRE(commands.size() == 3);
    std::vector<std::unique_ptr<HostAgent>> agents;
    for (int i = 0; i < 3; ++i) {
      const auto& entry = commands.at(static_cast<std::size_t>(i));
      CHECK(entry.at("name") == "agent-" + std::to_string(i));
      CHECK(entry.at("args").dump().find(hosts.core_address()) != std::string::npos);
      // Its host gets the passwords of its own devices only.
      const auto& args = entry.at("args");
      const auto flag = std::find(args.begin(), args.end(), "--device-credentials-file");
      REQUIRE(flag != args.end());
      std::set<std::string> ids;
      for (const auto& [id, password] : read_credentials_file(*std::next(flag))) ids.insert(id);
      CHECK(ids == kShards.at(static_cast<std::size_t>(i)));
      agents.push_back(std::make_unique<HostAgent>(hosts, i, entry));
    }

    Recorder devices(up.mqtt_url(), {"snet/shards/presence/+"});
    auto all_online_but = [&](std::size_t dead) {
      return [dead](const std::vector<Message>& messages) {
        const auto online = presence(messages);
        for (std::size_t shard = 0; shard < kShards.size(); ++shard) {
          for (const auto& id : kShards[shard]) {
            const auto it = online.find(id);
            if (it == online.end() || it->second != (shard != dead)) return false;
          }
        }
        return true;
      };
    };
    const bool connected = devices.wait(all_online_but(kShards.size()), 15s);
    if (!connected) {
      for (auto& agent : agents) MESSAGE(read_text(agent->log));
    }
    REQUIRE(connected);
    // Each agent is its host's (`ip netns exec` has become the agent by now: its devices are up).
    for (auto& agent : agents) {
      CHECK(read_text("/proc/" + std::to_string(agent->process.pid()) + "/comm") == "snet-agent\n");
      CHECK(net_namespace_of(agent->process.pid()) != net_namespace_of(::getpid()));
    }

    // A host reaches the core host's broker on the bridge address only: its own loopback is not
    // the core host's.
    auto connects_from_host = [&](const std::string& address) {
      ChildProcess probe(
          hosts.in_host(0, {"bash", "-c",
                            "exec 3<>/dev/tcp/" + address + "/" + std::to_string(up.mqtt_port())}),
          ChildProcess::Options{{}, "/dev/null", "=stdout"});
      return probe.wait_for(5s) && probe.exit_status() && WIFEXITED(*probe.exit_status()) &&
             WEXITSTATUS(*probe.exit_status()) == 0;
    };
    CHECK(connects_from_host(hosts.core_address()));
    CHECK_FALSE(connects_from_host("127.0.0.1"));

    // Each press crosses from one host's agent to another's (and through the core's relayer).
    Presser presser(up.mqtt_url(), "hosts-test-presser");
    REQUIRE(presser.wait_connected(5s));
    for (int n = 1; n <= 3; ++n) {
      const std::string id = std::to_string(n);
      CHECK_MESSAGE(
          press_until_applied(up, presser, "button-" + id, "actuator-" + id, "hosts-" + id, 10s),
          "button-" << id << " -> actuator-" << id);
    }

    // Host 2's agent dies: its shard goes offline (the broker publishes the devices' wills),
    // the others stay, and a pair hosted by hosts 1 and 3 still works.
    agents[1]->process.signal(SIGKILL);
    REQUIRE(agents[1]->process.wait_for(5s));
    CHECK(devices.wait(all_online_but(1), 10s));
    CHECK(press_until_applied(up, presser, "button-2", "actuator-2", "hosts-after", 10s));
    CHECK(devices.wait(all_online_but(1), 1s));
    for (auto& agent : agents) agent->process.stop(2s);
  }
  CHECK(hosts.teardown().empty());
}
