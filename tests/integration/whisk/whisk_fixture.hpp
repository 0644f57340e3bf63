// A real snet-whisk process with real Node.js workers, on a free port, for the whisk tests
// (the bundled stand-in for Apache OpenWhisk, whose full deployment cannot run here), plus
// helpers to deploy actions and to call a Compute with a bounded wait.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compute_requests.hpp"
#include "curl_util.hpp"
#include "harness.hpp"
#include "openwhisk_compute.hpp"
#include "snet/compute.hpp"

namespace snet::test {

class WhiskServer {
 public:
  /// Starts snet-whisk with `extra` flags and waits until it answers /ping.
  explicit WhiskServer(std::vector<std::string> extra = {});
  std::string apihost() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  static std::string auth();
  std::string log() const { return service_->log(); }
  /// The snet-whisk process, to signal or stop it.
  ChildProcess& process() { return service_->process(); }

  /// PUT .../actions/{name}?overwrite=true with the code and optional limits.
  openwhisk::HttpReply put_action(const std::string& name, const std::string& code,
                                  const nlohmann::json& limits = nullptr) const;
  /// Any request to {apihost}{path} with the right credentials.
  openwhisk::HttpReply call(const std::string& method, const std::string& path,
                            const std::string& body = "") const;

  /// A client configured for this server.
  openwhisk::OpenWhiskOptions client_options() const;

 private:
  int port_ = 0;
  std::unique_ptr<Service> service_;
};

/// Calls compute.invoke and waits for `done` at most `timeout`; fails the test when it does
/// not come. Checks that `done` comes only once (a second call throws in the callback).
snet::ComputeResult invoke_and_wait(snet::Compute& compute, snet::ComputeRequest request,
                                    std::chrono::milliseconds timeout = 20s);

/// The value of one metric line "name{labels} value" in Prometheus text (0 when absent).
long long metric_value(const std::string& prometheus, const std::string& series);

}  // namespace snet::test
