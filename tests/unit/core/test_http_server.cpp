// The generic HTTP/WebSocket server (core/include/snet/http_server.hpp): routing as a pure
// function, static files, and the socket behaviour (port 0, limits, WebSocket back-pressure).
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "snet/http_server.hpp"
#include "ws_client.hpp"

using namespace snet;
using namespace snet::test;
namespace http = snet::http;

namespace {

http::Router demo_router() {
  http::Router router;
  router.route("GET", "/items/{id}", [](const http::Request& req) {
    return http::json_response(200, {{"id", req.params.at("id")}, {"q", req.query}});
  });
  router.route("POST", "/items/{id}", [](const http::Request& req) {
    return http::json_response(201, {{"body", req.body}});
  });
  router.route("POST", "/echo",
               [](const http::Request& req) { return http::text_response(200, req.body); });
  return router;
}

// TCP_NODELAY of each of this process's sockets that `port` accepted (the server runs in-process).
std::vector<int> accepted_no_delay(int port) {
  std::vector<int> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::stoi(entry.path().filename().string());
    sockaddr_in local{}, peer{};
    socklen_t size = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &size) != 0 ||
        local.sin_family != AF_INET || ntohs(local.sin_port) != port) {
      continue;
    }
    size = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &size) != 0) continue;  // listener
    int on = 0;
    size = sizeof on;
    if (::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &size) == 0) found.push_back(on);
  }
  return found;
}

}  // namespace

TEST_CASE("the server sends each response and WebSocket message at once (TCP_NODELAY)") {
  // With Nagle's algorithm a live-feed message written while the last was unacknowledged
  // waited for the client's delayed ACK: up to 40 ms on Linux.
  http::ServerOptions options;
  options.websocket_path = "/ws";
  http::Server server(options, demo_router(),
                      http::WebSocketCallbacks{[](const std::shared_ptr<http::WebSocket>& c) {
                                                 c->send(std::make_shared<const std::string>("hi"));
                                               },
                                               {},
                                               {}});
  server.start();
  {
    WsClient client(server.port());
    REQUIRE(client.read() == "hi");
    CHECK(accepted_no_delay(server.port()) == std::vector<int>{1});
  }
  server.stop();
}

TEST_CASE("the router matches patterns, decodes the target and answers 404 and 405 by itself") {
  const http::Router router = demo_router();
  auto res = router.handle(http::Request::make("GET", "/items/a%20b?x=1&y=two+words"));
  CHECK(res.status == 200);
  const auto body = nlohmann::json::parse(res.body);
  CHECK(body["id"] == "a b");
  CHECK(body["q"]["x"] == "1");
  CHECK(body["q"]["y"] == "two words");

  CHECK(router.handle(http::Request::make("HEAD", "/items/a")).status == 200);
  CHECK(router.handle(http::Request::make("POST", "/items/a", "hi")).status == 201);

  res = router.handle(http::Request::make("DELETE", "/items/a"));
  CHECK(res.status == 405);
  REQUIRE(res.headers.size() == 1);
  CHECK(res.headers[0].first == "Allow");
  CHECK(res.headers[0].second.find("GET") != std::string::npos);
  CHECK(res.headers[0].second.find("POST") != std::string::npos);

  res = router.handle(http::Request::make("GET", "/nothing/here"));
  CHECK(res.status == 404);
  CHECK(res.body.find("/nothing/here") != std::string::npos);
  CHECK(router.handle(http::Request::make("GET", "/items/")).status == 404);  // empty {id}

  CHECK_THROWS_AS(http::Request::make("GET", "/bad%zz"), std::invalid_argument);
  CHECK_THROWS_AS(http::Request::make("GET", "no-slash"), std::invalid_argument);
}

TEST_CASE("static files have content types and never leave their root") {
  TempDir root;
  std::ofstream(root.path() + "/index.html") << "<h1>hi</h1>";
  std::ofstream(root.path() + "/app.js") << "let x = 1;";
  TempDir outside;
  std::ofstream(outside.path() + "/secret.txt") << "secret";
  std::filesystem::create_symlink(outside.path() + "/secret.txt", root.path() + "/link.txt");

  auto get = [&](const std::string& target) {
    return http::static_file(root.path(), http::Request::make("GET", target));
  };
  auto res = get("/");
  CHECK(res.status == 200);
  CHECK(res.content_type.find("text/html") == 0);
  CHECK(res.body == "<h1>hi</h1>");
  res = get("/app.js");
  CHECK(res.status == 200);
  CHECK(res.content_type.find("text/javascript") == 0);
  CHECK(get("/missing.css").status == 404);
  CHECK(get("/../" + std::filesystem::path(outside.path()).filename().string() + "/secret.txt")
            .status == 404);
  CHECK(get("/%2e%2e/%2e%2e/etc/passwd").status == 404);
  CHECK(get("/link.txt").status == 404);  // a symlink pointing out of the root
  CHECK(http::static_file(root.path(), http::Request::make("POST", "/app.js")).status == 405);
}

