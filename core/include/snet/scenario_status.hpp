// A running scenario as `snet run` publishes it (ScenarioStatus, retained on
// topics::scenario_topic(t) = snet/<topology>/scenario): once a second, on every timeline step,
// and a last time when the run ends (finished or cancelled). The state service keeps the latest
// (GET /api/scenario, the WebSocket's `scenario` message) and the dashboard shows it.
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "snet/clock.hpp"
#include "snet/message.hpp"

namespace snet {

enum class ScenarioState { running, finished, cancelled };
std::string_view to_string(ScenarioState state);

/// Where a timeline entry is: not yet carried out, in force (between at_s and until_s), or over
/// (undone, or carried out when it has no until_s).
enum class StepState { pending, active, done };
std::string_view to_string(StepState state);

/// One entry of the scenario's timeline.
struct ScenarioStep {
  std::string label;
  double at_s = 0;
  std::optional<double> until_s;  // none: a single action (kill, storm...), no window
  std::string kind;               // service | device | storm | link
  StepState state = StepState::pending;
  bool operator==(const ScenarioStep&) const = default;
};

struct ScenarioStatus {
  std::string name;
  std::string description;
  std::string run;  // this run's id (in its press ids); a new id is a new run
  double duration_s = 0;
  double elapsed_s = 0;
  Micros started = 0;  // wall clock at elapsed 0: at_s of a step is started + at_s seconds
  Micros ts = 0;       // when this status was made
  ScenarioState state = ScenarioState::running;
  std::vector<ScenarioStep> timeline;
  /// "before <label>", "during <label>", "after <label>" (the report's phases); "" without a
  /// timeline.
  std::string phase;
  std::uint64_t planned = 0;  // presses the workload plans
  std::uint64_t sent = 0;     // presses published so far
  std::uint64_t acked = 0;    // presses the broker acknowledged
  std::uint64_t applied = 0;  // press x target pairs applied
  std::uint64_t pending = 0;  // acknowledged pairs not applied yet
  /// Acknowledged pairs never applied: known once the run ended (finished or cancelled).
  std::optional<std::uint64_t> lost;
  std::uint64_t action_errors = 0;  // timeline actions the stack refused
  bool operator==(const ScenarioStatus&) const = default;
};

/// The phase of a run whose timeline is in these states (see ScenarioStatus::phase).
std::string scenario_phase(const std::vector<ScenarioStep>& timeline);

/// Limits parse_scenario_status enforces.
inline constexpr std::size_t kMaxScenarioStatusBytes = 256 << 10;
inline constexpr std::size_t kMaxScenarioSteps = 2000;

/// Throws BadMessage("bad-scenario-status", what is wrong, naming the field); "oversized" and
/// "malformed_json" for those.
ScenarioStatus parse_scenario_status(std::string_view payload);
nlohmann::json to_json_value(const ScenarioStatus& status);
std::string to_json(const ScenarioStatus& status);

}  // namespace snet
