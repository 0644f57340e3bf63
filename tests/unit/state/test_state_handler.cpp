// The state service's request handler and store as plain functions: no process, no sockets
// (a real SQLite file; the bus is real but never connected).
#include <doctest/doctest.h>

#include "api.hpp"
#include "harness.hpp"
#include "live_feed.hpp"
#include "snet/net.hpp"
#include "snet/topology.hpp"
#include "sqlite.hpp"
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
  std::unique_ptr<Bus> bus = [] {
    BusOptions options;  // never started: no broker is needed
    options.url = "mqtt://127.0.0.1:" + std::to_string(free_port());
    return make_bus(options);
  }();
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

TEST_CASE("topologies sharing one state.db see only their own states and history") {
  TempDir dir;
  const std::string path = dir.path() + "/state.db";
  SqliteStore a(path, "alpha");
  SqliteStore b(path, "beta");
  std::vector<EventRecord> of_a = {state_record("lamp-1", true, "a1", 1000)};
  std::vector<EventRecord> of_b = {state_record("lamp-1", false, "b1", 1000),  // same id, key
                                   state_record("lamp-2", true, "b2", 2000)};
  a.write(of_a);
  b.write(of_b);
  CHECK(of_b[0].seq > 0);  // not a duplicate of alpha's report: another topology's device
  REQUIRE(a.current_states().size() == 1);
  CHECK(a.current_states()[0].on == true);
  CHECK(b.current_states().size() == 2);
  CHECK(b.current_states()[0].on == false);
  CHECK(a.events("", 10).size() == 1);
  CHECK(a.events("lamp-1", 10).front().press_id == "a1");
  CHECK(b.events("", 10).size() == 2);
  CHECK(b.events("button-1", 10, EventKind::state).size() == 2);
  EventRecord fault;
  fault.device = "lamp-2";
  fault.action = "offline";
  fault.target_kind = "device";
  (void)b.record_fault(fault);
  CHECK(a.events("", 10, EventKind::fault).empty());
  CHECK(b.events("", 10, EventKind::fault).size() == 1);
}

TEST_CASE("a state.db of before topologies were told apart is migrated, its rows kept apart") {
  TempDir dir;
  const std::string path = dir.path() + "/state.db";
  {
    Db db(path, /*create=*/true);
    db.exec(R"sql(
CREATE TABLE current_state (device TEXT PRIMARY KEY, is_on INTEGER NOT NULL,
  press_id TEXT NOT NULL, button TEXT NOT NULL, press_ts INTEGER NOT NULL,
  relay_ts INTEGER NOT NULL, applied_ts INTEGER NOT NULL, stored_ts INTEGER NOT NULL);
CREATE TABLE events (seq INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('state', 'error')), device TEXT NOT NULL,
  is_on INTEGER NOT NULL, press_id TEXT NOT NULL, button TEXT NOT NULL, action TEXT NOT NULL,
  error TEXT NOT NULL, press_ts INTEGER NOT NULL, relay_ts INTEGER NOT NULL,
  applied_ts INTEGER NOT NULL, error_ts INTEGER NOT NULL, stored_ts INTEGER NOT NULL);
CREATE UNIQUE INDEX events_state_once ON events (device, press_id, applied_ts)
  WHERE kind = 'state';
INSERT INTO current_state VALUES ('lamp-1', 1, 'old', 'button-1', 1, 2, 3, 4);
INSERT INTO events VALUES (NULL, 'state', 'lamp-1', 1, 'old', 'button-1', '', '', 1, 2, 3, 0, 4);
)sql");
  }
  SqliteStore store(path, "alpha");
  CHECK(store.current_states().empty());  // whose they were is unknown: shown to none
  CHECK(store.events("", 10).empty());
  std::vector<EventRecord> batch = {state_record("lamp-1", true, "old", 3)};  // same key as before
  store.write(batch);
  CHECK(batch[0].seq > 0);
  CHECK(store.events("", 10).size() == 1);
  CHECK(store.record_fault(EventRecord{}).seq > 0);  // faults allowed after the rebuild too
  SqliteStore legacy(path);                          // topology "": the rows of before, still there
  CHECK(legacy.current_states().size() == 1);
  CHECK(legacy.events("", 10).size() == 1);
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
