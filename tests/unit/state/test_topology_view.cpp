// GET /api/topology's view of a topology (state/topology_view.hpp): what the dashboard draws.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "snet/topology.hpp"
#include "topology_view.hpp"

using namespace snet;
using nlohmann::json;
using snet::state::topology_view;

TEST_CASE("GET /api/topology's view shows each button's routes, members and where they go") {
  const json view = topology_view(load_topology(test::source_path("topology/headers.json")));
  CHECK(view["routing"] == "headers");
  const json& button = view["devices"][0];
  CHECK(button["id"] == "north-lamps");
  CHECK(button["targets"] == json::array({"north-lamp-1", "north-lamp-2"}));
  REQUIRE(button["routes"].size() == 1);
  const json& r = button["routes"][0];
  CHECK(r["kind"] == "match");
  CHECK(r["x-match"] == "all");
  CHECK(r["match"] == json{{"type", "lamp"}, {"zone", "north"}});
  CHECK(r["actuators"] == json::array({"north-lamp-1", "north-lamp-2"}));
  CHECK(r["exchange"] == "snet.headers");
  CHECK(r["headers"]["snet-match"] == "all:type,zone");
  const json topic_view = topology_view(load_topology(test::source_path("topology/topic.json")));
  CHECK(topic_view["topic_key"] == json::array({"floor", "room", "type"}));
  CHECK(topic_view["devices"][1]["routes"][0]["topic"] == "snet/topic/pattern/1/_/lamp");
  bool keyed = false;
  for (const auto& d : topic_view["devices"]) {
    if (d["id"] == "hall-lamp") keyed = d["key"] == "1/hall/lamp";
  }
  CHECK(keyed);
}

TEST_CASE("the view shows \"relayers\" only when it is not 1") {
  const std::string devices =
      R"("devices": [{"id": "b", "kind": "button", "targets": ["a"]},
                     {"id": "a", "kind": "actuator"}])";
  CHECK(topology_view(parse_topology_text(R"({"name": "t", "relayers": 3, )" + devices + "}"))
            .at("relayers") == 3);
  CHECK_FALSE(
      topology_view(parse_topology_text(R"({"name": "t", )" + devices + "}")).contains("relayers"));
}
