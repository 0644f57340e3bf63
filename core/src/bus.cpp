#include "snet/bus.hpp"

#include <stdexcept>

#include "amqp_bus.hpp"
#include "mqtt_bus.hpp"
#include "snet/message.hpp"
#include "snet/net.hpp"

namespace snet {

std::unique_ptr<Bus> make_bus(const BusOptions& options) {
  BusOptions opts = options;
  if (opts.client_id.empty()) opts.client_id = "snet-" + new_press_id();
  if (opts.url.rfind("amqp://", 0) == 0) {
    return detail::make_amqp_bus(opts, /*stable_client_id=*/!options.client_id.empty());
  }
  const HostPort url = parse_url(opts.url, 1883);
  if (url.scheme == "mqtt" || url.scheme == "tcp") {
    return detail::make_mqtt_bus(opts, "tcp://" + url.host + ":" + std::to_string(url.port));
  }
  throw std::invalid_argument("broker URL '" + options.url +
                              "': unsupported scheme (expected mqtt://, tcp:// or amqp://)");
}

}  // namespace snet
