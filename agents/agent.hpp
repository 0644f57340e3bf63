// An agent: hosts some of a topology's devices in one process, each with its own broker
// connection. At most `connect_batch` devices connect at once (a sliding window: the next starts
// within a few ms of any of them being connected and subscribed, or out of time) so that
// thousands of devices do not flood the broker with simultaneous handshakes.
// Thread safety: construct, start() and destroy on one thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent_metrics.hpp"
#include "emulated_device.hpp"
#include "sensor_clock.hpp"
#include "snet/bus_loop.hpp"
#include "snet/message.hpp"
#include "snet/topology.hpp"

namespace snet::agents {

struct AgentOptions {
  std::string broker_url = "mqtt://127.0.0.1:1883";  // the broker's own protocol
  std::string mqtt_url;            // protocol "mqtt" devices; empty: see device_urls()
  std::size_t connect_batch = 64;  // below mosquitto's listen backlog (100): no SYN retries
  // How long start() waits for a device; a late one keeps retrying outside the window.
  std::chrono::milliseconds connect_timeout{10'000};
  // Press ids remembered per actuator (memory grows only as commands arrive). Wide, because a
  // broker that dies may deliver again thousands of commands whose acks it had not saved.
  std::size_t dedupe_capacity = 10'000;
  // Device id -> the URL it connects to instead of its protocol's (the emulated network's relay
  // listener, see device_links.hpp).
  std::map<std::string, std::string> device_urls;
  // Device id -> where its socket is made (the kernel link engine; snet/socket_placement.hpp).
  std::map<std::string, SocketPlacement> device_placements;
  // Device id -> its own broker password (--device-credentials-file): the device then logs in
  // as its id, so the broker's ACL holds it to its own topics. Empty: devices connect as the
  // URL says.
  std::map<std::string, std::string> device_passwords;

  /// Frees the per-device maps: once the devices are made nothing reads them, and at campus
  /// scale each holds thousands of entries.
  void forget_devices() {
    device_urls = {};
    device_placements = {};
    device_passwords = {};
  }
};

class Agent {
 public:
  Agent(const Topology& topology, const std::vector<const Device*>& devices, AgentOptions options,
        AgentMetrics& metrics);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  /// Starts every device, `connect_batch` at a time. `cancelled` is asked between waits (a
  /// signal came): the devices not yet started then stay so. Returns how many devices were
  /// connected when it finished.
  std::size_t start(const std::function<bool()>& cancelled = {});
  std::size_t size() const { return devices_.size(); }

  /// Applies a fault injection to the listed devices this agent hosts ("*": all of them), and
  /// puts them back online after its duration when it has one. Returns how many it touched.
  /// Thread safety: may be called from any thread, concurrently with the devices' traffic.
  std::size_t apply(const DeviceControl& control);

 private:
  // How long start() waits on its oldest handshake before looking at the others again.
  static constexpr std::chrono::milliseconds kConnectPoll{5};

  AgentOptions options_;
  AgentMetrics& metrics_;
  BusLoop network_;  // before the devices: it outlives their connections
  std::vector<std::unique_ptr<EmulatedDevice>> devices_;
  std::unordered_map<std::string, EmulatedDevice*> by_id_;  // into devices_
  std::unique_ptr<SensorClock> sensor_clock_;               // over the sensors in devices_
  struct Guard {
    std::mutex mutex;
    bool alive = true;
  };
  // Timers (a fault's end) hold it: they touch devices only while the agent lives.
  std::shared_ptr<Guard> guard_ = std::make_shared<Guard>();
};

}  // namespace snet::agents
