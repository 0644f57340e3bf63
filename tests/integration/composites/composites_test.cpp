// Composite devices under `snet up` (tests/topology/home-fast.json: a thermostat, a smart plug
// and a motion light at 20 readings/s), watched by an independent subscriber on the broker:
// the heater switched on by a press warms the thermostat's readings, the plug reads exactly 0
// while off and its load while on, the motion light's readings are 0/1 and its lamp obeys
// commands that name it (and refuses ones naming a capability it does not switch); a composite
// device's login publishes its own readings only.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>

#include "harness.hpp"
#include "snet/broker_credentials.hpp"
#include "snet/message.hpp"
#include "snet/topics.hpp"
#include "snet_up.hpp"

using namespace snet;
using namespace snet::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kName = "homefast";

SnetUp::Options stack_options() {
  SnetUp::Options options;
  options.topology = "tests/topology/home-fast.json";
  options.topology_name = kName;
  return options;
}

std::string topic(topics::Kind kind, const std::string& device) {
  return topics::make(kName, kind, device);
}

std::vector<Reading> readings_of(Recorder& recorder, const std::string& device) {
  std::vector<Reading> out;
  for (const auto& m : recorder.messages()) {
    if (m.topic != topic(topics::Kind::reading, device)) continue;
    out.push_back(parse_reading(m.payload));
  }
  return out;
}

// Readings of `device` measured in [from, to) (µs).
std::vector<Reading> between(Recorder& recorder, const std::string& device, Micros from,
                             Micros to) {
  auto rs = readings_of(recorder, device);
  std::erase_if(rs, [&](const Reading& r) { return r.ts < from || r.ts >= to; });
  return rs;
}

// Presses `button` once and returns the state report of `device` that press brought.
StateReport press(SnetUp& up, Recorder& recorder, const std::string& button,
                  const std::string& device, const std::string& press_id) {
  Recorder operator_bus(up.mqtt_url(), {});
  operator_bus.bus().publish(
      Message{topic(topics::Kind::press, button), to_json(Press{press_id, now_us()}), false, {}},
      Qos::at_least_once);
  const auto state = recorder.wait_for(topic(topics::Kind::state, device), press_id, 20s);
  REQUIRE(state);
  return parse_state(state->payload);
}

void wait_readings(Recorder& recorder, const std::string& device, std::size_t n) {
  REQUIRE(eventually([&] { return readings_of(recorder, device).size() >= n; }, 20s));
}

}  // namespace

