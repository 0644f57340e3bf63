// Every example of scenarios/ run as a person runs it (`snet run`, here attached to a stack the
// test starts with the scenario's `up` flags, so that the test can count on the broker itself),
// each checked against what it injected and against that independent count.
#include <doctest/doctest.h>

#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "broker_count.hpp"
#include "snet/bus.hpp"
#include "snet/bus_loop.hpp"
#include "snet/message.hpp"
#include "snet/topics.hpp"
#include "snet_up.hpp"

using namespace snet;
using namespace snet::test;
using nlohmann::json;

namespace {

json read_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in, nullptr, false, /*ignore_comments=*/true);
}

struct ExampleRun {
  json scenario, report;
  std::vector<std::vector<std::string>> rows;  // presses.csv without its header
  SnetRun run;
  std::size_t broker_count = 0;
  int relayer_restarts = -1;
};

// Starts the scenario's stack, runs the example attached to it, reads the report.
ExampleRun run_example(const std::string& name) {
  ExampleRun out;
  const std::string file = source_path("scenarios/" + name + ".json");
  out.scenario = read_json(file);
  REQUIRE(out.scenario.is_object());
  const std::string topology = out.scenario["topology"];
  const json topology_doc = read_json(source_path("topology/" + topology + ".json"));
  REQUIRE(topology_doc.is_object());
  SnetUp::Options options;
  options.topology = "topology/" + topology + ".json";
  options.topology_name = topology_doc["name"];
  options.ready_timeout = std::chrono::seconds(120);
  const json up_flags = out.scenario.value("up", json::object());
  for (const auto& [flag, value] : up_flags.items()) {
    options.extra_args.push_back("--" + flag);
    options.extra_args.push_back(value.is_string() ? value.get<std::string>() : value.dump());
  }
  SnetUp up(options);
  const bool rabbitmq = topology_doc.value("broker", "mosquitto") == "rabbitmq";
  const std::string broker = rabbitmq ? up.amqp_url() : up.mqtt_url();
  BrokerCount count(broker, options.topology_name,
                    name + "-" + std::to_string(out.scenario.value("seed", 1)) + "-");
  TempDir dir;
  const std::string report = dir.path() + "/report";
  const auto limit = std::chrono::seconds(out.scenario["duration_s"].get<int>() + 90);
  out.run = run_snet({"run", file, "--report", report, "--attach",
                      "http://127.0.0.1:" + std::to_string(up.http_port()), "--broker-url", broker,
                      "--quiet", "--drain-s", "30"},
                     limit);
  out.report = read_json(report + "/report.json");
  std::ifstream csv(report + "/presses.csv");
  std::string line;
  std::getline(csv, line);  // header
  while (std::getline(csv, line)) {
    std::vector<std::string> cells;
    std::stringstream cut(line);
    for (std::string cell; std::getline(cut, cell, ',');) cells.push_back(cell);
    out.rows.push_back(std::move(cells));
  }
  out.broker_count = count.applied();
  const json relayer = up.service("relayer-1");  // null with a single relayer ("relayer")
  out.relayer_restarts = relayer.is_object() ? relayer.value("restarts", -1) : -1;
  return out;
}

// What every example must show: it ran, its report is whole and consistent, and its applied
// count is the broker's.
void check_common(const ExampleRun& e) {
  INFO(e.run.output);
  REQUIRE(e.report.is_object());
  const json& pairs = e.report["pairs"];
  CHECK(e.report["presses"]["sent"] == e.report["presses"]["planned"]);
  CHECK(pairs["applied"].get<std::size_t>() + pairs["lost"].get<std::size_t>() ==
        pairs["total"].get<std::size_t>());
  CHECK(e.broker_count == pairs["applied"].get<std::size_t>());
  CHECK(e.rows.size() >= pairs["total"].get<std::size_t>());
  CHECK(e.report["faults"].size() == e.scenario.value("timeline", json::array()).size());
  CHECK(e.report["expectations"]["passed"] == (e.run.status == 0));
}

