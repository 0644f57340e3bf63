// The topology model: which emulated devices exist, how buttons are wired to actuators, which
// broker carries them and which compute decides what a press does. Loaded from JSON
// (topology/*.json, format in topology/README.md) and validated as a whole: every problem is
// reported with the device and field it concerns, not just the first one.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace snet {

enum class DeviceKind { button, actuator };
enum class BrokerKind { mosquitto, rabbitmq };
enum class Routing { topic, fanout, headers };
enum class Protocol { mqtt, amqp };

std::string_view to_string(DeviceKind);
std::string_view to_string(BrokerKind);
std::string_view to_string(Routing);
std::string_view to_string(Protocol);

/// Which compute runs a press: "builtin" (in the relayer) or "openwhisk" (REST), and the action.
struct ComputeSpec {
  std::string backend = "builtin";
  std::string action = "flip_switch";
};

struct Device {
  std::string id;
  DeviceKind kind = DeviceKind::actuator;
  Protocol protocol = Protocol::mqtt;
  std::map<std::string, std::string> attrs;  // free-form labels, e.g. zone=north, type=lamp
  // Buttons only:
  std::vector<std::string> targets;  // actuator ids this button commands
  ComputeSpec compute;               // the topology's compute unless overridden per button
};

/// Thrown by load/parse with every validation error, one per line in what().
struct TopologyError : std::runtime_error {
  explicit TopologyError(std::vector<std::string> errors);
  std::vector<std::string> errors;
};

class Topology {
 public:
  std::string name;
  std::string description;
  BrokerKind broker = BrokerKind::mosquitto;
  Routing routing = Routing::topic;
  ComputeSpec compute;
  std::vector<Device> devices;  // in file order; generated pairs follow explicit devices

  /// Nullptr when there is no such device.
  const Device* find(std::string_view id) const;
  std::vector<const Device*> buttons() const;
  std::vector<const Device*> actuators() const;
  /// The actuators a press of `button` commands (empty for unknown buttons).
  const std::vector<std::string>& targets_of(std::string_view button) const;
  /// Buttons whose presses reach `actuator`.
  std::vector<std::string> sources_of(std::string_view actuator) const;

  /// JSON for GET /api/topology: name, broker, routing, compute, devices with resolved targets.
  nlohmann::json to_json() const;

  /// Builds the index used by find(); called by the loaders.
  void reindex();

 private:
  std::map<std::string, std::size_t, std::less<>> index_;
};

/// Parses and validates; throws TopologyError listing every problem.
Topology parse_topology(const nlohmann::json& doc);
Topology parse_topology_text(std::string_view text);
/// Reads the file; errors name the file (and the JSON parse position when it is not JSON).
Topology load_topology(const std::string& path);
/// Every validation error of a parsed model (empty when valid).
std::vector<std::string> validate(const Topology& topology);

}  // namespace snet
