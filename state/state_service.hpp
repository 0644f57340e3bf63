// snet-state: subscribes to the actuators' state reports, press errors and service status of
// one topology, stores them (Store, SQLite), and serves the REST API, the WebSocket live feed
// and the dashboard's files. The pieces: Ingest validates, StateWriter batches writes on its
// own thread, LiveFeed keeps the current view and pushes deltas, make_api() answers HTTP.
// Thread safety: construct, start, stop and destroy from one thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "snet/http_guard.hpp"

#include "retention.hpp"

namespace snet::state {

/// Readings: a day, a million rows (--readings-max-age, --readings-max-rows).
inline RetentionOptions default_readings_retention() {
  RetentionOptions r;
  r.max_age = std::chrono::hours(24);
  r.max_rows = 1'000'000;
  return r;
}

struct StateOptions {
  std::string broker_url = "mqtt://127.0.0.1:1883";
  std::string broker_password;  // of broker_url's user ("": the URL's, or none)
  std::string topology_path = "topology/single.json";
  std::string http_bind = "127.0.0.1";
  int http_port = 8080;             // 0: any free port (see StateService::http_port())
  std::string data_dir = "./data";  // holds state.db
  std::string client_id;            // empty: snet-<topology>-state (a persistent session)
  std::string dashboard_dir;        // empty: default_dashboard_dir()
  int http_threads = 2;
  std::chrono::milliseconds flush_interval{10};
  std::chrono::milliseconds status_interval{2000};
  std::string supervisor_url;  // `snet up`'s supervisor (SNET_SUPERVISOR_URL); "": none
  // Who may use the HTTP API (snet/http_guard.hpp).
  std::vector<std::string> allowed_origins;
  std::vector<std::string> allowed_hosts;
  http::TokenMode token_mode = http::TokenMode::automatic;
  // The bearer token when one is required: this one, else read from token_file, else one
  // generated into <data_dir>/http-token (0600).
  std::string token;
  std::string token_file;
  std::size_t http_max_connections = 1024;
  RetentionOptions retention;  // how long and how much history state.db keeps
  RetentionOptions readings_retention = default_readings_retention();  // and how many readings
};

/// $SNET_DASHBOARD_DIR is handled by the flags; this is the fallback: next to the installed
/// binaries (../share/serverlessnet/dashboard), else the source tree's dashboard/.
std::string default_dashboard_dir();

class StateService {
 public:
  /// Loads the topology (throws TopologyError), opens the store (throws StoreError) and
  /// binds the HTTP port (throws std::runtime_error naming the address). Connecting to the
  /// broker happens in the background: GET /healthz says 503 until it is connected.
  explicit StateService(StateOptions options);
  ~StateService();
  StateService(const StateService&) = delete;
  StateService& operator=(const StateService&) = delete;

  int http_port() const;
  /// Stops taking requests, marks the service offline, writes what is queued. Idempotent.
  void stop();

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace snet::state
