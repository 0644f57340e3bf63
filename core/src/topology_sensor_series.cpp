// "sensors": the sensor series generator (topology/README.md, "Sensors shorthand"): thousands of
// like sensors without thousands of JSON objects, as "pairs" does for buttons and actuators.
#include <nlohmann/json.hpp>

#include "snet/sensor_model.hpp"
#include "topology_internal.hpp"

namespace snet::detail {

namespace {

using nlohmann::json;

constexpr long kMaxSensors = 100'000;  // all the objects of a list together

std::string string_field(const json& spec, const char* key, const std::string& where,
                         const std::string& fallback, std::vector<std::string>& errors) {
  auto it = spec.find(key);
  if (it == spec.end()) return fallback;
  if (!it->is_string()) {
    errors.push_back(where + ": '" + key + "' must be a string, not " + it->dump());
    return fallback;
  }
  return it->get<std::string>();
}

// One {"count": ..., "sensor": {...}} object; `generated`: sensors made by earlier objects.
void generate_series(const json& spec, const std::string& where, Protocol native, Topology& topo,
                     long& generated, std::vector<std::string>& errors) {
  if (!spec.is_object()) {
    errors.push_back(where +
                     ": must be an object like {\"count\": 100, \"prefix\": \"sensor-\", "
                     "\"sensor\": {\"capability\": \"temperature\", \"model\": {...}}}");
    return;
  }
  static constexpr std::string_view kFields[] = {"count", "prefix",   "start",
                                                 "site",  "protocol", "sensor"};
  for (const auto& [key, value] : spec.items()) {
    bool known = false;
    std::string list;
    for (auto field : kFields) {
      known = known || key == field;
      list += (list.empty() ? "" : ", ") + std::string(field);
    }
    if (!known) errors.push_back(where + ": unknown field '" + key + "' (allowed: " + list + ")");
  }
  const auto range = read_series_range(spec, where, kMaxSensors, "sensors", generated, errors);
  if (!range) return;
  const long count = range->count, start = range->start;
  const std::string prefix = string_field(spec, "prefix", where, "sensor-", errors);
  const std::string site = string_field(spec, "site", where, "", errors);
  Protocol protocol = native;
  if (const std::string name = string_field(spec, "protocol", where, "", errors); name == "mqtt") {
    protocol = Protocol::mqtt;
  } else if (name == "amqp") {
    protocol = Protocol::amqp;
  } else if (!name.empty()) {
    errors.push_back(where + ": field 'protocol' is '" + name + "', expected one of: mqtt, amqp");
  }
  auto sensor = spec.find("sensor");
  if (sensor == spec.end()) {
    errors.push_back(where +
                     ": 'sensor' is missing: what each sensor measures, e.g. {\"capability\": "
                     "\"temperature\", \"unit\": \"C\", \"rate_hz\": 1, \"model\": {\"type\": "
                     "\"constant\", \"value\": 21}}");
    return;
  }
  // Parsed once (its problems reported once); each sensor then gets its own seed, so that
  // random walks and noise differ from sensor to sensor but repeat from run to run.
  const std::size_t before = errors.size();
  const SensorSpec common = parse_sensor(*sensor, where, prefix + std::to_string(start), errors);
  if (errors.size() != before) return;
  const auto given_seed = sensor->find("seed");
  topo.devices.reserve(topo.devices.size() + static_cast<std::size_t>(count));
  for (long n = start; n < start + count; ++n) {
    Device device;
    device.id = prefix + std::to_string(n);
    device.kind = DeviceKind::sensor;
    device.protocol = protocol;
    device.site = site;
    device.sensor = common;
    device.sensor->seed = given_seed != sensor->end()
                              ? common.seed + static_cast<std::uint64_t>(n - start)
                              : sensor_seed_of(device.id);
    topo.devices.push_back(std::move(device));
  }
}

}  // namespace

void generate_sensors(const json& spec, Protocol native, Topology& topo,
                      std::vector<std::string>& errors) {
  long generated = 0;
  if (!spec.is_array()) return generate_series(spec, "sensors", native, topo, generated, errors);
  for (std::size_t i = 0; i < spec.size(); ++i) {
    generate_series(spec[i], "sensors[" + std::to_string(i) + "]", native, topo, generated, errors);
  }
}

}  // namespace snet::detail
