#include "ws_client.hpp"

#include <deque>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace snet::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using Clock = std::chrono::steady_clock;

struct WsClient::Impl {
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  std::deque<std::string> inbox;
  bool reading = false;
  bool closed = false;
  std::string reason;

  // Runs handlers until `done` holds or the deadline passes; returns whether it holds.
  // The io_context stops whenever it runs out of work (e.g. after a send with no read pending):
  // restarted once per call, since the caller may just have added work; a second stop means
  // nothing pending can make `done` true.
  bool run_until(const std::function<bool()>& done, Clock::time_point deadline) {
    bool restarted = false;
    while (!done()) {
      if (ioc.run_one_until(deadline) == 0) {
        if (Clock::now() >= deadline || restarted) return done();
        ioc.restart();
        restarted = true;
      }
    }
    return true;
  }

  void start_read() {
    if (reading || closed) return;
    reading = true;
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
      reading = false;
      if (ec) {
        closed = true;
        reason = ec.message();
        return;
      }
      inbox.push_back(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
      start_read();
    });
  }
};

WsClient::WsClient(int port, const std::string& target, std::chrono::milliseconds timeout,
                   Headers headers)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  const auto deadline = Clock::now() + timeout;
  const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"),
                                        static_cast<unsigned short>(port));
  bool done = false;
  beast::error_code error;
  websocket::response_type answer;
  beast::get_lowest_layer(s.ws).expires_after(timeout);
  beast::get_lowest_layer(s.ws).async_connect(endpoint, [&](beast::error_code ec) {
    if (ec) {
      error = ec;
      done = true;
      return;
    }
    beast::get_lowest_layer(s.ws).expires_never();
    s.ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    s.ws.read_message_max(64 * 1024 * 1024);
    s.ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
      for (const auto& [name, value] : headers) req.set(name, value);
    }));
    s.ws.async_handshake(answer, "127.0.0.1:" + std::to_string(port), target,
                         [&](beast::error_code hs) {
                           error = hs;
                           done = true;
                         });
  });
  if (!s.run_until([&] { return done; }, deadline)) {
    throw std::runtime_error("websocket connect to port " + std::to_string(port) + " timed out");
  }
  if (error) {
    throw std::runtime_error("websocket connect to port " + std::to_string(port) + target +
                             " failed: " + error.message() + " (HTTP " +
                             std::to_string(answer.result_int()) + ")");
  }
}

WsClient::~WsClient() {
  Impl& s = *impl_;
  if (s.closed) return;
  bool done = false;
  s.ws.async_close(websocket::close_code::normal, [&](beast::error_code) { done = true; });
  s.run_until([&] { return done; }, Clock::now() + std::chrono::seconds(1));
}

std::optional<std::string> WsClient::read(std::chrono::milliseconds timeout) {
  Impl& s = *impl_;
  s.start_read();
  s.run_until([&] { return !s.inbox.empty() || s.closed; }, Clock::now() + timeout);
  if (s.inbox.empty()) return std::nullopt;
  std::string message = std::move(s.inbox.front());
  s.inbox.pop_front();
  return message;
}

std::optional<nlohmann::json> WsClient::read_until(
    const std::function<bool(const nlohmann::json&)>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto text = read(left);
    if (!text) return std::nullopt;
    nlohmann::json message = nlohmann::json::parse(*text, nullptr, false);
    if (!message.is_discarded() && pred(message)) return message;
  }
}

void WsClient::send(const std::string& text, std::chrono::milliseconds timeout) {
  Impl& s = *impl_;
  bool done = false;
  beast::error_code error;
  s.ws.text(true);
  s.ws.async_write(net::buffer(text), [&](beast::error_code ec, std::size_t) {
    error = ec;
    done = true;
  });
  if (!s.run_until([&] { return done; }, Clock::now() + timeout)) {
    throw std::runtime_error("websocket send timed out");
  }
  if (error) throw std::runtime_error("websocket send failed: " + error.message());
}

bool WsClient::closed() const {
  return impl_->closed;
}
std::string WsClient::close_reason() const {
  return impl_->reason;
}

}  // namespace snet::test
