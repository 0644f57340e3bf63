// An agent connects its devices a window at a time (agents/agent.hpp): one device that cannot
// connect holds back none of the others.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "agent.hpp"
#include "harness.hpp"
#include "snet/metrics.hpp"
#include "snet/net.hpp"
#include "snet/topology.hpp"

using namespace snet;
using namespace snet::test;
using namespace std::chrono_literals;

TEST_CASE("an agent connects the rest of its devices while one of them cannot reach its broker") {
  Mosquitto broker;
  std::string devices;
  for (int i = 1; i <= 20; ++i) {
    devices += std::string(i == 1 ? "" : ",") + R"({"id": "a)" + std::to_string(i) +
               R"(", "kind": "actuator"})";
  }
  const Topology topology =
      parse_topology_text(R"({"name": "window", "devices": [)" + devices + "]}");
  std::vector<const Device*> hosted;
  for (const auto& device : topology.devices) hosted.push_back(&device);
  Metrics registry;
  agents::AgentMetrics metrics(registry);
  agents::AgentOptions options;
  options.broker_url = broker.url();
  options.connect_batch = 2;
  options.connect_timeout = 60s;  // past the test: only the window decides who waits
  options.device_urls["a1"] = "mqtt://127.0.0.1:" + std::to_string(free_port());  // no one there
  agents::Agent agent(topology, hosted, options, metrics);

  // Asked between waits: stops start() once the 19 others are connected (or at 20 s). Batches
  // in lock step, or a window waiting on its oldest, would hold a1's slot for its 60 s.
  const auto began = std::chrono::steady_clock::now();
  const auto others_connected = [&] {
    return metrics.connected.value() >= 19 || std::chrono::steady_clock::now() - began > 20s;
  };
  CHECK(agent.start(others_connected) == 19);
  CHECK(std::chrono::steady_clock::now() - began < 20s);
  CHECK(metrics.connected.value() == 19);
}
