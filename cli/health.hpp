// How `snet up` knows the services are healthy: the relayer and agents publish a retained
// ServiceStatus on snet/<topology>/status/<service> (online, with a timestamp), and the state
// service answers GET /healthz with 200.
// Thread safety: missing() from one thread; the bus records statuses on its own thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "snet/bus.hpp"
#include "snet/clock.hpp"
#include "snet/message.hpp"

namespace snet::cli {

class StatusWatch {
 public:
  /// Statuses count only when published at or after `since` (not a stale retained one).
  StatusWatch(const std::string& broker_url, const std::string& topology, Micros since);
  ~StatusWatch();
  /// The services of `wanted` not (yet) online, each with why ("no status yet", "offline").
  std::vector<std::string> not_online(const std::vector<std::string>& wanted);
  /// Whether `service` reported online in a status published at or after `since` (a restarted
  /// process is ready once it says so itself).
  bool online_since(const std::string& service, Micros since);

 private:
  Micros since_;
  std::unique_ptr<Bus> bus_;
  std::mutex mutex_;
  std::map<std::string, ServiceStatus> latest_;
};

/// Whether GET http://host:port<path> answers 200 within `timeout`.
bool http_ok(const std::string& host, int port, const std::string& path,
             std::chrono::milliseconds timeout);

}  // namespace snet::cli
