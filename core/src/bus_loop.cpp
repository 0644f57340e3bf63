#include "snet/bus_loop.hpp"

#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "asio_mqtt_bus.hpp"
#include "snet/net.hpp"

namespace snet {
namespace asio = boost::asio;

struct BusLoop::Loop {
  asio::io_context io{1};  // one thread: handlers never run concurrently
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::thread thread{[this] { io.run(); }};
  std::mutex mutex;
  std::map<std::string, asio::ip::tcp::endpoint> resolved;  // host:port -> endpoint
  // mqtts://: one TLS context per broker and CA file, shared by all its connections.
  std::map<std::string, std::shared_ptr<detail::TlsClient>> tls;
};

BusLoop::BusLoop() : loop_(std::make_unique<Loop>()) {}

BusLoop::~BusLoop() {
  // Every bus is stopped by now; let their last completions run, then end the loop.
  loop_->work.reset();
  loop_->io.stop();
  loop_->thread.join();
}

std::unique_ptr<Bus> BusLoop::make_bus(const BusOptions& options) {
  const HostPort url = parse_url(options.url, default_broker_port(options.url));
  const bool tls = url.scheme == "mqtts";
  if (url.scheme != "mqtt" && url.scheme != "tcp" && !tls) return snet::make_bus(options);
  const std::string key = url.host + ":" + std::to_string(url.port);
  std::vector<asio::ip::tcp::endpoint> brokers;
  std::vector<std::string> hosts;  // with TLS, each node's certificate must name its host
  std::shared_ptr<detail::TlsClient> tls_client;
  {
    std::lock_guard lock(loop_->mutex);
    for (const HostPort::Endpoint& node : url.endpoints) {
      const std::string node_key = node.host + ":" + std::to_string(node.port);
      auto it = loop_->resolved.find(node_key);
      if (it == loop_->resolved.end()) {
        // Resolved once per broker, not once per device.
        asio::ip::tcp::resolver resolver(loop_->io);
        boost::system::error_code ec;
        auto results = resolver.resolve(node.host, std::to_string(node.port), ec);
        if (ec || results.empty()) {
          throw std::invalid_argument("broker URL '" + redacted_url(options.url) +
                                      "': cannot resolve host '" + node.host + "'");
        }
        it = loop_->resolved.emplace(node_key, results.begin()->endpoint()).first;
      }
      brokers.push_back(it->second);
      hosts.push_back(node.host);
    }
    if (tls) {
      const std::string ca_file = broker_ca_file(options);
      auto& shared = loop_->tls[key + " " + ca_file];
      if (!shared) {
        try {
          shared = std::make_shared<detail::TlsClient>(ca_file);
        } catch (const std::invalid_argument& e) {
          throw std::invalid_argument("broker URL '" + redacted_url(options.url) +
                                      "': " + e.what());
        }
      }
      tls_client = shared;
    }
  }
  return detail::make_asio_mqtt_bus(loop_->io, std::move(brokers), options, tls_client, hosts);
}

void BusLoop::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(loop_->io, delay);
  timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (!ec) fn();
  });
}

}  // namespace snet
