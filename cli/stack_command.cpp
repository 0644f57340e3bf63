// snet stack [TOPOLOGY] [-o FILE] [--credentials DIR]: writes the Docker Swarm stack file
// (docker-stack.yml, see stack_file.hpp), and with --credentials the broker logins, the API
// token and the RabbitMQ cluster's Erlang cookie that it (and docker-stack.rabbitmq-cluster.yml)
// references as secrets.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "output_flag.hpp"
#include "snet/flags.hpp"
#include "snet/http_guard.hpp"
#include "snet/topology.hpp"
#include "stack_file.hpp"
#include "topology_path.hpp"

namespace snet::cli {
namespace {
namespace fs = std::filesystem;

constexpr const char* kDefaultTopology = "topology/single.json";

Flags stack_flags() {
  Flags flags(
      "snet stack [TOPOLOGY] [-o FILE] [--credentials DIR]",
      "Writes the Docker Swarm stack file for TOPOLOGY (docker stack deploy -c FILE); "
      "with --credentials, the broker logins, API token and Erlang cookie it uses as secrets.");
  flags.add("topology", "SNET_TOPOLOGY", kDefaultTopology, "topology file or name")
      .add("output", "", "",
           "file to write (-o FILE); '-' or empty: standard output, unless --credentials is given")
      .add("credentials", "", "",
           "also write (or keep, from an earlier run) the stack's broker logins, API token and "
           "RabbitMQ cluster cookie "
           "into this folder: the stack file's SNET_STACK_SECRETS (default ./stack-secrets)")
      .add("broker-conf", "", "broker-config/mosquitto-stack.conf",
           "Mosquitto's login configuration, a swarm config of the stack")
      .add("max-agents", "", "8", "agent tasks that get a login (SNET_AGENTS may go up to it)")
      .add("max-relayers", "", "4", "relayer tasks that get a login (SNET_RELAYERS up to it)");
  return flags;
}

}  // namespace

int stack_command(int argc, const char* const* argv, int first) {
  const std::vector<std::string> args = with_long_output_flag(argc, argv);
  std::vector<const char*> argp;
  for (const auto& arg : args) argp.push_back(arg.c_str());

  Flags flags = stack_flags();
  int max_agents = 0, max_relayers = 0;
  try {
    if (!flags.parse(static_cast<int>(argp.size()), argp.data(), first)) return 0;
    if (flags.positional().size() > 1) throw UsageError("give at most one topology");
    max_agents = static_cast<int>(flags.integer("max-agents", 1, 64));
    max_relayers = static_cast<int>(flags.integer("max-relayers", 1, 64));
  } catch (const UsageError& e) {
    std::cerr << "snet stack: " << e.what() << "\n";
    return 2;
  }
  const std::string topology_arg =
      flags.positional().empty() ? flags.str("topology") : flags.positional()[0];
  const std::string path = resolve_topology_path(topology_arg);
  std::string output = flags.str("output");
  const std::string secrets = flags.str("credentials");
  const bool write_file = !output.empty() || secrets.empty();
  if (output.empty()) output = "-";
  try {
    const Topology topology = load_topology(path);
    if (!secrets.empty()) {
      prepare_broker_accounts(topology, stack_service_accounts(max_agents, max_relayers), secrets,
                              secrets + "/mosquitto");
      http::ensure_token_file(secrets + "/http-token");
      // docker-stack.rabbitmq-cluster.yml's Erlang cookie: any random printable text, kept, since
      // the nodes of an existing cluster must keep theirs.
      http::ensure_token_file(secrets + "/rabbitmq/erlang.cookie");
      std::cerr << "snet stack: broker logins, API token and cluster cookie of topology '"
                << topology.name << "' in " << secrets << " (the stack's SNET_STACK_SECRETS)\n";
    }
    if (!write_file) return 0;
    const std::string stack_dir = output == "-" ? "." : fs::absolute(output).parent_path().string();
    StackFileOptions options = stack_file_options(path, flags.str("broker-conf"), stack_dir);
    options.command_line =
        "snet stack" + (topology_arg == kDefaultTopology ? std::string() : " " + topology_arg);
    options.max_agents = max_agents;
    options.max_relayers = max_relayers;
    const std::string text = stack_file(topology, options);
    if (output == "-") {
      std::cout << text;
      return 0;
    }
    std::ofstream out(output, std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + output);
    std::cerr << "wrote " << output << "; deploy it with\n"
              << "  docker stack deploy --resolve-image never -c " << output << " snet\n";
  } catch (const std::runtime_error& e) {  // the topology, a file, mosquitto_passwd
    std::cerr << "snet stack: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace snet::cli
