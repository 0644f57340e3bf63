// A real press path for a test: mosquitto on a free port, snet-relayer and snet-agent started on
// a topology, and a Recorder on everything under snet/<topology>/. Services publish their status
// every 100 ms so tests can read their counters from the retained status topics.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "snet/clock.hpp"
#include "snet/message.hpp"

namespace snet::test {

class PressPath {
 public:
  /// `topology` relative to the source tree, `name` its "name" field.
  PressPath(const std::string& topology, std::string name);

  void start_relayer();
  void start_agent(std::vector<std::string> extra_args = {});
  /// Waits until `service` published an online status at or after `since` whose metrics satisfy
  /// `pred`. Returns the metrics, or nullopt on timeout.
  std::optional<nlohmann::json> wait_status(
      const std::string& service, Micros since,
      const std::function<bool(const nlohmann::json&)>& pred = {},
      std::chrono::milliseconds timeout = 10s);
  /// Starts both services and waits until both are online (agent: every device connected).
  void start_all();

  std::string topic(const std::string& kind, const std::string& device) const;
  /// Waits for the state report of `actuator` that carries `press_id`.
  std::optional<StateReport> wait_state(const std::string& actuator, const std::string& press_id,
                                        std::chrono::milliseconds timeout = 5s);
  /// How many state reports of `actuator` carried `press_id` so far.
  int count_states(const std::string& actuator, const std::string& press_id);
  /// Publishes at QoS 1 through the recorder's bus.
  void publish(const std::string& topic, const std::string& payload);
  /// Service logs, for failure messages.
  std::string logs();

  Mosquitto broker;
  std::string topology_path;
  std::string name;
  Recorder recorder;
  std::optional<Service> relayer;
  std::optional<Service> agent;
};

}  // namespace snet::test
