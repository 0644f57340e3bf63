// Private to agents/: a lean MQTT 3.1.1 client implementing snet::Bus on a shared io_context
// (see device_network.hpp for why). Clean session, QoS 0 and 1, keepalive pings, reconnect with
// back-off (100 ms doubling to 2 s) and re-subscription; QoS 1 publishes not yet acknowledged are
// sent again after a reconnect, and publishes made while disconnected wait for the connection.
// Thread safety: as snet::Bus. Handlers run on the loop thread.
#pragma once

#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "snet/bus.hpp"

namespace snet::agents {

std::unique_ptr<Bus> make_device_mqtt_bus(boost::asio::io_context& io,
                                          boost::asio::ip::tcp::endpoint broker,
                                          const BusOptions& options);

}  // namespace snet::agents
