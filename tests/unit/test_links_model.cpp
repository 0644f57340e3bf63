// The emulated network's model: sites and links in a topology, LinkSpec and its messages.
#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "snet/link.hpp"
#include "snet/topics.hpp"
#include "snet/topology.hpp"
#include "topology_errors.hpp"
#include "topology_view.hpp"

using namespace snet;
using snet::test::errors_of;
using snet::test::mentions;

namespace {
constexpr const char* kCampus = R"({
  "name": "campus",
  "sites": [
    {"id": "campus", "link": {"latency_ms": 2}},
    {"id": "building-a", "parent": "campus", "link": {"latency_ms": 5, "rate_kbit": 1024}},
    {"id": "floor-1", "parent": "building-a"}
  ],
  "devices": [
    {"id": "b1", "kind": "button", "targets": ["l1"], "site": "floor-1",
     "link": {"loss_pct": 1.5, "seed": 7}},
    {"id": "l1", "kind": "actuator", "site": "building-a"},
    {"id": "l2", "kind": "actuator"}
  ]
})";
}  // namespace

TEST_CASE("sites nest, and a device's link path runs from the device outwards") {
  const Topology t = parse_topology_text(kCampus);
  REQUIRE(t.sites.size() == 3);
  CHECK(t.emulates_network());
  CHECK(t.link_path(*t.find("b1")) ==
        std::vector<std::string>{"b1", "floor-1", "building-a", "campus"});
  CHECK(t.link_path(*t.find("l2")) == std::vector<std::string>{"l2"});
  const auto links = t.links();
  CHECK(links.size() == 6);  // three sites, three devices
  CHECK(links.at("building-a").rate() == 1024);
  CHECK(links.at("b1").loss() == 1.5);
  CHECK(links.at("b1").seed == 7u);
  CHECK(links.at("l2").ideal());
  CHECK(t.find_site("floor-1")->parent == "building-a");
  CHECK(t.devices_in("building-a").size() == 1);
  const auto json = state::topology_view(t);
  CHECK(json["sites"][1]["devices"] == nlohmann::json::array({"l1"}));
  CHECK(json["devices"][0]["site"] == "floor-1");
}

TEST_CASE("a topology without sites or links does not emulate a network") {
  const Topology t =
      parse_topology_text(R"({"name": "plain", "devices": [{"id": "a", "kind": "actuator"}]})");
  CHECK_FALSE(t.emulates_network());
  CHECK(t.link_path(*t.find("a")).empty());
  CHECK(t.links().empty());
}

TEST_CASE("broken sites and links are reported, each naming what is wrong") {
  const auto errors = errors_of(R"({
    "name": "bad",
    "sites": [
      {"id": "a", "parent": "b"}, {"id": "b", "parent": "a"},
      {"id": "c", "parent": "nowhere", "link": {"latency_ms": -1, "loss_pct": "x", "colour": 1}},
      {"id": "d1"}, {"id": "c"}
    ],
    "devices": [
      {"id": "d1", "kind": "actuator", "site": "mars", "link": {"rate_kbit": 1, "up": "yes"}}
    ]
  })");
  CHECK(mentions(errors, "site 'a': parents form a cycle"));
  CHECK(mentions(errors, "parent 'nowhere' is not a site"));
  CHECK(mentions(errors, "link.latency_ms: -1 is out of range"));
  CHECK(mentions(errors, "link.loss_pct: must be a number"));
  CHECK(mentions(errors, "link.colour: unknown field"));
  CHECK(mentions(errors, "site 'd1': a device has the same id"));
  CHECK(mentions(errors, "site 'c': duplicate id"));
  CHECK(mentions(errors, "device 'd1': site 'mars' is not one of the topology's sites"));
  CHECK(mentions(errors, "link.rate_kbit: 1 is out of range"));
  CHECK(mentions(errors, "link.up: must be true or false"));
}

