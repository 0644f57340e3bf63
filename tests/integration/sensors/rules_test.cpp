// Rules under `snet up` (tests/topology/rules-*.json): a thermometer swings 19-29 C every 2 s;
// rule too-warm (above 26) turns the heater off, too-cold (below 22) on. An independent
// subscriber sees the readings and the heater's state reports: the heater follows the rules,
// each change carries the firing's press id, and that press id names a reading that crossed the
// threshold (the one after a reading that did not). With two relayers, one fires the rules.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "snet/message.hpp"
#include "snet/topics.hpp"
#include "snet_up.hpp"

using namespace snet;
using namespace snet::test;
using namespace std::chrono_literals;

namespace {

struct Observed {
  std::map<std::uint64_t, Reading> readings;  // thermo-1's, by seq
  std::vector<StateReport> heater;            // heater-1's reports caused by a rule
};

Observed observe(Recorder& recorder) {
  Observed out;
  for (const auto& m : recorder.messages()) {
    const auto topic = topics::parse(m.topic);
    REQUIRE(topic);
    if (topic->kind == topics::Kind::reading) {
      const Reading r = parse_reading(m.payload);
      out.readings[r.seq] = r;
    } else if (topic->kind == topics::Kind::state && topic->device == "heater-1" &&
               !m.payload.empty()) {
      const StateReport s = parse_state(m.payload);
      if (s.press_id.rfind("rule:", 0) == 0) out.heater.push_back(s);
    }
  }
  return out;
}

// rule:<rule>:<device>:<seq>:<ts> -> {rule, seq}
std::pair<std::string, std::uint64_t> firing_of(const std::string& press_id) {
  const auto a = press_id.find(':', 5), b = press_id.find(':', a + 1),
             c = press_id.find(':', b + 1);
  REQUIRE(c != std::string::npos);
  CHECK(press_id.substr(a + 1, b - a - 1) == "thermo-1");
  return {press_id.substr(5, a - 5), std::stoull(press_id.substr(b + 1, c - b - 1))};
}

void check_rules_drive_the_heater(SnetUp& up, const std::string& t, const std::string& url) {
  Recorder recorder(url, {topics::make(t, topics::Kind::reading, "thermo-1"),
                          topics::make(t, topics::Kind::state, "heater-1")});
  // Two full swings: off, on, off, on at least (each a firing of the other rule).
  REQUIRE_MESSAGE(eventually([&] { return observe(recorder).heater.size() >= 4; }, 30s),
                  up.output());
  const Observed seen = observe(recorder);
  int checked = 0;
  for (std::size_t i = 0; i < seen.heater.size(); ++i) {
    const StateReport& s = seen.heater[i];
    CAPTURE(s.press_id);
    const auto [rule, seq] = firing_of(s.press_id);
    CHECK(s.button == rule);
    CHECK(s.on == (rule == "too-cold"));
    if (i > 0) CHECK(seen.heater[i - 1].on != s.on);  // each firing changes the heater
    // The reading named crossed the threshold from the one before (when both were seen).
    const auto now = seen.readings.find(seq), before = seen.readings.find(seq - 1);
    if (now == seen.readings.end() || before == seen.readings.end()) continue;
    if (rule == "too-warm") {
      CHECK(now->second.value > 26);
      CHECK(before->second.value <= 26);
    } else {
      CHECK(now->second.value < 22);
      CHECK(before->second.value >= 22);
    }
    CHECK(s.press_ts == now->second.ts);
    ++checked;
  }
  CHECK(checked >= 2);
}

// The rule firings every relayer counts, from their retained status (metrics).
std::map<std::string, double> firings_by_relayer(Recorder& statuses) {
  std::map<std::string, double> out;
  for (const auto& m : statuses.messages()) {
    if (m.payload.empty()) continue;
    const ServiceStatus status = parse_status(m.payload);
    if (status.service.rfind("relayer", 0) != 0) continue;
    const auto metrics = nlohmann::json::parse(status.metrics_json);
    double n = 0;
    for (const char* rule : {"too-warm", "too-cold"}) {
      const std::string key = std::string("snet_relayer_rule_firings_total{rule=\"") + rule + "\"}";
      if (metrics.contains(key)) n += metrics.at(key).get<double>();
    }
    out[status.service] = n;  // the latest status wins
  }
  return out;
}

}  // namespace

TEST_CASE("a reading fires a rule end to end on Mosquitto: the heater follows, one relayer fires") {
  SnetUp::Options options;
  options.topology = "tests/topology/rules-fast.json";
  options.topology_name = "rulesfast";
  SnetUp up(options);
  check_rules_drive_the_heater(up, "rulesfast", up.mqtt_url());
  Recorder statuses(up.mqtt_url(), {topics::all("rulesfast", topics::Kind::status)});
  // relayer-1 evaluates the rules, relayer-2 (--rules off) never fires one.
  REQUIRE(eventually(
      [&] {
        const auto by = firings_by_relayer(statuses);
        return by.count("relayer-1") && by.count("relayer-2") && by.at("relayer-1") >= 4;
      },
      20s));
  const auto by = firings_by_relayer(statuses);
  CHECK(by.at("relayer-2") == 0);
}

TEST_CASE("a reading fires a rule end to end on RabbitMQ over AMQP") {
  SnetUp::Options options;
  options.topology = "tests/topology/rules-rabbitmq.json";
  options.topology_name = "rulesrabbit";
  options.ready_timeout = 120s;
  SnetUp up(options);
  check_rules_drive_the_heater(up, "rulesrabbit", up.amqp_url());
}
