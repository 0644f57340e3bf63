// Retention of the state history: bounded by count under a flood, by age with an injected
// clock, the newest records and every device's current state always kept.
#include <doctest/doctest.h>

#include <map>

#include "harness.hpp"
#include "retention.hpp"
#include "snet/metrics.hpp"
#include "sqlite_store.hpp"
#include "state_config.hpp"

using namespace snet;
using namespace snet::state;
using namespace snet::test;

namespace {

EventRecord state_report(const std::string& device, int n) {
  EventRecord r;
  r.device = device;
  r.on = n % 2 == 0;
  r.press_id = "p" + std::to_string(n);
  r.button = "button-1";
  r.press_ts = 1000 + n;
  r.applied_ts = 2000 + n;
  return r;
}

// Writes `count` state reports numbered from `first`, spread over three devices.
std::vector<EventRecord> write_reports(Store& store, int first, int count) {
  std::vector<EventRecord> batch;
  for (int n = first; n < first + count; ++n) {
    batch.push_back(state_report("actuator-" + std::to_string(n % 3 + 1), n));
  }
  store.write(batch);
  return batch;
}

}  // namespace

TEST_CASE("a flood beyond the row cap keeps the history bounded and keeps the newest") {
  TempDir dir("snet-retention");
  SqliteStore store(dir.path() + "/state.db", "t");
  Metrics registry;
  StateMetrics metrics(registry);
  RetentionOptions options;
  options.max_age = std::chrono::seconds(0);
  options.max_rows = 1000;
  options.batch = 200;
  Retention retention(store, options, metrics);

  constexpr int kBatches = 40, kPerBatch = 500;
  std::map<std::string, std::string> last;  // device -> its newest press id
  for (int b = 0; b < kBatches; ++b) {
    for (const auto& r : write_reports(store, b * kPerBatch, kPerBatch))
      last[r.device] = r.press_id;
    retention.tick(kPerBatch);  // as the writer does after each batch
    // Each round takes what was written since the last one: the cap holds after every batch.
    CHECK(store.history_size().rows <= options.max_rows);
  }
  const int total = kBatches * kPerBatch;
  const auto kept = store.events("", 5000);
  REQUIRE(kept.size() == 1000);
  CHECK(kept.front().press_id == "p" + std::to_string(total - 1));  // the newest stays
  CHECK(kept.back().press_id == "p" + std::to_string(total - 1000));
  CHECK(metrics.history_pruned_by_rows.value() == total - 1000);
  CHECK(metrics.history_pruned_by_age.value() == 0);
  CHECK(metrics.history_rows.value() == 1000);
  CHECK(metrics.db_bytes.value() > 0);

  // Every device's current state is its last report, whatever retention removed.
  const auto current = store.current_states();
  REQUIRE(current.size() == 3);
  for (const auto& s : current) CHECK_MESSAGE(s.press_id == last[s.device], s.device);
}

TEST_CASE("history older than max_age goes, younger stays, current states survive") {
  TempDir dir("snet-retention");
  SqliteStore store(dir.path() + "/state.db", "t");
  Metrics registry;
  StateMetrics metrics(registry);
  Micros now = now_us();
  RetentionOptions options;
  options.max_age = std::chrono::hours(1);
  options.max_rows = 0;
  Retention retention(store, options, metrics, [&] { return now; });

  const auto old = write_reports(store, 0, 30);
  const Micros boundary = old.back().stored_ts + 1;
  while (now_us() <= boundary) {
    // the clock moves on (microseconds) before the young records are stored
  }
  write_reports(store, 30, 10);
  CHECK(retention.round().by_age == 0);  // nothing is an hour old yet

  now = boundary + std::chrono::microseconds(std::chrono::hours(1)).count();
  const Pruned pruned = retention.round();
  CHECK(pruned.by_age == 30);
  CHECK_FALSE(pruned.more);
  const auto kept = store.events("", 100);
  REQUIRE(kept.size() == 10);
  CHECK(kept.back().press_id == "p30");
  CHECK(metrics.history_pruned_by_age.value() == 30);

  // A day later everything is old: the newest record stays (seq never starts over) and so does
  // every device's current state.
  now += std::chrono::microseconds(std::chrono::hours(24)).count();
  CHECK(retention.round().by_age == 9);
  REQUIRE(store.events("", 100).size() == 1);
  const auto current = store.current_states();
  REQUIRE(current.size() == 3);
  CHECK(current[0].device == "actuator-1");
  CHECK(current[0].press_id == "p39");

  // The current state's report seen again (a retained message after a restart) is still a
  // duplicate, though its history row is gone; a new report gets the next seq.
  std::vector<EventRecord> again{state_report("actuator-2", 37), state_report("actuator-2", 40)};
  store.write(again);
  CHECK(again[0].seq == 0);
  CHECK(again[1].seq == 41);
}

TEST_CASE("pruning rounds are bounded by their batch and report more work") {
  TempDir dir("snet-retention");
  SqliteStore store(dir.path() + "/state.db", "t");
  write_reports(store, 0, 100);
  const Pruned first = store.prune(PruneLimits{0, 10, 25});
  CHECK(first.by_rows == 25);
  CHECK(first.more);
  CHECK(store.history_size().rows == 75);
  Pruned rest = first;
  for (int round = 0; round < 10 && rest.more; ++round) rest = store.prune(PruneLimits{0, 10, 25});
  CHECK_FALSE(rest.more);
  CHECK(store.history_size().rows == 10);
  CHECK(store.events("", 1).front().press_id == "p99");
  CHECK(store.prune(PruneLimits{0, 0, 25}).by_rows == 0);  // no limits: nothing goes
}

TEST_CASE("--history-max-age takes seconds, minutes, hours or days") {
  using std::chrono::seconds;
  CHECK(parse_max_age("7d") == seconds(7 * 86'400));
  CHECK(parse_max_age("12h") == seconds(12 * 3600));
  CHECK(parse_max_age("30m") == seconds(1800));
  CHECK(parse_max_age("90s") == seconds(90));
  CHECK(parse_max_age("90") == seconds(90));
  CHECK(parse_max_age("0") == seconds(0));
  for (const char* bad : {"", "-1", "d", "7w", "1.5h", "7 d", "99999999999999d"}) {
    CHECK_MESSAGE(!parse_max_age(bad), bad);
  }
}
