#include "sqlite_readings.hpp"

#include <algorithm>
#include <set>

namespace snet::state {
namespace {

// A device's newest readings looked at for its latest value per capability: enough for a
// composite device's few capabilities at different rates, bounded however long the series
// (start-up reads this for every device of the topology).
constexpr std::int64_t kLatestWindow = 64;

struct Resetting {
  Statement& s;
  ~Resetting() { s.reset(); }
};

}  // namespace

void create_readings_schema(Db& db) {
  db.exec(R"sql(
CREATE TABLE IF NOT EXISTS readings (
  id          INTEGER PRIMARY KEY,
  topology    TEXT NOT NULL,
  device      TEXT NOT NULL,
  capability  TEXT NOT NULL,
  value       REAL NOT NULL,
  unit        TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  ts          INTEGER NOT NULL,
  received_ts INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS readings_of_device
  ON readings (topology, device, ts, capability, seq);
)sql");
}

std::int64_t ReadingWriter::insert(const std::string& topology, const ReadingRecord& r) {
  insert_.bind(1, topology).bind(2, r.device).bind(3, r.capability).bind_real(4, r.value);
  insert_.bind(5, r.unit).bind(6, r.seq).bind(7, r.ts).bind(8, r.received_ts);
  insert_.run();
  return db_.changes() == 0 ? 0 : db_.last_insert_rowid();
}

std::vector<ReadingRecord> ReadingReader::collect(Statement& s) {
  Resetting r{s};
  std::vector<ReadingRecord> out;
  while (s.step()) {
    out.push_back(ReadingRecord{s.int64(0), s.text(1), s.text(2), s.real(3), s.text(4), s.int64(5),
                                s.int64(6), s.int64(7)});
  }
  return out;
}

std::vector<ReadingRecord> ReadingReader::readings(const std::string& topology,
                                                   const ReadingQuery& q) {
  Statement& s = q.since ? after_ : newest_;
  s.bind(1, topology).bind(2, q.device).bind(3, std::int64_t{q.limit});
  if (q.since) s.bind(4, *q.since);
  auto out = collect(s);
  if (!q.since) std::reverse(out.begin(), out.end());  // newest last
  return out;
}

std::vector<ReadingRecord> ReadingReader::latest(const std::string& topology,
                                                 const std::string& device) {
  newest_.bind(1, topology).bind(2, device).bind(3, kLatestWindow);
  std::vector<ReadingRecord> out;
  std::set<std::string> seen;
  for (auto& r : collect(newest_)) {
    if (seen.insert(r.capability).second) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace snet::state
