// Sensor readings in the running state service: published by an independent client on
// snet/<t>/reading/<device>, stored (a time series in state.db), served by
// GET /api/devices/{id}/readings and as the latest per capability in the device's JSON,
// pushed on the WebSocket feed, pruned by --readings-max-rows/-age; bad ones refused by name.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <thread>

#include "snet/clock.hpp"
#include "snet/topics.hpp"
#include "state_stack.hpp"
#include "ws_client.hpp"

using namespace snet;
using namespace snet::test;
using namespace std::chrono_literals;

namespace {

nlohmann::json reading(const std::string& device, const std::string& capability, double value,
                       long long seq, long long ts, const std::string& unit = "C") {
  return {{"device", device}, {"capability", capability},
          {"value", value},   {"unit", unit},
          {"seq", seq},       {"ts", ts}};
}

// Publishes at QoS 1 on the device's reading topic (or `topic_device`'s) and waits (bounded)
// for the broker's acknowledgements of all.
void publish_all(Recorder& client, const std::vector<std::pair<std::string, std::string>>& msgs) {
  std::promise<void> done;
  std::atomic<std::size_t> acked{0};
  for (const auto& [device, payload] : msgs) {
    client.bus().publish(
        Message{topics::make("single", topics::Kind::reading, device), payload, false, {}},
        Qos::at_least_once, [&](bool, const std::string&) {
          if (++acked == msgs.size()) done.set_value();
        });
  }
  REQUIRE(done.get_future().wait_for(30s) == std::future_status::ready);
}

}  // namespace

TEST_CASE("readings are stored and served newest last, the latest per capability in the device") {
  StateStack stack;
  Recorder client(stack.broker().url(), {});
  const long long base = now_us() - 1'000'000;
  std::vector<std::pair<std::string, std::string>> msgs;
  for (int i = 0; i < 5; ++i) {
    msgs.emplace_back(
        "actuator-1",
        reading("actuator-1", "temperature", 20.5 + i, i + 1, base + i * 1000).dump());
  }
  msgs.emplace_back("actuator-1",
                    reading("actuator-1", "humidity", 41, 6, base + 2500, "%").dump());
  publish_all(client, msgs);
  REQUIRE(eventually([&] { return stack.metric("snet_state_readings_stored_total") == 6; }));

  auto all = stack.get_json("/api/devices/actuator-1/readings")["readings"];
  REQUIRE(all.size() == 6);
  CHECK(all[0]["value"] == 20.5);
  CHECK(all[0]["ts"] == base);
  CHECK(all[0]["unit"] == "C");
  CHECK(all[0]["seq"] == 1);
  CHECK(all[0]["received_ts"].get<long long>() >= base);
  CHECK(all[3]["capability"] == "humidity");  // in the order measured
  CHECK(all[5]["value"] == 24.5);

  auto newest = stack.get_json("/api/devices/actuator-1/readings?limit=2")["readings"];
  REQUIRE(newest.size() == 2);
  CHECK(newest[0]["value"] == 23.5);
  CHECK(newest[1]["value"] == 24.5);  // newest last

  auto after =
      stack.get_json("/api/devices/actuator-1/readings?since=" + std::to_string(base + 2000) +
                     "&limit=2")["readings"];
  REQUIRE(after.size() == 2);  // the first two measured after `since`
  CHECK(after[0]["capability"] == "humidity");
  CHECK(after[1]["value"] == 23.5);

  const auto capped = stack.get_json("/api/devices/actuator-1/readings?limit=99999999");
  CHECK(capped["limit"] == 10000);
  CHECK(capped["readings"].size() == 6);
  CHECK(stack.get_json("/api/devices/actuator-2/readings")["readings"].empty());

  auto device = stack.get_json("/api/devices/actuator-1");
  CHECK(device["readings"]["temperature"]["value"] == 24.5);
  CHECK(device["readings"]["temperature"]["seq"] == 5);
  CHECK(device["readings"]["humidity"]["unit"] == "%");
  CHECK_FALSE(stack.get_json("/api/devices/actuator-2").contains("readings"));

  // Stored, not just held: after a restart the latest comes from state.db.
  stack.stop_state();
  stack.start_state();
  device = stack.get_json("/api/devices/actuator-1");
  CHECK(device["readings"]["temperature"]["value"] == 24.5);
  CHECK(stack.get_json("/api/devices/actuator-1/readings")["readings"].size() == 6);
}

