// The Compute seam: given a press, decide the desired state of each target. Implementations:
// BuiltinCompute (in-process actions such as flip_switch, fastest) and the OpenWhisk REST client
// (a real OpenWhisk or the bundled snet-whisk). The relayer never waits on a compute: invoke()
// returns at once and `done` fires later, so many invocations can be in flight.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "snet/clock.hpp"

namespace snet {

struct TargetInfo {
  std::string id;
  std::optional<bool> on;  // last known state (nullopt: never reported)
  std::map<std::string, std::string> attrs;
  /// Trigger computes only: the MQTT topic its command goes to (the action publishes it).
  std::string topic = {};
};

/// What fired a rule (topology "rules"): the reading and the rule; absent for a press.
struct RuleCause {
  std::string rule;
  std::string device;
  std::string capability;
  double value = 0;
  std::string unit = {};
  std::uint64_t seq = 0;
  Micros ts = 0;
};

struct ComputeRequest {
  std::string topology;
  std::string button;
  std::string action;  // which action to run, e.g. "flip_switch"
  std::string trigger =
      {};  // non-empty: fire this OpenWhisk trigger instead (its rule runs action)
  std::string press_id;
  Micros press_ts = 0;
  std::vector<TargetInfo> targets;
  std::map<std::string, std::string> button_attrs;
  /// Set when a rule fired (then `button` is the rule's id): the compute sees the reading.
  std::optional<RuleCause> cause = {};
};

struct ComputeResult {
  std::vector<std::pair<std::string, bool>> commands;  // target id -> desired "on"
  std::string error;                                   // non-empty: the press failed, why
  /// A trigger was fired and accepted: the rule's action publishes the commands itself, so
  /// `commands` is empty and the press is done as far as the relayer is concerned.
  bool delegated = false;
};

using ComputeDone = std::function<void(ComputeResult)>;

class Compute {
 public:
  virtual ~Compute() = default;
  /// Starts one invocation. `done` is called exactly once, on any thread, possibly before
  /// invoke() returns. Must not block.
  virtual void invoke(ComputeRequest request, ComputeDone done) = 0;
};

}  // namespace snet
