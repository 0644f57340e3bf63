// Runs a scenario against a running stack: presses its planned workload through the broker
// (QoS 1, a persistent session), carries out its timeline through the state service's control
// API (services, device faults, storms, links), and observes, independently of the state
// service, every actuator's state report on the broker. Returns the observations; report.hpp
// turns them into numbers.
// Thread safety: one run at a time per Runner; `cancelled` may be set from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "report.hpp"
#include "scenario.hpp"

namespace snet::experiment {

struct RunOptions {
  std::string broker_url;  // where devices' presses go (mqtt:// or amqp://)
  std::string state_url;   // the state service, e.g. http://127.0.0.1:8080
  /// After the scenario's end: how long to wait for presses still on their way.
  std::chrono::milliseconds drain{10'000};
  std::ostream* progress = nullptr;  // a progress line each second (none when null)
};

struct RunResult {
  std::vector<PressRecord> presses;
  std::vector<FaultWindow> faults;
  Micros started = 0, ended = 0;
  std::vector<std::string> action_errors;  // timeline actions the stack refused, and why
  std::int64_t redelivered = -1;           // the agents' dedupe drops during the run (-1: unknown)
};

/// Throws std::runtime_error when the broker cannot be reached.
RunResult run_scenario(const Scenario& scenario, const Topology& topology,
                       const RunOptions& options, const std::atomic<bool>& cancelled);

}  // namespace snet::experiment
