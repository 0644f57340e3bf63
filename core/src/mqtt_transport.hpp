// Private to core: the byte streams the BusLoop's MQTT client (asio_mqtt_bus.cpp) runs over.
// The client is a template over these, so the plain path stays a bare TCP socket (no virtual
// calls, no extra copies) and TLS costs only the connections that ask for it (mqtts://).
//
// A transport gives the client: tcp() (the socket underneath: connect, options, shutdown,
// close), stream() (what MQTT bytes are read from and written to), renew() (a fresh stream for
// the next connection attempt), handshake() and hold(), a token each completion handler keeps
// so the stream it started on outlives it (an ssl::stream must not die under a pending
// operation; renew() drops ours).
//
// Thread safety: the loop thread only, except TlsClient, which any thread may share.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

namespace snet::detail {

/// What every mqtts:// connection to one broker with one CA file shares: the OpenSSL context
/// (the CA loaded once, not once per device) and the log of handshake failures (one line per
/// distinct reason, not one per device and retry).
struct TlsClient {
  /// Throws std::invalid_argument naming `ca_file` when it cannot be loaded. Empty: the
  /// system's trust store.
  explicit TlsClient(const std::string& ca_file);
  boost::asio::ssl::context context;
  std::string ca_file;
  /// Logs a failed handshake as an error unless `reason` was the last one logged.
  void report_failure(const std::string& client_id, const std::string& host,
                      const std::string& reason);

 private:
  std::mutex mutex_;
  std::string last_reason_;
};

class PlainTransport {
 public:
  static constexpr bool tls = false;
  struct Hold {};
  PlainTransport(boost::asio::io_context& io, const std::shared_ptr<TlsClient>& /*unused*/,
                 const std::vector<std::string>& /*hosts*/)
      : socket_(io) {}
  boost::asio::ip::tcp::socket& tcp() { return socket_; }
  boost::asio::ip::tcp::socket& stream() { return socket_; }
  void renew(std::size_t /*node*/) {}
  Hold hold() const { return {}; }
  template <typename Handler>
  void handshake(Handler&& handler) {
    handler(boost::system::error_code());
  }

 private:
  boost::asio::ip::tcp::socket socket_;
};

class TlsTransport {
 public:
  static constexpr bool tls = true;
  using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
  using Hold = std::shared_ptr<Stream>;
  /// `hosts`: each broker node's host name or address, in the order of the client's nodes.
  TlsTransport(boost::asio::io_context& io, std::shared_ptr<TlsClient> client,
               std::vector<std::string> hosts)
      : io_(io), client_(std::move(client)), hosts_(std::move(hosts)) {
    renew(0);
  }
  boost::asio::ip::tcp::socket& tcp() { return stream_->next_layer(); }
  Stream& stream() { return *stream_; }
  /// A new TLS session on a new socket (a TLS stream cannot be reused after its connection),
  /// for node `node`: its certificate must name that node's host.
  void renew(std::size_t node);
  Hold hold() const { return stream_; }
  template <typename Handler>
  void handshake(Handler&& handler) {
    stream_->async_handshake(boost::asio::ssl::stream_base::client,
                             [hold = stream_, handler = std::forward<Handler>(handler)](
                                 const boost::system::error_code& ec) mutable { handler(ec); });
  }
  TlsClient& client() { return *client_; }
  const std::string& host() const { return hosts_.at(node_); }

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<TlsClient> client_;
  std::vector<std::string> hosts_;
  std::size_t node_ = 0;
  std::shared_ptr<Stream> stream_;
};

}  // namespace snet::detail
