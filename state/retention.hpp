// Retention of the state service's history, so a flood of reports cannot fill the disk: records
// older than max_age go, and the oldest beyond max_rows. Runs on the writer's thread between
// its write batches, each round one short transaction of at most `batch` rows plus what was
// written since the last round (so pruning keeps up with any write rate while no round holds
// the writer long). Rounds come after every write batch while there is a backlog, else once an
// interval (age limits apply while nothing is written, too). Counted in
// snet_state_history_pruned_total{reason="age"|"rows"}; snet_state_history_rows and
// snet_state_db_bytes show the size. The current state of every device is never pruned.
// Thread safety: none; the writer's thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "state_metrics.hpp"
#include "store.hpp"

namespace snet::state {

struct RetentionOptions {
  std::chrono::seconds max_age = std::chrono::hours(24 * 7);  // 0: no limit by age
  std::int64_t max_rows = 1'000'000;                          // 0: no limit by count
  std::int64_t batch = 500;  // a round of the oldest rows when idle: a few ms
  std::chrono::milliseconds interval{1000};
};

enum class RetainedTable { history, readings };

class Retention {
 public:
  using Clock = std::function<Micros()>;  // wall clock, as stored_ts (tests pass their own)

  Retention(Store& store, RetentionOptions options, StateMetrics& metrics, Clock clock = now_us,
            RetainedTable table = RetainedTable::history);

  /// Called after each write batch with the rows it added (0 when idle); prunes one round
  /// when due. Never throws: a failing round is logged and tried again next time.
  void tick(std::int64_t rows_written);
  /// When tick() has work even if nothing is written.
  std::chrono::steady_clock::time_point due() const;
  /// One round now; returns what it removed. Throws StoreError.
  Pruned round();

 private:
  Store& store_;
  RetentionOptions options_;
  StateMetrics& metrics_;
  Clock clock_;
  RetainedTable table_;
  std::int64_t written_ = 0;  // rows added since the last round
  bool backlog_ = false;      // the last round used up its batch
  std::chrono::steady_clock::time_point next_{};
};

}  // namespace snet::state
