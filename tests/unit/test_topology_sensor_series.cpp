// "sensors": the sensor series generator (core/src/topology_sensor_series.cpp): the devices it
// makes, their seeds, and every problem named with its JSON path.
#include <doctest/doctest.h>

#include <map>

#include "harness.hpp"
#include "snet/topology.hpp"
#include "topology_errors.hpp"

using namespace snet;
using snet::test::errors_of;
using snet::test::mentions;

namespace {

const char* kSine = R"({"capability": "temperature", "unit": "C",
                        "model": {"type": "sine", "period_s": 60, "amplitude": 2, "offset": 21}})";

std::string with_series(const std::string& series) {
  return R"({"name": "s", "sites": [{"id": "lab"}], "pairs": 2, "sensors": )" + series + "}";
}

}  // namespace

TEST_CASE("sensor series: count sensors after the pairs, each with its own seed") {
  const Topology t = parse_topology_text(
      with_series(R"([{"count": 3, "prefix": "temp-", "start": 10, "site": "lab", "sensor": )" +
                  std::string(kSine) + R"(}, {"count": 2, "sensor": )" + kSine + "}]"));
  REQUIRE(t.devices.size() == 4 + 5);
  CHECK(t.devices[4].id == "temp-10");
  CHECK(t.devices[6].id == "temp-12");
  CHECK(t.devices[7].id == "sensor-1");  // the default prefix and start
  CHECK(t.devices[8].id == "sensor-2");
  CHECK(t.sensors().size() == 5);
  const Device& first = *t.find("temp-10");
  CHECK(first.kind == DeviceKind::sensor);
  CHECK(first.site == "lab");
  CHECK(first.protocol == Protocol::mqtt);
  REQUIRE(first.sensor);
  CHECK(first.sensor->capability == "temperature");
  CHECK(first.sensor->model.offset == 21);
  // As an explicit sensor of that id would: different series, repeatable runs.
  CHECK(first.sensor->seed == sensor_seed_of("temp-10"));
  CHECK(t.find("temp-11")->sensor->seed == sensor_seed_of("temp-11"));
  CHECK(t.find("sensor-1")->site.empty());
}

TEST_CASE("sensor series: a seed given is the first sensor's, the next ones count on from it") {
  const Topology t = parse_topology_text(with_series(
      R"({"count": 3, "sensor": {"capability": "power", "seed": 100,
                                 "model": {"type": "random_walk", "step": 1, "min": 0, "max": 9}}})"));
  CHECK(t.find("sensor-1")->sensor->seed == 100);
  CHECK(t.find("sensor-3")->sensor->seed == 102);
}

TEST_CASE("sensor series: every problem named with its path") {
  auto errors = errors_of(with_series(R"({"count": 0, "sensor": {}})"));
  CHECK(mentions(errors, "sensors: count must be from 1 to 100000, not 0"));
  errors = errors_of(with_series(R"([{"sensor": {}}, {"count": 2}])"));
  CHECK(mentions(errors, "sensors[0]: 'count' is missing"));
  CHECK(mentions(errors, "sensors[1]: 'sensor' is missing"));
  errors = errors_of(with_series(R"({"count": 2, "colour": "red", "protocol": "zigbee",
                                     "sensor": {"capability": "t", "rate_hz": 500,
                                                "model": {"type": "sine"}}})"));
  CHECK(mentions(errors, "sensors: unknown field 'colour'"));
  CHECK(mentions(errors, "sensors: field 'protocol' is 'zigbee', expected one of: mqtt, amqp"));
  CHECK(mentions(errors, "sensors.sensor.rate_hz: is 500, must be from 0.001 to 100"));
  CHECK(mentions(errors, "sensors.sensor.model.period_s: missing"));
  errors =
      errors_of(with_series(R"([{"count": 60000, "sensor": )" + std::string(kSine) +
                            R"(}, {"count": 50000, "start": 70000, "sensor": )" + kSine + "}]"));
  CHECK(mentions(errors, "sensors[1]: makes 110000 sensors in all, more than the limit of 100000"));
  errors =
      errors_of(with_series(R"({"count": 2, "start": -1, "sensor": )" + std::string(kSine) + "}"));
  CHECK(mentions(errors, "sensors: start must be from 0 to 1000000000, not -1"));
  errors = errors_of(
      with_series(R"({"count": 2, "site": "attic", "sensor": )" + std::string(kSine) + "}"));
  CHECK(mentions(errors, "attic"));
  // An id the pairs or devices already use.
  errors = errors_of(
      with_series(R"({"count": 2, "prefix": "button-", "sensor": )" + std::string(kSine) + "}"));
  CHECK(mentions(errors, "button-1"));
  errors = errors_of(with_series(R"("many")"));
  CHECK(mentions(errors, "sensors: must be an object like"));
}

TEST_CASE("topology/campus.json: 15,000 devices, 5,000 of them sensors at 1 reading/s") {
  const Topology t = load_topology(snet::test::source_path("topology/campus.json"));
  CHECK(t.devices.size() == 15'000);
  const auto sensors = t.sensors();
  CHECK(sensors.size() == 5'000);
  double per_second = 0;
  for (const Device* d : sensors) per_second += d->sensor->rate_hz;
  CHECK(per_second == doctest::Approx(5'000));
  CHECK(t.buttons().size() == 5'000);
  CHECK(t.actuators().size() == 5'000);
  // Three buildings' buttons switch composite devices (a "kind" on their "pairs").
  std::map<CompositeKind, int> composites;
  for (const Device* d : t.actuators())
    if (d->composite) ++composites[d->composite->kind];
  CHECK(composites[CompositeKind::motion_light] == 1'250);
  CHECK(composites[CompositeKind::thermostat] == 1'250);
  CHECK(composites[CompositeKind::smart_plug] == 1'250);
  const Device* plug = t.find("plug-3751");
  REQUIRE(plug != nullptr);
  CHECK(plug->composite->watts == 800);
  CHECK(t.find("button-3751")->exact_targets == std::vector<std::string>{"plug-3751"});
}
