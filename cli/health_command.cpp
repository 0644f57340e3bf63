// snet health [SERVICE...] [--http URL]: exits 0 when every named service's retained status is
// online and fresh (published within --max-age-s) and the URL answers 200; else prints what is
// wrong and exits 1. Made for container healthchecks, where no curl or mosquitto_sub is installed.
// Without SERVICE or --http: every service of the `snet up` running with --data-dir (its
// supervisor lists them), on its broker (run_file.hpp).
#include <iostream>
#include <thread>

#include "commands.hpp"
#include "health.hpp"
#include "run_file.hpp"
#include "snet/flags.hpp"
#include "snet/http_client.hpp"
#include "snet/log.hpp"
#include "snet/net.hpp"
#include "snet/topology.hpp"
#include "topology_path.hpp"

namespace snet::cli {
namespace {
using std::chrono::milliseconds;

Flags health_flags() {
  Flags flags("snet health [SERVICE...]",
              "Checks that services are up: each SERVICE (relayer, agent, whisk, state, or an "
              "agent's --name; none: every service of the running snet up) has a fresh online "
              "status on the broker, and --http answers 200. Exit 0 healthy, 1 not.");
  flags
      .add("data-dir", "SNET_DATA_DIR", "data",
           "the data dir of the running `snet up`, whose run.json names its broker, topology and "
           "services")
      .add("topology", "SNET_TOPOLOGY", "",
           "topology file or name (default: the running snet up's, else topology/single.json)")
      .add("broker-url", "SNET_BROKER_URL", "",
           "broker to read statuses from (default: the running snet up's)")
      .add("http", "", "", "also GET this URL (e.g. http://127.0.0.1:8080/healthz); 200 = healthy")
      .add("max-age-s", "", "10", "a status older than this counts as stale")
      .add("timeout-ms", "", "3000", "how long to wait for the statuses and the URL");
  return flags;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// The services of `wanted` without a fresh online status once `timeout` has passed (or none).
std::vector<std::string> stale_services(const std::string& broker_url, const std::string& topology,
                                        const std::vector<std::string>& wanted, Micros since,
                                        milliseconds timeout) {
  StatusWatch watch(broker_url, topology, since);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto missing = watch.not_online(wanted);
    if (missing.empty() || std::chrono::steady_clock::now() >= deadline) return missing;
    std::this_thread::sleep_for(milliseconds(50));  // retained statuses arrive after subscribing
  }
}

// The services the supervisor of a running `snet up` runs, except the broker (it publishes no
// status; the watch reports it unreachable instead).
std::vector<std::string> supervised_services(const RunInfo& run, milliseconds timeout) {
  const auto reply = http::call("GET", run.control_url + "/services", {}, timeout);
  if (reply.status != 200) {
    throw std::runtime_error(
        "snet health: cannot list the services at " + run.control_url +
        "/services: " + (reply.status == 0 ? reply.error : "HTTP " + std::to_string(reply.status)));
  }
  const auto doc = nlohmann::json::parse(reply.body, nullptr, false);
  std::vector<std::string> names;
  if (!doc.is_object() || !doc.contains("services") || !doc["services"].is_array()) return names;
  const auto& services = doc["services"];
  for (const auto& service : services) {
    const std::string name = service.value("name", "");
    if (!name.empty() && service.value("kind", "") != "broker") names.push_back(name);
  }
  return names;
}

}  // namespace

int health_command(int argc, const char* const* argv, int first) {
  Flags flags = health_flags();
  milliseconds timeout{};
  Micros max_age = 0;
  try {
    if (!flags.parse(argc, argv, first)) return 0;
    timeout = milliseconds(flags.integer("timeout-ms", 1, 600'000));
    max_age = flags.integer("max-age-s", 1, 86'400) * 1'000'000L;
  } catch (const UsageError& e) {
    std::cerr << "snet health: " << e.what() << "\n";
    return 2;
  }
  log::set_level(log::Level::error);  // the bus's reconnect chatter is not for a healthcheck

  std::vector<std::string> problems;
  const bool all = flags.positional().empty() && flags.str("http").empty();
  std::vector<std::string> services = flags.positional();
  if (!services.empty() || all) {
    Topology topology;
    try {
      const BrokerTarget target =
          broker_target(flags, "snet health", /*mqtt=*/false,
                        all ? "--broker-url URL with the SERVICE names" : "--broker-url URL");
      if (all) {
        if (!target.run) {
          throw std::runtime_error(
              "snet health: name the services to check (without a running `snet up` in --data-dir "
              "there is no list of them), or give --http URL");
        }
        services = supervised_services(*target.run, timeout);
      }
      topology = load_topology(resolve_topology_path(target.topology));
      problems =
          stale_services(target.broker_url, topology.name, services, now_us() - max_age, timeout);
    } catch (const TopologyError& e) {
      std::cerr << "snet health: " << e.what() << "\n";
      return 1;
    } catch (const std::runtime_error& e) {  // no `snet up` running, or its supervisor silent
      std::cerr << e.what() << "\n";
      return 1;
    }
  }
  if (const std::string url = flags.str("http"); !url.empty()) {
    HostPort target;
    try {
      target = parse_url(url, 80);
    } catch (const std::invalid_argument& e) {
      std::cerr << "snet health: --http: " << e.what() << "\n";
      return 2;
    }
    if (target.scheme != "http") {
      std::cerr << "snet health: --http: only http:// URLs are checked, not '" << url << "'\n";
      return 2;
    }
    const std::string path = target.path.empty() ? "/" : target.path;
    if (!http_ok(target.host, target.port, path, timeout)) {
      problems.push_back(url + " (does not answer 200)");
    }
  }
  if (!problems.empty()) {
    std::cout << "unhealthy: " << join(problems) << "\n";
    return 1;
  }
  std::cout << "healthy";
  if (all) std::cout << ": " << join(services);
  std::cout << "\n";
  return 0;
}

}  // namespace snet::cli
