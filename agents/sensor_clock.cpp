#include "sensor_clock.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "snet/sensor_model.hpp"

namespace snet::agents {

namespace {
using std::chrono::duration_cast;
using Seconds = std::chrono::duration<double>;
}  // namespace

SensorClock::Clock::time_point SensorClock::due(Clock::time_point start, Clock::duration phase,
                                                double rate_hz, std::uint64_t k) {
  return start + phase + duration_cast<Clock::duration>(Seconds(static_cast<double>(k) / rate_hz));
}

SensorClock::Clock::duration SensorClock::phase_of(const std::string& id, double rate_hz) {
  // The id's hash (the seed function is a fine one) as a fraction of the period.
  const double fraction = static_cast<double>(sensor_seed_of(id) >> 11) * 0x1.0p-53;  // [0, 1)
  return duration_cast<Clock::duration>(Seconds(fraction / rate_hz));
}

SensorClock::SensorClock(BusLoop& loop, std::vector<Ticked*> sensors)
    : loop_(loop), sensors_(std::move(sensors)) {
  shared_->clock = this;
  phases_.reserve(sensors_.size());
  for (Ticked* s : sensors_) phases_.push_back(phase_of(s->tick_id(), s->rate_hz()));
}

SensorClock::~SensorClock() {
  // Waits for a wake in progress; later ones find no clock.
  std::lock_guard lock(shared_->mutex);
  shared_->clock = nullptr;
}

void SensorClock::start() {
  if (sensors_.empty()) return;
  std::lock_guard lock(shared_->mutex);
  start_ = Clock::now();
  heap_.clear();
  for (std::size_t i = 0; i < sensors_.size(); ++i) {
    heap_.push_back({due(start_, phases_[i], sensors_[i]->rate_hz(), 0), 0, i});
  }
  std::make_heap(heap_.begin(), heap_.end(), std::greater<>());
  arm();
}

void SensorClock::arm() {
  const auto wait = heap_.front().at - Clock::now();
  // Rounded up: waking early would only find nothing due.
  const auto ms =
      std::chrono::ceil<std::chrono::milliseconds>(std::max(wait, Clock::duration::zero()));
  loop_.after(ms, [shared = shared_] {
    std::lock_guard lock(shared->mutex);
    if (shared->clock != nullptr) shared->clock->wake();
  });
}

void SensorClock::wake() {
  const auto now = Clock::now();
  while (!heap_.empty() && heap_.front().at <= now) {
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
    Due d = heap_.back();
    heap_.pop_back();
    Ticked& sensor = *sensors_[d.sensor];
    sensor.tick(d.k);
    // The next reading; if the loop fell behind by more than a period, the one due next from
    // now (the ones in between are not taken).
    const double rate = sensor.rate_hz();
    std::uint64_t next = d.k + 1;
    Due following{due(start_, phases_[d.sensor], rate, next), next, d.sensor};
    if (now - following.at > Clock::duration::zero()) {
      const double behind = Seconds(now - start_ - phases_[d.sensor]).count() * rate;
      next = std::max<std::uint64_t>(next, static_cast<std::uint64_t>(std::floor(behind)) + 1);
      following = {due(start_, phases_[d.sensor], rate, next), next, d.sensor};
    }
    heap_.push_back(following);
    std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
  }
  if (!heap_.empty()) arm();
}

}  // namespace snet::agents
