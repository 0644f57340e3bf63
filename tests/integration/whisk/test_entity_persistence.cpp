// snet-whisk keeps actions, triggers and rules in its data directory (<data-dir>/entities/),
// as Apache OpenWhisk keeps them in CouchDB: after a stop (SIGTERM) or a kill (SIGKILL) a new
// snet-whisk on the same directory serves them again. Activations are not kept.
#include <signal.h>

#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include "whisk_fixture.hpp"

using namespace snet;
using namespace snet::test;
using nlohmann::json;

namespace {

constexpr const char* kEcho = "function main(params) { return params; }";

json body_of(const openwhisk::HttpReply& reply) {
  return json::parse(reply.body, nullptr, false);
}

// Fires `trigger` and returns the result of `action`'s activation that the rule made, waiting
// for the record (a rule's invocation is not blocking).
json fire_and_result(const WhiskServer& whisk, const std::string& trigger,
                     const std::string& action, const json& payload) {
  const auto fired = whisk.call("POST", "/api/v1/namespaces/_/triggers/" + trigger, payload.dump());
  INFO(fired.status, " ", fired.body);
  REQUIRE(fired.status == 202);
  json result;
  const bool recorded = eventually(
      [&] {
        const json list = body_of(
            whisk.call("GET", "/api/v1/namespaces/_/activations?name=" + action + "&limit=50"));
        if (!list.is_array()) return false;
        for (const auto& a : list) {
          const json record = body_of(
              whisk.call("GET", "/api/v1/namespaces/_/activations/" + a.value("activationId", "")));
          if (record.is_object() &&
              record["response"]["result"].value("n", json()) == payload["n"]) {
            result = record["response"]["result"];
            return true;
          }
        }
        return false;
      },
      15s);
  INFO(whisk.log());
  REQUIRE(recorded);
  return result;
}

std::string rule_status(const WhiskServer& whisk, const std::string& rule) {
  return body_of(whisk.call("GET", "/api/v1/namespaces/_/rules/" + rule)).value("status", "");
}

}  // namespace

TEST_CASE("entities survive a SIGTERM and a SIGKILL of snet-whisk and a corrupt file is skipped") {
  TempDir data("snet-whisk-persist");
  const std::vector<std::string> flags = {"--data-dir", data.path()};
  {
    WhiskServer whisk(flags);
    REQUIRE(whisk.put_action("echo", kEcho).status == 200);
    REQUIRE(whisk.put_action("gone", kEcho).status == 200);
    REQUIRE(whisk.call("DELETE", "/api/v1/namespaces/_/actions/gone").status == 200);
    REQUIRE(whisk
                .call("PUT", "/api/v1/namespaces/_/triggers/t",
                      R"({"parameters":[{"key":"from","value":"trigger"}]})")
                .status == 200);
    REQUIRE(whisk.call("PUT", "/api/v1/namespaces/_/rules/on", R"({"trigger":"t","action":"echo"})")
                .status == 200);
    REQUIRE(whisk
                .call("PUT", "/api/v1/namespaces/_/rules/off",
                      R"({"trigger":"/_/t","action":"/_/echo"})")
                .status == 200);
    REQUIRE(
        whisk.call("POST", "/api/v1/namespaces/_/rules/off", R"({"status":"inactive"})").status ==
        200);
    whisk.process().stop();  // SIGTERM
    CHECK(whisk.process().exit_status().has_value());
  }
  // Only the owner may read what is kept (code and parameters may hold secrets).
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(data.path() + "/entities")) {
    if (!entry.is_regular_file()) continue;
    INFO(entry.path());
    CHECK((std::filesystem::status(entry.path()).permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  }
  {
    WhiskServer whisk(flags);
    INFO(whisk.log());
    const auto invoked = whisk.call(
        "POST", "/api/v1/namespaces/_/actions/echo?blocking=true&result=true", R"({"n":1})");
    CHECK(invoked.status == 200);
    CHECK(body_of(invoked).value("n", 0) == 1);
    CHECK(whisk.call("GET", "/api/v1/namespaces/_/actions/gone").status == 404);
    CHECK(rule_status(whisk, "on") == "active");
    CHECK(rule_status(whisk, "off") == "inactive");
    const json result = fire_and_result(whisk, "t", "echo", {{"n", 2}});
    CHECK(result.value("from", "") == "trigger");  // the trigger's parameters came back too

    // Changes of this run, then a kill: nothing is lost that was answered.
    REQUIRE(whisk.call("POST", "/api/v1/namespaces/_/rules/off", R"({"status":"active"})").status ==
            200);
    REQUIRE(whisk.call("DELETE", "/api/v1/namespaces/_/rules/on").status == 200);
    REQUIRE(whisk.put_action("late", kEcho).status == 200);
    whisk.process().signal(SIGKILL);
    REQUIRE(whisk.process().wait_for(5s));
  }
  std::ofstream(data.path() + "/entities/actions/broken.json") << R"({"name": "bro)";
  WhiskServer whisk(flags);
  INFO(whisk.log());
  CHECK(whisk.log().find("broken.json") != std::string::npos);  // named, skipped
  // Activations are not kept: the earlier runs' records of echo are gone.
  const json old = body_of(whisk.call("GET", "/api/v1/namespaces/_/activations?name=echo"));
  CHECK(old == json::array());
  CHECK(rule_status(whisk, "off") == "active");
  CHECK(whisk.call("GET", "/api/v1/namespaces/_/rules/on").status == 404);
  const auto late = whisk.call(
      "POST", "/api/v1/namespaces/_/actions/late?blocking=true&result=true", R"({"n":3})");
  CHECK(body_of(late).value("n", 0) == 3);
  CHECK(fire_and_result(whisk, "t", "echo", {{"n", 4}}).value("from", "") == "trigger");
}
