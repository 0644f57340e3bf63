// Publishes a service's ServiceStatus (online + its metrics) retained on
// snet/<topology>/status/<service> every `interval`, from its own thread. Pair it with
// status_will() in the service's BusOptions so the broker marks the service offline if it dies.
// Thread safety: construct and destroy on one thread; publish_now() may be called from any.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "snet/bus.hpp"
#include "snet/metrics.hpp"

namespace snet {

/// The last-will message that marks `service` offline.
Message status_will(const std::string& topology, const std::string& service);

class StatusReporter {
 public:
  StatusReporter(Bus& bus, std::string topology, std::string service, const Metrics& metrics,
                 std::chrono::milliseconds interval = std::chrono::seconds(2));
  /// Publishes {"online": false} before stopping (a clean shutdown is not a crash).
  ~StatusReporter();
  StatusReporter(const StatusReporter&) = delete;
  StatusReporter& operator=(const StatusReporter&) = delete;

  void publish_now();

 private:
  void publish(bool online);
  Bus& bus_;
  std::string topology_, service_;
  const Metrics& metrics_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace snet
