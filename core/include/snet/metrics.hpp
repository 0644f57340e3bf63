// Named counters, gauges and histograms rendered in the Prometheus text format. Each service
// owns one registry; the values are lock-free to change from any thread (the hot path), and
// registration happens once at start-up. Every exposition ends with the process's own
// resources (process_*) and snet_build_info (process_metrics.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace snet {

/// Only goes up. set() mirrors a total kept elsewhere (e.g. the HTTP server's own count).
class Counter {
 public:
  void add(std::int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

/// A value that goes up and down (connections, queue depth, in flight).
class Gauge {
 public:
  void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(std::int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

/// Observations counted into fixed buckets (upper bounds, ascending); rendered cumulatively
/// with _bucket{le=...}, _sum and _count as Prometheus expects.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  const std::vector<double>& bounds() const { return bounds_; }
  /// Observations <= bounds()[i] (cumulative); i == bounds().size() is +Inf (the count).
  std::int64_t cumulative(std::size_t i) const;
  std::int64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const;

 private:
  std::vector<double> bounds_;
  std::deque<std::atomic<std::int64_t>> buckets_;  // one per bound, then +Inf
  std::atomic<std::int64_t> count_{0};
  std::atomic<std::int64_t> sum_nanos_{0};  // an integer sum: atomic add without a CAS loop
};

/// Latency buckets in seconds, 0.5 ms to 10 s: the press path takes about a millisecond on
/// one machine, seconds through a cold OpenWhisk action or a faulty link.
const std::vector<double>& latency_buckets_seconds();

/// `name="value"` with the value made safe for a label: characters other than letters,
/// digits, '_', '-', '.' and ':' (spaces, quotes, backslashes) become '_'.
std::string metric_label(std::string_view name, std::string_view value);

class Metrics {
 public:
  /// Returns the counter `name` with `labels` (e.g. metric_label("reason", "malformed_json")),
  /// creating it once. The reference stays valid for the registry's lifetime.
  Counter& counter(const std::string& name, const std::string& help,
                   const std::string& labels = "");
  Gauge& gauge(const std::string& name, const std::string& help, const std::string& labels = "");
  /// `bounds` apply when the family is created (default: latency_buckets_seconds()).
  Histogram& histogram(const std::string& name, const std::string& help,
                       const std::string& labels = "", std::vector<double> bounds = {});
  /// The registry, then process_* and snet_build_info.
  std::string prometheus() const;
  /// {"name{labels}": value, ...} of the counters and gauges and the process's CPU, memory,
  /// descriptors and start time, for publishing a service's status over the bus (histograms
  /// are served on /metrics only).
  nlohmann::json snapshot() const;

 private:
  enum class Type { counter, gauge, histogram };
  struct Family {
    std::string help;
    Type type = Type::counter;
    std::vector<double> bounds;
    std::map<std::string, std::variant<Counter*, Gauge*, Histogram*>> series;  // by label text
  };
  /// Throws std::logic_error when `name` was registered with another type.
  Family& family(const std::string& name, const std::string& help, Type type);

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
  // deques: stable addresses as they grow
  std::deque<Counter> counters_;
  std::deque<Gauge> gauges_;
  std::deque<Histogram> histograms_;
};

}  // namespace snet
