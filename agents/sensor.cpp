#include "sensor.hpp"

#include "snet/topics.hpp"

namespace snet::agents {

SensorDevice::SensorDevice(const DeviceContext& context, std::string id, const SensorSpec& spec)
    : EmulatedDevice(context, std::move(id)),
      signal_(spec),
      rate_hz_(spec.rate_hz),
      qos_(spec.qos == 1 ? Qos::at_least_once : Qos::at_most_once),
      topic_(topics::make(topology(), topics::Kind::reading, this->id())) {
  reading_.device = this->id();
  reading_.capability = spec.capability;
  reading_.unit = spec.unit;
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
  reading_.value = value;
  reading_.seq = seq_.load(std::memory_order_relaxed) + 1;
  reading_.ts = now_us();
  bus().publish(Message{topic_, to_json(reading_), false, {}}, qos_);
  seq_.store(reading_.seq, std::memory_order_relaxed);
  metrics().readings.add();
}

}  // namespace snet::agents
