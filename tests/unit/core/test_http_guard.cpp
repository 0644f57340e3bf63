// The request guard (snet/http_guard.hpp) as pure functions, then in a real server attacked
// with a real HTTP client (libcurl, snet/http_client.hpp) and a real WebSocket client.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "harness.hpp"
#include "snet/http_client.hpp"
#include "snet/http_guard.hpp"
#include "snet/http_server.hpp"
#include "ws_client.hpp"

using namespace snet;
using namespace snet::test;
namespace http = snet::http;

namespace {

http::Request request(std::string method, std::map<std::string, std::string> headers,
                      std::string remote = "127.0.0.1:5000") {
  http::Request r = http::Request::make(std::move(method), "/api/devices/button-1/press");
  r.headers = std::move(headers);
  r.remote = std::move(remote);
  return r;
}

http::GuardOptions options(std::string bind, std::vector<std::string> hosts = {},
                           std::vector<std::string> origins = {}, std::string token = "",
                           bool require_token = false) {
  http::GuardOptions o;
  o.bind_address = std::move(bind);
  o.allowed_hosts = std::move(hosts);
  o.allowed_origins = std::move(origins);
  o.token = std::move(token);
  o.require_token = require_token;
  return o;
}

std::string reason(const http::RequestGuard& guard, const http::Request& r) {
  const auto refusal = guard.check(r);
  return refusal ? refusal->reason : "";
}

// A server like snet-state's: a mutating route, a read-only one and a WebSocket feed, guarded.
struct GuardedServer {
  explicit GuardedServer(http::GuardOptions guard_options) : guard(std::move(guard_options)) {
    http::Router router;
    router.route("POST", "/press", [this](const http::Request&) {
      ++presses;
      return http::json_response(202, {{"pressed", true}});
    });
    router.route("GET", "/things", [](const http::Request&) {
      return http::json_response(200, {{"things", 1}});
    });
    http::ServerOptions server_options;
    server_options.websocket_path = "/ws";
    server_options.guard = [this](const http::Request& r) -> std::optional<http::Response> {
      auto refusal = guard.check(r);
      if (!refusal) return std::nullopt;
      ++refused;
      return std::move(refusal->response);
    };
    server = std::make_unique<http::Server>(
        server_options, std::move(router),
        http::WebSocketCallbacks{[this](const std::shared_ptr<http::WebSocket>& c) {
                                   ++opened;
                                   c->send(std::make_shared<const std::string>("snapshot"));
                                 },
                                 nullptr, nullptr});
    server->start();
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server->port()) + path;
  }
  std::string own_origin() const { return "http://127.0.0.1:" + std::to_string(server->port()); }

  http::RequestGuard guard;
  std::atomic<int> presses{0}, refused{0}, opened{0};
  std::unique_ptr<http::Server> server;
};

}  // namespace

TEST_CASE("loopback and IP literal decisions are pure functions of the text") {
  for (const char* host : {"localhost", "LOCALHOST", "app.localhost", "127.0.0.1", "127.1.2.3",
                           "::1", "[::1]", "::ffff:127.0.0.1"}) {
    CHECK_MESSAGE(http::is_loopback(host), host);
  }
  for (const char* host : {"evil.example", "localhost.evil.example", "10.0.0.1", "0.0.0.0",
                           "::", "::ffff:10.0.0.1", "128.0.0.1", ""}) {
    CHECK_FALSE_MESSAGE(http::is_loopback(host), host);
  }
  CHECK(http::is_ip_literal("192.168.1.20"));
  CHECK(http::is_ip_literal("[fe80::1]"));
  CHECK_FALSE(http::is_ip_literal("evil.example"));
  CHECK_FALSE(http::is_ip_literal("1.2.3"));

  // Where a server listens decides whether the token is needed (--http-auth auto).
  CHECK(http::is_loopback_bind("127.0.0.1"));
  CHECK(http::is_loopback_bind("localhost"));
  CHECK(http::is_loopback_bind("::1"));
  CHECK_FALSE(http::is_loopback_bind("0.0.0.0"));
  CHECK_FALSE(http::is_loopback_bind("::"));
  CHECK_FALSE(http::is_loopback_bind(""));
  CHECK_FALSE(http::is_loopback_bind("192.168.1.20"));
  CHECK_FALSE(http::is_loopback_bind("myhost.lan"));  // a name may resolve to anything
  CHECK_FALSE(http::token_required(http::TokenMode::automatic, "127.0.0.1"));
  CHECK(http::token_required(http::TokenMode::automatic, "0.0.0.0"));
  CHECK(http::token_required(http::TokenMode::always, "127.0.0.1"));
  CHECK_FALSE(http::token_required(http::TokenMode::never, "0.0.0.0"));
  CHECK(http::parse_token_mode("auto") == http::TokenMode::automatic);
  CHECK_FALSE(http::parse_token_mode("sometimes").has_value());
}

