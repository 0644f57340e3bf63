// Sensors under `snet up` (tests/topology/sensors-fast.json: every value model at 20 readings/s,
// QoS 0 and 1), watched by an independent subscriber on snet/<t>/reading/+: per value model the
// rate over a bounded window, every value inside the model's envelope, seq without gaps at
// QoS 1; a fault silences a sensor; a sensor's login cannot speak for another device.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "harness.hpp"
#include "snet/broker_credentials.hpp"
#include "snet/message.hpp"
#include "snet/topics.hpp"
#include "snet/topology.hpp"
#include "snet_up.hpp"

using namespace snet;
using namespace snet::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kTopology = "tests/topology/sensors-fast.json";
constexpr const char* kName = "sensorsfast";
constexpr double kRate = 20;             // every sensor of the file
constexpr Micros kWindowUs = 2'000'000;  // the rate is counted over this long
constexpr double kRateTolerance = 0.15;  // +-15 % of the readings expected in the window

SnetUp::Options stack_options() {
  SnetUp::Options options;
  options.topology = kTopology;
  options.topology_name = kName;
  return options;
}

// The readings recorded so far, by device (the ones that do not parse fail the test).
std::map<std::string, std::vector<Reading>> readings_of(Recorder& recorder) {
  std::map<std::string, std::vector<Reading>> out;
  for (const auto& m : recorder.messages()) {
    const auto topic = topics::parse(m.topic);
    REQUIRE(topic);
    const Reading r = parse_reading(m.payload);
    CHECK(r.device == topic->device);
    CHECK_FALSE(m.retained);
    out[r.device].push_back(r);
  }
  return out;
}

// Records the sensors' readings until each of `ids` has published for a whole window after all
// of them were publishing; returns the window's start (µs).
Micros record_window(Recorder& recorder, const std::vector<std::string>& ids) {
  auto each_has = [&](auto&& pred) {
    const auto by = readings_of(recorder);
    return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) {
      auto it = by.find(id);
      return it != by.end() && pred(it->second);
    });
  };
  REQUIRE(eventually([&] { return each_has([](const auto& rs) { return rs.size() >= 3; }); }, 20s));
  const Micros start = now_us();
  REQUIRE(eventually(
      [&] {
        return each_has(
            [&](const auto& rs) { return rs.back().ts >= start + kWindowUs + 100'000; });
      },
      10s));
  return start;
}

// The checks every model shares: rate in the window, values in the envelope, capability and
// unit as configured, seq from 1 and (QoS 1) without gaps.
void check_sensor(const Topology& topology, const std::vector<Reading>& rs, Micros start) {
  const Device& device = *topology.find(rs.front().device);
  const SensorSpec& spec = *device.sensor;
  CAPTURE(device.id);
  const auto in_window = std::count_if(rs.begin(), rs.end(), [&](const Reading& r) {
    return r.ts >= start && r.ts < start + kWindowUs;
  });
  const double expected = kRate * static_cast<double>(kWindowUs) / 1e6;
  CHECK(static_cast<double>(in_window) >= expected * (1 - kRateTolerance));
  CHECK(static_cast<double>(in_window) <= expected * (1 + kRateTolerance));
  const Envelope envelope = envelope_of(spec);
  for (const Reading& r : rs) {
    CAPTURE(r.value);
    CHECK(r.value >= envelope.low - 1e-9);
    CHECK(r.value <= envelope.high + 1e-9);
    CHECK(r.capability == spec.capability);
    CHECK(r.unit == spec.unit);
  }
  if (spec.qos == 1) {
    // The subscriber came once the stack was up: from the first seq it saw, every one.
    std::set<std::uint64_t> seqs;
    for (const Reading& r : rs) seqs.insert(r.seq);
    CHECK(*seqs.begin() >= 1);
    CHECK(*seqs.rbegin() - *seqs.begin() + 1 == seqs.size());
  }
}

std::vector<double> values_of(const std::vector<Reading>& rs) {
  std::vector<double> out;
  for (const Reading& r : rs) out.push_back(r.value);
  return out;
}

struct ModelRun {
  std::map<std::string, std::vector<Reading>> by_device;
  Topology topology;
};

// One stack; the readings of sensors `ids` over a window, each checked by check_sensor().
ModelRun run_model(const std::vector<std::string>& ids) {
  SnetUp up(stack_options());
  Recorder recorder(up.mqtt_url(), {"snet/" + std::string(kName) + "/reading/+"});
  const Micros start = record_window(recorder, ids);
  ModelRun run{readings_of(recorder), load_topology(source_path(kTopology))};
  for (const auto& id : ids) check_sensor(run.topology, run.by_device.at(id), start);
  return run;
}

}  // namespace

TEST_CASE("sensor model constant under snet up: rate, exact value, noise bounded") {
  const auto run = run_model({"const-0", "const-1"});
  for (double v : values_of(run.by_device.at("const-0"))) CHECK(v == 230);
  const auto noisy = values_of(run.by_device.at("const-1"));
  CHECK(std::set<double>(noisy.begin(), noisy.end()).size() > 10);  // the noise is there
}

