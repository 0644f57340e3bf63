// The example actions in actions/, deployed unchanged to snet-whisk (as they would be to a real
// OpenWhisk) and invoked through the relayer's OpenWhisk backend.
#include <doctest/doctest.h>

#include "deploy.hpp"
#include "snet/metrics.hpp"
#include "whisk_fixture.hpp"

using namespace snet;
using namespace snet::test;
using snet::ComputeResult;
using Commands = std::vector<std::pair<std::string, bool>>;

namespace {

struct Deployed {
  WhiskServer whisk;
  Metrics metrics;
  std::unique_ptr<openwhisk::OpenWhiskCompute> compute;
  Deployed() {
    for (const auto& r :
         openwhisk::deploy_actions(source_path("actions"), whisk.apihost(), WhiskServer::auth())) {
      INFO(r.file, ": ", r.error);
      REQUIRE(r.ok);
    }
    compute = std::make_unique<openwhisk::OpenWhiskCompute>(whisk.client_options(), metrics);
  }
  ComputeResult run(const snet::ComputeRequest& request) {
    return invoke_and_wait(*compute, request);
  }
};

snet::TargetInfo lamp(const std::string& id, std::optional<bool> on, std::string floor = "1") {
  auto t = target(id, on);
  t.attrs["floor"] = std::move(floor);
  return t;
}

}  // namespace

TEST_CASE("example actions deploy and decide as documented") {
  Deployed d;
  const auto actions =
      nlohmann::json::parse(d.whisk.call("GET", "/api/v1/namespaces/_/actions").body);
  std::vector<std::string> names;
  for (const auto& a : actions) names.push_back(a["name"]);
  CHECK(names == std::vector<std::string>{"all_off", "flip_publish", "flip_switch", "follow_leader",
                                          "night_light", "scene"});
  CHECK(actions[0]["limits"]["timeout"] == 5000);  // from the file's // snet:limits line

  SUBCASE("scene: the button's state attribute, narrowed by 'only'") {
    auto request =
        press("scene", {lamp("a", true, "1"), lamp("b", false, "2"), lamp("c", std::nullopt, "1")});
    CHECK(d.run(request).commands == Commands{{"a", true}, {"b", true}, {"c", true}});
    request.button_attrs["state"] = "off";
    request.button_attrs["only"] = "floor=1";
    CHECK(d.run(request).commands == Commands{{"a", false}, {"c", false}});
    request.button_attrs["state"] = "dim";
    const ComputeResult bad = d.run(request);
    CHECK(bad.commands.empty());
    CHECK(bad.error.find("\"on\" or \"off\"") != std::string::npos);
  }
  SUBCASE("all_off: every target off, whatever its state (as the builtin all_off)") {
    const auto request =
        press("all_off", {lamp("a", true), lamp("b", false), lamp("c", std::nullopt)});
    CHECK(d.run(request).commands == Commands{{"a", false}, {"b", false}, {"c", false}});
  }
  SUBCASE("flip_publish: invoked without a broker to publish to, an error that says so") {
    // Its real use (fired by a trigger, publishing) is test_snet_up_trigger.cpp.
    const ComputeResult result = d.run(press("flip_publish", {lamp("a", true)}));
    CHECK(result.commands.empty());
    CHECK(result.error.find("no broker_url") != std::string::npos);
  }
  SUBCASE("scene: the state parameter bound to the action") {
    auto updated = d.whisk.call("PUT", "/api/v1/namespaces/_/actions/scene?overwrite=true",
                                R"({"parameters": [{"key": "state", "value": false}]})");
    REQUIRE(updated.status == 200);
    CHECK(d.run(press("scene", {lamp("a", true)})).commands == Commands{{"a", false}});
  }
  SUBCASE("night_light: flips at night, only switches off by day") {
    auto request = press("night_light", {lamp("a", true), lamp("b", false)});
    request.button_attrs["night_from"] = "22";
    request.button_attrs["night_to"] = "6";
    // `hour` is a parameter: bind it to the action to simulate the time of day.
    auto at_hour = [&](int hour) {
      REQUIRE(
          d.whisk
              .call("PUT", "/api/v1/namespaces/_/actions/night_light?overwrite=true",
                    nlohmann::json({{"parameters", {{{"key", "hour"}, {"value", hour}}}}}).dump())
              .status == 200);
      return d.run(request).commands;
    };
    CHECK(at_hour(23) == Commands{{"a", false}, {"b", true}});
    CHECK(at_hour(3) == Commands{{"a", false}, {"b", true}});
    CHECK(at_hour(12) == Commands{{"a", false}, {"b", false}});
  }
  SUBCASE("follow_leader: the others take the leader's new state") {
    auto request =
        press("follow_leader", {lamp("a", false), lamp("b", true), lamp("c", std::nullopt)});
    CHECK(d.run(request).commands == Commands{{"a", true}, {"b", true}, {"c", true}});
    request.button_attrs["leader"] = "b";
    CHECK(d.run(request).commands == Commands{{"a", false}, {"b", false}, {"c", false}});
    request.button_attrs["leader"] = "zzz";
    CHECK(d.run(request).error.find("leader zzz is not a target") != std::string::npos);
  }
}
