// What `snet run` tells the dashboard while it runs: the scenario's ScenarioStatus
// (snet/scenario_status.hpp) built from the timeline steps carried out so far and the run's
// counts. Pure: the runner feeds it and publishes what it returns.
// Thread safety: none; the run loop owns it.
#pragma once

#include <cstddef>
#include <string>

#include "scenario.hpp"
#include "snet/scenario_status.hpp"

namespace snet::experiment {

/// The run's counts at one moment (the runner's observations).
struct RunCounts {
  std::size_t sent = 0, acked = 0, applied = 0, pending = 0, action_errors = 0;
};

class LiveStatus {
 public:
  LiveStatus(const Scenario& scenario, std::string run, std::size_t planned);

  void start(Micros started) { status_.started = started; }
  /// Timeline entry `index` (of scenario.timeline) was carried out, or undone at its until_s.
  void step(std::size_t index, bool undo);
  /// The status now; `ended`: the run is over (lost = the pairs still pending).
  ScenarioStatus at(Micros now, const RunCounts& counts, ScenarioState state);

 private:
  ScenarioStatus status_;
};

}  // namespace snet::experiment
