// Drives every sensor of an agent from ONE timer on the agent's event loop (thousands of sensors
// cost a heap entry each, no thread or timer per sensor): a min-heap of when each sensor's next
// reading is due; each wake takes the readings that are due and sleeps until the next.
// Reading k of a sensor is due at start + phase + k / rate_hz, an absolute time, so the rate does
// not drift; the phase (from the id, within one period) spreads a thousand 1 Hz sensors over the
// second instead of publishing them all at once. When the loop falls behind by more than a
// period, the readings missed are skipped (not published late in a burst).
// A composite device's readings are driven the same way: "sensor" here is anything Ticked.
// Thread safety: construct, start() and destroy on one thread; the sensors must outlive it.
// After the destructor returns no sensor is ticked any more.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "snet/bus_loop.hpp"
#include "ticked.hpp"

namespace snet::agents {

class SensorClock {
 public:
  using Clock = std::chrono::steady_clock;

  SensorClock(BusLoop& loop, std::vector<Ticked*> sensors);
  ~SensorClock();
  SensorClock(const SensorClock&) = delete;
  SensorClock& operator=(const SensorClock&) = delete;

  /// Starts the readings (reading 0 of each sensor within its first period from now).
  void start();

  /// When reading `k` of a sensor is due (pure; for the tests).
  static Clock::time_point due(Clock::time_point start, Clock::duration phase, double rate_hz,
                               std::uint64_t k);
  /// The sensor's phase: a fraction, from its id, of its period.
  static Clock::duration phase_of(const std::string& id, double rate_hz);

 private:
  struct Due {
    Clock::time_point at;
    std::uint64_t k;
    std::size_t sensor;
    bool operator>(const Due& other) const { return at > other.at; }
  };
  struct Shared {
    std::mutex mutex;
    SensorClock* clock = nullptr;  // null once the clock is going away
  };
  void wake();
  void arm();

  BusLoop& loop_;
  std::vector<Ticked*> sensors_;
  std::vector<Clock::duration> phases_;
  std::vector<Due> heap_;  // std::push_heap/pop_heap with greater<>: the earliest on top
  Clock::time_point start_;
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
};

}  // namespace snet::agents
