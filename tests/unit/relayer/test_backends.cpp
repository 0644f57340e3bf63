// The relayer, not the topology loader, says which compute backends exist: every "backend" of a
// topology that names none is reported once, where the file says it.
#include <doctest/doctest.h>

#include "backends.hpp"
#include "snet/topology.hpp"

using namespace snet;
using namespace snet::relayer;

TEST_CASE("the relayer names every unknown backend where the topology file says it, once") {
  CHECK(backend_names() == std::vector<std::string>{"builtin", "openwhisk"});
  // The loader takes any name as a backend: the relayer's list is not its business.
  const Topology t = parse_topology_text(R"({"name": "t",
    "compute": {"backend": "gpu", "action": "flip_switch"},
    "computes": {"x": {"backend": "lambda"}, "y": {"backend": "builtin"}},
    "devices": [
      {"id": "b", "kind": "button", "targets": ["a"], "compute": {"backend": "fpga"}},
      {"id": "c", "kind": "button", "targets": ["a"], "compute": {"use": "x"}},
      {"id": "d", "kind": "button", "targets": ["a"], "compute": {"use": "y"}},
      {"id": "e", "kind": "button", "targets": ["a"], "compute": {"backend": "openwhisk"}},
      {"id": "a", "kind": "actuator"}],
    "pairs": 2})");
  CHECK(backend_problems(t) ==
        std::vector<std::string>{"computes.x.backend: 'lambda' is not builtin or openwhisk",
                                 "topology.compute: backend 'gpu' is not builtin or openwhisk",
                                 "devices[0] 'b'.compute: backend 'fpga' is not builtin or "
                                 "openwhisk"});
  try {
    check_backends(t, "t.json");
    FAIL("check_backends accepted unknown backends");
  } catch (const TopologyError& e) {
    REQUIRE(e.errors.size() == 3);
    CHECK(e.errors[1] == "t.json: topology.compute: backend 'gpu' is not builtin or openwhisk");
  }
  CHECK(backend_problems(parse_topology_text(
                             R"({"name": "t", "compute": {"backend": "openwhisk"}, "pairs": 1})"))
            .empty());
}
