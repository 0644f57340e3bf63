#include "snet/sensor_model.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace snet {

namespace {

// SplitMix64's finaliser: a counter-based generator, so reading k's randomness needs no state
// (and no sequence of draws that a skipped reading would shift).
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Uniform in [-1, 1), one independent stream per purpose.
enum Stream : std::uint64_t { kWalk = 1, kNoise = 2 };
double symmetric(std::uint64_t seed, std::uint64_t k, Stream stream) {
  return seeded_symmetric(seed, k, stream);
}

double trace_value(const std::vector<TracePoint>& points, double t) {
  if (points.empty()) return 0;
  const double first = points.front().t_s, span = points.back().t_s - first;
  if (span <= 0) return points.front().value;
  // Loops: from the first time to the last, then from the first again.
  const double tau = first + std::fmod(t, span);
  auto after = std::upper_bound(points.begin(), points.end(), tau,
                                [](double x, const TracePoint& p) { return x < p.t_s; });
  if (after == points.begin()) return after->value;
  if (after == points.end()) return points.back().value;
  const auto& a = *(after - 1);
  const auto& b = *after;
  return a.value + (b.value - a.value) * (tau - a.t_s) / (b.t_s - a.t_s);
}

}  // namespace

std::string_view to_string(SensorModelKind v) {
  switch (v) {
    case SensorModelKind::constant:
      return "constant";
    case SensorModelKind::sine:
      return "sine";
    case SensorModelKind::random_walk:
      return "random_walk";
    case SensorModelKind::trace:
      return "trace";
  }
  return "?";
}

double seeded_symmetric(std::uint64_t seed, std::uint64_t k, std::uint64_t stream) {
  const std::uint64_t bits = mix(mix(seed ^ (stream * 0xd1b54a32d192ed03ULL)) + k);
  return static_cast<double>(bits >> 11) * 0x1.0p-52 - 1.0;
}

std::uint64_t sensor_seed_of(std::string_view device_id) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : device_id) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

Envelope envelope_of(const SensorSpec& spec) {
  const SensorModel& m = spec.model;
  Envelope e;
  switch (m.type) {
    case SensorModelKind::constant:
      e = {m.value, m.value};
      break;
    case SensorModelKind::sine:
      e = {m.offset - std::abs(m.amplitude), m.offset + std::abs(m.amplitude)};
      break;
    case SensorModelKind::random_walk:
      e = {m.min, m.max};
      break;
    case SensorModelKind::trace:
      if (m.trace && !m.trace->empty()) {
        const auto [lo, hi] = std::minmax_element(
            m.trace->begin(), m.trace->end(),
            [](const TracePoint& a, const TracePoint& b) { return a.value < b.value; });
        e = {lo->value, hi->value};
      }
      break;
  }
  e.low -= m.noise;
  e.high += m.noise;
  if (spec.min) e = {std::max(e.low, *spec.min), std::max(e.high, *spec.min)};
  if (spec.max) e = {std::min(e.low, *spec.max), std::min(e.high, *spec.max)};
  return e;
}

SensorSignal::SensorSignal(const SensorSpec& spec) : spec_(spec), walk_(spec.model.start) {}

double SensorSignal::raw(std::uint64_t k) {
  const SensorModel& m = spec_.model;
  const double t = static_cast<double>(k) / spec_.rate_hz;
  switch (m.type) {
    case SensorModelKind::constant:
      return m.value;
    case SensorModelKind::sine:
      return m.offset + m.amplitude * std::sin(2 * std::numbers::pi * t / m.period_s);
    case SensorModelKind::random_walk:
      // Reading 0 is the start; reading k is k bounded steps later (steps skipped too).
      for (; next_ <= k; ++next_) {
        if (next_ > 0) {
          walk_ = std::clamp(walk_ + m.step * symmetric(spec_.seed, next_, kWalk), m.min, m.max);
        }
      }
      return walk_;
    case SensorModelKind::trace:
      return m.trace ? trace_value(*m.trace, t) : 0;
  }
  return 0;
}

double SensorSignal::at(std::uint64_t k) {
  double value = raw(k);
  if (spec_.model.noise > 0) value += spec_.model.noise * symmetric(spec_.seed, k, kNoise);
  if (spec_.min) value = std::max(value, *spec_.min);
  if (spec_.max) value = std::min(value, *spec_.max);
  return value;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<double> number(std::string_view s) {
  double v = 0;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

std::string shown(std::string_view s) {
  return "'" + std::string(s.substr(0, 40)) + (s.size() > 40 ? "...'" : "'");
}

}  // namespace

std::vector<TracePoint> parse_trace_csv(std::string_view text) {
  std::vector<TracePoint> points;
  std::size_t line_no = 0;
  bool first_content = true;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const std::string_view line = trim(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    const std::string where = "line " + std::to_string(line_no) + ": ";
    const auto comma = line.find(',');
    if (comma == std::string_view::npos || line.find(',', comma + 1) != std::string_view::npos) {
      throw std::invalid_argument(where + shown(line) + " is not 'time_s,value'");
    }
    const auto t_text = trim(line.substr(0, comma)), v_text = trim(line.substr(comma + 1));
    const auto t = number(t_text), v = number(v_text);
    const bool header = first_content && !t && !v;
    first_content = false;
    if (header) continue;  // e.g. "time_s,value"
    if (!t) throw std::invalid_argument(where + "time " + shown(t_text) + " is not a number");
    if (!v) throw std::invalid_argument(where + "value " + shown(v_text) + " is not a number");
    if (*t < 0) throw std::invalid_argument(where + "time " + shown(t_text) + " is negative");
    if (*t > kMaxSensorMagnitude || std::abs(*v) > kMaxSensorMagnitude) {
      throw std::invalid_argument(where + shown(line) + " is beyond +-1e15");
    }
    if (!points.empty() && *t <= points.back().t_s) {
      throw std::invalid_argument(where + "time " + shown(t_text) +
                                  " does not come after the line before's");
    }
    if (points.size() == kMaxTracePoints) {
      throw std::invalid_argument(where + "more than " + std::to_string(kMaxTracePoints) +
                                  " points");
    }
    points.push_back({*t, *v});
  }
  if (points.empty()) throw std::invalid_argument("no 'time_s,value' lines");
  return points;
}

}  // namespace snet
