// The network side of an agent's devices: one event loop (Boost.Asio, epoll) on one thread that
// carries every device's MQTT connection. Why not Paho: Paho C serves all clients of a process
// from one poll() over every socket per event, which collapses at thousands of clients; and
// libmosquitto 2.0.11 needs three file descriptors per client (a socketpair each), which caps a
// process at a third of its open-file limit. Here a device costs one socket and a few KB.
// Thread safety: make_bus() from any thread; destroy only after every bus it made.
#pragma once

#include <memory>

#include "snet/bus.hpp"

namespace snet::agents {

class DeviceNetwork {
 public:
  DeviceNetwork();
  ~DeviceNetwork();
  DeviceNetwork(const DeviceNetwork&) = delete;
  DeviceNetwork& operator=(const DeviceNetwork&) = delete;

  /// A Bus on this loop for mqtt:// and tcp:// URLs; any other scheme gets snet::make_bus().
  /// Throws std::invalid_argument for a bad URL.
  std::unique_ptr<Bus> make_bus(const BusOptions& options);

 private:
  struct Loop;
  std::unique_ptr<Loop> loop_;
};

}  // namespace snet::agents
