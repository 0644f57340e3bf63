// What SensorClock drives: a device that takes reading k when it is due (a sensor, a composite
// device's measured capability).
// Thread safety: tick() is called on the agent's loop thread only.
#pragma once

#include <cstdint>
#include <string>

namespace snet::agents {

class Ticked {
 public:
  /// Readings per second (fixed for the device's life).
  virtual double rate_hz() const = 0;
  /// Reading `k` (since the clock started, increasing) is due.
  virtual void tick(std::uint64_t k) = 0;
  /// Its device id: spreads devices' readings over their period.
  virtual const std::string& tick_id() const = 0;

 protected:
  ~Ticked() = default;
};

}  // namespace snet::agents
