// What every emulated device has: an id and its own broker connection, with client id
// snet-<topology>-<device>, that reconnects and re-subscribes by itself (see snet::Bus). The
// session is persistent, so commands sent while the device is away wait for it at the broker;
// its last will marks it offline on snet/<topology>/presence/<device> (retained), and it says
// {"online": true} there on every connect.
// Subclasses subscribe in their constructor and handle messages on the bus thread, never blocking.
// Thread safety: start() and the waits from one thread; handlers run on the bus thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "agent_metrics.hpp"
#include "snet/bus.hpp"
#include "snet/bus_loop.hpp"

namespace snet::agents {

struct DeviceContext {
  BusLoop& network;  // carries the device's connection
  std::string broker_url;
  std::string broker_password;  // "": the URL's (or the environment's) login
  std::string topology;         // the topology's name (part of every topic)
  AgentMetrics& metrics;
  bool log_connections = true;     // each loss and reconnect (off for large agents: too many)
  SocketPlacement placement = {};  // the kernel link engine's: the device's namespace and address
};

class EmulatedDevice {
 public:
  virtual ~EmulatedDevice();
  EmulatedDevice(const EmulatedDevice&) = delete;
  EmulatedDevice& operator=(const EmulatedDevice&) = delete;

  const std::string& id() const { return id_; }
  void start() { bus_->start(); }
  bool wait_connected(std::chrono::milliseconds timeout) { return bus_->wait_connected(timeout); }
  bool connected() const { return bus_->connected(); }
  void stop() { bus_->stop(); }
  /// Starts stop() (see Bus::begin_stop()): call on every device before stop() on any.
  void begin_stop() { bus_->begin_stop(); }
  /// Emulated fault (or back online); see snet::ConnectionControl.
  void control(ConnectionControl fault);
  /// Connected and not held down by a fault (offline, crash, freeze): a frozen connection still
  /// looks connected, yet a frozen device does nothing.
  bool up() const { return !faulted_.load(std::memory_order_relaxed) && bus_->connected(); }

 protected:
  EmulatedDevice(const DeviceContext& context, std::string id);
  Bus& bus() { return *bus_; }
  const std::string& topology() const { return topology_; }
  AgentMetrics& metrics() { return metrics_; }
  /// Called on the bus thread after every (re)connect, once subscriptions are made.
  virtual void on_connected() {}
  /// Counts and logs a message the device will not act on.
  void reject(const Message& message, const std::string& reason, const std::string& why);

 private:
  std::string id_;
  std::string topology_;
  AgentMetrics& metrics_;
  std::unique_ptr<Bus> bus_;
  std::atomic<bool> faulted_{false};
};

}  // namespace snet::agents
