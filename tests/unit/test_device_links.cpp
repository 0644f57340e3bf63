// The agent's side of the process engine (agents/device_links): which properties it applies,
// and the URL a device connects to instead of the broker's.
#include <doctest/doctest.h>

#include "device_links.hpp"
#include "snet/flags.hpp"

using namespace snet;
using namespace snet::agents;

TEST_CASE("device links: --link-properties lists what the process engine applies") {
  CHECK(parse_link_properties(kAllLinkProperties) ==
        std::vector<std::string>{"latency_ms", "jitter_ms", "loss_pct", "rate_kbit", "up"});
  CHECK(parse_link_properties("").empty());
  CHECK(parse_link_properties("up,latency_ms,up") == std::vector<std::string>{"up", "latency_ms"});
  CHECK_THROWS_WITH_AS(parse_link_properties("latency_ms,delay"),
                       doctest::Contains("'delay' is not one of"), UsageError);
  CHECK_THROWS_AS(parse_link_properties("seed"), UsageError);
}

TEST_CASE("device links: a spec is cut down to the engine's properties and keeps its seed") {
  LinkSpec spec;
  spec.latency_ms = 20;
  spec.rate_kbit = 64;
  spec.up = false;
  spec.seed = 9;
  const LinkSpec applied = restrict_to(spec, {"latency_ms", "up"});
  CHECK(applied.latency_ms == 20);
  CHECK_FALSE(applied.rate_kbit.has_value());
  CHECK(applied.up == false);
  CHECK(applied.seed == 9u);
  CHECK(restrict_to(spec, {}).is_up());  // without "up" the engine never cuts
}

TEST_CASE("device links: a device's URL keeps scheme credentials and vhost") {
  CHECK(with_host_port("mqtt://broker:1883", "127.0.0.1", 4100) == "mqtt://127.0.0.1:4100");
  CHECK(with_host_port("amqp://snet:secret@10.0.0.2:5672/snet", "127.0.0.1", 4101) ==
        "amqp://snet:secret@127.0.0.1:4101/snet");
  CHECK(with_host_port("amqp://guest@rabbit/", "127.0.0.1", 4102) ==
        "amqp://guest@127.0.0.1:4102/");
}

TEST_CASE("device links: the broker host replaced in a cluster's URL keeps every node's port") {
  CHECK(
      with_host("amqp://snet:s@127.0.0.1:5672,127.0.0.1:5680/snet?queue-type=quorum", "10.1.0.1") ==
      "amqp://snet:s@10.1.0.1:5672,10.1.0.1:5680/snet?queue-type=quorum");
  CHECK(with_host("mqtt://broker", "10.1.0.1") == "mqtt://10.1.0.1:1883");
}

TEST_CASE("device links: without an emulated network or properties devices connect directly") {
  const Topology plain =
      parse_topology_text(R"({"name": "plain", "devices": [{"id": "a", "kind": "actuator"}]})");
  const DeviceUrls urls{"", "mqtt://127.0.0.1:1883"};
  DeviceLinks off(plain, {&plain.devices[0]}, urls, parse_link_properties(kAllLinkProperties));
  CHECK_FALSE(off.active());
  CHECK(off.take_device_urls().empty());

  const Topology sited = parse_topology_text(
      R"({"name": "sited", "sites": [{"id": "s"}],
          "devices": [{"id": "a", "kind": "actuator", "site": "s"}]})");
  DeviceLinks none(sited, {&sited.devices[0]}, urls, {});
  CHECK_FALSE(none.active());

  DeviceLinks on(sited, {&sited.devices[0]}, urls, {"latency_ms"});
  REQUIRE(on.active());
  const auto urls_on = on.take_device_urls();
  CHECK(urls_on.at("a").rfind("mqtt://127.64.0.1:", 0) == 0);  // shard 0's first
  CHECK(on.take_device_urls().empty());                        // taken: the links keep no copy
  // Updates: the topic must be the link's own, and the link must exist.
  CHECK(on.apply(Message{
      "snet/sited/control/links/s", R"({"link": "s", "spec": {"latency_ms": 5}})", true, {}}));
  CHECK_FALSE(on.apply(Message{"snet/sited/control/links/s", "", true, {}}));  // cleared
  CHECK_THROWS_WITH_AS(
      on.apply(Message{"snet/sited/control/links/a", R"({"link": "s", "spec": {}})", true, {}}),
      doctest::Contains("another link's topic"), BadMessage);
  CHECK_THROWS_WITH_AS(
      on.apply(Message{"snet/sited/control/links/x", R"({"link": "x", "spec": {}})", true, {}}),
      doctest::Contains("no site or device 'x'"), BadMessage);
  const auto reports = on.reports("agent-1");
  REQUIRE(reports.size() == 1);
  const LinkReport& report = reports.front();
  CHECK(report.engine == "process");
  CHECK(report.reporter == "agent-1");
  CHECK(report.links.size() == 2);  // a and s
  CHECK(report.links.at("s").properties == std::vector<std::string>{"latency_ms"});
}

TEST_CASE("device links: many links are reported in parts a broker takes") {
  std::string devices;
  for (int i = 0; i < 210; ++i) {
    devices += std::string(i == 0 ? "" : ",") + R"({"id": "d)" + std::to_string(i) +
               R"(", "kind": "actuator", "site": "s"})";
  }
  const Topology big = parse_topology_text(
      R"({"name": "big", "sites": [{"id": "s"}], "devices": [)" + devices + "]}");
  std::vector<const Device*> hosted;
  for (const auto& d : big.devices) hosted.push_back(&d);
  DeviceLinks links(big, hosted, DeviceUrls{"", "mqtt://127.0.0.1:1883"},
                    parse_link_properties(kAllLinkProperties));
  const auto reports = links.reports("agent");
  REQUIRE(reports.size() == 2);  // 211 links
  CHECK(reports[0].reporter == "agent");
  CHECK(reports[1].reporter == "agent.2");
  CHECK(reports[0].links.size() == kLinksPerReport);
  CHECK(reports[1].links.size() == 11);
  for (const auto& r : reports) CHECK_NOTHROW(parse_link_report(to_json(r)));  // <= 64 KB
}

TEST_CASE("device links: the relay holds only the links its hosted devices cross") {
  // Two sites; this agent hosts one device of site s only (a shard of a larger topology).
  const Topology two = parse_topology_text(
      R"({"name": "two", "sites": [{"id": "s"}, {"id": "t", "link": {"latency_ms": 9}}],
          "devices": [{"id": "a", "kind": "actuator", "site": "s"},
                      {"id": "b", "kind": "actuator", "site": "t"}]})");
  DeviceLinks links(two, {&two.devices[0]}, DeviceUrls{"", "mqtt://127.0.0.1:1883"},
                    {"latency_ms"});
  REQUIRE(links.active());
  const auto reports = links.reports("agent");
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].links.size() == 2);  // a and s: not b, not t
  CHECK(reports[0].links.count("t") == 0);
  // An update of another agent's link is not applied here, nor is it an unknown link.
  CHECK_FALSE(links.apply(Message{
      "snet/two/control/links/t", R"({"link": "t", "spec": {"latency_ms": 5}})", true, {}}));
  CHECK(links.apply(Message{
      "snet/two/control/links/a", R"({"link": "a", "spec": {"latency_ms": 5}})", true, {}}));
  CHECK_THROWS_AS(
      links.apply(Message{"snet/two/control/links/u", R"({"link": "u", "spec": {}})", true, {}}),
      BadMessage);
}
