// Retention of the SQLite history: removes the oldest rows of `events` by age and by count, in
// short transactions on the writer's connection. Only ranges of seq from the oldest are
// deleted (an index walk, never a scan of the table), so the rows left are always the newest
// and their seq range has no holes: its width is the row count, read in O(log n). The newest
// row always stays, so seq (SQLite's rowid: the largest plus one) never starts over at 1.
// current_state is never touched: a device's current state outlives its history.
// Thread safety: none; the writer's thread only (it owns the connection).
#pragma once

#include "sqlite.hpp"
#include "store.hpp"

namespace snet::state {

class SqlitePruner {
 public:
  explicit SqlitePruner(Db& db);

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
  Statement oldest_{db_, "SELECT seq, stored_ts FROM events ORDER BY seq LIMIT ?1"};
  Statement range_{db_, "SELECT min(seq), max(seq) FROM events"};
  Statement delete_through_{db_, "DELETE FROM events WHERE seq <= ?1"};
  Statement pages_{db_,
                   "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"};
};

}  // namespace snet::state
