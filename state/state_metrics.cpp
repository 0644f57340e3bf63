#include "state_metrics.hpp"

namespace snet::state {
namespace {
constexpr const char* kLatencyHelp =
    "Seconds from a button press to the relayer's command (relayed), the actuator applying it "
    "(applied) and this service storing the state report (stored)";
constexpr const char* kFeedHelp =
    "Seconds from a new state's stored_ts to its commit (committed) and to the live feed sending "
    "it to the WebSocket clients (sent); from the feed getting it to sending it (waited)";
// Finer than the press buckets where the dashboard's goal is (p99 <= 50 ms stored -> DOM).
const std::vector<double> kFeedBuckets = {0.001, 0.002, 0.004, 0.008, 0.012, 0.016, 0.025, 0.035,
                                          0.05,  0.075, 0.1,   0.15,  0.25,  0.5,   1,     2.5};
constexpr const char* kPrunedHelp = "History rows removed by retention, by limit (age or rows)";
constexpr const char* kReadingsPrunedHelp = "Readings removed by retention, by limit (age or rows)";
}  // namespace

StateMetrics::StateMetrics(Metrics& r)
    : registry(r),
      states_received(
          r.counter("snet_state_states_received_total", "State reports received from the bus")),
      states_stored(r.counter("snet_state_states_stored_total", "State reports stored")),
      states_duplicate(r.counter("snet_state_states_duplicate_total",
                                 "State reports already stored (e.g. retained, seen again)")),
      errors_received(
          r.counter("snet_state_events_received_total", "Press errors received from the bus")),
      errors_stored(r.counter("snet_state_events_stored_total", "Press errors stored")),
      statuses_received(
          r.counter("snet_state_statuses_received_total", "Service status messages received")),
      store_batches(r.counter("snet_state_store_write_batches_total",
                              "Write transactions committed to the store")),
      store_failures(r.counter("snet_state_store_write_failures_total",
                               "Write transactions that failed and were retried")),
      queue_depth(r.gauge("snet_state_queue_depth", "Messages waiting to be stored")),
      ws_clients(r.gauge("snet_state_ws_clients", "Connected WebSocket clients")),
      ws_dropped(r.counter("snet_state_ws_dropped_total",
                           "WebSocket clients dropped because they read too slowly")),
      ws_messages(
          r.counter("snet_state_ws_messages_total", "Messages broadcast to WebSocket clients")),
      http_connections_refused(
          r.counter("snet_state_http_connections_refused_total",
                    "HTTP connections closed at once because --http-max-connections were open")),
      http_accept_failures(
          r.counter("snet_state_http_accept_failures_total",
                    "Failed accepts of HTTP connections (e.g. out of file descriptors)")),
      presses_requested(
          r.counter("snet_state_presses_requested_total", "Presses requested over HTTP")),
      connection_losses(r.counter("snet_state_connection_losses_total",
                                  "Times the broker connection was lost (the bus reconnects)")),
      history_pruned_by_age(
          r.counter("snet_state_history_pruned_total", kPrunedHelp, metric_label("reason", "age"))),
      history_pruned_by_rows(r.counter("snet_state_history_pruned_total", kPrunedHelp,
                                       metric_label("reason", "rows"))),
      history_rows(r.gauge("snet_state_history_rows", "Rows in the stored history")),
      db_bytes(r.gauge("snet_state_db_bytes", "Size of the state database file in bytes")),
      readings_received(r.counter("snet_state_readings_received_total",
                                  "Sensor readings received from the bus (valid or not)")),
      readings_stored(r.counter("snet_state_readings_stored_total", "Sensor readings stored")),
      readings_duplicate(r.counter("snet_state_readings_duplicate_total",
                                   "Sensor readings already stored (delivered again), skipped")),
      readings_shed(r.counter("snet_state_readings_shed_total",
                              "Sensor readings dropped unstored because the writer's backlog of "
                              "readings was full (state reports are never dropped)")),
      readings_pruned_by_age(r.counter("snet_state_readings_pruned_total", kReadingsPrunedHelp,
                                       metric_label("reason", "age"))),
      readings_pruned_by_rows(r.counter("snet_state_readings_pruned_total", kReadingsPrunedHelp,
                                        metric_label("reason", "rows"))),
      readings_rows(r.gauge("snet_state_readings_rows", "Rows in the stored readings")),
      press_to_relayed(r.histogram("snet_press_latency_seconds", kLatencyHelp,
                                   metric_label("stage", "relayed"))),
      press_to_applied(r.histogram("snet_press_latency_seconds", kLatencyHelp,
                                   metric_label("stage", "applied"))),
      press_to_stored(
          r.histogram("snet_press_latency_seconds", kLatencyHelp, metric_label("stage", "stored"))),
      feed_committed(r.histogram("snet_state_feed_latency_seconds", kFeedHelp,
                                 metric_label("stage", "committed"), kFeedBuckets)),
      feed_sent(r.histogram("snet_state_feed_latency_seconds", kFeedHelp,
                            metric_label("stage", "sent"), kFeedBuckets)),
      feed_waited(r.histogram("snet_state_feed_latency_seconds", kFeedHelp,
                              metric_label("stage", "waited"), kFeedBuckets)) {
  // Known reasons show up as 0 before the first rejection, so dashboards can graph them.
  for (const char* reason : {"oversized", "malformed_json", "wrong_type", "missing_field",
                             "unknown_device", "device_mismatch", "not_an_actuator", "bad_topic",
                             "bad_timestamp", "bad_capability", "bad_unit"}) {
    rejected(reason);
  }
  for (const char* action : {"stop", "start", "restart", "kill", "pause", "resume", "offline",
                             "online", "crash", "freeze", "reconnect", "storm", "link"}) {
    faults(action);
  }
  for (const char* reason : {"unknown_device", "unknown_service", "bad_verb", "bad_duration",
                             "bad_query", "malformed_json", "oversized", "bad_devices", "refused",
                             "bad_link", "unknown_link", "not_emulated"}) {
    control_rejected(reason);
  }
  for (const char* reason : {"foreign_host", "foreign_origin", "websocket_foreign_origin",
                             "token_missing", "token_wrong"}) {
    http_refused(reason);
  }
}

Counter& StateMetrics::http_refused(const std::string& reason) {
  return registry.counter("snet_state_http_refused_total",
                          "HTTP requests refused: foreign Host or Origin, missing or wrong token",
                          "reason=\"" + reason + "\"");
}

Counter& StateMetrics::faults(const std::string& action) {
  return registry.counter("snet_state_faults_total",
                          "Control actions (faults) asked for over the API, by action",
                          "action=\"" + action + "\"");
}

Counter& StateMetrics::control_rejected(const std::string& reason) {
  return registry.counter("snet_state_control_rejected_total",
                          "Control requests refused as bad input, by reason",
                          "reason=\"" + reason + "\"");
}

Counter& StateMetrics::rejected(const std::string& reason) {
  return registry.counter("snet_state_rejected_total", "Messages rejected as invalid, by reason",
                          "reason=\"" + reason + "\"");
}

}  // namespace snet::state
