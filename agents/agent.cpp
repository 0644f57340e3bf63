#include "agent.hpp"

#include <algorithm>

#include "actuator.hpp"
#include "button.hpp"
#include "composite.hpp"
#include "device_selection.hpp"
#include "sensor.hpp"
#include "snet/broker_credentials.hpp"
#include "snet/log.hpp"
#include "snet/routing.hpp"

namespace snet::agents {

Agent::Agent(const Topology& topology, const std::vector<const Device*>& devices,
             AgentOptions options, AgentMetrics& metrics)
    : options_(std::move(options)), metrics_(metrics) {
  const DeviceUrls urls = device_urls(options_.broker_url, options_.mqtt_url, devices);
  const routing::ActuatorSubscriptions subscriptions(topology);
  devices_.reserve(devices.size());
  // Thousands of devices losing their connection at once (a broker restart) would drown the log.
  const bool log_connections = devices.size() <= 100;
  std::vector<Ticked*> sensors;  // and composite devices
  for (const Device* device : devices) {
    const auto own = options_.device_urls.find(device->id);
    const std::string& url =
        own != options_.device_urls.end() ? own->second : urls.of(device->protocol);
    const auto placed = options_.device_placements.find(device->id);
    const auto password = options_.device_passwords.find(device->id);
    const bool own_login = password != options_.device_passwords.end();
    const DeviceContext context{
        network_,
        own_login ? with_url_user(url, device->id) : url,
        own_login ? password->second : std::string(),
        topology.name,
        metrics_,
        log_connections,
        placed != options_.device_placements.end() ? placed->second : SocketPlacement{}};
    switch (device->kind) {
      case DeviceKind::button:
        devices_.push_back(std::make_unique<ButtonDevice>(context, device->id));
        break;
      case DeviceKind::actuator:
        if (device->composite) {
          auto composite =
              std::make_unique<CompositeDevice>(context, device->id, subscriptions.of(*device),
                                                options_.dedupe_capacity, *device->composite);
          sensors.push_back(composite.get());
          devices_.push_back(std::move(composite));
          break;
        }
        devices_.push_back(std::make_unique<ActuatorDevice>(
            context, device->id, subscriptions.of(*device), options_.dedupe_capacity));
        break;
      case DeviceKind::sensor: {
        auto sensor = std::make_unique<SensorDevice>(context, device->id,
                                                     device->sensor.value_or(SensorSpec{}));
        sensors.push_back(sensor.get());
        devices_.push_back(std::move(sensor));
        break;
      }
    }
  }
  sensor_clock_ = std::make_unique<SensorClock>(network_, std::move(sensors));
  metrics_.devices.set(static_cast<std::int64_t>(devices_.size()));
  for (auto& device : devices_) by_id_.emplace(device->id(), device.get());
  options_.forget_devices();
}

namespace {
ConnectionControl control_of(const std::string& action) {
  if (action == "offline") return ConnectionControl::offline;
  if (action == "crash") return ConnectionControl::crash;
  if (action == "freeze") return ConnectionControl::freeze;
  if (action == "reconnect") return ConnectionControl::reconnect;
  return ConnectionControl::online;
}
}  // namespace

std::size_t Agent::apply(const DeviceControl& control) {
  std::vector<EmulatedDevice*> targets;
  if (control.devices.size() == 1 && control.devices[0] == "*") {
    for (auto& device : devices_) targets.push_back(device.get());
  } else {
    for (const auto& id : control.devices) {
      if (auto it = by_id_.find(id); it != by_id_.end()) targets.push_back(it->second);
    }
  }
  if (targets.empty()) return 0;
  const ConnectionControl fault = control_of(control.action);
  for (EmulatedDevice* device : targets) device->control(fault);
  metrics_.faults(control.action).add(static_cast<std::int64_t>(targets.size()));
  std::string names;
  for (std::size_t i = 0; i < targets.size() && i < 5; ++i) {
    names += (i == 0 ? "" : ", ") + targets[i]->id();
  }
  if (targets.size() > 5) names += ", ...";
  log::info("fault ", control.id.empty() ? "" : control.id + " ", control.action, " on ",
            targets.size(), " device(s): ", names,
            control.duration_ms > 0 ? " for " + std::to_string(control.duration_ms) + " ms" : "");
  const bool temporary = fault == ConnectionControl::offline || fault == ConnectionControl::crash ||
                         fault == ConnectionControl::freeze;
  if (temporary && control.duration_ms > 0) {
    network_.after(std::chrono::milliseconds(control.duration_ms),
                   [guard = guard_, targets, id = control.id] {
                     std::lock_guard lock(guard->mutex);
                     if (!guard->alive) return;  // the agent is going away
                     for (EmulatedDevice* device : targets)
                       device->control(ConnectionControl::online);
                     log::info("fault ", id, " over: ", targets.size(), " device(s) back online");
                   });
  }
  return targets.size();
}

Agent::~Agent() {
  {
    std::lock_guard lock(guard_->mutex);
    guard_->alive = false;
  }
  sensor_clock_.reset();  // no reading after this
  // Start every disconnect before waiting for any: they overlap instead of taking a round trip
  // (through an emulated link's latency) one after another, which for thousands of devices
  // outlasted `snet up`'s grace before SIGKILL. All are stopped before any is destroyed.
  for (auto& device : devices_) device->begin_stop();
  for (auto& device : devices_) device->stop();
}

std::size_t Agent::start(const std::function<bool()>& cancelled) {
  using Clock = std::chrono::steady_clock;
  const auto began = Clock::now();
  const std::size_t window = std::max<std::size_t>(1, options_.connect_batch);
  std::size_t connected = 0;
  // Sensors take readings as soon as each is connected (not waiting for the last device).
  sensor_clock_->start();
  // A sliding window: at most `window` handshakes in flight, the next device starting within
  // kConnectPoll of any being connected (or out of time). Batches in lock step waited for each
  // batch's slowest handshake with the rest of the window idle.
  struct InFlight {
    std::size_t index;
    Clock::time_point deadline;
  };
  std::vector<InFlight> in_flight;
  in_flight.reserve(std::min(window, devices_.size()));
  std::size_t next = 0;
  while (next < devices_.size() || !in_flight.empty()) {
    if (cancelled && cancelled()) break;  // the devices started are stopped with the agent
    while (in_flight.size() < window && next < devices_.size()) {
      devices_[next]->start();
      in_flight.push_back({next, Clock::now() + options_.connect_timeout});
      ++next;
    }
    // Wait a little for the oldest (handshakes mostly end in the order they began), then
    // retire every one that is done.
    devices_[in_flight.front().index]->wait_connected(kConnectPoll);
    const auto now = Clock::now();
    std::erase_if(in_flight, [&](const InFlight& device) {
      if (devices_[device.index]->connected()) {
        ++connected;
        return true;
      }
      if (now < device.deadline) return false;
      log::warn(devices_[device.index]->id(), " not connected yet; it keeps retrying");
      return true;
    });
  }
  // Cancelled: those in flight that made it count too.
  connected += static_cast<std::size_t>(std::count_if(
      in_flight.begin(), in_flight.end(),
      [this](const InFlight& device) { return devices_[device.index]->connected(); }));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - began)
                      .count();
  log::info(connected, " of ", devices_.size(), " devices connected in ", ms, " ms");
  return connected;
}

}  // namespace snet::agents
