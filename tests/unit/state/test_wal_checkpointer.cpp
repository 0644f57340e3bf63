// The state store's WAL checkpointer (state/wal_checkpointer.hpp) against a real SQLite file:
// the log starts anew while a writer keeps committing, and nothing committed is lost, also
// when syncing the database file fails for a while (a VFS over SQLite's own that fails them).
#include <doctest/doctest.h>

#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <mutex>

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

void insert_rows(Db& db, int commits) {
  Statement insert(db, "INSERT INTO t VALUES (randomblob(3000))");
  for (int i = 0; i < commits; ++i) {
    Transaction tx(db);
    insert.run();
    tx.commit();
  }
}

// The default VFS while it lives: SQLite's "unix" VFS, except that syncing a main database
// file fails (SQLITE_IOERR_FSYNC, as after a disk's EIO) while `failing` is set. A main
// database file is the unix VFS's own followed by a pointer to this object, its methods
// unix's with xSync replaced (other files keep theirs: unix gives them other methods).
class FailingSyncVfs {
 public:
  FailingSyncVfs() : unix_(sqlite3_vfs_find("unix")) {
    REQUIRE(unix_ != nullptr);
    vfs_ = *unix_;
    vfs_.zName = "snet-failing-sync";
    vfs_.szOsFile = unix_->szOsFile + static_cast<int>(sizeof(Tail));
    vfs_.pAppData = this;
    vfs_.xOpen = &open;
    sqlite3_vfs_register(&vfs_, /*makeDflt=*/1);
  }
  ~FailingSyncVfs() {
    sqlite3_vfs_unregister(&vfs_);
    sqlite3_vfs_register(unix_, /*makeDflt=*/1);
  }
  FailingSyncVfs(const FailingSyncVfs&) = delete;
  FailingSyncVfs& operator=(const FailingSyncVfs&) = delete;

  std::atomic<bool> failing{false};
  std::atomic<int> failures{0};

 private:
  using Tail = FailingSyncVfs*;
  static Tail& tail(sqlite3_file* file, int unix_size) {
    return *reinterpret_cast<Tail*>(reinterpret_cast<char*>(file) + unix_size);
  }
  static int open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out) {
    auto* self = static_cast<FailingSyncVfs*>(vfs->pAppData);
    const int rc = self->unix_->xOpen(self->unix_, name, file, flags, out);
    if (rc != SQLITE_OK || file->pMethods == nullptr || (flags & SQLITE_OPEN_MAIN_DB) == 0) {
      return rc;
    }
    tail(file, self->unix_->szOsFile) = self;
    std::lock_guard lock(self->mutex_);
    if (self->unix_sync_ == nullptr) {
      self->methods_ = *file->pMethods;
      self->unix_sync_ = file->pMethods->xSync;
      self->methods_.xSync = &sync;
    }
    file->pMethods = &self->methods_;
    return rc;
  }
  static int sync(sqlite3_file* file, int flags) {
    FailingSyncVfs* self = tail(file, sqlite3_vfs_find("unix")->szOsFile);
    if (self->failing) {
      ++self->failures;
      return SQLITE_IOERR_FSYNC;
    }
    return self->unix_sync_(file, flags);
  }

  sqlite3_vfs* unix_;
  sqlite3_vfs vfs_{};
  std::mutex mutex_;
  sqlite3_io_methods methods_{};
  int (*unix_sync_)(sqlite3_file*, int) = nullptr;
};

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

TEST_CASE("a failed sync hands checkpointing back to the writer's commits and loses nothing") {
  FailingSyncVfs vfs;  // before every connection: they open through it
  TempDir dir("snet-wal-checkpointer");
  const std::string path = dir.path() + "/state.db";
  constexpr int kPageSize = 4096, kThresholdPages = 50;
  int committed = 0;
  {
    Db db(path, /*create=*/true);
    db.exec(
        "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "CREATE TABLE t (x BLOB)");
    WalCheckpointer checkpointer(db, kThresholdPages);
    vfs.failing = true;
    // Each commit dirties 3 pages: a round is due every ~17 commits; its first sync fails.
    for (int i = 0; i < 400 && vfs.failures == 0; ++i, ++committed) insert_rows(db, 1);
    REQUIRE(vfs.failures > 0);
    REQUIRE(eventually([&] { return checkpointer.rounds() >= 1; }));
    vfs.failing = false;
    insert_rows(db, 2000);
    committed += 2000;
    // The writer's own checkpoints kept the log short (without any: ~6,000 pages).
    const auto wal_bytes = std::filesystem::file_size(path + "-wal");
    MESSAGE("log at most " << wal_bytes / kPageSize << " pages after a failed sync");
    CHECK(wal_bytes < std::uintmax_t{2000} * kPageSize);
    CHECK(rows_in(db) == committed);
    // Its thread ended at the failure (a later sync of its files could pass over lost pages).
    CHECK(checkpointer.rounds() == 1);
  }
  Db reopened(path, /*create=*/false);
  CHECK(rows_in(reopened) == committed);
}
