// The control API of snet-state (services via a supervisor, device faults via the broker)
// against a real mosquitto, the real snet-state process and a stand-in supervisor.
#include <doctest/doctest.h>

#include "fake_supervisor.hpp"
#include "snet/message.hpp"
#include "snet/net.hpp"
#include "snet/topics.hpp"
#include "state_stack.hpp"
#include "ws_client.hpp"

using namespace snet;
using namespace snet::test;

namespace {

nlohmann::json body_of(const HttpResult& r) {
  return nlohmann::json::parse(r.body, nullptr, false);
}

std::string error_of(const HttpResult& r) {
  const auto body = body_of(r);
  return body.is_object() ? body.value("error", "") : "";
}

// The DeviceControl messages the recorder saw.
std::vector<DeviceControl> controls(Recorder& recorder) {
  std::vector<DeviceControl> out;
  for (const auto& m : recorder.messages()) out.push_back(parse_device_control(m.payload));
  return out;
}

}  // namespace

TEST_CASE("GET /api/services: 503 without a supervisor, 502 naming a dead one") {
  {
    StateStack alone;
    const auto res = alone.get("/api/services");
    CHECK(res.status == 503);
    CHECK(error_of(res).find("SNET_SUPERVISOR_URL unset") != std::string::npos);
    CHECK(alone.post("/api/services/relayer/kill").status == 503);
    CHECK(alone.get_json("/api/health")["supervisor"].is_null());
  }
  const std::string dead = "http://127.0.0.1:" + std::to_string(free_port());
  StateStack stack(source_path("topology/single.json"), {"--supervisor-url", dead});
  const auto res = stack.get("/api/services");
  CHECK(res.status == 502);
  CHECK_MESSAGE(error_of(res).find(dead) != std::string::npos, res.body);
}

TEST_CASE("services are listed and controlled through the supervisor, every action a fault") {
  FakeSupervisor supervisor;
  StateStack stack(source_path("topology/single.json"), {"--supervisor-url", supervisor.url()});
  WsClient ws(stack.http_port());

  CHECK(stack.get_json("/api/health")["supervisor"]["url"] == supervisor.url());
  const auto listed = stack.get("/api/services");
  REQUIRE(listed.status == 200);
  CHECK(body_of(listed)["services"].size() == 5);

  const auto killed = stack.post("/api/services/relayer/kill");
  REQUIRE_MESSAGE(killed.status == 200, killed.body);
  const auto kill_body = body_of(killed);
  CHECK(kill_body["service"]["restarts"] == 1);
  CHECK(kill_body["service"]["last_exit"] == "killed by signal 9");
  const std::string fault_id = kill_body["fault_id"];
  CHECK(supervisor.service("relayer")["restarts"] == 1);

  // The fault is pushed live and kept in the history.
  const auto pushed = ws.read_until([&](const auto& m) {
    return m.value("type", "") == "faults" && m["items"][0]["fault_id"] == fault_id;
  });
  REQUIRE(pushed);
  CHECK((*pushed)["items"][0]["target"] == "relayer");
  CHECK((*pushed)["items"][0]["action"] == "kill");
  CHECK((*pushed)["items"][0]["target_kind"] == "service");

  // Stopping the state service itself is refused; kill and restart of it are recorded first.
  const auto stop_state = stack.post("/api/services/state/stop");
  CHECK(stop_state.status == 409);
  CHECK(error_of(stop_state).find("Ctrl-C") != std::string::npos);
  CHECK(error_of(stop_state).find("restart") != std::string::npos);
  // This service cannot answer after it was killed: it answers 202 first, then asks.
  const auto restart_state = stack.post("/api/services/state/restart");
  CHECK(restart_state.status == 202);
  CHECK(body_of(restart_state)["note"].get<std::string>().find("restarted") != std::string::npos);
  CHECK(eventually([&] { return supervisor.service("state")["restarts"] == 1; }));
  CHECK(stack.post("/api/services/whisk/pause").status == 200);
  CHECK(supervisor.service("whisk")["state"] == "paused");

  // Bad input: named, counted, not recorded, not forwarded.
  const auto bad_verb = stack.post("/api/services/relayer/explode");
  CHECK(bad_verb.status == 400);
  CHECK(error_of(bad_verb).find("explode") != std::string::npos);
  const auto unknown = stack.post("/api/services/relayr/kill");
  CHECK(unknown.status == 404);
  CHECK(error_of(unknown).find("relayr") != std::string::npos);
  CHECK(error_of(unknown).find("relayer") != std::string::npos);  // the known names
  CHECK(stack.metric("snet_state_control_rejected_total{reason=\"bad_verb\"}") == 1);
  CHECK(stack.metric("snet_state_control_rejected_total{reason=\"unknown_service\"}") == 1);
  CHECK(stack.metric("snet_state_control_rejected_total{reason=\"refused\"}") == 1);
  for (const auto& call : supervisor.calls()) {
    CHECK(call.find("explode") == std::string::npos);
    CHECK(call != "POST /services/state/stop");
    CHECK(call != "POST /services/relayr/kill");
  }

  const auto faults = stack.get_json("/api/events?kind=fault")["events"];
  REQUIRE(faults.size() == 3);  // newest first
  CHECK(faults[0]["target"] == "whisk");
  CHECK(faults[0]["action"] == "pause");
  CHECK(faults[1]["target"] == "state");
  CHECK(faults[1]["action"] == "restart");
  CHECK(faults[2]["fault_id"] == fault_id);
  CHECK(faults[2]["ts"].get<long long>() > 0);
  CHECK(stack.metric("snet_state_faults_total{action=\"kill\"}") == 1);
  CHECK(stack.metric("snet_state_faults_total{action=\"restart\"}") == 1);
  CHECK(stack.get("/api/events?kind=bogus").status == 400);
  CHECK(stack.get_json("/api/events?kind=state")["events"].empty());

  // Faults survive a restart of the state service (they are in SQLite).
  stack.stop_state();
  stack.start_state();
  CHECK(stack.get_json("/api/events?kind=fault&device=relayer")["events"].size() == 1);
}

