#include "agent.hpp"

#include <algorithm>

#include "actuator.hpp"
#include "button.hpp"
#include "device_selection.hpp"
#include "snet/log.hpp"
#include "snet/routing.hpp"

namespace snet::agents {

Agent::Agent(const Topology& topology, const std::vector<const Device*>& devices,
             AgentOptions options, AgentMetrics& metrics)
    : options_(std::move(options)), metrics_(metrics) {
  const DeviceUrls urls = device_urls(options_.broker_url, options_.mqtt_url, devices);
  const routing::ActuatorSubscriptions subscriptions(topology);
  devices_.reserve(devices.size());
  for (const Device* device : devices) {
    const DeviceContext context{network_, urls.of(device->protocol), topology.name, metrics_};
    if (device->kind == DeviceKind::button) {
      devices_.push_back(std::make_unique<ButtonDevice>(context, device->id));
    } else {
      devices_.push_back(std::make_unique<ActuatorDevice>(
          context, device->id, subscriptions.of(*device), options_.dedupe_capacity));
    }
  }
  metrics_.devices.set(static_cast<std::int64_t>(devices_.size()));
}

Agent::~Agent() {
  // Stop them all before any is destroyed: disconnects overlap instead of running one by one.
  for (auto& device : devices_) device->stop();
}

std::size_t Agent::start(const std::function<bool()>& cancelled) {
  const auto began = std::chrono::steady_clock::now();
  const std::size_t batch = std::max<std::size_t>(1, options_.connect_batch);
  std::size_t connected = 0;
  for (std::size_t first = 0; first < devices_.size(); first += batch) {
    if (cancelled && cancelled()) break;
    const std::size_t last = std::min(devices_.size(), first + batch);
    for (std::size_t i = first; i < last; ++i) devices_[i]->start();
    const auto deadline = std::chrono::steady_clock::now() + options_.batch_timeout;
    for (std::size_t i = first; i < last; ++i) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (devices_[i]->wait_connected(std::max(left, std::chrono::milliseconds(0)))) {
        ++connected;
      } else {
        log::warn(devices_[i]->id(), " not connected yet; it keeps retrying");
      }
    }
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - began)
                      .count();
  log::info(connected, " of ", devices_.size(), " devices connected in ", ms, " ms");
  return connected;
}

}  // namespace snet::agents
