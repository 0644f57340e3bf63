// A site with a broker of its own (topology/bridged.json: site "branch", "broker": "local") under
// `snet up`: its Mosquitto bridged to the core one (cli/site_brokers.hpp), an agent for its
// devices on it, relayer and state on the core. Presses and commands cross the bridge each way;
// nothing outside the bridge's topics does; presses made while the core broker is down are all
// applied once it is back.
#include <doctest/doctest.h>

#include <algorithm>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "presser.hpp"
#include "snet/message.hpp"
#include "snet/topics.hpp"
#include "snet_up.hpp"

using namespace snet;
using namespace snet::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kTopology = "bridged";

struct BridgedStack {
  SnetUp up{SnetUp::Options{"topology/bridged.json", kTopology, {"--links", "off"}, 60s, {}}};
  int site_port = 0;

  BridgedStack() {
    std::smatch found;
    const std::string output = up.output();
    REQUIRE(std::regex_search(
        output, found, std::regex("site 'branch': mosquitto listening on 127\\.0\\.0\\.1:(\\d+)")));
    site_port = std::stoi(found[1]);
  }
  // The site's broker as the operator (the same login as the core's).
  std::string site_url() const {
    const std::string core = up.mqtt_url();
    return core.substr(0, core.rfind(':') + 1) + std::to_string(site_port);
  }
  std::string press_id_of(const std::string& actuator) {
    const auto got = http_request("GET", up.http_port(), "/api/devices/" + actuator);
    const auto view = nlohmann::json::parse(got.body, nullptr, false);
    return got.status == 200 && view.is_object() && view.contains("press_id") &&
                   view["press_id"].is_string()
               ? view["press_id"].get<std::string>()
               : "";
  }
  bool applied(const std::string& actuator, const std::string& press_id) {
    return eventually([&] { return press_id_of(actuator) == press_id; }, 10s);
  }
};

std::string topic(topics::Kind kind, const std::string& device) {
  return topics::make(kTopology, kind, device);
}

bool carries(const std::vector<Message>& messages, const std::string& needle) {
  for (const auto& m : messages)
    if (m.payload.find(needle) != std::string::npos) return true;
  return false;
}

// The press ids of the state reports among `messages`.
std::set<std::string> applied_ids(const std::vector<Message>& messages) {
  std::set<std::string> ids;
  for (const auto& m : messages) {
    try {
      ids.insert(parse_state(m.payload).press_id);
    } catch (const std::exception&) {
    }
  }
  return ids;
}

}  // namespace

TEST_CASE("bridged site: presses and commands cross the bridge and nothing else does") {
  BridgedStack stack;
  Recorder core(stack.up.mqtt_url(), {"snet/" + std::string(kTopology) + "/#"});
  // States do not cross into the site: one seen there comes from the lamp on the site's broker.
  Recorder site(stack.site_url(), {topics::all(kTopology, topics::Kind::cmd),
                                   topic(topics::Kind::state, "branch-lamp")});
  Presser at_site(stack.site_url(), "sites-test-presser");
  REQUIRE(at_site.wait_connected(5s));

  // A press at the site reaches the relayer on the core; its command the lamp at the site.
  at_site.press(topic(topics::Kind::press, "branch-button"), "site-1");
  CHECK(core.wait_for(topic(topics::Kind::press, "branch-button"), "site-1", 10s));
  CHECK(site.wait_for(topic(topics::Kind::cmd, "branch-lamp"), "site-1", 10s));
  CHECK(stack.applied("branch-lamp", "site-1"));
  CHECK(site.wait_for(topic(topics::Kind::state, "branch-lamp"), "site-1", 10s));
  // A press on the core commands the site's lamp; a site's press the core's lamp.
  REQUIRE(mosquitto_pub(stack.up.mqtt_port(), topic(topics::Kind::press, "hq-button"),
                        R"({"id":"core-1"})") == 0);
  CHECK(stack.applied("branch-lamp", "core-1"));
  CHECK(site.wait_for(topic(topics::Kind::state, "branch-lamp"), "core-1", 10s));
  at_site.press(topic(topics::Kind::press, "branch-hq-button"), "site-2");
  CHECK(stack.applied("hq-lamp", "site-2"));

  // Outside the bridge's topics: a core button's press and a topic of no device, published at
  // the site before a press that does cross (one connection each way, in order): once that
  // one is through, the others would have been too.
  at_site.press(topic(topics::Kind::press, "hq-button"), "outside-1");
  at_site.press("snet/" + std::string(kTopology) + "/elsewhere/branch-button", "outside-2");
  at_site.press(topic(topics::Kind::press, "branch-button"), "marker-1");
  REQUIRE(at_site.wait_acked(5, 5s));
  REQUIRE(core.wait_for(topic(topics::Kind::press, "branch-button"), "marker-1", 10s));
  CHECK(stack.applied("branch-lamp", "marker-1"));
  CHECK_FALSE(carries(core.messages(), "outside-1"));
  CHECK_FALSE(carries(core.messages(), "outside-2"));
  CHECK(stack.press_id_of("hq-lamp") == "site-2");
}

TEST_CASE("bridged site: presses made while the core broker is down are applied after it returns") {
  BridgedStack stack;
  // The lamp's states as its own broker sees them (they do not cross into the site).
  Recorder site(stack.site_url(), {topic(topics::Kind::state, "branch-lamp")});
  Presser at_site(stack.site_url(), "sites-test-outage-presser");
  REQUIRE(at_site.wait_connected(5s));
  at_site.press(topic(topics::Kind::press, "branch-button"), "before-1");
  REQUIRE(stack.applied("branch-lamp", "before-1"));

  REQUIRE(stack.up.control("broker", "stop").status == 200);
  REQUIRE(stack.up.wait_service("broker", [](const auto& s) { return s.value("pid", 0) == 0; }));
  constexpr int kPresses = 10;
  std::set<std::string> sent;
  for (int i = 0; i < kPresses; ++i) {
    sent.insert("during-" + std::to_string(i));
    at_site.press(topic(topics::Kind::press, "branch-button"), "during-" + std::to_string(i));
  }
  // The site's broker confirmed them all while the core was away.
  REQUIRE(at_site.wait_acked(1 + kPresses, 5s));
  CHECK(stack.press_id_of("branch-lamp") == "before-1");  // the state service's view is stale

  REQUIRE(stack.up.control("broker", "start").status == 200);
  const bool all = site.wait(
      [&](const auto& messages) {
        const auto ids = applied_ids(messages);
        return std::all_of(sent.begin(), sent.end(), [&](const auto& id) { return ids.count(id); });
      },
      20s);
  if (!all) {
    std::string got;
    for (const auto& id : applied_ids(site.messages())) got += id + " ";
    FAIL("applied at the site: " << got);
  }
}
