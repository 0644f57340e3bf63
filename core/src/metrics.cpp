#include "snet/metrics.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "snet/process_metrics.hpp"

namespace snet {
namespace {

// Shortest text that reads back as the same double ("0.005", "1", "2.5"), as Prometheus
// clients write bounds.
std::string number(double value) {
  std::ostringstream out;
  out.precision(15);
  out << value;
  return out.str();
}

const char* type_name(int type) {
  switch (type) {
    case 0:
      return "counter";
    case 1:
      return "gauge";
    default:
      return "histogram";
  }
}

// `labels` joined with one more label: {a="1",le="0.5"}.
std::string with_label(const std::string& labels, const std::string& more) {
  return "{" + labels + (labels.empty() ? "" : ",") + more + "}";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  buckets_.resize(bounds_.size() + 1);
}

void Histogram::observe(double value) {
  if (std::isnan(value)) return;
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(std::llround(value * 1e9), std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::int64_t Histogram::cumulative(std::size_t i) const {
  std::int64_t total = 0;
  for (std::size_t b = 0; b <= i && b < buckets_.size(); ++b) {
    total += buckets_[b].load(std::memory_order_relaxed);
  }
  return total;
}

double Histogram::sum() const {
  return static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9;
}

const std::vector<double>& latency_buckets_seconds() {
  static const std::vector<double> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return bounds;
}

std::string metric_label(std::string_view name, std::string_view value) {
  std::string out(name);
  out += "=\"";
  for (const char c : value) {
    const bool safe = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' ||
                      c == '.' || c == ':';
    out += safe ? c : '_';
  }
  out += '"';
  return out;
}

Metrics::Family& Metrics::family(const std::string& name, const std::string& help, Type type) {
  auto [it, created] = families_.try_emplace(name);
  Family& f = it->second;
  if (created) {
    f.help = help;
    f.type = type;
  } else if (f.type != type) {
    throw std::logic_error("metric " + name + " is a " + type_name(static_cast<int>(f.type)) +
                           ", not a " + type_name(static_cast<int>(type)));
  }
  return f;
}

Counter& Metrics::counter(const std::string& name, const std::string& help,
                          const std::string& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Type::counter).series[labels];
  if (std::holds_alternative<Counter*>(slot) && std::get<Counter*>(slot) != nullptr) {
    return *std::get<Counter*>(slot);
  }
  Counter& c = counters_.emplace_back();
  slot = &c;
  return c;
}

Gauge& Metrics::gauge(const std::string& name, const std::string& help, const std::string& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Type::gauge).series[labels];
  if (std::holds_alternative<Gauge*>(slot)) return *std::get<Gauge*>(slot);
  Gauge& g = gauges_.emplace_back();
  slot = &g;
  return g;
}

Histogram& Metrics::histogram(const std::string& name, const std::string& help,
                              const std::string& labels, std::vector<double> bounds) {
  std::lock_guard lock(mutex_);
  Family& f = family(name, help, Type::histogram);
  if (f.bounds.empty()) f.bounds = bounds.empty() ? latency_buckets_seconds() : std::move(bounds);
  auto& slot = f.series[labels];
  if (std::holds_alternative<Histogram*>(slot)) return *std::get<Histogram*>(slot);
  Histogram& h = histograms_.emplace_back(f.bounds);
  slot = &h;
  return h;
}

std::string Metrics::prometheus() const {
  std::ostringstream out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, family] : families_) {
      out << "# HELP " << name << ' ' << family.help << "\n# TYPE " << name << ' '
          << type_name(static_cast<int>(family.type)) << '\n';
      for (const auto& [labels, series] : family.series) {
        if (const auto* h = std::get_if<Histogram*>(&series)) {
          const Histogram& hist = **h;
          for (std::size_t i = 0; i < hist.bounds().size(); ++i) {
            out << name << "_bucket"
                << with_label(labels, "le=\"" + number(hist.bounds()[i]) + "\"") << ' '
                << hist.cumulative(i) << '\n';
          }
          out << name << "_bucket" << with_label(labels, "le=\"+Inf\"") << ' '
              << hist.cumulative(hist.bounds().size()) << '\n';
          const std::string braces = labels.empty() ? "" : "{" + labels + "}";
          out << name << "_sum" << braces << ' ' << number(hist.sum()) << '\n';
          out << name << "_count" << braces << ' ' << hist.count() << '\n';
          continue;
        }
        out << name;
        if (!labels.empty()) out << '{' << labels << '}';
        if (const auto* c = std::get_if<Counter*>(&series)) out << ' ' << (*c)->value() << '\n';
        if (const auto* g = std::get_if<Gauge*>(&series)) out << ' ' << (*g)->value() << '\n';
      }
    }
  }
  out << process_metrics_text();
  return out.str();
}

nlohmann::json Metrics::snapshot() const {
  nlohmann::json out = nlohmann::json::object();
  // The process's resources too: the state service relays them with the service's name, so
  // one /metrics shows every agent's and relayer's memory and CPU.
  if (const auto p = read_process_stats()) {
    out["process_cpu_seconds_total"] = p->cpu_seconds;
    out["process_resident_memory_bytes"] = p->resident_bytes;
    out["process_open_fds"] = p->open_fds;
    out["process_start_time_seconds"] = p->start_time_seconds;
  }
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) {
    for (const auto& [labels, series] : family.series) {
      const std::string key = labels.empty() ? name : name + '{' + labels + '}';
      if (const auto* c = std::get_if<Counter*>(&series)) out[key] = (*c)->value();
      if (const auto* g = std::get_if<Gauge*>(&series)) out[key] = (*g)->value();
    }
  }
  return out;
}

}  // namespace snet
