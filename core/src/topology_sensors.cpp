// A sensor device's "sensor" object (topology/README.md, "Sensors"): read and checked field by
// field, every problem named with its JSON path; a trace model's CSV is read relative to the
// topology file.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "snet/sensor_model.hpp"
#include "topology_internal.hpp"

namespace snet::detail {

namespace {

using nlohmann::json;

class SensorReader {
 public:
  SensorReader(std::string where, std::vector<std::string>& errors)
      : where_(std::move(where)), errors_(errors) {}

  void error(const std::string& field, const std::string& what) {
    errors_.push_back(where_ + "." + field + ": " + what);
  }

  void only(const json& obj, const std::string& path,
            std::initializer_list<std::string_view> allowed) {
    for (const auto& [key, value] : obj.items()) {
      bool known = false;
      std::string list;
      for (auto a : allowed) {
        known = known || key == a;
        list += (list.empty() ? "" : ", ") + std::string(a);
      }
      if (!known) {
        errors_.push_back(where_ + (path.empty() ? "" : "." + path) + ": unknown field '" + key +
                          "' (allowed: " + list + ")");
      }
    }
  }

  std::optional<double> number(const json& obj, const std::string& prefix, const char* key,
                               bool required) {
    const std::string field = prefix + key;
    auto it = obj.find(key);
    if (it == obj.end()) {
      if (required) error(field, "missing (a number)");
      return std::nullopt;
    }
    if (!it->is_number() || !std::isfinite(it->get<double>())) {
      error(field, "must be a finite number, not " + it->dump());
      return std::nullopt;
    }
    // Bounded so that no sum or product of the model overflows into a reading that is no number.
    if (std::abs(it->get<double>()) > kMaxSensorMagnitude) {
      error(field, "is " + it->dump() + ", beyond +-1e15");
      return std::nullopt;
    }
    return it->get<double>();
  }

  std::string text(const json& obj, const char* key, bool required) {
    auto it = obj.find(key);
    if (it == obj.end()) {
      if (required) error(key, "missing (a string)");
      return "";
    }
    if (!it->is_string()) {
      error(key, "must be a string, not " + it->dump());
      return "";
    }
    return it->get<std::string>();
  }

  void model(const json& spec, SensorModel& m) {
    if (!spec.is_object()) {
      error("model",
            "must be an object like {\"type\": \"sine\", \"period_s\": 60, \"amplitude\": 5, "
            "\"offset\": 21}");
      return;
    }
    const std::string type = text_at(spec, "model.type");
    const std::string p = "model.";
    if (type == "constant") {
      m.type = SensorModelKind::constant;
      only(spec, "model", {"type", "value", "noise"});
      m.value = number(spec, p, "value", true).value_or(0);
    } else if (type == "sine") {
      m.type = SensorModelKind::sine;
      only(spec, "model", {"type", "period_s", "amplitude", "offset", "noise"});
      m.period_s = number(spec, p, "period_s", true).value_or(60);
      if (m.period_s < 0.001) error("model.period_s", "must be at least 0.001");
      m.amplitude = number(spec, p, "amplitude", true).value_or(1);
      m.offset = number(spec, p, "offset", false).value_or(0);
    } else if (type == "random_walk") {
      m.type = SensorModelKind::random_walk;
      only(spec, "model", {"type", "step", "min", "max", "start", "noise"});
      m.step = number(spec, p, "step", true).value_or(1);
      if (m.step <= 0) error("model.step", "must be above 0");
      const auto min = number(spec, p, "min", true), max = number(spec, p, "max", true);
      m.min = min.value_or(0);
      m.max = max.value_or(m.min);
      if (min && max && m.min >= m.max) error("model", "min must be below max");
      m.start = number(spec, p, "start", false).value_or((m.min + m.max) / 2);
      if (min && max && (m.start < m.min || m.start > m.max)) {
        error("model.start", "must be from min to max");
      }
    } else if (type == "trace") {
      m.type = SensorModelKind::trace;
      only(spec, "model", {"type", "file", "noise"});
      auto it = spec.find("file");
      if (it == spec.end() || !it->is_string() || it->get<std::string>().empty()) {
        error("model.file", "missing: the trace's CSV file (time_s,value per line)");
      } else {
        m.trace_file = it->get<std::string>();
      }
    } else if (!type.empty()) {
      error("model.type", "is '" + type + "', expected one of: constant, sine, random_walk, trace");
    }
    m.noise = number(spec, p, "noise", false).value_or(0);
    if (m.noise < 0) error("model.noise", "must not be negative");
  }

 private:
  std::string text_at(const json& spec, const char* path) {
    auto it = spec.find("type");
    if (it == spec.end()) {
      error(path, "missing; one of: constant, sine, random_walk, trace");
      return "";
    }
    if (!it->is_string()) {
      error(path, "must be a string: constant, sine, random_walk or trace");
      return "";
    }
    return it->get<std::string>();
  }

