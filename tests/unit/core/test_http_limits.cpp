// The HTTP server's connection limits with real sockets: a cap on open connections, and
// accepting through a shortage of file descriptors (RLIMIT_NOFILE lowered in this process).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "harness.hpp"
#include "snet/http_server.hpp"
#include "ws_client.hpp"

using namespace snet;
using namespace snet::test;
namespace http = snet::http;

namespace {

// A file descriptor closed with the object.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& other) noexcept : fd(other.fd) { other.fd = -1; }
  Fd& operator=(Fd&&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

bool connect_loopback(int fd, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

// Sends a GET on a connected socket and returns the status of the answer (0: none).
int get_status(int fd, const std::string& target) {
  const std::string req =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) < 0) return 0;
  std::string answer;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) answer.append(buf, static_cast<size_t>(n));
  return answer.size() >= 12 ? std::atoi(answer.c_str() + 9) : 0;
}

http::Router ok_router() {
  http::Router router;
  router.route("GET", "/ok", [](const http::Request&) { return http::text_response(200, "ok"); });
  return router;
}

http::WebSocketCallbacks echo() {
  return {nullptr,
          [](const std::shared_ptr<http::WebSocket>& c, std::string text) {
            c->send(std::make_shared<const std::string>("echo:" + text));
          },
          nullptr};
}

// Lowers the soft RLIMIT_NOFILE for the test's duration; restored with the object.
struct NoFileLimit {
  rlimit saved{};
  explicit NoFileLimit(rlim_t soft) {
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
    rlimit lowered = saved;
    lowered.rlim_cur = soft;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  }
  ~NoFileLimit() { ::setrlimit(RLIMIT_NOFILE, &saved); }
};

}  // namespace

TEST_CASE("connections beyond the cap are refused at once while an existing client keeps working") {
  http::ServerOptions options;
  options.max_connections = 3;
  options.websocket_path = "/ws";
  http::Server server(options, ok_router(), echo());
  server.start();
  const int port = server.port();

  WsClient ws(port);  // the existing client
  ws.send("a");
  CHECK(ws.read() == "echo:a");
  std::vector<Fd> idle;  // two slow clients: they connect and say nothing
  for (int i = 0; i < 2; ++i) {
    idle.emplace_back(::socket(AF_INET, SOCK_STREAM, 0));
    REQUIRE(connect_loopback(idle.back().fd, port));
  }
  REQUIRE(eventually([&] { return server.connections() == 3; }));

  // The fourth is closed at once (a 503 when it can still be read), never queued...
  const int status = http_request("GET", port, "/ok").status;
  CHECK_MESSAGE((status == 503 || status == 0), "status " << status);
  CHECK(server.connections_refused() == 1);
  // ... and the oldest slow client makes room for the next (it reads end-of-stream).
  char byte;
  CHECK(::recv(idle[0].fd, &byte, 1, 0) == 0);
  CHECK(http_request("GET", port, "/ok").status == 200);
  // The WebSocket client was never a candidate, and still works.
  ws.send("b");
  CHECK(ws.read() == "echo:b");
  CHECK(server.websocket_clients() == 1);

  // Again at the cap: a slow client and a WebSocket client hold two of three slots.
  WsClient second(port);
  REQUIRE(eventually([&] { return server.connections() == 3; }));
  const int again = http_request("GET", port, "/ok").status;
  CHECK_MESSAGE((again == 503 || again == 0), "status " << again);
  CHECK(server.connections_refused() == 2);
  CHECK(::recv(idle[1].fd, &byte, 1, 0) == 0);
  CHECK(http_request("GET", port, "/ok").status == 200);
  second.send("c");
  CHECK(second.read() == "echo:c");
}

TEST_CASE("out of file descriptors, the server pauses accepting and recovers once some are free") {
  http::ServerOptions options;
  options.websocket_path = "/ws";
  options.accept_backoff = std::chrono::milliseconds(20);
  http::Server server(options, ok_router(), echo());
  server.start();
  const int port = server.port();
  WsClient ws(port);
  ws.send("before");
  REQUIRE(ws.read() == "echo:before");

  // The client of the test needs its socket before the descriptors run out.
  Fd late(::socket(AF_INET, SOCK_STREAM, 0));
  REQUIRE(late.fd >= 0);
  std::vector<Fd> fillers;
  {
    const int probe = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(probe >= 0);
    ::close(probe);
    NoFileLimit limit(static_cast<rlim_t>(probe) + 16);
    for (;;) {
      const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        REQUIRE(errno == EMFILE);
        break;
      }
      fillers.emplace_back(fd);
    }
    // The kernel completes the handshake (the listen backlog); accept() fails with EMFILE.
    REQUIRE(connect_loopback(late.fd, port));
    const std::string req = "GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    REQUIRE(::send(late.fd, req.data(), req.size(), MSG_NOSIGNAL) > 0);
    CHECK(eventually([&] { return server.accept_failures() >= 2; }));  // retried, not spun on
    const auto failures = server.accept_failures();
    CHECK(failures < 1000);
    // The connected client is served meanwhile: it needs no new descriptor.
    ws.send("during");
    CHECK(ws.read() == "echo:during");
    fillers.clear();
  }
  // Descriptors are free again: the waiting connection is accepted and answered.
  std::string answer;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(late.fd, buf, sizeof buf, 0)) > 0) answer.append(buf, static_cast<size_t>(n));
  CHECK(answer.rfind("HTTP/1.1 200", 0) == 0);
  Fd again(::socket(AF_INET, SOCK_STREAM, 0));
  REQUIRE(connect_loopback(again.fd, port));
  CHECK(get_status(again.fd, "/ok") == 200);
}
