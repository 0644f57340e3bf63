#include "snet/composite_model.hpp"

#include <algorithm>
#include <cmath>

#include "snet/sensor_model.hpp"

namespace snet {

namespace {
// Streams of seeded_symmetric() beside the value models' 1 (walk) and 2 (noise).
constexpr std::uint64_t kNoiseStream = 2;
constexpr std::uint64_t kMotionStream = 3;
}  // namespace

std::string_view to_string(CompositeKind kind) {
  switch (kind) {
    case CompositeKind::thermostat:
      return "thermostat";
    case CompositeKind::smart_plug:
      return "smart_plug";
    case CompositeKind::motion_light:
      return "motion_light";
  }
  return "?";
}

std::optional<CompositeKind> composite_kind_of(std::string_view word) {
  for (auto kind :
       {CompositeKind::thermostat, CompositeKind::smart_plug, CompositeKind::motion_light}) {
    if (word == to_string(kind)) return kind;
  }
  return std::nullopt;
}

std::string_view CompositeSpec::switched() const {
  switch (kind) {
    case CompositeKind::thermostat:
      return "heater";
    case CompositeKind::smart_plug:
      return "switch";
    case CompositeKind::motion_light:
      return "lamp";
  }
  return "?";
}

std::string_view CompositeSpec::measured() const {
  switch (kind) {
    case CompositeKind::thermostat:
      return "temperature";
    case CompositeKind::smart_plug:
      return "power";
    case CompositeKind::motion_light:
      return "motion";
  }
  return "?";
}

std::string_view CompositeSpec::unit() const {
  switch (kind) {
    case CompositeKind::thermostat:
      return "C";
    case CompositeKind::smart_plug:
      return "W";
    case CompositeKind::motion_light:
      return "";
  }
  return "";
}

double motion_probability(const CompositeSpec& spec) {
  return 1 - std::exp(-spec.motion_per_min / 60 / spec.rate_hz);
}

CompositeSignal::CompositeSignal(const CompositeSpec& spec)
    : spec_(spec), temperature_(spec.ambient) {}

double CompositeSignal::at(std::uint64_t k, bool on) {
  const double noise =
      spec_.noise > 0 ? spec_.noise * seeded_symmetric(spec_.seed, k, kNoiseStream) : 0;
  switch (spec_.kind) {
    case CompositeKind::thermostat: {
      // Readings skipped (the device was down) still pass their time, with the state it had.
      const double dt = static_cast<double>(k - std::min(k, last_k_)) / spec_.rate_hz;
      last_k_ = k;
      if (on) {
        temperature_ =
            std::min(temperature_ + spec_.heat_rate * dt, std::max(spec_.max_temp, temperature_));
      } else if (temperature_ > spec_.ambient) {
        temperature_ = std::max(spec_.ambient, temperature_ - spec_.cool_rate * dt);
      } else {
        temperature_ = std::min(spec_.ambient, temperature_ + spec_.cool_rate * dt);
      }
      return temperature_ + noise;
    }
    case CompositeKind::smart_plug:
      // Off means no current at all: exactly 0, never noise around it.
      return on ? std::max(0.0, spec_.watts + noise) : 0.0;
    case CompositeKind::motion_light: {
      const double u = (seeded_symmetric(spec_.seed, k, kMotionStream) + 1) / 2;  // [0, 1)
      return u < motion_probability(spec_) ? 1.0 : 0.0;
    }
  }
  return 0;
}

}  // namespace snet
