// snet-state's REST API against a real mosquitto and the real snet-state process.
#include <doctest/doctest.h>

#include <algorithm>

#include "prometheus_text.hpp"
#include "snet/clock.hpp"
#include "state_stack.hpp"

using namespace snet;
using namespace snet::test;

TEST_CASE("a state report published to the broker shows up in GET /api/devices/{id}") {
  StateStack stack;
  auto before = stack.get_json("/api/devices/actuator-2");
  CHECK(before["updated"] == false);
  CHECK(before["on"].is_null());

  const Micros applied = now_us();
  stack.publish_state("actuator-2", true, "press-a", applied);
  nlohmann::json device;
  CHECK(eventually([&] {
    device = stack.get_json("/api/devices/actuator-2");
    return device["updated"] == true;
  }));
  CHECK(device["on"] == true);
  CHECK(device["press_id"] == "press-a");
  CHECK(device["applied_ts"] == applied);
  CHECK(device["stored_ts"].get<Micros>() >= applied);

  const auto all = stack.get_json("/api/devices");
  REQUIRE(all["devices"].size() == 6);  // single.json: 3 buttons, 3 actuators
  int updated = 0;
  for (const auto& d : all["devices"]) updated += d.value("updated", false) ? 1 : 0;
  CHECK(updated == 1);

  const auto topology = stack.get_json("/api/topology");
  CHECK(topology["name"] == "single");
  bool wired = false;
  for (const auto& d : topology["devices"]) {
    if (d["id"] == "button-1") wired = d["targets"] == nlohmann::json::array({"actuator-1"});
  }
  CHECK(wired);
}

TEST_CASE("GET /api/events lists the history newest first, filtered and limited") {
  StateStack stack;
  stack.publish_state("actuator-1", true, "p1");
  stack.publish_state("actuator-2", true, "p2");
  stack.publish_state("actuator-1", false, "p3");
  REQUIRE(eventually([&] { return stack.metric("snet_state_states_stored_total") == 3; }));

  auto events = stack.get_json("/api/events")["events"];
  REQUIRE(events.size() == 3);
  CHECK(events[0]["press_id"] == "p3");
  CHECK(events[2]["press_id"] == "p1");
  CHECK(events[0]["kind"] == "state");

  events = stack.get_json("/api/events?device=actuator-1")["events"];
  REQUIRE(events.size() == 2);
  CHECK(events[0]["press_id"] == "p3");
  CHECK(events[1]["press_id"] == "p1");

  events = stack.get_json("/api/events?device=actuator-1&limit=1")["events"];
  REQUIRE(events.size() == 1);
  CHECK(events[0]["press_id"] == "p3");

  // The same report seen again (e.g. redelivered) is stored once.
  const auto first = stack.get_json("/api/devices/actuator-2");
  stack.publish_state("actuator-2", true, "p2", first["applied_ts"].get<Micros>());
  stack.publish_state("actuator-3", true, "p4");  // a marker that the duplicate was processed
  REQUIRE(eventually([&] { return stack.metric("snet_state_states_stored_total") == 4; }));
  CHECK(stack.metric("snet_state_states_duplicate_total") == 1);
  CHECK(stack.get_json("/api/events?device=actuator-2")["events"].size() == 1);
}

TEST_CASE("GET /api/events rejects bad parameters by name") {
  StateStack stack;
  for (const char* bad : {"limit=0", "limit=1001", "limit=abc", "limit=5x", "limit="}) {
    const auto res = stack.get(std::string("/api/events?") + bad);
    CHECK_MESSAGE(res.status == 400, bad);
    CHECK_MESSAGE(res.body.find("limit") != std::string::npos, bad);
  }
  auto res = stack.get("/api/events?colour=red");
  CHECK(res.status == 400);
  CHECK(res.body.find("colour") != std::string::npos);
  res = stack.get("/api/events?device=");
  CHECK(res.status == 400);
  CHECK(res.body.find("device") != std::string::npos);
  CHECK(stack.get("/api/events?limit=1000").status == 200);
}

