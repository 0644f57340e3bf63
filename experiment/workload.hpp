// The presses a scenario's workload makes, planned before the run: each press's time, button and
// id, derived from the scenario's seed alone, so that two runs send the same presses at the same
// offsets. Pure: no clock, no I/O.
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenario.hpp"

namespace snet::experiment {

struct PlannedPress {
  std::int64_t at_us = 0;  // since the scenario's start
  std::string button;
  std::string id;  // "<scenario>-<seed>-<run>-<n>", see plan_presses
};

/// Every press of the workload, in time order (ties: generator order). Buttons of a generator
/// take turns; poisson gaps are exponential with the generator's rate; a ramp's rate changes
/// linearly from `rate` to `to_rate` over its active window. Ids number the presses in order
/// and carry `run` (e.g. the run's start), so that a stack which remembers the ids of an earlier
/// run (the relayer drops a press id it has seen) does not drop this run's presses.
std::vector<PlannedPress> plan_presses(const Scenario& scenario, const Topology& topology,
                                       const std::string& run = "1");

}  // namespace snet::experiment
