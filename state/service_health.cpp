#include "service_health.hpp"

#include <set>
#include <sstream>

#include "snet/clock.hpp"

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

std::string ServiceHealth::prometheus(const std::string& self, const std::string& skip_text) const {
  // Families must be contiguous in the text format: group every service's samples by name.
  std::map<std::string, std::vector<std::string>> families;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [service, entry] : services_) {
      if (service == self) continue;
      for (const auto& [key, value] : entry.metrics.items()) {
        if (!value.is_number()) continue;
        auto [name, labels] = split_series(key);
        if (!valid_metric_name(name)) continue;
        if (skip_text.find("# TYPE " + name + " ") != std::string::npos) continue;
        std::ostringstream line;
        line << name << "{service=\"" << service << '"' << (labels.empty() ? "" : ",") << labels
             << "} " << value.dump();
        families[name].push_back(line.str());
      }
    }
  }
  std::ostringstream out;
  for (const auto& [name, lines] : families) {
    const bool counter = name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
    out << "# HELP " << name << " Relayed from the service's status message\n# TYPE " << name
        << (counter ? " counter\n" : " gauge\n");
    for (const auto& line : lines) out << line << '\n';
  }
  return out.str();
}

}  // namespace snet::state
