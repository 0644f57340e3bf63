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

TEST_CASE("device links: without an emulated network or properties devices connect directly") {
  const Topology plain =
      parse_topology_text(R"({"name": "plain", "devices": [{"id": "a", "kind": "actuator"}]})");
  const DeviceUrls urls{"", "mqtt://127.0.0.1:1883"};
  DeviceLinks off(plain, {&plain.devices[0]}, urls, parse_link_properties(kAllLinkProperties));
  CHECK_FALSE(off.active());
  CHECK(off.device_urls().empty());

  const Topology sited = parse_topology_text(
      R"({"name": "sited", "sites": [{"id": "s"}],
          "devices": [{"id": "a", "kind": "actuator", "site": "s"}]})");
  DeviceLinks none(sited, {&sited.devices[0]}, urls, {});
  CHECK_FALSE(none.active());

  DeviceLinks on(sited, {&sited.devices[0]}, urls, {"latency_ms"});
  REQUIRE(on.active());
  CHECK(on.device_urls().at("a").rfind("mqtt://127.0.0.1:", 0) == 0);
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
  const LinkReport report = on.report("agent-1");
  CHECK(report.engine == "process");
  CHECK(report.reporter == "agent-1");
  CHECK(report.links.size() == 2);  // a and s
  CHECK(report.links.at("s").properties == std::vector<std::string>{"latency_ms"});
}