TEST_CASE("the server listens on port 0, enforces the body limit and closes cleanly") {
  http::ServerOptions options;
  options.port = 0;
  options.body_limit = 1024;
  http::Server server(options, demo_router());
  server.start();
  const int port = server.port();
  REQUIRE(port > 0);

  auto res = http_request("GET", port, "/items/42?x=y");
  CHECK(res.status == 200);
  CHECK(nlohmann::json::parse(res.body)["id"] == "42");
  CHECK(http_request("POST", port, "/echo", std::string(1000, 'a')).body.size() == 1000);
  res = http_request("POST", port, "/echo", std::string(5000, 'a'));
  CHECK(res.status == 413);
  CHECK(res.body.find("1024") != std::string::npos);
  CHECK(http_request("PUT", port, "/echo").status == 405);
  CHECK(http_request("GET", port, "/bad%zz").status == 400);

  server.stop();
  CHECK(http_request("GET", port, "/items/1").status == 0);  // nothing listens any more
}

TEST_CASE("the server refuses to start on a port in use and names it") {
  http::Server first(http::ServerOptions{}, demo_router());
  first.start();
  http::ServerOptions options;
  options.port = first.port();
  options.bind_address = "127.0.0.1";
  http::Server second(options, demo_router());
  try {
    second.start();
    FAIL("second server started on a busy port");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find(std::to_string(first.port())) != std::string::npos);
  }
}

TEST_CASE("an asynchronous handler replies from another thread, and a missing reply times out") {
  http::Router router;
  router.route_async("GET", "/later", [](http::Request, http::Reply reply) {
    std::thread([reply] { reply(http::text_response(200, "late")); }).detach();
  });
  router.route_async("GET", "/never", [](http::Request, http::Reply) {});
  http::ServerOptions options;
  options.handler_timeout = std::chrono::milliseconds(200);
  http::Server server(options, std::move(router));
  server.start();
  CHECK(http_request("GET", server.port(), "/later").body == "late");
  const auto res = http_request("GET", server.port(), "/never");
  CHECK(res.status == 503);
}

TEST_CASE("WebSocket clients receive broadcasts, and a client that stops reading is dropped") {
  http::WebSocketHub hub;
  std::atomic<int> opened{0}, closed{0};
  http::ServerOptions options;
  options.websocket_path = "/ws";
  options.websocket_queue_limit = 8;
  http::Server server(
      options, http::Router{},
      http::WebSocketCallbacks{[&](const std::shared_ptr<http::WebSocket>& c) {
                                 c->send(std::make_shared<const std::string>("hello"));
                                 hub.join(c);
                                 ++opened;
                               },
                               [](const std::shared_ptr<http::WebSocket>& c, std::string text) {
                                 c->send(std::make_shared<const std::string>("echo:" + text));
                               },
                               [&](const std::shared_ptr<http::WebSocket>& c) {
                                 hub.leave(*c);
                                 ++closed;
                               }});
  server.start();

  WsClient reader(server.port());
  CHECK(reader.read() == "hello");
  reader.send("ping");
  CHECK(reader.read() == "echo:ping");

  WsClient slow(server.port());  // never reads
  REQUIRE(eventually([&] { return opened == 2; }));
  CHECK(server.websocket_clients() == 2);
  CHECK(http_request("GET", server.port(), "/ws").status == 404);  // not an upgrade

  // Large messages fill the socket buffers of the slow client, then its queue.
  const auto big = std::make_shared<const std::string>(std::string(256 * 1024, 'x'));
  for (int i = 0; i < 400 && server.websockets_dropped() == 0; ++i) {
    hub.broadcast(big);
    reader.read(std::chrono::milliseconds(100));  // the good client keeps up
  }
  CHECK(eventually([&] { return server.websockets_dropped() == 1; }));
  CHECK(eventually([&] { return closed == 1 && server.websocket_clients() == 1; }));
  hub.broadcast(std::make_shared<const std::string>("still here"));
  bool got = false;
  for (int i = 0; i < 1000 && !got; ++i) {
    auto m = reader.read(std::chrono::seconds(2));
    if (!m) break;
    got = *m == "still here";
  }
  CHECK(got);

  server.stop();  // clients are told "going away"
  CHECK_FALSE(reader.read(std::chrono::seconds(2)).has_value());
  CHECK(reader.closed());
}