TEST_CASE("sensor model sine under snet up: rate, envelope reached at both ends") {
  const auto run = run_model({"sine-0", "sine-1"});
  // 20 readings per 1 s period: the peaks come within cos(pi/20) of the amplitude.
  const auto v = values_of(run.by_device.at("sine-0"));
  CHECK(*std::max_element(v.begin(), v.end()) >= 21 + 5 * 0.95);
  CHECK(*std::min_element(v.begin(), v.end()) <= 21 - 5 * 0.95);
  const auto light = values_of(run.by_device.at("sine-1"));
  CHECK(*std::min_element(light.begin(), light.end()) == 0);  // the range's min clamps it
}

TEST_CASE("sensor model random_walk under snet up: rate, bounded steps, bounds kept") {
  const auto run = run_model({"walk-0", "walk-1"});
  for (const auto* id : {"walk-0", "walk-1"}) {
    CAPTURE(id);
    const auto& rs = run.by_device.at(id);
    const double step = run.topology.find(id)->sensor->model.step;
    for (std::size_t i = 1; i < rs.size(); ++i) {
      if (rs[i].seq != rs[i - 1].seq + 1) continue;
      // A loop that fell behind skips readings; each skipped one is a step more.
      const double periods =
          std::max(1.0, std::round(static_cast<double>(rs[i].ts - rs[i - 1].ts) * kRate / 1e6));
      CHECK(std::abs(rs[i].value - rs[i - 1].value) <= step * (periods + 1) + 1e-9);
    }
    const auto v = values_of(rs);
    CHECK(std::set<double>(v.begin(), v.end()).size() > 5);  // it walks
  }
}

TEST_CASE("sensor model trace under snet up: rate, the CSV replayed and looping") {
  const auto run = run_model({"trace-0", "trace-1"});
  for (const auto* id : {"trace-0", "trace-1"}) {
    CAPTURE(id);
    // The 2 s trace (10, 20, 15) loops: over 2 s at 20 Hz both ends come round.
    const auto v = values_of(run.by_device.at(id));
    CHECK(*std::max_element(v.begin(), v.end()) >= 19);
    CHECK(*std::min_element(v.begin(), v.end()) <= 11);
  }
}

TEST_CASE("a sensor taken offline publishes nothing, then goes on with the next seq") {
  SnetUp up(stack_options());
  Recorder recorder(up.mqtt_url(), {"snet/" + std::string(kName) + "/reading/const-1"});
  REQUIRE(recorder.wait([](const auto& ms) { return ms.size() >= 5; }, 20s));
  DeviceControl control;
  control.action = "offline";
  control.devices = {"const-1"};
  control.id = "sensor-offline";
  control.duration_ms = 1000;
  const Micros asked = now_us();
  {
    Recorder operator_bus(up.mqtt_url(), {});
    operator_bus.bus().publish(Message{topics::control_topic(kName), to_json(control), false, {}},
                               Qos::at_least_once);
    // Back online after a second: readings come again.
    REQUIRE(eventually(
        [&] {
          const auto ms = recorder.messages();
          return parse_reading(ms.back().payload).ts > asked + 1'500'000;
        },
        10s));
  }
  const auto rs = readings_of(recorder).at("const-1");
  Micros longest_gap = 0;
  for (std::size_t i = 1; i < rs.size(); ++i) {
    CHECK(rs[i].seq == rs[i - 1].seq + 1);  // QoS 1: no reading lost, none made while away
    longest_gap = std::max(longest_gap, rs[i].ts - rs[i - 1].ts);
  }
  CHECK(longest_gap >= 900'000);  // silent for its second offline
  CHECK(longest_gap < 5'000'000);
}

TEST_CASE("a sensor's login publishes its own readings only, not another's nor a press") {
  SnetUp up(stack_options());
  const auto devices = read_credentials_file(up.data_dir() + "/credentials/devices.credentials");
  Recorder spy(up.mqtt_url(), {"snet/" + std::string(kName) + "/#"});
  {
    BusOptions options;
    options.url =
        with_url_password(with_url_user(up.anonymous_url(), "const-0"), devices.at("const-0"));
    options.client_id = "const-0-attacker";
    auto attacker = make_bus(options);
    attacker->on_message([](const Message&) {});
    attacker->start();
    REQUIRE(attacker->wait_connected(10s));
    Reading forged;
    forged.device = "walk-0";
    forged.capability = "forged-reading";
    forged.value = 1;
    forged.seq = 1;
    forged.ts = now_us();
    attacker->publish(
        Message{topics::make(kName, topics::Kind::reading, "walk-0"), to_json(forged), false, {}},
        Qos::at_least_once);
    attacker->publish(Message{topics::make(kName, topics::Kind::press, "button-1"),
                              R"({"id":"forged-press"})",
                              false,
                              {}},
                      Qos::at_least_once);
    attacker->publish(Message{topics::make(kName, topics::Kind::state, "actuator-1"),
                              R"({"device":"actuator-1","on":true,"press_id":"forged-state"})",
                              false,
                              {}},
                      Qos::at_least_once);
    // Its own reading topic is allowed: the marker. Mosquitto keeps one publisher's order, so
    // once the spy has it a forgery that got through would have come before it.
    Reading own = forged;
    own.device = "const-0";
    own.capability = "marker";
    attacker->publish(
        Message{topics::make(kName, topics::Kind::reading, "const-0"), to_json(own), false, {}},
        Qos::at_least_once);
    REQUIRE(spy.wait_for(topics::make(kName, topics::Kind::reading, "const-0"), "marker", 10s));
    attacker->stop();
  }
  for (const auto& m : spy.messages()) {
    CAPTURE(m.topic);
    CHECK(m.payload.find("forged-") == std::string::npos);
  }
}
