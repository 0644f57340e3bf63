// The writer thread of the state service. Bus handlers only enqueue (they run on the bus's
// network thread and must not block); this thread validates what arrived (Ingest), writes the
// records in one transaction per batch (thousands of state reports a second), and only then
// hands them to the live feed, so what the dashboard shows is durable, and acknowledges them to
// the broker (Message::ack), so what the broker forgets is durable too. A failing store is
// retried with back-off (nothing is dropped while the service runs) and reported by problem().
// Between batches it prunes the history (Retention), in rounds short enough not to hold presses.
// Thread safety: enqueue(), depth() and problem() from any thread; stop() from one.
#pragma once

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

class StateWriter {
 public:
  StateWriter(Store& store, Ingest& ingest, LiveFeed& feed, ServiceHealth& health,
              StateMetrics& metrics, RetentionOptions retention = {}, std::size_t max_batch = 5000);
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
  std::int64_t process(std::deque<Message>& messages);  // returns the rows written
  bool write(std::vector<EventRecord>& records);        // false: not stored (stopping)

  Store& store_;
  Ingest& ingest_;
  LiveFeed& feed_;
  ServiceHealth& health_;
  StateMetrics& metrics_;
  const std::size_t max_batch_;
  Retention retention_;  // the writer's thread only

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Message> queue_;
  bool stopping_ = false;
  std::string problem_;
  std::thread thread_;
};

}  // namespace snet::state
