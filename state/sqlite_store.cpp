#include "sqlite_store.hpp"

#include <string>

#include "sqlite_readings.hpp"
#include "wal_checkpointer.hpp"

namespace snet::state {
namespace {

// 40 MB of 4 KB pages, as SQLite's own checkpoint was set before: a longer log slows every page
// lookup, a shorter one copies the hot index pages more often.
constexpr int kCheckpointPages = 10000;

constexpr const char* kEventColumns =
    "seq, kind, device, is_on, press_id, button, action, error, press_ts, relay_ts, applied_ts, "
    "error_ts, stored_ts";

// The history's columns, shared by the schema and the one-time rebuild below.
constexpr const char* kEventsTable = R"sql((
  seq        INTEGER PRIMARY KEY,
  kind       TEXT NOT NULL CHECK (kind IN ('state', 'error', 'fault')),
  device     TEXT NOT NULL,
  is_on      INTEGER NOT NULL,
  press_id   TEXT NOT NULL,
  button     TEXT NOT NULL,
  action     TEXT NOT NULL,
  error      TEXT NOT NULL,
  press_ts   INTEGER NOT NULL,
  relay_ts   INTEGER NOT NULL,
  applied_ts INTEGER NOT NULL,
  error_ts   INTEGER NOT NULL,
  stored_ts  INTEGER NOT NULL,
  topology   TEXT NOT NULL DEFAULT ''
)
)sql";

// Every row belongs to one topology: topologies that share a data directory (one after the
// other) share the file, and each sees only its own devices' states and history. Rows of a
// database made before (topology '') are seen by none.
constexpr const char* kCurrentStateTable = R"sql((
  topology   TEXT NOT NULL DEFAULT '',
  device     TEXT NOT NULL,
  is_on      INTEGER NOT NULL,
  press_id   TEXT NOT NULL,
  button     TEXT NOT NULL,
  press_ts   INTEGER NOT NULL,
  relay_ts   INTEGER NOT NULL,
  applied_ts INTEGER NOT NULL,
  stored_ts  INTEGER NOT NULL,
  PRIMARY KEY (topology, device)
)
)sql";

std::string schema() {
  return std::string("CREATE TABLE IF NOT EXISTS current_state ") + kCurrentStateTable +
         ";\nCREATE TABLE IF NOT EXISTS events " + kEventsTable + R"sql(;
DROP INDEX IF EXISTS events_state_once;
DROP INDEX IF EXISTS events_by_device;
DROP INDEX IF EXISTS events_by_button;
DROP INDEX IF EXISTS events_by_kind;
CREATE UNIQUE INDEX IF NOT EXISTS events_state_once_per_topology
  ON events (topology, device, press_id, applied_ts) WHERE kind = 'state';
CREATE INDEX IF NOT EXISTS events_of_topology ON events (topology, seq);
CREATE INDEX IF NOT EXISTS events_of_topology_device ON events (topology, device, seq);
CREATE INDEX IF NOT EXISTS events_of_topology_button ON events (topology, button, seq);
CREATE INDEX IF NOT EXISTS events_of_topology_kind ON events (topology, kind, seq);
)sql";
}

// A database made before faults existed has a CHECK that refuses kind 'fault'. SQLite cannot
// alter a CHECK, so the table is rebuilt once, in one transaction (its indexes are re-made by
// schema() afterwards).
std::string allow_faults() {
  return std::string("CREATE TABLE events_with_faults ") + kEventsTable +
         ";\nINSERT INTO events_with_faults (" + kEventColumns + ") SELECT " + kEventColumns +
         R"sql( FROM events;
DROP TABLE events;
ALTER TABLE events_with_faults RENAME TO events;
)sql";
}

// A database made before topologies were told apart: events gets the column (rows of before
// keep topology ''), current_state is rebuilt (its key becomes (topology, device)).
std::string add_topology(bool events, bool current_state) {
  std::string sql;
  if (events) sql += "ALTER TABLE events ADD COLUMN topology TEXT NOT NULL DEFAULT '';\n";
  if (current_state) {
    sql += std::string("CREATE TABLE current_state_per_topology ") + kCurrentStateTable + R"sql(;
INSERT INTO current_state_per_topology (device, is_on, press_id, button, press_ts, relay_ts,
  applied_ts, stored_ts) SELECT device, is_on, press_id, button, press_ts, relay_ts, applied_ts,
  stored_ts FROM current_state;
DROP TABLE current_state;
ALTER TABLE current_state_per_topology RENAME TO current_state;
)sql";
  }
  return sql;
}

