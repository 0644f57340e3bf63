// Whether the press path is ready end to end, for GET /readyz: besides what /healthz checks
// (the state service reaches the broker, its store works), at least one relayer is online (so it
// has subscribed: a relayer reports online only then), at least one agent is online and none is
// offline or stale (its devices connected). /healthz says only that this service works (compose
// healthchecks use it); scripts that press right after start-up wait for /readyz, or a press may
// find no relayer subscribed yet. Thread safety: pure function.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace snet::state {

/// `services`: ServiceHealth::services(). Empty when ready; otherwise what is missing.
std::vector<std::string> press_path_problems(const nlohmann::json& services);

}  // namespace snet::state
