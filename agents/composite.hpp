// An emulated composite device (snet/composite_model.hpp): an actuator for its switchable
// capability (commands, idempotence, retained state and restore as ActuatorDevice; its state
// reports name the capability) that also publishes Readings of its measured capability on
// snet/<topology>/reading/<id>, driven by the agent's SensorClock like a sensor. Each reading's
// value comes from the feedback model given the switch's state at that moment, so a thermostat
// warms while its heater is on and a plug draws power only while switched on.
// Like a sensor, a composite device that is down takes no reading (seq does not move), while
// its model's time runs on.
// Thread safety: tick() on the loop thread only; the rest as ActuatorDevice.
#pragma once

#include <cstdint>

#include "actuator.hpp"
#include "reading_stream.hpp"
#include "snet/composite_model.hpp"
#include "ticked.hpp"

namespace snet::agents {

class CompositeDevice final : public ActuatorDevice, public Ticked {
 public:
  CompositeDevice(const DeviceContext& context, std::string id,
                  const std::vector<routing::Subscription>& subscriptions,
                  std::size_t dedupe_capacity, const CompositeSpec& spec);
  ~CompositeDevice() override;

  double rate_hz() const override { return spec_.rate_hz; }
  void tick(std::uint64_t k) override;
  const std::string& tick_id() const override { return id(); }
  std::uint64_t published() const { return readings_.published(); }

 private:
  std::string capability_problem(const std::string& capability) const override;

  CompositeSpec spec_;
  CompositeSignal signal_;
  ReadingStream readings_;
};

}  // namespace snet::agents
