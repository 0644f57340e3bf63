#include "composite.hpp"

namespace snet::agents {

CompositeDevice::CompositeDevice(const DeviceContext& context, std::string id,
                                 const std::vector<routing::Subscription>& subscriptions,
                                 std::size_t dedupe_capacity, const CompositeSpec& spec)
    : ActuatorDevice(context, std::move(id), subscriptions, dedupe_capacity,
                     std::string(spec.switched())),
      spec_(spec),
      signal_(spec),
      readings_(topology(), this->id(), std::string(spec.measured()), std::string(spec.unit()),
                spec.qos) {}

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
  readings_.publish(bus(), metrics(), value);
}

}  // namespace snet::agents
