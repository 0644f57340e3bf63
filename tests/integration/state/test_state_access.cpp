// Who may use snet-state's HTTP API (state/http_access.hpp, snet/http_guard.hpp), attacked with
// real clients against the real service: cross-origin presses and WebSockets, DNS rebinding, the
// bearer token of a non-loopback bind, and no broker password in what the API shows.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fstream>

#include "fake_supervisor.hpp"
#include "snet/http_client.hpp"
#include "snet/http_guard.hpp"
#include "snet/net.hpp"
#include "snet_up.hpp"
#include "state_stack.hpp"
#include "ws_client.hpp"

using namespace snet;
using namespace snet::test;

namespace {

std::string url(const StateStack& stack, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(stack.http_port()) + path;
}

std::string own_origin(const StateStack& stack) {
  return "http://127.0.0.1:" + std::to_string(stack.http_port());
}

long long refused(const StateStack& stack, const std::string& reason) {
  return stack.metric("snet_state_http_refused_total{reason=\"" + reason + "\"}");
}

const std::string kPress = "/api/devices/button-1/press";

}  // namespace

TEST_CASE("cross-origin presses, foreign hosts and foreign WebSockets are refused and counted") {
  StateStack stack(source_path("tests/topology/single-builtin.json"),
                   {"--allowed-origin", "https://dash.example"});
  const std::string evil = "Origin: http://evil.example";

  // A page elsewhere: fetch() with JSON, then a plain form post (no preflight in a browser).
  auto res = http::call("POST", url(stack, kPress), "{}", 5s, {evil});
  CHECK(res.status == 403);
  CHECK(res.body.find("cross-origin POST refused") != std::string::npos);
  res = http::call("POST", url(stack, kPress), "x=1", 5s,
                   {evil, "Content-Type: application/x-www-form-urlencoded"});
  CHECK(res.status == 403);
  res = http::call("PUT", url(stack, "/api/links/button-1"), R"({"latency_ms":5})", 5s, {evil});
  CHECK(res.status == 403);
  res = http::call("POST", url(stack, "/api/services/relayer/kill"), "{}", 5s, {evil});
  CHECK(res.status == 403);
  CHECK(refused(stack, "foreign_origin") == 4);
  CHECK(stack.metric("snet_state_presses_requested_total") == 0);

  // The dashboard (same origin), an allowed origin and curl (no Origin) press.
  CHECK(http::call("POST", url(stack, kPress), "", 5s, {"Origin: " + own_origin(stack)}).status ==
        202);
  CHECK(http::call("POST", url(stack, kPress), "", 5s, {"Origin: https://dash.example"}).status ==
        202);
  CHECK(http::call("POST", url(stack, kPress)).status == 202);
  CHECK(stack.metric("snet_state_presses_requested_total") == 3);

  // DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1 reads nothing.
  res = http::call("GET", url(stack, "/api/health"), "", 5s, {"Host: evil.example:8080"});
  CHECK(res.status == 421);
  CHECK(res.body.find("evil.example") != std::string::npos);
  CHECK(http::call("GET", url(stack, "/"), "", 5s, {"Host: evil.example"}).status == 421);
  CHECK(refused(stack, "foreign_host") == 2);
  CHECK(http::call("GET", url(stack, "/api/health"), "", 5s, {"Host: localhost"}).status == 200);

  // A WebSocket from another origin gets no snapshot; the dashboard's gets one.
  try {
    WsClient foreign(stack.http_port(), "/ws", 5s, {{"Origin", "http://evil.example"}});
    FAIL("a WebSocket with a foreign Origin was accepted");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("HTTP 403") != std::string::npos);
  }
  CHECK(refused(stack, "websocket_foreign_origin") == 1);
  WsClient own(stack.http_port(), "/ws", 5s, {{"Origin", own_origin(stack)}});
  CHECK(own.read_until([](const auto& m) { return m.value("type", "") == "snapshot"; }));
  CHECK(stack.metric("snet_state_ws_clients") == 1);

  // Loopback bind: no token, and /api/session says so.
  const auto session = stack.get_json("/api/session");
  CHECK(session["token_required"] == false);
  CHECK_FALSE(session.contains("token"));
}

