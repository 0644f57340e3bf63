#include "device_selection.hpp"

#include <set>
#include <sstream>

#include "snet/flags.hpp"

namespace snet::agents {
namespace {

bool kind_wanted(const std::string& kinds, DeviceKind kind) {
  if (kinds == "all") return true;
  if (kinds == "buttons") return kind == DeviceKind::button;
  if (kinds == "actuators") return kind == DeviceKind::actuator;
  throw UsageError("--kinds: '" + kinds + "' is not all, buttons or actuators");
}

}  // namespace

std::vector<const Device*> select_devices(const Topology& topology, const std::string& devices,
                                          const std::string& kinds) {
  std::set<std::string> named;
  if (devices != "all") {
    std::stringstream list(devices);
    std::string id;
    while (std::getline(list, id, ',')) {
      if (id.empty()) continue;
      if (topology.find(id) == nullptr) {
        throw UsageError("--devices: no device '" + id + "' in topology '" + topology.name + "'");
      }
      named.insert(id);
    }
    if (named.empty()) throw UsageError("--devices: give 'all' or a comma-separated list of ids");
  }
  std::vector<const Device*> out;
  for (const auto& device : topology.devices) {
    if (!named.empty() && named.count(device.id) == 0) continue;
    if (kind_wanted(kinds, device.kind)) out.push_back(&device);
  }
  return out;
}

}  // namespace snet::agents
