// Latency samples and their summary (p50/p99/max), for the benchmark's printed tables.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace snet::bench {

struct Summary {
  double p50_us = 0, p99_us = 0, max_us = 0;
  std::size_t count = 0, over_40ms = 0;
};

inline Summary summarize(std::vector<std::int64_t> samples_us) {
  Summary s;
  s.count = samples_us.size();
  if (samples_us.empty()) return s;
  std::sort(samples_us.begin(), samples_us.end());
  auto at = [&](double q) {
    const auto i = static_cast<std::size_t>(q * static_cast<double>(samples_us.size() - 1));
    return static_cast<double>(samples_us[i]);
  };
  s.p50_us = at(0.50);
  s.p99_us = at(0.99);
  s.max_us = static_cast<double>(samples_us.back());
  s.over_40ms = static_cast<std::size_t>(
      samples_us.end() - std::lower_bound(samples_us.begin(), samples_us.end(), 40'000));
  return s;
}

}  // namespace snet::bench
