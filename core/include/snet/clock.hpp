// Wall-clock timestamps in microseconds since the Unix epoch. Every hop of a press stamps one,
// and all services of an emulation share one machine clock, so differences are hop latencies.
#pragma once

#include <chrono>
#include <cstdint>

namespace snet {

using Micros = std::int64_t;

inline Micros now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace snet
