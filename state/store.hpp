// The Store seam of the state service: the current state of every actuator and a history,
// appended to and pruned oldest first (retention.hpp), of what happened (state reports, press
// errors and control actions: faults), with every hop's timestamp so latency can be queried;
// and the sensors' readings, a time series pruned the same way.
// SqliteStore (sqlite_store.hpp) is the implementation.
//
// Thread safety: write(), prune(), history_size(), prune_readings() and readings_size() are
// called by one thread (the writer); record_fault(), current_states(), events(), readings(),
// latest_readings() and check() may be called from any thread, concurrently with write().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "snet/clock.hpp"

namespace snet::state {

enum class EventKind { state, error, fault };

std::string_view to_string(EventKind kind);
/// nullopt for a name that is no kind.
std::optional<EventKind> parse_event_kind(std::string_view name);

/// One row of the history. For a state report, `device` is the actuator; for a press error,
/// `device` is the button and `error`/`action`/`error_ts` are set; for a fault (a control
/// action asked for over the API), `device` is the target (a device id, a service name, or
/// "*" for a storm), `action` the verb, `target_kind` "device", "service" or "storm", and
/// `fault_id`, `detail`, `fault_ts` are set.
struct EventRecord {
  std::int64_t seq = 0;  // assigned by the store; stays 0 for a duplicate that was skipped
  EventKind kind = EventKind::state;
  std::string device;
  bool on = false;
  std::string press_id;
  std::string button;
  std::string action;
  std::string error;
  Micros press_ts = 0;      // the button was pressed
  Micros relay_ts = 0;      // the relayer published the command
  Micros applied_ts = 0;    // the actuator applied it
  Micros error_ts = 0;      // the relayer decided the press failed
  Micros stored_ts = 0;     // this service wrote it (set by the store)
  std::string target_kind;  // fault: device | service | storm
  std::string fault_id;
  std::string detail;
  Micros fault_ts = 0;  // fault: when it was asked for
};

/// The current state of one actuator: its latest stored state report.
struct DeviceState {
  std::string device;
  bool on = false;
  std::string press_id;
  std::string button;
  Micros press_ts = 0;
  Micros relay_ts = 0;
  Micros applied_ts = 0;
  Micros stored_ts = 0;
};

DeviceState current_state_of(const EventRecord& state_report);

/// One sensor reading (snet/message.hpp Reading) as stored.
struct ReadingRecord {
  std::int64_t id = 0;  // assigned by the store; stays 0 for a duplicate that was skipped
  std::string device;
  std::string capability;
  double value = 0;
  std::string unit;
  std::int64_t seq = 0;
  Micros ts = 0;           // measured (the device's clock)
  Micros received_ts = 0;  // taken from the bus by this service (its clock; retention's age)
};

/// Which readings of a device GET /api/devices/{id}/readings asks for.
struct ReadingQuery {
  std::string device;
  std::optional<Micros> since;  // only those measured after it (ts > since)
  int limit = 100;
};

/// What one pruning round of the history may remove. The current states are never pruned:
/// they live apart from the history (Store::current_states()).
struct PruneLimits {
  Micros older_than = 0;      // records stored before this go; 0: no limit by age
  std::int64_t max_rows = 0;  // the oldest beyond this many go; 0: no limit by count
  std::int64_t batch = 1000;  // at most this many rows in this round (one short transaction)
};

struct Pruned {
  std::int64_t by_age = 0;
  std::int64_t by_rows = 0;
  bool more = false;  // the batch was used up: another round has work
};

/// The history's size as SQLite keeps it cheaply: rows by the range of seq (the store only
/// ever removes the oldest, so the range has no holes) and the database file's pages.
struct HistorySize {
  std::int64_t rows = 0;
  std::int64_t bytes = 0;  // page_count * page_size (the write-ahead log not counted)
};

class Store {
 public:
  virtual ~Store() = default;

  /// Writes a batch in one transaction: appends every record to the history and makes each
  /// state report its device's current state. A state report already stored (same device,
  /// press id and applied_ts, e.g. a retained message seen again after a restart) is skipped
  /// and keeps seq 0. Sets seq and stored_ts of the rest. Throws StoreError; then nothing of
  /// the batch was written.
  /// Writes the readings in the same transaction (a reading already stored, same device, ts,
  /// capability and seq, is skipped and keeps id 0); sets id of the rest.
  virtual void write(std::vector<EventRecord>& batch, std::vector<ReadingRecord>& readings) = 0;
  void write(std::vector<EventRecord>& batch) {
    std::vector<ReadingRecord> none;
    write(batch, none);
  }

  /// Appends one fault record at once, in its own transaction (not through the writer's
  /// batches: a control action is recorded before it is carried out). Returns it with seq and
  /// stored_ts set. Throws StoreError.
  virtual EventRecord record_fault(EventRecord fault) = 0;

  /// Every device's current state, as of the last committed write.
  virtual std::vector<DeviceState> current_states() = 0;

  /// The newest `limit` history records, newest first; with a `device`, only the records of
  /// that device and the state reports a press of that device (a button) caused; with a
  /// `kind`, only records of that kind.
  virtual std::vector<EventRecord> events(const std::string& device, int limit,
                                          std::optional<EventKind> kind = std::nullopt) = 0;

  /// A device's readings in the order measured (oldest first): without `since` the newest
  /// `limit`, with it the first `limit` measured after it (to page forward). Throws StoreError.
  virtual std::vector<ReadingRecord> readings(const ReadingQuery& query) = 0;
  /// The newest stored reading of each capability of `device` (among its newest 64).
  virtual std::vector<ReadingRecord> latest_readings(const std::string& device) = 0;

  /// Throws StoreError when the store cannot be read.
  virtual void check() = 0;

  /// Removes the oldest history records (of every topology sharing the file) in one short
  /// transaction: first those stored before `older_than`, then those beyond `max_rows`. Called
  /// by the writer's thread, between write() batches. Throws StoreError.
  virtual Pruned prune(const PruneLimits& limits) = 0;

  /// Called by the writer's thread. Throws StoreError.
  virtual HistorySize history_size() = 0;

  /// As prune() and history_size(), for the readings (their age: received_ts).
  virtual Pruned prune_readings(const PruneLimits& limits) = 0;
  virtual HistorySize readings_size() = 0;
};

}  // namespace snet::state
