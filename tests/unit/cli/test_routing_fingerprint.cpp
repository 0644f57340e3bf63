// `snet up` wipes RabbitMQ's queues when the routing fingerprint changes: it must change with the
// routing and with nothing else (a new description once wiped every queued press).
#include <doctest/doctest.h>

#include <string>

#include "routing_fingerprint.hpp"
#include "snet/topology.hpp"

using namespace snet;
using snet::cli::routing_fingerprint;

namespace {

// A RabbitMQ headers topology with two computes and a site; `edit` replaces one placeholder.
std::string topology_text(const std::string& description = "lamps",
                          const std::string& match = R"("zone": "north")",
                          const std::string& attrs = R"("zone": "north")",
                          const std::string& relayers = "1", const std::string& latency = "5",
                          const std::string& action = "flip_switch",
                          const std::string& use = "cloud") {
  return R"({"name": "t", "description": ")" + description + R"(",
    "broker": "rabbitmq", "routing": "headers", "relayers": )" +
         relayers + R"(,
    "computes": {"cloud": {"backend": "builtin"}, "edge": {"backend": "builtin"}},
    "sites": [{"id": "hall", "description": "the hall", "link": {"latency_ms": )" +
         latency +
         R"(}}],
    "devices": [
      {"id": "b", "kind": "button", "match": {)" +
         match + R"(},
       "compute": {"use": ")" +
         use + R"(", "action": ")" + action + R"("}},
      {"id": "a", "kind": "actuator", "site": "hall", "attrs": {)" +
         attrs + R"(}},
      {"id": "c", "kind": "actuator", "attrs": {"zone": "south"}}]})";
}

std::string fingerprint_of(const std::string& text) {
  return routing_fingerprint(parse_topology_text(text));
}

}  // namespace

TEST_CASE("the routing fingerprint ignores what does not route: descriptions, links, relayers") {
  const std::string base = fingerprint_of(topology_text());
  CHECK(base.size() == 16);
  CHECK(fingerprint_of(topology_text()) == base);  // stable
  CHECK(fingerprint_of(topology_text("the lamps of the north wing")) == base);
  CHECK(fingerprint_of(topology_text("lamps", R"("zone": "north")", R"("zone": "north")", "3")) ==
        base);
  CHECK(fingerprint_of(topology_text("lamps", R"("zone": "north")", R"("zone": "north")", "1",
                                     "250")) == base);
  CHECK(fingerprint_of(topology_text("lamps", R"("zone": "north")", R"("zone": "north")", "1", "5",
                                     "all_off")) == base);
}

TEST_CASE("the routing fingerprint changes with the routes, the actuators' attrs and computes") {
  const std::string base = fingerprint_of(topology_text());
  // Another match: the button's command reaches other actuators.
  CHECK(fingerprint_of(topology_text("lamps", R"("zone": "south")")) != base);
  // An actuator's attrs are its headers binding.
  CHECK(fingerprint_of(topology_text("lamps", R"("zone": "north")",
                                     R"("zone": "north", "type": "lamp")")) != base);
  // Another compute: another relayers' queue takes the button's presses.
  CHECK(fingerprint_of(topology_text("lamps", R"("zone": "north")", R"("zone": "north")", "1", "5",
                                     "flip_switch", "edge")) != base);
}