double latency_ms(const std::vector<std::string>& row) {
  return row.size() > 8 && !row[8].empty() ? std::stod(row[8]) : -1;
}
double sent_s(const std::vector<std::string>& row) {
  return row.size() > 4 && !row[4].empty() ? std::stod(row[4]) : -1;
}

}  // namespace

TEST_CASE("example relayer-failover: a killed relayer loses nothing") {
  const ExampleRun e = run_example("relayer-failover");
  check_common(e);
  CHECK_MESSAGE(e.run.status == 0, e.run.output);
  CHECK(e.report["pairs"]["lost"] == 0);
  CHECK(e.report["pairs"]["redelivered"].is_number());  // read from the agents' counters
  std::size_t stored = 0;  // the state service stored what the broker delivered
  for (const auto& row : e.rows) stored += row.size() > 10 && !row[10].empty();
  CHECK(stored == e.report["pairs"]["applied"].get<std::size_t>());
  CHECK(e.relayer_restarts >= 1);
}

TEST_CASE("example broker-restart: what Mosquitto loses is counted, most presses arrive") {
  const ExampleRun e = run_example("broker-restart");
  check_common(e);
  CHECK_MESSAGE(e.run.status == 0, e.run.output);
  MESSAGE("Mosquitto kill -9 lost " << e.report["pairs"]["lost"] << " of "
                                    << e.report["pairs"]["total"]);
}

TEST_CASE("example broker-restart-rabbitmq: RabbitMQ loses nothing it confirmed") {
  const ExampleRun e = run_example("broker-restart-rabbitmq");
  check_common(e);
  CHECK_MESSAGE(e.run.status == 0, e.run.output);
  CHECK(e.report["pairs"]["lost"] == 0);
}

TEST_CASE("example site-partition: the cut building's presses wait ~10 s, the others do not") {
  const ExampleRun e = run_example("site-partition");
  check_common(e);
  CHECK_MESSAGE(e.run.status == 0, e.run.output);
  CHECK(e.report["pairs"]["lost"] == 0);
  double worst_b = 0, worst_a_during = 0;
  for (const auto& row : e.rows) {
    const int n = std::stoi(row[1].substr(row[1].rfind('-') + 1));  // button-<n>
    const bool building_b = n >= 251 && n <= 500;
    if (building_b) worst_b = std::max(worst_b, latency_ms(row));
    if (!building_b && sent_s(row) > 8 && sent_s(row) < 18)
      worst_a_during = std::max(worst_a_during, latency_ms(row));
  }
  CHECK(worst_b > 8000);  // the first press cut off waited about the whole 10 s cut
  CHECK(worst_b < 14000);
  CHECK(worst_a_during < 2000);  // building-a kept working through the cut
}

TEST_CASE("example flaky-field: the degraded link slows the field, loses nothing") {
  const ExampleRun e = run_example("flaky-field");
  check_common(e);
  CHECK_MESSAGE(e.run.status == 0, e.run.output);
  const json& phases = e.report["phases"];
  REQUIRE(phases.size() == 3);
  // 1.5 s instead of 300 ms on the field's uplink, crossed by each command and its state.
  CHECK(phases[1]["latency"]["p50_ms"].get<double>() >
        phases[0]["latency"]["p50_ms"].get<double>() + 1500);
}

TEST_CASE("example reconnect-storm: 1,000 actuators reconnecting lose nothing") {
  const ExampleRun e = run_example("reconnect-storm");
  check_common(e);
  CHECK_MESSAGE(e.run.status == 0, e.run.output);
  CHECK(e.report["pairs"]["lost"] == 0);
}

TEST_CASE("example campus-ramp: the load ramps up and nothing is lost") {
  const ExampleRun e = run_example("campus-ramp");
  check_common(e);
  CHECK_MESSAGE(e.run.status == 0, e.run.output);
  const json& throughput = e.report["throughput"];
  REQUIRE(throughput.size() >= 60);
  double first = 0, last = 0;
  for (int s = 0; s < 10; ++s) first += throughput[s][1].get<double>();
  for (int s = 50; s < 60; ++s) last += throughput[s][1].get<double>();
  CHECK(last > 5 * first);
}
