// Internals of snet::http::Server shared by its listener and sessions (not a public header).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "snet/http_server.hpp"

namespace snet::http::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;

/// Something the server can ask to close when it stops.
class Closable {
 public:
  virtual ~Closable() = default;
  virtual void shutdown() = 0;  // any thread
  /// Closes the socket at once. Only while no I/O thread runs (after stop() joined them).
  virtual void force_close() = 0;
};

/// What every session shares with the server, kept alive by the sessions themselves.
class ServerCore {
 public:
  ServerCore(ServerOptions options, AsyncHandler handler, WebSocketCallbacks websocket)
      : options(std::move(options)), handler(std::move(handler)), websocket(std::move(websocket)) {}

  const ServerOptions options;
  const AsyncHandler handler;
  const WebSocketCallbacks websocket;
  std::atomic<std::size_t> websocket_clients{0};
  std::atomic<std::uint64_t> websockets_dropped{0};
  std::atomic<std::uint64_t> connections_refused{0};
  std::atomic<std::uint64_t> accept_failures{0};

  std::uint64_t add(const std::weak_ptr<Closable>& session);
  void remove(std::uint64_t id);
  std::size_t size() const;
  /// Asks every live session to close; returns once asked.
  void shutdown_all();
  /// Waits until no session is left, at most `timeout`.
  bool wait_empty(std::chrono::milliseconds timeout);
  /// Closes the sockets of the sessions left (the I/O threads must have stopped).
  void force_close_all();

  /// Posts `fn` to `executor` unless the server has stopped (the executor may be gone then).
  template <typename Executor, typename Fn>
  void post(const Executor& executor, Fn&& fn) {
    std::shared_lock lock(run_mutex_);
    if (!stopped_) net::post(executor, std::forward<Fn>(fn));
  }
  /// After this, post() drops work: called before the io_context is destroyed.
  void mark_stopped() {
    std::unique_lock lock(run_mutex_);
    stopped_ = true;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable empty_;
  std::map<std::uint64_t, std::weak_ptr<Closable>> sessions_;
  std::uint64_t next_id_ = 1;
  bool closing_ = false;
  std::shared_mutex run_mutex_;
  bool stopped_ = false;
};

/// The application's view of a request Beast parsed, taking its body: Request::make's (throws
/// std::invalid_argument for a malformed target), with the header fields (names in lower case,
/// a repeated field's values joined by ", ") and the peer's "address:port". No I/O: the fuzz
/// target of the HTTP handler (fuzz/) feeds raw bytes through Beast's parser and this.
Request to_request(bhttp::request<bhttp::string_body>& raw, std::string remote);

/// Logs a failed I/O step, except the noise of ordinary closing and shutting down.
void report(const beast::error_code& ec, const char* what);

/// One HTTP connection: read a request, run the handler, write the response, repeat.
class HttpSession : public Closable, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, std::shared_ptr<ServerCore> core);
  ~HttpSession() override;
  void run();
  void shutdown() override;
  void force_close() override;

 private:
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void dispatch(Request request);
  void on_reply(std::uint64_t sequence, Response response);
  void write(Response response, bool close_after);
  void on_write(bool close, beast::error_code ec, std::size_t bytes);
  void do_close();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<ServerCore> core_;
  net::steady_timer reply_timer_;
  std::optional<bhttp::response<bhttp::string_body>> response_;
  std::string remote_;
  std::uint64_t id_ = 0;
  std::uint64_t sequence_ = 0;  // of the request awaiting its reply
  bool awaiting_reply_ = false;
  bool keep_alive_ = false;
  bool head_ = false;
  unsigned version_ = 11;
};

/// One WebSocket client: one write in flight, a bounded queue behind it.
class WebSocketSession : public WebSocket,
                         public Closable,
                         public std::enable_shared_from_this<WebSocketSession> {
 public:
  WebSocketSession(tcp::socket&& socket, std::shared_ptr<ServerCore> core);
  ~WebSocketSession() override;
  void run(bhttp::request<bhttp::string_body> upgrade);

  void send(std::shared_ptr<const std::string> text) override;
  void close() override;
  std::uint64_t id() const override { return id_; }
  const std::string& target() const override { return target_; }
  void shutdown() override;
  void force_close() override;

 private:
  void on_accept(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void enqueue(std::shared_ptr<const std::string> text);
  void do_write();
  void on_write(beast::error_code ec, std::size_t bytes);
  void start_close(websocket::close_code code);
  void finish(const beast::error_code& ec, const char* what);

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::shared_ptr<ServerCore> core_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::string target_;
  std::uint64_t id_ = 0;
  bool opened_ = false;    // handshake done, on_open called
  bool closing_ = false;   // no more writes
  bool finished_ = false;  // on_close called
};

}  // namespace snet::http::detail
