// The links of the emulated network through snet-state (GET /api/links, PUT /api/links/{id},
// `snet link`) against a real mosquitto and the real snet-state process. The engines that apply
// links are stood in for by this test: it publishes LinkReports and watches LinkUpdates.
#include <doctest/doctest.h>

#include <future>

#include "snet/link.hpp"
#include "snet/message.hpp"
#include "snet/topics.hpp"
#include "snet_up.hpp"
#include "state_stack.hpp"
#include "ws_client.hpp"

using namespace snet;
using namespace snet::test;
using nlohmann::json;

namespace {

const std::string kSites = source_path("tests/topology/sites.json");

json body_of(const HttpResult& r) {
  return json::parse(r.body, nullptr, false);
}

std::string error_of(const HttpResult& r) {
  const auto body = body_of(r);
  return body.is_object() ? body.value("error", "") : "";
}

HttpResult put(const StateStack& stack, const std::string& link, const std::string& body) {
  return http_request("PUT", stack.http_port(), "/api/links/" + link, body);
}

json link_of(const json& view, const std::string& id) {
  for (const auto& l : view["links"]) {
    if (l["id"] == id) return l;
  }
  return json();
}

SnetRun run_link(std::vector<std::string> args) {
  args.insert(args.begin(), "link");
  return run_snet(std::move(args), 20s, {{"SNET_URL", ""}});
}

}  // namespace

TEST_CASE("GET /api/links lists sites first, then devices, with file and effective specs") {
  StateStack stack(kSites);
  const json view = stack.get_json("/api/links");
  REQUIRE(view.is_object());
  CHECK(view["emulated"] == true);
  CHECK(view["topology"] == "sites");
  std::vector<std::string> ids;
  for (const auto& l : view["links"]) ids.push_back(l["id"]);
  CHECK(ids == std::vector<std::string>{"campus", "building-a", "floor-1", "field", "button-1",
                                        "actuator-1", "button-2", "actuator-2", "button-3",
                                        "actuator-3"});
  const json building = link_of(view, "building-a");
  CHECK(building["kind"] == "site");
  CHECK(building["parent"] == "campus");
  CHECK(building["devices"] == json::array({"actuator-1"}));
  CHECK(building["sites"] == json::array({"floor-1"}));
  CHECK(building["file"] == json::parse(R"({"latency_ms": 20, "rate_kbit": 1024})"));
  CHECK(building["spec"] == building["file"]);
  CHECK(building["changed"] == false);
  CHECK(building["update"].is_null());
  CHECK(building["engines"] == json::object());
  CHECK(building["traffic"]["bytes_up"] == 0);
  CHECK(link_of(view, "campus")["parent"] == "");
  CHECK(link_of(view, "campus")["description"] == "the campus backbone");
  const json button = link_of(view, "button-1");
  CHECK(button["kind"] == "device");
  CHECK(button["device_kind"] == "button");
  CHECK(button["parent"] == "floor-1");
  CHECK(button["file"] == json::object());  // ideal: not in the file
  CHECK(button["online"].is_null());        // no presence heard yet
  CHECK(link_of(view, "actuator-3")["parent"] == "");
  CHECK(link_of(view, "actuator-3")["spec"]["latency_ms"] == 1);
  CHECK(view["notes"] == json::array());
  CHECK(stack.get("/api/links?x=1").status == 400);
}

