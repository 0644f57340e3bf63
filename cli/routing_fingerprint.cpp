#include "routing_fingerprint.hpp"

#include <cstdint>
#include <sstream>

#include <nlohmann/json.hpp>

namespace snet::cli {
namespace {

using nlohmann::json;

// FNV-1a: stable across builds and runs (std::hash is not promised to be).
std::string fnv1a(const std::string& text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  std::ostringstream out;
  out << std::hex << hash;
  return out.str();
}

json device_routing(const Device& d) {
  json item = {{"id", d.id}, {"kind", to_string(d.kind)}, {"protocol", to_string(d.protocol)}};
  if (d.kind == DeviceKind::actuator) {
    item["attrs"] = d.attrs;  // headers bindings and topic keys are made of them
    return item;
  }
  json routes = json::array();
  for (const auto& r : d.routes) {
    routes.push_back({{"kind", to_string(r.kind)}, {"id", r.id}, {"members", r.members}});
  }
  item["routes"] = std::move(routes);
  item["compute"] = d.compute.name();  // which relayers' queue takes its presses
  return item;
}

}  // namespace

std::string routing_fingerprint(const Topology& topology) {
  json devices = json::array();
  for (const auto& d : topology.devices) devices.push_back(device_routing(d));
  json computes = json::array();
  for (const auto& c : topology.computes) computes.push_back(c.name);
  const json routing = {{"name", topology.name},
                        {"broker", to_string(topology.broker)},
                        {"routing", to_string(topology.routing)},
                        {"topic_key", topology.topic_key},
                        {"groups", topology.groups},
                        {"computes", std::move(computes)},
                        {"devices", std::move(devices)}};
  return fnv1a(routing.dump());
}

}  // namespace snet::cli
