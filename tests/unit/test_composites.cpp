// Composite devices: the presets in the topology file (core/src/topology_composites.cpp), their
// feedback models (snet/composite_model.hpp), and the capability on commands and state reports.
#include <doctest/doctest.h>

#include <cmath>

#include "harness.hpp"
#include "snet/composite_model.hpp"
#include "snet/message.hpp"
#include "snet/topology.hpp"
#include "topology_errors.hpp"

using namespace snet;
using snet::test::errors_of;
using snet::test::mentions;

TEST_CASE("composite presets load as actuators with a spec, defaults filled") {
  const Topology t = load_topology(test::source_path("topology/home.json"));
  const Device& thermo = *t.find("thermostat-1");
  CHECK(thermo.kind == DeviceKind::actuator);  // routing, ACLs and state treat it as one
  REQUIRE(thermo.composite);
  CHECK(thermo.composite->kind == CompositeKind::thermostat);
  CHECK(thermo.composite->switched() == "heater");
  CHECK(thermo.composite->measured() == "temperature");
  CHECK(thermo.composite->unit() == "C");
  CHECK(thermo.composite->heat_rate == 0.05);
  CHECK(thermo.composite->max_temp == 24);
  CHECK(thermo.composite->seed == sensor_seed_of("thermostat-1"));
  const Device& plug = *t.find("plug-1");
  REQUIRE(plug.composite);
  CHECK(plug.composite->switched() == "switch");
  CHECK(plug.composite->measured() == "power");
  CHECK(plug.composite->watts == 1200);
  CHECK(plug.composite->qos == 1);
  CHECK(plug.composite->rate_hz == 1);  // the default
  const Device& light = *t.find("hall-light");
  REQUIRE(light.composite);
  CHECK(light.composite->switched() == "lamp");
  CHECK(light.composite->measured() == "motion");
  CHECK(light.composite->rate_hz == 2);
  CHECK(t.actuators().size() == 3);
  CHECK(t.targets_of("button-1") == std::vector<std::string>{"thermostat-1", "plug-1"});
  CHECK_FALSE(t.find("button-1")->composite);

  const Topology bare =
      parse_topology_text(R"({"name": "b", "devices": [{"id": "p", "kind": "smart_plug"}]})");
  REQUIRE(bare.find("p")->composite);
  CHECK(bare.find("p")->composite->watts == 60);
  CHECK(bare.find("p")->composite->noise == 0);
}

TEST_CASE("composite validation names the device and the field of every problem") {
  const auto errors = errors_of(R"({"name": "c", "devices": [
    {"id": "t1", "kind": "thermostat", "thermostat": {"ambient": 20, "max": 15, "rate_hz": 0,
     "heat_rate": "fast", "colour": "red"}},
    {"id": "p1", "kind": "smart_plug", "smart_plug": {"watts": -5, "qos": 2, "seed": -1}},
    {"id": "m1", "kind": "motion_light", "thermostat": {}, "motion_light": []},
    {"id": "x1", "kind": "toaster"},
    {"id": "b1", "kind": "button", "targets": ["t1"]}
  ]})");
  CHECK(mentions(errors, "devices[0] 't1'.thermostat.max: is 15, must be above ambient (20)"));
  CHECK(mentions(errors, "devices[0] 't1'.thermostat.rate_hz: is 0, must be from 0.001 to 100"));
  CHECK(mentions(errors,
                 "devices[0] 't1'.thermostat.heat_rate: must be a finite number, not \"fast\""));
  CHECK(mentions(errors, "devices[0] 't1'.thermostat: unknown field 'colour' (a thermostat has:"));
  CHECK(mentions(errors, "devices[1] 'p1'.smart_plug.watts: is -5, must be from 0 to"));
  CHECK(mentions(errors, "devices[1] 'p1'.smart_plug.qos: is 2, must be 0 or 1"));
  CHECK(mentions(errors, "devices[1] 'p1'.smart_plug.seed: is -1, must be a whole number"));
  CHECK(mentions(errors,
                 "devices[2] 'm1': 'thermostat' parameters are only for \"kind\": "
                 "\"thermostat\""));
  CHECK(mentions(errors, "devices[2] 'm1'.motion_light: must be an object of parameters"));
  CHECK(mentions(errors,
                 "devices[3] 'x1': field 'kind' is 'toaster', expected one of: button, "
                 "actuator, sensor, external, thermostat, smart_plug, motion_light"));
  CHECK_FALSE(mentions(errors, "target 't1'"));  // a button may target a composite device
}

