// The live view of the state service: every actuator's current (stored) state in memory, and
// the WebSocket feed that pushes it to browsers. A client gets a snapshot on connect, then
// deltas: changes are coalesced per device and flushed in batches, so thousands of changes a
// second become a few hundred messages. The flush adapts to its own cost: at once after a quiet
// spell; under load at most every kMinFlushGap (a few ms, so the dashboard stays fresh), and
// less often when a flush is expensive (many clients, huge batches), so that the feed takes at
// most about 1/kFlushCostShare of a core, but never waits longer than `flush_interval`: past a
// flush cost of flush_interval / kFlushCostShare (1 ms at the default 10 ms) freshness wins and
// the share grows (a 3 ms flush: ~23 % of a core; the dashboard bench's flushes at 5,000 states/s
// are cheaper, and 40 -> 10 ms cost no measurable CPU there, 2026-12-05). The cost
// is the flush's wall time: on a busy machine that stretches the gap, and fewer, larger
// flushes measured better there than flushing every kMinFlushGap (2026-12-03: each flush holds
// the mutex the writer's next commit needs) or flushing on the writer's thread.
// Message formats: docs/api.md.
//
// Ordering: snapshot-and-join and take-pending-and-broadcast happen under one mutex, so a
// client never sees a delta older than its snapshot.
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "snet/http_server.hpp"
#include "snet/topology.hpp"
#include "state_metrics.hpp"
#include "store.hpp"
#include "views.hpp"

namespace snet::state {

/// The shortest time between two flushes under load.
inline constexpr std::chrono::milliseconds kMinFlushGap{4};
/// The time between flushes is at least this many times what the last flush took.
inline constexpr int kFlushCostShare = 10;

/// The wait after a flush that took `cost`: kFlushCostShare x cost, within [kMinFlushGap,
/// longest] (longest alone when it is shorter than kMinFlushGap).
std::chrono::steady_clock::duration next_flush_gap(std::chrono::steady_clock::duration cost,
                                                   std::chrono::milliseconds longest);

class LiveFeed {
 public:
  /// `health` builds the health object of snapshots and "health" messages.
  LiveFeed(const Topology& topology, StateMetrics& metrics, std::function<nlohmann::json()> health,
           std::chrono::milliseconds flush_interval);
  ~LiveFeed();
  LiveFeed(const LiveFeed&) = delete;
  LiveFeed& operator=(const LiveFeed&) = delete;

  /// Seeds the current states (from the store, at start-up).
  void load(const std::vector<DeviceState>& states);
  /// Seeds a device's latest readings (from the store, at start-up).
  void load_readings(const std::vector<ReadingRecord>& latest);
  /// Records just committed to the store: new current states, press errors and faults.
  void apply(const std::vector<EventRecord>& stored);
  /// Readings just committed: each becomes its device's latest of its capability (unless an
  /// older measurement) and is sent in the next "readings" message (none is coalesced away:
  /// a sparkline wants every value; past kMaxReadingsPerMessage the oldest are omitted).
  void apply_readings(const std::vector<ReadingRecord>& stored);
  /// What the writer committed, in one step: records and readings are recorded (the REST views
  /// have them), then `counted` runs (the writer's counters), then the flush thread may send
  /// them; so a client that sees them can also read their counts, and whoever reads a count
  /// can also read what it counts.
  void apply_commit(const std::vector<EventRecord>& stored,
                    const std::vector<ReadingRecord>& readings,
                    const std::function<void()>& counted);
  /// Something in the health object changed: send a "health" message with the next flush.
  void health_changed();
  /// A link's spec or a device's presence changed (LinkTable::item()): sent in the next `links`
  /// message; of several changes of one link only the one with the highest "rev".
  void link_changed(nlohmann::json item);
  /// The running scenario's status changed (ScenarioTracker; null: none any more): sent in the
  /// next `scenario` message (only the latest) and in every snapshot from now on.
  void scenario_changed(nlohmann::json status);

  /// WebSocket callbacks: a new client gets the snapshot and joins the feed.
  void open(const std::shared_ptr<http::WebSocket>& client);
  void close(const std::shared_ptr<http::WebSocket>& client);

  /// The JSON views of GET /api/devices and /api/devices/{id} (nullopt: not in the topology).
  nlohmann::json devices() const;
  std::optional<nlohmann::json> device(const std::string& id) const;
  const nlohmann::json& topology_view() const { return topology_json_; }
  std::size_t clients() const { return hub_.size(); }

  /// Sends what is pending and stops the flush thread. Idempotent.
  void stop();

 private:
  void run();
  void flush_locked();
  // flush_locked(), then the next gap from its cost.
  void timed_flush_locked();
  // After changes arrived: unlocks and wakes the flush thread.
  void wake_if_pending(std::unique_lock<std::mutex>& lock);
  nlohmann::json devices_locked() const;
  nlohmann::json device_locked(const Device& device, const DeviceState* state) const;
  void keep_latest_locked(const ReadingRecord& reading);
  void record_locked(const std::vector<EventRecord>& stored, Micros now);
  void record_readings_locked(const std::vector<ReadingRecord>& stored);
  bool pending_locked() const {
    return !pending_states_.empty() || !pending_errors_.empty() || !pending_faults_.empty() ||
           !pending_readings_.empty() || !pending_links_.empty() || health_dirty_ ||
           scenario_dirty_;
  }
  void broadcast_locked(const nlohmann::json& message);

  const Topology& topology_;
  StateMetrics& metrics_;
  std::function<nlohmann::json()> health_;
  const std::chrono::milliseconds flush_interval_;
  const nlohmann::json topology_json_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, DeviceState> current_;
  struct PendingState {
    DeviceState state;
    Micros applied_at = 0;  // when apply() had it: its wait in the feed is measured from here
  };
  std::map<std::string, PendingState> pending_states_;
  std::map<std::string, LatestReadings> latest_readings_;
  std::vector<ReadingRecord> pending_readings_;
  std::size_t omitted_readings_ = 0;  // dropped from pending_readings_ since the last flush
  std::vector<EventRecord> pending_errors_;
  std::vector<EventRecord> pending_faults_;              // control actions are rare: sent in full
  std::map<std::string, nlohmann::json> pending_links_;  // link id -> latest item
  bool health_dirty_ = false;
  nlohmann::json scenario_;  // the latest ScenarioStatus (null: no scenario ran)
  bool scenario_dirty_ = false;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point last_flush_{};
  std::chrono::steady_clock::duration gap_ = kMinFlushGap;
  http::WebSocketHub hub_;
  std::thread thread_;
};

}  // namespace snet::state
