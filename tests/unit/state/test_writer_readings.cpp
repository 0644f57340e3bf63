// The writer's batches: state reports queued behind a flood of readings are written in the
// next batch, not after the flood; a batch takes a bounded chunk of readings; and under load
// the writer gathers what arrives within its commit gap into one transaction.
#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>
#include <tuple>

#include "harness.hpp"
#include "ingest.hpp"
#include "live_feed.hpp"
#include "service_health.hpp"
#include "snet/clock.hpp"
#include "snet/metrics.hpp"
#include "snet/topics.hpp"
#include "sqlite_store.hpp"
#include "writer.hpp"

using namespace snet;
using namespace snet::state;
using namespace snet::test;

namespace {

// SqliteStore whose first write waits until open() (so the test can queue behind it), and
// which records what each write carried.
class GatedStore final : public Store {
 public:
  explicit GatedStore(const std::string& path) : inner_(path, "t") {}
  struct Batch {
    std::size_t records = 0, readings = 0;
  };

  void write(std::vector<EventRecord>& batch, std::vector<ReadingRecord>& readings) override {
    std::unique_lock lock(mutex_);
    started_ = true;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
    batches_.push_back({batch.size(), readings.size()});
    lock.unlock();
    inner_.write(batch, readings);
  }
  void wait_started() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return started_; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  std::vector<Batch> batches() {
    std::lock_guard lock(mutex_);
    return batches_;
  }

  EventRecord record_fault(EventRecord fault) override { return inner_.record_fault(fault); }
  std::vector<DeviceState> current_states() override { return inner_.current_states(); }
  std::vector<EventRecord> events(const std::string& device, int limit,
                                  std::optional<EventKind> kind) override {
    return inner_.events(device, limit, kind);
  }
  std::vector<ReadingRecord> readings(const ReadingQuery& q) override { return inner_.readings(q); }
  std::vector<ReadingRecord> latest_readings(const std::string& d) override {
    return inner_.latest_readings(d);
  }
  void check() override { inner_.check(); }
  Pruned prune(const PruneLimits& limits) override { return inner_.prune(limits); }
  HistorySize history_size() override { return inner_.history_size(); }
  Pruned prune_readings(const PruneLimits& limits) override {
    return inner_.prune_readings(limits);
  }
  HistorySize readings_size() override { return inner_.readings_size(); }

 private:
  SqliteStore inner_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool started_ = false, open_ = false;
  std::vector<Batch> batches_;
};

Message reading_message(int n) {
  const nlohmann::json r = {{"device", "actuator-1"},
                            {"capability", "power"},
                            {"value", n},
                            {"seq", n + 1},
                            {"ts", now_us()}};
  return Message{topics::make("t", topics::Kind::reading, "actuator-1"), r.dump(), false, {}};
}

Message state_message(int n) {
  const nlohmann::json report = {{"device", "actuator-1"},
                                 {"on", n % 2 == 0},
                                 {"press_id", "p" + std::to_string(n)},
                                 {"button", "button-1"},
                                 {"applied_ts", now_us()}};
  return Message{topics::make("t", topics::Kind::state, "actuator-1"), report.dump(), false, {}};
}

// A writer on a GatedStore, for a one-pair topology "t".
struct WriterFixture {
  explicit WriterFixture(std::size_t max_batch, std::chrono::milliseconds commit_gap = kCommitGap)
      : writer(store, ingest, feed, health, metrics, {}, {}, max_batch, /*max_readings=*/100,
               commit_gap) {}

  TempDir dir{"snet-writer"};
  GatedStore store{dir.path() + "/state.db"};
  Topology topology = parse_topology_text(
      R"({"name": "t", "compute": {"backend": "builtin", "action": "flip_switch"},
          "pairs": {"count": 1, "button": "button-", "actuator": "actuator-"}})");
  Metrics registry;
  StateMetrics metrics{registry};
  ServiceHealth health;
  LiveFeed feed{topology, metrics, [] { return nlohmann::json::object(); },
                std::chrono::milliseconds(40)};
  Ingest ingest{topology, metrics};
  StateWriter writer;
};

}  // namespace

TEST_CASE("state reports queued behind a flood of readings go into the next batch") {
  WriterFixture f(/*max_batch=*/5000);
  auto [store, writer, metrics] = std::tie(f.store, f.writer, f.metrics);
  writer.enqueue(reading_message(0));
  store.wait_started();  // the writer holds its first batch: everything else queues
  for (int n = 1; n <= 1000; ++n) writer.enqueue(reading_message(n));
  const nlohmann::json report = {{"device", "actuator-1"},
                                 {"on", true},
                                 {"press_id", "p1"},
                                 {"button", "button-1"},
                                 {"applied_ts", now_us()}};
  writer.enqueue(
      Message{topics::make("t", topics::Kind::state, "actuator-1"), report.dump(), false, {}});
  CHECK(is_reading_topic("snet/t/reading/actuator-1"));
  CHECK_FALSE(is_reading_topic("snet/reading/state/actuator-1"));  // a topology named reading
  store.open();
  writer.stop();
  const auto batches = store.batches();
  REQUIRE(batches.size() >= 3);
  CHECK(batches[0].readings == 1);
  CHECK(batches[1].records == 1);  // the state report first, past 1000 queued readings
  CHECK(batches[1].readings == 100);
  for (const auto& b : batches) CHECK(b.readings <= 100);
  CHECK(metrics.readings_stored.value() == 1001);
  CHECK(metrics.states_stored.value() == 1);
}

TEST_CASE("the writer writes at once after a quiet spell and gathers what follows into a batch") {
  using namespace std::chrono_literals;
  // A gap far longer than the test: only a full batch or stop() can end a gathering.
  constexpr auto kGap = std::chrono::milliseconds(60'000);
  WriterFixture f(/*max_batch=*/20, kGap);
  auto [store, writer, metrics] = std::tie(f.store, f.writer, f.metrics);
  store.open();  // never held
  const auto start = std::chrono::steady_clock::now();
  writer.enqueue(state_message(0));
  // Nothing was written within the gap before it: written at once, alone.
  REQUIRE(eventually([&] { return metrics.states_stored.value() == 1; }, 10s));
  for (int n = 1; n <= 20; ++n) writer.enqueue(state_message(n));  // one full batch
  REQUIRE(eventually([&] { return metrics.states_stored.value() == 21; }, 10s));
  for (int n = 21; n <= 25; ++n) writer.enqueue(state_message(n));
  writer.stop();  // ends the gathering: what is queued is written before it returns
  CHECK(std::chrono::steady_clock::now() - start < kGap / 2);
  CHECK(metrics.states_stored.value() == 26);
  const auto batches = store.batches();
  REQUIRE(batches.size() == 3);
  CHECK(batches[0].records == 1);
  CHECK(batches[1].records == 20);
  CHECK(batches[2].records == 5);
}
