// The Store in SQLite: WAL journal (readers never block the writer), prepared statements with
// bound parameters only, schema created when missing. One connection writes, another reads.
// synchronous=NORMAL: a committed batch survives a crash of this process (not of the machine).
// Checkpoints run mostly on a thread of their own (wal_checkpointer.hpp), not in the commits.
//
// Thread safety: as Store. The writing connection is used by write(), prune() and
// history_size() only; record_fault() has
// its own connection and the reading connection another, each guarded by a mutex.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "sqlite.hpp"
#include "sqlite_pruner.hpp"
#include "store.hpp"

namespace snet::state {

class SqliteStore final : public Store {
 public:
  /// Opens or creates the database file (its directory must exist). Throws StoreError.
  /// Everything written is `topology`'s and only its rows are read: topologies that use one
  /// data directory one after the other share the file, not their devices' history.
  explicit SqliteStore(const std::string& path, std::string topology = "");
  ~SqliteStore() override;

  using Store::write;
  void write(std::vector<EventRecord>& batch, std::vector<ReadingRecord>& readings) override;
  std::vector<DeviceState> current_states() override;
  EventRecord record_fault(EventRecord fault) override;
  std::vector<EventRecord> events(const std::string& device, int limit,
                                  std::optional<EventKind> kind = std::nullopt) override;
  void check() override;
  Pruned prune(const PruneLimits& limits) override;
  HistorySize history_size() override;
  std::vector<ReadingRecord> readings(const ReadingQuery& query) override;
  std::vector<ReadingRecord> latest_readings(const std::string& device) override;
  Pruned prune_readings(const PruneLimits& limits) override;
  HistorySize readings_size() override;

 private:
  std::string topology_;
  struct Writer;
  struct FaultWriter;
  struct Reader;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<SqlitePruner> pruner_;           // on writer_'s connection; destroyed before it
  std::unique_ptr<SqlitePruner> readings_pruner_;  // likewise
  std::mutex fault_mutex_;
  std::unique_ptr<FaultWriter> fault_writer_;
  std::mutex read_mutex_;
  std::unique_ptr<Reader> reader_;
};

}  // namespace snet::state
