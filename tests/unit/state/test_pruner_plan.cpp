// Retention's cost: a pruning round reads the oldest rows and the key's two ends from the
// B-tree and deletes a range of keys; it never scans the table. Once "SELECT min(k), max(k)"
// (one query, two aggregates: a full scan) took 60 % of the state service's CPU with a million
// readings; SQLite's own counter of full-scan steps pins it.
#include <doctest/doctest.h>

#include <sqlite3.h>

#include "harness.hpp"
#include "sqlite.hpp"
#include "sqlite_pruner.hpp"

using namespace snet::state;
using snet::test::TempDir;

namespace {

// Steps of full table scans by every statement prepared on the connection so far.
std::int64_t full_scan_steps(Db& db) {
  std::int64_t steps = 0;
  for (sqlite3_stmt* s = sqlite3_next_stmt(db.get(), nullptr); s != nullptr;
       s = sqlite3_next_stmt(db.get(), s)) {
    steps += sqlite3_stmt_status(s, SQLITE_STMTSTATUS_FULLSCAN_STEP, /*reset=*/0);
  }
  return steps;
}

}  // namespace

TEST_CASE("a pruning round seeks the oldest rows and the key's ends, it does not scan the table") {
  TempDir dir("snet-pruner");
  Db db(dir.path() + "/prune.db", true);
  db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, ts INTEGER NOT NULL)");
  constexpr std::int64_t kRows = 50'000;
  db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
          std::to_string(kRows) + ") INSERT INTO t SELECT i, i FROM n");
  SqlitePruner pruner(db, "t", "k", "ts");

  CHECK(pruner.size().rows == kRows);
  PruneLimits by_rows;
  by_rows.max_rows = kRows - 1'000;
  by_rows.batch = 400;
  const Pruned first = pruner.prune(by_rows);
  CHECK(first.by_rows == 400);
  CHECK(first.more);
  PruneLimits by_age;
  by_age.older_than = 601;  // ts 401..600 remain that old
  by_age.batch = 400;
  CHECK(pruner.prune(by_age).by_age == 200);
  CHECK(pruner.size().rows == kRows - 600);

  // The walk from the oldest row may step up to a batch; a scan would step over all 50,000.
  CAPTURE(full_scan_steps(db));
  CHECK(full_scan_steps(db) <= 4 * 400);
}
