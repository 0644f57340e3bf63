// The topology model: its lookups and the invariants validate() checks. Reading a topology
// file into it is topology_parse.cpp's job.
#include "snet/topology.hpp"

#include <map>

#include <nlohmann/json.hpp>

#include "topology_internal.hpp"

namespace snet {

bool is_valid_name(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

namespace {

using nlohmann::json;

const std::vector<std::string> kNoTargets;

}  // namespace

std::string_view to_string(DeviceKind v) {
  switch (v) {
    case DeviceKind::button:
      return "button";
    case DeviceKind::actuator:
      return "actuator";
    case DeviceKind::sensor:
      return "sensor";
  }
  return "?";
}
std::string_view to_string(BrokerKind v) {
  return v == BrokerKind::mosquitto ? "mosquitto" : "rabbitmq";
}
std::string_view to_string(Routing v) {
  switch (v) {
    case Routing::topic:
      return "topic";
    case Routing::fanout:
      return "fanout";
    case Routing::headers:
      return "headers";
  }
  return "?";
}
std::string_view to_string(Protocol v) {
  return v == Protocol::mqtt ? "mqtt" : "amqp";
}
std::string_view to_string(RouteKind v) {
  switch (v) {
    case RouteKind::actuator:
      return "actuator";
    case RouteKind::pattern:
      return "pattern";
    case RouteKind::group:
      return "group";
    case RouteKind::match:
      return "match";
  }
  return "?";
}

namespace {
std::vector<std::string> capped(std::vector<std::string> errors) {
  // kMaxErrors + 1: a capped list passed on again (load_topology adds the path) stays as it is.
  if (errors.size() > TopologyError::kMaxErrors + 1) {
    const std::size_t more = errors.size() - TopologyError::kMaxErrors;
    errors.resize(TopologyError::kMaxErrors);
    errors.push_back("... and " + std::to_string(more) + " more problems");
  }
  return errors;
}

std::string join_lines(const std::vector<std::string>& errors) {
  std::string text = "invalid topology:";
  for (const auto& e : errors) text += "\n  - " + e;
  return text;
}
}  // namespace

TopologyError::TopologyError(std::vector<std::string> errs)
    : std::runtime_error(join_lines(errs = capped(std::move(errs)))), errors(std::move(errs)) {}

const Device* Topology::find(std::string_view id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &devices[it->second];
}

std::vector<const Device*> Topology::buttons() const {
  std::vector<const Device*> out;
  for (const auto& d : devices)
    if (d.kind == DeviceKind::button) out.push_back(&d);
  return out;
}

std::vector<const Device*> Topology::actuators() const {
  std::vector<const Device*> out;
  for (const auto& d : devices)
    if (d.kind == DeviceKind::actuator) out.push_back(&d);
  return out;
}

std::vector<const Device*> Topology::sensors() const {
  std::vector<const Device*> out;
  for (const auto& d : devices)
    if (d.kind == DeviceKind::sensor) out.push_back(&d);
  return out;
}

const std::vector<std::string>& Topology::targets_of(std::string_view button) const {
  const Device* dev = find(button);
  return dev != nullptr && dev->kind == DeviceKind::button ? dev->targets : kNoTargets;
}

std::vector<std::string> Topology::key_of(const Device& actuator) const {
  std::vector<std::string> key;
  for (const auto& attr : topic_key) {
    auto it = actuator.attrs.find(attr);
    key.push_back(it == actuator.attrs.end() ? std::string() : it->second);
  }
  return key;
}

std::vector<std::string> Topology::sources_of(std::string_view actuator) const {
  std::vector<std::string> out;
  for (const auto& d : devices) {
    if (d.kind != DeviceKind::button) continue;
    for (const auto& t : d.targets) {
      if (t == actuator) {
        out.push_back(d.id);
        break;
      }
    }
  }
  return out;
}

void Topology::reindex() {
  index_.clear();
  for (std::size_t i = 0; i < devices.size(); ++i) index_.emplace(devices[i].id, i);
  site_index_.clear();
  for (std::size_t i = 0; i < sites.size(); ++i) site_index_.emplace(sites[i].id, i);
  detail::resolve_routes(*this);
  detail::resolve_rule_sources(*this);
}

std::vector<std::string> validate(const Topology& topo) {
  std::vector<std::string> errors;
  if (!is_valid_name(topo.name)) {
    errors.push_back("name: '" + topo.name +
                     "' must be 1-64 letters, digits, '-' or '_' (it is part of every topic)");
  }
  if (topo.devices.empty()) errors.push_back("devices: the topology has no devices");
  if (topo.routing == Routing::headers && topo.broker != BrokerKind::rabbitmq) {
    errors.push_back(
        "routing: 'headers' needs \"broker\": \"rabbitmq\" (Mosquitto has no "
        "headers exchange); use 'topic' or switch the broker");
  }
  std::map<std::string, const Device*> by_id;
  for (const auto& d : topo.devices) {
    if (!d.id.empty() && !is_valid_name(d.id)) {
      errors.push_back("device '" + d.id + "': id must be 1-64 letters, digits, '-' or '_'");
    }
    if (!by_id.emplace(d.id, &d).second) errors.push_back("device '" + d.id + "': duplicate id");
  }
  for (const auto& d : topo.devices) {
    if (d.protocol == Protocol::amqp && topo.broker != BrokerKind::rabbitmq) {
      errors.push_back("device '" + d.id + "': protocol 'amqp' needs \"broker\": \"rabbitmq\"");
    }
  }
  detail::validate_routes(topo, by_id, errors);
  detail::validate_sites(topo, by_id, errors);
  detail::validate_triggers(topo, errors);
  detail::validate_rules(topo, by_id, errors);
  return errors;
}

}  // namespace snet
