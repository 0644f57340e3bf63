// A site broker's bridge to the core and its logins (cli/site_brokers.hpp): which topics cross
// in which direction, and who may do what on each end.
#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

#include "acl_rules.hpp"
#include "broker_accounts.hpp"
#include "site_brokers.hpp"
#include "snet/topology.hpp"

using namespace snet;
using namespace snet::cli;

namespace {

const char* kTopology = R"({
  "name": "t", "routing": "topic",
  "sites": [{"id": "annex", "broker": "local"}, {"id": "floor", "parent": "annex"},
            {"id": "hall"}],
  "devices": [
    {"id": "b1", "kind": "button", "site": "annex", "targets": ["a1"]},
    {"id": "a1", "kind": "actuator", "site": "floor"},
    {"id": "s1", "kind": "sensor", "site": "annex",
     "sensor": {"capability": "temperature", "rate_hz": 1, "model": {"type": "constant", "value": 20}}},
    {"id": "b2", "kind": "button", "site": "hall", "targets": ["a2"]},
    {"id": "a2", "kind": "actuator"}
  ]})";

std::vector<std::string> lines_of(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) out.push_back(line.substr(prefix.size()));
  return out;
}

const auto& rules_of = test::acl_rules_of;

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("site bridge: each device's topics cross in their direction only") {
  const Topology t = parse_topology_text(kTopology);
  const auto bridges = site_bridges(t);
  REQUIRE(bridges.size() == 1);
  const SiteBridge& bridge = bridges[0];
  CHECK(bridge.site == "annex");
  REQUIRE(bridge.devices.size() == 3);  // b1, a1 (behind annex), s1; not b2 or a2
  CHECK(bridge.out == Lines{"snet/t/presence/b1", "snet/t/press/b1", "snet/t/presence/a1",
                            "snet/t/state/a1", "snet/t/presence/s1", "snet/t/reading/s1"});
  CHECK(bridge.in == Lines{"snet/t/trigger/b1", "snet/t/cmd/a1"});
}

TEST_CASE("site bridge: the mosquitto.conf section") {
  const Topology t = parse_topology_text(kTopology);
  const SiteBridge bridge = site_bridges(t).at(0);
  const std::string conf = bridge_config("t", bridge, {"127.0.0.1", 41883, "pw"});
  CHECK(lines_of(conf, "connection ") == Lines{"snet-t-bridge-annex"});
  CHECK(lines_of(conf, "address ") == Lines{"127.0.0.1:41883"});
  CHECK(lines_of(conf, "remote_username ") == Lines{"snet.bridge-annex"});
  CHECK(lines_of(conf, "local_username ") == Lines{"snet.bridge-annex"});
  CHECK(lines_of(conf, "remote_password ") == Lines{"pw"});
  CHECK(lines_of(conf, "cleansession ") == Lines{"false"});
  CHECK(lines_of(conf, "notifications ") == Lines{"false"});
  CHECK(lines_of(conf, "restart_timeout ") == Lines{"1 5"});
  const Lines topics = lines_of(conf, "topic ");
  CHECK(topics.size() == bridge.out.size() + bridge.in.size());
  CHECK(std::count(topics.begin(), topics.end(), "snet/t/press/b1 out 1") == 1);
  CHECK(std::count(topics.begin(), topics.end(), "snet/t/cmd/a1 in 1") == 1);
  CHECK(std::count(topics.begin(), topics.end(), "snet/t/trigger/b1 in 1") == 1);
  // Nothing of the core's devices, and no wildcard that would carry them.
  for (const auto& topic : topics) {
    CAPTURE(topic);
    CHECK(topic.find("b2") == std::string::npos);
    CHECK(topic.find("a2") == std::string::npos);
    CHECK(topic.find('#') == std::string::npos);
  }
}

TEST_CASE("site bridge: pattern routing subscriptions come in too") {
  const Topology t = parse_topology_text(R"({
    "name": "t", "routing": "topic", "topic_key": ["room"],
    "sites": [{"id": "annex", "broker": "local"}],
    "devices": [
      {"id": "all-lamps", "kind": "button", "patterns": ["+"]},
      {"id": "lamp", "kind": "actuator", "site": "annex", "attrs": {"room": "r1"}}
    ]})");
  const SiteBridge bridge = site_bridges(t).at(0);
  REQUIRE(bridge.in.size() == 2);
  CHECK(bridge.in[0] == "snet/t/cmd/lamp");
  CHECK(bridge.in[1].rfind("snet/t/pattern/", 0) == 0);
}

TEST_CASE("site bridge: the core lets its login write out and read in, the site the reverse") {
  const Topology t = parse_topology_text(kTopology);
  const std::string core = mosquitto_acl(t, {{"relayer", ServiceRole::relayer}});
  const Lines at_core = rules_of(core, "snet.bridge-annex");
  CHECK(std::count(at_core.begin(), at_core.end(), "write snet/t/press/b1") == 1);
  CHECK(std::count(at_core.begin(), at_core.end(), "read snet/t/cmd/a1") == 1);
  CHECK(std::count(at_core.begin(), at_core.end(), "write snet/t/state/a2") == 0);
  CHECK(std::count(at_core.begin(), at_core.end(), "write snet/t/cmd/a1") == 0);

  const std::string site = site_acl(t, site_bridges(t).at(0));
  const Lines at_site = rules_of(site, "snet.bridge-annex");
  CHECK(std::count(at_site.begin(), at_site.end(), "read snet/t/press/b1") == 1);
  CHECK(std::count(at_site.begin(), at_site.end(), "write snet/t/cmd/a1") == 1);
  // The site's own devices, nobody else's.
  CHECK(rules_of(site, "b1") ==
        Lines{"write snet/t/presence/b1", "write snet/t/press/b1", "read snet/t/trigger/b1"});
  CHECK(rules_of(site, "b2").empty());
  CHECK(rules_of(site, "a2").empty());
  CHECK_FALSE(rules_of(site, "snet.up").empty());
  CHECK(rules_of(site, "").front() == "write snet/t/press/+");
}

TEST_CASE("site bridge: none without local sites") {
  const Topology t = parse_topology_text(
      R"({"name": "t", "sites": [{"id": "hall"}], "pairs": {"count": 1, "site": "hall"}})");
  CHECK(site_bridges(t).empty());
  CHECK(bridges_acl(t).empty());
}
