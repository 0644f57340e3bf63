// The action contract's JSON mapping (openwhisk/action_contract.hpp), without servers; and the
// wskprops reading that the relayer's configuration relies on.
#include <cstdlib>
#include <fstream>

#include <doctest/doctest.h>

#include "action_contract.hpp"
#include "compute_requests.hpp"
#include "deploy.hpp"
#include "harness.hpp"
#include "openwhisk_compute.hpp"

using namespace snet;
using namespace snet::openwhisk;
using namespace snet::test;
using nlohmann::json;
using Commands = std::vector<std::pair<std::string, bool>>;

namespace {

ComputeRequest two_lamps() {
  ComputeRequest r = press("flip_switch", {target("lamp-1", true), target("lamp-2")}, "hall");
  r.targets[0].attrs["floor"] = "1";
  r.button_attrs["zone"] = "north";
  return r;
}

}  // namespace

TEST_CASE("params carry button, press, topology, targets with last states, and attrs") {
  const ComputeRequest r = two_lamps();
  const json params = to_action_params(r);
  CHECK(params["button"] == "hall");
  CHECK(params["press_id"] == r.press_id);
  CHECK(params["press_ts"] == r.press_ts);
  CHECK(params["topology"] == "whisk-test");
  CHECK(params["targets"] == json::parse(R"([{"id": "lamp-1", "on": true, "attrs": {"floor": "1"}},
                                               {"id": "lamp-2", "on": null, "attrs": {}}])"));
  CHECK(params["attrs"] == json::parse(R"({"zone": "north"})"));
}

TEST_CASE("both result forms become commands in the action's order") {
  const ComputeRequest r = two_lamps();
  CHECK(from_action_result(
            json::parse(R"({"commands": {"lamp-2": {"on": true}, "lamp-1": {"on": false}}})"), r)
            .commands == Commands{{"lamp-1", false}, {"lamp-2", true}});  // object: key order
  CHECK(from_action_result(json::parse(R"({"commands": [{"target": "lamp-2", "on": true},
                                                        {"target": "lamp-1", "on": false}]})"),
                           r)
            .commands == Commands{{"lamp-2", true}, {"lamp-1", false}});
  const ComputeResult none = from_action_result(json::parse(R"({"commands": {}})"), r);
  CHECK(none.error.empty());
  CHECK(none.commands.empty());
}

TEST_CASE("results that cannot be carried out are errors naming the culprit") {
  const ComputeRequest r = two_lamps();
  struct Row {
    const char* result;
    const char* must_mention;
  };
  const Row rows[] = {
      {R"({"commands": {"garage": {"on": true}}})",
       "'garage', which is not a target of button 'hall'"},
      {R"({"commands": {"lamp-1": {"on": "yes"}}})", "non-boolean state for 'lamp-1'"},
      {R"({"commands": {"lamp-1": {"on": 1}}})", "non-boolean state for 'lamp-1'"},
      {R"({"commands": {"lamp-1": true}})", "'lamp-1' without \"on\""},
      {R"({"commands": [{"target": "lamp-1", "on": true}, {"target": "lamp-1", "on": false}]})",
       "two commands for 'lamp-1'"},
      {R"({"commands": [{"on": true}]})", "without a string \"target\""},
      {R"({"commands": 5})", "neither an object nor an array"},
      {R"({"state": "on"})", "no \"commands\""},
      {R"({"error": "sensor offline"})", "failed: sensor offline"},
      {R"({"error": {"name": "Error", "message": "bad wiring"}})", "failed: bad wiring"},
      {R"([1, 2])", "non-object"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.result);
    const ComputeResult out = from_action_result(json::parse(row.result), r);
    CHECK(out.commands.empty());
    CHECK(out.error.find("action 'flip_switch'") == 0);
    CHECK(out.error.find(row.must_mention) != std::string::npos);
  }
}

TEST_CASE("error texts are bounded") {
  CHECK(error_text(json(std::string(5000, 'x'))).size() < 500);
  CHECK(error_text(json::parse(R"({"message": "m", "error": "e"})")) == "m");
  CHECK(error_text(json(42)) == "42");
}

TEST_CASE("wskprops and the environment fill what flags leave empty, as wsk reads them") {
  TempDir dir("wskprops");
  const std::string props = dir.path() + "/wskprops";
  std::ofstream(props) << "# a comment\nAPIHOST=whisk.example.org:443\n"
                          "AUTH = abc:def \nNAMESPACE=team\r\nOTHER=x\n";
  const OpenWhiskConfig read = read_wskprops(props);
  CHECK(read.apihost == "whisk.example.org:443");
  CHECK(read.auth == "abc:def");
  CHECK(read.ns == "team");
  CHECK(read_wskprops(dir.path() + "/missing").apihost.empty());

  ::unsetenv("OPENWHISK_APIHOST");
  ::unsetenv("OPENWHISK_AUTH");
  ::setenv("OPENWHISK_NAMESPACE", "from-env", 1);
  OpenWhiskConfig resolved = resolve_openwhisk_config({"", "flag:key", ""}, props);
  CHECK(resolved.apihost == "https://whisk.example.org:443");  // wsk assumes https
  CHECK(resolved.auth == "flag:key");                          // a flag wins
  CHECK(resolved.ns == "from-env");                            // the environment beats wskprops
  ::unsetenv("OPENWHISK_NAMESPACE");

  resolved = resolve_openwhisk_config({}, dir.path() + "/missing");
  CHECK(resolved.apihost == "http://127.0.0.1:3233");  // snet-whisk, by default
  CHECK(resolved.ns == "_");
  CHECK(resolved.auth.find(':') != std::string::npos);
}

TEST_CASE("deploy reads limits from a '// snet:limits' comment and rejects a bad one") {
  const json body =
      openwhisk::action_put_body("// x\n// snet:limits {\"timeout\": 5000}\nfunction main(){}");
  CHECK(body["exec"]["kind"] == "nodejs:default");
  CHECK(body["limits"] == json::parse(R"({"timeout": 5000})"));
  CHECK_FALSE(openwhisk::action_put_body("function main(){}").contains("limits"));
  CHECK_THROWS_AS(openwhisk::action_put_body("// snet:limits timeout=5\n"), std::invalid_argument);
}
