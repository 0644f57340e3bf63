// The running scenario's contract (ScenarioStatus on snet/<t>/scenario) and how `snet run`
// builds it from its timeline (LiveStatus).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "live_status.hpp"
#include "scenario.hpp"
#include "snet/scenario_status.hpp"
#include "snet/topics.hpp"

using namespace snet;
using nlohmann::json;

namespace {

ScenarioStatus sample() {
  ScenarioStatus s;
  s.name = "site-partition";
  s.description = "cut building-b";
  s.run = "mjk3";
  s.duration_s = 30;
  s.elapsed_s = 12.5;
  s.started = 1764240000000000;
  s.ts = 1764240012500000;
  s.timeline = {{"cut building-b", 8, 18.0, "link", StepState::active},
                {"kill relayer-1", 20, std::nullopt, "service", StepState::pending}};
  s.phase = scenario_phase(s.timeline);
  s.planned = 1200;
  s.sent = 500;
  s.acked = 498;
  s.applied = 400;
  s.pending = 98;
  return s;
}

std::string reason_of(const std::string& payload) {
  try {
    (void)parse_scenario_status(payload);
  } catch (const BadMessage& bad) {
    return bad.reason + ": " + bad.what();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("ScenarioStatus round-trips through JSON, lost only once the run ended") {
  const ScenarioStatus s = sample();
  CHECK(topics::scenario_topic("campus") == "snet/campus/scenario");
  const json doc = json::parse(to_json(s));
  CHECK(doc["state"] == "running");
  CHECK(doc["phase"] == "during cut building-b");
  CHECK(doc["timeline"][0]["until_s"] == 18.0);
  CHECK(doc["timeline"][1]["until_s"].is_null());
  CHECK(doc["timeline"][0]["state"] == "active");
  CHECK(doc["lost"].is_null());
  CHECK(parse_scenario_status(to_json(s)) == s);

  ScenarioStatus done = s;
  done.state = ScenarioState::cancelled;
  done.lost = 3;
  const ScenarioStatus back = parse_scenario_status(to_json(done));
  CHECK(back.state == ScenarioState::cancelled);
  REQUIRE(back.lost);
  CHECK(*back.lost == 3);
  // Only name, duration, elapsed and state are required.
  const auto minimal = parse_scenario_status(
      R"({"name": "x", "duration_s": 5, "elapsed_s": 0, "state": "finished"})");
  CHECK(minimal.timeline.empty());
  CHECK(minimal.sent == 0);
}

TEST_CASE("the phase follows the timeline: before, during the latest window in force, after") {
  std::vector<ScenarioStep> t = {{"a", 1, 5.0, "link", StepState::pending},
                                 {"b", 2, std::nullopt, "service", StepState::pending}};
  CHECK(scenario_phase({}) == "");
  CHECK(scenario_phase(t) == "before a");
  t[0].state = StepState::active;
  CHECK(scenario_phase(t) == "during a");
  t[1].state = StepState::done;  // a single action inside a's window: still during a
  CHECK(scenario_phase(t) == "during a");
  t[0].state = StepState::done;
  CHECK(scenario_phase(t) == "after b");
}

TEST_CASE("bad scenario statuses are refused naming what is wrong") {
  CHECK(reason_of("{not json").rfind("malformed_json", 0) == 0);
  CHECK(reason_of(std::string(kMaxScenarioStatusBytes + 1, ' ')).rfind("oversized", 0) == 0);
  CHECK(reason_of("[1]").find("must be a JSON object") != std::string::npos);
  const json good = json::parse(to_json(sample()));
  auto with = [&](const std::string& pointer, const json& value) {
    json doc = good;
    if (value.is_discarded()) {
      doc.erase(pointer);
    } else {
      doc[json::json_pointer(pointer)] = value;
    }
    return reason_of(doc.dump());
  };
  CHECK(with("name", json::value_t::discarded) == "bad-scenario-status: name is missing");
  CHECK(with("/name", 7) == "bad-scenario-status: name must be a string");
  CHECK(with("/state", "paused") ==
        "bad-scenario-status: state 'paused' is not one of running, finished, cancelled");
  CHECK(with("/duration_s", -1).find("duration_s must be a number of seconds") !=
        std::string::npos);
  CHECK(with("/elapsed_s", "12").find("elapsed_s must be") != std::string::npos);
  CHECK(with("/sent", -5) == "bad-scenario-status: sent must be a count (an integer, 0 or more)");
  CHECK(with("/started", 1.5).find("started must be an integer") != std::string::npos);
  CHECK(with("/timeline", "soon") == "bad-scenario-status: timeline must be a list of steps");
  CHECK(with("/timeline/1/state", "later") ==
        "bad-scenario-status: timeline[1].state 'later' is not one of pending, active, done");
  CHECK(with("/timeline/0/until_s", 2) ==
        "bad-scenario-status: timeline[0].until_s is before at_s");
  CHECK(with("/timeline/0/label", nullptr) == "bad-scenario-status: timeline[0].label is missing");
  CHECK(with("/timeline/0", 3) == "bad-scenario-status: timeline[0] must be an object");
}

TEST_CASE("LiveStatus: the runner's steps and counts become the status") {
  experiment::Scenario scenario;
  scenario.name = "failover";
  scenario.description = "kill one relayer";
  scenario.duration_s = 20;
  experiment::Action cut;
  cut.at_s = 5;
  cut.until_s = 10;
  cut.kind = "link";
  cut.label = "cut b";
  experiment::Action kill;
  kill.at_s = 12;
  kill.kind = "service";
  kill.label = "kill relayer-1";
  scenario.timeline = {cut, kill};

  experiment::LiveStatus live(scenario, "run1", 300);
  live.start(1'000'000);
  ScenarioStatus s = live.at(3'500'000, {10, 9, 8, 1, 0}, ScenarioState::running);
  CHECK(s.name == "failover");
  CHECK(s.run == "run1");
  CHECK(s.planned == 300);
  CHECK(s.elapsed_s == doctest::Approx(2.5));
  CHECK(s.started == 1'000'000);
  CHECK(s.phase == "before cut b");
  CHECK(s.timeline.size() == 2);
  CHECK(s.timeline[0].until_s == 10.0);
  CHECK_FALSE(s.lost);

  live.step(0, false);
  s = live.at(7'000'000, {50, 50, 40, 10, 0}, ScenarioState::running);
  CHECK(s.timeline[0].state == StepState::active);
  CHECK(s.phase == "during cut b");
  CHECK(s.pending == 10);
  live.step(0, true);
  live.step(1, false);
  s = live.at(13'000'000, {80, 80, 80, 0, 1}, ScenarioState::running);
  CHECK(s.timeline[0].state == StepState::done);
  CHECK(s.timeline[1].state == StepState::done);  // a single action is over once carried out
  CHECK(s.phase == "after kill relayer-1");
  CHECK(s.action_errors == 1);
  s = live.at(25'000'000, {100, 100, 98, 2, 1}, ScenarioState::finished);
  CHECK(s.state == ScenarioState::finished);
  REQUIRE(s.lost);
  CHECK(*s.lost == 2);
  CHECK(parse_scenario_status(to_json(s)) == s);
}
