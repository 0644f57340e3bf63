#include "state_config.hpp"

namespace snet::state {

void add_state_flags(Flags& flags) {
  flags.add("http-bind", "SNET_HTTP_BIND", "127.0.0.1", "address the HTTP server listens on")
      .add("http-port", "SNET_HTTP_PORT", "8080", "HTTP port (0: any free port, logged)")
      .add("data-dir", "SNET_DATA_DIR", "./data", "directory of the database (state.db)")
      .add("dashboard-dir", "SNET_DASHBOARD_DIR", "",
           "dashboard files (default: the installed or source tree's dashboard/)")
      .add("flush-ms", "SNET_STATE_FLUSH_MS", "40",
           "the live feed sends coalesced changes at most this often")
      .add("supervisor-url", "SNET_SUPERVISOR_URL", "",
           "the supervisor of `snet up` (set by it), for /api/services; empty: none");
}

StateOptions state_options(Service& service) {
  const Flags& flags = service.flags();
  StateOptions options;
  options.broker_url = service.broker_url();
  options.broker_password = service.broker_password();
  options.topology_path = flags.str("topology");
  options.http_bind = flags.str("http-bind");
  options.http_port = static_cast<int>(flags.integer("http-port", 0, 65535));
  options.data_dir = flags.str("data-dir");
  options.dashboard_dir = flags.str("dashboard-dir");
  options.flush_interval = std::chrono::milliseconds(flags.integer("flush-ms", 1, 10'000));
  options.status_interval = service.status_interval();
  options.supervisor_url = flags.str("supervisor-url");
  return options;
}

}  // namespace snet::state
