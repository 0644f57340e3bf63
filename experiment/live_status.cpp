#include "live_status.hpp"

namespace snet::experiment {

LiveStatus::LiveStatus(const Scenario& scenario, std::string run, std::size_t planned) {
  status_.name = scenario.name;
  status_.description = scenario.description;
  status_.run = std::move(run);
  status_.duration_s = scenario.duration_s;
  status_.planned = planned;
  for (const auto& a : scenario.timeline) {
    status_.timeline.push_back({a.label, a.at_s, a.until_s, a.kind, StepState::pending});
  }
  status_.phase = scenario_phase(status_.timeline);
}

void LiveStatus::step(std::size_t index, bool undo) {
  if (index >= status_.timeline.size()) return;
  ScenarioStep& s = status_.timeline[index];
  s.state = !undo && s.until_s ? StepState::active : StepState::done;
  status_.phase = scenario_phase(status_.timeline);
}

ScenarioStatus LiveStatus::at(Micros now, const RunCounts& counts, ScenarioState state) {
  status_.ts = now;
  status_.elapsed_s = status_.started > 0 ? static_cast<double>(now - status_.started) / 1e6 : 0;
  if (status_.elapsed_s < 0) status_.elapsed_s = 0;
  status_.state = state;
  status_.sent = counts.sent;
  status_.acked = counts.acked;
  status_.applied = counts.applied;
  status_.pending = counts.pending;
  status_.action_errors = counts.action_errors;
  if (state != ScenarioState::running) status_.lost = counts.pending;
  return status_;
}

}  // namespace snet::experiment
