// The state service's counters, registered once in its Metrics registry (GET /metrics).
// Thread safety: counters are atomic; rejected() may be called from any thread.
#pragma once

#include <string>

#include "snet/metrics.hpp"

namespace snet::state {

struct StateMetrics {
  explicit StateMetrics(Metrics& registry);

  /// snet_state_rejected_total{reason="..."}
  Counter& rejected(const std::string& reason);
  /// snet_state_faults_total{action="..."}: control actions carried out (recorded and sent)
  Counter& faults(const std::string& action);
  /// snet_state_control_rejected_total{reason="..."}: control requests refused as bad input
  Counter& control_rejected(const std::string& reason);
  /// snet_state_http_refused_total{reason="..."}: requests refused by the request guard
  /// (http_guard.hpp: foreign_host, foreign_origin, websocket_foreign_origin, token_missing,
  /// token_wrong)
  Counter& http_refused(const std::string& reason);

  Metrics& registry;
  Counter& states_received;   // state reports that arrived (valid or not)
  Counter& states_stored;     // state reports written (new ones)
  Counter& states_duplicate;  // state reports already stored, skipped
  Counter& errors_received;   // press errors that arrived on event/+
  Counter& errors_stored;
  Counter& statuses_received;         // service status messages
  Counter& store_batches;             // write transactions committed
  Counter& store_failures;            // write transactions that failed (retried)
  Gauge& queue_depth;                 // messages waiting for the writer
  Gauge& ws_clients;                  // connected WebSocket clients
  Counter& ws_dropped;                // WebSocket clients dropped for reading too slowly
  Counter& ws_messages;               // messages broadcast on the live feed
  Counter& http_connections_refused;  // connections closed at once: the server's cap was reached
  Counter& http_accept_failures;      // failed accepts (out of descriptors), each then paused
  Counter& presses_requested;         // POST /api/devices/{button}/press accepted
  Counter& connection_losses;         // broker connection lost (the bus reconnects)
  // snet_state_history_pruned_total{reason="age"|"rows"}: history rows removed by retention
  Counter& history_pruned_by_age;
  Counter& history_pruned_by_rows;
  Gauge& history_rows;  // rows in the history (all topologies of the file), after each round
  Gauge& db_bytes;
  Counter& readings_received;   // readings that arrived on reading/+ (valid or not)
  Counter& readings_stored;     // readings written (new ones)
  Counter& readings_duplicate;  // readings already stored (redelivered), skipped
  Counter& readings_shed;  // readings dropped unstored: the writer's backlog of readings was full
  // snet_state_readings_pruned_total{reason="age"|"rows"}
  Counter& readings_pruned_by_age;
  Counter& readings_pruned_by_rows;
  Gauge& readings_rows;  // rows in the readings table (all topologies of the file)      // the
                         // database file's size (pages in use or free), after each round
  // snet_press_latency_seconds{stage=...}: from the press to the command's relay, to its
  // application by the actuator and to its storage here, once per new state report.
  Histogram& press_to_relayed;
  Histogram& press_to_applied;
  Histogram& press_to_stored;
  // snet_state_feed_latency_seconds{stage=...}: from a new state's stored_ts (its row written,
  // in the transaction) to the commit (committed) and to the live feed handing it to the
  // WebSocket clients' queues (sent): the service's share of the dashboard's stored -> DOM;
  // and from the feed having it (after the commit) to sending it (waited: coalescing).
  Histogram& feed_committed;
  Histogram& feed_sent;
  Histogram& feed_waited;
};

}  // namespace snet::state
