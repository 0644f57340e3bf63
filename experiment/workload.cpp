#include "workload.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace snet::experiment {
namespace {

constexpr double kUs = 1e6;

// Times (s) of one generator's presses within [from, until).
std::vector<double> press_times(const Generator& g, double from, double until,
                                std::mt19937_64& random) {
  std::vector<double> times;
  switch (g.pattern) {
    case Pattern::constant:
      if (g.rate <= 0) break;
      // By index, not by adding up gaps: no rounding drift adds a press at the very end.
      for (double n = 0, t = from; t < until - 1e-9; t = from + ++n / g.rate) times.push_back(t);
      break;
    case Pattern::poisson: {
      if (g.rate <= 0) break;
      std::exponential_distribution<double> gap(g.rate);
      for (double t = from + gap(random); t < until; t += gap(random)) times.push_back(t);
      break;
    }
    case Pattern::burst:
      for (double n = 0, t = from; t < until - 1e-9; t = from + ++n * g.every_s) {
        for (int i = 0; i < g.count; ++i) times.push_back(t);
      }
      break;
    case Pattern::ramp: {
      // The n-th press falls where the integral of the rate reaches n: rate(t) = a + k t.
      const double span = until - from;
      const double a = g.rate, k = (g.to_rate - g.rate) / span;
      for (double n = 1;; ++n) {
        double t;
        if (std::fabs(k) < 1e-12) {
          if (a <= 0) break;
          t = n / a;
        } else {
          const double disc = a * a + 2 * k * n;  // a t + k t^2 / 2 = n
          if (disc < 0) break;
          t = (-a + std::sqrt(disc)) / k;
          if (t < 0) break;
        }
        if (t >= span) break;
        times.push_back(from + t);
      }
      break;
    }
  }
  return times;
}

}  // namespace

std::vector<PlannedPress> plan_presses(const Scenario& scenario, const Topology& topology,
                                       const std::string& run) {
  struct Timed {
    double t;
    std::size_t generator;
    std::string button;
  };
  std::vector<Timed> all;
  for (std::size_t i = 0; i < scenario.workload.size(); ++i) {
    const Generator& g = scenario.workload[i];
    const auto buttons = select_buttons(g.buttons, topology);
    if (buttons.empty()) continue;
    const double until =
        g.until_s < 0 ? scenario.duration_s : std::min(g.until_s, scenario.duration_s);
    // One stream per generator: adding a generator does not move the others' presses.
    std::mt19937_64 random(scenario.seed * 1'000'003 + i);
    std::size_t turn = 0;
    for (double t : press_times(g, g.from_s, until, random)) {
      all.push_back({t, i, buttons[turn++ % buttons.size()]});
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const Timed& a, const Timed& b) {
    return a.t < b.t || (a.t == b.t && a.generator < b.generator);
  });
  std::vector<PlannedPress> out;
  out.reserve(all.size());
  const std::string prefix = scenario.name + "-" + std::to_string(scenario.seed) + "-" + run + "-";
  for (std::size_t n = 0; n < all.size(); ++n) {
    out.push_back({static_cast<std::int64_t>(std::llround(all[n].t * kUs)), all[n].button,
                   prefix + std::to_string(n + 1)});
  }
  return out;
}

}  // namespace snet::experiment
