// Shared by the process engine's tests: a subscriber that stamps each arrival, and helpers to
// publish LinkUpdates and read an agent's counters from its status.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "harness.hpp"
#include "snet/bus_loop.hpp"
#include "snet/clock.hpp"
#include "snet/link.hpp"

namespace snet::test {

struct Arrival {
  Message message;
  Micros at = 0;  // wall clock, as the press path's stamps
};

/// Subscribes on the project's own MQTT client and keeps every message with its arrival time.
class TimedRecorder {
 public:
  TimedRecorder(const std::string& url, const std::vector<std::string>& filters);
  ~TimedRecorder();
  /// Waits until `pred(arrivals)` holds, at most `timeout`.
  bool wait(const std::function<bool(const std::vector<Arrival>&)>& pred,
            std::chrono::milliseconds timeout);
  std::vector<Arrival> arrivals();
  Bus& bus() { return *bus_; }

 private:
  BusLoop loop_;
  std::unique_ptr<Bus> bus_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Arrival> arrivals_;
};

/// Publishes a LinkUpdate (retained, as snet up does) for `link` on the topology's control topic.
void publish_link_update(Bus& bus, const std::string& topology, const std::string& link,
                         const LinkSpec& spec);

/// A counter from the latest status of `service` among `arrivals` (0 when absent).
double status_metric(const std::vector<Arrival>& arrivals, const std::string& topology,
                     const std::string& service, const std::string& metric);

/// p50 of `samples` (not empty).
double median(std::vector<double> samples);

}  // namespace snet::test