TEST_CASE("POST /api/devices/{button}/press publishes a trigger with a new press id") {
  StateStack stack;
  Recorder recorder(stack.broker().url(), {"snet/single/trigger/+"});
  const auto res = stack.post("/api/devices/button-2/press");
  REQUIRE(res.status == 202);
  const auto body = nlohmann::json::parse(res.body);
  const std::string press_id = body["press_id"];
  CHECK_FALSE(press_id.empty());
  CHECK(body["button"] == "button-2");
  const auto trigger = recorder.wait_for("snet/single/trigger/button-2", press_id);
  REQUIRE(trigger);
  CHECK(nlohmann::json::parse(trigger->payload)["id"] == press_id);

  // A second press gets another id.
  const auto again = nlohmann::json::parse(stack.post("/api/devices/button-2/press").body);
  CHECK(again["press_id"] != press_id);
  CHECK(recorder.wait_for("snet/single/trigger/button-2", again["press_id"].get<std::string>()));
}

TEST_CASE("press requests for unknown devices and actuators are refused and publish nothing") {
  StateStack stack;
  Recorder recorder(stack.broker().url(), {"snet/single/trigger/+"});
  auto res = stack.post("/api/devices/no-such-button/press");
  CHECK(res.status == 404);
  CHECK(res.body.find("no-such-button") != std::string::npos);
  res = stack.post("/api/devices/actuator-1/press");
  CHECK(res.status == 400);
  CHECK(res.body.find("not a button") != std::string::npos);
  CHECK(stack.get("/api/devices/button-1/press").status == 405);
  // A valid press afterwards is the first and only trigger the broker saw.
  REQUIRE(stack.post("/api/devices/button-1/press").status == 202);
  REQUIRE(recorder.wait_for("snet/single/trigger/button-1"));
  CHECK(recorder.messages().size() == 1);
}

TEST_CASE("unknown paths are 404, wrong methods 405, unknown devices 404 naming the id") {
  StateStack stack;
  auto res = stack.get("/api/devices/ghost");
  CHECK(res.status == 404);
  CHECK(res.body.find("ghost") != std::string::npos);
  CHECK(stack.get("/api/nothing").status == 404);
  CHECK(stack.get("/no-such-file.html").status == 404);
  CHECK(stack.post("/api/devices").status == 405);
  CHECK(http_request("DELETE", stack.http_port(), "/api/devices/actuator-1").status == 405);
  CHECK(stack.post("/healthz").status == 405);
  CHECK(stack.get("/ws").status == 426);
  // Request bodies are bounded.
  CHECK(stack.post("/api/devices/button-1/press", std::string(200 * 1024, 'x')).status == 413);
}

TEST_CASE("the dashboard is served with content types and no path traversal") {
  StateStack stack;
  const auto index = http_request("GET", stack.http_port(), "/");
  CHECK(index.status == 200);
  CHECK(index.body.find("src=\"js/main.js\"") != std::string::npos);
  CHECK(stack.get("/js/main.js").status == 200);  // module MIME types: the browser tests load it
  CHECK(stack.get("/style.css").status == 200);
  CHECK(stack.get("/../CMakeLists.txt").status == 404);
  CHECK(stack.get("/%2e%2e/CMakeLists.txt").status == 404);
}

