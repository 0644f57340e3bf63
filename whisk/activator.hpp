// Starts activations of any action: a code action goes to the Invoker; a sequence
// (`exec.kind: "sequence"`) runs here, as OpenWhisk's controller runs it
// (core/controller .../actions/SequenceActions.scala):
//   - its components run one after the other, each a blocking activation of its own whose
//     record has "cause" = the sequence's activation id (annotation causedBy: "sequence");
//     the invocation's parameters go to the first, each result is the next one's input (merged
//     over the component's bound parameters);
//   - a result with an "error" field stops the sequence; its response is the sequence's;
//   - the sequence's own record: response = the last component's, logs = the components'
//     activation ids, duration = the sum of theirs, annotations topmost, path, kind "sequence",
//     waitTime and limits (memory: the largest of the components');
//   - a component that no longer exists ends it as an application error ("Sequence component
//     does not exist."); more than kMaxSequenceLength atomic actions, "Too many actions in the
//     sequence.". A sequence inside a sequence runs the same way (topmost false).
// Thread safety: start() may be called from any thread; sequences run on the invoker's thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "action_store.hpp"
#include "activation_store.hpp"
#include "invoker.hpp"

namespace snet::whisk {

class Activator {
 public:
  /// `new_id` makes activation ids (for the components); it must be thread-safe.
  Activator(ActionStore& actions, ActivationStore& activations, Invoker& invoker,
            std::function<std::string()> new_id);

  /// As Invoker::invoke, for a code action or a sequence; `payload` is the invocation's own
  /// parameters (the action's bound ones are merged in here). False: throttled.
  bool start(std::shared_ptr<const Action> action, const nlohmann::json& payload, std::string id,
             std::chrono::milliseconds wait, Answer answer);

  /// Why a sequence cannot be stored (OpenWhisk's texts: a missing component, itself among its
  /// components, too long once inlined), or nullopt when it can.
  std::optional<std::string> check_sequence(const Action& sequence) const;

 private:
  struct Run;
  void start_sequence(std::shared_ptr<Run> run);
  void next_component(const std::shared_ptr<Run>& run);
  void finish_sequence(const std::shared_ptr<Run>& run, std::string status, nlohmann::json result);

  ActionStore& actions_;
  ActivationStore& activations_;
  Invoker& invoker_;
  std::function<std::string()> new_id_;
};

}  // namespace snet::whisk
