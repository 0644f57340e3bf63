// Scenario files: parsing, validation against a topology, and the planned presses.
#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "scenario.hpp"
#include "topology_errors.hpp"
#include "workload.hpp"

using namespace snet;
using namespace snet::experiment;
using snet::test::mentions;

namespace {
const Topology kTopology = parse_topology_text(R"({
  "name": "t",
  "sites": [{"id": "north"}, {"id": "floor", "parent": "north"}],
  "devices": [
    {"id": "b1", "kind": "button", "targets": ["l1"], "site": "floor", "attrs": {"zone": "a"}},
    {"id": "b2", "kind": "button", "targets": ["l1"], "attrs": {"zone": "b"}},
    {"id": "l1", "kind": "actuator"}
  ]})");

Scenario parse(const std::string& text) {
  return parse_scenario(nlohmann::json::parse(text));
}

std::vector<std::string> errors_of(const std::string& text) {
  return test::rejection_errors<ScenarioError>([&] { (void)parse(text); }, "scenario " + text);
}
}  // namespace

TEST_CASE("a scenario with every kind of generator and action") {
  const Scenario s = parse(R"({
    "name": "all", "topology": "t", "duration_s": 10, "seed": 3, "up": {"relayers": 2},
    "workload": [
      {"buttons": "*", "pattern": "constant", "rate": 2},
      {"buttons": {"site": "north"}, "pattern": "poisson", "rate": 5, "from_s": 2, "until_s": 8},
      {"buttons": ["b2"], "pattern": "burst", "count": 3, "every_s": 4},
      {"buttons": {"attrs": {"zone": "b"}}, "pattern": "ramp", "rate": 0, "to_rate": 10}
    ],
    "timeline": [
      {"at_s": 6, "until_s": 8, "link": "north", "set": {"up": false}},
      {"at_s": 2, "service": "relayer-1", "do": "kill"},
      {"at_s": 3, "until_s": 4, "devices": ["l1"], "do": "offline"},
      {"at_s": 5, "storm": "actuators"}
    ],
    "expect": {"lost": 0, "p99_ms": 50}
  })");
  CHECK(validate(s, kTopology).empty());
  CHECK(s.up_flags.at("relayers") == "2");
  REQUIRE(s.timeline.size() == 4);
  CHECK(s.timeline.front().label == "kill relayer-1");  // sorted by time
  CHECK(s.timeline.back().kind == "link");
  CHECK_FALSE(s.timeline.back().link.is_up());
  CHECK(*s.expect.lost == 0);
  CHECK(select_buttons(s.workload[1].buttons, kTopology) == std::vector<std::string>{"b1"});
}

TEST_CASE("a broken scenario names every problem") {
  const auto errors = errors_of(R"({
    "topology": "t", "duration_s": 0, "colour": 1,
    "workload": [{"buttons": "*", "pattern": "zigzag"}, {"pattern": "burst", "count": 0}],
    "timeline": [{"at_s": 1, "service": "relayer", "do": "explode"},
                 {"at_s": 2, "link": "north", "set": {"loss_pct": 300}},
                 {"at_s": 3, "until_s": 1, "storm": "everything"},
                 {"at_s": 4, "service": "relayer", "do": "kill", "devices": ["l1"]}]
  })");
  CHECK(mentions(errors, "missing field 'name'"));
  CHECK(mentions(errors, "'duration_s' is 0"));
  CHECK(mentions(errors, "unknown field 'colour'"));
  CHECK(mentions(errors, "workload[0]: pattern 'zigzag' is not"));
  CHECK(mentions(errors, "workload[1]: missing field 'buttons'"));
  CHECK(mentions(errors, "workload[1]: 'count' is 0"));
  CHECK(mentions(errors, "'do' is 'explode'"));
  CHECK(mentions(errors, "timeline[1].set.loss_pct: 300 is out of range"));
  CHECK(mentions(errors, "timeline[2]: 'until_s' must be after 'at_s'"));
  CHECK(mentions(errors, "'storm' is 'everything'"));
  CHECK(mentions(errors, "timeline[3]: needs exactly one of"));
}

TEST_CASE("a scenario is checked against its topology") {
  const Scenario s = parse(R"({
    "name": "x", "topology": "t", "duration_s": 10,
    "workload": [{"buttons": ["b9", "l1"], "pattern": "constant", "rate": 1},
                 {"buttons": {"site": "mars"}, "pattern": "constant", "rate": 1}],
    "timeline": [{"at_s": 11, "devices": ["ghost"], "do": "crash"},
                 {"at_s": 1, "link": "nowhere", "set": {"latency_ms": 5}}]
  })");
  const auto errors = validate(s, kTopology);
  CHECK(mentions(errors, "workload[0]: 'b9' is not a button"));
  CHECK(mentions(errors, "workload[0]: 'l1' is not a button"));
  CHECK(mentions(errors, "workload[1]: 'mars' is not a site"));
  CHECK(mentions(errors, "after the scenario's end"));
  CHECK(mentions(errors, "'ghost' is not a device"));
  CHECK(mentions(errors, "'nowhere' is not a site or device"));
}

TEST_CASE("planned presses repeat with the seed and follow each pattern") {
  const char* text = R"({
    "name": "p", "topology": "t", "duration_s": 10, "seed": 9,
    "workload": [
      {"buttons": "*", "pattern": "constant", "rate": 4},
      {"buttons": ["b1"], "pattern": "poisson", "rate": 50},
      {"buttons": ["b2"], "pattern": "burst", "count": 5, "every_s": 2.5},
      {"buttons": ["b2"], "pattern": "ramp", "rate": 0, "to_rate": 20}
    ]})";
  const auto first = plan_presses(parse(text), kTopology);
  const auto again = plan_presses(parse(text), kTopology);
  REQUIRE(first.size() == again.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    CHECK(first[i].at_us == again[i].at_us);
    CHECK(first[i].id == again[i].id);
  }
  CHECK(std::is_sorted(first.begin(), first.end(),
                       [](const auto& a, const auto& b) { return a.at_us < b.at_us; }));
  CHECK(first.front().id == "p-9-1-1");
  auto count_in = [&](const std::string& button, std::int64_t from, std::int64_t to) {
    return std::count_if(first.begin(), first.end(), [&](const PlannedPress& p) {
      return p.button == button && p.at_us >= from && p.at_us < to;
    });
  };
  // constant: 40 presses taking turns over b1 and b2; burst: 4 bursts of 5 on b2;
  // ramp 0 -> 20/s over 10 s: 100 presses, three times as many in the second half as the first.
  const auto b2 = count_in("b2", 0, 10'000'000);
  CHECK(b2 == 20 + 20 + 99);
  const auto b1 = count_in("b1", 0, 10'000'000);
  CHECK(b1 >= 20 + 400);  // poisson 50/s over 10 s: 500 +- a few sigma
  CHECK(b1 <= 20 + 600);
  const auto ramp_first_half = count_in("b2", 0, 5'000'000);
  CHECK(ramp_first_half < b2 / 2);
  // Another seed moves the poisson presses, not the constant ones.
  std::string other = text;
  other.replace(other.find("\"seed\": 9"), 9, "\"seed\": 8");
  const auto moved = plan_presses(parse(other), kTopology);
  CHECK(moved.front().at_us == first.front().at_us);
  CHECK(moved.size() != first.size());
}
