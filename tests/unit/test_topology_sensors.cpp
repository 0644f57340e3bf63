// Sensors in the topology file (core/src/topology_sensors.cpp): every field read, every problem
// named with its device and field, trace files read relative to the topology file.
#include <doctest/doctest.h>

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "snet/topology.hpp"
#include "topology_errors.hpp"
#include "topology_view.hpp"

using namespace snet;
using snet::test::errors_of;
using snet::test::mentions;

namespace {

// A topology of one sensor whose "sensor" object is `sensor` (JSON text).
std::string with_sensor(const std::string& sensor) {
  return R"({"name": "s", "devices": [{"id": "thermo-1", "kind": "sensor", "sensor": )" + sensor +
         "}]}";
}

}  // namespace

TEST_CASE("a sensor device: its fields, defaults and seed") {
  const Topology t = parse_topology_text(with_sensor(
      R"({"capability": "temperature", "unit": "C", "rate_hz": 2.5, "qos": 1, "min": -10,
          "model": {"type": "sine", "period_s": 60, "amplitude": 5, "offset": 21}, "seed": 7})"));
  const Device& d = *t.find("thermo-1");
  CHECK(d.kind == DeviceKind::sensor);
  CHECK(to_string(d.kind) == "sensor");
  REQUIRE(d.sensor);
  CHECK(d.sensor->capability == "temperature");
  CHECK(d.sensor->unit == "C");
  CHECK(d.sensor->rate_hz == 2.5);
  CHECK(d.sensor->qos == 1);
  CHECK(d.sensor->seed == 7);
  CHECK(d.sensor->min == -10);
  CHECK_FALSE(d.sensor->max);
  CHECK(d.sensor->model.type == SensorModelKind::sine);
  CHECK(d.sensor->model.amplitude == 5);
  CHECK(t.sensors().size() == 1);
  CHECK(t.actuators().empty());
  CHECK(t.buttons().empty());

  const Topology defaults = parse_topology_text(
      with_sensor(R"({"capability": "power", "model": {"type": "constant", "value": 3}})"));
  const SensorSpec& s = *defaults.find("thermo-1")->sensor;
  CHECK(s.rate_hz == 1);
  CHECK(s.qos == 0);
  CHECK(s.unit.empty());
  CHECK(s.seed == sensor_seed_of("thermo-1"));
}

TEST_CASE("sensor validation names the device and the field of every problem") {
  const auto errors = errors_of(R"({"name": "s", "devices": [
    {"id": "t1", "kind": "sensor", "sensor": {"capability": "temperature", "rate_hz": 0,
     "qos": 2, "model": {"type": "sine", "period_s": 0, "amplitude": 1}}},
    {"id": "t2", "kind": "sensor", "sensor": {"capability": "temperature", "rate_hz": 101,
     "model": {"type": "wave"}}},
    {"id": "t3", "kind": "sensor", "sensor": {"model": {"type": "random_walk", "step": -1,
     "min": 5, "max": 1}, "colour": "red", "seed": -3}},
    {"id": "t4", "kind": "sensor"},
    {"id": "t5", "kind": "sensor", "sensor": {"capability": "a/b", "rate_hz": "fast",
     "min": 10, "max": 0, "model": {"type": "constant"}}},
    {"id": "t7", "kind": "sensor", "sensor": {"capability": "x",
     "model": {"type": "sine", "period_s": 1, "amplitude": 1e300}}},
    {"id": "t6", "kind": "sensor", "sensor": {"capability": "x", "model": {"value": 1}},
     "targets": ["a1"]},
    {"id": "a1", "kind": "actuator", "sensor": {"capability": "x"}},
    {"id": "b1", "kind": "button", "targets": ["t1"]}
  ]})");
  CHECK(mentions(errors, "devices[0] 't1'.sensor.rate_hz: is 0, must be from 0.001 to 100"));
  CHECK(mentions(errors, "devices[0] 't1'.sensor.qos: is 2, must be 0 or 1"));
  CHECK(mentions(errors, "devices[0] 't1'.sensor.model.period_s: must be at least 0.001"));
  CHECK(mentions(errors, "devices[1] 't2'.sensor.rate_hz: is 101, must be from 0.001 to 100"));
  CHECK(mentions(errors, "devices[1] 't2'.sensor.model.type: is 'wave', expected one of"));
  CHECK(mentions(errors, "devices[2] 't3'.sensor.capability: missing"));
  CHECK(mentions(errors, "devices[2] 't3'.sensor.model.step: must be above 0"));
  CHECK(mentions(errors, "devices[2] 't3'.sensor.model: min must be below max"));
  CHECK(mentions(errors, "devices[2] 't3'.sensor: unknown field 'colour'"));
  CHECK(mentions(errors, "devices[2] 't3'.sensor.seed: is -3, must be a whole number"));
  CHECK(mentions(errors, "devices[3] 't4': a sensor needs a 'sensor' object"));
  CHECK(mentions(errors, "devices[4] 't5'.sensor.capability: 'a/b' must be 1-64 letters"));
  CHECK(mentions(errors, "devices[4] 't5'.sensor.rate_hz: must be a finite number, not \"fast\""));
  CHECK(mentions(errors, "devices[4] 't5'.sensor.min: must be below max"));
  CHECK(mentions(errors, "devices[4] 't5'.sensor.model.value: missing"));
  CHECK(mentions(errors, "devices[5] 't7'.sensor.model.amplitude: is 1e+300, beyond +-1e15"));
  CHECK(mentions(errors, "devices[6] 't6'.sensor.model.type: missing"));
  CHECK(mentions(errors, "device 't6': a sensor cannot have targets"));
  CHECK(mentions(errors,
                 "devices[7] 'a1': only a sensor has a 'sensor' object (its kind is actuator)"));
  CHECK(mentions(errors, "device 'b1': target 't1' is a sensor, not an actuator"));
  CHECK_FALSE(mentions(errors, "button without target"));  // a sensor is not taken for a button
}

