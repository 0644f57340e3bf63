// Units of the press path that need no broker: builtin actions, the relayer's view of actuator
// states, press intake checks, the dedupe set and the agent's device selection.
#include <doctest/doctest.h>

#include "builtin_compute.hpp"
#include "device_selection.hpp"
#include "press_intake.hpp"
#include "press_settlement.hpp"
#include "snet/flags.hpp"
#include "snet/recent_ids.hpp"
#include "state_tracker.hpp"

using namespace snet;
using namespace snet::relayer;

namespace {

ComputeRequest request_for(const std::string& action, std::vector<TargetInfo> targets) {
  ComputeRequest request;
  request.action = action;
  request.button = std::string("b");  // (a const char* assignment trips GCC 12 -Wrestrict)
  request.targets = std::move(targets);
  return request;
}

Topology wiring() {
  return parse_topology_text(R"({"name": "t", "devices": [
    {"id": "b1", "kind": "button", "targets": ["a1", "a2"]},
    {"id": "a1", "kind": "actuator"}, {"id": "a2", "kind": "actuator"}]})");
}

std::string reason_of(const Topology& topo, const std::string& button, const Message& m) {
  try {
    accept_press(topo, button, m);
  } catch (const BadMessage& bad) {
    return bad.reason;
  }
  return "accepted";
}

}  // namespace

TEST_CASE("flip_switch turns each target to the opposite of its last known state") {
  const auto result = BuiltinCompute::run(
      request_for("flip_switch", {{"on", true, {}}, {"off", false, {}}, {"unknown", {}, {}}}));
  CHECK(result.error.empty());
  REQUIRE(result.commands.size() == 3);
  CHECK(result.commands[0] == std::pair<std::string, bool>{"on", false});
  CHECK(result.commands[1] == std::pair<std::string, bool>{"off", true});
  CHECK(result.commands[2] == std::pair<std::string, bool>{"unknown", true});
}

TEST_CASE("all_on and all_off set every target, and an unknown action is an error naming it") {
  const std::vector<TargetInfo> targets = {{"x", true, {}}, {"y", false, {}}};
  for (const auto& [action, want] : {std::pair{"all_on", true}, std::pair{"all_off", false}}) {
    const auto result = BuiltinCompute::run(request_for(action, targets));
    REQUIRE(result.commands.size() == 2);
    CHECK(result.commands[0].second == want);
    CHECK(result.commands[1].second == want);
  }
  bool called = false;
  BuiltinCompute().invoke(request_for("dim_lights", targets), [&](ComputeResult result) {
    called = true;
    CHECK(result.commands.empty());
    CHECK(result.error.find("'dim_lights'") != std::string::npos);
    CHECK(result.error.find("flip_switch") != std::string::npos);
  });
  CHECK(called);
}

TEST_CASE("the state tracker follows its own commands until their report comes back") {
  StateTracker states;
  CHECK_FALSE(states.get("a").has_value());
  states.reported("a", true, "");  // retained report at start-up
  CHECK(states.get("a") == true);
  states.commanded("a", false, "p1");
  states.commanded("a", true, "p2");  // a second quick press
  states.reported("a", false, "p1");  // the first press's report is older news
  CHECK(states.get("a") == true);
  states.reported("a", true, "p2");    // confirmation
  states.reported("a", false, "ext");  // afterwards, reports are believed again
  CHECK(states.get("a") == false);
}

TEST_CASE("press intake names the reason of every rejection and fills in id and ts") {
  const Topology topo = wiring();
  CHECK(reason_of(topo, "b1", {"snet/t/press/b1", "", true, {}}) == "retained");
  CHECK(reason_of(topo, "b1",
                  {"snet/t/press/b1", std::string(kMaxPayloadBytes + 1, ' '), false, {}}) ==
        "oversized");
  CHECK(reason_of(topo, "nope", {"snet/t/press/nope", "{}", false, {}}) == "unknown_device");
  CHECK(reason_of(topo, "a1", {"snet/t/press/a1", "{}", false, {}}) == "unknown_device");
  CHECK(reason_of(topo, "b1", {"snet/t/press/b1", "{\"id\":", false, {}}) == "malformed_json");
  CHECK(reason_of(topo, "b1", {"snet/t/press/b1", "[1]", false, {}}) == "wrong_type");
  CHECK(reason_of(topo, "b1", {"snet/t/press/b1", "{\"id\": 7}", false, {}}) == "wrong_type");
  CHECK(reason_of(topo, "b1", {"snet/t/press/b1", "{\"ts\": \"now\"}", false, {}}) == "wrong_type");

  const auto empty = accept_press(topo, "b1", {"snet/t/press/b1", "", false, {}});
  CHECK_FALSE(empty.press.id.empty());
  CHECK(empty.press.ts > 0);
  CHECK(empty.button->id == "b1");
  const auto given =
      accept_press(topo, "b1", {"snet/t/press/b1", R"({"id":"p","ts":5})", false, {}});
  CHECK(given.press.id == "p");
  CHECK(given.press.ts == 5);
}

TEST_CASE("recent ids detect duplicates and forget the oldest beyond their capacity") {
  RecentIds ids(2);
  CHECK(ids.insert("a"));
  CHECK_FALSE(ids.insert("a"));
  CHECK(ids.insert("b"));
  CHECK(ids.insert("c"));  // forgets a
  CHECK(ids.size() == 2);
  CHECK_FALSE(ids.contains("a"));
  CHECK(ids.insert("a"));  // forgets b
  CHECK_FALSE(ids.insert("c"));
  CHECK_FALSE(ids.contains("b"));
}

TEST_CASE("an agent selects devices by id and kind, naming unknown ones") {
  const Topology topo = wiring();
  CHECK(agents::select_devices(topo, "all", "all").size() == 3);
  CHECK(agents::select_devices(topo, "all", "buttons").size() == 1);
  CHECK(agents::select_devices(topo, "all", "actuators").size() == 2);
  CHECK(agents::select_devices(topo, "a2,b1", "all").size() == 2);
  CHECK(agents::select_devices(topo, "a2,b1", "actuators").size() == 1);
  CHECK_THROWS_WITH_AS(agents::select_devices(topo, "a1,zz", "all"), doctest::Contains("'zz'"),
                       UsageError);
  CHECK_THROWS_WITH_AS(agents::select_devices(topo, "all", "lamps"), doctest::Contains("'lamps'"),
                       UsageError);
}

TEST_CASE("a press is acknowledged once everything it published is answered, duplicates with it") {
  relayer::PressLedger ledger;
  int acks = 0;
  auto settlement = ledger.begin("p1", [&] { ++acks; });
  settlement->expect();                           // a command
  settlement->expect();                           // another
  CHECK(ledger.join("p1", [&] { acks += 10; }));  // delivered again meanwhile
  settlement->dispatched();
  settlement->answered();
  CHECK(acks == 0);
  CHECK(ledger.in_progress() == 1);
  settlement->answered();
  CHECK(acks == 11);
  CHECK(ledger.in_progress() == 0);
  CHECK_FALSE(ledger.join("p1", [] {}));  // settled: a later duplicate is acknowledged at once
  auto unanswered = ledger.begin("p2", {});
  CHECK(ledger.in_progress() == 1);  // its compute never answered: never settled
}