// Whether `table` exists without `column`.
bool lacks_column(Db& db, const char* table, const char* column) {
  Statement s(db, std::string("SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                              "AND name = '") +
                      table + "'), (SELECT count(*) FROM pragma_table_info('" + table +
                      "') WHERE name = '" + column + "')");
  return s.step() && s.int64(0) == 1 && s.int64(1) == 0;
}

bool events_refuse_faults(Db& db) {
  Statement s(db, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'");
  return s.step() && s.text(0).find("'fault'") == std::string::npos;
}

// A fault reuses the history's columns: device = target, press_id = fault id, button = target
// kind, error = detail, error_ts = when it was asked for.
EventRecord read_event(const Statement& s) {
  EventRecord e;
  e.seq = s.int64(0);
  e.kind = parse_event_kind(s.text(1)).value_or(EventKind::state);
  e.device = s.text(2);
  e.on = s.int64(3) != 0;
  e.press_id = s.text(4);
  e.button = s.text(5);
  e.action = s.text(6);
  e.error = s.text(7);
  e.press_ts = s.int64(8);
  e.relay_ts = s.int64(9);
  e.applied_ts = s.int64(10);
  e.error_ts = s.int64(11);
  e.stored_ts = s.int64(12);
  if (e.kind == EventKind::fault) {
    e.target_kind = std::move(e.button);
    e.fault_id = std::move(e.press_id);
    e.detail = std::move(e.error);
    e.fault_ts = e.error_ts;
    e.button.clear();
    e.press_id.clear();
    e.error.clear();
    e.error_ts = 0;
  }
  return e;
}

}  // namespace

std::string_view to_string(EventKind kind) {
  switch (kind) {
    case EventKind::state:
      return "state";
    case EventKind::error:
      return "error";
    case EventKind::fault:
      return "fault";
  }
  return "state";
}

std::optional<EventKind> parse_event_kind(std::string_view name) {
  for (auto kind : {EventKind::state, EventKind::error, EventKind::fault}) {
    if (to_string(kind) == name) return kind;
  }
  return std::nullopt;
}

DeviceState current_state_of(const EventRecord& r) {
  return DeviceState{r.device,   r.on,       r.press_id,   r.button,
                     r.press_ts, r.relay_ts, r.applied_ts, r.stored_ts};
}

// Runs before the statements below are prepared (members initialise in declaration order).
struct Schema {
  explicit Schema(Db& db) {
    db.exec(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; "
        "PRAGMA mmap_size=268435456;");
    Transaction tx(db);
    if (events_refuse_faults(db)) db.exec(allow_faults());
    const std::string migration = add_topology(lacks_column(db, "events", "topology"),
                                               lacks_column(db, "current_state", "topology"));
    if (!migration.empty()) db.exec(migration);
    db.exec(schema());
    create_readings_schema(db);
    tx.commit();
  }
};

struct SqliteStore::Writer {
  explicit Writer(const std::string& path) : db(path, /*create=*/true), schema(db) {}
  Db db;
  Schema schema;
  WalCheckpointer checkpointer{db, kCheckpointPages};
  Statement insert_state{
      db, std::string("INSERT OR IGNORE INTO events (") + kEventColumns +
              ", topology) VALUES (NULL, 'state', ?1, ?2, ?3, ?4, '', '', ?5, ?6, ?7, 0, ?8, ?9)"};
  Statement insert_error{
      db, std::string("INSERT INTO events (") + kEventColumns +
              ", topology) VALUES (NULL, 'error', ?1, 0, ?2, ?3, ?4, ?5, ?6, 0, 0, ?7, ?8, ?9)"};
  // A state report that is its device's current state already (a retained report seen again
  // after a restart) is a duplicate even when retention has pruned its history row.
  Statement is_current{db,
                       "SELECT 1 FROM current_state WHERE topology = ?1 AND device = ?2 AND "
                       "press_id = ?3 AND applied_ts = ?4"};
  Statement upsert_current{
      db,
      "INSERT INTO current_state (device, is_on, press_id, button, press_ts, relay_ts, "
      "applied_ts, stored_ts, topology) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
      "ON CONFLICT (topology, device) DO UPDATE SET is_on = excluded.is_on, press_id = "
      "excluded.press_id, "
      "button = excluded.button, press_ts = excluded.press_ts, relay_ts = excluded.relay_ts, "
      "applied_ts = excluded.applied_ts, stored_ts = excluded.stored_ts"};
  ReadingWriter readings{db};
};

// Its own connection, so a fault is committed at once from an API thread without waiting for
// (or racing) the writer thread's connection; SQLite's lock and busy wait serialise the two.
struct SqliteStore::FaultWriter {
  explicit FaultWriter(const std::string& path) : db(path, /*create=*/false) {}
  Db db;
  Statement insert_fault{
      db, std::string("INSERT INTO events (") + kEventColumns +
              ", topology) VALUES (NULL, 'fault', ?1, 0, ?2, ?3, ?4, ?5, 0, 0, 0, ?6, ?7, ?9)"};
};

struct SqliteStore::Reader {
  explicit Reader(const std::string& path) : db(path, /*create=*/false) {}
  Db db;
  Statement current{db,
                    "SELECT device, is_on, press_id, button, press_ts, relay_ts, applied_ts, "
                    "stored_ts FROM current_state WHERE topology = ?9 ORDER BY device"};
  Statement newest{db, std::string("SELECT ") + kEventColumns +
                           " FROM events WHERE topology = ?9 ORDER BY seq DESC LIMIT ?1"};
  // Both halves walk an index newest-first and stop at the limit, however long the history.
  Statement newest_of_device{
      db, std::string("SELECT * FROM (SELECT ") + kEventColumns +
              " FROM events WHERE topology = ?9 AND device = ?1 ORDER BY seq DESC LIMIT ?2) "
              "UNION ALL "
              "SELECT * FROM (SELECT " +
              kEventColumns +
              " FROM events WHERE topology = ?9 AND button = ?1 AND device <> ?1 ORDER BY seq "
              "DESC LIMIT ?2) "
              "ORDER BY seq DESC LIMIT ?2"};
  Statement newest_of_kind{
      db, std::string("SELECT ") + kEventColumns +
              " FROM events WHERE topology = ?9 AND kind = ?1 ORDER BY seq DESC LIMIT ?2"};
  Statement newest_of_device_and_kind{
      db, std::string("SELECT * FROM (SELECT ") + kEventColumns +
              " FROM events WHERE topology = ?9 AND device = ?1 AND kind = ?3 ORDER BY seq DESC "
              "LIMIT ?2) UNION ALL "
              "SELECT * FROM (SELECT " +
              kEventColumns +
              " FROM events WHERE topology = ?9 AND button = ?1 AND device <> ?1 AND kind = ?3 "
              "ORDER BY seq DESC LIMIT ?2) ORDER BY seq DESC LIMIT ?2"};
  Statement ping{db, "SELECT count(*) FROM current_state"};
  ReadingReader readings{db};
};

SqliteStore::SqliteStore(const std::string& path, std::string topology)
    : topology_(std::move(topology)),
      writer_(std::make_unique<Writer>(path)),
      pruner_(std::make_unique<SqlitePruner>(writer_->db, "events", "seq", "stored_ts")),
      readings_pruner_(
          std::make_unique<SqlitePruner>(writer_->db, "readings", "id", "received_ts")),
      fault_writer_(std::make_unique<FaultWriter>(path)),
      reader_(std::make_unique<Reader>(path)) {}

SqliteStore::~SqliteStore() = default;

void SqliteStore::write(std::vector<EventRecord>& batch, std::vector<ReadingRecord>& readings) {
  Writer& w = *writer_;
  Transaction tx(w.db);
  std::vector<std::int64_t> seqs(batch.size(), 0);
  std::vector<Micros> stored(batch.size(), 0);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const EventRecord& r = batch[i];
    stored[i] = now_us();
    if (r.kind == EventKind::state) {
      w.is_current.bind(1, topology_).bind(2, r.device).bind(3, r.press_id);
      w.is_current.bind(4, r.applied_ts);
      if (w.is_current.any()) continue;  // already stored: not a new state
      w.insert_state.bind(1, r.device).bind(2, std::int64_t{r.on}).bind(3, r.press_id);
      w.insert_state.bind(4, r.button).bind(5, r.press_ts).bind(6, r.relay_ts);
      w.insert_state.bind(7, r.applied_ts).bind(8, stored[i]).bind(9, topology_);
      w.insert_state.run();
      if (w.db.changes() == 0) continue;  // already stored: not a new state
      seqs[i] = w.db.last_insert_rowid();
      w.upsert_current.bind(1, r.device).bind(2, std::int64_t{r.on}).bind(3, r.press_id);
      w.upsert_current.bind(4, r.button).bind(5, r.press_ts).bind(6, r.relay_ts);
      w.upsert_current.bind(7, r.applied_ts).bind(8, stored[i]).bind(9, topology_);
      w.upsert_current.run();
    } else {
      w.insert_error.bind(1, r.device).bind(2, r.press_id).bind(3, r.button).bind(4, r.action);
      w.insert_error.bind(5, r.error).bind(6, r.press_ts).bind(7, r.error_ts).bind(8, stored[i]);
      w.insert_error.bind(9, topology_);
      w.insert_error.run();
      seqs[i] = w.db.last_insert_rowid();
    }
  }
  std::vector<std::int64_t> reading_ids(readings.size(), 0);
  for (std::size_t i = 0; i < readings.size(); ++i) {
    reading_ids[i] = w.readings.insert(topology_, readings[i]);
  }
  tx.commit();
  for (std::size_t i = 0; i < readings.size(); ++i) readings[i].id = reading_ids[i];
  // Only now that the batch is durable do the records say so.
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i].seq = seqs[i];
    batch[i].stored_ts = seqs[i] != 0 ? stored[i] : 0;
  }
}

