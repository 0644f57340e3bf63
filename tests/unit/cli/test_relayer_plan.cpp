// Which relayers `snet up` runs per compute, and which OpenWhisk (and key) each is given.
#include <doctest/doctest.h>

#include "relayer_plan.hpp"
#include "snet/flags.hpp"
#include "snet/topology.hpp"

using namespace snet;
using namespace snet::cli;

namespace {

RelayerDefaults defaults(std::map<std::string, std::string> env = {}) {
  RelayerDefaults d;
  d.relayers = 2;
  d.openwhisk.server = {"http://127.0.0.1:3233", "bundled:key", "_"};
  d.bundled_apihost = "http://127.0.0.1:3233";
  d.bundled_auth = "bundled:key";
  d.getenv = [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  return d;
}

const char* const kTopology = R"({"name": "t",
  "computes": {"edge": {"backend": "builtin"},
               "cloud": {"backend": "openwhisk", "apihost": "https://ow.example/",
                         "namespace": "team", "insecure": true, "auth_env": "CLOUD_AUTH",
                         "relayers": 3},
               "near": {"backend": "openwhisk"}},
  "devices": [
    {"id": "a", "kind": "button", "targets": ["lamp"], "compute": {"use": "edge"}},
    {"id": "b", "kind": "button", "targets": ["lamp"],
     "compute": {"use": "cloud", "action": "scene"}},
    {"id": "c", "kind": "button", "targets": ["lamp"], "compute": {"use": "near"}},
    {"id": "lamp", "kind": "actuator"}]})";

}  // namespace

TEST_CASE("relayer plan: a topology without computes keeps its relayers and their names") {
  const Topology t = parse_topology_text(
      R"({"name": "t", "compute": {"backend": "openwhisk", "action": "flip_switch"}, "pairs": 1})");
  const auto groups = plan_relayers(t, defaults());
  REQUIRE(groups.size() == 1);
  CHECK(groups[0].compute.empty());  // no --compute: every press, as before
  CHECK(groups[0].names == std::vector<std::string>{"relayer-1", "relayer-2"});
  CHECK(groups[0].actions == std::vector<std::string>{"flip_switch"});
  CHECK(groups[0].bundled);
  CHECK(relayer_names(1) == std::vector<std::string>{"relayer"});
}

TEST_CASE("relayer plan: each compute its relayers, OpenWhisk and key") {
  const Topology t = parse_topology_text(kTopology);
  const auto groups = plan_relayers(t, defaults({{"CLOUD_AUTH", "cloud:secret"}}));
  REQUIRE(groups.size() == 3);  // no button uses the default compute: no relayer for it
  const RelayerGroup& cloud = groups[0];
  CHECK(cloud.compute == "cloud");
  CHECK(cloud.names ==
        std::vector<std::string>{"relayer-cloud-1", "relayer-cloud-2", "relayer-cloud-3"});
  CHECK_FALSE(cloud.bundled);
  CHECK(cloud.openwhisk.apihost == "https://ow.example");
  CHECK(cloud.openwhisk.ns == "team");
  CHECK(cloud.openwhisk.auth == "cloud:secret");
  CHECK(cloud.insecure);
  CHECK(cloud.actions == std::vector<std::string>{"scene"});
  const RelayerGroup& edge = groups[1];
  CHECK(edge.names == std::vector<std::string>{"relayer-edge"});
  CHECK(edge.actions.empty());
  const RelayerGroup& near = groups[2];
  CHECK(near.bundled);
  CHECK(near.openwhisk.apihost == "http://127.0.0.1:3233");
  CHECK(near.openwhisk.auth == "bundled:key");
  CHECK(near.actions == std::vector<std::string>{"flip_switch"});
}

TEST_CASE("relayer plan: the default compute's relayers when a button uses it") {
  const Topology t = parse_topology_text(R"({"name": "t",
    "computes": {"edge": {"backend": "builtin"}},
    "devices": [{"id": "a", "kind": "button", "targets": ["lamp"]},
                {"id": "b", "kind": "button", "targets": ["lamp"], "compute": {"use": "edge"}},
                {"id": "lamp", "kind": "actuator"}]})");
  const auto groups = plan_relayers(t, defaults());
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].compute == "default");
  CHECK(groups[0].names == std::vector<std::string>{"relayer-1", "relayer-2"});
  CHECK(groups[1].compute == "edge");
}

TEST_CASE("relayer plan: a key that cannot be found, or a name clash, is a usage error") {
  const Topology t = parse_topology_text(kTopology);
  CHECK_THROWS_WITH_AS(plan_relayers(t, defaults()),
                       doctest::Contains("$CLOUD_AUTH (\"auth_env\"), which is not set"),
                       UsageError);
  const Topology clash = parse_topology_text(R"({"name": "t",
    "computes": {"1": {"backend": "builtin"}},
    "devices": [{"id": "a", "kind": "button", "targets": ["lamp"]},
                {"id": "b", "kind": "button", "targets": ["lamp"], "compute": {"use": "1"}},
                {"id": "lamp", "kind": "actuator"}]})");
  CHECK_THROWS_WITH_AS(plan_relayers(clash, defaults()),
                       doctest::Contains("two relayers would be named 'relayer-1'"), UsageError);
}
