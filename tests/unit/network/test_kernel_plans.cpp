// The kernel link engine's pure parts: the engine plan, the address plan and the scripts.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "address_plan.hpp"
#include "engine_plan.hpp"
#include "kernel_shaper.hpp"
#include "namespace_builder.hpp"
#include "snet/topology.hpp"

using namespace snet;
using namespace snet::kernel;

namespace {

constexpr const char* kCampus = R"({
  "name": "campus",
  "sites": [
    {"id": "campus", "link": {"latency_ms": 2}},
    {"id": "building-a", "parent": "campus", "link": {"rate_kbit": 1024}},
    {"id": "floor-1", "parent": "building-a"},
    {"id": "field", "link": {"loss_pct": 5}}
  ],
  "devices": [
    {"id": "b1", "kind": "button", "targets": ["l1", "l2"], "site": "floor-1"},
    {"id": "l1", "kind": "actuator", "site": "building-a"},
    {"id": "l2", "kind": "actuator"},
    {"id": "b2", "kind": "button", "targets": ["l1"], "site": "field", "link": {"rate_kbit": 64}}
  ]
})";

KernelCapabilities this_machine() {
  KernelCapabilities c;
  c.net_admin = c.netns = c.veth = c.bridge = c.tbf = c.htb = c.iptables_statistic = true;
  return c;
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("engine plan: auto on a kernel without netem keeps latency and jitter in the process") {
  const EnginePlan plan = plan_engines(LinksMode::automatic, this_machine());
  CHECK(plan.namespaces);
  CHECK(plan.kernel == std::vector<std::string>{"loss_pct", "rate_kbit", "up"});
  CHECK(plan.process == std::vector<std::string>{"latency_ms", "jitter_ms"});
  REQUIRE(plan.notes.size() == 1);
  CHECK(plan.notes[0] == "latency_ms, jitter_ms: process engine (this kernel has no sch_netem)");
  CHECK(plan.summary() ==
        "kernel for loss_pct, rate_kbit, up; process for latency_ms, jitter_ms (this kernel has "
        "no sch_netem)");
}

TEST_CASE("engine plan: without root, auto is all process and kernel is an error") {
  KernelCapabilities none;
  const EnginePlan plan = plan_engines(LinksMode::automatic, none);
  CHECK_FALSE(plan.namespaces);
  CHECK(plan.kernel.empty());
  CHECK(plan.process.size() == 5);
  REQUIRE(plan.notes.size() == 1);
  CHECK(contains(plan.notes[0], "root or CAP_NET_ADMIN"));
  CHECK_THROWS_WITH_AS(plan_engines(LinksMode::kernel, none),
                       doctest::Contains("--links kernel needs root or CAP_NET_ADMIN"),
                       std::runtime_error);
}

TEST_CASE("engine plan: process and off and missing qdiscs and mode names") {
  CHECK(plan_engines(LinksMode::process, this_machine()).process.size() == 5);
  CHECK_FALSE(plan_engines(LinksMode::process, this_machine()).namespaces);
  const EnginePlan off = plan_engines(LinksMode::off, this_machine());
  CHECK(off.kernel.empty());
  CHECK(off.process.empty());
  CHECK_FALSE(off.namespaces);
  KernelCapabilities no_htb = this_machine();
  no_htb.htb = false;
  const EnginePlan plan = plan_engines(LinksMode::kernel, no_htb);
  CHECK(plan.kernel == std::vector<std::string>{"loss_pct", "up"});
  CHECK(plan.process == std::vector<std::string>{"latency_ms", "jitter_ms", "rate_kbit"});
  CHECK(parse_links_mode("auto") == LinksMode::automatic);
  CHECK(parse_links_mode("off") == LinksMode::off);
  CHECK_THROWS_WITH_AS(parse_links_mode("fast"), doctest::Contains("not a links engine"),
                       std::invalid_argument);
}

TEST_CASE("address plan: namespaces and subnets and uplinks and device addresses") {
  const Topology topology = parse_topology_text(kCampus);
  const AddressPlan plan =
      plan_addresses(topology, "campus|/data", parse_ipv4_net("10.213.0.0/16"));
  CHECK(plan.hash.size() == 6);
  CHECK(plan.bridge == "sn" + plan.hash + "-br");
  CHECK(plan.bridge.size() <= 15);
  CHECK(plan.core_address.str() == "10.213.0.1");
  // core site (l2 has no site), then parents before children.
  REQUIRE(plan.sites.size() == 5);
  CHECK(plan.sites[0].site == "");
  CHECK(plan.sites[0].netns == "snet-" + plan.hash + "-0");
  CHECK(plan.sites[0].devices == std::vector<std::string>{"l2"});
  const int campus = plan.site_index("campus");
  const int building = plan.site_index("building-a");
  const int floor = plan.site_index("floor-1");
  REQUIRE(campus >= 0);
  REQUIRE(building > campus);
  REQUIRE(floor > building);
  const auto& c = plan.sites[static_cast<std::size_t>(campus)];
  const auto& b = plan.sites[static_cast<std::size_t>(building)];
  const auto& f = plan.sites[static_cast<std::size_t>(floor)];
  CHECK(c.parent == -1);
  CHECK(c.has_children);
  CHECK(b.parent == campus);
  CHECK(f.parent == building);
  CHECK_FALSE(f.has_children);
  CHECK(plan.core_subnet.contains(c.uplink_address));
  CHECK(c.parent_gateway == plan.core_address);
  CHECK(c.subnet.contains(b.uplink_address));
  CHECK(b.parent_gateway == c.gateway);
  CHECK(b.subnet.contains(f.uplink_address));
  for (const auto& site : plan.sites) {
    CHECK(site.outer_if.size() <= 15);
    CHECK(plan.pool.contains(site.subnet.base));
  }
  // Every address is unique and each device's lies in its site's subnet.
  std::set<Ipv4> seen = {plan.core_address};
  for (const auto& site : plan.sites) {
    CHECK(seen.insert(site.uplink_address).second);
    if (site.has_children) CHECK(seen.insert(site.gateway).second);
  }
  for (const auto& [id, device] : plan.devices) {
    CHECK(seen.insert(device.address).second);
    CHECK(plan.sites[static_cast<std::size_t>(device.site)].subnet.contains(device.address));
  }
  CHECK(plan.devices.size() == 4);
  CHECK(plan.devices.at("b1").site == floor);
  // Subnets do not overlap.
  for (std::size_t i = 0; i < plan.sites.size(); ++i) {
    CHECK_FALSE(plan.sites[i].subnet.overlaps(plan.core_subnet));
    for (std::size_t j = i + 1; j < plan.sites.size(); ++j) {
      CHECK_FALSE(plan.sites[i].subnet.overlaps(plan.sites[j].subnet));
    }
  }
  // Another instance gets other names; the same one the same.
  CHECK(plan_addresses(topology, "campus|/other", plan.pool).hash != plan.hash);
  CHECK(plan_addresses(topology, "campus|/data", plan.pool).hash == plan.hash);
}

TEST_CASE("address plan: routes go through the parents and a small pool is refused") {
  const Topology topology = parse_topology_text(kCampus);
  const AddressPlan plan = plan_addresses(topology, "k", parse_ipv4_net("10.213.0.0/16"));
  const auto routes = plan_routes(plan);
  const auto& c = plan.sites[static_cast<std::size_t>(plan.site_index("campus"))];
  const auto& b = plan.sites[static_cast<std::size_t>(plan.site_index("building-a"))];
  const auto& f = plan.sites[static_cast<std::size_t>(plan.site_index("floor-1"))];
  // The root reaches the floor via the campus; the campus via the building.
  const auto& root = routes.at(-1);
  CHECK(std::find(root.begin(), root.end(), SubnetRoute{f.subnet, c.uplink_address}) != root.end());
  const auto& in_campus = routes.at(plan.site_index("campus"));
  CHECK(std::find(in_campus.begin(), in_campus.end(), SubnetRoute{f.subnet, b.uplink_address}) !=
        in_campus.end());
  CHECK_THROWS_WITH_AS(plan_addresses(topology, "k", parse_ipv4_net("10.213.0.0/29")),
                       doctest::Contains("is too small"), std::invalid_argument);
  // 1,000 devices in one site fit a /16.
  std::string big = R"({"name": "big", "sites": [{"id": "s"}], "devices": [)";
  for (int i = 0; i < 1000; ++i) {
    big += std::string(i ? "," : "") + R"({"id": "a)" + std::to_string(i) +
           R"(", "kind": "actuator", "site": "s"})";
  }
  big += "]}";
  const AddressPlan large =
      plan_addresses(parse_topology_text(big), "k", parse_ipv4_net("10.213.0.0/16"));
  CHECK(large.devices.size() == 1000);
}

