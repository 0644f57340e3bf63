// Bad input on the press path: each kind of bad payload is rejected, counted by reason in the
// service's metrics (read from its retained status topic), and never stops valid presses.
#include <doctest/doctest.h>

#include <map>

#include "emulation.hpp"

using namespace snet;
using namespace snet::test;

namespace {

// Whether every `want` counter has exactly its value in `metrics`.
bool counts_are(const nlohmann::json& metrics, const std::map<std::string, int>& want) {
  for (const auto& [name, value] : want) {
    if (metrics.value(name, -1) != value) return false;
  }
  return true;
}

std::string rejected(const std::string& service, const std::string& reason) {
  return "snet_" + service + "_rejected_total{reason=\"" + reason + "\"}";
}

}  // namespace

TEST_CASE(
    "malformed, oversized, wrong-type and unknown-device presses are counted, valid ones flow") {
  Emulation path("tests/topology/single-builtin.json", "single");
  path.start();
  const std::string huge = R"({"id":")" + std::string(5000, 'x') + R"("})";
  struct Bad {
    std::string device, payload;
  };
  const std::vector<Bad> bad = {
      {"button-1", "{\"id\":"},          // malformed_json
      {"button-2", "not json at all"},   // malformed_json
      {"button-3", huge},                // oversized
      {"button-1", "[1,2,3]"},           // wrong_type: not an object
      {"button-2", R"({"id": 42})"},     // wrong_type: id must be a string
      {"button-3", R"({"ts": "now"})"},  // wrong_type: ts must be microseconds
      {"button-99", "{}"},               // unknown_device
      {"actuator-1", "{}"},              // unknown_device: not a button
  };
  const int rounds = 10;
  for (int round = 0; round < rounds; ++round) {
    for (const auto& b : bad) path.publish(path.topic("press", b.device), b.payload);
    const int n = round % 3 + 1;
    path.publish(path.topic("press", "button-" + std::to_string(n)),
                 R"({"id":"ok-)" + std::to_string(round) + R"("})");
  }
  // As people do it, too.
  REQUIRE(mosquitto_pub(path.mosquitto->port(), path.topic("press", "button-1"), "{oops") == 0);

  for (int round = 0; round < rounds; ++round) {
    const std::string actuator = "actuator-" + std::to_string(round % 3 + 1);
    CHECK_MESSAGE(path.wait_state(actuator, "ok-" + std::to_string(round)), "ok-", round,
                  " was not applied\n", path.logs());
  }
  const std::map<std::string, int> want = {
      {rejected("relayer", "malformed_json"), 2 * rounds + 1},
      {rejected("relayer", "oversized"), rounds},
      {rejected("relayer", "wrong_type"), 3 * rounds},
      {rejected("relayer", "unknown_device"), 2 * rounds},
      {"snet_relayer_presses_total", rounds},
      {"snet_relayer_commands_total", rounds},
  };
  auto metrics = path.wait_status("relayer", 0, [&](const auto& m) { return counts_are(m, want); });
  CHECK_MESSAGE(metrics, (path.wait_status("relayer", 0) ? path.wait_status("relayer", 0)->dump()
                                                         : std::string("no status")));
  const std::string log = path.relayer->log();
  CHECK(log.find("rejected press on snet/single/press/button-99: unknown_device") !=
        std::string::npos);
  CHECK(log.find("rejected press on snet/single/press/button-3: oversized") != std::string::npos);
  CHECK(path.relayer->process().running());
}

TEST_CASE("an actuator rejects and counts bad commands, and applies the good ones after them") {
  Emulation path("tests/topology/single-builtin.json", "single");
  path.start();
  path.publish(path.topic("cmd", "actuator-1"), "{");
  path.publish(path.topic("cmd", "actuator-1"), R"({"on":"yes","press_id":"c1"})");
  path.publish(path.topic("cmd", "actuator-1"), R"({"press_id":"c2"})");
  path.publish(path.topic("cmd", "actuator-1"), R"({"on":true})");
  path.publish(path.topic("cmd", "actuator-1"), std::string(kMaxPayloadBytes + 10, ' '));
  path.publish(path.topic("cmd", "actuator-1"), R"({"on":true,"press_id":"good-1"})");
  auto state = path.wait_state("actuator-1", "good-1");
  REQUIRE_MESSAGE(state, path.logs());
  CHECK(state->on);
  CHECK(path.wait_status("agent", 0, [](const auto& m) {
    return counts_are(m, {{rejected("agent", "malformed_json"), 1},
                          {rejected("agent", "wrong_type"), 1},
                          {rejected("agent", "missing_field"), 2},
                          {rejected("agent", "oversized"), 1},
                          {"snet_agent_commands_applied_total", 1}});
  }));
  CHECK(path.agent->log().find("actuator-1: rejected message on snet/single/cmd/actuator-1") !=
        std::string::npos);
}

TEST_CASE("a retained press is not replayed when the relayer starts") {
  Emulation path("tests/topology/single-builtin.json", "single");
  path.recorder->bus().publish(
      Message{path.topic("press", "button-1"), R"({"id":"stale"})", true, {}}, Qos::at_least_once);
  REQUIRE(path.recorder->wait_for(path.topic("press", "button-1"), "stale"));
  path.start();
  CHECK(path.wait_status("relayer", 0, [](const auto& m) {
    return counts_are(m,
                      {{rejected("relayer", "retained"), 1}, {"snet_relayer_commands_total", 0}});
  }));
  CHECK(path.count_states("actuator-1", "stale") == 0);
}
