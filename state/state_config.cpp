#include "state_config.hpp"

#include <cstdlib>
#include <sstream>

namespace snet::state {
namespace {

std::vector<std::string> comma_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

void add_state_flags(Flags& flags) {
  flags.add("http-bind", "SNET_HTTP_BIND", "127.0.0.1", "address the HTTP server listens on")
      .add("http-port", "SNET_HTTP_PORT", "8080", "HTTP port (0: any free port, logged)")
      .add("data-dir", "SNET_DATA_DIR", "./data", "directory of the database (state.db)")
      .add("dashboard-dir", "SNET_DASHBOARD_DIR", "",
           "dashboard files (default: the installed or source tree's dashboard/)")
      .add("flush-ms", "SNET_STATE_FLUSH_MS", "40",
           "the live feed sends coalesced changes at most this often")
      .add("supervisor-url", "SNET_SUPERVISOR_URL", "",
           "the supervisor of `snet up` (set by it), for /api/services; empty: none")
      .add("allowed-origin", "SNET_ALLOWED_ORIGINS", "",
           "origins (comma-separated, e.g. https://dash.example) whose pages may change state "
           "and open the live feed besides this server's own; no wildcards")
      .add("allowed-host", "SNET_ALLOWED_HOSTS", "",
           "host names (comma-separated) accepted in the Host header besides loopback names, IP "
           "addresses, --http-bind and this machine's name (e.g. a reverse proxy's name)")
      .add("http-auth", "SNET_HTTP_AUTH", "auto",
           "when POST/PUT/DELETE need 'Authorization: Bearer <token>': auto (when --http-bind "
           "is not a loopback address), always or never")
      .add("http-token-file", "SNET_HTTP_TOKEN_FILE", "",
           "file (mode 0600) holding the bearer token; $SNET_HTTP_TOKEN also gives it; neither: "
           "one is generated into <data-dir>/http-token when needed")
      .add("http-max-connections", "SNET_HTTP_MAX_CONNECTIONS", "1024",
           "open HTTP and WebSocket connections at most; more are closed at once and counted");
}

StateOptions state_options(Service& service) {
  const Flags& flags = service.flags();
  StateOptions options;
  options.broker_url = service.broker_url();
  options.topology_path = flags.str("topology");
  options.http_bind = flags.str("http-bind");
  options.http_port = static_cast<int>(flags.integer("http-port", 0, 65535));
  options.data_dir = flags.str("data-dir");
  options.dashboard_dir = flags.str("dashboard-dir");
  options.flush_interval = std::chrono::milliseconds(flags.integer("flush-ms", 1, 10'000));
  options.status_interval = service.status_interval();
  options.supervisor_url = flags.str("supervisor-url");
  options.allowed_origins = comma_list(flags.str("allowed-origin"));
  options.allowed_hosts = comma_list(flags.str("allowed-host"));
  try {  // the guard checks them: a bad one is a usage error, before anything starts
    http::GuardOptions check;
    check.allowed_origins = options.allowed_origins;
    check.allowed_hosts = options.allowed_hosts;
    http::RequestGuard{check};
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--allowed-origin / --allowed-host: ") + e.what());
  }
  const auto mode = http::parse_token_mode(flags.str("http-auth"));
  if (!mode) {
    throw UsageError("--http-auth: must be auto, always or never, got '" + flags.str("http-auth") +
                     "'");
  }
  options.token_mode = *mode;
  options.token_file = flags.str("http-token-file");
  // By environment or file only: a token on the command line would show in `ps`.
  if (const char* token = std::getenv("SNET_HTTP_TOKEN")) options.token = token;
  options.http_max_connections =
      static_cast<std::size_t>(flags.integer("http-max-connections", 1, 1'000'000));
  return options;
}

}  // namespace snet::state