TEST_CASE("PUT /api/links/{id} merges, publishes the retained LinkUpdate and records a fault") {
  StateStack stack(kSites);
  Recorder watcher(stack.broker().url(), {topics::link_control_filter("sites")});
  WsClient ws(stack.http_port());

  const auto res = put(stack, "building-a", R"({"latency_ms": 50, "up": false})");
  REQUIRE_MESSAGE(res.status == 200, res.body);
  const json answer = body_of(res);
  CHECK(answer["spec"] == json::parse(R"({"latency_ms": 50, "rate_kbit": 1024, "up": false})"));
  CHECK(answer["previous"] == json::parse(R"({"latency_ms": 20, "rate_kbit": 1024})"));
  CHECK(answer["detail"] == "latency_ms 20 -> 50, up true -> false");
  const std::string fault_id = answer["fault_id"];

  // On the broker, retained, for an engine that comes later.
  const auto seen = watcher.wait_for(topics::link_control_topic("sites", "building-a"));
  REQUIRE(seen);
  const LinkUpdate update = parse_link_update(seen->payload);
  CHECK(update.link == "building-a");
  CHECK(update.spec.latency() == 50);
  CHECK(update.spec.rate() == 1024);
  CHECK_FALSE(update.spec.is_up());
  CHECK(update.id == fault_id);
  CHECK(update.ts > 0);
  Recorder late(stack.broker().url(), {topics::link_control_filter("sites")});
  const auto retained = late.wait_for(topics::link_control_topic("sites", "building-a"));
  REQUIRE(retained);
  CHECK(retained->retained);
  CHECK(parse_link_update(retained->payload).id == fault_id);

  // The fault: live, in the history, counted; the link's new state live too.
  const auto pushed = ws.read_until([&](const json& m) {
    return m.value("type", "") == "faults" && m["items"][0]["fault_id"] == fault_id;
  });
  REQUIRE(pushed);
  CHECK((*pushed)["items"][0]["target"] == "building-a");
  CHECK((*pushed)["items"][0]["target_kind"] == "link");
  CHECK((*pushed)["items"][0]["action"] == "link");
  CHECK((*pushed)["items"][0]["detail"] == "latency_ms 20 -> 50, up true -> false");
  const auto links_msg = ws.read_until([](const json& m) {
    return m.value("type", "") == "links" && m["items"][0]["id"] == "building-a";
  });
  REQUIRE(links_msg);
  CHECK((*links_msg)["items"][0]["spec"]["up"] == false);
  CHECK((*links_msg)["items"][0]["update"]["id"] == fault_id);
  const auto faults = stack.get_json("/api/events?kind=fault&device=building-a")["events"];
  REQUIRE(faults.size() == 1);
  CHECK(faults[0]["fault_id"] == fault_id);
  CHECK(stack.metric("snet_state_faults_total{action=\"link\"}") == 1);

  // A second partial update merges onto the first; null lifts a limit.
  const auto second = put(stack, "building-a", R"({"rate_kbit": null, "up": true})");
  REQUIRE_MESSAGE(second.status == 200, second.body);
  CHECK(body_of(second)["spec"] == json::parse(R"({"latency_ms": 50, "up": true})"));
  CHECK(body_of(second)["detail"] == "rate_kbit 1024 -> unlimited, up false -> true");
  const json now = link_of(stack.get_json("/api/links"), "building-a");
  CHECK(now["spec"] == json::parse(R"({"latency_ms": 50, "up": true})"));
  CHECK(now["file"] == json::parse(R"({"latency_ms": 20, "rate_kbit": 1024})"));
  CHECK(now["changed"] == true);
  CHECK(now["update"]["id"] == body_of(second)["fault_id"]);

  // A device's link is a link too.
  const auto device = put(stack, "actuator-2", R"({"jitter_ms": 3.5})");
  REQUIRE(device.status == 200);
  CHECK(body_of(device)["spec"] == json::parse(R"({"loss_pct": 0.5, "jitter_ms": 3.5})"));

  // The effective spec outlives a restart of the state service: the broker retains it.
  stack.stop_state();
  stack.start_state();
  CHECK(eventually([&] {
    return link_of(stack.get_json("/api/links"), "building-a")["spec"] ==
           json::parse(R"({"latency_ms": 50, "up": true})");
  }));
  CHECK(stack.get_json("/api/events?kind=fault")["events"].size() == 3);
}

