// The writer thread of the state service. Bus handlers only enqueue (they run on the bus's
// network thread and must not block); this thread validates what arrived (Ingest), writes the
// records in one transaction per batch (thousands of state reports a second), and only then
// hands them to the live feed, so what the dashboard shows is durable, and acknowledges them to
// the broker (Message::ack), so what the broker forgets is durable too. A failing store is
// retried with back-off (nothing is dropped while the service runs) and reported by problem().
// Between batches it prunes the history and the readings (Retention), in rounds short enough
// not to hold presses.
// Group commit: a message that arrives after a quiet spell is written at once; under load the
// writer starts a transaction at most every `commit_gap` (kCommitGap), gathering what arrives
// meanwhile, unless a batch is full sooner. A transaction's cost is mostly per page it dirties,
// and the history's append pages are dirtied by every one: at 5,000 states/s arriving evenly,
// committing whatever was queued made ~1,100 transactions/s of ~4.6 states; gathered, SQLite
// spends ~20 % less a state (2026-12-06).
// Sensor readings can outnumber everything else by far, so they wait in a queue of their own:
// each batch takes what else is queued first and then at most `max_readings` readings, so a
// flood of readings adds at most one bounded chunk to a state report's wait. Past
// kMaxQueuedReadings the newest readings are shed (acknowledged unstored, counted in
// snet_state_readings_shed_total): memory stays bounded, state reports are never shed.
// Thread safety: enqueue(), depth() and problem() from any thread; stop() from one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "ingest.hpp"
#include "live_feed.hpp"
#include "retention.hpp"
#include "service_health.hpp"
#include "state_metrics.hpp"
#include "store.hpp"

namespace snet::state {

inline constexpr std::size_t kMaxQueuedReadings = 200'000;
inline constexpr std::chrono::milliseconds kCommitGap{3};

/// Whether `topic` is snet/<t>/reading/<device> (cheap: called on the bus's thread).
bool is_reading_topic(const std::string& topic);

class StateWriter {
 public:
  StateWriter(Store& store, Ingest& ingest, LiveFeed& feed, ServiceHealth& health,
              StateMetrics& metrics, RetentionOptions retention = {},
              RetentionOptions readings_retention = {}, std::size_t max_batch = 5000,
              std::size_t max_readings = 2000, std::chrono::milliseconds commit_gap = kCommitGap);
  ~StateWriter();
  StateWriter(const StateWriter&) = delete;
  StateWriter& operator=(const StateWriter&) = delete;

  void enqueue(Message message);
  /// Writes what is queued, then stops the thread. Idempotent.
  void stop();
  std::size_t depth() const;
  /// Why the last write failed ("" when it succeeded).
  std::string problem() const;

 private:
  void run();
  struct Written {
    std::int64_t records = 0, readings = 0;
  };
  Written process(std::deque<Message>& messages);
  // false: not stored (stopping)
  bool write(std::vector<EventRecord>& records, std::vector<ReadingRecord>& readings);
  void count_stored(const std::vector<EventRecord>& records,
                    const std::vector<ReadingRecord>& readings, Micros committed);
  void set_depth_locked();
  bool batch_full_locked() const;

  Store& store_;
  Ingest& ingest_;
  LiveFeed& feed_;
  ServiceHealth& health_;
  StateMetrics& metrics_;
  const std::size_t max_batch_;
  const std::size_t max_readings_;
  const std::chrono::milliseconds commit_gap_;
  Retention retention_;           // the writer's thread only
  Retention readings_retention_;  // likewise

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Message> queue_;
  std::deque<Message> readings_;
  bool stopping_ = false;
  bool gathering_ = false;  // the writer waits out commit_gap_: wake it only for a full batch
  std::string problem_;
  std::thread thread_;
};

}  // namespace snet::state
