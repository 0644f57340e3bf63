// `snet up --agents 3` (the override of the open-file threshold, cli/agent_shards.hpp) on a
// small topology: three supervised agents, each hosting its shard (snet-agent --shard i/3), and
// every device still works: each press reaches its actuator on another agent, each sensor's
// readings arrive at an independent subscriber.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "snet/message.hpp"
#include "snet/topics.hpp"
#include "snet_up.hpp"

using namespace snet;
using namespace snet::test;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> kAgents = {"agent-0", "agent-1", "agent-2"};

// The latest online status metrics of each service in `messages` (status topics).
std::map<std::string, nlohmann::json> agent_metrics(const std::vector<Message>& messages) {
  std::map<std::string, nlohmann::json> out;
  for (const auto& m : messages) {
    const auto topic = topics::parse(m.topic);
    if (!topic || m.payload.empty()) continue;
    const ServiceStatus status = parse_status(m.payload);
    if (status.online) out[topic->device] = nlohmann::json::parse(status.metrics_json);
  }
  return out;
}

}  // namespace

TEST_CASE("snet up --agents 3: each agent hosts a shard and every device works") {
  SnetUp::Options options;
  options.topology = "tests/topology/shards.json";
  options.topology_name = "shards";
  options.extra_args = {"--agents", "3"};
  SnetUp up(options);
  for (const auto& name : kAgents) {
    CAPTURE(name);
    CHECK(up.service(name).value("state", "") == "running");
  }
  CHECK(up.service("agent").is_null());

  Recorder status(up.mqtt_url(), {"snet/shards/status/+"});
  REQUIRE(status.wait(
      [&](const std::vector<Message>& messages) {
        const auto metrics = agent_metrics(messages);
        for (const auto& name : kAgents) {
          auto it = metrics.find(name);
          if (it == metrics.end() || it->second.value("snet_agent_devices_connected", 0) != 3) {
            return false;
          }
        }
        return true;
      },
      20s));
  // 9 devices (3 pairs, 3 sensors): each agent 3, disjoint, all of them hosted.
  const auto metrics = agent_metrics(status.messages());
  long hosted = 0;
  for (const auto& name : kAgents) hosted += metrics.at(name).value("snet_agent_devices", 0L);
  CHECK(hosted == 9);

  // agent-0: button-1, actuator-2, sensor-1; agent-1: actuator-1, button-3, sensor-2; agent-2:
  // button-2, actuator-3, sensor-3. Every press crosses from one agent to another.
  for (int n = 1; n <= 3; ++n) {
    const std::string id = std::to_string(n);
    CHECK_MESSAGE(!up.press_until_applied("button-" + id, "actuator-" + id, "shard-" + id).empty(),
                  "button-" << id << " -> actuator-" << id);
  }

  Recorder readings(up.mqtt_url(), {"snet/shards/reading/+"});
  CHECK(readings.wait(
      [](const std::vector<Message>& messages) {
        std::map<std::string, int> per_sensor;
        for (const auto& m : messages) ++per_sensor[parse_reading(m.payload).device];
        return per_sensor.size() == 3 && std::all_of(per_sensor.begin(), per_sensor.end(),
                                                     [](const auto& p) { return p.second >= 3; });
      },
      10s));
}
