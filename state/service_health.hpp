// The health of the emulation's services as they report it: each publishes a retained
// ServiceStatus (online + its counters) on snet/<t>/status/<service> every few seconds, and its
// last will marks it offline. Feeds GET /api/health, the WebSocket "health" messages and the
// relayed counters of GET /metrics.
// Thread safety: every method may be called from any thread.
#pragma once

#include <cctype>
#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "snet/message.hpp"

namespace snet::state {

class ServiceHealth {
 public:
  /// A status not refreshed for this long is reported "stale" (its service hangs or its
  /// broker link is gone without the will having arrived yet).
  explicit ServiceHealth(std::chrono::milliseconds stale_after = std::chrono::seconds(10));

  /// Returns whether the service's online flag changed (or it is new).
  bool update(const ServiceStatus& status);
  /// Returns whether it was known.
  bool forget(const std::string& service);

  /// {"<service>": {"online", "last_seen" (µs), "stale", "metrics": {...}}, ...}
  nlohmann::json services() const;
  /// `own` (the caller's exposition) with the services' counters and gauges added, each sample
  /// labelled service="<name>": in the family of the same name where `own` has one (e.g.
  /// process_resident_memory_bytes), else in a family of its own. The service `self` is left
  /// out, and so is what is not a valid sample.
  std::string prometheus(const std::string& self, const std::string& own) const;

 private:
  struct Entry {
    ServiceStatus status;
    nlohmann::json metrics;
  };
  std::chrono::milliseconds stale_after_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> services_;
};

}  // namespace snet::state
