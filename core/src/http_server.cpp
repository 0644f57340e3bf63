// Server: the listener (Beast chat-multi's listener) and the I/O threads, plus the session
// registry used to close every connection on stop().
#include <optional>
#include <thread>

#include "http_server_internal.hpp"
#include "snet/log.hpp"

namespace snet::http {
namespace detail {

void report(const beast::error_code& ec, const char* what) {
  if (ec == net::error::operation_aborted || ec == websocket::error::closed ||
      ec == net::error::eof || ec == bhttp::error::end_of_stream) {
    return;  // ordinary closing
  }
  if (ec == beast::error::timeout || ec == net::error::connection_reset ||
      ec == net::error::broken_pipe || ec == net::error::not_connected) {
    log::debug("http: ", what, ": ", ec.message());
    return;
  }
  log::warn("http: ", what, ": ", ec.message());
}

std::uint64_t ServerCore::add(const std::weak_ptr<Closable>& session) {
  std::unique_lock lock(mutex_);
  const std::uint64_t id = next_id_++;
  sessions_[id] = session;
  if (closing_) {  // accepted while stopping: close it right away
    lock.unlock();
    if (auto s = session.lock()) s->shutdown();
  }
  return id;
}

void ServerCore::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(id);
  if (sessions_.empty()) empty_.notify_all();
}

std::size_t ServerCore::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void ServerCore::shutdown_all() {
  std::vector<std::weak_ptr<Closable>> sessions;
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    for (const auto& [id, session] : sessions_) sessions.push_back(session);
  }
  for (const auto& weak : sessions) {
    if (auto session = weak.lock()) session->shutdown();
  }
}

bool ServerCore::evict_oldest_waiting() {
  // Released after the lock: if one of them is the last owner of its session, the session's
  // destructor calls remove(), which takes the lock.
  std::vector<std::shared_ptr<Closable>> seen;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, weak] : sessions_) {  // ids grow: the first found is the oldest
      auto session = weak.lock();
      if (!session) continue;
      const bool waiting = session->waiting_for_client();
      seen.push_back(std::move(session));
      if (waiting) break;
    }
  }
  if (seen.empty() || !seen.back()->waiting_for_client()) return false;
  seen.back()->shutdown();
  return true;
}

void ServerCore::force_close_all() {
  std::vector<std::shared_ptr<Closable>> sessions;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, session] : sessions_) {
      if (auto s = session.lock()) sessions.push_back(std::move(s));
    }
  }
  for (const auto& session : sessions) session->force_close();
}

bool ServerCore::wait_empty(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return empty_.wait_for(lock, timeout, [this] { return sessions_.empty(); });
}

}  // namespace detail

using namespace detail;

struct Server::Impl {
  Impl(ServerOptions options, AsyncHandler handler, WebSocketCallbacks websocket)
      : ioc(std::max(1, options.threads)),
        core(std::make_shared<ServerCore>(std::move(options), std::move(handler),
                                          std::move(websocket))),
        acceptor(net::make_strand(ioc)),
        retry_timer(acceptor.get_executor()) {}

