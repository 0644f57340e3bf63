#include "snet/bus.hpp"

#include <cstdlib>
#include <stdexcept>

#include "amqp_bus.hpp"
#include "amqp_endpoint.hpp"
#include "mqtt_bus.hpp"
#include "snet/message.hpp"
#include "snet/net.hpp"

namespace snet {

namespace {
bool starts_with(const std::string& text, const char* prefix) {
  return text.rfind(prefix, 0) == 0;
}
}  // namespace

bool is_amqp_url(const std::string& url) {
  return starts_with(url, "amqp://") || starts_with(url, "amqps://");
}

bool is_tls_url(const std::string& url) {
  return starts_with(url, "mqtts://") || starts_with(url, "amqps://");
}

int default_broker_port(const std::string& url) {
  if (starts_with(url, "amqps://")) return 5671;
  if (starts_with(url, "amqp://")) return 5672;
  if (starts_with(url, "mqtts://")) return 8883;
  return 1883;
}

std::string broker_ca_file(const BusOptions& options) {
  if (!options.ca_file.empty()) return options.ca_file;
  const char* env = std::getenv(kBrokerCaFileEnv);
  return env == nullptr ? std::string() : std::string(env);
}

void check_broker_url(const std::string& url) {
  if (is_amqp_url(url)) {
    (void)detail::parse_amqp_url(url, std::chrono::seconds(20));
    return;
  }
  const HostPort parsed = parse_url(url, default_broker_port(url));
  if (parsed.scheme != "mqtt" && parsed.scheme != "tcp" && parsed.scheme != "mqtts") {
    throw std::invalid_argument(
        "broker URL '" + redacted_url(url) +
        "': unsupported scheme (expected mqtt://, tcp://, mqtts://, amqp:// or amqps://)");
  }
}

std::unique_ptr<Bus> make_bus(const BusOptions& options) {
  check_broker_url(options.url);
  BusOptions opts = options;
  if (opts.client_id.empty()) opts.client_id = "snet-" + new_press_id();
  if (is_amqp_url(opts.url)) {
    return detail::make_amqp_bus(opts, /*stable_client_id=*/!options.client_id.empty());
  }
  const HostPort url = parse_url(opts.url, default_broker_port(opts.url));
  const std::string scheme = url.scheme == "mqtts" ? "ssl://" : "tcp://";
  std::vector<std::string> server_uris;
  for (const HostPort::Endpoint& node : url.endpoints) {
    server_uris.push_back(scheme + node.host + ":" + std::to_string(node.port));
  }
  return detail::make_mqtt_bus(opts, server_uris);
}

}  // namespace snet
