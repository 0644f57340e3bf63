// Durability and robustness of snet-state: state survives a restart; bad input is rejected,
// counted and logged while good input keeps being stored.
#include <doctest/doctest.h>

#include "snet/clock.hpp"
#include "snet/message.hpp"
#include "snet/topics.hpp"
#include "state_stack.hpp"

using namespace snet;
using namespace snet::test;

TEST_CASE("a restart of snet-state keeps every device's state and the history (SQLite)") {
  StateStack stack;
  stack.publish_state("actuator-1", true, "p-on");
  stack.publish_state("actuator-2", false, "p-off");
  stack.publish_state("actuator-1", false, "p-last");
  REQUIRE(eventually([&] { return stack.metric("snet_state_states_stored_total") == 3; }));

  stack.stop_state();
  stack.start_state();
  const auto a1 = stack.get_json("/api/devices/actuator-1");
  CHECK(a1["updated"] == true);
  CHECK(a1["on"] == false);
  CHECK(a1["press_id"] == "p-last");
  const auto a2 = stack.get_json("/api/devices/actuator-2");
  CHECK(a2["on"] == false);
  CHECK(a2["press_id"] == "p-off");
  CHECK(stack.get_json("/api/devices/actuator-3")["updated"] == false);
  CHECK(stack.get_json("/api/events")["events"].size() == 3);
  CHECK(stack.metric("snet_state_states_stored_total") == 0);  // a new process: fresh counters

  // It keeps storing after the restart.
  stack.publish_state("actuator-3", true, "p-new");
  CHECK(eventually([&] { return stack.get_json("/api/devices/actuator-3")["updated"] == true; }));
}

TEST_CASE(
    "malformed, oversized and unknown-device states are counted while valid ones are stored") {
  StateStack stack;
  const int port = stack.broker().port();
  const std::string a1 = topics::make("single", topics::Kind::state, "actuator-1");
  const std::string valid = R"({"device":"actuator-1","on":true,"press_id":"v)";
  struct Bad {
    std::string topic, payload, reason;
  };
  const std::vector<Bad> bad = {
      {a1, "{not json", "malformed_json"},
      {a1, "[1,2]", "wrong_type"},
      {a1, R"({"device":"actuator-1","on":"yes"})", "wrong_type"},
      {a1, R"({"device":"actuator-1"})", "missing_field"},
      {a1,
       R"({"device":"actuator-1","on":true,"pad":")" + std::string(kMaxPayloadBytes, 'x') + "\"}",
       "oversized"},
      {topics::make("single", topics::Kind::state, "ghost"), R"({"device":"ghost","on":true})",
       "unknown_device"},
      {a1, R"({"device":"actuator-2","on":true})", "device_mismatch"},
      {a1, R"({"device":"actuator-1","on":true,"applied_ts":-1})", "bad_timestamp"},
      {topics::make("single", topics::Kind::state, "button-1"),
       R"({"device":"button-1","on":true})", "not_an_actuator"},
  };
  std::map<std::string, int> expected;
  int round = 0;
  for (int repeat = 0; repeat < 3; ++repeat) {
    for (const auto& b : bad) {
      REQUIRE(mosquitto_pub(port, b.topic, b.payload) == 0);
      ++expected[b.reason];
      // Valid reports interleaved with the bad ones are all stored.
      REQUIRE(mosquitto_pub(port, a1, valid + std::to_string(round++) + "\"}") == 0);
    }
  }
  REQUIRE(eventually([&] { return stack.metric("snet_state_states_stored_total") == round; }));
  for (const auto& [reason, count] : expected) {
    CHECK_MESSAGE(stack.metric("snet_state_rejected_total{reason=\"" + reason + "\"}") == count,
                  reason);
  }
  CHECK(stack.get_json("/api/devices/actuator-1")["press_id"] == "v" + std::to_string(round - 1));
  CHECK(stack.get("/healthz").status == 200);
  // Each rejection is logged with its topic and reason.
  const std::string log = stack.log();
  CHECK(log.find("rejected message on snet/single/state/ghost: unknown_device") !=
        std::string::npos);
  CHECK(log.find("rejected message on " + a1 + ": oversized") != std::string::npos);
}

TEST_CASE("two topologies that share a data dir do not see each other's history") {
  StateStack single;  // topology "single": actuator-1..3
  StateStack wiring(source_path("tests/topology/wiring-builtin.json"),
                    {"--data-dir", single.data_dir()});  // the same state.db
  single.publish_state("actuator-1", true, "p-single");
  wiring.publish_state("lamp-1", true, "p-wiring");
  REQUIRE(eventually([&] {
    return single.metric("snet_state_states_stored_total") == 1 &&
           wiring.metric("snet_state_states_stored_total") == 1;
  }));
  const auto of_single = single.get_json("/api/events")["events"];
  const auto of_wiring = wiring.get_json("/api/events")["events"];
  REQUIRE(of_single.size() == 1);
  CHECK(of_single[0]["device"] == "actuator-1");
  REQUIRE(of_wiring.size() == 1);
  CHECK(of_wiring[0]["device"] == "lamp-1");
  CHECK(wiring.get_json("/api/events?device=actuator-1")["events"].empty());

  // After a restart each loads its own current states only.
  single.stop_state();
  single.start_state();
  CHECK(single.get_json("/api/devices/actuator-1")["press_id"] == "p-single");
  CHECK(single.get_json("/api/events")["events"].size() == 1);
}
