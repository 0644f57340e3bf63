// snet-whisk as a service: its REST API beyond invocation (CRUD, logs, bad input), start-up
// deployment, and its status on the bus.
#include <sys/wait.h>

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "actions_command.hpp"
#include "deploy.hpp"
#include "rest_api.hpp"
#include "snet/http_client.hpp"
#include "snet/net.hpp"
#include "whisk_fixture.hpp"

using namespace snet;
using namespace snet::test;
using nlohmann::json;

TEST_CASE("actions can be created, read, updated, listed and deleted") {
  WhiskServer whisk;
  const std::string path = "/api/v1/namespaces/_/actions/greeter";
  REQUIRE(whisk.put_action("greeter", "function main() { return {v: 1}; }", {{"timeout", 1000}})
              .status == 200);
  json action = json::parse(whisk.call("GET", path).body);
  CHECK(action["version"] == "0.0.1");
  CHECK(action["limits"]["timeout"] == 1000);
  CHECK(action["namespace"] == "guest");

  // An update replaces the code (running workers of the old code are retired) and bumps the
  // version; the limits it does not mention stay.
  REQUIRE(whisk.put_action("greeter", "function main() { return {v: 2}; }").status == 200);
  action = json::parse(whisk.call("GET", path).body);
  CHECK(action["version"] == "0.0.2");
  CHECK(action["limits"]["timeout"] == 1000);
  CHECK(json::parse(whisk.call("POST", path + "?blocking=true&result=true").body)["v"] == 2);

  CHECK(json::parse(whisk.call("GET", "/api/v1/namespaces/guest/actions").body).size() == 1);
  CHECK(whisk.call("DELETE", path).status == 200);
  CHECK(whisk.call("GET", path).status == 404);
  CHECK(whisk.call("DELETE", path).status == 404);
  CHECK(whisk.call("POST", path + "?blocking=true").status == 404);
}

TEST_CASE("bad requests are refused with a reason, and the service goes on") {
  WhiskServer whisk;
  const std::string base = "/api/v1/namespaces/_/actions/";
  struct Row {
    std::string method, path, body;
    long status;
    std::string mentions;
  };
  const Row rows[] = {
      {"PUT", base + "a", "{not json", 400, "malformed"},
      {"PUT", base + "a", R"({"exec": {"kind": "python:3", "code": "x"}})", 400, "python:3"},
      {"PUT", base + "a", R"({"exec": {"kind": "nodejs:default"}})", 400, "exec.code"},
      {"PUT", base + "a", R"({"limits": {}})", 400, "exec undefined"},
      {"PUT", base + "a", R"({"exec": {"kind": "nodejs:default", "code": "function main(){}"},
                              "limits": {"timeout": 5}})",
       400, "limits.timeout"},
      {"PUT", base + "a%24b",
       R"({"exec": {"kind": "nodejs:default", "code": "function main(){}"}})", 400,
       "illegal characters"},
      {"PUT", base + "nomain", R"({"exec": {"kind": "nodejs:default", "code": "const x = 1;"}})",
       200, ""},
      {"POST", base + "nomain?blocking=true&result=true", "", 502,
       "entrypoint 'main' is not a function"},
      {"POST", base + "nomain?blocking=true", "[1, 2]", 400, "must be a JSON object"},
      {"GET", "/api/v1/namespaces/someone.else/actions", "", 403, "not authorized"},
      {"GET", "/api/v1/namespaces/_/activations?limit=x", "", 400, "not an integer"},
      {"GET", "/api/v1/namespaces/_/packages", "", 404, "could not be found"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.method);
    CAPTURE(row.path);
    const auto reply = whisk.call(row.method, row.path, row.body);
    CHECK(reply.status == row.status);
    CHECK(reply.body.find(row.mentions) != std::string::npos);
  }
  const auto anonymous =
      openwhisk::http_call("GET", whisk.apihost() + "/api/v1/namespaces/_/actions", "", "");
  CHECK(anonymous.status == 401);
  const std::string metrics = whisk.call("GET", "/metrics").body;
  CHECK(metric_value(metrics, "snet_whisk_rejected_total{reason=\"bad_request\"}") >= 7);
  CHECK(metric_value(metrics, "snet_whisk_rejected_total{reason=\"unauthorized\"}") == 1);
}

