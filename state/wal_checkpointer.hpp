// Checkpoints the write-ahead log mostly off the writer's thread. SQLite's automatic checkpoint
// runs inside the commit that crosses its threshold: that commit copies the log into the
// database file and syncs both (100-340 ms each, ~2 a second, in the dashboard bench at 5,000
// states/s) while its batch waits to reach the live feed. Here a commit past `pages` only wakes
// a thread of this class, whose PASSIVE checkpoint, on a connection of its own, copies and
// syncs the bulk beside the writer's next transactions (WAL lets them run meanwhile). The
// writer's first commit after that round copies the little committed since, inside its wal
// hook where no commit can slip in, so the log is wholly copied and the next transaction
// starts it anew: the log stays near `pages` long. Should a sync fail, the thread ends and the
// writer's commits checkpoint as SQLite's own automatic checkpoint would.
// Thread safety: the hook runs in the commits of whichever thread holds the writer connection
// (one at a time, as Db requires); rounds() from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "sqlite.hpp"

namespace snet::state {

class WalCheckpointer {
 public:
  /// Takes over `writer`'s WAL hook (which turns its automatic checkpoint off) and opens a
  /// connection of its own to the same file. `pages`: log length that starts a checkpoint.
  WalCheckpointer(Db& writer, int pages);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  /// Checkpoints completed so far (for tests).
  std::int64_t rounds() const;

 private:
  static int on_commit(void* self, struct sqlite3* db, const char* schema, int pages);
  void run();
  int checkpoint();
  /// Flushes the database file and the log to disk (as a checkpoint that copies the whole log
  /// does), on this thread's connection; false (logged) when that failed.
  bool sync_files();
  bool stop_requested() const;

  Db& writer_;
  Db db_;
  const int pages_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;     // the thread is asked to (or does) copy the log
  bool copied_ = false;  // it did: the writer's next commit finishes the round
  bool stopping_ = false;
  bool failed_ = false;  // a sync failed: the thread has ended, the writer's commits checkpoint
  std::int64_t rounds_ = 0;
  std::thread thread_;
};

}  // namespace snet::state