  void accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) return back_off(ec);
      if (accept_failing) {
        accept_failing = false;
        log::info("http: accepting connections again");
      }
      if (core->size() >= core->options.max_connections) {
        refuse(std::move(socket));
      } else {
        // Each response and live-feed message is one write: sent at once. With Nagle's algorithm
        // a message written while the last one was unacknowledged waited for the client's
        // delayed ACK (up to 40 ms on Linux), the tail of the dashboard's latency.
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<HttpSession>(std::move(socket), core)->run();
      }
      accept();
    });
  }

  // Out of file descriptors (EMFILE, ENFILE) or another failed accept: the pending connection
  // stays in the backlog; try again after a pause instead of spinning on the error, and say so
  // once per episode rather than ten times a second.
  void back_off(const beast::error_code& ec) {
    ++core->accept_failures;
    if (!accept_failing) {
      accept_failing = true;
      log::warn("http: accept failed: ", ec.message(), "; retrying every ",
                core->options.accept_backoff.count(), " ms (", core->size(), " connections open)");
    }
    retry_timer.expires_after(core->options.accept_backoff);
    retry_timer.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec) accept();
    });
  }

  // One connection too many: a short answer if the socket takes it without waiting, then
  // closed. Never queued: that would hold the descriptor the cap is there to save.
  void refuse(tcp::socket socket) {
    const std::uint64_t refused = ++core->connections_refused;
    // Make room for the next one: the oldest connection still waiting for its client goes
    // (a slow client holds its slot for up to a read timeout; a busy one is not touched).
    core->evict_oldest_waiting();
    if (refused == 1 || refused % 1000 == 0) {
      log::warn("http: ", core->options.max_connections,
                " connections are open (the limit): refusing new ones (", refused, " so far)");
    }
    static constexpr std::string_view kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        "Connection: close\r\nContent-Length: 49\r\n\r\n"
        "{\"error\":\"too many connections, try again later\"}";
    beast::error_code ec;
    socket.non_blocking(true, ec);
    socket.write_some(net::buffer(kBusy), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }

  void run_thread() {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        log::error("http: uncaught exception on an I/O thread: ", e.what());
      }
    }
  }

  net::io_context ioc;  // first member: destroyed last, after everything that uses it
  std::shared_ptr<ServerCore> core;
  tcp::acceptor acceptor;
  net::steady_timer retry_timer;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  int port = 0;
  bool accept_failing = false;  // on the acceptor's strand only
  bool started = false;
  bool stopped = false;
};

Server::Server(ServerOptions options, AsyncHandler handler, WebSocketCallbacks websocket)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(websocket))) {}

Server::Server(ServerOptions options, Router router, WebSocketCallbacks websocket)
    : Server(
          std::move(options),
          [router = std::make_shared<const Router>(std::move(router))](Request request,
                                                                       Reply reply) {
            router->dispatch(std::move(request), std::move(reply));
          },
          std::move(websocket)) {}

Server::~Server() {
  stop();
}

void Server::start() {
  Impl& s = *impl_;
  if (s.started) return;
  const ServerOptions& opt = s.core->options;
  const std::string where = opt.bind_address + ":" + std::to_string(opt.port);
  beast::error_code ec;
  tcp::resolver resolver(s.ioc);
  const auto endpoints =
      resolver.resolve(opt.bind_address, std::to_string(opt.port),
                       tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    throw std::runtime_error("cannot listen on " + where + ": bad bind address (" + ec.message() +
                             ")");
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  auto check = [&](const char* step) {
    if (ec)
      throw std::runtime_error("cannot listen on " + where + ": " + step + ": " + ec.message());
  };
  s.acceptor.open(endpoint.protocol(), ec);
  check("open");
  s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  check("set_option");
  s.acceptor.bind(endpoint, ec);
  check("bind");
  s.acceptor.listen(net::socket_base::max_listen_connections, ec);
  check("listen");
  s.port = s.acceptor.local_endpoint().port();
  s.work.emplace(s.ioc.get_executor());
  s.accept();
  for (int i = 0; i < std::max(1, opt.threads); ++i) {
    s.threads.emplace_back([&s] { s.run_thread(); });
  }
  s.started = true;
}

int Server::port() const {
  return impl_->port;
}

void Server::stop(std::chrono::milliseconds grace) {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  net::post(s.acceptor.get_executor(), [&s] {
    beast::error_code ec;
    s.acceptor.close(ec);
    s.retry_timer.cancel();
  });
  s.core->shutdown_all();
  s.work.reset();
  const bool all_closed = s.core->wait_empty(grace);
  s.core->mark_stopped();
  s.ioc.stop();
  for (auto& t : s.threads) t.join();
  s.threads.clear();
  // Peers that did not finish closing within the grace period: cut them off now, so that
  // nobody waits on an open socket the stopped server will never serve again.
  if (!all_closed) s.core->force_close_all();
}

std::size_t Server::connections() const {
  return impl_->core->size();
}
std::size_t Server::websocket_clients() const {
  return impl_->core->websocket_clients.load();
}
std::uint64_t Server::websockets_dropped() const {
  return impl_->core->websockets_dropped.load();
}
std::uint64_t Server::connections_refused() const {
  return impl_->core->connections_refused.load();
}
std::uint64_t Server::accept_failures() const {
  return impl_->core->accept_failures.load();
}

}  // namespace snet::http
