// The sensors' value models (core/include/snet/sensor_model.hpp): each model's values, the same
// values for the same seed (and others for another), every value inside the model's envelope,
// and the trace CSV's errors by line.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <set>
#include <stdexcept>

#include "snet/sensor_model.hpp"

using namespace snet;

namespace {

SensorSpec spec_of(SensorModel model, double rate_hz = 10, std::uint64_t seed = 7) {
  SensorSpec spec;
  spec.rate_hz = rate_hz;
  spec.model = std::move(model);
  spec.seed = seed;
  return spec;
}

std::vector<double> values(const SensorSpec& spec, std::uint64_t n) {
  SensorSignal signal(spec);
  std::vector<double> out;
  for (std::uint64_t k = 0; k < n; ++k) out.push_back(signal.at(k));
  return out;
}

void check_within_envelope(const SensorSpec& spec, const std::vector<double>& vs) {
  const Envelope e = envelope_of(spec);
  for (double v : vs) {
    CAPTURE(v);
    CHECK(v >= e.low);
    CHECK(v <= e.high);
  }
}

}  // namespace

TEST_CASE("value model constant: its value, with noise in the envelope") {
  SensorModel m;
  m.type = SensorModelKind::constant;
  m.value = 21.5;
  for (double v : values(spec_of(m), 50)) CHECK(v == 21.5);
  m.noise = 0.5;
  const auto noisy = values(spec_of(m), 500);
  check_within_envelope(spec_of(m), noisy);
  CHECK(envelope_of(spec_of(m)).low == doctest::Approx(21.0));
  CHECK(std::set<double>(noisy.begin(), noisy.end()).size() > 400);  // it does vary
}

TEST_CASE("value model sine: offset + amplitude * sin(2 pi t / period), t = k / rate") {
  SensorModel m;
  m.type = SensorModelKind::sine;
  m.period_s = 4;
  m.amplitude = 5;
  m.offset = 21;
  const auto vs = values(spec_of(m, 2), 9);  // t = 0, 0.5, ... 4
  CHECK(vs[0] == doctest::Approx(21));
  CHECK(vs[2] == doctest::Approx(26));  // t = 1: a quarter period
  CHECK(vs[4] == doctest::Approx(21));
  CHECK(vs[6] == doctest::Approx(16));
  CHECK(vs[8] == doctest::Approx(21));
  CHECK(vs[1] == doctest::Approx(21 + 5 * std::sin(std::numbers::pi / 4)));
  check_within_envelope(spec_of(m, 2), values(spec_of(m, 3), 100));
}

TEST_CASE("value model random_walk: bounded steps, the same walk for the same seed") {
  SensorModel m;
  m.type = SensorModelKind::random_walk;
  m.step = 2;
  m.min = 10;
  m.max = 20;
  m.start = 15;
  const auto a = values(spec_of(m, 10, 1), 2000);
  CHECK(a[0] == 15);
  check_within_envelope(spec_of(m), a);
  for (std::size_t k = 1; k < a.size(); ++k) CHECK(std::abs(a[k] - a[k - 1]) <= 2.0);
  // It reaches (near) both bounds in 2000 steps, so the bounds do bound something.
  CHECK(*std::min_element(a.begin(), a.end()) < 11);
  CHECK(*std::max_element(a.begin(), a.end()) > 19);
  CHECK(values(spec_of(m, 10, 1), 2000) == a);
  CHECK(values(spec_of(m, 10, 2), 2000) != a);
  SUBCASE("skipped readings still walk: reading k is the same whether or not k-1 was taken") {
    SensorSignal skipping(spec_of(m, 10, 1));
    CHECK(skipping.at(0) == a[0]);
    CHECK(skipping.at(500) == a[500]);
    CHECK(skipping.at(1999) == a[1999]);
  }
}

TEST_CASE("value model trace: interpolated between rows, looping") {
  SensorModel m;
  m.type = SensorModelKind::trace;
  m.trace = std::make_shared<const std::vector<TracePoint>>(
      parse_trace_csv("time_s,value\n0,10\n1,20\n2,15\n"));
  const auto vs = values(spec_of(m, 4), 13);  // t = 0, 0.25 ... 3
  CHECK(vs[0] == doctest::Approx(10));
  CHECK(vs[2] == doctest::Approx(15));    // t = 0.5
  CHECK(vs[4] == doctest::Approx(20));    // t = 1
  CHECK(vs[6] == doctest::Approx(17.5));  // t = 1.5
  CHECK(vs[8] == doctest::Approx(10));    // t = 2: the loop starts over
  CHECK(vs[10] == doctest::Approx(15));   // t = 2.5
  CHECK(vs[12] == doctest::Approx(20));   // t = 3
  const Envelope e = envelope_of(spec_of(m));
  CHECK(e.low == 10);
  CHECK(e.high == 20);
}

TEST_CASE("value models: noise is seeded, and the range clamps every model") {
  SensorModel m;
  m.type = SensorModelKind::sine;
  m.period_s = 10;
  m.amplitude = 100;
  m.offset = 0;
  m.noise = 3;
  CHECK(values(spec_of(m, 10, 5), 100) == values(spec_of(m, 10, 5), 100));
  CHECK(values(spec_of(m, 10, 5), 100) != values(spec_of(m, 10, 6), 100));
  SensorSpec clamped = spec_of(m);
  clamped.min = 0;
  clamped.max = 50;
  const auto vs = values(clamped, 200);
  check_within_envelope(clamped, vs);
  CHECK(envelope_of(clamped).low == 0);
  CHECK(envelope_of(clamped).high == 50);
  CHECK(std::count(vs.begin(), vs.end(), 0.0) > 10);  // the negative half, clamped
}

TEST_CASE("sensor seeds: from the id when not given, stable and distinct") {
  CHECK(sensor_seed_of("thermo-1") == sensor_seed_of("thermo-1"));
  CHECK(sensor_seed_of("thermo-1") != sensor_seed_of("thermo-2"));
  CHECK(sensor_seed_of("") == 0xcbf29ce484222325ULL);  // FNV-1a's offset basis
}

TEST_CASE("trace CSV: comments, blank lines and a header are skipped, bad lines named") {
  const auto points = parse_trace_csv("# a comment\n\ntime_s, value\n0, 1.5\r\n 2 ,-3e1\n");
  REQUIRE(points.size() == 2);
  CHECK(points[1].t_s == 2);
  CHECK(points[1].value == -30);
  auto error_of = [](const char* text) {
    try {
      (void)parse_trace_csv(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(error_of("0,1\n1,x\n") == "line 2: value 'x' is not a number");
  CHECK(error_of("0,1\nsoon,2\n") == "line 2: time 'soon' is not a number");
  CHECK(error_of("0,1\n1\n") == "line 2: '1' is not 'time_s,value'");
  CHECK(error_of("0,1,2\n") == "line 1: '0,1,2' is not 'time_s,value'");
  CHECK(error_of("0,1\n0,2\n") == "line 2: time '0' does not come after the line before's");
  CHECK(error_of("-1,2\n") == "line 1: time '-1' is negative");
  CHECK(error_of("0,nan\n") == "line 1: value 'nan' is not a number");
  CHECK(error_of("0,1e999\n") == "line 1: value '1e999' is not a number");
  CHECK(error_of("# only a comment\n") == "no 'time_s,value' lines");
  CHECK(error_of("0,1e16\n") == "line 1: '0,1e16' is beyond +-1e15");
  CHECK(error_of("time_s,value\nt,v\n") == "line 2: time 't' is not a number");
}
