// The state service's view of the links (state/link_table.hpp), without a broker: messages are
// handed to it as the bus would.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "link_table.hpp"
#include "snet/clock.hpp"
#include "snet/message.hpp"
#include "snet/metrics.hpp"
#include "snet/topics.hpp"

using namespace snet;
using namespace snet::state;
using nlohmann::json;

namespace {

constexpr const char* kTopology = R"({
  "name": "t",
  "sites": [{"id": "hall", "link": {"latency_ms": 20}}, {"id": "room", "parent": "hall"}],
  "devices": [{"id": "lamp", "kind": "actuator", "site": "room"},
              {"id": "solo", "kind": "actuator"}]
})";

Message update_message(const std::string& link, const std::string& spec, const std::string& id,
                       Micros ts) {
  return {topics::link_control_topic("t", link),
          to_json(LinkUpdate{link, parse_link_spec_text(spec), id, ts}),
          true,
          {}};
}

}  // namespace

TEST_CASE("a change is described field by field, absent fields as their ideal default") {
  const LinkSpec file = parse_link_spec_text(R"({"latency_ms": 20, "rate_kbit": 256})");
  CHECK(link_change_text(file, file.merged(parse_link_spec_text(R"({"latency_ms": 50,
        "up": false})"))) == "latency_ms 20 -> 50, up true -> false");
  CHECK(link_change_text(LinkSpec{}, parse_link_spec_text(R"({"loss_pct": 2.5, "seed": 3})")) ==
        "loss_pct 0 -> 2.5, seed none -> 3");
  CHECK(link_change_text(file, file) == "no change");
}

TEST_CASE("a PUT body: a partial link where null clears a field") {
  const LinkPatch patch = parse_link_patch(R"({"rate_kbit": null, "up": false})");
  CHECK(patch.cleared == std::vector<std::string>{"rate_kbit"});
  const LinkSpec file = parse_link_spec_text(R"({"latency_ms": 20, "rate_kbit": 256})");
  CHECK(patch.applied_to(file).to_json() == json::parse(R"({"latency_ms": 20, "up": false})"));
  CHECK_THROWS_WITH_AS(parse_link_patch("nope"), doctest::Contains("JSON link object"), BadMessage);
  CHECK_THROWS_WITH_AS(parse_link_patch(R"({"colour": null})"),
                       doctest::Contains("colour: unknown field"), BadMessage);
  CHECK_THROWS_WITH_AS(parse_link_patch(R"({"jitter_ms": -1})"),
                       doctest::Contains("link.jitter_ms: -1 is out of range"), BadMessage);
}

TEST_CASE("the table follows updates (newest wins), reports, presence and reporters leaving") {
  const Topology topology = parse_topology_text(kTopology);
  Metrics registry;
  StateMetrics metrics(registry);
  LinkTable table(topology, metrics, nullptr);
  REQUIRE(table.emulated());
  CHECK(table.subscriptions().size() == 3);
  CHECK(table.known("hall"));
  CHECK(table.known("lamp"));
  CHECK_FALSE(table.known("mars"));
  CHECK(table.effective("hall").latency() == 20);

  // A local PUT is seen at once; the broker's copy of an older update does not undo a newer one.
  table.apply_local(LinkUpdate{"hall", parse_link_spec_text(R"({"latency_ms": 50})"), "f-2", 200});
  CHECK(table.observe(update_message("hall", R"({"latency_ms": 30})", "f-1", 100)));
  CHECK(table.effective("hall").latency() == 50);
  CHECK(table.observe(update_message("hall", R"({"latency_ms": 70})", "f-3", 300)));
  CHECK(table.effective("hall").latency() == 70);
  // A cleared retained update: the file's spec again.
  CHECK(table.observe(Message{topics::link_control_topic("t", "hall"), "", true, {}}));
  CHECK(table.effective("hall").latency() == 20);
  // A failed publish is undone.
  const LinkUpdate cut{"room", parse_link_spec_text(R"({"up": false})"), "f-4", 400};
  table.apply_local(cut);
  CHECK_FALSE(table.effective("room").is_up());
  table.revert_local(cut, std::nullopt);
  CHECK(table.effective("room").is_up());

  LinkReport report{"agent", "process", 1, {}, {"a note"}};
  report.links["lamp"] = LinkTraffic{{"latency_ms"}, 1, 2, 3, 4, 0, 1};
  CHECK(table.observe(Message{topics::link_report_topic("t", "agent"), to_json(report), true, {}}));
  // A large report comes in parts (<agent>.2...); another agent's name only starts alike.
  LinkReport part{"agent.2", "process", 1, {}, {}};
  CHECK(table.observe(Message{topics::link_report_topic("t", "agent.2"), to_json(part), true, {}}));
  LinkReport other{"agent.x", "process", 1, {}, {}};
  CHECK(
      table.observe(Message{topics::link_report_topic("t", "agent.x"), to_json(other), true, {}}));
  CHECK(table.observe(Message{
      topics::make("t", topics::Kind::presence, "lamp"), R"({"online": false})", true, {}}));
  json view = table.view();
  CHECK(view["links"][2]["id"] == "lamp");
  CHECK(view["links"][2]["online"] == false);
  CHECK(view["links"][2]["engines"]["latency_ms"] == "process");
  CHECK(view["links"][2]["traffic"]["bytes_down"] == 2);
  CHECK(view["notes"][0]["note"] == "a note");
  CHECK(view["links"][0]["sites"] == json::array({"room"}));
  CHECK(view["links"][1]["devices"] == json::array({"lamp"}));

  // A status message is not taken, only watched: an offline reporter's report is dropped.
  CHECK_FALSE(table.observe(Message{topics::make("t", topics::Kind::status, "agent"),
                                    R"({"service": "agent", "online": false})",
                                    true,
                                    {}}));
  view = table.view();
  CHECK(view["links"][2]["engines"] == json::object());
  REQUIRE(view["reporters"].size() == 1);  // its part went with it; agent.x is another one
  CHECK(view["reporters"][0]["reporter"] == "agent.x");

  // Not ours: left alone. Bad: taken and counted.
  CHECK_FALSE(
      table.observe(Message{topics::make("t", topics::Kind::state, "lamp"), "{}", false, {}}));
  CHECK(table.observe(Message{topics::link_control_topic("t", "lamp"), "{", true, {}}));
  CHECK(metrics.rejected("malformed_json").value() == 1);
  CHECK(table.observe(update_message("mars", "{}", "x", 1)));
  CHECK(metrics.rejected("unknown_link").value() == 1);
  // The revision grows with every change, from the clock on (so also across restarts).
  const auto rev = table.view()["rev"].get<std::uint64_t>();
  CHECK(rev > static_cast<std::uint64_t>(now_us()) - 60'000'000);
  // A table started later (a restarted service) begins above it: far fewer changes than µs.
  CHECK(LinkTable(topology, metrics, nullptr).view()["rev"].get<std::uint64_t>() > rev);
}

TEST_CASE("a topology without a network has no links to follow") {
  const Topology topology =
      parse_topology_text(R"({"name": "p", "devices": [{"id": "a", "kind": "actuator"}]})");
  Metrics registry;
  StateMetrics metrics(registry);
  LinkTable table(topology, metrics, nullptr);
  CHECK_FALSE(table.emulated());
  CHECK(table.subscriptions().empty());
  CHECK_FALSE(table.observe(update_message("a", "{}", "x", 1)));
  CHECK(table.view()["links"].empty());
  CHECK(table.view()["hint"].get<std::string>().find("\"sites\"") != std::string::npos);
}
