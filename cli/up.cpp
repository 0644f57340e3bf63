// snet up [TOPOLOGY]: the whole emulation in one command, supervised. Starts the broker the
// topology names (mosquitto or RabbitMQ, unless --broker-url names a running one), then the
// relayer(s) (each named compute its own: relayer_plan.hpp) and snet-whisk (unless an external
// OpenWhisk is given: openwhisk_setup.hpp), checks that the actions the topology names exist
// (compute_checks.hpp), then snet-state, snet-agent and the commands of the topology's external
// devices (external_devices.hpp), each once the one before is ready, so a
// press published after "Serverlessnet is up" always finds a subscriber. From then on a service
// that exits is restarted per --restart; a control endpoint on loopback shows and changes them
// (control_api.cpp); Ctrl-C or SIGTERM stops them all at once, the broker last (a second one
// kills what is left).
#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent_shards.hpp"
#include "broker_accounts.hpp"
#include "commands.hpp"
#include "compute_checks.hpp"
#include "control_api.hpp"
#include "curl_util.hpp"
#include "emulated_network.hpp"
#include "external_devices.hpp"
#include "health.hpp"
#include "log_rotation.hpp"
#include "openwhisk_setup.hpp"
#include "port_budget.hpp"
#include "rabbitmq_accounts.hpp"
#include "relayer/backend_names.hpp"
#include "relayer_plan.hpp"
#include "remote_agents.hpp"
#include "routing_fingerprint.hpp"
#include "run_file.hpp"
#include "site_brokers.hpp"
#include "snet/broker_credentials.hpp"
#include "snet/flags.hpp"
#include "snet/http_guard.hpp"
#include "snet/log.hpp"
#include "snet/log_flags.hpp"
#include "snet/net.hpp"
#include "snet/open_files.hpp"
#include "snet/shutdown.hpp"
#include "snet/status.hpp"
#include "snet/tls_files.hpp"
#include "snet/topology.hpp"
#include "snet/version.hpp"
#include "stack.hpp"
#include "stale_sessions.hpp"
#include "state_client.hpp"
#include "supervisor.hpp"
#include "topology_path.hpp"
#include "trigger_setup.hpp"
#include "whisk_key.hpp"

