// In-process compute actions, the fastest backend: the answer is known in microseconds, so
// invoke() calls `done` before it returns. Actions:
//   flip_switch  each target goes to the opposite of its last known state (unknown counts as off)
//   all_on       every target on
//   all_off      every target off
// An unknown action is an error that names it and lists the available ones.
// Thread safety: stateless; invoke() may be called from any thread concurrently.
#pragma once

#include <string>
#include <vector>

#include "snet/compute.hpp"

namespace snet::relayer {

class BuiltinCompute final : public Compute {
 public:
  void invoke(ComputeRequest request, ComputeDone done) override;
  /// Names of the actions it knows, sorted.
  static std::vector<std::string> actions();
  /// The decision itself, without the callback (used by invoke() and unit tests).
  static ComputeResult run(const ComputeRequest& request);
};

}  // namespace snet::relayer