TEST_CASE("pairs with a kind: each button switches a composite device, seeds differ per device") {
  const Topology t = parse_topology_text(R"({"name": "p", "pairs": [
    {"count": 3, "actuator": "plug-", "kind": "smart_plug", "smart_plug": {"watts": 500}},
    {"count": 2, "start": 10, "actuator": "th-", "kind": "thermostat",
     "thermostat": {"seed": 7, "max": 30}},
    {"count": 1, "start": 20}
  ]})");
  const Device& plug = *t.find("plug-2");
  REQUIRE(plug.composite);
  CHECK(plug.kind == DeviceKind::actuator);
  CHECK(plug.composite->kind == CompositeKind::smart_plug);
  CHECK(plug.composite->watts == 500);
  CHECK(plug.composite->seed == sensor_seed_of("plug-2"));
  CHECK(t.find("plug-3")->composite->seed == sensor_seed_of("plug-3"));
  CHECK(t.find("button-2")->exact_targets == std::vector<std::string>{"plug-2"});
  CHECK(t.find("th-10")->composite->seed == 7);  // a given seed counts on, as in "sensors"
  CHECK(t.find("th-11")->composite->seed == 8);
  CHECK(t.find("th-11")->composite->max_temp == 30);
  CHECK_FALSE(t.find("actuator-20")->composite);  // no kind: a plain actuator

  const auto errors = errors_of(R"({"name": "p", "pairs": [
    {"count": 2, "kind": "toaster"},
    {"count": 2, "kind": "smart_plug", "smart_plug": {"watts": -1}},
    {"count": 2, "kind": "thermostat", "motion_light": {}}
  ]})");
  CHECK(mentions(errors, "pairs[0]: 'kind' is 'toaster', expected one of: actuator, thermostat"));
  CHECK(mentions(errors, "pairs[1].smart_plug.watts: is -1, must be from 0 to"));
  CHECK(mentions(errors,
                 "pairs[2]: 'motion_light' parameters are only for \"kind\": \"motion_light\""));
}

TEST_CASE("thermostat model: warms at heat_rate while the heater is on, relaxes to ambient") {
  CompositeSpec spec;
  spec.kind = CompositeKind::thermostat;
  spec.rate_hz = 10;
  spec.ambient = 18;
  spec.heat_rate = 1;
  spec.cool_rate = 0.5;
  spec.max_temp = 21;
  CompositeSignal s(spec);
  CHECK(s.at(0, false) == 18);
  CHECK(s.at(10, false) == 18);                  // off: stays at ambient
  CHECK(s.at(20, true) == doctest::Approx(19));  // 1 s on: +1 C
  CHECK(s.at(30, true) == doctest::Approx(20));
  CHECK(s.at(60, true) == doctest::Approx(21));     // capped at max
  CHECK(s.at(70, false) == doctest::Approx(20.5));  // 1 s off: -0.5 C
  CHECK(s.at(200, false) == doctest::Approx(18));   // never below ambient
  // Noise: bounded, seeded (two signals of the same spec agree), and present.
  spec.noise = 0.1;
  CompositeSignal a(spec), b(spec);
  bool varied = false;
  for (std::uint64_t k = 0; k < 100; ++k) {
    const double va = a.at(k, k < 50), vb = b.at(k, k < 50);
    CHECK(va == vb);
    CHECK(std::abs(va - a.temperature()) <= 0.1);
    varied = varied || va != a.temperature();
  }
  CHECK(varied);
}

TEST_CASE("smart plug model: the load's watts while on, exactly 0 while off") {
  CompositeSpec spec;
  spec.kind = CompositeKind::smart_plug;
  spec.watts = 100;
  spec.noise = 5;
  CompositeSignal s(spec);
  for (std::uint64_t k = 0; k < 200; ++k) {
    const bool on = (k / 10) % 2 == 1;
    const double v = s.at(k, on);
    CAPTURE(k);
    if (on) {
      CHECK(v >= 95);
      CHECK(v <= 105);
    } else {
      CHECK(v == 0);
    }
  }
  spec.watts = 1;  // noise larger than the load: never negative
  CompositeSignal small(spec);
  for (std::uint64_t k = 0; k < 100; ++k) CHECK(small.at(k, true) >= 0);
}

TEST_CASE("motion model: 0 or 1 at the seeded rate, the lamp does not change it") {
  CompositeSpec spec;
  spec.kind = CompositeKind::motion_light;
  spec.rate_hz = 1;
  spec.motion_per_min = 30;  // p = 1 - e^-0.5 = 0.39 per reading
  spec.seed = 42;
  CompositeSignal a(spec), b(spec);
  int ones = 0;
  constexpr int kReadings = 10000;
  for (std::uint64_t k = 0; k < kReadings; ++k) {
    const double v = a.at(k, false);
    CHECK((v == 0 || v == 1));
    CHECK(b.at(k, true) == v);
    ones += v == 1;
  }
  const double p = motion_probability(spec);
  CHECK(p == doctest::Approx(1 - std::exp(-0.5)));
  CHECK(ones == doctest::Approx(p * kReadings).epsilon(0.05));
  spec.seed = 43;
  CompositeSignal other(spec);
  int differ = 0;
  for (std::uint64_t k = 0; k < 100; ++k)
    differ += other.at(k, false) != a.at(k + kReadings, false);
  CHECK(differ > 0);
  spec.motion_per_min = 0;
  CompositeSignal still(spec);
  for (std::uint64_t k = 0; k < 100; ++k) CHECK(still.at(k, false) == 0);
}

TEST_CASE("a command and a state report may name a capability") {
  Command c;
  c.on = true;
  c.press_id = "p-1";
  CHECK(to_json(c).find("capability") == std::string::npos);  // absent: the switchable one
  c.capability = "heater";
  CHECK(parse_command(to_json(c)).capability == "heater");
  CHECK_THROWS_WITH_AS(parse_command(R"({"on":true,"press_id":"x","capability":3})"),
                       "field 'capability' must be a string", BadMessage);
  StateReport s;
  s.device = "thermostat-1";
  s.capability = "heater";
  CHECK(parse_state(to_json(s)).capability == "heater");
  s.capability.clear();
  CHECK(to_json(s).find("capability") == std::string::npos);
}
