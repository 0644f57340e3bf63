// The sensors' readings in SQLite: a time series in its own table of state.db, appended by the
// writer's connection in the same transaction as the history (SqliteStore::write), read by the
// reading connection, pruned oldest first by SqlitePruner ("readings", "id", "received_ts").
// One index serves both the per-device time queries and the duplicate check: (topology,
// device, ts, capability, seq) is unique, so a reading delivered twice (QoS 1 after a
// restart) is stored once.
// Thread safety: none; each object belongs to its connection's owner.
#pragma once

#include <string>
#include <vector>

#include "sqlite.hpp"
#include "store.hpp"

namespace snet::state {

/// Creates the table and its index when missing (inside the caller's schema transaction).
void create_readings_schema(Db& db);

class ReadingWriter {
 public:
  explicit ReadingWriter(Db& db) : db_(db) {}
  /// Inside the caller's transaction; returns the new id (0: a duplicate, skipped).
  std::int64_t insert(const std::string& topology, const ReadingRecord& reading);

 private:
  Db& db_;
  Statement insert_{db_,
                    "INSERT OR IGNORE INTO readings (topology, device, capability, value, unit, "
                    "seq, ts, received_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"};
};

class ReadingReader {
 public:
  explicit ReadingReader(Db& db) : db_(db) {}
  std::vector<ReadingRecord> readings(const std::string& topology, const ReadingQuery& query);
  std::vector<ReadingRecord> latest(const std::string& topology, const std::string& device);

 private:
  std::vector<ReadingRecord> collect(Statement& s);

  Db& db_;
  // Both walk the index from one end and stop at the limit, however long the series.
  Statement newest_{db_,
                    "SELECT id, device, capability, value, unit, seq, ts, received_ts FROM "
                    "readings WHERE topology = ?1 AND device = ?2 ORDER BY ts DESC LIMIT ?3"};
  Statement after_{db_,
                   "SELECT id, device, capability, value, unit, seq, ts, received_ts FROM "
                   "readings WHERE topology = ?1 AND device = ?2 AND ts > ?4 ORDER BY ts LIMIT ?3"};
};

}  // namespace snet::state