TEST_CASE("a thermostat warms once a press turns its heater on, a plug draws power only while on") {
  SnetUp up(stack_options());
  Recorder recorder(up.mqtt_url(), {"snet/" + std::string(kName) + "/reading/+",
                                    "snet/" + std::string(kName) + "/state/+"});
  wait_readings(recorder, "thermostat-1", 10);
  wait_readings(recorder, "plug-1", 10);
  // Off: the room sits at ambient (18 C +- 0.05 noise), the plug draws nothing at all.
  for (const Reading& r : readings_of(recorder, "thermostat-1")) {
    CHECK(r.capability == "temperature");
    CHECK(r.unit == "C");
    CHECK(r.value >= 18 - 0.05);
    CHECK(r.value <= 18 + 0.05);
  }
  for (const Reading& r : readings_of(recorder, "plug-1")) {
    CHECK(r.capability == "power");
    CHECK(r.unit == "W");
    CHECK(r.value == 0);
  }

  const StateReport heater = press(up, recorder, "button-1", "thermostat-1", "heat-on");
  CHECK(heater.on);
  CHECK(heater.capability == "heater");
  // 2 C/s: a second after the heater went on the room is about 2 C warmer.
  const Micros on_at = heater.applied_ts;
  REQUIRE(eventually(
      [&] {
        return !between(recorder, "thermostat-1", on_at + 2'500'000, on_at + 3'000'000).empty();
      },
      10s));
  const auto warm = between(recorder, "thermostat-1", on_at + 1'000'000, on_at + 3'000'000);
  CHECK(warm.front().value >= 19.5);
  CHECK(warm.back().value > warm.front().value);  // still warming

  const StateReport plug_on = press(up, recorder, "button-2", "plug-1", "plug-on");
  CHECK(plug_on.on);
  CHECK(plug_on.capability == "switch");
  REQUIRE(eventually(
      [&] {
        return between(recorder, "plug-1", plug_on.applied_ts + 100'000, INT64_MAX).size() >= 10;
      },
      10s));
  for (const Reading& r : between(recorder, "plug-1", plug_on.applied_ts + 100'000, INT64_MAX)) {
    CHECK(r.value >= 1200 - 15);
    CHECK(r.value <= 1200 + 15);
  }
  const StateReport plug_off = press(up, recorder, "button-2", "plug-1", "plug-off");
  CHECK_FALSE(plug_off.on);
  REQUIRE(eventually(
      [&] {
        return between(recorder, "plug-1", plug_off.applied_ts + 100'000, INT64_MAX).size() >= 5;
      },
      10s));
  for (const Reading& r : between(recorder, "plug-1", plug_off.applied_ts + 100'000, INT64_MAX)) {
    CHECK(r.value == 0);
  }
  // QoS 1: every reading seen, seq without gaps.
  const auto rs = readings_of(recorder, "plug-1");
  for (std::size_t i = 1; i < rs.size(); ++i) CHECK(rs[i].seq == rs[i - 1].seq + 1);
}

TEST_CASE("a motion light reads 0/1 motion and its lamp obeys commands naming the lamp only") {
  SnetUp up(stack_options());
  Recorder recorder(up.mqtt_url(), {"snet/" + std::string(kName) + "/reading/hall-light",
                                    "snet/" + std::string(kName) + "/state/hall-light"});
  wait_readings(recorder, "hall-light", 60);
  const auto rs = readings_of(recorder, "hall-light");
  const auto ones =
      std::count_if(rs.begin(), rs.end(), [](const Reading& r) { return r.value == 1; });
  for (const Reading& r : rs) {
    CHECK(r.capability == "motion");
    CHECK((r.value == 0 || r.value == 1));
  }
  // 300 motions a minute at 20 readings/s: about 22 % of the readings are 1.
  CHECK(static_cast<double>(ones) >= 0.05 * static_cast<double>(rs.size()));
  CHECK(static_cast<double>(ones) <= 0.5 * static_cast<double>(rs.size()));

  Recorder operator_bus(up.mqtt_url(), {});
  auto command = [&](bool on, const std::string& press_id, const std::string& capability) {
    Command c;
    c.on = on;
    c.press_id = press_id;
    c.capability = capability;
    operator_bus.bus().publish(
        Message{topic(topics::Kind::cmd, "hall-light"), to_json(c), false, {}}, Qos::at_least_once);
  };
  command(true, "lamp-on", "lamp");
  auto state = recorder.wait_for(topic(topics::Kind::state, "hall-light"), "lamp-on", 10s);
  REQUIRE(state);
  CHECK(parse_state(state->payload).on);
  CHECK(parse_state(state->payload).capability == "lamp");
  // Capabilities it does not switch are refused, the state untouched; then the default one.
  command(false, "off-by-motion", "motion");
  command(false, "off-by-heater", "heater");
  command(false, "lamp-off", "");
  state = recorder.wait_for(topic(topics::Kind::state, "hall-light"), "lamp-off", 10s);
  REQUIRE(state);
  CHECK_FALSE(parse_state(state->payload).on);
  for (const auto& m : recorder.messages()) {
    CAPTURE(m.payload);
    CHECK(m.payload.find("off-by-") == std::string::npos);
  }
}

TEST_CASE("a composite device's login publishes its own readings only") {
  SnetUp up(stack_options());
  const auto devices = read_credentials_file(up.data_dir() + "/credentials/devices.credentials");
  Recorder spy(up.mqtt_url(), {"snet/" + std::string(kName) + "/#"});
  BusOptions options;
  options.url =
      with_url_password(with_url_user(up.anonymous_url(), "plug-1"), devices.at("plug-1"));
  options.client_id = "plug-1-attacker";
  auto attacker = make_bus(options);
  attacker->on_message([](const Message&) {});
  attacker->start();
  REQUIRE(attacker->wait_connected(10s));
  Reading forged;
  forged.device = "thermostat-1";
  forged.capability = "forged-reading";
  forged.value = 99;
  forged.seq = 1;
  forged.ts = now_us();
  attacker->publish(
      Message{topic(topics::Kind::reading, "thermostat-1"), to_json(forged), false, {}},
      Qos::at_least_once);
  attacker->publish(Message{topic(topics::Kind::cmd, "hall-light"),
                            R"({"on":true,"press_id":"forged-cmd"})",
                            false,
                            {}},
                    Qos::at_least_once);
  // Its own reading topic is allowed: once the spy has this marker, a forgery that got through
  // would have come before it (Mosquitto keeps one publisher's order).
  Reading own = forged;
  own.device = "plug-1";
  own.capability = "marker";
  attacker->publish(Message{topic(topics::Kind::reading, "plug-1"), to_json(own), false, {}},
                    Qos::at_least_once);
  REQUIRE(spy.wait_for(topic(topics::Kind::reading, "plug-1"), "marker", 10s));
  attacker->stop();
  for (const auto& m : spy.messages()) {
    CAPTURE(m.topic);
    CHECK(m.payload.find("forged-") == std::string::npos);
  }
}
