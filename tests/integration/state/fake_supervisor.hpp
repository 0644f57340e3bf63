// A STAND-IN for the supervisor of `snet up` (the real one is tested by its owner): an HTTP
// server on a free port that implements the supervisor contract (GET /services, POST
// /services/{name}/{verb}) in memory, so the state service's proxying can be tested alone.
// `hang` makes it accept requests and never answer (a paused supervisor).
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "snet/http_server.hpp"

namespace snet::test {

class FakeSupervisor {
 public:
  FakeSupervisor();
  ~FakeSupervisor();
  std::string url() const;
  /// Every request received, as "METHOD /path".
  std::vector<std::string> calls() const;
  nlohmann::json service(const std::string& name) const;
  void hang(bool on) { hang_ = on; }

 private:
  http::Response handle(const http::Request& request);
  nlohmann::json view(const std::string& name) const;

  mutable std::mutex mutex_;
  std::map<std::string, nlohmann::json> services_;
  std::vector<std::string> calls_;
  std::atomic<bool> hang_{false};
  std::unique_ptr<http::Server> server_;
};

}  // namespace snet::test
