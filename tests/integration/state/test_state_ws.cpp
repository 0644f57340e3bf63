// snet-state's WebSocket live feed: a snapshot on connect, then coalesced deltas.
#include <doctest/doctest.h>

#include "snet/clock.hpp"
#include "snet/topics.hpp"
#include "state_stack.hpp"
#include "ws_client.hpp"

using namespace snet;
using namespace snet::test;

namespace {

bool is_type(const nlohmann::json& m, const char* type) {
  return m.value("type", "") == type;
}

const nlohmann::json* find_device(const nlohmann::json& devices, const std::string& id) {
  for (const auto& d : devices) {
    if (d["id"] == id) return &d;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("a WebSocket client gets a snapshot, then a delta for each new state") {
  StateStack stack;
  stack.publish_state("actuator-1", true, "before");
  REQUIRE(eventually([&] { return stack.metric("snet_state_states_stored_total") == 1; }));

  WsClient ws(stack.http_port());
  const auto snapshot = ws.read_until([](const auto& m) { return is_type(m, "snapshot"); });
  REQUIRE(snapshot);
  CHECK((*snapshot)["topology"]["name"] == "single");
  REQUIRE((*snapshot)["devices"].size() == 6);
  const auto* a1 = find_device((*snapshot)["devices"], "actuator-1");
  REQUIRE(a1 != nullptr);
  CHECK((*a1)["on"] == true);
  CHECK((*a1)["press_id"] == "before");
  CHECK((*snapshot)["health"]["broker"]["connected"] == true);
  CHECK(eventually([&] { return stack.metric("snet_state_ws_clients") == 1; }));

  stack.publish_state("actuator-3", true, "after");
  // A delta may repeat a state the snapshot already had (it replaces, so that is harmless).
  const auto delta = ws.read_until([](const auto& m) {
    if (!is_type(m, "states")) return false;
    return find_device(m["items"], "actuator-3") != nullptr;
  });
  REQUIRE(delta);
  const auto* a3 = find_device((*delta)["items"], "actuator-3");
  CHECK((*a3)["on"] == true);
  CHECK((*a3)["press_id"] == "after");
  CHECK((*a3)["updated"] == true);
  CHECK((*a3)["kind"] == "actuator");
}

TEST_CASE("a burst of state changes is coalesced into a few messages, latest state winning") {
  StateStack stack;
  WsClient ws(stack.http_port());
  REQUIRE(ws.read_until([](const auto& m) { return is_type(m, "snapshot"); }));

  // 300 reports for 3 devices in one go (mosquitto_pub -l would be faster; a Bus is simpler).
  BusOptions opt;
  opt.url = stack.broker().url();
  auto bus = make_bus(opt);
  bus->start();
  REQUIRE(bus->wait_connected(5s));
  const int n = 300;
  for (int i = 0; i < n; ++i) {
    const std::string device = "actuator-" + std::to_string(i % 3 + 1);
    const nlohmann::json state = {{"device", device},
                                  {"on", i % 2 == 0},
                                  {"press_id", "burst-" + std::to_string(i)},
                                  {"applied_ts", now_us()}};
    bus->publish({topics::make("single", topics::Kind::state, device), state.dump(), false, {}},
                 Qos::at_least_once);
  }
  std::map<std::string, std::string> last;  // device -> press id
  int messages = 0;
  const auto done = ws.read_until(
      [&](const nlohmann::json& m) {
        if (!is_type(m, "states")) return false;
        ++messages;
        for (const auto& item : m["items"]) last[item["id"]] = item["press_id"];
        return last["actuator-1"] == "burst-297" && last["actuator-2"] == "burst-298" &&
               last["actuator-3"] == "burst-299";
      },
      10s);
  CHECK(done);
  CHECK(stack.metric("snet_state_states_stored_total") == n);
  CHECK(messages < n / 3);  // coalesced: far fewer messages than changes
  MESSAGE(n, " state changes arrived in ", messages, " WebSocket messages");
  bus->stop();
}

TEST_CASE("press errors reach the WebSocket and the event history") {
  StateStack stack;
  WsClient ws(stack.http_port());
  REQUIRE(ws.read_until([](const auto& m) { return is_type(m, "snapshot"); }));
  const nlohmann::json error = {{"press_id", "bad-press"},
                                {"button", "button-3"},
                                {"action", "flip_switch"},
                                {"error", "action timed out"},
                                {"ts", now_us()}};
  REQUIRE(mosquitto_pub(stack.broker().port(), "snet/single/event/button-3", error.dump()) == 0);
  const auto msg = ws.read_until([](const auto& m) { return is_type(m, "errors"); });
  REQUIRE(msg);
  REQUIRE((*msg)["items"].size() == 1);
  CHECK((*msg)["items"][0]["press_id"] == "bad-press");
  CHECK((*msg)["items"][0]["error"] == "action timed out");
  CHECK((*msg)["items"][0]["button"] == "button-3");

  const auto events = stack.get_json("/api/events?device=button-3")["events"];
  REQUIRE(events.size() == 1);
  CHECK(events[0]["kind"] == "error");
  CHECK(events[0]["action"] == "flip_switch");
}

TEST_CASE("service status changes are pushed as health messages") {
  StateStack stack;
  WsClient ws(stack.http_port());
  REQUIRE(ws.read_until([](const auto& m) { return is_type(m, "snapshot"); }));
  const nlohmann::json status = {{"service", "agent"}, {"online", false}};
  REQUIRE(mosquitto_pub(stack.broker().port(), "snet/single/status/agent", status.dump()) == 0);
  const auto msg = ws.read_until([](const auto& m) {
    return is_type(m, "health") && m["health"]["services"].contains("agent");
  });
  REQUIRE(msg);
  CHECK((*msg)["health"]["services"]["agent"]["online"] == false);
}

TEST_CASE("stopping the state service closes WebSocket clients, and a new one gets a snapshot") {
  StateStack stack;
  stack.publish_state("actuator-2", true, "kept");
  REQUIRE(eventually([&] { return stack.metric("snet_state_states_stored_total") == 1; }));
  {
    WsClient ws(stack.http_port());
    REQUIRE(ws.read_until([](const auto& m) { return is_type(m, "snapshot"); }));
    stack.stop_state();
    CHECK_FALSE(ws.read_until([](const auto&) { return false; }, 5s));
    CHECK(ws.closed());
  }
  stack.start_state();
  WsClient ws(stack.http_port());
  const auto snapshot = ws.read_until([](const auto& m) { return is_type(m, "snapshot"); });
  REQUIRE(snapshot);
  const auto* a2 = find_device((*snapshot)["devices"], "actuator-2");
  REQUIRE(a2 != nullptr);
  CHECK((*a2)["press_id"] == "kept");
}
