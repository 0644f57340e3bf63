// A small synchronous WebSocket client for tests (Boost.Beast): connect, send, and read the
// next message with a deadline. Nothing is read unless a test asks, so a client that does not
// call read() behaves like a slow browser tab.
// Thread safety: none; use from one thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace snet::test {

class WsClient {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;
  /// Connects to ws://127.0.0.1:<port><target> with extra handshake `headers` (e.g. Origin);
  /// throws std::runtime_error with the reason (and the HTTP status of a declined handshake)
  /// when the connection or the handshake fails or takes longer than `timeout`.
  WsClient(int port, const std::string& target = "/ws",
           std::chrono::milliseconds timeout = std::chrono::seconds(5), Headers headers = {});
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  /// The next message; nullopt when none arrives within `timeout` or the connection is closed.
  std::optional<std::string> read(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// Reads JSON messages until one satisfies `pred` (others are skipped); nullopt on timeout.
  std::optional<nlohmann::json> read_until(
      const std::function<bool(const nlohmann::json&)>& pred,
      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  void send(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// True once the server closed the connection (or it failed); the reason in close_reason().
  bool closed() const;
  std::string close_reason() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace snet::test
