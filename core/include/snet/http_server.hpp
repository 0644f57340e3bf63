// A small, generic HTTP/1.1 + WebSocket server on Boost.Beast, shaped like Beast's chat-multi
// and advanced_server examples: a listener, one session per connection on its own strand, a
// request body limit, read timeouts, and WebSocket clients with one write in flight and a bounded
// send queue (a client that cannot keep up is dropped, never buffered forever).
//
// The application sees no Beast type. It supplies a handler `Request -> Response` (usually a
// Router), which is plain data in and out and so testable without sockets, and, optionally,
// WebSocket callbacks. Used by snet-state (REST + live feed) and snet-whisk (REST).
//
//   snet::http::Router router;
//   router.route("GET", "/api/things/{id}", [](const Request& req) {
//     return json_response(200, {{"id", req.params.at("id")}});
//   });
//   snet::http::Server server({.bind_address = "127.0.0.1", .port = 0}, std::move(router));
//   server.start();   // throws naming the address when it cannot listen
//   int port = server.port();
//
// Handlers run on the server's I/O threads. A handler that must wait (for a broker ack, a
// compute result...) registers with route_async() and calls its Reply later from any thread;
// a reply not given within ServerOptions::handler_timeout is answered 503 for it.
//
// Thread safety: Server::start/stop/destructor from one thread. Handlers may run concurrently
// (one per connection at a time) and must be thread-safe. Reply, WebSocket::send/close and every
// WebSocketHub method may be called from any thread. Stop every thread that sends or replies
// before destroying the Server, and keep WebSocket handles as weak_ptr (WebSocketHub does).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace snet::http {

struct Request {
  std::string method;                          // as received: "GET", "POST", "HEAD"...
  std::string target;                          // raw request-target, e.g. "/api/x?limit=3"
  std::string path;                            // percent-decoded path, e.g. "/api/x"
  std::map<std::string, std::string> query;    // decoded query parameters (last one wins)
  std::map<std::string, std::string> headers;  // field names in lower case
  std::map<std::string, std::string> params;   // "{name}" segments matched by the Router
  std::string body;
  std::string remote;  // peer "address:port" (empty in tests)

  /// The header's value, or "" when absent. `lower_name` must be lower case.
  std::string header(const std::string& lower_name) const;
  /// Builds a request from a method and a raw target (splits path and query, decodes both).
  /// Throws std::invalid_argument naming the problem for a malformed target.
  static Request make(std::string method, std::string target, std::string body = {});
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra header fields
};

