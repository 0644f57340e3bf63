#include "snet/bus.hpp"

#include <stdexcept>

#include "amqp_bus.hpp"
#include "amqp_endpoint.hpp"
#include "mqtt_bus.hpp"
#include "snet/message.hpp"
#include "snet/net.hpp"

namespace snet {

void check_broker_url(const std::string& url) {
  if (url.rfind("amqp://", 0) == 0) {
    (void)detail::parse_amqp_url(url, std::chrono::seconds(20));
    return;
  }
  const HostPort parsed = parse_url(url, 1883);
  if (parsed.scheme != "mqtt" && parsed.scheme != "tcp") {
    throw std::invalid_argument("broker URL '" + redacted_url(url) +
                                "': unsupported scheme (expected mqtt://, tcp:// or amqp://)");
  }
}

std::unique_ptr<Bus> make_bus(const BusOptions& options) {
  check_broker_url(options.url);
  BusOptions opts = options;
  if (opts.client_id.empty()) opts.client_id = "snet-" + new_press_id();
  if (opts.url.rfind("amqp://", 0) == 0) {
    return detail::make_amqp_bus(opts, /*stable_client_id=*/!options.client_id.empty());
  }
  const HostPort url = parse_url(opts.url, 1883);
  return detail::make_mqtt_bus(opts, "tcp://" + url.host + ":" + std::to_string(url.port));
}

}  // namespace snet