TEST_CASE("GET readings refuses bad parameters by name and unknown devices") {
  StateStack stack;
  struct Case {
    std::string query, names;
  };
  for (const Case& c :
       {Case{"limit=0", "limit"}, Case{"limit=ten", "limit"}, Case{"limit=-3", "limit"},
        Case{"since=-1", "since"}, Case{"since=yesterday", "since"}, Case{"since=12x", "since"},
        Case{"from=1", "'from'"}}) {
    CAPTURE(c.query);
    const auto r = stack.get("/api/devices/actuator-1/readings?" + c.query);
    CHECK(r.status == 400);
    CHECK(r.body.find(c.names) != std::string::npos);
  }
  const auto unknown = stack.get("/api/devices/ghost/readings");
  CHECK(unknown.status == 404);
  CHECK(unknown.body.find("ghost") != std::string::npos);
}

TEST_CASE("malformed readings and readings of unknown devices are refused, counted and logged") {
  StateStack stack;
  Recorder client(stack.broker().url(), {});
  const long long ts = now_us();
  publish_all(client, {{"ghost", reading("ghost", "temperature", 1, 1, ts).dump()},
                       {"actuator-1", reading("actuator-2", "temperature", 1, 1, ts).dump()},
                       {"actuator-1", R"({"device":"actuator-1","capability":"t","value":"hot"})"},
                       {"actuator-1", R"({"device":"actuator-1","capability":"t"})"},
                       {"actuator-1", R"({"device":"actuator-1","capability":"","value":1})"},
                       {"actuator-1", "{not json"},
                       {"actuator-1", reading("actuator-1", std::string(65, 'c'), 1, 1, ts).dump()},
                       {"actuator-1", reading("actuator-1", "temperature", 7.5, 1, ts).dump()}});
  // The good one after the bad ones is stored: nothing stopped the writer.
  REQUIRE(eventually([&] { return stack.metric("snet_state_readings_stored_total") == 1; }));
  CHECK(stack.metric("snet_state_readings_received_total") == 8);
  CHECK(stack.metric("snet_state_rejected_total{reason=\"unknown_device\"}") == 1);
  CHECK(stack.metric("snet_state_rejected_total{reason=\"device_mismatch\"}") == 1);
  CHECK(stack.metric("snet_state_rejected_total{reason=\"wrong_type\"}") == 1);
  CHECK(stack.metric("snet_state_rejected_total{reason=\"missing_field\"}") == 2);
  CHECK(stack.metric("snet_state_rejected_total{reason=\"malformed_json\"}") == 1);
  CHECK(stack.metric("snet_state_rejected_total{reason=\"bad_capability\"}") == 1);
  const std::string log = stack.log();
  CHECK(log.find("snet/single/reading/ghost: unknown_device: device 'ghost' is not in the "
                 "topology") != std::string::npos);
  CHECK(log.find("field 'value' must be a finite number") != std::string::npos);
  CHECK(log.find("payload device 'actuator-2' differs") != std::string::npos);
  CHECK(stack.get_json("/api/devices/actuator-1/readings")["readings"].size() == 1);
  CHECK(stack.get("/api/devices/ghost/readings").status == 404);
}