/// `body` serialised as JSON.
Response json_response(int status, const nlohmann::json& body);
/// {"error": message}: every error answer names what is wrong.
Response error_response(int status, std::string_view message);
Response text_response(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");

/// Delivers the response of one request. Call it once, from any thread; later calls are ignored.
using Reply = std::function<void(Response)>;
using Handler = std::function<Response(const Request&)>;
using AsyncHandler = std::function<void(Request, Reply)>;

/// Dispatches on method and path pattern. Patterns are '/'-separated; a segment "{name}"
/// matches any one non-empty segment and is stored in Request::params. A path that matches no
/// pattern goes to the fallback (default: 404 naming the path); a path that matches only with
/// other methods is answered 405 with an Allow header. HEAD is served by the GET route.
/// Thread safety: configure before use; dispatch() is const and may run concurrently.
class Router {
 public:
  Router& route(std::string method, std::string pattern, Handler handler);
  Router& route_async(std::string method, std::string pattern, AsyncHandler handler);
  Router& fallback(AsyncHandler handler);

  void dispatch(Request request, Reply reply) const;
  /// Synchronous dispatch for tests: the response of a handler that replies before returning.
  /// Throws std::logic_error when the matched handler replies later.
  Response handle(Request request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    AsyncHandler handler;
  };
  std::vector<Route> routes_;
  AsyncHandler fallback_;
};

/// Serves `request.path` from the directory `root` ("/" -> index.html) with a content type
/// from the file extension. Only GET and HEAD (else 405); paths that leave `root` (.., symlinks
/// outward) or name no regular file are answered 404.
Response static_file(const std::string& root, const Request& request);
/// Content type for a file name's extension ("application/octet-stream" when unknown).
std::string_view mime_type(std::string_view path);

/// One connected WebSocket client, handed to the application by WebSocketCallbacks::on_open.
class WebSocket {
 public:
  virtual ~WebSocket() = default;
  /// Queues a text message and returns at once. When the client already has
  /// ServerOptions::websocket_queue_limit messages waiting, it is disconnected instead.
  virtual void send(std::shared_ptr<const std::string> text) = 0;
  /// Starts the closing handshake.
  virtual void close() = 0;
  virtual std::uint64_t id() const = 0;
  /// The upgrade request's target, e.g. "/ws?device=a".
  virtual const std::string& target() const = 0;
};

struct WebSocketCallbacks {
  /// The handshake completed (runs on the client's strand; nothing reaches the client before
  /// what on_open sends, so this is the place for a snapshot).
  std::function<void(const std::shared_ptr<WebSocket>&)> on_open;
  /// A text or binary message arrived from the client.
  std::function<void(const std::shared_ptr<WebSocket>&, std::string)> on_message;
  /// The client is gone (closed, dropped or failed); called once per opened client.
  std::function<void(const std::shared_ptr<WebSocket>&)> on_close;
};

/// A set of WebSocket clients that receive the same messages (chat-multi's shared_state).
/// Holds weak_ptrs: a client that went away is skipped and forgotten.
class WebSocketHub {
 public:
  void join(const std::shared_ptr<WebSocket>& client);
  void leave(const WebSocket& client);
  /// Copies the members under the lock and sends outside it, so a slow send never blocks joins.
  void broadcast(const std::shared_ptr<const std::string>& text);
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::uint64_t, std::weak_ptr<WebSocket>> members_;
};

struct ServerOptions {
  std::string bind_address = "127.0.0.1";  // an IP address or a host name (first address used)
  int port = 0;                            // 0: any free port, see Server::port()
  int threads = 1;                         // I/O threads
  std::size_t body_limit = 64 * 1024;      // larger request bodies are answered 413
  std::size_t header_limit = 8 * 1024;     // larger request headers are answered 431
  // Open connections (HTTP and WebSocket) at most; one more is closed at once (after a short
  // 503 when the socket takes it) and counted in connections_refused(), so that a flood of
  // clients cannot use up the process's file descriptors. Each refusal also closes the oldest
  // HTTP connection that waits for its client, so slow clients cannot keep others out for a
  // whole read timeout (WebSocket clients and requests being answered are never closed).
  std::size_t max_connections = 1024;
  // After a failed accept (EMFILE, ENFILE: out of descriptors), accepting resumes after this
  // pause: the listener neither spins on the error nor stops.
  std::chrono::milliseconds accept_backoff{100};
  std::chrono::milliseconds read_timeout{30'000};     // a whole request must arrive within it
  std::chrono::milliseconds handler_timeout{30'000};  // unanswered requests then get 503
  std::string websocket_path;                         // upgrades accepted here only ("" = none)
  std::size_t websocket_queue_limit = 256;  // messages waiting per client before it is dropped
  std::size_t websocket_message_limit = 64 * 1024;  // largest message accepted from a client
  std::string server_name = "serverlessnet";
  // Runs before the handler and before a WebSocket handshake (on a Request with the upgrade's
  // headers, "upgrade: websocket" among them); a Response returned is the answer instead, and
  // no handler or WebSocket callback sees the request. E.g. RequestGuard (http_guard.hpp).
  std::function<std::optional<Response>(const Request&)> guard;
};

class Server {
 public:
  Server(ServerOptions options, AsyncHandler handler, WebSocketCallbacks websocket = {});
  Server(ServerOptions options, Router router, WebSocketCallbacks websocket = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds, listens and starts the I/O threads. Throws std::runtime_error naming the address
  /// and the reason when it cannot listen.
  void start();
  /// The bound port (the real one when ServerOptions::port was 0); 0 before start().
  int port() const;
  /// Stops accepting, closes every connection (WebSocket clients get a "going away" close),
  /// waits up to `grace` for them to finish, then stops the threads. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(2));

  std::size_t connections() const;            // open HTTP and WebSocket connections
  std::size_t websocket_clients() const;      // open WebSocket connections
  std::uint64_t websockets_dropped() const;   // clients dropped for a full send queue
  std::uint64_t connections_refused() const;  // closed at once: max_connections were open
  std::uint64_t accept_failures() const;      // failed accepts (EMFILE...), each then paused

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace snet::http
