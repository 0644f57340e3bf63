// The state store's WAL checkpointer (state/wal_checkpointer.hpp) against a real SQLite file:
// the log starts anew while a writer keeps committing, and nothing committed is lost.
#include <doctest/doctest.h>

#include <filesystem>

#include "harness.hpp"
#include "sqlite.hpp"
#include "wal_checkpointer.hpp"

using namespace snet::state;
using namespace snet::test;

namespace {

std::int64_t rows_in(Db& db) {
  Statement count(db, "SELECT count(*) FROM t");
  REQUIRE(count.step());
  return count.int64(0);
}

}  // namespace

TEST_CASE("the WAL checkpointer keeps the log short while a writer commits and loses nothing") {
  TempDir dir("snet-wal-checkpointer");
  const std::string path = dir.path() + "/state.db";
  constexpr int kCommits = 2000, kPageSize = 4096, kThresholdPages = 50;
  {
    Db db(path, /*create=*/true);
    db.exec(
        "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "CREATE TABLE t (x BLOB)");
    WalCheckpointer checkpointer(db, kThresholdPages);
    Statement insert(db, "INSERT INTO t VALUES (randomblob(3000))");
    for (int i = 0; i < kCommits; ++i) {
      Transaction tx(db);
      insert.run();
      tx.commit();
    }
    CHECK(checkpointer.rounds() >= 1);
    // Without checkpoints the log would hold every commit's pages (3 each here: 6,110 pages
    // measured; SQLite's own automatic checkpoint is off once the hook is taken). The file keeps
    // its largest size, so this bounds the longest the log ever was (450-600 pages quiet, up to
    // 911 beside three busy loops on 2 cores).
    const auto wal_bytes = std::filesystem::file_size(path + "-wal");
    MESSAGE("log at most " << wal_bytes / kPageSize << " pages for " << kCommits << " commits, "
                           << checkpointer.rounds() << " checkpoints");
    CHECK(wal_bytes < std::uintmax_t{kCommits} * kPageSize);
    CHECK(rows_in(db) == kCommits);
  }
  Db reopened(path, /*create=*/false);
  CHECK(rows_in(reopened) == kCommits);
}
