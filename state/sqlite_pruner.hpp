// Retention of an append-only SQLite table (the history `events` keyed by seq and aged by
// stored_ts; the `readings` keyed by id and aged by received_ts): removes the oldest rows by
// age and by count, in
// short transactions on the writer's connection. Only ranges of seq from the oldest are
// deleted (an index walk, never a scan of the table), so the rows left are always the newest
// and their seq range has no holes: its width is the row count, read in O(log n). The newest
// row always stays, so seq (SQLite's rowid: the largest plus one) never starts over at 1.
// current_state is never touched: a device's current state outlives its history.
// Thread safety: none; the writer's thread only (it owns the connection).
#pragma once

#include <string>

#include "sqlite.hpp"
#include "store.hpp"

namespace snet::state {

class SqlitePruner {
 public:
  /// `table`'s rows are keyed by `key` (its INTEGER PRIMARY KEY) and aged by `stored_at`, a
  /// time of this service's clock. The names are this program's constants, never input.
  SqlitePruner(Db& db, const std::string& table, const std::string& key,
               const std::string& stored_at);

  Pruned prune(const PruneLimits& limits);
  HistorySize size();

 private:
  struct Range {
    std::int64_t first = 0, last = 0;  // 0, 0: no rows
  };
  Range range();
  // The newest seq of the oldest run of rows stored before `older_than`, at most `limit`
  // rows from the oldest; 0 when the oldest row is not that old.
  std::int64_t aged_prefix_end(Micros older_than, std::int64_t limit);

  Db& db_;
  Statement oldest_;
  Statement range_;
  Statement delete_through_;
  Statement pages_{db_,
                   "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"};
};

}  // namespace snet::state
