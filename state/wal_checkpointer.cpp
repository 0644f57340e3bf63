#include "wal_checkpointer.hpp"

#include <sqlite3.h>

#include "snet/log.hpp"

namespace snet::state {

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

int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* schema, int pages) {
  auto& checkpointer = *static_cast<WalCheckpointer*>(self);
  {
    std::unique_lock lock(checkpointer.mutex_);
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
    const int rc =
        sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    // Busy: another checkpoint runs (the last connection closing); the next commit asks again.
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      log::warn("store: checkpoint of ", db_.path(), " failed: ", sqlite3_errmsg(db_.get()));
    }
    std::lock_guard lock(mutex_);
    due_ = false;
    copied_ = rc == SQLITE_OK;
    ++rounds_;
  }
}

}  // namespace snet::state
