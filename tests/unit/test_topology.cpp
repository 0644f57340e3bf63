#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "snet/topology.hpp"
#include "topology_errors.hpp"
#include "topology_view.hpp"

using namespace snet;
using snet::test::errors_of;
using snet::test::mentions;

TEST_CASE("a valid topology with explicit devices and generated pairs") {
  const Topology t = parse_topology_text(R"({
    "name": "demo",
    "devices": [
      {"id": "b", "kind": "button", "targets": ["a1", "a2"]},
      {"id": "a1", "kind": "actuator", "attrs": {"zone": "north"}},
      {"id": "a2", "kind": "actuator"}
    ],
    "pairs": {"count": 2, "button": "btn-", "actuator": "lamp-"}
  })");
  CHECK(t.name == "demo");
  CHECK(t.devices.size() == 7);
  CHECK(t.targets_of("b") == std::vector<std::string>{"a1", "a2"});
  CHECK(t.targets_of("btn-2") == std::vector<std::string>{"lamp-2"});
  CHECK(t.sources_of("a1") == std::vector<std::string>{"b"});
  CHECK(t.find("a1")->attrs.at("zone") == "north");
  CHECK(t.find("nope") == nullptr);
  CHECK(t.targets_of("nope").empty());
  const auto json = state::topology_view(t);
  CHECK(json["devices"].size() == 7);
}

TEST_CASE("validation names every error") {
  const auto errors = errors_of(R"({
    "name": "bad/name",
    "colour": "red",
    "devices": [
      {"id": "b1", "kind": "button", "targets": ["ghost"]},
      {"id": "b2", "kind": "button"},
      {"id": "b3", "kind": "button", "targets": ["b1"]},
      {"id": "a1", "kind": "lamp"},
      {"id": "a1", "kind": "actuator"},
      {"id": "a2", "kind": "actuator", "size": 3}
    ]
  })");
  CHECK(mentions(errors, "unknown field 'colour'"));
  CHECK(mentions(errors, "name: 'bad/name'"));
  CHECK(mentions(errors, "device 'b1': unknown target 'ghost'"));
  CHECK(mentions(errors, "device 'b2': button without target"));
  CHECK(mentions(errors, "target 'b1' is a button"));
  CHECK(mentions(errors, "'kind' is 'lamp'"));
  CHECK(mentions(errors, "device 'a1': duplicate id"));
  CHECK(mentions(errors, "unknown field 'size'"));
}

TEST_CASE("a mistake repeated per generated device is listed kMaxErrors times, then summed up") {
  // 500 pairs in a site that does not exist: 1,000 devices with the same problem.
  const auto errors = errors_of(R"({"name":"x","pairs":{"count":500,"site":"nowhere"}})");
  REQUIRE(errors.size() == TopologyError::kMaxErrors + 1);
  CHECK(mentions(errors, "site 'nowhere' is not one of the topology's sites"));
  CHECK(errors.back() ==
        "... and " + std::to_string(1000 - TopologyError::kMaxErrors) + " more problems");
  // A short list is kept whole.
  CHECK(errors_of(R"({"name":"x","pairs":{"count":3,"site":"nowhere"}})").size() == 6);
}

TEST_CASE("broken files and broker mismatches are explained") {
  CHECK(mentions(errors_of("{\"name\": "), "line 1, column 10: expected a value"));
  CHECK(mentions(errors_of(R"({"name":"x","routing":"headers","pairs":1})"), "needs \"broker\""));
  CHECK(mentions(errors_of(R"({"name":"x","pairs":0})"), "count must be"));
  try {
    (void)load_topology("/nonexistent/topology.json");
    FAIL("loaded a missing file");
  } catch (const TopologyError& e) {
    CHECK(std::string(e.what()).find("/nonexistent/topology.json") != std::string::npos);
  }
}

TEST_CASE("the shipped example topologies are valid") {
  for (const char* file :
       {"topology/single.json", "topology/wiring.json", "topology/campus.json",
        "topology/field.json", "topology/topic.json", "topology/fanout.json",
        "topology/headers.json", "topology/mixed.json", "topology/edge_cloud.json",
        "topology/feed.json", "topology/bridged.json"}) {
    CAPTURE(file);
    const Topology t = load_topology(test::source_path(file));
    CHECK_FALSE(t.buttons().empty());
  }
  CHECK(load_topology(test::source_path("topology/single.json")).buttons().size() == 3);
  const Topology campus = load_topology(test::source_path("topology/campus.json"));
  CHECK(campus.devices.size() == 15000);  // issue 14's scale
  CHECK(campus.buttons().size() == 5000);
  CHECK(campus.sensors().size() == 5000);
  REQUIRE(campus.sites.size() == 4);
  CHECK(campus.devices_in("building-b").size() == 3750);  // 1,250 pairs, 1,250 sensors
  CHECK(campus.link_path(*campus.find("button-1251")) ==
        std::vector<std::string>{"button-1251", "building-b"});
  const Topology field = load_topology(test::source_path("topology/field.json"));
  CHECK(field.link_path(*field.find("valve-3")) ==
        std::vector<std::string>{"valve-3", "field", "barn"});
  CHECK(field.links().at("field").loss() == 3);
}
