// The topology reader (core/src/topology_parse.cpp): JSON shapes in, model fields out, every
// problem reported at once with where it is.
#include <doctest/doctest.h>

#include "snet/topology.hpp"
#include "topology_errors.hpp"

using namespace snet;
using snet::test::errors_of;
using snet::test::mentions;

TEST_CASE("parse: pair lists with prefixes, start, site and protocol, comments are allowed") {
  const Topology t = parse_topology_text(R"({
    // one list entry per building
    "name": "blocks",
    "broker": "rabbitmq",
    "sites": [{"id": "a"}],
    "pairs": [{"count": 2, "button": "sw-", "actuator": "lamp-", "start": 10, "site": "a",
               "protocol": "mqtt"},
              {"count": 1}],
    "relayers": 3
  })");
  REQUIRE(t.devices.size() == 6);
  CHECK(t.targets_of("sw-11") == std::vector<std::string>{"lamp-11"});
  CHECK(t.find("lamp-10")->site == "a");
  CHECK(t.find("lamp-10")->protocol == Protocol::mqtt);
  // Without a protocol, devices speak the broker's own.
  CHECK(t.find("actuator-1")->protocol == Protocol::amqp);
  CHECK(t.find("button-1")->site.empty());
  CHECK(t.relayers == 3);
  CHECK(t.broker == BrokerKind::rabbitmq);
}

TEST_CASE("parse: groups, patterns, matches and attributes land in the model as written") {
  const Topology t = parse_topology_text(R"({
    "name": "shapes",
    "broker": "rabbitmq",
    "routing": "headers",
    "devices": [
      {"id": "b", "kind": "button", "match": [{"x-match": "any", "type": "lamp", "zone": "n"},
                                              {"type": "fan"}]},
      {"id": "l", "kind": "actuator", "attrs": {"type": "lamp", "zone": "s"}},
      {"id": "f", "kind": "actuator", "attrs": {"type": "fan"}}
    ]
  })");
  const Device& b = *t.find("b");
  REQUIRE(b.matches.size() == 2);
  CHECK_FALSE(b.matches[0].all);
  CHECK(b.matches[0].attrs == std::map<std::string, std::string>{{"type", "lamp"}, {"zone", "n"}});
  CHECK(b.matches[1].all);
  CHECK(t.targets_of("b") == std::vector<std::string>{"l", "f"});
  CHECK(t.find("l")->attrs.at("zone") == "s");

  const Topology g = parse_topology_text(R"({
    "name": "grouped", "routing": "fanout",
    "groups": {"hall": ["l1", "l2"]},
    "devices": [{"id": "b", "kind": "button", "groups": ["hall"]},
                {"id": "l1", "kind": "actuator"}, {"id": "l2", "kind": "actuator"}]
  })");
  CHECK(g.groups.at("hall") == std::vector<std::string>{"l1", "l2"});
  CHECK(g.find("b")->groups == std::vector<std::string>{"hall"});
  CHECK(g.targets_of("b") == std::vector<std::string>{"l1", "l2"});
}

TEST_CASE("parse: wrong JSON types are named with their path, and reading goes on") {
  const auto errors = errors_of(R"({
    "name": 7,
    "devices": [
      "lamp",
      {"id": "b", "kind": "button", "targets": "a", "attrs": {"n": 1}},
      {"id": "a", "kind": "actuator", "protocol": "coap"}
    ],
    "groups": ["not", "an", "object"],
    "pairs": {"count": "two"},
    "relayers": 0
  })");
  CHECK(mentions(errors, "field 'name' must be a string"));
  CHECK(mentions(errors, "devices[0]: must be an object"));
  CHECK(mentions(errors, "devices[1] 'b': 'targets' must be an array of actuator ids"));
  CHECK(mentions(errors, "devices[1] 'b': attrs.n must be a string"));
  CHECK(
      mentions(errors, "devices[2] 'a': field 'protocol' is 'coap', expected one of: mqtt, amqp"));
  CHECK(mentions(errors, "groups: must be an object"));
  CHECK(mentions(errors, "pairs: 'count' must be a whole number"));
  CHECK(mentions(errors, "relayers: must be from 1 to 16, not 0"));
}

TEST_CASE("parse: a document that is not an object, and match entries that are not objects") {
  CHECK(mentions(errors_of("[1, 2]"), "must be a JSON object"));
  CHECK(mentions(errors_of(R"({"name": "m", "broker": "rabbitmq", "routing": "headers",
    "devices": [{"id": "b", "kind": "button", "match": ["type=lamp"]},
                {"id": "l", "kind": "actuator"}]})"),
                 "'match' must be an object"));
  CHECK(mentions(errors_of(R"({"name": "m", "broker": "rabbitmq", "routing": "headers",
    "devices": [{"id": "b", "kind": "button", "match": {"x-match": "some", "type": "lamp"}},
                {"id": "l", "kind": "actuator", "attrs": {"type": "lamp"}}]})"),
                 "match.x-match is 'some', expected all or any"));
}

// Found by fuzz/fuzz_topology.cpp: a pairs "start" near the largest long overflowed while
// numbering the ids (undefined behaviour), and a list of pairs entries, each within its own
// count limit, made topologies of millions of devices (minutes of validation, gigabytes).
TEST_CASE("pairs: start is bounded and all entries together make at most kMaxPairs (fuzz)") {
  CHECK(mentions(errors_of(R"({"name": "p", "pairs": {"count": 5, "start": 9223372036854775807}})"),
                 "pairs: start must be from 0 to 1000000000, not 9223372036854775807"));
  CHECK(mentions(errors_of(R"({"name": "p", "pairs": {"count": 1, "start": -3}})"),
                 "start must be from 0"));
  CHECK(mentions(errors_of(R"({"name": "p", "pairs": [{"count": 60000, "button": "a-"},
                                                       {"count": 60000, "button": "b-"}]})"),
                 "pairs[1]: makes 120000 pairs in all, more than the limit of 100000"));
  const Topology ok = parse_topology_text(
      R"({"name": "p", "pairs": [{"count": 2, "start": 1000000000}, {"count": 3, "button": "b-",
                                                                    "actuator": "a-"}]})");
  CHECK(ok.devices.size() == 10);
  CHECK(ok.find("button-1000000001") != nullptr);
}