TEST_CASE("trace sensors: the CSV is read relative to the topology file, its errors by line") {
  test::TempDir dir("snet-sensor-trace");
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir.path() + "/" + name) << text;
  };
  write("good.csv", "time_s,value\n0,1\n10,2\n");
  write("bad.csv", "time_s,value\n0,1\n5,oops\n");
  write("topology.json", R"({"name": "s", "devices": [
    {"id": "t1", "kind": "sensor", "sensor": {"capability": "x",
     "model": {"type": "trace", "file": "good.csv"}}},
    {"id": "t2", "kind": "sensor", "sensor": {"capability": "x",
     "model": {"type": "trace", "file": "good.csv"}}}]})");
  const Topology t = load_topology(dir.path() + "/topology.json");
  REQUIRE(t.find("t1")->sensor->model.trace);
  CHECK(t.find("t1")->sensor->model.trace->size() == 2);
  CHECK(t.find("t1")->sensor->model.trace == t.find("t2")->sensor->model.trace);  // shared

  write("broken.json", R"({"name": "s", "devices": [
    {"id": "t1", "kind": "sensor", "sensor": {"capability": "x",
     "model": {"type": "trace", "file": "missing.csv"}}},
    {"id": "t2", "kind": "sensor", "sensor": {"capability": "x",
     "model": {"type": "trace", "file": "bad.csv"}}},
    {"id": "t3", "kind": "sensor", "sensor": {"capability": "x", "model": {"type": "trace"}}}]})");
  const auto errors = test::rejection_errors<TopologyError>(
      [&] { (void)load_topology(dir.path() + "/broken.json"); }, "broken.json");
  CHECK(mentions(errors, "devices[0] 't1'.sensor.model.file: " + dir.path() +
                             "/missing.csv: cannot open the file"));
  CHECK(mentions(errors, "devices[1] 't2'.sensor.model.file: " + dir.path() +
                             "/bad.csv line 3: value 'oops' is not a number"));
  CHECK(mentions(errors, "devices[2] 't3'.sensor.model.file: missing"));
}

TEST_CASE("the example topology/sensors.json: every model, and the state's topology view") {
  const Topology t = load_topology(test::source_path("topology/sensors.json"));
  CHECK(t.buttons().size() == 1);
  CHECK(t.actuators().size() == 1);
  std::set<SensorModelKind> models;
  for (const Device* d : t.sensors()) models.insert(d->sensor->model.type);
  CHECK(models.size() == 4);
  CHECK(t.find("office-1")->sensor->model.trace->size() == 13);
  const auto view = state::topology_view(t);
  for (const auto& d : view["devices"]) {
    if (d["id"] != "thermo-1") continue;
    CHECK(d["kind"] == "sensor");
    CHECK(d["sensor"]["capability"] == "temperature");
    CHECK(d["sensor"]["unit"] == "C");
    CHECK(d["sensor"]["rate_hz"] == 1);
    CHECK(d["sensor"]["model"] == "sine");
    CHECK(d["sensor"]["low"] == 16);
    CHECK(d["sensor"]["high"] == 26);
    CHECK_FALSE(d.contains("sources"));
  }
}
