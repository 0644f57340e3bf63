// `snet compose`'s override for a topology with sites: networks per site, brokers on all of them.
#include <doctest/doctest.h>

#include "compose_override.hpp"
#include "snet/topology.hpp"

using namespace snet;

namespace {
const Topology kSites = parse_topology_text(R"({
  "name": "annexed",
  "sites": [{"id": "annex", "link": {"latency_ms": 5}}, {"id": "shed", "parent": "annex"}],
  "devices": [
    {"id": "b1", "kind": "button", "targets": ["l1"]},
    {"id": "l1", "kind": "actuator", "site": "annex"},
    {"id": "l2", "kind": "actuator", "site": "annex"},
    {"id": "l3", "kind": "actuator", "site": "shed"}
  ]})");

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
}  // namespace

TEST_CASE("per device: a site's devices join only its network, the brokers join every site") {
  const std::string y = cli::compose_override(kSites, {"/t.json", "snet compose t", false});
  CHECK(has(y, "  device-l1:\n"));
  CHECK(has(y,
            "\"--devices\", \"l1\", \"--name\", \"agent-l1\"]\n"
            "    healthcheck:\n"));
  CHECK(has(y,
            "      test: [\"CMD\", \"snet\", \"health\", \"agent-l1\"]\n"
            "    networks:\n"
            "      site-annex: {}\n"));
  CHECK(has(y,
            "  mosquitto:\n    networks:\n      default: {}\n      site-annex: {}\n"
            "      site-shed: {}\n"));
  CHECK(has(y, "\nnetworks:\n  site-annex:\n    internal: true\n  site-shed:\n"));
  // A device on the core stays on the default network.
  const auto b1 = y.find("  device-b1:\n");
  REQUIRE(b1 != std::string::npos);
  CHECK(y.substr(b1, y.find("  device-l1:") - b1).find("networks:") == std::string::npos);
}

TEST_CASE("per site: one container hosts a site's devices, the core's devices share one") {
  const std::string y = cli::compose_override(kSites, {"/t.json", "snet compose t", true});
  CHECK(has(y,
            "  site-annex:\n    <<: *device\n"
            "    command: [\"snet-agent\", \"--devices\", \"l1,l2\", \"--name\", "
            "\"agent-site-annex\"]\n"));
  CHECK(has(y,
            "  core-devices:\n    <<: *device\n"
            "    command: [\"snet-agent\", \"--devices\", \"b1\", \"--name\", \"agent-core\"]\n"));
  CHECK(has(y, "\"--devices\", \"l3\", \"--name\", \"agent-site-shed\"]"));
  CHECK_FALSE(has(y, "device-l1"));
}

TEST_CASE("a topology without sites gets no networks") {
  const Topology plain =
      parse_topology_text(R"({"name": "p", "devices": [{"id": "a", "kind": "actuator"}]})");
  const std::string y = cli::compose_override(plain, {"/t.json", "snet compose t", false});
  CHECK_FALSE(has(y, "networks:"));
}