TEST_CASE("console output is kept with its own activation, also when activations overlap") {
  WhiskServer whisk;
  REQUIRE(whisk
              .put_action("talker",
                          "async function main(p) { console.log('start ' + p.n);"
                          " await new Promise(r => setTimeout(r, 50)); console.error('end ' + p.n);"
                          " return {n: p.n}; }",
                          {{"concurrency", 4}})
              .status == 200);
  std::vector<std::string> ids;
  for (int n = 0; n < 4; ++n) {  // non-blocking: all four run at once in one worker
    const auto r =
        whisk.call("POST", "/api/v1/namespaces/_/actions/talker", json({{"n", n}}).dump());
    REQUIRE(r.status == 202);
    ids.push_back(json::parse(r.body)["activationId"]);
  }
  for (int n = 0; n < 4; ++n) {
    CAPTURE(n);
    openwhisk::HttpReply logs;
    REQUIRE(eventually(
        [&] {
          logs = whisk.call("GET", "/api/v1/namespaces/_/activations/" + ids[n] + "/logs");
          return logs.status == 200;
        },
        10s));
    const json lines = json::parse(logs.body)["logs"];
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].get<std::string>().find("stdout: start " + std::to_string(n)) !=
          std::string::npos);
    CHECK(lines[1].get<std::string>().find("stderr: end " + std::to_string(n)) !=
          std::string::npos);
  }
  const std::string metrics = whisk.call("GET", "/metrics").body;
  CHECK(metric_value(metrics, "snet_whisk_workers") == 2);  // one served all, one prewarmed
}

TEST_CASE("--actions-dir deploys a directory at start-up") {
  WhiskServer whisk({"--actions-dir", source_path("actions")});
  const json actions = json::parse(whisk.call("GET", "/api/v1/namespaces/_/actions").body);
  CHECK(actions.size() ==
        openwhisk::read_action_files(source_path("actions")).size());  // every .js
}

TEST_CASE("with --broker-url, snet-whisk publishes its status and goes offline when stopped") {
  Mosquitto broker;
  Recorder recorder(broker.url(), {"snet/single/status/whisk"});
  auto whisk = std::make_unique<WhiskServer>(std::vector<std::string>{
      "--broker-url", broker.url(), "--topology", source_path("topology/single.json")});
  CHECK(recorder.wait_for("snet/single/status/whisk", "\"online\":true", 10s));
  whisk.reset();
  CHECK(recorder.wait_for("snet/single/status/whisk", "\"online\":false", 10s));
}

TEST_CASE("snet actions deploy: a line per file, and the exit status tells the outcome") {
  WhiskServer whisk;
  const std::string host = whisk.apihost();
  const std::string auth = WhiskServer::auth();
  auto run = [&](std::vector<std::string> args, std::string& out, std::string& err) {
    args.insert(args.begin(), {"snet", "actions"});
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    std::ostringstream o, e;
    const int rc = cli::actions_command(static_cast<int>(argv.size()), argv.data(), 2, o, e);
    out = o.str();
    err = e.str();
    return rc;
  };
  std::string out, err;
  CHECK(run({"deploy", source_path("actions"), "--apihost", host, "--auth", auth}, out, err) == 0);
  CHECK(out.find("deployed flip_switch") != std::string::npos);
  CHECK(out.find("deployed scene") != std::string::npos);

  TempDir dir("deploy-cli");
  std::ofstream(dir.path() + "/broken.js") << "function main( {\n";
  CHECK(run({"deploy", dir.path(), "--apihost", host, "--auth", auth}, out, err) == 1);
  CHECK(err.find("FAILED broken") != std::string::npos);
  CHECK(err.find("SyntaxError") != std::string::npos);

  CHECK(run({"deploy", dir.path() + "/nope", "--apihost", host}, out, err) == 1);
  CHECK(err.find("not found") != std::string::npos);
  CHECK(run({"undeploy"}, out, err) == 2);
  CHECK(err.find("unknown subcommand 'undeploy'") != std::string::npos);

  // --help (also before the subcommand) lists -i; a failure names the URL it tried.
  CHECK(run({"--help"}, out, err) == 0);
  CHECK(out.find("--insecure") != std::string::npos);
  CHECK(run({"deploy", "--help"}, out, err) == 0);
  CHECK(out.find("--apihost") != std::string::npos);
  const int closed = free_port();
  CHECK(run({"deploy", source_path("actions"), "-i", "--apihost",
             "http://127.0.0.1:" + std::to_string(closed), "--auth", auth},
            out, err) == 1);
  CHECK(err.find("PUT http://127.0.0.1:" + std::to_string(closed) +
                 "/api/v1/namespaces/_/actions/flip_switch") != std::string::npos);
  CHECK(run({"deploy", source_path("actions"), "--apihost", host, "--auth", "wrong:key"}, out,
            err) == 1);
  CHECK(err.find("PUT " + host + "/api/v1/namespaces/_/actions/") != std::string::npos);
}

