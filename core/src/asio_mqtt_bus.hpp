// Private to core: the Bus of BusLoop (snet/bus_loop.hpp), a lean MQTT 3.1.1 client on a shared
// io_context, over TCP or TLS (mqtts://). QoS 0 and 1, clean or persistent session, keepalive
// pings, reconnect with back-off (100 ms doubling to 2 s) and re-subscription; QoS 1 publishes not
// yet acknowledged are sent again after a reconnect, and publishes made while disconnected wait for
// the connection. Inbound QoS 1 messages are acknowledged after the handler, or by Message::ack
// (manual_ack). Thread safety: as snet::Bus. Handlers run on the loop thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "mqtt_transport.hpp"
#include "snet/bus.hpp"

namespace snet::detail {

/// `brokers`: one, or a cluster's nodes: a client starts at hash(client id) % nodes and moves to
/// the next node at once when a connection fails or is lost, backing off only once every node
/// failed in turn. `tls` null: plain TCP; otherwise TLS with that context, each node's
/// certificate checked against its entry of `hosts` (the URL's host names or addresses, one per
/// broker).
std::unique_ptr<Bus> make_asio_mqtt_bus(boost::asio::io_context& io,
                                        std::vector<boost::asio::ip::tcp::endpoint> brokers,
                                        const BusOptions& options,
                                        std::shared_ptr<TlsClient> tls = nullptr,
                                        const std::vector<std::string>& hosts = {});

}  // namespace snet::detail
