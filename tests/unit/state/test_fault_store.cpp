// Faults in the SQLite history (including a database made before faults existed) and the pure
// request policies of the control API.
#include <doctest/doctest.h>

#include "control_api.hpp"
#include "harness.hpp"
#include "snet/topology.hpp"
#include "sqlite.hpp"
#include "sqlite_store.hpp"

using namespace snet;
using namespace snet::state;
using namespace snet::test;

TEST_CASE("a database from before faults is upgraded in place and keeps its history") {
  TempDir dir("snet-fault-store");
  const std::string path = dir.path() + "/state.db";
  {
    // The schema of the previous release: its CHECK refuses kind 'fault'.
    Db old(path, /*create=*/true);
    old.exec(R"sql(
      CREATE TABLE events (seq INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('state', 'error')), device TEXT NOT NULL,
        is_on INTEGER NOT NULL, press_id TEXT NOT NULL, button TEXT NOT NULL,
        action TEXT NOT NULL, error TEXT NOT NULL, press_ts INTEGER NOT NULL,
        relay_ts INTEGER NOT NULL, applied_ts INTEGER NOT NULL, error_ts INTEGER NOT NULL,
        stored_ts INTEGER NOT NULL);
      INSERT INTO events VALUES (NULL, 'state', 'actuator-1', 1, 'p1', 'button-1', '', '',
                                 1, 2, 3, 0, 4);)sql");
  }
  SqliteStore store(path);
  EventRecord fault;
  fault.device = "relayer";
  fault.target_kind = "service";
  fault.action = "kill";
  fault.fault_id = "fault-1";
  fault.detail = "via the supervisor";
  fault.fault_ts = 5;
  const EventRecord stored = store.record_fault(fault);
  CHECK(stored.seq == 2);
  CHECK(stored.stored_ts > 0);

  const auto all = store.events("", 10);
  REQUIRE(all.size() == 2);
  CHECK(all[0].kind == EventKind::fault);
  CHECK(all[0].device == "relayer");
  CHECK(all[0].fault_id == "fault-1");
  CHECK(all[0].detail == "via the supervisor");
  CHECK(all[0].target_kind == "service");
  CHECK(all[0].fault_ts == 5);
  CHECK(all[0].press_id.empty());
  CHECK(all[1].press_id == "p1");
  CHECK(store.events("", 10, EventKind::fault).size() == 1);
  CHECK(store.events("", 10, EventKind::state).size() == 1);
  CHECK(store.events("relayer", 10, EventKind::fault).size() == 1);
  CHECK(store.events("actuator-1", 10, EventKind::fault).empty());
  CHECK(store.events("actuator-1", 10, EventKind::state).size() == 1);
}

TEST_CASE("control request policies: durations and storm selections") {
  CHECK(parse_duration_ms("0") == 0);
  CHECK(parse_duration_ms("2000") == 2000);
  CHECK(parse_duration_ms("86400000") == 86'400'000);
  for (const char* bad : {"", "-1", "86400001", "2s", "1e3", " 5"}) {
    CHECK_MESSAGE(!parse_duration_ms(bad), bad);
  }

  const Topology topology = load_topology(source_path("topology/single.json"));
  CHECK(parse_storm_selection(topology, "").devices == std::vector<std::string>{"*"});
  CHECK(parse_storm_selection(topology, R"({"devices": "*"})").label == "*");
  const auto buttons = parse_storm_selection(topology, R"({"kind": "button"})");
  CHECK(buttons.devices == std::vector<std::string>{"button-1", "button-2", "button-3"});
  CHECK(buttons.label == "kind:button");
  const auto listed =
      parse_storm_selection(topology, R"({"devices": ["actuator-2", "actuator-2", "button-1"]})");
  CHECK(listed.devices == std::vector<std::string>{"actuator-2", "button-1"});
  CHECK(listed.label == "2 devices");
  CHECK_THROWS_WITH_AS(parse_storm_selection(topology, R"({"devices": ["x", "y"]})"),
                       "unknown device 'x', 'y'", std::invalid_argument);
  for (const char* bad :
       {"nope", "[]", R"({"devices": []})", R"({"devices": [1]})", R"({"kind": "lamp"})",
        R"({"kind": "button", "devices": "*"})", R"({"group": "a"})"}) {
    CHECK_THROWS_AS_MESSAGE(parse_storm_selection(topology, bad), std::invalid_argument, bad);
  }
}