TEST_CASE("health: /healthz is 200 when connected, /api/health lists services, /metrics relays") {
  StateStack stack;
  CHECK(stack.get("/healthz").status == 200);
  // A service's retained status, as the relayer publishes it.
  const nlohmann::json status = {{"service", "relayer"},
                                 {"online", true},
                                 {"ts", now_us()},
                                 {"metrics", {{"snet_relayer_presses_total", 7}}}};
  REQUIRE(mosquitto_pub(stack.broker().port(), "snet/single/status/relayer", status.dump()) == 0);
  nlohmann::json health;
  CHECK(eventually([&] {
    health = stack.get_json("/api/health");
    return health["services"].contains("relayer");
  }));
  CHECK(health["services"]["relayer"]["online"] == true);
  CHECK(health["services"]["relayer"]["metrics"]["snet_relayer_presses_total"] == 7);
  CHECK(health["broker"]["connected"] == true);
  CHECK(health["store"]["ok"] == true);
  CHECK(stack.metric("snet_relayer_presses_total{service=\"relayer\"}") == 7);

  // Without its broker the service is unhealthy and says why.
  stack.broker().server().stop();
  HttpResult res;
  CHECK(eventually([&] {
    res = stack.get("/healthz");
    return res.status == 503;
  }));
  CHECK(res.body.find("not connected") != std::string::npos);
  CHECK(stack.post("/api/devices/button-1/press").status == 503);
}

TEST_CASE("/metrics: press latency histograms in seconds, the process and the build") {
  StateStack stack;
  // A state report whose press took 2 ms to be relayed and 5 ms to be applied.
  const long long pressed = now_us() - 50'000;
  const nlohmann::json state = {{"device", "actuator-1"},       {"on", true},
                                {"press_id", "p-latency"},      {"button", "button-1"},
                                {"press_ts", pressed},          {"relay_ts", pressed + 2'000},
                                {"applied_ts", pressed + 5'000}};
  REQUIRE(mosquitto_pub(stack.broker().port(), "snet/single/state/actuator-1", state.dump()) == 0);
  // A relayed service status with a label value the text format must keep quoted.
  const nlohmann::json status = {
      {"service", "relayer"},
      {"online", true},
      {"ts", now_us()},
      {"metrics",
       {{"snet_relayer_rejected_total{reason=\"bad_topic\"}", 2},
        {"process_resident_memory_bytes", 12345678},
        {"snet_relayer_forged{reason=\"a\"} 1\nsnet_fake{x=\"y\"}", 3},  // dropped
        {"snet_relayer_spaced_total{reason=\"a b\"}", 4}}}};             // dropped
  REQUIRE(mosquitto_pub(stack.broker().port(), "snet/single/status/relayer", status.dump()) == 0);
  CHECK(eventually([&] {
    return stack.metric(R"(snet_press_latency_seconds_count{stage="stored"})") == 1 &&
           stack.metric(R"(snet_relayer_rejected_total{service="relayer",reason="bad_topic"})") ==
               2;
  }));
  const test::Exposition e = test::parse_exposition(stack.get("/metrics").body);
  CHECK(e.types.at("snet_press_latency_seconds") == "histogram");
  CHECK(e.at(R"(snet_press_latency_seconds_sum{stage="relayed"})") == doctest::Approx(0.002));
  CHECK(e.at(R"(snet_press_latency_seconds_bucket{stage="relayed",le="0.001"})") == 0);
  CHECK(e.at(R"(snet_press_latency_seconds_bucket{stage="relayed",le="0.0025"})") == 1);
  CHECK(e.at(R"(snet_press_latency_seconds_sum{stage="applied"})") == doctest::Approx(0.005));
  CHECK(e.at(R"(snet_press_latency_seconds_sum{stage="stored"})") >= 0.05);
  CHECK(e.at("process_open_fds") > 3);
  CHECK(e.at(R"(process_resident_memory_bytes{service="relayer"})") == 12345678);
  CHECK_FALSE(e.types.count("snet_fake"));
  CHECK_FALSE(e.types.count("snet_relayer_spaced_total"));
  CHECK(e.at("process_resident_memory_bytes") > 1e6);
  CHECK(e.has("process_cpu_seconds_total"));
  CHECK(e.has("process_start_time_seconds"));
  CHECK(std::any_of(e.samples.begin(), e.samples.end(),
                    [](const auto& s) { return s.first.rfind("snet_build_info{", 0) == 0; }));
}
