#include "wal_checkpointer.hpp"

#include <sqlite3.h>

#include "snet/log.hpp"

namespace snet::state {
namespace {

constexpr int kCatchUpPasses = 3;

}  // namespace

WalCheckpointer::WalCheckpointer(Db& writer, int pages)
    : writer_(writer), db_(writer.path(), /*create=*/false), pages_(pages) {
  // A connection knows the file is in WAL mode only once it has read it: until then it could
  // not checkpoint at all.
  db_.exec("SELECT count(*) FROM sqlite_master");
  thread_ = std::thread([this] { run(); });
  sqlite3_wal_hook(writer_.get(), &WalCheckpointer::on_commit, this);
}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_hook(writer_.get(), nullptr, nullptr);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

std::int64_t WalCheckpointer::rounds() const {
  std::lock_guard lock(mutex_);
  return rounds_;
}

int WalCheckpointer::checkpoint() {
  return sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
}

bool WalCheckpointer::sync_files() {
  // Through SQLite's own file handles, so its VFS chooses how to sync.
  for (const int op : {SQLITE_FCNTL_FILE_POINTER, SQLITE_FCNTL_JOURNAL_POINTER}) {
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(db_.get(), "main", op, &file) != SQLITE_OK) continue;
    if (file == nullptr || file->pMethods == nullptr) continue;
    if (file->pMethods->xSync(file, SQLITE_SYNC_NORMAL) != SQLITE_OK) {
      log::error("store: syncing ", db_.path(), op == SQLITE_FCNTL_JOURNAL_POINTER ? "-wal" : "",
                 " failed; the writer checkpoints the log itself from now on");
      return false;
    }
  }
  return true;
}

bool WalCheckpointer::stop_requested() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* schema, int pages) {
  auto& checkpointer = *static_cast<WalCheckpointer*>(self);
  {
    std::unique_lock lock(checkpointer.mutex_);
    if (checkpointer.failed_) {
      // As SQLite's own automatic checkpoint: on the writer's connection, whose syncs see
      // the error (the kernel reports a failed write back once to each open file).
      lock.unlock();
      if (pages >= checkpointer.pages_) {
        sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      }
      return SQLITE_OK;
    }
    if (checkpointer.copied_) {
      // The thread copied the bulk; what was committed since is short to copy and to sync,
      // and here no commit can slip in between, so the log starts anew at the next one.
      checkpointer.copied_ = false;
      lock.unlock();
      sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      return SQLITE_OK;
    }
    if (pages < checkpointer.pages_ || checkpointer.due_) return SQLITE_OK;
    checkpointer.due_ = true;
  }
  checkpointer.wake_.notify_one();
  return SQLITE_OK;
}

void WalCheckpointer::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return due_ || stopping_; });
      if (stopping_) return;  // the last connection to close checkpoints what is left
    }
    // A PASSIVE checkpoint that the writer outran syncs the log but not the database file, so
    // the writer's finishing round would flush every page copied here (20-40 ms a round
    // measured at 5,000 states/s, the writer and its batch waiting). Each pass here flushes
    // what the last one copied and copies what was committed meanwhile, a shorter while each
    // time: the writer is left a few milliseconds' worth of pages to copy and to sync.
    // A sync that failed is not tried again here: the kernel reports a failed write back only
    // once to a file handle, so a later sync on this connection could pass over lost pages.
    int rc = checkpoint();
    bool synced = rc == SQLITE_OK && sync_files();
    for (int pass = 0; synced && pass < kCatchUpPasses && !stop_requested(); ++pass) {
      rc = checkpoint();
      synced = rc == SQLITE_OK && sync_files();
    }
    // Busy: another checkpoint runs (the last connection closing); the next commit asks again.
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      log::warn("store: checkpoint of ", db_.path(), " failed: ", sqlite3_errmsg(db_.get()));
    }
    std::lock_guard lock(mutex_);
    due_ = false;
    copied_ = synced;
    failed_ = rc == SQLITE_OK && !synced;
    ++rounds_;
    if (failed_) return;
  }
}

}  // namespace snet::state
