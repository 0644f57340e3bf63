// What the live feed sends and when: a writer's commit is counted before any client is sent
// it (LiveFeed::apply_commit), and changes in quick succession arrive coalesced, in order, the
// latest state of each device last.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "live_feed.hpp"
#include "snet/metrics.hpp"
#include "snet/topology.hpp"

using namespace snet;
using namespace snet::state;
using namespace std::chrono_literals;

namespace {

// Records what it is sent and on which thread.
class RecordingClient : public http::WebSocket {
 public:
  void send(std::shared_ptr<const std::string> text) override {
    std::lock_guard lock(mutex_);
    messages_.push_back(nlohmann::json::parse(*text));
    threads_.push_back(std::this_thread::get_id());
    counts_.push_back(count_ != nullptr ? count_->load() : 0);
  }
  // Read at every send: what the test's counter said then.
  void watch(const std::atomic<int>* count) { count_ = count; }

  // actuator-1's press ids sent, each with the watched count at the time it was sent.
  std::vector<std::pair<std::string, int>> sent_with_count() const {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, int>> out;
    for (std::size_t i = 0; i < messages_.size(); ++i) {
      if (messages_[i]["type"] != "states") continue;
      for (const auto& item : messages_[i]["items"]) {
        if (item["id"] == "actuator-1") out.emplace_back(item["press_id"], counts_[i]);
      }
    }
    return out;
  }
  void close() override {}
  std::uint64_t id() const override { return 1; }
  const std::string& target() const override { return target_; }

  // The "states" messages so far, with the thread each was sent on.
  std::vector<std::pair<nlohmann::json, std::thread::id>> states() const {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<nlohmann::json, std::thread::id>> out;
    for (std::size_t i = 0; i < messages_.size(); ++i) {
      if (messages_[i]["type"] == "states") out.emplace_back(messages_[i], threads_[i]);
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<nlohmann::json> messages_;
  std::vector<std::thread::id> threads_;
  std::vector<int> counts_;
  const std::atomic<int>* count_ = nullptr;
  std::string target_ = "/ws";
};

EventRecord state_report(const std::string& device, bool on, const std::string& press_id,
                         std::int64_t seq) {
  EventRecord r;
  r.seq = seq;
  r.kind = EventKind::state;
  r.device = device;
  r.on = on;
  r.press_id = press_id;
  r.applied_ts = seq;
  r.stored_ts = now_us();
  return r;
}

}  // namespace

TEST_CASE("live feed: a commit is counted before a client is sent it") {
  const Topology topology = load_topology(test::source_path("topology/single.json"));
  Metrics registry;
  StateMetrics metrics(registry);
  LiveFeed feed(
      topology, metrics, [] { return nlohmann::json::object(); }, 40ms);
  auto client = std::make_shared<RecordingClient>();
  feed.open(client);

  std::atomic<int> counted{0};
  client->watch(&counted);
  for (int i = 1; i <= 50; ++i) {
    const std::string press = "p" + std::to_string(1000 + i);
    feed.apply_commit({state_report("actuator-1", i % 2 == 0, press, i)}, {}, [&] {
      // Slow counters: a flush that did not wait for them would send this state first.
      std::this_thread::sleep_for(200us);
      counted = i;
    });
    // The REST view has it once apply_commit returned.
    CHECK(feed.device("actuator-1").value()["press_id"] == press);
  }
  feed.stop();
  // Every state a client was sent had been counted when it was sent.
  const auto sent = client->sent_with_count();
  REQUIRE(!sent.empty());
  for (const auto& [press_id, count_then] : sent) {
    CAPTURE(press_id);
    CHECK(std::stoi(press_id.substr(1)) - 1000 <= count_then);
  }
}

TEST_CASE("live feed: changes right after a flush still arrive, in order, the latest last") {
  const Topology topology = load_topology(test::source_path("topology/single.json"));
  Metrics registry;
  StateMetrics metrics(registry);
  LiveFeed feed(
      topology, metrics, [] { return nlohmann::json::object(); }, 40ms);
  auto client = std::make_shared<RecordingClient>();
  feed.open(client);

  // The first is sent at once; the next ones (usually) find the last flush within the gap and
  // wait for the flush thread, which coalesces them per device.
  feed.apply({state_report("actuator-1", true, "p1", 1)});
  feed.apply({state_report("actuator-1", false, "p2", 2)});
  feed.apply(
      {state_report("actuator-1", true, "p3", 3), state_report("actuator-2", true, "p4", 4)});

  // Bounded wait for the flush thread (the gap is at most 40 ms).
  auto latest = [&](const std::string& device) {
    std::string press_id;
    for (const auto& [message, thread] : client->states()) {
      for (const auto& item : message["items"]) {
        if (item["id"] == device) press_id = item["press_id"];
      }
    }
    return press_id;
  };
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while ((latest("actuator-1") != "p3" || latest("actuator-2") != "p4") &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  CHECK(latest("actuator-1") == "p3");
  CHECK(latest("actuator-2") == "p4");
  feed.stop();

  const auto sent = client->states();
  REQUIRE(!sent.empty());
  CHECK(sent.size() <= 3);
  // Never an older state after a newer one; each device at most once per message.
  std::string previous;
  for (const auto& [message, thread] : sent) {
    std::set<std::string> ids;
    for (const auto& item : message["items"]) {
      CHECK(ids.insert(item["id"].get<std::string>()).second);
      if (item["id"] == "actuator-1") {
        CHECK(item["press_id"].get<std::string>() > previous);
        previous = item["press_id"];
      }
    }
  }
}
