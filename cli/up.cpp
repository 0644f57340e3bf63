// snet up [TOPOLOGY]: the whole emulation in one command. Starts the broker the topology names,
// mosquitto or RabbitMQ (unless --broker-url names a running one), then snet-state, snet-relayer
// and snet-agent; waits until each is healthy; prints the dashboard URL; on Ctrl-C or SIGTERM
// stops them all, last started first, the broker last.
#include <filesystem>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "health.hpp"
#include "snet/flags.hpp"
#include "snet/log.hpp"
#include "snet/open_files.hpp"
#include "snet/shutdown.hpp"
#include "snet/topology.hpp"
#include "stack.hpp"
#include "topology_path.hpp"

namespace snet::cli {
namespace {
namespace fs = std::filesystem;
using std::chrono::milliseconds;

Flags up_flags() {
  Flags flags("snet up [TOPOLOGY]",
              "Starts the broker, state service, relayer and agents; Ctrl-C stops them all.");
  flags.add("topology", "SNET_TOPOLOGY", "topology/single.json", "topology file or name")
      .add("broker-url", "SNET_BROKER_URL", "",
           "use this running broker (mqtt:// or, for RabbitMQ, amqp://) instead of starting one")
      .add("mqtt-url", "SNET_MQTT_URL", "",
           "with --broker-url amqp://: RabbitMQ's MQTT listener for MQTT devices")
      .add("mqtt-port", "SNET_MQTT_PORT", "1883",
           "MQTT port of the broker snet up starts (mosquitto, or RabbitMQ's MQTT plugin)")
      .add("amqp-port", "SNET_AMQP_PORT", "5672", "AMQP port of the RabbitMQ snet up starts")
      .add("mqtt-bind", "SNET_MQTT_BIND", "127.0.0.1",
           "address the broker snet up starts listens on")
      .add("http-port", "SNET_HTTP_PORT", "8080", "port of the dashboard and REST API")
      .add("whisk-port", "SNET_WHISK_PORT", "3233",
           "port of snet-whisk, the bundled OpenWhisk-compatible compute (loopback only)")
      .add("http-bind", "SNET_HTTP_BIND", "127.0.0.1", "address of the dashboard and REST API")
      .add("data-dir", "SNET_DATA_DIR", "data", "broker persistence, database and logs")
      .add("start-timeout-s", "SNET_START_TIMEOUT", "30", "how long the services get to come up")
      .add("log-level", "SNET_LOG_LEVEL", "info", "log level passed to the services");
  return flags;
}

struct Settings {
  std::string topology_path, broker_url, mqtt_url, http_bind, data_dir;
  int mqtt_port = 0, amqp_port = 0, http_port = 0, whisk_port = 0;
  milliseconds start_timeout{};
};

std::string loopback_if_any(const std::string& bind) {
  return bind == "0.0.0.0" || bind == "::" ? "127.0.0.1" : bind;
}

// What is still not healthy; empty when everything is.
std::vector<std::string> not_healthy(StatusWatch& watch, const Settings& s) {
  auto missing = watch.not_online({"relayer", "agent", "whisk"});
  if (!http_ok(loopback_if_any(s.http_bind), s.http_port, "/healthz", milliseconds(500))) {
    missing.push_back("state (GET /healthz on port " + std::to_string(s.http_port) +
                      " does not answer 200)");
  }
  return missing;
}

// actions/ of an installed tree, else of the source tree.
std::string actions_dir() {
  const fs::path installed = fs::path(self_dir()) / "../share/serverlessnet/actions";
  if (fs::is_directory(installed)) return fs::canonical(installed).string();
  return SNET_SOURCE_DIR "/actions";
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

int up_command(int argc, const char* const* argv, int first) {
  ShutdownSignal shutdown;  // before any thread, so every thread leaves the signals to us
  Flags flags = up_flags();
  Settings s;
  try {
    if (!flags.parse(argc, argv, first)) return 0;
    if (flags.positional().size() > 1) throw UsageError("give at most one topology");
    s.mqtt_port = static_cast<int>(flags.integer("mqtt-port", 1, 65535));
    s.amqp_port = static_cast<int>(flags.integer("amqp-port", 1, 65535));
    s.whisk_port = static_cast<int>(flags.integer("whisk-port", 1, 65535));
    s.http_port = static_cast<int>(flags.integer("http-port", 1, 65535));
    s.start_timeout = std::chrono::seconds(flags.integer("start-timeout-s", 1, 3600));
    log::set_level(log::parse_level(flags.str("log-level")));
  } catch (const std::exception& e) {
    std::cerr << "snet up: " << e.what() << "\n";
    return 2;
  }
  log::set_component("up");
  const std::string topology_arg =
      flags.positional().empty() ? flags.str("topology") : flags.positional()[0];
  s.topology_path = resolve_topology_path(topology_arg);
  Topology topology;
  try {
    topology = load_topology(s.topology_path);
  } catch (const TopologyError& e) {
    std::cerr << "snet up: " << e.what() << "\n";
    return 1;
  }
  s.http_bind = flags.str("http-bind");
  s.data_dir = fs::absolute(flags.str("data-dir")).lexically_normal().string();
  const std::string log_dir = s.data_dir + "/logs";
  fs::create_directories(log_dir);
  raise_open_file_limit();  // children (mosquitto, the agent) inherit it

  const Micros since = now_us();
  std::optional<LocalBroker> broker;
  if (flags.given("broker-url")) {
    s.broker_url = flags.str("broker-url");
    s.mqtt_url = flags.str("mqtt-url");
  } else {
    LocalBroker::Options options;
    options.kind = topology.broker;
    options.bind = flags.str("mqtt-bind");
    options.mqtt_port = s.mqtt_port;
    options.amqp_port = s.amqp_port;
    options.data_dir = s.data_dir;
    options.routing_fingerprint = topology.to_json().dump();  // names, routes, exchanges
    if (topology.broker == BrokerKind::rabbitmq) {
      std::cout << "starting RabbitMQ (a fresh node takes 5-15 s)..." << std::endl;
    }
    try {
      broker.emplace(options);
    } catch (const std::exception& e) {
      std::cerr << "snet up: cannot start " << to_string(topology.broker) << ": " << e.what()
                << "\n";
      return 1;
    }
    s.broker_url = broker->url();
    s.mqtt_url = broker->mqtt_url();
    if (topology.broker == BrokerKind::rabbitmq) {
      std::cout << "rabbitmq listening on " << options.bind << ": AMQP " << s.amqp_port << ", MQTT "
                << s.mqtt_port << "\n";
    } else {
      std::cout << "mosquitto listening on " << options.bind << ":" << s.mqtt_port << "\n";
    }
  }

  const std::string bin = self_dir();
  const std::vector<std::string> common = {"--broker-url",  s.broker_url,  "--topology",
                                           s.topology_path, "--log-level", flags.str("log-level")};
  std::vector<std::string> agent_args;
  if (!s.mqtt_url.empty()) agent_args = {"--mqtt-url", s.mqtt_url};
  Stack stack(log_dir);
  try {
    auto with = [&](std::vector<std::string> head, std::vector<std::string> tail) {
      head.insert(head.end(), common.begin(), common.end());
      head.insert(head.end(), tail.begin(), tail.end());
      return head;
    };
    stack.start("state", with({bin + "/snet-state"},
                              {"--http-port", std::to_string(s.http_port), "--http-bind",
                               s.http_bind, "--data-dir", s.data_dir + "/state"}));
    // The bundled compute, with actions/*.js deployed, so "openwhisk" buttons work out of the box.
    const std::string whisk_url = "http://127.0.0.1:" + std::to_string(s.whisk_port);
    stack.start("whisk", with({bin + "/snet-whisk"}, {"--http-port", std::to_string(s.whisk_port),
                                                      "--actions-dir", actions_dir()}));
    stack.start("relayer", with({bin + "/snet-relayer"}, {"--openwhisk-apihost", whisk_url}));
    stack.start("agent", with({bin + "/snet-agent"}, agent_args));
  } catch (const std::system_error& e) {
    std::cerr << "snet up: " << e.what() << " (looked in " << bin << ")\n";
    return 1;
  }

  // The two ways out after start-up: a signal (exit 0) or a dead service (exit 1).
  auto dead_service = [&]() -> std::optional<std::string> {
    if (broker && !broker->running()) return std::string(broker->name()) + " stopped";
    return stack.find_dead();
  };
  auto report_death = [&](const std::string& what) {
    const std::string name = what.substr(0, what.find(' '));
    const std::string log =
        broker && name == broker->name() ? broker->log_path() : stack.log_path(name);
    std::cerr << "snet up: " << what << " unexpectedly; stopping everything. End of " << log
              << ":\n"
              << tail_of_file(log, 15);
  };

  std::cout << "starting topology '" << topology.name << "' (" << topology.devices.size()
            << " devices), logs in " << log_dir << "\n";
  {
    StatusWatch watch(s.broker_url, topology.name, since);
    const auto deadline = std::chrono::steady_clock::now() + s.start_timeout;
    while (true) {
      if (shutdown.wait_for(milliseconds(100)) != 0) return 0;  // Stack stops the children
      if (auto dead = dead_service()) {
        report_death(*dead);
        return 1;
      }
      const auto missing = not_healthy(watch, s);
      if (missing.empty()) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        std::cerr << "snet up: not healthy after " << s.start_timeout.count() / 1000
                  << " s: " << join(missing) << "; logs in " << log_dir << "\n";
        return 1;
      }
    }
  }
  std::cout << "Serverlessnet is up: dashboard http://" << loopback_if_any(s.http_bind) << ":"
            << s.http_port << "/  broker " << s.broker_url << "  (Ctrl-C stops)" << std::endl;

  while (true) {
    if (const int sig = shutdown.wait_for(milliseconds(200)); sig != 0) {
      std::cout << "stopping (signal " << sig << ")" << std::endl;
      stack.stop_all();
      if (broker) broker->stop();
      std::cout << "stopped" << std::endl;
      return 0;
    }
    if (auto dead = dead_service()) {
      report_death(*dead);
      return 1;
    }
  }
}

}  // namespace snet::cli
