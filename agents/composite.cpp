#include "composite.hpp"

#include "snet/topics.hpp"

namespace snet::agents {

CompositeDevice::CompositeDevice(const DeviceContext& context, std::string id,
                                 const std::vector<routing::Subscription>& subscriptions,
                                 std::size_t dedupe_capacity, const CompositeSpec& spec)
    : ActuatorDevice(context, std::move(id), subscriptions, dedupe_capacity,
                     std::string(spec.switched())),
      spec_(spec),
      signal_(spec),
      qos_(spec.qos == 1 ? Qos::at_least_once : Qos::at_most_once),
      topic_(topics::make(topology(), topics::Kind::reading, this->id())) {
  reading_.device = this->id();
  reading_.capability = std::string(spec.measured());
  reading_.unit = std::string(spec.unit());
}

CompositeDevice::~CompositeDevice() {
  // Before the members go: the bus thread may still be delivering to the actuator part.
  stop();
}

std::string CompositeDevice::capability_problem(const std::string& capability) const {
  if (capability == spec_.measured()) {
    return "capability '" + capability + "' is measured, not switched: this " +
           std::string(to_string(spec_.kind)) + " switches '" + std::string(spec_.switched()) + "'";
  }
  return ActuatorDevice::capability_problem(capability);
}

void CompositeDevice::tick(std::uint64_t k) {
  // The model runs on while the device is down, so its values depend on k and the switch alone.
  const double value = signal_.at(k, on());
  if (!up()) {
    metrics().readings_skipped.add();
    return;
  }
  reading_.value = value;
  reading_.seq = seq_.load(std::memory_order_relaxed) + 1;
  reading_.ts = now_us();
  bus().publish(Message{topic_, to_json(reading_), false, {}}, qos_);
  seq_.store(reading_.seq, std::memory_order_relaxed);
  metrics().readings.add();
}

}  // namespace snet::agents
