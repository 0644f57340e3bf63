// Where a connection's socket is made: in a network namespace (an emulated site, built by the
// kernel link engine) and bound to a source address (the emulated device's own). A socket keeps
// the namespace it was created in, so only its creation needs to happen there; the thread that
// connects and reads it may live anywhere.
// setns() changes only the calling thread, so sockets are made by one long-lived helper thread
// per namespace (per process), not one per connect: a process may place thousands of devices.
// Thread safety: open_placed_socket() and enter_network_namespace() from any thread.
#pragma once

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

/// Moves the calling thread into the network namespace `netns` (a file as above) for good:
/// every socket it makes from then on lives there. Throws std::system_error.
void enter_network_namespace(const std::string& netns);

}  // namespace snet
