// Named counters and gauges rendered in the Prometheus text format. Each service owns one
// registry; counters are lock-free to bump from any thread (the hot path), and registration
// happens once at start-up.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace snet {

class Counter {
 public:
  void add(std::int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

class Metrics {
 public:
  /// Returns the counter `name` with `labels` (e.g. `reason="malformed_json"`), creating it once.
  /// The reference stays valid for the registry's lifetime. `type` is "counter" or "gauge".
  Counter& counter(const std::string& name, const std::string& help, const std::string& labels = "",
                   const std::string& type = "counter");
  std::string prometheus() const;
  /// {"name{labels}": value, ...} for publishing a service's status over the bus.
  nlohmann::json snapshot() const;

 private:
  struct Family {
    std::string help, type;
    std::map<std::string, Counter*> series;  // label text -> counter (owned by storage_)
  };
  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
  std::deque<Counter> storage_;  // deque: stable addresses as it grows
};

}  // namespace snet
