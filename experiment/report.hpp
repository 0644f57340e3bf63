// What a scenario's run did to the application, computed from what was observed: each press sent
// (and acknowledged by the broker), each target's applied state, and the fault windows. Pure:
// the runner collects the observations, this turns them into numbers; the writers
// (report_files.hpp) turn the numbers into report.json, presses.csv and report.html.
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "scenario.hpp"
#include "snet/clock.hpp"

namespace snet::experiment {

/// One press as observed. Times are wall-clock microseconds (snet::Micros).
struct PressRecord {
  std::string id, button;
  Micros planned = 0;  // when it was due
  Micros sent = 0;     // published (0: never sent: the run ended first)
  bool acked = false;  // the broker acknowledged it (QoS 1)
  std::vector<std::string> targets;
  std::map<std::string, Micros> applied;  // target -> when it applied it (first report)
  std::map<std::string, Micros> relayed;  // target -> when the relayer published its command
  std::map<std::string, Micros> stored;   // target -> when the state service stored the state
  std::map<std::string, int> reports;     // target -> state reports seen for this press
};

/// A timeline action as it happened: [start, end] (end == start for kill, storm...).
struct FaultWindow {
  std::string label;
  Micros start = 0, end = 0;
};

struct LatencyStats {
  std::size_t count = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
};

struct PhaseStats {
  std::string name;  // "before kill relayer-1", "during ...", "after ..."
  Micros from = 0, to = 0;
  LatencyStats latency;
  std::size_t lost = 0;
};

struct FaultStats {
  std::string label;
  Micros start = 0, end = 0;
  std::size_t sent_during = 0, lost = 0, duplicated = 0;
  std::optional<double> first_applied_ms;  // fault's end -> the first press applied after it
  std::optional<double> recovery_ms;       // fault's end -> latency back within 2x of before
  double baseline_p50_ms = 0;
};

struct Report {
  std::string scenario;
  Micros started = 0, ended = 0;
  std::size_t planned = 0, sent = 0, acked = 0;
  std::size_t pairs = 0;       // press x target pairs of acknowledged presses
  std::size_t applied = 0;     // pairs applied
  std::size_t lost = 0;        // acknowledged pairs never applied
  std::size_t duplicated = 0;  // pairs reported more than once (delivered twice, applied once)
  std::size_t late = 0;        // pairs applied later than late_ms
  /// Commands delivered again and dropped by the actuators' dedupe (delivered twice, applied
  /// once), from the agents' snet_agent_duplicates_total; -1 when unknown.
  std::int64_t redelivered = -1;
  double late_ms = 0;
  LatencyStats latency;
  std::vector<PhaseStats> phases;
  std::vector<FaultStats> faults;
  std::vector<std::pair<double, std::size_t>> throughput;  // second since start -> applied
  std::vector<std::string> failed_expectations;            // empty: every expectation held
};

/// The report of a run. `late_ms`: a pair applied later than this counts as late.
Report compute_report(const Scenario& scenario, const std::vector<PressRecord>& presses,
                      const std::vector<FaultWindow>& faults, Micros started, Micros ended,
                      double late_ms = 1000);

/// Percentiles of latencies in ms (empty input: all zero).
LatencyStats latency_stats(std::vector<double> latencies_ms);

nlohmann::json to_json(const Report& report);

}  // namespace snet::experiment
