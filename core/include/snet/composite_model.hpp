// Composite devices (topology/README.md "Composite devices"): one device, several named
// capabilities. Each preset has one switchable capability, commanded like an actuator, and one
// measured capability, published as readings; the switch feeds back into the measurement:
//   thermostat:   heater (switch)  + temperature (C): rises while the heater is on, relaxes
//                 toward ambient while it is off
//   smart_plug:   switch (switch)  + power (W): the load's watts while on, exactly 0 while off
//   motion_light: lamp (switch)    + motion (0/1): motion seen in a reading's period, at a rate
// The models are a pure policy like snet/sensor_model.hpp: reading k's value depends on the
// spec, the seed, k and the switch state at each reading, never on the wall clock.
// Thread safety: CompositeSignal is a value; one per device, used from one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace snet {

enum class CompositeKind { thermostat, smart_plug, motion_light };
std::string_view to_string(CompositeKind);
/// "thermostat" -> CompositeKind::thermostat; nullopt for any other word.
std::optional<CompositeKind> composite_kind_of(std::string_view word);

struct CompositeSpec {
  CompositeKind kind = CompositeKind::thermostat;
  double rate_hz = 1;      // readings per second (SensorSpec's bounds)
  int qos = 0;             // of its readings, 0 or 1
  std::uint64_t seed = 0;  // the file's, else sensor_seed_of(device id)
  double noise = 0;        // uniform in [-noise, +noise] on each reading (not motion's)
  // thermostat: degrees C, and C per second.
  double ambient = 18, heat_rate = 0.5, cool_rate = 0.2, max_temp = 35;
  // smart_plug: the load while switched on.
  double watts = 60;
  // motion_light: motion events per minute (Poisson): reading k is 1 when one fell in its period.
  double motion_per_min = 6;

  /// The capability commands switch: "heater", "switch", "lamp".
  std::string_view switched() const;
  /// The capability readings measure: "temperature", "power", "motion".
  std::string_view measured() const;
  /// The measured capability's unit: "C", "W", "" (motion is a 0/1 flag).
  std::string_view unit() const;
};

/// The readings of one composite device, reading after reading.
class CompositeSignal {
 public:
  explicit CompositeSignal(const CompositeSpec& spec);
  /// The value of reading `k` (at time k / rate_hz; `k` must not go back), the switchable
  /// capability having been `on` since the previous reading.
  double at(std::uint64_t k, bool on);
  /// The thermostat's modelled temperature without noise (the others: 0).
  double temperature() const { return temperature_; }

 private:
  CompositeSpec spec_;
  std::uint64_t last_k_ = 0;
  double temperature_;
};

/// The largest probability a motion reading is 1 with (for tests and display): 1 - e^(-rate/hz).
double motion_probability(const CompositeSpec& spec);

}  // namespace snet
