#include "sqlite_pruner.hpp"

#include <algorithm>

namespace snet::state {
namespace {

// Leaves a statement ready for its next use however the scope ends.
struct Resetting {
  Statement& s;
  ~Resetting() { s.reset(); }
};

}  // namespace

SqlitePruner::SqlitePruner(Db& db, const std::string& table, const std::string& key,
                           const std::string& stored_at)
    : db_(db),
      oldest_(db, "SELECT " + key + ", " + stored_at + " FROM " + table + " ORDER BY " + key +
                      " LIMIT ?1"),
      // Two subqueries: SQLite answers a lone min() or max() of the key from the B-tree's ends,
      // but "SELECT min(k), max(k)" scans the whole table (60 % of the state service's CPU at
      // 15,000 readings/s with a million rows: a round runs every few batches).
      range_(db, "SELECT (SELECT min(" + key + ") FROM " + table + "), (SELECT max(" + key +
                     ") FROM " + table + ")"),
      delete_through_(db, "DELETE FROM " + table + " WHERE " + key + " <= ?1") {}

SqlitePruner::Range SqlitePruner::range() {
  Resetting r{range_};
  if (!range_.step() || range_.is_null(0)) return {};
  return {range_.int64(0), range_.int64(1)};
}

std::int64_t SqlitePruner::aged_prefix_end(Micros older_than, std::int64_t limit) {
  Resetting r{oldest_};
  oldest_.bind(1, limit);
  std::int64_t end = 0;
  // stored_ts is this service's clock, so it grows with seq; should the clock have stepped
  // back, a younger row ends the run early and the older ones after it wait for their turn.
  while (oldest_.step() && oldest_.int64(1) < older_than) end = oldest_.int64(0);
  return end;
}

Pruned SqlitePruner::prune(const PruneLimits& limits) {
  Pruned out;
  if (limits.batch <= 0 || (limits.older_than <= 0 && limits.max_rows <= 0)) return out;
  Transaction tx(db_);
  const Range all = range();
  if (all.last == 0) return out;  // empty
  std::int64_t budget = limits.batch;
  std::int64_t end = 0;  // the rows up to this seq go
  if (limits.older_than > 0) {
    end = std::min(aged_prefix_end(limits.older_than, budget), all.last - 1);
    if (end >= all.first) {
      delete_through_.bind(1, end).run();
      out.by_age = db_.changes();
      budget -= out.by_age;
    }
  }
  if (limits.max_rows > 0 && budget > 0) {
    const std::int64_t first = std::max(all.first, end + 1);
    // Everything up to `last - max_rows` is beyond the cap; this round takes `budget` of it.
    end = std::min(all.last - limits.max_rows, first + budget - 1);
    if (end >= first) {
      delete_through_.bind(1, end).run();
      out.by_rows = db_.changes();
      budget -= out.by_rows;
    }
  }
  tx.commit();
  out.more = budget <= 0;
  return out;
}

HistorySize SqlitePruner::size() {
  HistorySize out;
  const Range all = range();
  out.rows = all.last == 0 ? 0 : all.last - all.first + 1;
  Resetting r{pages_};
  if (pages_.step()) out.bytes = pages_.int64(0);
  return out;
}

}  // namespace snet::state