TEST_CASE("scripts: namespaces and tc and iptables") {
  const Topology topology = parse_topology_text(kCampus);
  const AddressPlan plan = plan_addresses(topology, "k", parse_ipv4_net("10.213.0.0/16"));
  const std::string root = root_script(plan);
  CHECK(contains(root, "netns add " + plan.netns_prefix + "0\n"));
  CHECK(contains(root, "link add " + plan.bridge + " type bridge"));
  CHECK(contains(root, "addr add 10.213.0.1/"));
  const auto& b = plan.sites[static_cast<std::size_t>(plan.site_index("building-a"))];
  CHECK(contains(root, "link add " + b.outer_if + " netns " +
                           plan.sites[static_cast<std::size_t>(b.parent)].netns +
                           " type veth peer name up0 netns " + b.netns));
  const std::string campus = site_script(plan, static_cast<std::size_t>(plan.site_index("campus")));
  CHECK(contains(campus, "link add br0 type bridge"));
  CHECK(contains(campus, "link set " + b.outer_if + " master br0 up"));
  const std::string floor = site_script(plan, static_cast<std::size_t>(plan.site_index("floor-1")));
  CHECK(contains(floor, "addr add " + plan.devices.at("b1").address.str() + "/32 dev lo"));
  CHECK(contains(floor, "route add default via " + b.gateway.str()));

  CHECK(tc_script("up0", 0, {}, true).empty());
  const std::string tbf_only = tc_script("up0", 256, {{parse_ipv4("10.0.0.5"), 0}}, true);
  CHECK(contains(tbf_only, "root handle 1: tbf rate 256kbit"));
  CHECK_FALSE(contains(tbf_only, "htb"));
  const std::string both = tc_script("up0", 256, {{parse_ipv4("10.0.0.5"), 64}}, false);
  CHECK(contains(both, "parent 1:1 handle 10: htb default ffff"));
  CHECK(contains(both, "htb rate 64kbit ceil 64kbit"));
  CHECK(contains(both, "match ip dst 10.0.0.5/32 flowid 10:1"));
  CHECK(contains(tc_script("x", 0, {{parse_ipv4("10.0.0.5"), 64}}, true),
                 "dev x root handle 10: htb"));

  const std::string rules = iptables_script(
      5, {{"b2", parse_ipv4("10.0.0.9"), 0, false}, {"l1", parse_ipv4("10.0.0.8"), 2, true}});
  CHECK(contains(rules, "-A SNET_UP -s 10.0.0.9/32 -m comment --comment cut-up:b2 -j DROP"));
  CHECK(contains(rules,
                 "-A SNET_DOWN -d 10.0.0.8/32 -m statistic --mode random --probability 0.020000"));
  CHECK(contains(rules, "--probability 0.050000 -m comment --comment loss-up: -j DROP"));
  // Accounting: one chain per block of 64 addresses, reached by its prefix.
  CHECK(contains(rules, ":SNET_UP_0 - [0:0]\n"));
  CHECK(contains(rules, "-A SNET_UP -s 10.0.0.0/26 -j SNET_UP_0\n"));
  CHECK(contains(rules, "-A SNET_DOWN -d 10.0.0.0/26 -j SNET_DOWN_0\n"));
  CHECK(contains(rules, "-A SNET_UP_0 -s 10.0.0.8/32 -m comment --comment acct-up:l1\n"));
  CHECK(contains(rules, "COMMIT\n"));
  // The drops stay in the main chains, before the jumps to the accounting.
  CHECK(rules.find("acct-up:b2") > rules.find("cut-up:b2"));

  std::vector<DeviceRules> many;
  for (std::uint32_t i = 0; i < 100; ++i) {
    many.push_back({"d" + std::to_string(i), Ipv4{parse_ipv4("10.1.0.0").value + i}});
  }
  const std::string two = iptables_script(0, many);
  CHECK(contains(two, "-A SNET_UP -s 10.1.0.64/26 -j SNET_UP_1\n"));
  CHECK(contains(two, "-A SNET_UP_1 -s 10.1.0.99/32 -m comment --comment acct-up:d99\n"));
  CHECK_FALSE(contains(two, ":SNET_UP_2 "));
}

