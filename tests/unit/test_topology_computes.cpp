// Named computes ("computes", a compute's "use"): parsing, what buttons inherit, and errors that
// name the JSON path.
#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "snet/topology.hpp"
#include "topology_errors.hpp"
#include "topology_view.hpp"

using namespace snet;
using snet::test::errors_of;
using snet::test::mentions;

namespace {

// A topology of two computes around `devices` (a JSON array's inside).
std::string with_computes(const std::string& devices, const std::string& computes = "") {
  return R"({"name": "t", "computes": {"edge": {"backend": "builtin"},
    "cloud": {"backend": "openwhisk", "apihost": "https://ow.example", "namespace": "ns",
              "insecure": true, "auth_env": "CLOUD_OPENWHISK_AUTH", "relayers": 2})" +
         computes + R"(}, "devices": [)" + devices + R"(, {"id": "lamp", "kind": "actuator"}]})";
}

}  // namespace

TEST_CASE("computes: named instances, buttons that use them, and the default compute") {
  const Topology t = parse_topology_text(with_computes(R"(
    {"id": "a", "kind": "button", "targets": ["lamp"]},
    {"id": "b", "kind": "button", "targets": ["lamp"], "compute": {"use": "edge"}},
    {"id": "c", "kind": "button", "targets": ["lamp"],
     "compute": {"use": "cloud", "action": "scene"}})"));
  REQUIRE(t.computes.size() == 2);
  CHECK(t.computes[0].name == "cloud");  // sorted by name
  const ComputeInstance* cloud = t.find_compute("cloud");
  REQUIRE(cloud != nullptr);
  CHECK(cloud->backend == "openwhisk");
  CHECK(cloud->apihost == "https://ow.example");
  CHECK(cloud->ns == "ns");
  CHECK(cloud->insecure);
  CHECK(cloud->auth_env == "CLOUD_OPENWHISK_AUTH");
  CHECK(cloud->relayers == 2);
  CHECK(t.find_compute("edge")->relayers == 1);
  CHECK(t.find_compute("default") == nullptr);

  CHECK(t.find("a")->compute.use.empty());  // no "use": the default compute, as before
  CHECK(t.find("a")->compute.name() == "default");
  CHECK(t.find("a")->compute.backend == "builtin");
  CHECK(t.find("b")->compute.backend == "builtin");
  CHECK(t.find("b")->compute.action == "flip_switch");
  CHECK(t.find("c")->compute.backend == "openwhisk");  // the compute's backend
  CHECK(t.find("c")->compute.action == "scene");
  CHECK(t.buttons_using("default").size() == 1);
  CHECK(t.buttons_using("cloud").front()->id == "c");

  const auto json = state::topology_view(t);
  CHECK(json["devices"][2]["compute"] ==
        nlohmann::json{{"name", "cloud"}, {"backend", "openwhisk"}, {"action", "scene"}});
  CHECK(json["devices"][0]["compute"]["name"] == "default");
  REQUIRE(json["computes"].size() == 2);
  CHECK(json["computes"][0]["name"] == "cloud");
  CHECK(json["computes"][0]["auth_env"] == "CLOUD_OPENWHISK_AUTH");
  CHECK(json["computes"][0]["buttons"] == nlohmann::json{"c"});
  CHECK(json["computes"][1]["buttons"] == nlohmann::json{"b"});
}

TEST_CASE("computes: the topology's compute may use one, buttons inherit it unless they say") {
  const Topology t = parse_topology_text(R"({"name": "t",
    "computes": {"cloud": {"backend": "openwhisk"}},
    "compute": {"use": "cloud", "action": "flip_switch"},
    "devices": [
      {"id": "a", "kind": "button", "targets": ["lamp"]},
      {"id": "b", "kind": "button", "targets": ["lamp"], "compute": {"action": "scene"}},
      {"id": "c", "kind": "button", "targets": ["lamp"], "compute": {"backend": "builtin"}},
      {"id": "d", "kind": "button", "targets": ["lamp"], "compute": {"use": "default"}},
      {"id": "lamp", "kind": "actuator"}],
    "pairs": 1})");
  CHECK(t.find("a")->compute.use == "cloud");
  CHECK(t.find("b")->compute.use == "cloud");
  CHECK(t.find("b")->compute.action == "scene");
  CHECK(t.find("c")->compute.use.empty());  // a backend of its own: the default compute
  CHECK(t.find("c")->compute.backend == "builtin");
  CHECK(t.find("d")->compute.use.empty());
  CHECK(t.find("button-1")->compute.use == "cloud");  // generated pairs too
  CHECK(t.find_compute("cloud")->apihost.empty());    // the bundled snet-whisk
}