namespace snet::cli {
namespace {

/// How many ports net.ipv4.ip_local_port_range allows (0 when it cannot be read).
long ephemeral_port_count() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  long low = 0, high = -1;
  return range >> low >> high ? high - low + 1 : 0;
}
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

Flags up_flags() {
  Flags flags("snet up [TOPOLOGY]",
              "Starts the broker, relayer(s), compute, state service and agents, restarts any "
              "that exits (--restart), and stops them all on Ctrl-C.");
  flags.add("topology", "SNET_TOPOLOGY", "topology/single.json", "topology file or name")
      .add("broker-url", "SNET_BROKER_URL", "",
           "use this running broker (mqtt:// or, for RabbitMQ, amqp://) instead of starting one")
      .add("mqtt-url", "SNET_MQTT_URL", "",
           "with --broker-url amqp://: RabbitMQ's MQTT listener for MQTT devices")
      .add("mqtt-port", "SNET_MQTT_PORT", "1883",
           "MQTT port of the broker snet up starts (mosquitto, or RabbitMQ's MQTT plugin)")
      .add("amqp-port", "SNET_AMQP_PORT", "5672", "AMQP port of the RabbitMQ snet up starts")
      .add("rabbitmq-nodes", "SNET_RABBITMQ_NODES", "1",
           "RabbitMQ topologies: start a cluster of this many nodes (the first on --amqp-port and "
           "--mqtt-port, the others on free ports; quorum queues; every client is given every "
           "node and fails over)")
      .add_switch("tls", "SNET_TLS",
                  "TLS listeners too (a CA per data dir in <data-dir>/tls/): the services and "
                  "devices connect over mqtts:// / amqps://")
      .add("mqtts-port", "SNET_MQTTS_PORT", "8883", "with --tls: the MQTT-over-TLS port")
      .add("amqps-port", "SNET_AMQPS_PORT", "5671", "with --tls on RabbitMQ: the AMQPS port")
      .add("mqtt-bind", "SNET_MQTT_BIND", "127.0.0.1",
           "address(es) the broker snet up starts listens on, comma-separated, same ports: the "
           "first for snet up's own clients (keep loopback first), e.g. 127.0.0.1,<this host's "
           "address> for agents on other hosts (--remote-agents)")
      .add("http-port", "SNET_HTTP_PORT", "8080", "port of the dashboard and REST API")
      .add("whisk-port", "SNET_WHISK_PORT", "3233",
           "port of snet-whisk, the bundled OpenWhisk-compatible compute (loopback only)")
      .add("openwhisk-apihost", "OPENWHISK_APIHOST", "",
           "use this OpenWhisk (URL) instead of starting snet-whisk (default: APIHOST of "
           "$WSK_CONFIG_FILE or ~/.wskprops, else the bundled snet-whisk)")
      .add("openwhisk-auth", "OPENWHISK_AUTH", "",
           "its key uuid:key (default: AUTH of the wsk properties, else snet-whisk's "
           "development key); passed to the relayers in their environment, never their "
           "command line")
      .add("openwhisk-namespace", "OPENWHISK_NAMESPACE", "",
           "its namespace (default: NAMESPACE of the wsk properties, else _)")
      .add_switch("openwhisk-insecure", "OPENWHISK_INSECURE",
                  "accept its self-signed TLS certificate (as wsk -i)")
      .add("actions-dir", "SNET_ACTIONS_DIR", "",
           "deploy every *.js of this directory as an action (default: the bundled actions/ "
           "to the bundled snet-whisk; nothing to an external OpenWhisk)")
      .add("http-bind", "SNET_HTTP_BIND", "127.0.0.1", "address of the dashboard and REST API")
      .add("control-port", "SNET_CONTROL_PORT", "0",
           "port of the supervisor's control endpoint on 127.0.0.1 (0: a free one); its URL is "
           "printed and written to <data-dir>/run.json")
      .add("agents", "SNET_AGENTS", "auto",
           "how many agents share the devices (agent-0..agent-N-1, each `--shard i/N`): auto "
           "(one, or as many as keep each under its open-file limit with headroom), or 1-64")
      .add_switch("remote-agents", "SNET_REMOTE_AGENTS",
                  "the agents run on other hosts, one `snet-agent --shard i/N` each: make their "
                  "broker logins, start none, print each one's command (docs/hosts.md)")
      .add("relayers", "SNET_RELAYERS", "",
           "how many relayers share the press load, 1-16 (default: the topology's \"relayers\", "
           "else 1)")
      .add("restart", "SNET_RESTART", "on-failure",
           "restart a service that exits: on-failure (non-zero exit or signal), always, or no")
      .add("data-dir", "SNET_DATA_DIR", "data", "broker persistence, database and logs")
      .add("start-timeout-s", "SNET_START_TIMEOUT", "30", "how long the services get to come up")
      .add("stop-timeout-s", "SNET_STOP_TIMEOUT", "5",
           "how long services get to stop on their own before they are killed")
      .add("links", "SNET_LINKS", "auto",
           "engine of the emulated network (topologies with sites or links): kernel (network "
           "namespaces, a veth pair per site, each device its own address; tc tbf/htb for "
           "rate, iptables for loss and cuts; needs root or CAP_NET_ADMIN), process (the "
           "agents' in-process shaper; works anywhere), auto (kernel where it can, the process "
           "engine for what this kernel lacks, e.g. latency and jitter without sch_netem), off "
           "(no emulation)")
      .add("links-subnet", "SNET_LINKS_SUBNET", "",
           "with the kernel engine: the IPv4 range of the sites' addresses (default: the first "
           "/16 of 10.213.0.0-10.250.255.255 no route of this machine uses)");
  flags.add("log-max-bytes", "SNET_LOG_MAX_BYTES", "10485760",
            "size at which a service's log under <data-dir> is rotated: its lines move to "
            "<log>.1 (the one older copy kept) and it starts again empty; 0: never");
  log::add_flags(flags);
  return flags;
}

struct Settings {
  std::string topology_path, broker_url, mqtt_url, http_bind, data_dir, log_dir;
  int mqtt_port = 0, amqp_port = 0, http_port = 0, whisk_port = 0, control_port = 0;
  bool tls = false;
  int mqtts_port = 0, amqps_port = 0;
  int relayers = 1;
  int rabbitmq_nodes = 1;
  std::uintmax_t log_max_bytes = 0;  // 0: the logs are not rotated
  RestartMode restart = RestartMode::on_failure;
  milliseconds start_timeout{}, stop_timeout{};
  OpenWhiskChoice openwhisk;
  std::string given_auth;  // the key given by flag, environment or wsk properties ("": none)
  /// The bundled snet-whisk's: its generated key (whisk.auth) and unpacked actions.
  std::string whisk_data_dir() const { return data_dir + "/whisk"; }
  bool openwhisk_insecure = false;
  std::string actions_dir;  // "": none given
  kernel::LinksMode links = kernel::LinksMode::automatic;
  std::string links_subnet;  // "": a free one
  BrokerBinds binds;         // --mqtt-bind
  bool remote_agents = false;
  std::string remote_host;  // --remote-agents: where the other hosts reach the broker
};

RelayerDefaults relayer_defaults(const Settings& s) {
  RelayerDefaults defaults;
  defaults.relayers = s.relayers;
  defaults.openwhisk = s.openwhisk;
  defaults.insecure = s.openwhisk_insecure;
  defaults.bundled_apihost =
      openwhisk::normalize_apihost("http://127.0.0.1:" + std::to_string(s.whisk_port));
  defaults.bundled_auth = openwhisk::data_dir_key(s.whisk_data_dir());
  defaults.given_auth = s.given_auth;
  defaults.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  return defaults;
}

// The broker accounts of the services this run starts (broker_accounts.hpp).
std::vector<ServiceAccount> service_accounts(const std::vector<RelayerGroup>& groups,
                                             const std::vector<std::string>& agents) {
  std::vector<ServiceAccount> services;
  for (const auto& group : groups) {
    for (const auto& name : group.names) services.push_back({name, ServiceRole::relayer});
  }
  services.push_back({"state", ServiceRole::state});
  for (const auto& agent : agents) services.push_back({agent, ServiceRole::agent});
  services.push_back({"whisk", ServiceRole::whisk});
  return services;
}

// A site's supervised program: "site-<id>-broker", "site-<id>-agent" (site ids are names, so
// these never clash with agent-N or a service).
std::string site_service(const std::string& site, const char* what) {
  return "site-" + site + "-" + what;
}

std::string loopback_if_any(const std::string& bind) {
  return bind == "0.0.0.0" || bind == "::" ? "127.0.0.1" : bind;
}

// actions/ of an installed tree, else of the source tree.
std::string bundled_actions_dir() {
  const fs::path installed = fs::path(self_dir()) / "../share/serverlessnet/actions";
  if (fs::is_directory(installed)) return fs::canonical(installed).string();
  return SNET_SOURCE_DIR "/actions";
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

Settings read_settings(const Flags& flags, const Topology& topology) {
  Settings s;
  s.mqtt_port = static_cast<int>(flags.integer("mqtt-port", 1, 65535));
  s.amqp_port = static_cast<int>(flags.integer("amqp-port", 1, 65535));
  s.tls = flags.on("tls");
  s.mqtts_port = static_cast<int>(flags.integer("mqtts-port", 1, 65535));
  s.amqps_port = static_cast<int>(flags.integer("amqps-port", 1, 65535));
  if (s.tls && flags.given("broker-url")) {
    throw UsageError(
        "--tls makes the broker snet up starts listen on TLS; for a broker of yours give an "
        "mqtts:// or amqps:// --broker-url and its CA in $SNET_BROKER_CA_FILE");
  }
  s.rabbitmq_nodes = static_cast<int>(flags.integer("rabbitmq-nodes", 1, 9));
  if (s.rabbitmq_nodes > 1) {
    if (topology.broker != BrokerKind::rabbitmq) {
      throw UsageError("--rabbitmq-nodes " + std::to_string(s.rabbitmq_nodes) + ": topology '" +
                       topology.name +
                       "' runs on Mosquitto, which has no clustering; give it \"broker\": "
                       "\"rabbitmq\" (or bridge sites' brokers to the core: topology/README.md)");
    }
    if (flags.given("broker-url")) {
      throw UsageError(
          "--rabbitmq-nodes starts a cluster; with --broker-url name every node "
          "of yours in it instead (amqp://user@h1:p1,h2:p2/vhost?queue-type=quorum)");
    }
  }
  s.whisk_port = static_cast<int>(flags.integer("whisk-port", 1, 65535));
  s.http_port = static_cast<int>(flags.integer("http-port", 1, 65535));
  s.control_port = static_cast<int>(flags.integer("control-port", 0, 65535));
  s.relayers = flags.str("relayers").empty()
                   ? topology.relayers
                   : static_cast<int>(flags.integer("relayers", 1, Topology::kMaxRelayers));
  try {
    s.restart = parse_restart_mode(flags.str("restart"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--restart: ") + e.what());
  }
  s.start_timeout = std::chrono::seconds(flags.integer("start-timeout-s", 1, 3600));
  if (s.rabbitmq_nodes > 1 && !flags.given("start-timeout-s")) {
    // A fresh cluster boots node by node (13-16 s here, more on a busy machine).
    s.start_timeout =
        std::max<std::chrono::milliseconds>(s.start_timeout, std::chrono::seconds(180));
  }
  s.stop_timeout = std::chrono::seconds(flags.integer("stop-timeout-s", 1, 600));
  s.http_bind = flags.str("http-bind");
  s.data_dir = fs::absolute(flags.str("data-dir")).lexically_normal().string();
  s.log_dir = s.data_dir + "/logs";
  s.log_max_bytes =
      static_cast<std::uintmax_t>(flags.integer("log-max-bytes", 0, 1'000'000'000'000L));
  const openwhisk::OpenWhiskConfig given_flags{flags.str("openwhisk-apihost"),
                                               flags.str("openwhisk-auth"),
                                               flags.str("openwhisk-namespace")};
  const auto env = openwhisk::openwhisk_config_from_env();
  const auto wskprops = openwhisk::read_wskprops(openwhisk::default_wskprops_path());
  s.openwhisk = choose_openwhisk(given_flags, env, wskprops,
                                 "http://127.0.0.1:" + std::to_string(s.whisk_port));
  s.given_auth = openwhisk::merge_openwhisk_config(given_flags, env, wskprops, {}).auth;
  s.openwhisk_insecure = flags.on("openwhisk-insecure");
  // The bundled snet-whisk and its relayers share the data directory's generated key, not
  // OpenWhisk's public guest key.
  if (!s.openwhisk.external) s.openwhisk.server.auth = openwhisk::data_dir_key(s.whisk_data_dir());
  try {
    s.links = kernel::parse_links_mode(flags.str("links"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--links: ") + e.what());
  }
  s.links_subnet = flags.str("links-subnet");
  s.binds = parse_broker_binds(flags.str("mqtt-bind"));
  s.remote_agents = flags.on("remote-agents");
  if (s.remote_agents) {
    s.remote_host = flags.given("broker-url") ? parse_url(flags.str("broker-url"), 0).host
                                              : address_for_other_hosts(s.binds);
    if (s.remote_host.empty() || loopback_host(s.remote_host)) {
      throw UsageError(
          "--remote-agents: the broker listens on loopback only, which no other host reaches; "
          "add this host's address, e.g. --mqtt-bind 127.0.0.1,192.0.2.10 (or give a "
          "--broker-url the agents' hosts reach)");
    }
  }
  if (flags.given("actions-dir")) {
    s.actions_dir = fs::absolute(flags.str("actions-dir")).lexically_normal().string();
  }
  return s;
}

}  // namespace

int up_command(int argc, const char* const* argv, int first) {
  ShutdownSignal shutdown;  // before any thread, so every thread leaves the signals to us
  Flags flags = up_flags();
  Settings s;
  Topology topology;
  try {
    if (!flags.parse(argc, argv, first)) return 0;
    if (flags.positional().size() > 1) throw UsageError("give at most one topology");
    log::apply_flags(flags);
    const std::string topology_arg =
        flags.positional().empty() ? flags.str("topology") : flags.positional()[0];
    const std::string topology_path = resolve_topology_path(topology_arg);
    try {
      topology = load_topology(topology_path);
      relayer::check_backends(topology, topology_path);  // the backends are the relayer's to know
    } catch (const TopologyError& e) {
      std::cerr << "snet up: " << e.what() << "\n";
      return 1;
    }
    s = read_settings(flags, topology);
    s.topology_path = topology_path;
  } catch (const std::exception& e) {
    std::cerr << "snet up: " << e.what() << "\n";
    return 2;
  }
  log::set_component("up");
  try {
    fs::create_directories(s.log_dir);
  } catch (const fs::filesystem_error& e) {
    std::cerr << "snet up: cannot create " << s.log_dir << ": " << e.code().message() << "\n";
    return 1;
  }
  raise_open_file_limit();  // children (mosquitto, the agent) inherit it
  // One stack per data dir (they would share the broker's persistence); a stale run file of a
  // `snet up` that was killed is replaced.
  if (const auto running = find_running(s.data_dir);
      running.state == RunLookup::State::running && running.info.pid != ::getpid()) {
    std::cerr << "snet up: a `snet up` (pid " << running.info.pid << ") already runs with data dir "
              << s.data_dir << "; stop it, or give another --data-dir\n";
    return 1;
  } else if (running.state == RunLookup::State::stale) {
    log::info(running.problem, "; replacing it");
  }
  remove_run_file(s.data_dir);

  // The emulated network first: the broker must listen on its core bridge, and it is torn down
  // after everything else has stopped (declared before the supervisor).
  std::unique_ptr<EmulatedNetwork> network;
  try {
    network = std::make_unique<EmulatedNetwork>(topology, s.links, s.links_subnet, s.data_dir);
  } catch (const std::exception& e) {
    std::cerr << "snet up: links: " << e.what() << "\n";
    return 1;
  }
  // The agents: one, or past the open-file limit (with headroom) several, each a shard.
  std::vector<std::string> agents;
  try {
    std::size_t hosted = 0;
    for (const Device& device : topology.devices) hosted += device.external ? 0 : 1;
    if (s.remote_agents && network->kernel()) {
      throw UsageError(
          "--remote-agents: the kernel link engine places the devices in this host's network "
          "namespaces; give --links process or off");
    }
    const long open_files = raise_open_file_limit();
    const std::size_t per_device = network->relays() ? 4 : 1;
    const int count = agent_count(flags.str("agents"), hosted, open_files, per_device);
    agents = agent_names(count);
    if (count > 1) {
      log::info(hosted, " devices (", per_device, " descriptor", per_device > 1 ? "s" : "",
                " each) over ", count, " agents: open-file limit ", open_files);
    }
    if (hosted > devices_per_agent(open_files, per_device) * static_cast<std::size_t>(count)) {
      log::warn("the agents need more descriptors than their open-file limit ", open_files,
                " allows; raise the hard limit (ulimit -Hn) or give --agents");
    }
    // What takes ports of the ephemeral range (port_budget.hpp): refused now, not a timeout.
    PortDemand demand;
    demand.agents = agents.size();
    demand.relayed = network->relays();
    demand.placed = network->kernel();
    demand.broker_loopback =
        loopback_v4_host(flags.given("broker-url") ? parse_url(flags.str("broker-url"), 0).host
                                                   : loopback_if_any(s.binds.first));
    for (const Device& device : topology.devices) {
      const bool amqp = device.protocol == Protocol::amqp;
      auto& of_kind = device.external ? (amqp ? demand.external_amqp : demand.external_mqtt)
                                      : (amqp ? demand.amqp_devices : demand.mqtt_devices);
      ++of_kind;
    }
    const PortBudget budget = port_budget(demand);
    if (const auto problem = port_budget_problem(budget, ephemeral_port_count());
        !problem.empty()) {
      std::cerr << "snet up: " << problem << "\n";
      return 1;
    }
    log::debug("ports: ", budget.needed(), " of the ", ephemeral_port_count(), " ephemeral ports (",
               budget.connections, " connections to one broker address, ", budget.listeners,
               " relay listeners)");
    if (!flags.given("broker-url") && topology.broker == BrokerKind::mosquitto &&
        static_cast<long>(hosted) + 256 > open_files) {
      log::warn("mosquitto inherits the open-file limit ", open_files, ", too few for ", hosted,
                " devices' connections; raise the hard limit (ulimit -Hn)");
    }
  } catch (const std::exception& e) {
    std::cerr << "snet up: " << e.what() << "\n";
    return 2;
  }

  Metrics metrics;
  Supervisor::Options supervision;
  supervision.restart = s.restart;
  supervision.stop_grace = s.stop_timeout;
  Supervisor supervisor(supervision, metrics, std::cout);
  supervisor.set_fail_fast(true);  // until everything is up: a broken set-up fails at once

  ControlApi control(supervisor, s.control_port);
  try {
    control.start();
  } catch (const std::exception& e) {
    std::cerr << "snet up: cannot serve the control endpoint: " << e.what() << "\n";
    return 1;
  }

  // Before the broker stops: the kernel engine's retained reports are cleared through it.
  const auto stop_link_reports = [&] {
    if (network) network->stop_applier();
  };
  // Stops whatever runs, and says why start-up failed (with the log of a service that died).
  auto give_up = [&](const std::string& why, const std::string& log_of) {
    std::cerr << "snet up: " << why << "\n";
    if (!log_of.empty()) {
      const std::string log = supervisor.log_path(log_of);
      std::cerr << "End of " << log << ":\n" << tail_of_file(log, 15);
    }
    supervisor.stop_all([&](milliseconds d) { return shutdown.wait_for(d) != 0; },
                        stop_link_reports);
    control.stop();
    return 1;
  };
  const auto deadline = Clock::now() + s.start_timeout;
  // Runs the supervisor until `wanted` are all running. 0: they are; kInterrupted: a signal
  // stopped everything (snet up then exits 0); else the exit code.
  constexpr int kInterrupted = -1;
  const auto exit_code = [](int rc) { return rc == kInterrupted ? 0 : rc; };
  auto await = [&](const std::vector<std::string>& wanted,
                   const std::function<std::vector<std::string>()>& extra_problems) -> int {
    while (true) {
      if (shutdown.wait_for(milliseconds(20)) != 0) {
        std::cout << "stopping (start-up interrupted)" << std::endl;
        supervisor.stop_all([&](milliseconds d) { return shutdown.wait_for(d) != 0; },
                            stop_link_reports);
        control.stop();
        return kInterrupted;  // asked to stop: not a failure, and nothing more to start
      }
      supervisor.tick();
      if (auto failure = supervisor.startup_failure()) {
        return give_up(*failure + " while starting; stopping everything",
                       failure->substr(0, failure->find(' ')));
      }
      std::vector<std::string> missing;
      for (const auto& name : wanted) {
        const auto view = supervisor.view(name);
        if (view && view->state != ServiceState::running) {
          missing.push_back(name + " (" + std::string(to_string(view->state)) + ")");
        }
      }
      if (missing.empty() && extra_problems) missing = extra_problems();
      if (missing.empty()) return 0;
      if (Clock::now() >= deadline) {
        return give_up("not ready after " + std::to_string(s.start_timeout.count() / 1000) +
                           " s: " + join(missing) + "; logs in " + s.log_dir,
                       "");
      }
    }
  };
  auto start_all = [&](const std::vector<std::string>& names) -> int {
    for (const auto& name : names) {
      try {
        supervisor.start(name);
      } catch (const std::exception& e) {
        return give_up(e.what() + std::string(" (looked in ") + self_dir() + ")", "");
      }
    }
    return 0;
  };

  // Sites with a broker of their own (site_brokers.hpp): a Mosquitto each, bridged to ours, and
  // an agent each for their devices; the other agents skip those devices.
  const std::vector<SiteBridge> bridges = site_bridges(topology);
  std::vector<std::string> site_agents;
  for (const auto& bridge : bridges) site_agents.push_back(site_service(bridge.site, "agent"));
  if (!bridges.empty() && flags.given("broker-url")) {
    return give_up(
        "sites with \"broker\": \"local\" are bridged to the Mosquitto snet up "
        "starts; --broker-url names a broker of yours",
        "");
  }
  std::vector<std::string> login_agents = agents;
  login_agents.insert(login_agents.end(), site_agents.begin(), site_agents.end());

  // Each compute of the topology its own relayers (relayer_plan.hpp): planned first, as the
  // broker's accounts name them.
  std::vector<RelayerGroup> groups;
  try {
    groups = plan_relayers(topology, relayer_defaults(s));
  } catch (const std::exception& e) {
    return give_up(e.what(), "");
  }
  // How each service logs in to the broker: its own user and password file on our Mosquitto or
  // RabbitMQ, and whatever the user's environment says on a broker of theirs.
  std::optional<BrokerAccounts> accounts;
  // --tls: where the services and devices connect instead (the plain listener stays, for
  // snet up's own clients and the operator's tools on this machine).
  std::string tls_broker_url, tls_mqtt_url, tls_ca_file;
  std::map<std::string, std::string> site_broker_urls;  // site -> its broker's mqtt:// URL

  // 1. The broker.
  if (flags.given("broker-url")) {
    s.broker_url = flags.str("broker-url");
    s.mqtt_url = flags.str("mqtt-url");
  } else {
    LocalBroker::Options options;
    options.kind = topology.broker;
    options.bind = s.binds.first;
    options.extra_binds = s.binds.more;
    if (network->kernel()) options.extra_binds.push_back(network->core_address());
    options.mqtt_port = s.mqtt_port;
    options.amqp_port = s.amqp_port;
    options.data_dir = s.data_dir;
    options.nodes = s.rabbitmq_nodes;
    options.routing_fingerprint = routing_fingerprint(topology);
    if (s.tls) {
      std::vector<std::string> hosts = {options.bind};
      hosts.insert(hosts.end(), options.extra_binds.begin(), options.extra_binds.end());
      try {
        options.tls = prepare_tls_files(s.data_dir + "/tls", hosts);
      } catch (const std::exception& e) {
        std::cerr << "snet up: --tls: " << e.what() << "\n";
        return 1;
      }
      options.mqtts_port = s.mqtts_port;
      options.amqps_port = s.amqps_port;
      tls_ca_file = options.tls.ca_cert;
    }
    if (topology.broker == BrokerKind::mosquitto) {
      try {
        options.run_as = broker_run_as(s.data_dir + "/mosquitto");
        accounts = prepare_broker_accounts(topology, service_accounts(groups, login_agents),
                                           s.data_dir, s.data_dir + "/mosquitto", options.run_as);
      } catch (const std::exception& e) {
        std::cerr << "snet up: broker logins: " << e.what() << "\n";
        return 1;
      }
      options.password_file = accounts->mosquitto_password_file;
      options.acl_file = accounts->mosquitto_acl_file;
    } else {
      try {
        // MQTT clients without a login (mosquitto_pub) only where only this machine reaches.
        const bool anonymous =
            options.extra_binds.empty() && (options.bind.rfind("127.", 0) == 0 ||
                                            options.bind == "::1" || options.bind == "localhost");
        RabbitMqAccounts rabbit = prepare_rabbitmq_accounts(
            topology, service_accounts(groups, agents), s.data_dir, s.data_dir + "/rabbitmq",
            broker_config_dir() + "/rabbitmq/definitions.json", anonymous);
        accounts = rabbit.accounts;
        options.definitions_file = rabbit.definitions_file;
        options.operator_user = kOperatorUser;
        options.operator_password = rabbit.operator_password;
        options.anonymous_password = rabbit.anonymous_password;
        options.logins_fingerprint = rabbit.logins_fingerprint;
      } catch (const std::exception& e) {
        std::cerr << "snet up: broker logins: " << e.what() << "\n";
        return 1;
      }
    }
    std::unique_ptr<LocalBroker> broker;
    try {
      broker = std::make_unique<LocalBroker>(options);
    } catch (const std::exception& e) {
      std::cerr << "snet up: cannot start " << to_string(topology.broker) << ": " << e.what()
                << "\n";
      return 1;
    }
    s.broker_url = broker->url();
    s.mqtt_url = broker->mqtt_url();
    tls_broker_url = without_password(broker->tls_url());
    tls_mqtt_url = broker->tls_mqtt_url();
    s.broker_url = without_password(s.broker_url);  // the passwords go by file
    std::vector<std::string> broker_names;
    auto nodes = broker->nodes();
    auto waves = broker->node_boot_waves();  // before the supervisor takes `broker`
    if (waves.empty()) waves = {{0}};
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      broker_names.push_back("rabbitmq-" + std::to_string(i + 1));
      supervisor.add(broker_names.back(), "broker", std::move(nodes[i]));
    }
    if (nodes.empty()) {  // else the nodes keep the cluster they share
      broker_names = {"broker"};
      supervisor.add("broker", "broker", std::move(broker));
    }
    if (topology.broker == BrokerKind::rabbitmq) {
      std::cout << (nodes.empty()
                        ? "starting RabbitMQ (a fresh node takes 5-15 s)..."
                        : "starting a RabbitMQ cluster of " + std::to_string(nodes.size()) +
                              " nodes (a fresh cluster takes 15-40 s)...")
                << std::endl;
    }
    for (const auto& wave : waves) {
      std::vector<std::string> names;
      for (const std::size_t i : wave) names.push_back(broker_names.at(i));
      if (const int rc = start_all(names); rc != 0) return rc;
      if (const int rc = await(names, nullptr); rc != 0) return exit_code(rc);
    }
    if (network->kernel()) {
      std::cout << "the emulated sites reach the broker at " << network->core_address() << "\n";
    }
    if (s.rabbitmq_nodes > 1) {
      std::cout << "rabbitmq cluster of " << s.rabbitmq_nodes << " nodes: " << s.broker_url
                << " and MQTT " << s.mqtt_url << "\n";
    } else if (topology.broker == BrokerKind::rabbitmq) {
      std::cout << "rabbitmq listening on " << options.bind << ": AMQP " << s.amqp_port << ", MQTT "
                << s.mqtt_port << "\n";
    } else {
      std::cout << "mosquitto listening on " << options.bind << ":" << s.mqtt_port;
      for (const auto& more : options.extra_binds) std::cout << ", " << more << ":" << s.mqtt_port;
      std::cout << "\n";
    }
    // Each site's broker once ours accepts its bridge.
    std::vector<std::string> site_brokers;
    for (const auto& bridge : bridges) {
      const std::string name = site_service(bridge.site, "broker");
      try {
        LocalBroker::Options site;
        site.kind = BrokerKind::mosquitto;
        site.mqtt_port = free_port();
        site.data_dir = s.data_dir + "/sites/" + bridge.site;
        // With the kernel engine the site's devices sit in namespaces that reach the root one
        // at the core address only (the broker runs beside ours, not in the site's namespace).
        if (network->kernel()) site.extra_binds = {network->core_address()};
        site.run_as = options.run_as;
        const SiteBrokerFiles files = prepare_site_broker_accounts(
            topology, bridge, *accounts, site.data_dir + "/mosquitto", site.run_as);
        site.password_file = files.password_file;
        site.acl_file = files.acl_file;
        site.extra_config =
            bridge_config(topology.name, bridge,
                          {loopback_if_any(options.bind), s.mqtt_port, files.bridge_password});
        auto site_broker = std::make_unique<LocalBroker>(site);
        site_broker_urls[bridge.site] = site_broker->mqtt_url();
        std::cout << "site '" << bridge.site
                  << "': mosquitto listening on 127.0.0.1:" << site.mqtt_port
                  << ", bridged to the core (" << bridge.devices.size() << " devices)\n";
        supervisor.add(name, "broker", std::move(site_broker));
      } catch (const std::exception& e) {
        return give_up("site '" + bridge.site + "': cannot start its broker: " + e.what(), "");
      }
      site_brokers.push_back(name);
    }
    if (const int rc = start_all(site_brokers); rc != 0) return rc;
    if (const int rc = await(site_brokers, nullptr); rc != 0) return exit_code(rc);
    if (s.tls) {
      std::cout << "TLS: the services and devices use " << tls_broker_url
                << (tls_mqtt_url != tls_broker_url ? " and " + tls_mqtt_url : "") << "; CA "
                << tls_ca_file << " (e.g. mosquitto_pub --cafile " << tls_ca_file << " -h "
                << parse_url(tls_mqtt_url, 0).host << " -p " << s.mqtts_port << " ...)\n";
    }
  }
  // snet up's own clients (status watch, stale sessions, links, its status) log in as the
  // operator; the URL with the password stays in this process.
  const std::string operator_url =
      accounts ? with_url_password(with_url_user(s.broker_url, kOperatorUser),
                                   read_secret_file(accounts->password_file(kOperatorUser)))
               : s.broker_url;
  const std::string services_url = tls_broker_url.empty() ? s.broker_url : tls_broker_url;
  auto url_of = [&](const std::string& service) {
    return accounts ? with_url_user(services_url, service_user(service)) : services_url;
  };
  auto login_secrets = [&](const std::string& service) -> std::map<std::string, std::string> {
    if (accounts) {
      return {{kBrokerPasswordFileEnv, accounts->password_file(service_user(service))},
              {kBrokerPasswordEnv, ""}};
    }
    return {};  // a broker of the user's: their environment's password, if any
  };
  auto login_env = [&](const std::string& service) -> std::map<std::string, std::string> {
    auto env = login_secrets(service);
    if (!tls_ca_file.empty()) env[kBrokerCaFileEnv] = tls_ca_file;  // verify the broker with it
    return env;
  };

  // 2. The services, each ready once it reports online after it started.
  std::unique_ptr<StatusWatch> status_watch;
  try {
    status_watch = std::make_unique<StatusWatch>(operator_url, topology.name, now_us());
  } catch (const std::exception& e) {
    return give_up(
        "cannot watch the services' status on " + redacted_url(s.broker_url) + ": " + e.what(), "");
  }
  StatusWatch& watch = *status_watch;
  auto online = [&watch](const std::string& name) {
    return [&watch, name](Micros started) { return watch.online_since(name, started); };
  };
  const std::string bin = self_dir();
  const std::vector<std::string> common = {"--topology",   s.topology_path,
                                           "--log-level",  flags.str("log-level"),
                                           "--log-format", flags.str("log-format")};
  auto with = [&](std::vector<std::string> head, std::vector<std::string> tail) {
    head.insert(head.end(), common.begin(), common.end());
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
  };
  // Each service with its own broker login: the user in --broker-url, the password by file.
  auto add = [&](const std::string& name, const std::string& kind, std::vector<std::string> command,
                 std::map<std::string, std::string> env = {}) {
    command.insert(command.begin() + 1, {"--broker-url", url_of(name)});
    env.merge(login_env(name));
    supervisor.add(
        name, kind,
        std::make_unique<ServiceProgram>(std::move(command), s.log_dir + "/" + name + ".log",
                                         online(name), std::move(env)));
  };
  // The relayers get their OpenWhisk explicitly, not from their environment or wskprops; its
  // key by environment variable, so that `ps` does not show it.
  const openwhisk::OpenWhiskConfig& openwhisk = s.openwhisk.server;
  std::vector<std::string> relayers;
  bool bundled_whisk = !s.openwhisk.external;  // as ever, unless every compute is elsewhere
  for (const auto& group : groups) {
    if (!group.compute.empty() && group.backend == "openwhisk" && group.bundled) {
      bundled_whisk = true;
    }
    for (const auto& name : group.names) {
      std::vector<std::string> tail = {"--openwhisk-apihost", group.openwhisk.apihost,
                                       "--openwhisk-namespace", group.openwhisk.ns};
      if (group.insecure) tail.push_back("--openwhisk-insecure");
      if (name != "relayer") tail.insert(tail.end(), {"--name", name});
      if (!group.compute.empty()) tail.insert(tail.end(), {"--compute", group.compute});
      // One relayer per compute evaluates its rules: each that did would fire them.
      if (name != group.names.front()) tail.insert(tail.end(), {"--rules", "off"});
      add(name, "relayer", with({bin + "/snet-relayer"}, tail),
          {{"OPENWHISK_AUTH", group.openwhisk.auth}});
      relayers.push_back(name);
    }
  }
  // The bundled compute, with actions/*.js deployed, so "openwhisk" buttons work out of the box.
  if (bundled_whisk) {
    add("whisk", "whisk",
        with({bin + "/snet-whisk"},
             {"--http-port", std::to_string(s.whisk_port), "--data-dir", s.whisk_data_dir(),
              "--actions-dir", s.actions_dir.empty() ? bundled_actions_dir() : s.actions_dir}));
  }
  // The state API's bearer token (changes need it when --http-bind is not a loopback address):
  // kept in the data dir (0600) and given to snet-state by file name, never on a command line.
  const std::string token_file = http_token_file(s.data_dir);
  std::string http_token;
  try {
    http_token = http::ensure_token_file(token_file);
  } catch (const std::exception& e) {
    return give_up(e.what(), "");
  }
  add("state", "state",
      with({bin + "/snet-state"}, {"--http-port", std::to_string(s.http_port), "--http-bind",
                                   s.http_bind, "--data-dir", s.data_dir + "/state"}),
      {{"SNET_SUPERVISOR_URL", control.url()}, {"SNET_HTTP_TOKEN_FILE", token_file}});
  std::vector<std::string> agent_tail;
  if (!tls_mqtt_url.empty()) {
    agent_tail = {"--mqtt-url", tls_mqtt_url};
  } else if (!s.mqtt_url.empty()) {
    agent_tail = {"--mqtt-url", s.mqtt_url};
  }
  for (auto& arg : network->agent_args()) agent_tail.push_back(std::move(arg));
  if (accounts)
    agent_tail.insert(agent_tail.end(), {"--device-credentials-file", accounts->devices_file});
  if (network->kernel()) {
    if (flags.given("broker-url")) {
      log::warn("links: the emulated sites reach only a broker listening on ",
                network->core_address(), " (--broker-url names one of yours)");
    }
    BusOptions links_bus;
    links_bus.url = operator_url;
    links_bus.client_id = "snet-" + topology.name + "-links-kernel";
    links_bus.log_connection_changes = false;  // the supervisor reports the broker's deaths
    try {
      network->start_applier(links_bus, topology.name);
    } catch (const std::exception& e) {
      return give_up(std::string("links: cannot follow the link updates: ") + e.what(), "");
    }
  }
  std::vector<RemoteAgent> remote_agents;  // --remote-agents: the commands, not the processes
  for (std::size_t i = 0; i < agents.size(); ++i) {
    std::vector<std::string> tail = agent_tail;
    if (agents.size() > 1) {
      const int count = static_cast<int>(agents.size());
      tail.insert(tail.end(),
                  {"--name", agents[i], "--shard", std::to_string(i) + "/" + std::to_string(count),
                   "--connect-batch", std::to_string(connect_batch_per_agent(count))});
    }
    if (!bridges.empty()) tail.insert(tail.end(), {"--broker-site", "core"});
    if (s.remote_agents) {
      // Each host gets the passwords of its own devices only.
      std::vector<std::string> args = with({"--broker-url", url_of(agents[i])}, tail);
      try {
        const std::string credentials =
            accounts ? write_shard_credentials(accounts->devices_file, accounts->credentials_dir,
                                               agents[i],
                                               shard_device_ids(topology, static_cast<int>(i),
                                                                static_cast<int>(agents.size())))
                     : "";
        remote_agents.push_back(remote_agent(agents[i], std::move(args), login_env(agents[i]),
                                             s.remote_host, credentials));
      } catch (const std::exception& e) {
        return give_up(std::string("--remote-agents: ") + e.what(), "");
      }
      continue;
    }
    add(agents[i], "agent", with({bin + "/snet-agent"}, tail));
  }
  if (s.remote_agents) {
    try {
      write_remote_agents(s.data_dir, remote_agents);
    } catch (const std::exception& e) {
      return give_up(e.what(), "");
    }
  } else {
    std::error_code ignored;  // an earlier run's commands would name agents that do not run now
    fs::remove(remote_agents_path(s.data_dir), ignored);
  }
  // A site's agent: its service connection (status, link updates) to ours, its devices to the
  // site's broker.
  for (std::size_t i = 0; i < bridges.size(); ++i) {
    std::vector<std::string> tail;
    for (std::size_t a = 0; a < agent_tail.size(); ++a) {
      if (agent_tail[a] == "--mqtt-url") {
        ++a;
        continue;
      }
      tail.push_back(agent_tail[a]);
    }
    tail.insert(tail.end(), {"--mqtt-url", site_broker_urls.at(bridges[i].site), "--name",
                             site_agents[i], "--broker-site", bridges[i].site});
    add(site_agents[i], "agent", with({bin + "/snet-agent"}, tail));
  }
  // External devices: the programs the topology names, each told its login by environment.
  ExternalConnection external;
  external.mqtt_url =
      !tls_mqtt_url.empty() ? tls_mqtt_url : (s.mqtt_url.empty() ? s.broker_url : s.mqtt_url);
  external.amqp_url = services_url;
  external.ca_file = tls_ca_file;
  external.accounts = accounts ? &*accounts : nullptr;
  external.topology_path = fs::absolute(s.topology_path).lexically_normal().string();
  std::vector<std::string> rest = {"state"};
  if (!s.remote_agents) rest.insert(rest.end(), agents.begin(), agents.end());
  rest.insert(rest.end(), site_agents.begin(), site_agents.end());
  for (const Device& device : topology.devices) {
    if (!device.external || device.command.empty()) continue;
    const std::string name = external_service_name(device.id);
    supervisor.add(
        name, "external",
        std::make_unique<ExternalProgram>(
            device.command, fs::path(external.topology_path).parent_path().string(),
            s.log_dir + "/" + name + ".log", external_device_env(topology, device, external)));
    rest.push_back(name);
  }

  std::cout << "starting topology '" << topology.name << "' (" << topology.devices.size()
            << " devices, " << relayers.size() << (relayers.size() == 1 ? " relayer" : " relayers")
            << "), logs in " << s.log_dir << std::endl;
  // Each external OpenWhisk gets the user's actions, if any, before anything starts.
  if (!s.actions_dir.empty()) {
    for (const auto& target : external_openwhisks(groups)) {
      if (auto failed = deploy_actions_to(s.actions_dir, target); !failed.empty()) {
        return give_up(failed, "");
      }
    }
  }
  // Relayers (and the bundled snet-whisk) first and ready (subscribed) before anything can press.
  std::vector<std::string> first_up = relayers;
  if (bundled_whisk) first_up.push_back("whisk");
  if (const int rc = start_all(first_up); rc != 0) return rc;
  if (const int rc = await(first_up, nullptr); rc != 0) return exit_code(rc);
  // Sessions of relayers an earlier run had and this one has not still take a share of every
  // press on Mosquitto: their queues go to the relayers now subscribed, before anything presses.
  const bool mqtt_broker =
      s.broker_url.rfind("mqtt://", 0) == 0 || s.broker_url.rfind("tcp://", 0) == 0;
  if (mqtt_broker && topology.broker == BrokerKind::mosquitto) {
    std::vector<ServiceSession> sessions;
    for (const auto& name : relayers) {
      sessions.push_back({"snet-" + topology.name + "-" + name, "relayer"});
    }
    sessions.push_back({"snet-" + topology.name + "-state", "state"});
    hand_over_stale_sessions(operator_url, s.data_dir, sessions, metrics,
                             std::min(s.start_timeout, milliseconds(10'000)));
  }
  // Every action a button names must exist on its compute, or its first press would fail (404).
  for (const auto& group : groups) {
    if (auto problem = check_actions(group); !problem.empty()) return give_up(problem, "");
  }
  // Trigger computes: on each compute's OpenWhisk, the trigger (the broker's MQTT URL bound to
  // it, for the action to publish the commands to) and its rule to the action, before anything
  // can press.
  // On our Mosquitto the action logs in as snet.compute; its password is a trigger parameter
  // (kept by the compute, shown to holders of its key only).
  std::string action_broker_url = s.mqtt_url.empty() ? s.broker_url : s.mqtt_url;
  if (accounts) {
    action_broker_url = with_url_password(with_url_user(action_broker_url, kComputeUser),
                                          read_secret_file(accounts->password_file(kComputeUser)));
  }
  for (const auto& group : groups) {
    const auto buttons =
        group.compute.empty() ? topology.buttons() : topology.buttons_using(group.compute);
    for (const auto& [trigger, action] : openwhisk_triggers_of(buttons)) {
      try {
        openwhisk::ensure_trigger_rule(group.openwhisk, trigger, action,
                                       {{"broker_url", action_broker_url}}, group.insecure);
      } catch (const std::exception& e) {
        return give_up("cannot make trigger '" + trigger + "' and its rule to action '" + action +
                           "' on " + group.openwhisk.apihost + ": " + e.what(),
                       "");
      }
      std::cout << "OpenWhisk trigger " << trigger << " fires rule "
                << openwhisk::trigger_rule_name(trigger, action) << " -> action " << action
                << " (broker_url " << redacted_url(action_broker_url) << ")" << std::endl;
    }
  }
  if (const int rc = start_all(rest); rc != 0) return rc;
  const std::string http_host = loopback_if_any(s.http_bind);
  const int rc = await(rest, [&]() -> std::vector<std::string> {
    if (http_ok(http_host, s.http_port, "/healthz", milliseconds(300))) return {};
    return {"state (GET /healthz on port " + std::to_string(s.http_port) + " does not answer 200)"};
  });
  if (rc != 0) return exit_code(rc);
  supervisor.set_fail_fast(false);

  // The supervisor's own status (restart counters for the dashboard's health strip).
  BusOptions bus_options;
  bus_options.url = s.mqtt_url.empty() || accounts ? operator_url : s.mqtt_url;
  bus_options.client_id = "snet-" + topology.name + "-supervisor";
  bus_options.will = status_will(topology.name, "supervisor");
  bus_options.log_connection_changes = false;  // the supervisor reports the broker's deaths itself
  std::unique_ptr<Bus> status_bus;
  std::unique_ptr<StatusReporter> reporter;
  try {
    status_bus = make_bus(bus_options);
    status_bus->start();
    reporter = std::make_unique<StatusReporter>(*status_bus, topology.name, "supervisor", metrics);
  } catch (const std::exception& e) {
    log::warn("the supervisor's status is not published: ", e.what());
  }

  const std::string http_url = "http://" + http_host + ":" + std::to_string(s.http_port);
  RunInfo run{topology.name,
              s.topology_path,
              s.data_dir,
              flags.given("broker-url") ? "external" : std::string(to_string(topology.broker)),
              without_password(s.broker_url),
              without_password(s.mqtt_url.empty() ? s.broker_url : s.mqtt_url),
              http_url,
              control.url(),
              openwhisk.apihost,
              static_cast<long>(::getpid()),
              version()};
  if (accounts) {  // the operator's login: snet press, run, link and health use it
    run.broker_url = with_url_user(s.broker_url, kOperatorUser);
    run.mqtt_url = with_url_user(s.mqtt_url.empty() ? s.broker_url : s.mqtt_url, kOperatorUser);
    run.broker_password_file = accounts->password_file(kOperatorUser);
  }
  try {
    write_run_file(s.data_dir, run);
  } catch (const std::exception& e) {
    log::warn(e.what(), " (snet press, health, ctl and link will not find this stack)");
  }
  std::cout << "control endpoint " << control.url() << " (GET /services)" << std::endl;
  if (accounts) {
    std::cout << "broker logins (mode 0600) in " << accounts->credentials_dir
              << "/: " << kOperatorUser
              << ".password is yours (snet press, run, link and health use it), "
              << "devices.credentials each device's; ";
    // The broker takes anonymous clients only when it listens on loopback alone.
    if (!network->kernel() && s.binds.more.empty() && loopback_host(s.binds.first)) {
      std::cout << "anonymous " << (topology.broker == BrokerKind::rabbitmq ? "MQTT " : "")
                << "clients on loopback may only press and read states and readings" << std::endl;
    } else {
      std::cout << "no anonymous clients (the broker listens beyond loopback)" << std::endl;
    }
  }
  if (http::token_required(http::TokenMode::automatic, s.http_bind)) {
    // For the user: other hosts reach the API, so changes need this (snet ctl and snet link
    // read it from the data dir; a browser elsewhere from the address's #token=).
    std::cout << "API token (POST/PUT need it: --http-bind " << s.http_bind
              << " is reachable from other hosts): " << http_token << "\n  from another host: "
              << "http://<this host>:" << s.http_port << "/#token=" << http_token << "  (kept in "
              << token_file << ")" << std::endl;
  }
  std::cout << external_devices_text(topology, external, s.log_dir);
  if (s.remote_agents) std::cout << remote_agents_text(remote_agents);
  std::cout << "Serverlessnet is up: dashboard " << http_url << "/  broker "
            << redacted_url(s.broker_url) << "  (Ctrl-C stops)" << std::endl;

  std::vector<std::string> logs;
  for (const auto& name : supervisor.names()) logs.push_back(supervisor.log_path(name));
  LogRotator rotator(std::move(logs), s.log_max_bytes);
  int sig = 0;
  while ((sig = shutdown.wait_for(milliseconds(20))) == 0) {
    supervisor.tick();
    rotator.tick();
  }

  std::cout << "stopping (signal " << sig << "; again to force)" << std::endl;
  const auto stop_started = Clock::now();
  // Our own status goes "offline" while the broker still runs, alongside the services' stop
  // (a bus takes up to a second to disconnect).
  std::thread status_stop([&] {
    reporter.reset();
    if (status_bus) status_bus->stop();
  });
  supervisor.stop_all([&](milliseconds d) { return shutdown.wait_for(d) != 0; },
                      [&] {
                        status_stop.join();
                        stop_link_reports();
                      });
  if (status_stop.joinable()) status_stop.join();
  control.stop();
  remove_run_file(s.data_dir);
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - stop_started);
  std::cout << "stopped in " << std::fixed << std::setprecision(2)
            << static_cast<double>(took.count()) / 1000.0 << " s" << std::endl;
  return 0;
}

}  // namespace snet::cli