TEST_CASE("generated pairs can sit in a site") {
  const Topology t = parse_topology_text(R"({
    "name": "field", "sites": [{"id": "farm", "link": {"latency_ms": 80}}],
    "pairs": {"count": 2, "site": "farm"}})");
  CHECK(t.devices_in("farm").size() == 4);
}

TEST_CASE("a partial link update replaces only the fields it has") {
  LinkSpec file = parse_link_spec_text(R"({"latency_ms": 20, "rate_kbit": 256})");
  const LinkSpec now = file.merged(parse_link_spec_text(R"({"up": false, "latency_ms": 50})"));
  CHECK(now.latency() == 50);
  CHECK(now.rate() == 256);
  CHECK_FALSE(now.is_up());
  CHECK_FALSE(now.ideal());
  CHECK(now.to_json() ==
        nlohmann::json::parse(R"({"latency_ms": 50, "rate_kbit": 256, "up": false})"));
  CHECK_THROWS_WITH_AS(parse_link_spec_text(R"({"loss_pct": 101})"),
                       doctest::Contains("link.loss_pct: 101 is out of range"), BadMessage);
  CHECK_THROWS_AS(parse_link_spec_text("not json"), BadMessage);
}

TEST_CASE("link updates and reports survive the wire") {
  LinkUpdate update{"building-a", parse_link_spec_text(R"({"jitter_ms": 5})"), "f-1", 42};
  const LinkUpdate back = parse_link_update(to_json(update));
  CHECK(back.link == "building-a");
  CHECK(back.spec == update.spec);
  CHECK(back.id == "f-1");
  CHECK(back.ts == 42);
  CHECK_THROWS_AS(parse_link_update(R"({"spec": {}})"), BadMessage);

  LinkReport report{"agent-1", "process", 7, {}, {"latency_ms by process: no sch_netem"}};
  report.links["b1"] = LinkTraffic{{"latency_ms"}, 10, 20, 1, 2, 0, 1};
  const LinkReport again = parse_link_report(to_json(report));
  CHECK(again.reporter == "agent-1");
  CHECK(again.links.at("b1").bytes_down == 20);
  CHECK(again.links.at("b1").properties == std::vector<std::string>{"latency_ms"});
  CHECK(again.notes.size() == 1);
  CHECK(topics::link_control_topic("t", "b1") == "snet/t/control/links/b1");
  CHECK(topics::link_report_topic("t", "agent") == "snet/t/status/links/agent");
}

TEST_CASE("a link report splits into parts of at most 200 links and the first carries the notes") {
  LinkReport whole{"kernel", "kernel", 7, {}, {"latency_ms by process: no sch_netem"}};
  for (int i = 0; i < 450; ++i) {
    // 64-character ids, the longest a topology allows: each part still fits in 64 KB.
    std::string id = "link-" + std::to_string(i);
    id.resize(64, 'x');
    whole.links[id] =
        LinkTraffic{{"rate_kbit", "loss_pct", "up"}, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull};
  }
  const auto parts = split_link_report(whole);
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].reporter == "kernel");
  CHECK(parts[1].reporter == "kernel.2");
  CHECK(parts[2].reporter == "kernel.3");
  CHECK(parts[0].links.size() == 200);
  CHECK(parts[2].links.size() == 50);
  CHECK(parts[0].notes == whole.notes);
  CHECK(parts[1].notes.empty());
  std::size_t links = 0;
  for (const auto& part : parts) {
    CHECK(part.engine == "kernel");
    CHECK(part.ts == 7);
    CHECK(to_json(part).size() < 64 * 1024);
    links += part.links.size();
    CHECK(std::all_of(part.links.begin(), part.links.end(),
                      [&](const auto& link) { return whole.links.count(link.first) == 1; }));
  }
  CHECK(links == 450);
  CHECK(parts[0].links.begin()->first < parts[1].links.begin()->first);  // in link order
  // Without links: still one report (its notes say why), never none.
  const auto empty = split_link_report(LinkReport{"agent", "process", 1, {}, {"n"}});
  REQUIRE(empty.size() == 1);
  CHECK(empty[0].notes.size() == 1);
}