TEST_CASE("readings beyond --readings-max-rows are pruned oldest first") {
  StateStack stack(source_path("tests/topology/single-builtin.json"),
                   {"--readings-max-rows", "50", "--readings-max-age", "1d"});
  Recorder client(stack.broker().url(), {});
  constexpr int kReadings = 500;
  const long long base = now_us() - 10'000'000;
  std::vector<std::pair<std::string, std::string>> msgs;
  for (int i = 0; i < kReadings; ++i) {
    msgs.emplace_back("actuator-3",
                      reading("actuator-3", "power", i, i + 1, base + i * 10, "W").dump());
  }
  publish_all(client, msgs);
  REQUIRE(eventually([&] { return stack.metric("snet_state_readings_stored_total") == kReadings; },
                     20s));
  CHECK(eventually(
      [&] {
        return stack.metric("snet_state_readings_pruned_total{reason=\"rows\"}") == kReadings - 50;
      },
      10s));
  CHECK(stack.metric("snet_state_readings_rows") == 50);
  CHECK(stack.metric("snet_state_readings_pruned_total{reason=\"age\"}") == 0);
  CHECK(stack.metric("snet_state_history_pruned_total{reason=\"rows\"}") == 0);
  const auto kept = stack.get_json("/api/devices/actuator-3/readings?limit=1000")["readings"];
  REQUIRE(kept.size() == 50);
  CHECK(kept.front()["value"] == kReadings - 50);
  CHECK(kept.back()["value"] == kReadings - 1);
  CHECK(stack.get_json("/api/devices/actuator-3")["readings"]["power"]["value"] == kReadings - 1);
}

TEST_CASE("readings older than --readings-max-age are pruned, the newest stays") {
  StateStack stack(source_path("tests/topology/single-builtin.json"),
                   {"--readings-max-age", "1s", "--readings-max-rows", "0"});
  Recorder client(stack.broker().url(), {});
  std::vector<std::pair<std::string, std::string>> msgs;
  for (int i = 0; i < 20; ++i) {
    msgs.emplace_back("actuator-2", reading("actuator-2", "lux", i, i + 1, now_us()).dump());
  }
  publish_all(client, msgs);
  REQUIRE(eventually([&] { return stack.metric("snet_state_readings_stored_total") == 20; }));
  // Age is by arrival; an idle round runs once a second.
  CHECK(eventually(
      [&] { return stack.metric("snet_state_readings_pruned_total{reason=\"age\"}") == 19; }, 10s));
  CHECK(stack.metric("snet_state_readings_rows") == 1);
  const auto kept = stack.get_json("/api/devices/actuator-2/readings")["readings"];
  REQUIRE(kept.size() == 1);
  CHECK(kept[0]["value"] == 19);
}

TEST_CASE("readings are pushed on the WebSocket feed, batched, and in the snapshot") {
  StateStack stack;
  Recorder client(stack.broker().url(), {});
  WsClient ws(stack.http_port());
  REQUIRE(ws.read_until([](const auto& m) { return m.value("type", "") == "snapshot"; }));
  const long long ts = now_us();
  std::vector<std::pair<std::string, std::string>> msgs;
  for (int i = 0; i < 50; ++i) {
    msgs.emplace_back("actuator-1",
                      reading("actuator-1", "temperature", 10 + i, i + 1, ts + i).dump());
  }
  publish_all(client, msgs);
  std::vector<nlohmann::json> items;
  int messages = 0;
  while (items.size() < 50) {
    const auto m =
        ws.read_until([](const auto& msg) { return msg.value("type", "") == "readings"; });
    REQUIRE(m);
    ++messages;
    for (const auto& item : (*m)["items"]) items.push_back(item);
  }
  CHECK(items.size() == 50);
  CHECK(messages < 50);  // batched per flush, not one message per reading
  // [device, capability, value, unit, seq, ts]
  CHECK(items.back() ==
        nlohmann::json::array({"actuator-1", "temperature", 59.0, "C", 50, ts + 49}));
  WsClient later(stack.http_port());
  const auto snapshot =
      later.read_until([](const auto& m) { return m.value("type", "") == "snapshot"; });
  REQUIRE(snapshot);
  bool found = false;
  for (const auto& d : (*snapshot)["devices"]) {
    if (d["id"] == "actuator-1") {
      found = true;
      CHECK(d["readings"]["temperature"]["value"] == 59.0);
    }
  }
  CHECK(found);
}

