// The state service's request handler and store as plain functions: no process, no sockets
// (a real SQLite file; the bus is real but never connected).
#include <doctest/doctest.h>

#include "api.hpp"
#include "harness.hpp"
#include "live_feed.hpp"
#include "snet/net.hpp"
#include "snet/topology.hpp"
#include "sqlite_store.hpp"

using namespace snet;
using namespace snet::state;
using namespace snet::test;
namespace http = snet::http;

namespace {

EventRecord state_record(const std::string& device, bool on, const std::string& press_id,
                         Micros applied_ts) {
  EventRecord r;
  r.device = device;
  r.on = on;
  r.press_id = press_id;
  r.button = "button-1";
  r.press_ts = applied_ts - 300;
  r.relay_ts = applied_ts - 200;
  r.applied_ts = applied_ts;
  return r;
}

struct Fixture {
  TempDir dir;
  Topology topology = load_topology(source_path("topology/single.json"));
  Metrics registry;
  StateMetrics metrics{registry};
  SqliteStore store{dir.path() + "/state.db"};
  LiveFeed feed{topology, metrics, [] { return nlohmann::json::object(); },
                std::chrono::milliseconds(40)};
  std::unique_ptr<Bus> bus =
      make_bus(BusOptions{"mqtt://127.0.0.1:" + std::to_string(free_port()), "", {}});
  ApiContext context{topology,
                     feed,
                     store,
                     metrics,
                     *bus,
                     [] {
                       return nlohmann::json{{"services", nlohmann::json::object()}};
                     },
                     [] { return std::vector<std::string>{"message bus not connected"}; },
                     [] { return std::vector<std::string>{"no relayer is online"}; },
                     [this] { return registry.prometheus(); },
                     source_path("dashboard")};
  http::Router router = make_api(context);

  http::Response call(const std::string& method, const std::string& target) {
    return router.handle(http::Request::make(method, target));
  }
  void write(std::vector<EventRecord> batch) {
    store.write(batch);
    feed.apply(batch);
  }
};

}  // namespace

TEST_CASE("the store keeps current states and a deduplicated history across reopening") {
  TempDir dir;
  const std::string path = dir.path() + "/state.db";
  {
    SqliteStore store(path);
    std::vector<EventRecord> batch = {state_record("actuator-1", true, "a", 1000),
                                      state_record("actuator-1", false, "b", 2000),
                                      state_record("actuator-2", true, "c", 3000)};
    store.write(batch);
    CHECK(batch[0].seq > 0);
    CHECK(batch[1].seq > batch[0].seq);
    CHECK(batch[2].stored_ts > 0);
    std::vector<EventRecord> again = {state_record("actuator-1", false, "b", 2000)};
    store.write(again);
    CHECK(again[0].seq == 0);  // a duplicate: skipped
  }
  SqliteStore reopened(path);
  const auto states = reopened.current_states();
  REQUIRE(states.size() == 2);
  CHECK(states[0].device == "actuator-1");
  CHECK(states[0].on == false);
  CHECK(states[0].press_id == "b");
  CHECK(states[1].press_id == "c");
  CHECK(reopened.events("", 10).size() == 3);
  CHECK(reopened.events("actuator-1", 10).size() == 2);
  CHECK(reopened.events("button-1", 10).size() == 3);  // the states its presses caused
  CHECK(reopened.events("", 1).front().press_id == "c");
  // Bound parameters: a quote in a value is data, not SQL.
  std::vector<EventRecord> tricky = {
      state_record("actuator-3", true, "x'); DROP TABLE events;--", 9)};
  reopened.write(tricky);
  CHECK(reopened.events("actuator-3", 1).front().press_id == "x'); DROP TABLE events;--");
}

TEST_CASE("the request handler answers the REST API without sockets") {
  Fixture f;
  f.write({state_record("actuator-1", true, "p1", 1000)});

  auto res = f.call("GET", "/api/devices/actuator-1");
  REQUIRE(res.status == 200);
  auto body = nlohmann::json::parse(res.body);
  CHECK(body["on"] == true);
  CHECK(body["press_id"] == "p1");
  CHECK(body["press_ts"] == 700);
  CHECK(body["stored_ts"].get<Micros>() > 0);

  res = f.call("GET", "/api/devices/actuator-9");
  CHECK(res.status == 404);
  CHECK(res.body.find("actuator-9") != std::string::npos);

  body = nlohmann::json::parse(f.call("GET", "/api/devices").body);
  CHECK(body["devices"].size() == 6);

  body = nlohmann::json::parse(f.call("GET", "/api/events?device=actuator-1&limit=5").body);
  REQUIRE(body["events"].size() == 1);
  CHECK(body["events"][0]["relay_ts"] == 800);
  CHECK(f.call("GET", "/api/events?limit=-1").status == 400);

  CHECK(f.call("GET", "/healthz").status == 503);
  CHECK(f.call("POST", "/api/devices/button-1/press").status == 503);  // bus not connected
  CHECK(f.call("POST", "/api/devices/actuator-1/press").status == 400);
  CHECK(f.call("POST", "/api/devices/nobody/press").status == 404);
  CHECK(f.call("PUT", "/api/topology").status == 405);
  CHECK(f.call("GET", "/api/").status == 404);
  CHECK(f.call("GET", "/index.html").status == 200);
  CHECK(f.call("GET", "/metrics").body.find("snet_state_states_stored_total") != std::string::npos);
}