TEST_CASE("bad link updates are refused naming what is wrong: 400, 404, 409, 413") {
  StateStack stack(kSites);
  Recorder watcher(stack.broker().url(), {topics::link_control_filter("sites")});
  struct Bad {
    const char* link;
    const char* body;
    int status;
    const char* names;
  };
  const Bad cases[] = {
      {"building-a", "{not json", 400, "JSON link object"},
      {"building-a", "[1]", 400, "JSON link object"},
      {"building-a", R"({"loss_pct": 101})", 400, "link.loss_pct: 101 is out of range"},
      {"building-a", R"({"latency_ms": "fast"})", 400, "latency_ms: must be a number"},
      {"building-a", R"({"colour": "red"})", 400, "colour: unknown field"},
      {"building-a", R"({"up": "no"})", 400, "up: must be true or false"},
      {"mars", R"({"up": false})", 404, "unknown link 'mars'"},
  };
  for (const auto& c : cases) {
    const auto res = put(stack, c.link, c.body);
    CHECK_MESSAGE(res.status == c.status, c.body, " ", res.body);
    CHECK_MESSAGE(error_of(res).find(c.names) != std::string::npos, c.body, " ", res.body);
  }
  CHECK(put(stack, "field", "{\"up\": false" + std::string(20'000, ' ') + "}").status == 413);
  CHECK(stack.metric("snet_state_control_rejected_total{reason=\"bad_link\"}") == 6);
  CHECK(stack.metric("snet_state_control_rejected_total{reason=\"unknown_link\"}") == 1);
  CHECK(stack.get_json("/api/events?kind=fault")["events"].empty());
  // Nothing was published: a good update is the first thing the watcher sees.
  REQUIRE(put(stack, "field", R"({"up": false})").status == 200);
  REQUIRE(watcher.wait([](const auto& m) { return !m.empty(); }));
  CHECK(watcher.messages().size() == 1);
  CHECK(parse_link_update(watcher.messages()[0].payload).link == "field");

  // A topology without sites or links emulates no network: 409 saying how to get one.
  StateStack plain;
  const auto refused = put(plain, "actuator-1", R"({"up": false})");
  CHECK(refused.status == 409);
  CHECK(error_of(refused).find("does not emulate a network") != std::string::npos);
  CHECK(error_of(refused).find("\"sites\"") != std::string::npos);
  const json view = plain.get_json("/api/links");
  CHECK(view["emulated"] == false);
  CHECK(view["links"].empty());
  CHECK(view["hint"].get<std::string>().find("\"link\"") != std::string::npos);
  CHECK(plain.metric("snet_state_control_rejected_total{reason=\"not_emulated\"}") == 1);
}

TEST_CASE(
    "LinkReports show as engines, traffic and notes, LinkUpdates from others and presence "
    "are followed") {
  StateStack stack(kSites);
  Recorder engine(stack.broker().url(), {});
  WsClient ws(stack.http_port());

  LinkReport process{"agent", "process", 1, {}, {}};
  process.links["button-1"] =
      LinkTraffic{{"latency_ms", "jitter_ms", "loss_pct"}, 100, 200, 3, 4, 1, 1};
  process.links["building-a"] = LinkTraffic{{"latency_ms", "loss_pct"}, 10, 20, 1, 2, 0, 1};
  LinkReport kernel{"kernel", "kernel", 2, {}, {"loss_pct: no sch_netem; the process engine"}};
  kernel.links["building-a"] = LinkTraffic{{"rate_kbit", "up"}, 1000, 2000, 10, 20, 5, 0};
  publish_retained(engine, topics::link_report_topic("sites", "agent"), to_json(process));
  publish_retained(engine, topics::link_report_topic("sites", "kernel"), to_json(kernel));

  json building;
  REQUIRE(eventually([&] {
    building = link_of(stack.get_json("/api/links"), "building-a");
    return building["reporters"].size() == 2;
  }));
  CHECK(building["engines"] == json::parse(R"({"latency_ms": "process", "loss_pct": "process",
                                               "rate_kbit": "kernel", "up": "kernel"})"));
  CHECK(building["traffic"] == json::parse(R"({"bytes_up": 1010, "bytes_down": 2020,
      "packets_up": 11, "packets_down": 22, "dropped": 5, "connections": 1})"));
  const json view = stack.get_json("/api/links");
  CHECK(link_of(view, "button-1")["traffic"]["bytes_down"] == 200);
  REQUIRE(view["notes"].size() == 1);
  CHECK(view["notes"][0]["reporter"] == "kernel");
  CHECK(view["notes"][0]["note"] == "loss_pct: no sch_netem; the process engine");
  CHECK(view["reporters"].size() == 2);

  // A reporter whose service status goes offline (its last will) no longer counts.
  publish_retained(engine, topics::make("sites", topics::Kind::status, "kernel"),
                   R"({"service": "kernel", "online": false, "ts": 5})");
  REQUIRE(eventually([&] {
    return link_of(stack.get_json("/api/links"), "building-a")["reporters"] ==
           json::array({"agent"});
  }));
  CHECK(link_of(stack.get_json("/api/links"), "building-a")["engines"] ==
        json::parse(R"({"latency_ms": "process", "loss_pct": "process"})"));

  // An update published by someone else (an experiment script) is the link's state too.
  LinkUpdate external{"field", parse_link_spec_text(R"({"up": false, "latency_ms": 300})"),
                      "script-1", 0};
  publish_retained(engine, topics::link_control_topic("sites", "field"), to_json(external));
  const auto pushed = ws.read_until([](const json& m) {
    return m.value("type", "") == "links" && m["items"][0]["id"] == "field";
  });
  REQUIRE(pushed);
  CHECK((*pushed)["items"][0]["spec"] == json::parse(R"({"latency_ms": 300, "up": false})"));
  CHECK(link_of(stack.get_json("/api/links"), "field")["update"]["id"] == "script-1");
  // ... and a PUT merges onto it.
  const auto merged = put(stack, "field", R"({"up": true})");
  CHECK(body_of(merged)["spec"] == json::parse(R"({"latency_ms": 300, "up": true})"));

  // Presence: a device whose last will fired is offline (unreachable).
  publish_retained(engine, topics::make("sites", topics::Kind::presence, "actuator-1"),
                   R"({"online": false})");
  const auto offline = ws.read_until([](const json& m) {
    return m.value("type", "") == "links" && m["items"][0]["id"] == "actuator-1";
  });
  REQUIRE(offline);
  CHECK((*offline)["items"][0]["online"] == false);
  CHECK(link_of(stack.get_json("/api/links"), "actuator-1")["online"] == false);

  // Garbage is counted, not fatal.
  publish_retained(engine, topics::link_report_topic("sites", "bogus"), "{\"reporter\": 1}");
  publish_retained(engine, topics::link_control_topic("sites", "nowhere"),
                   R"({"link": "nowhere", "spec": {}})");
  CHECK(eventually([&] {
    return stack.metric("snet_state_rejected_total{reason=\"unknown_link\"}") == 1 &&
           stack.metric("snet_state_rejected_total{reason=\"bad-link-report\"}") == 1;
  }));
  CHECK(stack.get("/healthz").status == 200);
}

TEST_CASE("snet link lists the links and changes one through the state service") {
  StateStack stack(kSites);
  const std::string url = "http://127.0.0.1:" + std::to_string(stack.http_port());

  const auto listed = run_link({"--url", url});
  REQUIRE_MESSAGE(listed.status == 0, listed.output);
  CHECK(listed.output.find("LINK") != std::string::npos);
  CHECK(listed.output.find("building-a") != std::string::npos);
  CHECK(listed.output.find("20ms 1.024mbit") == std::string::npos);  // kbit below a whole mbit
  CHECK(listed.output.find("20ms 1024kbit") != std::string::npos);
  CHECK(listed.output.find("80ms ±10ms 1% loss 256kbit") != std::string::npos);

  const auto cut =
      run_link({"field", "--down", "--latency", "0.1s", "--rate", "2mbit", "--url", url});
  REQUIRE_MESSAGE(cut.status == 0, cut.output);
  CHECK(cut.output.find("latency_ms 80 -> 100") != std::string::npos);
  CHECK(cut.output.find("rate_kbit 256 -> 2000") != std::string::npos);
  CHECK(cut.output.find("up true -> false") != std::string::npos);
  CHECK(cut.output.find("CUT 100ms") != std::string::npos);
  const json field = link_of(stack.get_json("/api/links"), "field");
  CHECK(field["spec"]["up"] == false);
  CHECK(field["spec"]["rate_kbit"] == 2000);

  const auto one = run_link({"field", "--url", url});
  CHECK(one.status == 0);
  CHECK(one.output.find("CUT") != std::string::npos);
  CHECK(one.output.find("file") != std::string::npos);

  const auto bad_rate = run_link({"field", "--rate", "12parsecs", "--url", url});
  CHECK(bad_rate.status == 2);
  CHECK(bad_rate.output.find("--rate: '12parsecs' is not a rate like 128kbit or 2mbit") !=
        std::string::npos);
  const auto unknown = run_link({"mars", "--up", "--url", url});
  CHECK(unknown.status == 1);
  CHECK(unknown.output.find("unknown link 'mars'") != std::string::npos);
  const auto range = run_link({"field", "--loss", "150%", "--url", url});
  CHECK(range.status == 1);
  CHECK(range.output.find("link.loss_pct: 150 is out of range") != std::string::npos);
  CHECK(run_link({"--help"}).status == 0);
  CHECK(run_link({"--down", "--url", url}).status == 2);
}
