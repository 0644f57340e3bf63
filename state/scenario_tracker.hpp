// The state service's view of a running scenario (docs/api.md, "Scenario"): the latest
// ScenarioStatus `snet run` publishes (retained) on snet/<t>/scenario, served by
// GET /api/scenario and pushed to the live feed as a `scenario` message. A status older than
// the one kept for the same run is ignored (ts); a bad one is counted in
// snet_state_rejected_total{reason} and logged, and changes nothing. An empty retained message
// clears it.
// Thread safety: every method may be called from any thread; never calls the feed while
// holding its own mutex.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "snet/bus.hpp"
#include "snet/scenario_status.hpp"
#include "snet/topology.hpp"
#include "state_metrics.hpp"

namespace snet::state {

class LiveFeed;

class ScenarioTracker {
 public:
  /// `feed` may be null (no live pushes).
  ScenarioTracker(const Topology& topology, StateMetrics& metrics, LiveFeed* feed);

  const std::string& topic() const { return topic_; }
  /// Takes a message of topic(): returns true when it was one (handled, even when rejected).
  bool observe(const Message& message);
  /// The latest status as JSON (to_json_value), nullopt when no scenario has run.
  std::optional<nlohmann::json> view() const;

 private:
  const std::string topic_;
  StateMetrics& metrics_;
  LiveFeed* feed_;
  mutable std::mutex mutex_;
  std::optional<ScenarioStatus> latest_;
  std::uint64_t rejections_ = 0;
};

}  // namespace snet::state