TEST_CASE("Host headers and origins are parsed strictly") {
  CHECK(http::parse_host_header("Example.COM:8080") == http::Authority{"example.com", 8080});
  CHECK(http::parse_host_header("127.0.0.1") == http::Authority{"127.0.0.1", 0});
  CHECK(http::parse_host_header("[::1]:80") == http::Authority{"::1", 80});
  for (const char* bad : {"", ":80", "a:b", "host:", "host:99999", "::1", "[nothost]:1",
                          "evil.example/x", "a b", "[::1]x"}) {
    CHECK_FALSE_MESSAGE(http::parse_host_header(bad).has_value(), bad);
  }
  CHECK(http::parse_origin("http://127.0.0.1:8080") == http::Authority{"127.0.0.1", 8080});
  CHECK(http::parse_origin("https://Dash.Example") == http::Authority{"dash.example", 443});
  CHECK(http::parse_origin("http://[::1]") == http::Authority{"::1", 80});
  for (const char* bad : {"null", "file://", "ftp://x", "http://", "http//x", ""}) {
    CHECK_FALSE_MESSAGE(http::parse_origin(bad).has_value(), bad);
  }
}

TEST_CASE("the guard refuses foreign hosts, foreign origins and missing tokens, and says why") {
  const http::RequestGuard open(options("127.0.0.1", {"proxy.lan"}, {"https://dash.example"}));
  const std::map<std::string, std::string> local = {{"host", "127.0.0.1:8080"}};
  CHECK(reason(open, request("POST", local)).empty());  // curl-like: no Origin
  CHECK(reason(open,
               request("POST", {{"host", "127.0.0.1:8080"}, {"origin", "http://127.0.0.1:8080"}}))
            .empty());
  CHECK(reason(open, request("POST", {{"host", "localhost"}, {"origin", "http://localhost"}}))
            .empty());
  CHECK(reason(open,
               request("POST", {{"host", "127.0.0.1:8080"}, {"origin", "https://dash.example"}}))
            .empty());
  CHECK(reason(open, request("POST", {{"host", "127.0.0.1:8080"},
                                      {"origin", "http://evil.example"}})) == "foreign_origin");
  // Same host, another port: another origin (another local web app).
  CHECK(reason(open, request("POST", {{"host", "127.0.0.1:8080"},
                                      {"origin", "http://127.0.0.1:3000"}})) == "foreign_origin");
  CHECK(reason(open, request("PUT", {{"host", "127.0.0.1:8080"}, {"origin", "null"}})) ==
        "foreign_origin");
  // Reading is not refused for its Origin (the browser keeps the answer from the page)...
  CHECK(
      reason(open, request("GET", {{"host", "127.0.0.1:8080"}, {"origin", "http://evil.example"}}))
          .empty());
  // ... but a WebSocket is (browsers let any page open one).
  CHECK(reason(open, request("GET", {{"host", "127.0.0.1:8080"},
                                     {"origin", "http://evil.example"},
                                     {"upgrade", "websocket"}})) == "websocket_foreign_origin");
  // DNS rebinding: the attacker's name in Host, whatever the method.
  for (const char* host : {"evil.example", "evil.example:8080", "localhost.evil.example", "%%"}) {
    const auto refusal = open.check(request("GET", {{"host", host}}));
    REQUIRE_MESSAGE(refusal.has_value(), host);
    CHECK(refusal->reason == "foreign_host");
    CHECK(refusal->response.status == 421);
    CHECK(refusal->response.body.find("--allowed-host") != std::string::npos);
  }
  for (const char* host : {"192.168.1.20:8080", "[::1]:8080", "proxy.lan", "PROXY.lan:1"}) {
    CHECK_MESSAGE(reason(open, request("GET", {{"host", host}})).empty(), host);
  }

  const http::RequestGuard locked(options("0.0.0.0", {}, {}, "s3cret", true));
  CHECK(locked.token_required());
  CHECK(reason(locked, request("GET", local)).empty());  // reading needs no token
  const auto missing = locked.check(request("POST", local));
  REQUIRE(missing.has_value());
  CHECK(missing->reason == "token_missing");
  CHECK(missing->response.status == 401);
  CHECK(missing->response.body.find("Authorization: Bearer") != std::string::npos);
  CHECK(reason(locked, request("POST", {{"authorization", "Bearer wrong"}})) == "token_wrong");
  CHECK(reason(locked, request("POST", {{"authorization", "Bearer s3cre"}})) == "token_wrong");
  CHECK(reason(locked, request("POST", {{"authorization", "Basic s3cret"}})) == "token_missing");
  CHECK(reason(locked, request("POST", {{"authorization", "Bearer s3cret"}})).empty());
  CHECK(reason(locked, request("DELETE", {{"authorization", "bearer s3cret"}})).empty());
  // The token does not excuse a foreign origin.
  CHECK(reason(locked, request("POST", {{"authorization", "Bearer s3cret"},
                                        {"host", "10.0.0.5:8080"},
                                        {"origin", "http://evil.example"}})) == "foreign_origin");

  CHECK_THROWS_AS(http::RequestGuard(options("", {}, {"*"})), std::invalid_argument);
  CHECK_THROWS_AS(http::RequestGuard(options("", {}, {"https://*.example"})),
                  std::invalid_argument);
  CHECK_THROWS_AS(http::RequestGuard(options("", {}, {"https://a.example/path"})),
                  std::invalid_argument);
  CHECK_THROWS_AS(http::RequestGuard(options("", {" "})), std::invalid_argument);
}