  std::string where_;
  std::vector<std::string>& errors_;
};

}  // namespace

SensorSpec parse_sensor(const json& spec, const std::string& where, const std::string& id,
                        std::vector<std::string>& errors) {
  SensorSpec out;
  out.seed = sensor_seed_of(id);
  const std::string at = where + ".sensor";
  if (!spec.is_object()) {
    errors.push_back(at +
                     ": must be an object like {\"capability\": \"temperature\", \"unit\": \"C\", "
                     "\"rate_hz\": 1, \"model\": {\"type\": \"constant\", \"value\": 21}}");
    return out;
  }
  SensorReader in(at, errors);
  in.only(spec, "", {"capability", "unit", "rate_hz", "qos", "model", "seed", "min", "max"});
  out.capability = in.text(spec, "capability", true);
  if (spec.contains("capability") && !is_valid_name(out.capability)) {
    in.error("capability", "'" + out.capability + "' must be 1-64 letters, digits, '-' or '_'");
  }
  out.unit = in.text(spec, "unit", false);
  if (out.unit.size() > 16) in.error("unit", "'" + out.unit + "' is longer than 16 characters");
  if (const auto rate = in.number(spec, "", "rate_hz", false)) {
    out.rate_hz = *rate;
    if (!(*rate >= SensorSpec::kMinRateHz && *rate <= SensorSpec::kMaxRateHz)) {
      in.error("rate_hz", "is " + shown_number(*rate) + ", must be from " +
                              shown_number(SensorSpec::kMinRateHz) + " to " +
                              shown_number(SensorSpec::kMaxRateHz));
      out.rate_hz = 1;
    }
  }
  if (auto it = spec.find("qos"); it != spec.end()) {
    if (!it->is_number_integer() || (it->get<long long>() != 0 && it->get<long long>() != 1)) {
      in.error("qos", "is " + it->dump() + ", must be 0 or 1");
    } else {
      out.qos = static_cast<int>(it->get<long long>());
    }
  }
  if (auto it = spec.find("seed"); it != spec.end()) {
    if (!it->is_number_unsigned()) {
      in.error("seed", "is " + it->dump() + ", must be a whole number from 0");
    } else {
      out.seed = it->get<std::uint64_t>();
    }
  }
  out.min = in.number(spec, "", "min", false);
  out.max = in.number(spec, "", "max", false);
  if (out.min && out.max && *out.min >= *out.max) in.error("min", "must be below max");
  if (auto it = spec.find("model"); it != spec.end()) {
    in.model(*it, out.model);
  } else {
    in.error("model", "missing; e.g. {\"type\": \"constant\", \"value\": 21}");
  }
  return out;
}

void load_sensor_traces(Topology& topo, const std::string& base_dir,
                        std::vector<std::string>& errors) {
  namespace fs = std::filesystem;
  // Devices sharing a file share its points.
  std::map<std::string, std::shared_ptr<const std::vector<TracePoint>>> loaded;
  for (std::size_t i = 0; i < topo.devices.size(); ++i) {
    Device& d = topo.devices[i];
    if (!d.sensor || d.sensor->model.type != SensorModelKind::trace) continue;
    SensorModel& m = d.sensor->model;
    if (m.trace_file.empty()) continue;  // reported by parse_sensor
    const fs::path path = fs::path(m.trace_file).is_absolute() || base_dir.empty()
                              ? fs::path(m.trace_file)
                              : fs::path(base_dir) / m.trace_file;
    const std::string where =
        "devices[" + std::to_string(i) + "] '" + d.id + "'.sensor.model.file: " + path.string();
    if (auto it = loaded.find(path.string()); it != loaded.end()) {
      m.trace = it->second;
      if (!m.trace) errors.push_back(where + ": see above");
      continue;
    }
    auto& slot = loaded[path.string()];
    std::error_code kind_error;
    const bool regular = fs::is_regular_file(path, kind_error);
    std::ifstream file;
    if (regular) file.open(path, std::ios::binary);
    if (!regular || !file) {
      // Not a device or a FIFO either: reading /dev/zero would never end.
      errors.push_back(where + (fs::exists(path, kind_error) && !regular
                                    ? ": not a regular file"
                                    : ": cannot open the file"));
      continue;
    }
    // Bounded: a trace is at most kMaxTracePoints lines of a few dozen bytes.
    constexpr std::uintmax_t kMaxBytes = 64u << 20;
    std::error_code ec;
    if (fs::file_size(path, ec) > kMaxBytes && !ec) {
      errors.push_back(where + ": larger than 64 MiB");
      continue;
    }
    std::stringstream text;
    text << file.rdbuf();
    try {
      slot = std::make_shared<const std::vector<TracePoint>>(parse_trace_csv(text.str()));
      m.trace = slot;
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      errors.push_back(where + (what.rfind("line ", 0) == 0 ? " " : ": ") + what);
    }
  }
}

std::string shown_number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace snet::detail
