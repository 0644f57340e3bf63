// The whole press path with the real services: mosquitto, snet-agent (buttons and actuators),
// snet-relayer (builtin flip_switch) and snet-state, each its own process.
#include <doctest/doctest.h>

#include <filesystem>

#include "state_stack.hpp"
#include "ws_client.hpp"

using namespace snet;
using namespace snet::test;

namespace {

// The relayer and the agents next to the state service, all reporting their status quickly.
struct FullStack {
  FullStack() {
    for (const char* program : {"snet-relayer", "snet-agent"}) {
      REQUIRE_MESSAGE(std::filesystem::exists(built_program(program)),
                      program << " is not built (cmake --build --target " << program << ")");
    }
    const std::vector<std::string> common = {"--broker-url",   stack.broker().url(),   "--topology",
                                             stack.topology(), "--status-interval-ms", "200"};
    relayer = std::make_unique<Service>("snet-relayer", common);
    agent = std::make_unique<Service>("snet-agent", common);
    // Ready when both say so through the state service's own health view.
    const bool up = eventually(
        [&] {
          const auto services = stack.get_json("/api/health")["services"];
          auto online = [&](const char* s) {
            return services.contains(s) && services[s].value("online", false);
          };
          return online("relayer") && online("agent");
        },
        15s);
    REQUIRE_MESSAGE(up, "relayer log:\n" << relayer->log() << "\nagent log:\n" << agent->log());
  }

  StateStack stack;
  std::unique_ptr<Service> relayer, agent;
};

bool has_state(const nlohmann::json& m, const std::string& device, const std::string& press_id) {
  if (m.value("type", "") != "states") return false;
  for (const auto& item : m["items"]) {
    if (item["id"] == device && item.value("press_id", "") == press_id) return true;
  }
  return false;
}

nlohmann::json item_of(const nlohmann::json& m, const std::string& device) {
  for (const auto& item : m["items"]) {
    if (item["id"] == device) return item;
  }
  return {};
}

}  // namespace

TEST_CASE("end to end: a mosquitto_pub press flips the target, seen through WebSocket and REST") {
  FullStack full;
  StateStack& stack = full.stack;
  WsClient ws(stack.http_port());
  REQUIRE(ws.read_until([](const auto& m) { return m.value("type", "") == "snapshot"; }));

  bool previous = false;
  for (int i = 1; i <= 2; ++i) {
    const std::string press_id = "e2e-pub-" + std::to_string(i);
    REQUIRE(mosquitto_pub(stack.broker().port(), "snet/single/press/button-1",
                          "{\"id\":\"" + press_id + "\"}") == 0);
    const auto delta =
        ws.read_until([&](const auto& m) { return has_state(m, "actuator-1", press_id); }, 5s);
    REQUIRE_MESSAGE(delta, "no state for " << press_id << "\nrelayer:\n"
                                           << full.relayer->log() << "\nagent:\n"
                                           << full.agent->log());
    const auto item = item_of(*delta, "actuator-1");
    CHECK(item["button"] == "button-1");
    if (i == 2) CHECK(item["on"] != previous);  // flip_switch: the opposite of the last state
    previous = item["on"];

    const auto rest = stack.get_json("/api/devices/actuator-1");
    CHECK(rest["press_id"] == press_id);
    CHECK(rest["on"] == previous);
    // Every hop stamped its time, in order.
    CHECK(rest["press_ts"].get<long long>() > 0);
    CHECK(rest["press_ts"] <= rest["relay_ts"]);
    CHECK(rest["relay_ts"] <= rest["applied_ts"]);
    CHECK(rest["applied_ts"] <= rest["stored_ts"]);
  }
  const auto events = stack.get_json("/api/events?device=actuator-1")["events"];
  REQUIRE(events.size() >= 2);
  CHECK(events[0]["press_id"] == "e2e-pub-2");
}

TEST_CASE("end to end: POST /api/devices/{button}/press changes the actuator") {
  FullStack full;
  StateStack& stack = full.stack;
  WsClient ws(stack.http_port());
  REQUIRE(ws.read_until([](const auto& m) { return m.value("type", "") == "snapshot"; }));

  const auto res = stack.post("/api/devices/button-2/press");
  REQUIRE(res.status == 202);
  const std::string press_id = nlohmann::json::parse(res.body)["press_id"];
  const auto delta =
      ws.read_until([&](const auto& m) { return has_state(m, "actuator-2", press_id); }, 5s);
  REQUIRE_MESSAGE(delta, "relayer:\n" << full.relayer->log() << "\nagent:\n" << full.agent->log());
  CHECK(stack.get_json("/api/devices/actuator-2")["press_id"] == press_id);
  // Only the wired actuator changed.
  CHECK(stack.get_json("/api/devices/actuator-3").value("press_id", "") != press_id);
}
