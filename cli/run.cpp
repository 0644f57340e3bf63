// snet run SCENARIO [--report DIR] [--attach URL]: runs an experiment (experiment/runner.hpp)
// on a stack of its own (`snet up` on free ports, in a data dir under the report) or on a
// running one, writes its report and exits 0 when every expectation held, 1 otherwise.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "report_files.hpp"
#include "run_file.hpp"
#include "runner.hpp"
#include "snet/flags.hpp"
#include "snet/http_client.hpp"
#include "snet/net.hpp"
#include "snet/process.hpp"
#include "snet/shutdown.hpp"
#include "topology_path.hpp"

namespace snet::cli {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

Flags run_flags() {
  Flags flags("snet run SCENARIO [--report DIR] [--attach URL]",
              "Runs a scenario (scenarios/README.md): starts the stack, presses its workload, "
              "carries out its timeline of faults, and writes report.json, presses.csv and "
              "report.html. Exits 0 when every expectation held, 1 when one failed.");
  flags.add("report", "SNET_REPORT_DIR", "", "where the report goes (default: report-<scenario>)")
      .add("attach", "SNET_URL", "",
           "the state service of a running stack (e.g. http://127.0.0.1:8080) instead of "
           "starting one; its topology must be the scenario's")
      .add("broker-url", "SNET_BROKER_URL", "",
           "with --attach: the broker (default: the one the stack's run.json names)")
      .add("data-dir", "SNET_DATA_DIR", "./data", "with --attach: where `snet up` wrote run.json")
      .add("drain-s", "", "10", "after the end, how long presses on their way may take")
      .add("start-timeout-s", "", "120", "how long the stack may take to come up")
      .add_switch("quiet", "", "no progress line");
  return flags;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The scenario's topology: relative to the scenario file first, then as `snet up` finds it.
std::string topology_path_of(const std::string& scenario_path, const std::string& topology) {
  const fs::path beside = fs::path(scenario_path).parent_path() / topology;
  if (fs::is_regular_file(beside)) return fs::absolute(beside).lexically_normal().string();
  return resolve_topology_path(topology);
}

struct Stack {
  ChildProcess up;
  std::string http_url, broker_url;
};

// `snet up` for the scenario, on free ports, its data under `data_dir`; nullopt after printing
// why when it does not come up in time.
std::optional<Stack> start_stack(const experiment::Scenario& s, const std::string& topology_path,
                                 const std::string& data_dir, std::chrono::seconds timeout) {
  fs::remove_all(data_dir);
  fs::create_directories(data_dir);
  std::vector<std::string> argv = {self_dir() + "/snet",
                                   "up",
                                   topology_path,
                                   "--data-dir",
                                   data_dir,
                                   "--http-port",
                                   std::to_string(free_port()),
                                   "--mqtt-port",
                                   std::to_string(free_port()),
                                   "--amqp-port",
                                   std::to_string(free_port()),
                                   "--whisk-port",
                                   std::to_string(free_port()),
                                   "--log-level",
                                   "warn"};
  for (const auto& [flag, value] : s.up_flags) {
    argv.push_back("--" + flag);
    argv.push_back(value);
  }
  ChildProcess::Options options;
  options.stdout_path = data_dir + "/snet-up.log";
  options.stderr_path = "=stdout";
  Stack stack{ChildProcess(argv, options), {}, {}};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string run_json = data_dir + "/run.json";
  while (std::chrono::steady_clock::now() < deadline) {
    if (!stack.up.running()) {
      std::cerr << "snet run: `snet up` ended during start-up; see " << options.stdout_path << "\n";
      return std::nullopt;
    }
    if (fs::exists(run_json)) {
      const auto doc = nlohmann::json::parse(read_file(run_json), nullptr, false);
      if (doc.is_object()) {
        stack.http_url = doc.value("http_url", "");
        try {
          stack.broker_url = broker_login_url(run_info_from_json(doc), /*mqtt=*/false);
        } catch (const std::invalid_argument& e) {
          std::cerr << "snet run: " << run_json << ": " << e.what() << "\n";
          return std::nullopt;
        }
        return stack;
      }
    }
    std::this_thread::sleep_for(100ms);  // `snet up` writes run.json once everything is up
  }
  std::cerr << "snet run: the stack was not up within " << timeout.count() << " s; see "
            << options.stdout_path << "\n";
  return std::nullopt;
}

}  // namespace

int run_command(int argc, const char* const* argv, int first) {
  ShutdownSignal shutdown;
  Flags flags = run_flags();
  try {
    if (!flags.parse(argc, argv, first)) return 0;
    if (flags.positional().size() != 1) throw UsageError("give one scenario file");
  } catch (const UsageError& e) {
    std::cerr << "snet run: " << e.what() << "\n";
    return 2;
  }
  const std::string scenario_path = flags.positional()[0];
  experiment::Scenario scenario;
  Topology topology;
  std::string topology_path;
  try {
    scenario = experiment::load_scenario(scenario_path);
    topology_path = topology_path_of(scenario_path, scenario.topology);
    topology = load_topology(topology_path);
    if (auto errors = experiment::validate(scenario, topology); !errors.empty()) {
      throw experiment::ScenarioError(std::move(errors));
    }
  } catch (const std::exception& e) {
    std::cerr << "snet run: " << e.what() << "\n";
    return 2;
  }
  const std::string report_dir =
      flags.str("report").empty() ? "report-" + scenario.name : flags.str("report");

  experiment::RunOptions options;
  options.drain = std::chrono::seconds(flags.integer("drain-s", 0, 3600));
  if (!flags.on("quiet")) options.progress = &std::cerr;
  std::optional<Stack> stack;
  if (flags.str("attach").empty()) {
    const std::string data_dir = fs::absolute(report_dir + "/stack").lexically_normal().string();
    std::cerr << "snet run: starting `snet up " << scenario.topology << "` (data in " << data_dir
              << ")\n";
    stack = start_stack(scenario, topology_path, data_dir,
                        std::chrono::seconds(flags.integer("start-timeout-s", 1, 3600)));
    if (!stack) return 1;
    std::cerr << "snet run: the stack is up; watch it live at " << stack->http_url << "/\n";
    options.state_url = stack->http_url;
    options.broker_url = stack->broker_url;
  } else {
    options.state_url = flags.str("attach");
    options.broker_url = flags.str("broker-url");
    if (options.broker_url.empty()) {
      const std::string data_dir = fs::absolute(flags.str("data-dir")).lexically_normal().string();
      const RunLookup running = find_running(data_dir);
      if (running.state != RunLookup::State::running) {
        std::cerr << no_running_message("snet run", data_dir, running, "--broker-url URL") << "\n";
        return 2;
      }
      try {
        options.broker_url = broker_login_url(running.info, /*mqtt=*/false);
      } catch (const std::invalid_argument& e) {
        std::cerr << "snet run: " << e.what() << "\n";
        return 2;
      }
    }
  }

  std::atomic<bool> cancelled{false}, finished{false};
  std::thread watcher([&] {  // Ctrl-C ends the run early; the report is still written
    while (!finished && !cancelled) cancelled = shutdown.wait_for(200ms) != 0;
  });
  int status = 1;
  try {
    const experiment::RunResult run =
        experiment::run_scenario(scenario, topology, options, cancelled);
    for (const auto& e : run.action_errors) std::cerr << "snet run: action failed: " << e << "\n";
    experiment::Report report =
        experiment::compute_report(scenario, run.presses, run.faults, run.started, run.ended);
    for (const auto& e : run.action_errors) report.failed_expectations.push_back("action: " + e);
    report.redelivered = run.redelivered;
    experiment::write_report(report_dir, report, scenario, read_file(scenario_path), run.presses,
                             SNET_VERSION);
    std::cout << "sent " << report.sent << " presses (" << report.pairs << " press x target), "
              << "applied " << report.applied << ", lost " << report.lost << ", duplicated "
              << report.duplicated << "; p50 " << report.latency.p50_ms << " ms, p99 "
              << report.latency.p99_ms << " ms\n";
    for (const auto& f : report.faults) {
      std::cout << "  " << f.label << ": lost " << f.lost << ", recovery "
                << (f.recovery_ms ? std::to_string(static_cast<long>(*f.recovery_ms)) + " ms"
                                  : std::string("never"))
                << "\n";
    }
    std::cout << "report: " << report_dir << "/report.html\n";
    if (report.failed_expectations.empty()) {
      std::cout << "every expectation held\n";
      status = 0;
    } else {
      for (const auto& f : report.failed_expectations) std::cout << "FAILED: " << f << "\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "snet run: " << e.what() << "\n";
  }
  finished = true;
  watcher.join();
  if (stack) stack->up.stop(std::chrono::seconds(20));
  return cancelled && status == 0 ? 1 : status;
}

}  // namespace snet::cli
