// The relayer's "openwhisk" compute: invokes an action over OpenWhisk's REST API (a real
// Apache OpenWhisk, or the bundled snet-whisk), many invocations at once.
//
//   POST {apihost}/api/v1/namespaces/{ns}/actions/{action}?blocking=true&result=true
//
// with HTTP Basic auth "uuid:key", parameters and result as in action_contract.hpp. What
// OpenWhisk answers and what this client does:
//   200          the action's result object -> commands
//   202          {"activationId"}: the blocking wait ran out; poll GET .../activations/{id}
//                (404 until the record exists) until it is done or the deadline passes
//   429, 503     throttled/overloaded: back off and retry (bounded), then an error
//   502          the action failed (application or developer error): its error text
//   401/403/404  an error naming the action and the host (never retried)
//   no answer    connection failures and timeouts: bounded retries, then an error
//
// Invocations run on one thread of this object: https:// with libcurl's multi interface,
// http:// (the bundled snet-whisk) with plain_http_client.hpp's keep-alive connections. At most
// `max_in_flight` requests are open and `max_queued` wait for a slot; beyond that invoke()
// fails the press at once ("busy") instead of letting presses pile up.
//
// Thread safety: invoke() may be called from any thread. `done` runs on this object's thread
// (or, for an immediate rejection, on the caller's), exactly once, also when the object is
// destroyed with invocations pending (they fail with "shutting down").
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "openwhisk_config.hpp"
#include "snet/compute.hpp"
#include "snet/flags.hpp"
#include "snet/metrics.hpp"

namespace snet::openwhisk {

struct OpenWhiskOptions {
  OpenWhiskConfig server;  // used as given: resolve it first
  std::size_t max_in_flight = 64;
  std::size_t max_queued = 1024;
  /// The whole invocation, retries and polling included, must finish within this.
  std::chrono::milliseconds deadline{30000};
  std::chrono::milliseconds connect_timeout{2000};
  /// Tries per invocation for retryable outcomes (429, 503, no answer).
  int max_attempts = 4;
  /// First retry delay; doubles on each retry, at most 2 s.
  std::chrono::milliseconds backoff{50};
  /// Pause between activation polls after a 202.
  std::chrono::milliseconds poll_interval{100};
  bool insecure_tls = false;  // accept self-signed certificates (wsk -i)
  /// http:// API hosts use libcurl too (else plain_http_client.hpp; https:// always uses curl).
  bool curl_for_http = false;
};

class OpenWhiskCompute : public Compute {
 public:
  /// Counts into `metrics` (snet_openwhisk_*); it must outlive this object.
  OpenWhiskCompute(OpenWhiskOptions options, Metrics& metrics);
  ~OpenWhiskCompute() override;
  OpenWhiskCompute(const OpenWhiskCompute&) = delete;
  OpenWhiskCompute& operator=(const OpenWhiskCompute&) = delete;

  void invoke(ComputeRequest request, ComputeDone done) override;

 private:
  class Engine;
  std::unique_ptr<Engine> engine_;
};

/// Declares the relayer's flags for this backend: --openwhisk-apihost (OPENWHISK_APIHOST),
/// --openwhisk-auth (OPENWHISK_AUTH), --openwhisk-namespace (OPENWHISK_NAMESPACE),
/// --openwhisk-max-in-flight, --openwhisk-max-queued, --openwhisk-deadline-ms,
/// --openwhisk-insecure. Unset connection flags fall back to ~/.wskprops, then snet-whisk.
void add_openwhisk_flags(Flags& flags);
/// Reads those flags. Throws snet::UsageError naming a bad value.
OpenWhiskOptions openwhisk_options(const Flags& flags);
/// Builds the backend from those flags. Throws snet::UsageError naming a bad value.
std::unique_ptr<OpenWhiskCompute> make_openwhisk_compute(const Flags& flags, Metrics& metrics);

}  // namespace snet::openwhisk
