// snet-state: stores the actuators' states and serves the REST API, the WebSocket live feed and
// the dashboard (see state_service.hpp; the API in docs/api.md).
#include <iostream>

#include "snet/flags.hpp"
#include "snet/log.hpp"
#include "snet/log_flags.hpp"
#include "snet/shutdown.hpp"
#include "state_service.hpp"

using namespace snet;

int main(int argc, char** argv) {
  ShutdownSignal shutdown;
  Flags flags("snet-state",
              "Stores actuator states in SQLite; serves the REST API, the live WebSocket feed and "
              "the dashboard.");
  flags.add("broker-url", "SNET_BROKER_URL", "mqtt://127.0.0.1:1883", "broker to connect to")
      .add("topology", "SNET_TOPOLOGY", "topology/single.json", "topology file")
      .add("http-bind", "SNET_HTTP_BIND", "127.0.0.1", "address the HTTP server listens on")
      .add("http-port", "SNET_HTTP_PORT", "8080", "HTTP port (0: any free port, logged)")
      .add("data-dir", "SNET_DATA_DIR", "./data", "directory of the database (state.db)")
      .add("dashboard-dir", "SNET_DASHBOARD_DIR", "",
           "dashboard files (default: the installed or source tree's dashboard/)")
      .add("flush-ms", "SNET_STATE_FLUSH_MS", "40",
           "the live feed sends coalesced changes at most this often")
      .add("status-interval-ms", "SNET_STATUS_INTERVAL_MS", "2000",
           "how often the status and metrics are published")
      .add("supervisor-url", "SNET_SUPERVISOR_URL", "",
           "the supervisor of `snet up` (set by it), for /api/services; empty: none");
  state::StateOptions options;
  log::add_flags(flags);
  try {
    if (!flags.parse(argc, argv)) return 0;
    log::apply_flags(flags);
    options.broker_url = flags.str("broker-url");
    options.topology_path = flags.str("topology");
    options.http_bind = flags.str("http-bind");
    options.http_port = static_cast<int>(flags.integer("http-port", 0, 65535));
    options.data_dir = flags.str("data-dir");
    options.dashboard_dir = flags.str("dashboard-dir");
    options.flush_interval = std::chrono::milliseconds(flags.integer("flush-ms", 1, 10'000));
    options.status_interval =
        std::chrono::milliseconds(flags.integer("status-interval-ms", 10, 3'600'000));
    options.supervisor_url = flags.str("supervisor-url");
  } catch (const std::exception& e) {
    std::cerr << "snet-state: " << e.what() << "\n";
    return 2;
  }
  log::set_component("state");
  std::unique_ptr<state::StateService> service;
  try {
    service = std::make_unique<state::StateService>(options);
  } catch (const std::exception& e) {
    log::error(e.what());
    return 1;
  }
  const int sig = shutdown.wait();
  log::info("signal ", sig, ": shutting down");
  service->stop();
  return 0;
}
