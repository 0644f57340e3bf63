// Counters shared by every device an agent hosts (bumped lock-free from the bus threads).
// Thread safety: all members may be used from any thread.
#pragma once

#include <string>
#include <string_view>

#include "snet/metrics.hpp"

namespace snet::agents {

/// Reasons a trigger, command or link update is rejected (labels of snet_agent_rejected_total).
inline constexpr std::string_view kAgentRejectReasons[] = {
    "retained",      "oversized",       "malformed_json", "wrong_type",    "missing_field",
    "unknown_topic", "bad-link-update", "unknown-link",   "bad_timestamp", "unknown_capability"};

struct AgentMetrics {
  explicit AgentMetrics(Metrics& metrics);
  Counter& rejected(const std::string& reason);
  /// Fault injections applied (DeviceControl), by action.
  Counter& faults(const std::string& action);

  Metrics& registry;
  Gauge& devices;             // devices hosted
  Gauge& connected;           // devices connected and subscribed right now
  Gauge& connect_ms;          // from the process's start until every device first connected
  Gauge& restored;            // actuators that have restored their state
  Counter& presses;           // presses published by buttons
  Counter& press_retries;     // presses published again after the broker refused them
  Counter& presses_lost;      // presses never confirmed (refused on every try, or at stop)
  Counter& applied;           // commands applied by actuators
  Counter& duplicates;        // commands whose press id was already applied
  Counter& losses;            // connections lost (faults injected on purpose included)
  Counter& link_updates;      // LinkUpdates applied by the process engine
  Counter& readings;          // readings published by sensors
  Counter& readings_skipped;  // readings not taken: the sensor was down
};

}  // namespace snet::agents