TEST_CASE("a hung supervisor gets a bounded 502 and does not hang the rest of the API") {
  FakeSupervisor supervisor;
  supervisor.hang(true);
  StateStack stack(source_path("topology/single.json"), {"--supervisor-url", supervisor.url()});
  HttpResult hung;
  std::thread caller([&] { hung = stack.get("/api/services"); });
  // While that call waits, other requests are served at once.
  CHECK(eventually([&] { return !supervisor.calls().empty(); }));
  CHECK(stack.get("/api/devices").status == 200);
  caller.join();
  CHECK(hung.status == 502);
  CHECK(error_of(hung).find(supervisor.url()) != std::string::npos);
}

TEST_CASE("device verbs publish a DeviceControl once the broker has it, bad input is named") {
  StateStack stack;
  Recorder recorder(stack.broker().url(), {topics::control_topic("single")});

  const auto crash = stack.post("/api/devices/actuator-1/crash");
  REQUIRE_MESSAGE(crash.status == 202, crash.body);
  const std::string crash_id = body_of(crash)["fault_id"];
  const auto offline = stack.post("/api/devices/actuator-2/offline?duration_ms=2000");
  REQUIRE(offline.status == 202);
  CHECK(body_of(offline)["duration_ms"] == 2000);
  const auto freeze = stack.post("/api/devices/button-1/freeze", R"({"duration_ms": 500})");
  REQUIRE(freeze.status == 202);

  REQUIRE(recorder.wait([](const auto& m) { return m.size() >= 3; }));
  const auto sent = controls(recorder);
  REQUIRE(sent.size() == 3);
  CHECK(sent[0].action == "crash");
  CHECK(sent[0].devices == std::vector<std::string>{"actuator-1"});
  CHECK(sent[0].id == crash_id);
  CHECK(sent[0].ts > 0);
  CHECK(sent[0].duration_ms == 0);
  CHECK(sent[1].action == "offline");
  CHECK(sent[1].duration_ms == 2000);
  CHECK(sent[2].action == "freeze");
  CHECK(sent[2].devices == std::vector<std::string>{"button-1"});
  CHECK(sent[2].duration_ms == 500);

  struct Bad {
    const char* target;
    const char* body;
    int status;
    const char* names;
    const char* reason;
  };
  const Bad cases[] = {
      {"/api/devices/nope/offline", "", 404, "nope", "unknown_device"},
      {"/api/devices/actuator-1/melt", "", 400, "melt", "bad_verb"},
      {"/api/devices/actuator-1/offline?duration_ms=-5", "", 400, "duration_ms", "bad_duration"},
      {"/api/devices/actuator-1/offline?duration_ms=1e3", "", 400, "duration_ms", "bad_duration"},
      {"/api/devices/actuator-1/online?duration_ms=100", "", 400, "online", "bad_duration"},
      {"/api/devices/actuator-1/offline?for=2", "", 400, "for", "bad_query"},
      {"/api/devices/actuator-1/offline", "{not json", 400, "JSON", "malformed_json"},
      {"/api/devices/actuator-1/offline", R"({"duration": 5})", 400, "duration", "malformed_json"},
  };
  for (const auto& c : cases) {
    const auto res = stack.post(c.target, c.body);
    CHECK_MESSAGE(res.status == c.status, c.target, " ", res.body);
    CHECK_MESSAGE(error_of(res).find(c.names) != std::string::npos, c.target, " ", res.body);
  }
  const auto huge = stack.post("/api/devices/actuator-1/offline",
                               "{\"duration_ms\": 1" + std::string(20'000, ' ') + "}");
  CHECK(huge.status == 413);
  CHECK(stack.metric("snet_state_control_rejected_total{reason=\"bad_duration\"}") == 3);
  CHECK(stack.metric("snet_state_control_rejected_total{reason=\"oversized\"}") == 1);
  CHECK(stack.metric("snet_state_faults_total{action=\"crash\"}") == 1);
  // Nothing else reached the broker, and press still works on its own route.
  CHECK(stack.post("/api/devices/button-1/press").status == 202);
  CHECK(controls(recorder).size() == 3);

  const auto faults = stack.get_json("/api/events?kind=fault")["events"];
  REQUIRE(faults.size() == 3);
  CHECK(faults[2]["fault_id"] == crash_id);
  CHECK(faults[2]["target_kind"] == "device");
  CHECK(faults[1]["detail"].get<std::string>().find("2000") != std::string::npos);
}

TEST_CASE("a reconnect storm is one DeviceControl for the chosen devices") {
  StateStack stack;
  Recorder recorder(stack.broker().url(), {topics::control_topic("single")});

  CHECK(stack.post("/api/faults/storm", R"({"devices": "*"})").status == 202);
  CHECK(stack.post("/api/faults/storm", R"({"kind": "actuator"})").status == 202);
  const auto listed = stack.post("/api/faults/storm", R"({"devices": ["button-1", "actuator-3"]})");
  CHECK(listed.status == 202);
  CHECK(body_of(listed)["devices"] == 2);
  REQUIRE(recorder.wait([](const auto& m) { return m.size() >= 3; }));
  const auto sent = controls(recorder);
  CHECK(sent[0].action == "reconnect");
  CHECK(sent[0].devices == std::vector<std::string>{"*"});
  CHECK(sent[1].devices == std::vector<std::string>{"actuator-1", "actuator-2", "actuator-3"});
  CHECK(sent[2].devices == std::vector<std::string>{"button-1", "actuator-3"});

  const auto unknown = stack.post("/api/faults/storm", R"({"devices": ["button-1", "ghost"]})");
  CHECK(unknown.status == 404);
  CHECK(error_of(unknown).find("ghost") != std::string::npos);
  CHECK(stack.post("/api/faults/storm", R"({"kind": "lamp"})").status == 400);
  CHECK(stack.post("/api/faults/storm", R"({"devices": [], "kind": "button"})").status == 400);
  CHECK(stack.post("/api/faults/storm", "[1,2]").status == 400);

  const auto faults = stack.get_json("/api/events?kind=fault")["events"];
  REQUIRE(faults.size() == 3);
  CHECK(faults[0]["action"] == "storm");
  CHECK(faults[0]["target_kind"] == "storm");
  CHECK(faults[1]["target"] == "kind:actuator");
  CHECK(faults[2]["target"] == "*");
  CHECK(stack.metric("snet_state_faults_total{action=\"storm\"}") == 3);
  CHECK(controls(recorder).size() == 3);
}