std::vector<DeviceState> SqliteStore::current_states() {
  std::lock_guard lock(read_mutex_);
  Statement& s = reader_->current;
  s.bind(9, topology_);
  std::vector<DeviceState> out;
  try {
    while (s.step()) {
      out.push_back(DeviceState{s.text(0), s.int64(1) != 0, s.text(2), s.text(3), s.int64(4),
                                s.int64(5), s.int64(6), s.int64(7)});
    }
  } catch (...) {
    s.reset();
    throw;
  }
  s.reset();
  return out;
}

EventRecord SqliteStore::record_fault(EventRecord fault) {
  std::lock_guard lock(fault_mutex_);
  FaultWriter& w = *fault_writer_;
  fault.kind = EventKind::fault;
  fault.stored_ts = now_us();
  Statement& s = w.insert_fault;
  s.bind(1, fault.device).bind(2, fault.fault_id).bind(3, fault.target_kind);
  s.bind(4, fault.action).bind(5, fault.detail).bind(6, fault.fault_ts).bind(7, fault.stored_ts);
  s.bind(9, topology_);
  s.run();  // autocommit: one statement, one transaction
  fault.seq = w.db.last_insert_rowid();
  return fault;
}

std::vector<EventRecord> SqliteStore::events(const std::string& device, int limit,
                                             std::optional<EventKind> kind) {
  std::lock_guard lock(read_mutex_);
  Reader& r = *reader_;
  Statement& s = device.empty() ? (kind ? r.newest_of_kind : r.newest)
                                : (kind ? r.newest_of_device_and_kind : r.newest_of_device);
  if (device.empty() && kind) {
    s.bind(1, to_string(*kind)).bind(2, std::int64_t{limit});
  } else if (device.empty()) {
    s.bind(1, std::int64_t{limit});
  } else {
    s.bind(1, device).bind(2, std::int64_t{limit});
    if (kind) s.bind(3, to_string(*kind));
  }
  s.bind(9, topology_);
  std::vector<EventRecord> out;
  try {
    while (s.step()) out.push_back(read_event(s));
  } catch (...) {
    s.reset();
    throw;
  }
  s.reset();
  return out;
}

Pruned SqliteStore::prune(const PruneLimits& limits) {
  return pruner_->prune(limits);
}

HistorySize SqliteStore::history_size() {
  return pruner_->size();
}

std::vector<ReadingRecord> SqliteStore::readings(const ReadingQuery& query) {
  std::lock_guard lock(read_mutex_);
  return reader_->readings.readings(topology_, query);
}

std::vector<ReadingRecord> SqliteStore::latest_readings(const std::string& device) {
  std::lock_guard lock(read_mutex_);
  return reader_->readings.latest(topology_, device);
}

Pruned SqliteStore::prune_readings(const PruneLimits& limits) {
  return readings_pruner_->prune(limits);
}

HistorySize SqliteStore::readings_size() {
  return readings_pruner_->size();
}

void SqliteStore::check() {
  std::lock_guard lock(read_mutex_);
  Statement& s = reader_->ping;
  try {
    s.step();
  } catch (...) {
    s.reset();
    throw;
  }
  s.reset();
}

}  // namespace snet::state
