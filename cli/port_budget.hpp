// How many ports of the kernel's ephemeral range (net.ipv4.ip_local_port_range) a stack takes
// (pure), so that `snet up` refuses up front, with the numbers, what could not come up instead
// of timing out when the agents cannot bind or connect. What takes a port of the range:
//   - a listener bound to port 0 holds its port, and no outgoing connection may use it then
//     (whatever either's address): the process engine's relay holds one per agent, as all its
//     listeners share one port on addresses of their own (network/relay_addresses.hpp);
//   - outgoing connections to one destination from one source address need a port each;
//     connections to different destinations, or from different addresses, share them.
// So a relayed device takes none of its own: it connects to its own listener address, and the
// relay reaches a loopback broker from that address (the kernel engine: from the device's own
// address, in its site's namespace). A device that connects directly from this host takes one.
// Thread safety: plain functions.
#pragma once

#include <cstddef>
#include <string>

namespace snet::cli {

struct PortDemand {
  std::size_t agents = 1;
  bool relayed = false;  // the process engine's relay carries the agents' devices
  bool placed = false;   // the kernel engine: devices' sockets leave from their own addresses
  /// The broker is on IPv4 loopback, so the relay's connections leave from its listen addresses.
  bool broker_loopback = true;
  std::size_t mqtt_devices = 0, amqp_devices = 0;    // hosted by the agents, by protocol
  std::size_t external_mqtt = 0, external_amqp = 0;  // connecting by themselves from this host
};

struct PortBudget {
  std::size_t listeners = 0;  // ports the relays' listeners hold
  /// The most connections to one broker address (MQTT or AMQP) from one address of this host.
  std::size_t connections = 0;
  /// The services' own connections, snet's commands, a reconnecting client's second port.
  static constexpr std::size_t kHeadroom = 256;
  std::size_t needed() const { return listeners + connections + kHeadroom; }
};

PortBudget port_budget(const PortDemand& demand);

/// "" when `budget` fits in `available` ephemeral ports (0: unknown, assumed to fit); else why
/// not, naming the numbers and what to do.
std::string port_budget_problem(const PortBudget& budget, long available);

/// Whether a broker URL's host is on IPv4 loopback ("localhost" or 127.x.y.z).
bool loopback_v4_host(const std::string& host);

}  // namespace snet::cli
