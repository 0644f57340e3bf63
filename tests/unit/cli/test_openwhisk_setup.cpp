// Which OpenWhisk `snet up` uses: wsk's precedence (flags > environment > wsk properties >
// defaults), external vs bundled, and which actions a topology needs there.
#include <doctest/doctest.h>

#include <fstream>

#include "harness.hpp"
#include "openwhisk_config.hpp"
#include "openwhisk_setup.hpp"
#include "snet/topology.hpp"
#include "whisk_defaults.hpp"

using namespace snet;
using namespace snet::openwhisk;
using openwhisk::OpenWhiskConfig;

TEST_CASE("OpenWhisk settings: a flag beats the environment, which beats wskprops, then defaults") {
  const OpenWhiskConfig flags{"https://flag.example", "", ""};
  const OpenWhiskConfig env{"https://env.example", "env-uuid:env-key", ""};
  const OpenWhiskConfig props{"https://props.example", "props-uuid:props-key", "props-ns"};
  const OpenWhiskConfig defaults{"http://127.0.0.1:3233", "dev:key", "_"};
  const auto merged = openwhisk::merge_openwhisk_config(flags, env, props, defaults);
  CHECK(merged.apihost == "https://flag.example");
  CHECK(merged.auth == "env-uuid:env-key");
  CHECK(merged.ns == "props-ns");
  CHECK(openwhisk::merge_openwhisk_config({}, {}, {}, defaults).apihost == "http://127.0.0.1:3233");
  CHECK(openwhisk::merge_openwhisk_config({}, {}, props, defaults).auth == "props-uuid:props-key");
}

TEST_CASE("snet up: an API host from anywhere means an external OpenWhisk, else snet-whisk") {
  const std::string bundled = "http://127.0.0.1:4000";
  SUBCASE("nothing given: the bundled snet-whisk with its own key, whatever auth was given") {
    const auto choice = cli::choose_openwhisk({}, {"", "someone:else", "theirs"}, {}, bundled);
    CHECK_FALSE(choice.external);
    CHECK(choice.server.apihost == bundled);
    CHECK(choice.server.auth == openwhisk::kDevAuth);
    CHECK(choice.server.ns == "_");
  }
  SUBCASE("wskprops alone names an external one, complete with its key and namespace") {
    const auto choice = cli::choose_openwhisk({}, {}, {"ow.example:443", "u:k", "team"}, bundled);
    CHECK(choice.external);
    CHECK(choice.server.apihost == "https://ow.example:443");  // wsk assumes https
    CHECK(choice.server.auth == "u:k");
    CHECK(choice.server.ns == "team");
  }
  SUBCASE("flags over the environment over wskprops, field by field; namespace defaults to _") {
    const auto choice =
        cli::choose_openwhisk({"http://flag:1", "", ""}, {"http://env:2", "e:k", ""},
                              {"http://props:3", "p:k", ""}, bundled);
    CHECK(choice.external);
    CHECK(choice.server.apihost == "http://flag:1");
    CHECK(choice.server.auth == "e:k");
    CHECK(choice.server.ns == "_");
  }
}

TEST_CASE("wskprops is read the way wsk reads it") {
  test::TempDir dir("wskprops");
  const std::string path = dir.path() + "/wskprops";
  std::ofstream(path) << "# a comment\nAPIHOST = https://ow.example\r\nAUTH=u:k\n"
                      << "NAMESPACE=team\nAPIGW_ACCESS_TOKEN=x\n";
  const auto props = openwhisk::read_wskprops(path);
  CHECK(props.apihost == "https://ow.example");
  CHECK(props.auth == "u:k");
  CHECK(props.ns == "team");
  CHECK(openwhisk::read_wskprops(dir.path() + "/absent").apihost.empty());
}

TEST_CASE("the actions a topology runs on OpenWhisk: its openwhisk buttons', each once") {
  const Topology topology = parse_topology_text(R"({
    "name": "t",
    "compute": {"backend": "openwhisk", "action": "flip_switch"},
    "devices": [
      {"id": "a", "kind": "button", "targets": ["lamp"]},
      {"id": "b", "kind": "button", "targets": ["lamp"]},
      {"id": "c", "kind": "button", "targets": ["lamp"],
       "compute": {"backend": "openwhisk", "action": "all_off"}},
      {"id": "d", "kind": "button", "targets": ["lamp"],
       "compute": {"backend": "builtin", "action": "all_on"}},
      {"id": "lamp", "kind": "actuator"}
    ]})");
  CHECK(cli::openwhisk_actions(topology) == std::vector<std::string>{"all_off", "flip_switch"});
}
