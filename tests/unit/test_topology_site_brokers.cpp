// "broker" per site (core/src/topology_parse.cpp, topology_sites.cpp): which broker each
// device connects to, and the values refused.
#include <doctest/doctest.h>

#include "device_selection.hpp"
#include "harness.hpp"
#include "snet/flags.hpp"
#include "snet/topology.hpp"
#include "topology_errors.hpp"

using namespace snet;
using snet::test::errors_of;
using snet::test::mentions;

TEST_CASE("site brokers: core by default and local sites serve their child sites too") {
  const Topology t = parse_topology_text(R"({
    "name": "b",
    "sites": [{"id": "campus"}, {"id": "annex", "broker": "local"},
              {"id": "floor", "parent": "annex"}, {"id": "hall", "broker": "core"}],
    "devices": [
      {"id": "b1", "kind": "button", "site": "annex", "targets": ["a1"]},
      {"id": "a1", "kind": "actuator", "site": "floor"},
      {"id": "b2", "kind": "button", "site": "campus", "targets": ["a2"]},
      {"id": "a2", "kind": "actuator", "site": "hall"},
      {"id": "a3", "kind": "actuator"}
    ]})");
  CHECK(t.find_site("campus")->broker == Site::Broker::core);
  CHECK(t.find_site("hall")->broker == Site::Broker::core);
  CHECK(t.find_site("annex")->broker == Site::Broker::local);
  CHECK(t.broker_site(*t.find("b1")) == "annex");
  CHECK(t.broker_site(*t.find("a1")) == "annex");  // floor sits behind annex
  CHECK(t.broker_site(*t.find("b2")).empty());
  CHECK(t.broker_site(*t.find("a2")).empty());
  CHECK(t.broker_site(*t.find("a3")).empty());
  REQUIRE(t.local_broker_sites().size() == 1);
  CHECK(t.local_broker_sites()[0]->id == "annex");
}

TEST_CASE("site brokers: a bad value names the site") {
  const auto errors = errors_of(R"({"name": "b", "sites": [{"id": "annex", "broker": "edge"}],
                                    "pairs": 1})");
  CHECK(mentions(errors, "sites[0] 'annex'.broker: must be \"core\""));
  CHECK(mentions(errors, "not \"edge\""));
  CHECK(mentions(errors_of(R"({"name": "b", "sites": [{"id": "annex", "broker": 1}], "pairs": 1})"),
                 "sites[0] 'annex': field 'broker' must be a string"));
}

TEST_CASE("site brokers: a RabbitMQ core is not bridged") {
  const auto errors = errors_of(R"({"name": "b", "broker": "rabbitmq",
                                    "sites": [{"id": "annex", "broker": "local"}], "pairs": 1})");
  CHECK(mentions(errors, "site 'annex': \"broker\": \"local\" needs a Mosquitto core"));
}

TEST_CASE("site brokers: the example topology loads") {
  const Topology t = load_topology(test::source_path("topology/bridged.json"));
  CHECK(t.broker_site(*t.find("branch-lamp")) == "branch");
  CHECK(t.broker_site(*t.find("hq-lamp")).empty());
}

TEST_CASE("site brokers: an agent's --broker-site picks the devices of that broker") {
  const Topology t = load_topology(test::source_path("topology/bridged.json"));
  const auto all = agents::select_devices(t, "all", "all");
  auto ids = [](const std::vector<const Device*>& devices) {
    std::vector<std::string> out;
    for (const Device* d : devices) out.push_back(d->id);
    return out;
  };
  CHECK(agents::of_broker_site(t, all, "any").size() == all.size());
  CHECK(ids(agents::of_broker_site(t, all, "core")) ==
        std::vector<std::string>{"hq-button", "hq-lamp"});
  CHECK(ids(agents::of_broker_site(t, all, "branch")) ==
        std::vector<std::string>{"branch-button", "branch-hq-button", "branch-lamp"});
  CHECK_THROWS_WITH_AS(agents::of_broker_site(t, all, "hq"),
                       doctest::Contains("--broker-site 'hq': not a site"), UsageError);
}
