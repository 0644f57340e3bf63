// Where a connection's socket is made: in a network namespace (an emulated site, built by the
// kernel link engine) and bound to a source address (the emulated device's own). A socket keeps
// the namespace it was created in, so only its creation needs to happen there; the thread that
// connects and reads it may live anywhere.
// setns() changes only the calling thread, so sockets are made by one long-lived helper thread
// per namespace (per process), not one per connect: a process may place thousands of devices.
// Thread safety: open_placed_socket() and enter_network_namespace() from any thread.
#pragma once

#include <map>
#include <string>

namespace snet {

struct SocketPlacement {
  std::string netns;           // a namespace file, e.g. /run/netns/snet-ab12cd-3; empty: ours
  std::string source_address;  // numeric IPv4/IPv6 the socket is bound to (port 0); empty: any
  bool empty() const { return netns.empty() && source_address.empty(); }
  bool operator==(const SocketPlacement&) const = default;
};

/// A new TCP socket (close-on-exec, not connected) made in `placement.netns` and bound to
/// `placement.source_address`; the caller owns the descriptor. `ipv6` chooses the family.
/// Throws std::system_error saying which namespace or address failed.
int open_placed_socket(const SocketPlacement& placement, bool ipv6 = false);

/// Where each device of an agent makes its sockets: written by `snet up`'s kernel link engine
/// (a JSON file: {"broker_host": "10.213.0.1", "devices": {"<id>": {"netns": ..., "address":
/// ...}}}) and read by snet-agent (--link-placement). Devices connect to the broker at
/// `broker_host` (the core bridge's address) instead of the URL's host, since loopback is not
/// theirs.
struct DevicePlacements {
  std::string broker_host;
  std::map<std::string, SocketPlacement> devices;
};
/// Throws std::runtime_error naming the file and what is wrong.
DevicePlacements read_device_placements(const std::string& path);
/// Throws std::runtime_error when the file cannot be written.
void write_device_placements(const std::string& path, const DevicePlacements& placements);

/// Moves the calling thread into the network namespace `netns` (a file as above) for good:
/// every socket it makes from then on lives there. Throws std::system_error.
void enter_network_namespace(const std::string& netns);

}  // namespace snet
