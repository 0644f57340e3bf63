// An emulated sensor: publishes a Reading {device, capability, value, unit, seq, ts=now} on
// snet/<topology>/reading/<id> (QoS as the topology says, not retained) each time its clock
// (SensorClock) says reading k is due. The value of reading k comes from its value model
// (snet/sensor_model.hpp) and depends on k alone; seq counts the readings it published, from 1.
// A sensor that is down (not connected, or held offline/crashed/frozen by a fault) takes no
// reading: nothing is published and seq does not move, so seq gaps still mean losses.
// Thread safety: tick() on the loop thread only; published() from any thread.
#pragma once

#include <cstdint>

#include "emulated_device.hpp"
#include "reading_stream.hpp"
#include "snet/message.hpp"
#include "snet/sensor_model.hpp"
#include "ticked.hpp"

namespace snet::agents {

class SensorDevice final : public EmulatedDevice, public Ticked {
 public:
  SensorDevice(const DeviceContext& context, std::string id, const SensorSpec& spec);
  ~SensorDevice() override;

  double rate_hz() const override { return rate_hz_; }
  /// Reading `k` (since the clock started, increasing) is due: publishes it if the sensor is up.
  void tick(std::uint64_t k) override;
  const std::string& tick_id() const override { return id(); }
  std::uint64_t published() const { return readings_.published(); }

 private:
  SensorSignal signal_;
  double rate_hz_;
  ReadingStream readings_;
};

}  // namespace snet::agents
