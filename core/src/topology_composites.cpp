// A composite device's parameters (topology/README.md, "Composite devices"): the object named
// as its kind, every field optional and checked, each problem named with its JSON path.
#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "snet/sensor_model.hpp"
#include "topology_internal.hpp"

namespace snet::detail {

namespace {

using nlohmann::json;

struct Params {
  const json& obj;
  std::string at;
  std::vector<std::string>& errors;

  // The field's value when it is there and a finite number within [low, high], else `fallback`
  // (and an error when it is there but wrong).
  double number(const char* key, double fallback, double low, double high) {
    auto it = obj.find(key);
    if (it == obj.end()) return fallback;
    if (!it->is_number() || !std::isfinite(it->get<double>())) {
      errors.push_back(at + "." + key + ": must be a finite number, not " + it->dump());
      return fallback;
    }
    const double v = it->get<double>();
    if (v < low || v > high) {
      errors.push_back(at + "." + key + ": is " + shown_number(v) + ", must be from " +
                       shown_number(low) + " to " + shown_number(high));
      return fallback;
    }
    return v;
  }
};

}  // namespace

CompositeSpec parse_composite(CompositeKind kind, const json* spec, const std::string& where,
                              const std::string& id, std::vector<std::string>& errors) {
  CompositeSpec out;
  out.kind = kind;
  out.seed = sensor_seed_of(id);
  if (kind == CompositeKind::thermostat) out.noise = 0.05;
  if (spec == nullptr) return out;
  const std::string name(to_string(kind));
  const std::string at = where + "." + name;
  if (!spec->is_object()) {
    errors.push_back(at + ": must be an object of parameters, e.g. {\"rate_hz\": 1}");
    return out;
  }
  std::vector<std::string> allowed = {"rate_hz", "qos", "seed"};
  switch (kind) {
    case CompositeKind::thermostat:
      allowed.insert(allowed.end(), {"ambient", "heat_rate", "cool_rate", "max", "noise"});
      break;
    case CompositeKind::smart_plug:
      allowed.insert(allowed.end(), {"watts", "noise"});
      break;
    case CompositeKind::motion_light:
      allowed.insert(allowed.end(), {"motion_per_min"});
      break;
  }
  for (const auto& [key, value] : spec->items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      errors.push_back(at + ": unknown field '" + key + "' (a " + name + " has: " + list + ")");
    }
  }
  Params in{*spec, at, errors};
  constexpr double kBig = 1e6;  // no sensible parameter is near it; far from overflow
  out.rate_hz = in.number("rate_hz", out.rate_hz, SensorSpec::kMinRateHz, SensorSpec::kMaxRateHz);
  if (auto it = spec->find("qos"); it != spec->end()) {
    if (!it->is_number_integer() || (it->get<long long>() != 0 && it->get<long long>() != 1)) {
      errors.push_back(at + ".qos: is " + it->dump() + ", must be 0 or 1");
    } else {
      out.qos = static_cast<int>(it->get<long long>());
    }
  }
  if (auto it = spec->find("seed"); it != spec->end()) {
    if (!it->is_number_unsigned()) {
      errors.push_back(at + ".seed: is " + it->dump() + ", must be a whole number from 0");
    } else {
      out.seed = it->get<std::uint64_t>();
    }
  }
  out.noise = in.number("noise", out.noise, 0, kBig);
  switch (kind) {
    case CompositeKind::thermostat:
      out.ambient = in.number("ambient", out.ambient, -100, 100);
      out.heat_rate = in.number("heat_rate", out.heat_rate, 0, 100);
      out.cool_rate = in.number("cool_rate", out.cool_rate, 0, 100);
      out.max_temp = in.number("max", out.max_temp, -100, 200);
      if (out.max_temp <= out.ambient) {
        errors.push_back(at + ".max: is " + shown_number(out.max_temp) +
                         ", must be above ambient (" + shown_number(out.ambient) + ")");
      }
      break;
    case CompositeKind::smart_plug:
      out.watts = in.number("watts", out.watts, 0, kBig);
      break;
    case CompositeKind::motion_light:
      out.motion_per_min = in.number("motion_per_min", out.motion_per_min, 0, 6000);
      break;
  }
  return out;
}

}  // namespace snet::detail
