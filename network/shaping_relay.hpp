// The process engine's I/O: a TCP relay that carries devices' broker connections through a
// LinkShaper. Each device path (a device and the links its traffic crosses) gets one loopback
// listener on an address of its own (relay_addresses.hpp: from RelayOptions::listen_from on,
// all on the relay's one port); the device connects there instead of to the broker, and every
// connection accepted is forwarded to the broker, each segment released when the shaper says.
// Protocol-agnostic: MQTT and AMQP alike.
//
// Ports (of the kernel's ephemeral range, which every outgoing connection on the machine draws
// on): the listeners hold one port (one more for each address where that port was taken by
// someone else); the devices' connections go to as many destinations and share source ports;
// the connections to a broker on IPv4 loopback leave from the path's address and share them too.
// Per device, then, no port of its own: a cost of one port per relay, not two per device.
//
// A cut (a link of the path with up=false) is a dead link, not a closed one: no bytes pass
// either way (bytes already in flight are held and sent again after the restore), a new
// connection reaches the broker only once the link is up (the client's own connect timeout
// decides whether it waits), and a client that closes during the cut is not seen by the broker
// until the restore (so the broker's keep-alive, 1.5 x the client's, fires its last will).
// A client that closes before its connection reached the broker (cut or not) is dropped.
//
// Descriptors: one listener per device path, two sockets per connection (the accepted one and
// the upstream one): with the device's own socket, 4 per device in an agent that hosts it.
// One io_context thread serves every path and connection.
// Thread safety: every public member may be called from any thread but the relay's own.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "link_shaper.hpp"
#include "relay_addresses.hpp"
#include "snet/link.hpp"

namespace snet::network {

/// Makes the (open, not yet connected) socket a connection of `device` reaches the broker with;
/// the relay connects it to `broker`. The default opens a plain socket. The kernel engine gives
/// its own, e.g. created in the device's network namespace and bound to the device's address.
/// Throwing std::exception refuses the connection (logged).
using UpstreamSocketFactory = std::function<boost::asio::ip::tcp::socket(
    boost::asio::io_context& io, const std::string& device,
    const boost::asio::ip::tcp::endpoint& broker)>;

struct RelayOptions {
  UpstreamSocketFactory upstream_socket;  // empty: a plain socket
  /// Bytes a connection direction holds before it stops reading (TCP back-pressure).
  std::size_t max_held_bytes = 256 << 10;
  /// The first path's listen address; the n-th path's is n after it (relay_addresses.hpp).
  boost::asio::ip::address_v4 listen_from{kRelayFirstAddress};
};

class ShapingRelay {
 public:
  /// Every link the relay may shape, with its initial spec.
  explicit ShapingRelay(const std::map<std::string, LinkSpec>& links, RelayOptions options = {});
  ~ShapingRelay();
  ShapingRelay(const ShapingRelay&) = delete;
  ShapingRelay& operator=(const ShapingRelay&) = delete;

  /// Listens for `device` on the next loopback address; its connections go to the broker
  /// across `links` (from the device outwards). Returns where the device connects. `brokers`:
  /// a cluster's nodes (at least one); a connection goes to the path's current node, or the
  /// next ones in turn when that one refuses the TCP connection, and once a broker ends a
  /// connection the path's next one starts at the next node: the failover the device's client
  /// would do, which cannot see the nodes behind one relay listener. Throws
  /// std::invalid_argument for an unknown link or no broker, std::out_of_range past the last
  /// loopback address, std::system_error when it cannot listen (e.g. out of descriptors).
  boost::asio::ip::tcp::endpoint add_path(
      const std::string& device, const std::vector<std::string>& links,
      const std::vector<boost::asio::ip::tcp::endpoint>& brokers);
  boost::asio::ip::tcp::endpoint add_path(const std::string& device,
                                          const std::vector<std::string>& links,
                                          const boost::asio::ip::tcp::endpoint& broker) {
    return add_path(device, links, std::vector<boost::asio::ip::tcp::endpoint>{broker});
  }
  /// How many ports the listeners hold (1 unless another socket had the relay's port on one of
  /// its addresses).
  std::size_t listen_ports();
  /// Replaces a link's whole spec; returns false when the relay does not know the link.
  bool set_link(const std::string& link, const LinkSpec& spec);
  /// Every link's counters, by link id.
  std::map<std::string, LinkCounters> counters();

  struct Impl;  // the relay thread's state (public only so its connections can name it)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace snet::network
