// The relayer's trigger mode of the "openwhisk" compute, the way OpenWhisk's MQTT feed works:
// per press it fires an OpenWhisk trigger instead of invoking an action,
//
//   POST {apihost}/api/v1/namespaces/{ns}/triggers/{trigger}      body: to_trigger_params()
//
// and the press is done for the relayer once OpenWhisk accepts the fire (202 + activationId):
// the trigger's rule runs the action, which publishes the commands to the broker itself
// (actions/flip_publish.js; docs/actions.md, "Trigger per press"). Answers:
//   202          accepted -> ComputeResult::delegated
//   204          the trigger has no active rule: nothing would run -> an error naming it
//   404          no such trigger -> an error naming it, the host and the namespace
//   401/403      an error naming the credentials' host (never retried)
//   429, 503     throttled/overloaded, and no answer: bounded retries with back-off, then an error
//
// Requests without a trigger go to the wrapped action compute unchanged, so this object is the
// "openwhisk" backend for both modes.
//
// Fires run on a few threads of this object (blocking libcurl, one kept-alive connection each):
// accepting a fire is quick on OpenWhisk, which runs the rules' actions afterwards. At most
// `max_queued` fires wait; beyond that invoke() fails the press at once ("busy").
// Thread safety: invoke() from any thread; `done` runs on a firing thread (or the caller's, for
// an immediate rejection), exactly once, also when the object is destroyed with fires pending.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "openwhisk_compute.hpp"
#include "snet/compute.hpp"
#include "snet/metrics.hpp"

namespace snet::openwhisk {

/// The action parameters of docs/actions.md plus what an action needs to publish the commands
/// itself: each target's "topic", "qos" (1) and "trigger" (the trigger's name).
nlohmann::json to_trigger_params(const ComputeRequest& request);

class OpenWhiskTriggerCompute : public Compute {
 public:
  /// `options` as for OpenWhiskCompute (server, deadline, retries, max_queued, TLS);
  /// `actions` runs the requests without a trigger. Counts into `metrics`
  /// (snet_openwhisk_triggers_fired_total), which must outlive this object.
  OpenWhiskTriggerCompute(OpenWhiskOptions options, Metrics& metrics,
                          std::unique_ptr<Compute> actions);
  ~OpenWhiskTriggerCompute() override;
  OpenWhiskTriggerCompute(const OpenWhiskTriggerCompute&) = delete;
  OpenWhiskTriggerCompute& operator=(const OpenWhiskTriggerCompute&) = delete;

  void invoke(ComputeRequest request, ComputeDone done) override;

 private:
  class Firer;
  std::unique_ptr<Compute> actions_;
  std::unique_ptr<Firer> firer_;
};

}  // namespace snet::openwhisk