TEST_CASE("a foreign Host or a cross-origin page is refused before the key is even looked at") {
  WhiskServer whisk({"--allowed-host", "whisk"});
  REQUIRE(whisk.put_action("echo", "function main(p) { return p; }").status == 200);
  const std::string key = "Authorization: " + whisk::basic_authorization(WhiskServer::auth());
  const std::string actions = whisk.apihost() + "/api/v1/namespaces/_/actions";
  const std::string invoke = actions + "/echo?blocking=true&result=true";

  // DNS rebinding: a name the attacker controls, resolved to 127.0.0.1, with or without the key.
  CHECK(http::call("GET", actions, "", 5s, {key, "Host: evil.example"}).status == 421);
  CHECK(http::call("POST", invoke, "{}", 5s, {"Host: evil.example:3233"}).status == 421);
  // A page of another site posting with the user's browser.
  const auto cross = http::call("POST", invoke, "{}", 5s, {key, "Origin: http://evil.example"});
  CHECK(cross.status == 403);
  CHECK(cross.body.find("cross-origin") != std::string::npos);
  CHECK(http::call("DELETE", actions + "/echo", "", 5s, {key, "Origin: http://evil.example"})
            .status == 403);

  // What clients really send: the compose service name given with --allowed-host, an IP
  // address, localhost, and no Origin (wsk, the npm client, the relayer).
  CHECK(http::call("GET", actions, "", 5s, {key, "Host: whisk:3233"}).status == 200);
  CHECK(http::call("GET", actions, "", 5s, {key, "Host: localhost"}).status == 200);
  CHECK(http::call("POST", invoke, R"({"n":1})", 5s, {key}).body == R"({"n":1})");

  const std::string metrics = whisk.call("GET", "/metrics").body;
  CHECK(metric_value(metrics, "snet_whisk_http_refused_total{reason=\"foreign_host\"}") == 2);
  CHECK(metric_value(metrics, "snet_whisk_http_refused_total{reason=\"foreign_origin\"}") == 2);
  CHECK(whisk.call("GET", "/api/v1/namespaces/_/actions/echo").status == 200);  // not deleted
}

TEST_CASE("snet-whisk will not serve the public guest key on an address others can reach") {
  const struct {
    std::vector<std::string> args;
    std::string says;
  } cases[] = {
      {{"--http-bind", "0.0.0.0"}, "not OpenWhisk's public guest key"},
      {{"--allowed-origin", "*"}, "--allowed-origin / --allowed-host"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.says);
    auto args = c.args;
    args.insert(args.end(), {"--http-port", "0", "--workers", "1", "--prewarm", "0"});
    Service whisk("snet-whisk", args);
    REQUIRE(whisk.process().wait_for(20s));
    const auto status = whisk.process().exit_status();
    CHECK((status && WIFEXITED(*status) && WEXITSTATUS(*status) == 2));
    CHECK_MESSAGE(whisk.log().find(c.says) != std::string::npos, whisk.log());
  }
}
