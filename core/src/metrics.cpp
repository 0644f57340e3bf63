#include "snet/metrics.hpp"

#include <sstream>

#include <nlohmann/json.hpp>

namespace snet {

Counter& Metrics::counter(const std::string& name, const std::string& help,
                          const std::string& labels, const std::string& type) {
  std::lock_guard lock(mutex_);
  Family& family = families_[name];
  if (family.help.empty()) {
    family.help = help;
    family.type = type;
  }
  Counter*& slot = family.series[labels];
  if (slot == nullptr) slot = &storage_.emplace_back();
  return *slot;
}

std::string Metrics::prometheus() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  for (const auto& [name, family] : families_) {
    out << "# HELP " << name << ' ' << family.help << "\n# TYPE " << name << ' ' << family.type
        << '\n';
    for (const auto& [labels, counter] : family.series) {
      out << name;
      if (!labels.empty()) out << '{' << labels << '}';
      out << ' ' << counter->value() << '\n';
    }
  }
  return out.str();
}

nlohmann::json Metrics::snapshot() const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, family] : families_) {
    for (const auto& [labels, counter] : family.series) {
      out[labels.empty() ? name : name + '{' + labels + '}'] = counter->value();
    }
  }
  return out;
}

}  // namespace snet
