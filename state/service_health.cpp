#include "service_health.hpp"

#include <set>
#include <sstream>

#include "snet/clock.hpp"
#include "snet/metrics.hpp"

namespace snet::state {
namespace {

// "name{a=\"b\"}" -> ("name", "a=\"b\"")
std::pair<std::string, std::string> split_series(const std::string& key) {
  const auto brace = key.find('{');
  if (brace == std::string::npos || key.back() != '}') return {key, ""};
  return {key.substr(0, brace), key.substr(brace + 1, key.size() - brace - 2)};
}

bool valid_metric_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':')) return false;
  }
  return !std::isdigit(static_cast<unsigned char>(name[0]));
}

// `a="x",b="y"`: names of letters, digits and '_', values without quotes, backslashes, spaces
// or line breaks (what Metrics writes); empty is valid.
bool valid_labels(const std::string& labels) {
  std::size_t i = 0;
  while (i < labels.size()) {
    const std::size_t name_start = i;
    while (i < labels.size() &&
           (std::isalnum(static_cast<unsigned char>(labels[i])) || labels[i] == '_')) {
      ++i;
    }
    if (i == name_start || labels.compare(i, 2, "=\"") != 0) return false;
    const std::size_t close = labels.find('"', i + 2);
    if (close == std::string::npos) return false;
    if (labels.find_first_of("\\\n ", i + 2) < close) return false;
    i = close + 1;
    if (i < labels.size() && labels[i++] != ',') return false;
    if (i == labels.size() && labels.back() == ',') return false;
  }
  return true;
}

}  // namespace

ServiceHealth::ServiceHealth(std::chrono::milliseconds stale_after) : stale_after_(stale_after) {}

bool ServiceHealth::update(const ServiceStatus& status) {
  nlohmann::json metrics = nlohmann::json::parse(status.metrics_json, nullptr, false);
  if (!metrics.is_object()) metrics = nlohmann::json::object();
  std::lock_guard lock(mutex_);
  auto [it, added] = services_.try_emplace(status.service);
  const bool changed = added || it->second.status.online != status.online;
  it->second = Entry{status, std::move(metrics)};
  return changed;
}

bool ServiceHealth::forget(const std::string& service) {
  std::lock_guard lock(mutex_);
  return services_.erase(service) > 0;
}

nlohmann::json ServiceHealth::services() const {
  const Micros now = now_us();
  const Micros stale_us =
      std::chrono::duration_cast<std::chrono::microseconds>(stale_after_).count();
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, entry] : services_) {
    const ServiceStatus& s = entry.status;
    out[name] = {{"online", s.online},
                 {"last_seen", s.ts},
                 {"stale", s.online && s.ts != 0 && now - s.ts > stale_us},
                 {"metrics", entry.metrics}};
  }
  return out;
}

std::string ServiceHealth::prometheus(const std::string& self, const std::string& own) const {
  // The relayed samples by family (families must be contiguous in the text format).
  std::map<std::string, std::vector<std::string>> families;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [service, entry] : services_) {
      if (service == self) continue;
      const std::string service_label = metric_label("service", service);
      for (const auto& [key, value] : entry.metrics.items()) {
        if (!value.is_number()) continue;
        auto [name, labels] = split_series(key);
        // What arrives over the bus goes into our exposition only if it is well formed.
        if (!valid_metric_name(name) || !valid_labels(labels)) continue;
        std::ostringstream line;
        line << name << '{' << service_label << (labels.empty() ? "" : ",") << labels << "} "
             << value.dump();
        families[name].push_back(line.str());
      }
    }
  }
  // Our own families get the relayed samples of the same name after their own (process_*:
  // every service's memory in one family); a histogram of ours takes none.
  std::ostringstream out;
  std::string family, type;
  auto add_relayed = [&] {
    const auto it = families.find(family);
    if (it == families.end()) return;
    if (type != "histogram") {
      for (const auto& line : it->second) out << line << '\n';
    }
    families.erase(it);
  };
  std::istringstream in(own);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# HELP ", 0) == 0) {
      add_relayed();
      family = line.substr(7, line.find(' ', 7) - 7);
      type.clear();
    } else if (line.rfind("# TYPE ", 0) == 0) {
      type = line.substr(line.rfind(' ') + 1);
    }
    out << line << '\n';
  }
  add_relayed();
  for (const auto& [name, lines] : families) {
    const bool counter = name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
    out << "# HELP " << name << " Relayed from the service's status message\n# TYPE " << name
        << (counter ? " counter\n" : " gauge\n");
    for (const auto& line : lines) out << line << '\n';
  }
  return out.str();
}

}  // namespace snet::state
