#include "retention.hpp"

#include "snet/log.hpp"

namespace snet::state {

Retention::Retention(Store& store, RetentionOptions options, StateMetrics& metrics, Clock clock,
                     RetainedTable table)
    : store_(store),
      options_(options),
      metrics_(metrics),
      clock_(std::move(clock)),
      table_(table) {}

std::chrono::steady_clock::time_point Retention::due() const {
  return backlog_ ? std::chrono::steady_clock::time_point{} : next_;
}

void Retention::tick(std::int64_t rows_written) {
  written_ += rows_written;
  // Rows arrive faster than the interval's round would take them: a round now, sized to them.
  const bool urgent = backlog_ || written_ >= options_.batch;
  if (!urgent && std::chrono::steady_clock::now() < next_) return;
  try {
    round();
  } catch (const std::exception& e) {
    log::warn("store: pruning the ", table_ == RetainedTable::history ? "history" : "readings",
              " failed: ", e.what(), "; trying again later");
    next_ = std::chrono::steady_clock::now() + options_.interval;
    backlog_ = false;
  }
}

Pruned Retention::round() {
  PruneLimits limits;
  if (options_.max_age.count() > 0) {
    limits.older_than =
        clock_() - std::chrono::duration_cast<std::chrono::microseconds>(options_.max_age).count();
  }
  limits.max_rows = options_.max_rows;
  limits.batch = options_.batch + written_;
  const bool history = table_ == RetainedTable::history;
  const Pruned pruned = history ? store_.prune(limits) : store_.prune_readings(limits);
  written_ = 0;
  backlog_ = pruned.more;
  next_ = std::chrono::steady_clock::now() + options_.interval;
  (history ? metrics_.history_pruned_by_age : metrics_.readings_pruned_by_age).add(pruned.by_age);
  (history ? metrics_.history_pruned_by_rows : metrics_.readings_pruned_by_rows)
      .add(pruned.by_rows);
  const HistorySize size = history ? store_.history_size() : store_.readings_size();
  (history ? metrics_.history_rows : metrics_.readings_rows).set(size.rows);
  metrics_.db_bytes.set(size.bytes);
  return pruned;
}

}  // namespace snet::state