namespace {

struct Latencies {
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

// Publishes `count` state reports, one every 5 ms, each stamped applied_ts = now, and returns
// how long each took from that stamp to its commit (stored_ts), from GET /api/events.
Latencies state_report_latencies(StateStack& stack, Recorder& client, const std::string& tag,
                                 int count) {
  for (int i = 0; i < count; ++i) {
    const std::string device = "actuator-" + std::to_string(i % 3 + 1);
    const nlohmann::json report = {{"device", device},
                                   {"on", i % 2 == 0},
                                   {"press_id", tag + std::to_string(i)},
                                   {"button", "button-1"},
                                   {"applied_ts", now_us()}};
    client.bus().publish(
        Message{topics::make("single", topics::Kind::state, device), report.dump(), false, {}},
        Qos::at_least_once);
    std::this_thread::sleep_for(5ms);  // pacing the publisher, not waiting for a result
  }
  std::vector<double> ms;
  const bool all = eventually(
      [&] {
        ms.clear();
        const auto events = stack.get_json("/api/events?kind=state&limit=1000");
        for (const auto& e : events["events"]) {
          if (e["press_id"].get<std::string>().rfind(tag, 0) != 0) continue;
          ms.push_back(static_cast<double>(e["stored_ts"].get<long long>() -
                                           e["applied_ts"].get<long long>()) /
                       1000.0);
        }
        return static_cast<int>(ms.size()) == count;
      },
      60s);
  INFO("stored ", ms.size(), " of ", count, " ", tag, " state reports; stored in all ",
       stack.metric("snet_state_states_stored_total"));
  REQUIRE(all);
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[static_cast<std::size_t>(q * (ms.size() - 1))]; };
  return {at(0.5), at(0.99), ms.back()};
}

}  // namespace

TEST_CASE("a flood of readings is stored fast and does not starve state reports") {
  StateStack stack;
  Recorder states(stack.broker().url(), {});
  Recorder sensors(stack.broker().url(), {});
  const Latencies quiet = state_report_latencies(stack, states, "quiet-", 200);

  constexpr int kReadings = 60'000;
  std::atomic<int> acked{0};
  std::promise<void> all_acked;
  const long long base = now_us();
  const auto start = std::chrono::steady_clock::now();
  std::thread flood([&] {
    for (int n = 0; n < kReadings; ++n) {
      const std::string device = "actuator-" + std::to_string(n % 3 + 1);
      sensors.bus().publish(Message{topics::make("single", topics::Kind::reading, device),
                                    reading(device, "power", n, n + 1, base + n).dump(),
                                    false,
                                    {}},
                            Qos::at_least_once, [&](bool, const std::string&) {
                              if (++acked == kReadings) all_acked.set_value();
                            });
    }
  });
  const Latencies busy = state_report_latencies(stack, states, "busy-", 200);
  flood.join();
  REQUIRE(all_acked.get_future().wait_for(60s) == std::future_status::ready);
  REQUIRE(eventually([&] { return stack.metric("snet_state_readings_stored_total") == kReadings; },
                     60s));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE("readings: ", kReadings, " stored in ", seconds, " s (", kReadings / seconds,
          " readings/s, publish to commit, one publisher; ",
          stack.metric("snet_state_store_write_batches_total"),
          " write transactions); state report applied -> stored: quiet "
          "p50 ",
          quiet.p50_ms, " ms, p99 ", quiet.p99_ms, " ms; during the flood p50 ", busy.p50_ms,
          " ms, p99 ", busy.p99_ms, " ms, max ", busy.max_ms, " ms");
  CHECK(stack.metric("snet_state_readings_shed_total") == 0);
  CHECK(stack.metric("snet_state_states_stored_total") == 400);
  // Bounded: state reports wait for at most a chunk of readings in the writer (and the broker's
  // queue in front of it), not for the flood.
  CHECK(busy.p99_ms < 500);
}
