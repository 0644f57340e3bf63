// A sensor's configuration (the topology's "sensor" object, topology/README.md "Sensors") and
// its value models as a pure policy: the value of reading k is a function of the model, the
// seed and k alone (time t = k / rate_hz), so two runs of the same topology read the same values.
// No I/O here: a trace's CSV text is parsed by parse_trace_csv(); reading the file is the
// topology loader's job.
// Thread safety: SensorSignal is a value; one per sensor, used from one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace snet {

enum class SensorModelKind { constant, sine, random_walk, trace };
std::string_view to_string(SensorModelKind);

struct TracePoint {
  double t_s = 0;
  double value = 0;
};

/// One model's parameters; only those of `type` are used.
struct SensorModel {
  SensorModelKind type = SensorModelKind::constant;
  double value = 0;                                 // constant
  double period_s = 60, amplitude = 1, offset = 0;  // sine: offset + amplitude * sin(2 pi t / p)
  double step = 1, min = 0, max = 100, start = 0;   // random_walk: +-step per reading, bounded
  std::string trace_file;  // trace: as written in the topology (relative to its file)
  /// trace: the points (times increasing), loaded by the topology loader; shared, not copied.
  std::shared_ptr<const std::vector<TracePoint>> trace = {};
  /// Every model: uniform noise in [-noise, +noise] added to each value (0: none).
  double noise = 0;
};

struct SensorSpec {
  std::string capability;  // e.g. "temperature"
  std::string unit;        // e.g. "C"; may be empty
  double rate_hz = 1;      // readings per second, kMinRateHz..kMaxRateHz
  int qos = 0;             // 0 or 1
  SensorModel model = {};
  std::uint64_t seed = 0;  // the file's, else sensor_seed_of(device id)
  /// The sensor's range: every value is clamped into it (either bound may be absent).
  std::optional<double> min = {}, max = {};

  static constexpr double kMinRateHz = 0.001;  // one reading in 17 minutes
  static constexpr double kMaxRateHz = 100;
};

/// Every number of a sensor (model fields, range, trace times and values) is within +-this: no
/// sum or product of a model can then overflow, and every reading is a finite number.
inline constexpr double kMaxSensorMagnitude = 1e15;

/// The seed of a sensor whose topology gives none: FNV-1a of its id (stable across runs and
/// machines).
std::uint64_t sensor_seed_of(std::string_view device_id);

/// Uniform in [-1, 1) from (seed, k, stream) alone: counter-based, so reading k's randomness
/// needs no state and a skipped reading shifts nothing. Streams 1 and 2 are the value models'
/// (walk, noise); other models (snet/composite_model.hpp) use their own.
double seeded_symmetric(std::uint64_t seed, std::uint64_t k, std::uint64_t stream);

/// The smallest and largest value the sensor can read (noise and range included): what a
/// consumer, or a test, may expect.
struct Envelope {
  double low = 0, high = 0;
};
Envelope envelope_of(const SensorSpec& spec);

/// The values of one sensor, reading after reading.
class SensorSignal {
 public:
  explicit SensorSignal(const SensorSpec& spec);
  /// The value of reading `k` (0, 1, 2...; at time k / rate_hz). `k` must not go back; skipped
  /// readings (a device that was down) still advance a random walk, so the values depend on k
  /// only, not on when the device was up.
  double at(std::uint64_t k);

 private:
  double raw(std::uint64_t k);
  SensorSpec spec_;
  std::uint64_t next_ = 0;  // random walk: the next step to take
  double walk_ = 0;         // random walk: its value after next_ - 1 steps
};

/// Parses a trace: one "time_s,value" per line (seconds from the start, increasing; values
/// finite); blank lines, '#' comments and a header line first ("time_s,value") are skipped.
/// Throws std::invalid_argument naming the line ("line 7: 'x' is not a number") when it is bad.
std::vector<TracePoint> parse_trace_csv(std::string_view text);
/// At most this many points in a trace (larger files are refused, not loaded).
inline constexpr std::size_t kMaxTracePoints = 1'000'000;

}  // namespace snet
