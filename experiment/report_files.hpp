// The files of a run's report: presses.csv (one row per press and target), report.html (one
// self-contained page: inline SVG plots, no script, no network) and report.json (to_json of
// the report plus the exact scenario and version).
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "report.hpp"

namespace snet::experiment {

/// press_id,button,target,planned_s,sent_s,acked,relayed_s,applied_s,latency_ms,reports,stored_s,
/// outcome
/// (times in seconds since the run's start; outcome: applied | lost | duplicated | unsent).
std::string presses_csv(const Report& report, const std::vector<PressRecord>& presses);

/// The page: summary, expectations, latency over time with the fault windows shaded,
/// throughput over time, a table per fault and per phase.
std::string report_html(const Report& report, const Scenario& scenario,
                        const std::vector<PressRecord>& presses);

/// Writes report.json, presses.csv and report.html into `dir` (created). Throws
/// std::runtime_error naming the file it could not write.
void write_report(const std::string& dir, const Report& report, const Scenario& scenario,
                  const std::string& scenario_text, const std::vector<PressRecord>& presses,
                  const std::string& version);

}  // namespace snet::experiment
