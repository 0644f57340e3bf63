#include "state_config.hpp"

#include <charconv>
#include <cstdlib>
#include <string>

namespace snet::state {
void add_state_flags(Flags& flags) {
  flags.add("http-bind", "SNET_HTTP_BIND", "127.0.0.1", "address the HTTP server listens on")
      .add("http-port", "SNET_HTTP_PORT", "8080", "HTTP port (0: any free port, logged)")
      .add("data-dir", "SNET_DATA_DIR", "./data", "directory of the database (state.db)")
      .add("dashboard-dir", "SNET_DASHBOARD_DIR", "",
           "dashboard files (default: the installed or source tree's dashboard/)")
      .add("flush-ms", "SNET_STATE_FLUSH_MS", "10",
           "the longest the live feed coalesces changes under load (every 4 ms while a flush "
           "is cheap)")
      .add("supervisor-url", "SNET_SUPERVISOR_URL", "",
           "the supervisor of `snet up` (set by it), for /api/services; empty: none")
      .add("history-max-age", "SNET_STATE_HISTORY_MAX_AGE", "7d",
           "history older than this is pruned: 90s, 30m, 12h, 7d (0: kept whatever its age); "
           "devices' current states are always kept")
      .add("history-max-rows", "SNET_STATE_HISTORY_MAX_ROWS", "1000000",
           "the oldest history beyond this many records is pruned (0: no limit)")
      .add("readings-max-age", "SNET_STATE_READINGS_MAX_AGE", "1d",
           "sensor readings older than this (by arrival) are pruned: 90s, 30m, 12h, 7d (0: kept "
           "whatever their age)")
      .add("readings-max-rows", "SNET_STATE_READINGS_MAX_ROWS", "1000000",
           "the oldest sensor readings beyond this many are pruned (0: no limit)")
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

std::optional<std::chrono::seconds> parse_max_age(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value < 0) return std::nullopt;
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::int64_t scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  if (unit == "m") scale = 60;
  if (unit == "h") scale = 3600;
  if (unit == "d") scale = 86'400;
  constexpr std::int64_t kCentury = 100LL * 366 * 86'400;
  if (scale == 0 || value > kCentury / scale) return std::nullopt;
  return std::chrono::seconds(value * scale);
}

namespace {

// --<table>-max-age and --<table>-max-rows into `out`.
void retention_flags(const Flags& flags, const std::string& table, RetentionOptions& out) {
  const std::string age_flag = table + "-max-age";
  const auto max_age = parse_max_age(flags.str(age_flag));
  if (!max_age) {
    throw UsageError("--" + age_flag + ": '" + flags.str(age_flag) +
                     "' is not a duration such as 90s, 30m, 12h or 7d (0: no limit)");
  }
  out.max_age = *max_age;
  out.max_rows = flags.integer(table + "-max-rows", 0, 1'000'000'000);
}

}  // namespace

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
  retention_flags(flags, "history", options.retention);
  retention_flags(flags, "readings", options.readings_retention);
  options.allowed_origins = flags.list("allowed-origin");
  options.allowed_hosts = flags.list("allowed-host");
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
