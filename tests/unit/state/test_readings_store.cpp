// The readings time series in SqliteStore: written in the history's transactions, queried per
// device (newest last, paging forward with since), the latest per capability, duplicates stored
// once, pruned oldest first by rows and by arrival age; and how fast batches of readings commit.
#include <doctest/doctest.h>

#include <chrono>

#include "harness.hpp"
#include "retention.hpp"
#include "snet/metrics.hpp"
#include "sqlite_store.hpp"

using namespace snet;
using namespace snet::state;
using namespace snet::test;

namespace {

ReadingRecord reading(const std::string& device, const std::string& capability, double value,
                      std::int64_t seq, Micros ts, Micros received_ts = 0) {
  ReadingRecord r;
  r.device = device;
  r.capability = capability;
  r.value = value;
  r.unit = "C";
  r.seq = seq;
  r.ts = ts;
  r.received_ts = received_ts != 0 ? received_ts : ts;
  return r;
}

}  // namespace

TEST_CASE("readings are stored with the history, once, and read back per device in time order") {
  TempDir dir("snet-readings");
  SqliteStore store(dir.path() + "/state.db", "t");
  std::vector<EventRecord> none;
  std::vector<ReadingRecord> batch;
  for (int i = 1; i <= 5; ++i) batch.push_back(reading("thermo", "temperature", 20 + i, i, i * 10));
  batch.push_back(reading("thermo", "humidity", 40.5, 6, 25));
  batch.push_back(reading("other", "temperature", 1, 1, 15));
  store.write(none, batch);
  for (const auto& r : batch) CHECK(r.id > 0);

  std::vector<ReadingRecord> again = {batch[0], reading("thermo", "temperature", 99, 7, 60)};
  store.write(none, again);
  CHECK(again[0].id == 0);  // the same reading delivered twice: stored once
  CHECK(again[1].id > 0);

  const auto all = store.readings({"thermo", std::nullopt, 100});
  REQUIRE(all.size() == 7);
  CHECK(all.front().value == 21);
  CHECK(all[2].capability == "humidity");  // ts 25, between 20 and 30
  CHECK(all.back().value == 99);
  const auto newest = store.readings({"thermo", std::nullopt, 2});
  REQUIRE(newest.size() == 2);
  CHECK(newest[0].value == 25);
  CHECK(newest[1].value == 99);  // newest last
  const auto after = store.readings({"thermo", Micros{25}, 2});
  REQUIRE(after.size() == 2);  // the first two measured after 25
  CHECK(after[0].ts == 30);
  CHECK(after[1].ts == 40);
  CHECK(store.readings({"nobody", std::nullopt, 10}).empty());

  const auto latest = store.latest_readings("thermo");
  REQUIRE(latest.size() == 2);
  CHECK(latest[0].capability == "temperature");
  CHECK(latest[0].value == 99);
  CHECK(latest[1].capability == "humidity");
  CHECK(latest[1].unit == "C");

  // Another topology sharing the file sees none of them.
  SqliteStore neighbour(dir.path() + "/state.db", "u");
  CHECK(neighbour.readings({"thermo", std::nullopt, 10}).empty());
}

TEST_CASE("readings retention prunes the oldest by rows and by arrival age, not the history") {
  TempDir dir("snet-readings");
  SqliteStore store(dir.path() + "/state.db", "t");
  Metrics registry;
  StateMetrics metrics(registry);
  std::vector<EventRecord> none;
  std::vector<ReadingRecord> batch;
  for (int i = 0; i < 300; ++i) batch.push_back(reading("p", "power", i, i + 1, i, 1000 + i));
  store.write(none, batch);

  RetentionOptions options;
  options.max_age = std::chrono::seconds(0);
  options.max_rows = 100;
  options.batch = 1000;
  Micros now = 0;
  Retention by_rows(
      store, options, metrics, [&] { return now; }, RetainedTable::readings);
  by_rows.round();
  CHECK(metrics.readings_pruned_by_rows.value() == 200);
  CHECK(metrics.readings_rows.value() == 100);
  CHECK(metrics.history_pruned_by_rows.value() == 0);
  CHECK(store.readings({"p", std::nullopt, 1000}).front().value == 200);

  options.max_rows = 0;
  options.max_age = std::chrono::seconds(1);
  now = 1000 + 250 + 1'000'000;  // everything received before 1250 is older than a second
  Retention by_age(
      store, options, metrics, [&] { return now; }, RetainedTable::readings);
  by_age.round();
  CHECK(metrics.readings_pruned_by_age.value() == 50);
  CHECK(store.readings_size().rows == 50);
}

TEST_CASE("batches of readings commit fast") {
  TempDir dir("snet-readings");
  SqliteStore store(dir.path() + "/state.db", "t");
  constexpr int kBatches = 50;
  constexpr int kBatch = 2000;  // as the writer takes them
  std::vector<EventRecord> none;
  const auto start = std::chrono::steady_clock::now();
  for (int b = 0; b < kBatches; ++b) {
    std::vector<ReadingRecord> batch;
    batch.reserve(kBatch);
    for (int i = 0; i < kBatch; ++i) {
      const int n = b * kBatch + i;
      batch.push_back(
          reading("sensor-" + std::to_string(n % 5000), "temperature", n * 0.5, n / 5000 + 1, n));
    }
    store.write(none, batch);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double rate = kBatches * kBatch / seconds;
  MESSAGE("SqliteStore: ", kBatches * kBatch, " readings in batches of ", kBatch, ": ", rate,
          " readings/s");
  CHECK(store.readings_size().rows == kBatches * kBatch);
  CHECK(rate > 20'000);  // the bar for the whole service; the store alone must beat it
}