TEST_CASE("bound to a non-loopback address, changes need the bearer token snet-state keeps") {
  StateStack stack(source_path("tests/topology/single-builtin.json"), {"--http-bind", "0.0.0.0"});
  const std::string file = stack.data_dir() + "/http-token";
  struct stat info {};
  REQUIRE(::stat(file.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  std::string token = read_text(file);
  while (!token.empty() && token.back() == '\n') token.pop_back();
  REQUIRE(token.size() == 64);

  auto res = http::call("POST", url(stack, kPress));
  CHECK(res.status == 401);
  CHECK(res.body.find("Authorization: Bearer") != std::string::npos);
  CHECK(http::call("POST", url(stack, kPress), "", 5s, {"Authorization: Bearer wrong"}).status ==
        401);
  CHECK(refused(stack, "token_missing") == 1);
  CHECK(refused(stack, "token_wrong") == 1);
  CHECK(stack.metric("snet_state_presses_requested_total") == 0);
  CHECK(http::call("POST", url(stack, kPress), "", 5s, {"Authorization: Bearer " + token}).status ==
        202);
  // Reading needs no token.
  CHECK(http::call("GET", url(stack, "/api/devices")).status == 200);

  // A page of this server on this machine learns the token; a page of another site does not.
  auto session = nlohmann::json::parse(http::call("GET", url(stack, "/api/session")).body);
  CHECK(session["token_required"] == true);
  CHECK(session["token"] == token);
  session = nlohmann::json::parse(
      http::call("GET", url(stack, "/api/session"), "", 5s, {"Origin: http://evil.example"}).body);
  CHECK_FALSE(session.contains("token"));
  session = nlohmann::json::parse(
      http::call("GET", url(stack, "/api/session"), "", 5s, {"Sec-Fetch-Site: cross-site"}).body);
  CHECK_FALSE(session.contains("token"));

  CHECK(stack.log().find(token) == std::string::npos);
}

TEST_CASE("/api/health, /healthz and the live snapshot never show the broker's password") {
  Mosquitto broker;
  TempDir data("snet-state-data");
  const int port = free_port();
  const std::string secret = "hunter2-not-shown";
  const std::string broker_url =
      "mqtt://snet:" + secret + "@127.0.0.1:" + std::to_string(broker.port());
  Service state("snet-state",
                {"--topology", source_path("tests/topology/single-builtin.json"), "--http-port",
                 std::to_string(port), "--data-dir", data.path(), "--log-level", "debug"},
                {{"SNET_BROKER_URL", broker_url}});
  REQUIRE_MESSAGE(
      eventually([&] { return http_request("GET", port, "/api/health").status == 200; }, 10s),
      state.log());
  // Connected or not (the broker may refuse a password it does not know), the URL is shown.
  const std::string health = http_request("GET", port, "/api/health").body;
  CHECK(health.find("127.0.0.1:" + std::to_string(broker.port())) != std::string::npos);
  CHECK(health.find(secret) == std::string::npos);
  CHECK(http_request("GET", port, "/healthz").body.find(secret) == std::string::npos);
  CHECK(http_request("GET", port, "/readyz").body.find(secret) == std::string::npos);
  WsClient ws(port);
  const auto snapshot =
      ws.read_until([](const auto& m) { return m.value("type", "") == "snapshot"; });
  REQUIRE(snapshot);
  CHECK(snapshot->dump().find(secret) == std::string::npos);
  CHECK(state.log().find(secret) == std::string::npos);
}

TEST_CASE("snet ctl and snet link send the token of the data dir, without it they are refused") {
  FakeSupervisor supervisor;
  TempDir data("snet-token-data");
  const std::string token = http::ensure_token_file(data.path() + "/http-token");
  // As `snet up` starts it: the token by file name (never on the command line), a wide bind.
  StateStack stack(source_path("topology/single.json"),
                   {"--supervisor-url", supervisor.url(), "--http-bind", "0.0.0.0",
                    "--http-token-file", data.path() + "/http-token"});
  const std::string base = "http://127.0.0.1:" + std::to_string(stack.http_port());
  auto ctl = [&](std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), "ctl");
    env["SNET_URL"] = "";
    return run_snet(std::move(args), 20s, std::move(env));
  };

  TempDir elsewhere("snet-no-token");
  auto refused = ctl({"storm", "--kind", "button", "--url", base, "--data-dir", elsewhere.path()});
  CHECK(refused.status == 1);
  CHECK(refused.output.find("Authorization: Bearer") != std::string::npos);
  CHECK(refused.output.find("HTTP 401") != std::string::npos);

  auto storm = ctl({"storm", "--kind", "button", "--url", base, "--data-dir", data.path()});
  CHECK_MESSAGE(storm.status == 0, storm.output);
  storm = ctl({"storm", "--kind", "button", "--url", base, "--data-dir", elsewhere.path()},
              {{"SNET_HTTP_TOKEN", token}});
  CHECK_MESSAGE(storm.status == 0, storm.output);
  const auto link =
      run_snet({"link", "button-1", "--latency", "5ms", "--url", base, "--data-dir", data.path()},
               20s, {{"SNET_URL", ""}});
  CHECK(link.output.find("HTTP 401") == std::string::npos);
  CHECK(refused.output.find(token) == std::string::npos);
}

TEST_CASE("snet up on a non-loopback address prints the token it keeps in the data dir (0600)") {
  SnetUp::Options options;
  options.topology = "tests/topology/single-builtin.json";
  options.extra_args = {"--http-bind", "0.0.0.0"};
  SnetUp up(options);
  const std::string file = up.data_dir() + "/http-token";
  struct stat info {};
  REQUIRE(::stat(file.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  const std::string token = http::read_token_file(file);
  CHECK(up.output().find("/#token=" + token) != std::string::npos);
  const std::string base = "http://127.0.0.1:" + std::to_string(up.http_port());
  CHECK(http::call("POST", base + kPress).status == 401);
  CHECK(http::call("POST", base + kPress, "", 5s, {"Authorization: Bearer " + token}).status ==
        202);
  // Not on any command line: `ps` shows the file's name at most.
  for (const auto& [pid, command] : processes_mentioning(up.data_dir())) {
    CHECK_MESSAGE(
        read_text("/proc/" + std::to_string(pid) + "/cmdline").find(token) == std::string::npos,
        command);
  }
}