TEST_CASE("token files: generated 0600, read back, refused when others may read them") {
  TempDir dir;
  const std::string file = dir.path() + "/sub/http-token";
  const std::string token = http::ensure_token_file(file);
  CHECK(token.size() == 64);
  struct stat info {};
  REQUIRE(::stat(file.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  CHECK(http::ensure_token_file(file) == token);  // kept, not regenerated
  CHECK(http::read_token_file(file) == token);
  CHECK(http::random_token() != token);
  ::chmod(file.c_str(), 0644);
  CHECK_THROWS_WITH_AS(http::read_token_file(file), doctest::Contains("chmod 600"),
                       std::runtime_error);
  CHECK_THROWS_AS(http::read_token_file(dir.path() + "/none"), std::runtime_error);
}

TEST_CASE("a real server refuses cross-origin POSTs and WebSockets and DNS-rebound hosts") {
  GuardedServer s(options("127.0.0.1"));
  const std::string evil = "Origin: http://evil.example";

  // Same-origin (the dashboard) and no Origin (curl, snet ctl) press.
  CHECK(http::call("POST", s.url("/press"), "{}", 5s, {"Origin: " + s.own_origin()}).status == 202);
  CHECK(http::call("POST", s.url("/press")).status == 202);
  CHECK(s.presses == 2);

  // A page elsewhere: fetch() with JSON, and a plain HTML form (url-encoded, no preflight).
  auto res = http::call("POST", s.url("/press"), "{}", 5s, {evil});
  CHECK(res.status == 403);
  CHECK(res.body.find("evil.example") != std::string::npos);
  res = http::call("POST", s.url("/press"), "a=1", 5s,
                   {evil, "Content-Type: application/x-www-form-urlencoded"});
  CHECK(res.status == 403);
  CHECK(s.presses == 2);  // neither reached the handler
  CHECK(res.body.find("Access-Control") == std::string::npos);

  // DNS rebinding: evil.example resolved to 127.0.0.1, the browser sends its name.
  res = http::call("GET", s.url("/things"), "", 5s, {"Host: evil.example:8080"});
  CHECK(res.status == 421);
  CHECK(res.body.find("DNS rebinding") != std::string::npos);
  CHECK(http::call("GET", s.url("/things")).status == 200);

  // A WebSocket from another origin is refused before the handshake: no snapshot.
  try {
    WsClient foreign(s.server->port(), "/ws", 5s, {{"Origin", "http://evil.example"}});
    FAIL("a WebSocket with a foreign Origin was accepted");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("HTTP 403") != std::string::npos);
  }
  CHECK(s.opened == 0);
  WsClient own(s.server->port(), "/ws", 5s, {{"Origin", s.own_origin()}});
  CHECK(own.read() == "snapshot");
  CHECK(s.opened == 1);
  CHECK(s.refused == 4);
}

TEST_CASE("a server that needs a token refuses mutating requests without it, reads stay open") {
  // A non-loopback bind may not exist here: the token mode is what the bind decides (above).
  GuardedServer s(options("127.0.0.1", {}, {}, "t0ken", true));
  auto res = http::call("POST", s.url("/press"));
  CHECK(res.status == 401);
  CHECK(res.body.find("Bearer") != std::string::npos);
  CHECK(http::call("POST", s.url("/press"), "{}", 5s, {"Authorization: Bearer nope"}).status ==
        401);
  CHECK(s.presses == 0);
  CHECK(http::call("POST", s.url("/press"), "{}", 5s, {"Authorization: Bearer t0ken"}).status ==
        202);
  CHECK(s.presses == 1);
  CHECK(http::call("GET", s.url("/things")).status == 200);
  WsClient own(s.server->port());
  CHECK(own.read() == "snapshot");
}