TEST_CASE("scripts: rule counters are read from iptables-save -c by comment") {
  const auto counters = parse_rule_counters(
      "# Generated by iptables-save v1.8.9 (nf_tables)\n"
      "*mangle\n"
      ":SNET_UP_0 - [0:0]\n"
      "[7:420] -A PREROUTING -s 10.213.1.0/26 -j SNET_UP_0\n"
      "[3:180] -A SNET_UP_0 -s 10.213.1.2/32 -m comment --comment \"acct-up:b1\" -j RETURN\n"
      "[2:100] -A SNET_UP_1 -s 10.213.1.66/32 -m comment --comment acct-up:b2 -j RETURN\n"
      "[1:60] -A SNET_DOWN_0 -d 10.213.1.2/32 -m statistic --mode random --probability "
      "0.1 -m comment --comment \"loss-down:b1\" -j DROP\n"
      "[4:240] -A SNET_UP_0 -s 10.213.1.2/32 -m comment --comment \"acct-up:b1\" -j RETURN\n"
      "[9:999] -A SNET_UP_0 -s 10.213.1.9/32 -j RETURN\n"
      "[x:1] -A SNET_UP_0 -m comment --comment \"bad\" -j RETURN\n"
      "COMMIT\n");
  REQUIRE(counters.size() == 3);
  CHECK(counters.at("acct-up:b1").packets == 7);  // two rules of one comment add up
  CHECK(counters.at("acct-up:b1").bytes == 420);
  CHECK(counters.at("acct-up:b2").bytes == 100);
  CHECK(counters.at("loss-down:b1").packets == 1);
  CHECK(parse_rule_counters("").empty());
}
