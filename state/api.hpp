// The HTTP API of the state service (docs/api.md) as a Router: plain Request -> Response
// handlers, so the whole API can be exercised without sockets (Router::handle). Only
// POST /api/devices/{button}/press and the control routes (control_api.hpp) answer
// asynchronously. Everything not under /api, /healthz, /metrics or /ws is a dashboard file.
// Thread safety: the returned Router's handlers may run concurrently.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control_api.hpp"
#include "live_feed.hpp"
#include "scenario_tracker.hpp"
#include "snet/bus.hpp"
#include "snet/http_guard.hpp"
#include "snet/http_server.hpp"
#include "snet/topology.hpp"
#include "state_metrics.hpp"
#include "store.hpp"

namespace snet::state {

struct ApiContext {
  const Topology& topology;
  LiveFeed& feed;
  Store& store;
  StateMetrics& metrics;
  Bus& bus;                                            // publishes press triggers
  std::function<nlohmann::json()> health;              // GET /api/health
  std::function<std::vector<std::string>()> problems;  // GET /healthz: empty when healthy
  std::function<std::vector<std::string>()> unready;   // GET /readyz: empty when ready
  std::function<std::string()> metrics_text;           // GET /metrics
  std::string dashboard_dir;
  const ControlContext* control = nullptr;    // the control routes (control_api.hpp); none if null
  const ScenarioTracker* scenario = nullptr;  // GET /api/scenario; none if null
  const http::RequestGuard* guard = nullptr;  // GET /api/session; no token needed if null
};

inline constexpr int kDefaultEventLimit = 100;
inline constexpr int kMaxEventLimit = 1000;
inline constexpr int kDefaultReadingLimit = 100;
inline constexpr int kMaxReadingLimit = 10'000;  // a larger limit is capped to this

/// The context must outlive the router.
http::Router make_api(const ApiContext& context);

}  // namespace snet::state