TEST_CASE("computes: a topology without them means what it always meant") {
  const Topology t = parse_topology_text(
      R"({"name": "t", "compute": {"backend": "openwhisk", "action": "flip_switch"}, "pairs": 2})");
  CHECK(t.computes.empty());
  CHECK(t.buttons_using("default").size() == 2);
  CHECK_FALSE(state::topology_view(t).contains("computes"));
  CHECK(state::topology_view(t)["compute"]["backend"] == "openwhisk");
}

TEST_CASE("computes: every error names its JSON path") {
  SUBCASE("an unknown compute, with the ones there are") {
    const auto errors = errors_of(with_computes(
        R"({"id": "a", "kind": "button", "targets": ["lamp"], "compute": {"use": "clod"}})"));
    CHECK(mentions(errors,
                   "devices[0] 'a'.compute.use: no compute \"clod\" (computes: cloud, edge)"));
  }
  SUBCASE("use without any computes") {
    const auto errors = errors_of(R"({"name": "t", "compute": {"use": "cloud"}, "pairs": 1})");
    CHECK(mentions(
        errors, "topology.compute.use: no compute \"cloud\" (the topology has no \"computes\")"));
  }
  SUBCASE("a backend that contradicts the compute's") {
    const auto errors = errors_of(with_computes(
        R"({"id": "a", "kind": "button", "targets": ["lamp"],
            "compute": {"use": "edge", "backend": "openwhisk"}})"));
    CHECK(mentions(errors,
                   "devices[0] 'a'.compute.backend: 'openwhisk' contradicts compute \"edge\""));
  }
  SUBCASE("unknown fields, a key in the file, bad values") {
    const auto errors = errors_of(with_computes(
        R"({"id": "a", "kind": "button", "targets": ["lamp"], "compute": {"uses": "edge"}})",
        R"(, "x": {"backend": "lambda/2", "colour": "red"},
             "keyed": {"backend": "openwhisk", "apihost": "ow.example", "auth": "u:k",
                       "auth_env": "1BAD", "relayers": 17, "insecure": "yes"},
             "default": {"backend": "builtin"},
             "bad/name": {"backend": "builtin"},
             "local": {"backend": "builtin", "apihost": "https://x"},
             "bundled": {"backend": "openwhisk", "auth_env": "MY_AUTH"},
             "nobackend": {}, "notobject": 3)"));
    CHECK(mentions(errors, "devices[0] 'a'.compute: unknown field 'uses'"));
    CHECK(mentions(errors, "computes.x: unknown field 'colour'"));
    CHECK(mentions(errors, "computes.x.backend: 'lambda/2' must be 1-64 letters"));
    CHECK(mentions(errors, "computes.keyed.auth: keys do not belong in the topology file"));
    CHECK(mentions(errors, "computes.keyed.apihost: 'ow.example' must be a URL"));
    CHECK(mentions(errors, "computes.keyed.auth_env: '1BAD' is not an environment variable name"));
    CHECK(mentions(errors, "computes.keyed.relayers: must be a whole number from 1 to 16, not 17"));
    CHECK(mentions(errors, "computes.keyed.insecure: must be true or false"));
    CHECK(mentions(errors, "computes.default: the name 'default' is reserved"));
    CHECK(mentions(errors, "computes.bad/name: the name must be 1-64 letters"));
    CHECK(mentions(errors, "computes.local.apihost: only an openwhisk compute has one"));
    CHECK(mentions(errors, "computes.bundled.auth_env: only with an apihost"));
    CHECK(mentions(errors, "computes.nobackend: missing field 'backend'"));
    CHECK(mentions(errors, "computes.notobject: must be an object"));
  }
  SUBCASE("computes that is not an object") {
    CHECK(mentions(errors_of(R"({"name": "t", "computes": [], "pairs": 1})"),
                   "computes: must be an object of name -> compute"));
  }
}

TEST_CASE("computes: the example topology edge_cloud") {
  const Topology t = load_topology(test::source_path("topology/edge_cloud.json"));
  CHECK(t.buttons_using("edge").size() == 2);
  CHECK(t.buttons_using("cloud").size() == 2);
  CHECK(t.buttons_using("default").empty());
  CHECK(t.find_compute("cloud")->relayers == 2);
}
