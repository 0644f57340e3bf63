// `snet run` against real stacks: the report says what the scenario injected, and its counts
// match an independent count the test takes on the broker itself.
#include <doctest/doctest.h>

#include <fstream>
#include <mutex>
#include <set>

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
  return json::parse(in, nullptr, false);
}

std::string write_scenario(const TempDir& dir, const json& scenario) {
  const std::string path = dir.path() + "/" + scenario["name"].get<std::string>() + ".json";
  std::ofstream(path) << scenario.dump(2);
  return path;
}

}  // namespace

TEST_CASE("a relayer killed under load: the report counts what the broker saw, nothing lost") {
  SnetUp::Options options;
  options.topology = "tests/topology/single-builtin.json";
  options.extra_args = {"--relayers", "2"};
  SnetUp up(options);
  BrokerCount count(up.mqtt_url(), "single", "failover-11-");  // then the run, then n
  TempDir dir;
  const std::string scenario = write_scenario(
      dir, {{"name", "failover"},
            {"topology", source_path("tests/topology/single-builtin.json")},
            {"duration_s", 12},
            {"seed", 11},
            {"workload", json::array({{{"buttons", "*"}, {"pattern", "constant"}, {"rate", 50}}})},
            {"timeline", json::array({{{"at_s", 5}, {"service", "relayer-1"}, {"do", "kill"}}})},
            {"expect", {{"lost", 0}, {"recovery_ms", 5000}}}});
  const std::string report_dir = dir.path() + "/report";
  const SnetRun run = run_snet({"run", scenario, "--report", report_dir, "--attach",
                                "http://127.0.0.1:" + std::to_string(up.http_port()),
                                "--broker-url", up.mqtt_url(), "--quiet"},
                               std::chrono::seconds(90));
  INFO(run.output);
  CHECK(run.status == 0);
  CHECK(run.output.find("every expectation held") != std::string::npos);
  const json report = read_json(report_dir + "/report.json");
  REQUIRE(report.is_object());
  CHECK(report["presses"]["planned"] == 600);
  CHECK(report["presses"]["acked"] == 600);
  CHECK(report["pairs"]["lost"] == 0);
  CHECK(report["pairs"]["applied"] == 600);
  CHECK(count.applied() == report["pairs"]["applied"].get<std::size_t>());
  REQUIRE(report["faults"].size() == 1);
  CHECK(report["faults"][0]["label"] == "kill relayer-1");
  CHECK(report["faults"][0]["recovery_ms"].is_number());
  CHECK(up.restarts_of("relayer-1") >= 1);  // the kill really happened
}

TEST_CASE("a 6 s site partition delays that site's presses by about 6 s and loses none") {
  SnetUp::Options options;
  options.topology = "tests/topology/sites.json";
  options.topology_name = "sites";
  SnetUp up(options);
  const json topology = read_json(source_path("tests/topology/sites.json"));
  REQUIRE(topology.is_object());
  TempDir dir;
  const std::string scenario = write_scenario(
      dir, {{"name", "partition"},
            {"topology", source_path("tests/topology/sites.json")},
            {"duration_s", 14},
            {"seed", 12},
            {"workload", json::array({{{"buttons", "*"}, {"pattern", "constant"}, {"rate", 20}}})},
            {"timeline", json::array({{{"at_s", 4},
                                       {"until_s", 10},
                                       {"link", topology["sites"][0]["id"]},
                                       {"set", {{"up", false}}}}})},
            {"expect", {{"lost", 0}}}});
  BrokerCount count(up.mqtt_url(), "sites", "partition-12-");
  const std::string report_dir = dir.path() + "/report";
  const SnetRun run = run_snet({"run", scenario, "--report", report_dir, "--attach",
                                "http://127.0.0.1:" + std::to_string(up.http_port()),
                                "--broker-url", up.mqtt_url(), "--quiet", "--drain-s", "20"},
                               std::chrono::seconds(90));
  INFO(run.output);
  CHECK(run.status == 0);
  const json report = read_json(report_dir + "/report.json");
  REQUIRE(report.is_object());
  CHECK(report["pairs"]["lost"] == 0);
  CHECK(count.applied() == report["pairs"]["applied"].get<std::size_t>());
  // The first press cut off waited the whole cut: about 6 s (and not much more).
  const double worst = report["latency"]["max_ms"].get<double>();
  CHECK(worst > 5000);
  CHECK(worst < 9000);
  REQUIRE(report["faults"].size() == 1);
  CHECK(report["faults"][0]["end_s"].get<double>() - report["faults"][0]["start_s"].get<double>() ==
        doctest::Approx(6).epsilon(0.1));
}

TEST_CASE("snet validate checks a scenario against its topology, snet run refuses a broken one") {
  TempDir dir;
  const std::string broken = write_scenario(
      dir,
      {{"name", "broken"},
       {"topology", source_path("tests/topology/single-builtin.json")},
       {"duration_s", 5},
       {"workload", json::array({{{"buttons", {"ghost"}}, {"pattern", "constant"}, {"rate", 1}}})},
       {"timeline", json::array({{{"at_s", 9}, {"storm", "actuators"}}})}});
  const SnetRun checked = run_snet({"validate", broken});
  CHECK(checked.status == 1);
  CHECK(checked.output.find("'ghost' is not a button") != std::string::npos);
  CHECK(checked.output.find("after the scenario's end") != std::string::npos);
  const SnetRun refused = run_snet({"run", broken});
  CHECK(refused.status == 2);
  CHECK(refused.output.find("'ghost' is not a button") != std::string::npos);
  const SnetRun examples = run_snet(
      {"validate", source_path("scenarios/relayer-failover.json"),
       source_path("scenarios/site-partition.json"), source_path("scenarios/flaky-field.json"),
       source_path("scenarios/broker-restart.json"),
       source_path("scenarios/broker-restart-rabbitmq.json"),
       source_path("scenarios/reconnect-storm.json"), source_path("scenarios/campus-ramp.json")});
  INFO(examples.output);
  CHECK(examples.status == 0);
}
