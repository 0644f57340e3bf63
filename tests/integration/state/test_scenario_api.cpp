// A running scenario through snet-state (GET /api/scenario, the WebSocket's `scenario` message
// and snapshot) against a real mosquitto and the real snet-state process. `snet run` is stood in
// for by this test: it publishes ScenarioStatus messages retained on snet/<t>/scenario.
#include <doctest/doctest.h>

#include "snet/scenario_status.hpp"
#include "snet/topics.hpp"
#include "state_stack.hpp"
#include "ws_client.hpp"

using namespace snet;
using namespace snet::test;
using nlohmann::json;

namespace {

ScenarioStatus running_status(double elapsed_s, Micros ts) {
  ScenarioStatus s;
  s.name = "partition";
  s.description = "cut and heal";
  s.run = "run-1";
  s.duration_s = 20;
  s.elapsed_s = elapsed_s;
  s.started = 1764240000000000;
  s.ts = ts;
  s.timeline = {{"cut building-b", 5, 10.0, "link", StepState::active}};
  s.phase = scenario_phase(s.timeline);
  s.sent = 42;
  s.acked = 42;
  s.applied = 30;
  s.pending = 12;
  return s;
}

}  // namespace

TEST_CASE("a scenario's status is served by GET /api/scenario and pushed on the WebSocket") {
  StateStack stack;
  const std::string topic = topics::scenario_topic("single");
  const auto none = stack.get("/api/scenario");
  CHECK(none.status == 404);
  CHECK(none.body.find("no scenario has run") != std::string::npos);
  WsClient early(stack.http_port());
  const auto first = early.read_until([](const json& m) { return m["type"] == "snapshot"; });
  REQUIRE(first);
  CHECK((*first)["scenario"].is_null());

  Recorder runner(stack.broker().url(), {});
  publish_retained(runner, topic, to_json(running_status(6, 1764240006000000)));
  const auto pushed = early.read_until([](const json& m) { return m["type"] == "scenario"; });
  REQUIRE(pushed);
  CHECK((*pushed)["scenario"]["name"] == "partition");
  CHECK((*pushed)["scenario"]["phase"] == "during cut building-b");
  CHECK((*pushed)["scenario"]["timeline"][0]["until_s"] == 10.0);
  CHECK((*pushed)["scenario"]["pending"] == 12);
  json served = stack.get_json("/api/scenario");
  CHECK(served["state"] == "running");
  CHECK(served["elapsed_s"] == 6.0);
  CHECK(served["started"] == 1764240000000000);

  // A page opened mid-run gets it in its snapshot.
  WsClient late(stack.http_port());
  const auto snapshot = late.read_until([](const json& m) { return m["type"] == "snapshot"; });
  REQUIRE(snapshot);
  CHECK((*snapshot)["scenario"]["name"] == "partition");

  // A bad status is counted and ignored: the good one stays.
  publish_retained(runner, topic, R"({"name": "partition", "duration_s": 20})");
  publish_retained(runner, topic, "{not json");
  CHECK(eventually([&] {
    return stack.metric("snet_state_rejected_total{reason=\"bad-scenario-status\"}") == 1 &&
           stack.metric("snet_state_rejected_total{reason=\"malformed_json\"}") == 1;
  }));
  CHECK(stack.get_json("/api/scenario")["elapsed_s"] == 6.0);
  CHECK(stack.log().find("elapsed_s is missing") != std::string::npos);

  // Within one run an older status (a retained copy seen late) does not replace a newer one.
  publish_retained(runner, topic, to_json(running_status(8, 1764240008000000)));
  CHECK(eventually([&] { return stack.get_json("/api/scenario")["elapsed_s"] == 8.0; }));
  publish_retained(runner, topic, to_json(running_status(7, 1764240007000000)));
  ScenarioStatus done = running_status(21, 1764240021000000);
  done.state = ScenarioState::finished;
  done.timeline[0].state = StepState::done;
  done.phase = scenario_phase(done.timeline);
  done.pending = 0;
  done.lost = 0;
  publish_retained(runner, topic, to_json(done));
  const auto finished = early.read_until([](const json& m) {
    return m["type"] == "scenario" && m["scenario"]["state"] == "finished";
  });
  REQUIRE(finished);
  CHECK((*finished)["scenario"]["phase"] == "after cut building-b");
  CHECK((*finished)["scenario"]["lost"] == 0);
  served = stack.get_json("/api/scenario");
  CHECK(served["state"] == "finished");
  CHECK(served["elapsed_s"] == 21.0);

  // The broker retains the last one: a restarted state service shows it again.
  stack.stop_state();
  stack.start_state();
  CHECK(eventually([&] { return stack.get_json("/api/scenario")["state"] == "finished"; }));
  CHECK(stack.get("/healthz").status == 200);
}
