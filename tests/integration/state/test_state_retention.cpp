// Retention in the running service: a flood of state reports beyond --history-max-rows leaves
// a bounded history with the newest records, counted in /metrics, and the current states.
#include <doctest/doctest.h>

#include <future>

#include "snet/clock.hpp"
#include "snet/topics.hpp"
#include "state_stack.hpp"

using namespace snet;
using namespace snet::test;
using namespace std::chrono_literals;

TEST_CASE("a flood beyond --history-max-rows keeps the history bounded and the newest") {
  StateStack stack(source_path("tests/topology/single-builtin.json"),
                   {"--history-max-rows", "100", "--history-max-age", "1d"});
  constexpr int kReports = 3000;
  std::promise<void> all_acked;
  std::atomic<int> acked{0};
  Recorder client(stack.broker().url(), {});  // after what its callbacks use: gone before it
  for (int n = 0; n < kReports; ++n) {
    const std::string device = "actuator-" + std::to_string(n % 3 + 1);
    const nlohmann::json report = {{"device", device},
                                   {"on", n % 2 == 0},
                                   {"press_id", "f" + std::to_string(n)},
                                   {"button", "button-1"},
                                   {"applied_ts", now_us()}};
    client.bus().publish(
        Message{topics::make("single", topics::Kind::state, device), report.dump(), false, {}},
        Qos::at_least_once, [&](bool, const std::string&) {
          if (++acked == kReports) all_acked.set_value();
        });
  }
  REQUIRE(all_acked.get_future().wait_for(30s) == std::future_status::ready);
  REQUIRE(
      eventually([&] { return stack.metric("snet_state_states_stored_total") == kReports; }, 30s));
  // The writer prunes between its batches (rounds sized to what was written since the last),
  // and once a second when idle: then the cap holds exactly.
  CHECK(eventually(
      [&] {
        return stack.metric("snet_state_history_pruned_total{reason=\"rows\"}") == kReports - 100;
      },
      10s));
  CHECK(stack.metric("snet_state_history_rows") == 100);
  CHECK(stack.metric("snet_state_history_pruned_total{reason=\"age\"}") == 0);
  CHECK(stack.metric("snet_state_db_bytes") > 0);

  const auto events = stack.get_json("/api/events?limit=1000")["events"];
  CHECK(events.size() == 100);

  REQUIRE(!events.empty());
  CHECK(events[0]["press_id"] == "f" + std::to_string(kReports - 1));
  // Every device keeps its current state, also across a restart.
  CHECK(stack.get_json("/api/devices/actuator-1")["press_id"] ==
        "f" + std::to_string(kReports - 3));
  stack.stop_state();
  stack.start_state();
  CHECK(stack.get_json("/api/devices/actuator-2")["press_id"] ==
        "f" + std::to_string(kReports - 2));
  CHECK(stack.get_json("/api/devices/actuator-3")["updated"] == true);
}
