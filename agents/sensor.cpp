#include "sensor.hpp"

namespace snet::agents {

SensorDevice::SensorDevice(const DeviceContext& context, std::string id, const SensorSpec& spec)
    : EmulatedDevice(context, std::move(id)),
      signal_(spec),
      rate_hz_(spec.rate_hz),
      readings_(topology(), this->id(), spec.capability, spec.unit, spec.qos) {
  // A sensor subscribes to nothing; anything that reaches it was bound by hand.
  bus().on_message([this](const Message& message) {
    reject(message, "unknown_topic", "a sensor takes no messages");
  });
}

SensorDevice::~SensorDevice() {
  stop();
}

void SensorDevice::tick(std::uint64_t k) {
  // The model runs on even while the sensor is down, so its values depend on k alone.
  const double value = signal_.at(k);
  if (!up()) {
    metrics().readings_skipped.add();
    return;
  }
  readings_.publish(bus(), metrics(), value);
}

}  // namespace snet::agents
