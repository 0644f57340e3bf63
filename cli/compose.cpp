// snet compose [TOPOLOGY] [-o FILE]: writes a compose override with one agent container per
// device of the topology (see compose_override.hpp), for docker-compose.yml.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "compose_override.hpp"
#include "output_flag.hpp"
#include "snet/flags.hpp"
#include "snet/topology.hpp"
#include "topology_path.hpp"

namespace snet::cli {
namespace {
namespace fs = std::filesystem;

// Past this many containers, one agent (or a few with --devices) is the better tool.
constexpr std::size_t kManyDevices = 200;

Flags compose_flags() {
  Flags flags("snet compose [TOPOLOGY] [-o FILE]",
              "Writes a compose override that runs each device of TOPOLOGY in its own container "
              "(use with docker-compose.yml: docker compose -f docker-compose.yml -f FILE up).");
  flags.add("topology", "SNET_TOPOLOGY", "topology/single.json", "topology file or name")
      .add("output", "", "-", "file to write (-o FILE); '-' is standard output")
      .add("per", "", "device",
           "one container per 'device', or per 'site' (a site's devices then share their "
           "uplink's rate in one agent)")
      .add("host-path", "", "",
           "the topology file's path on the Docker host, when snet runs elsewhere (e.g. in a "
           "container); default: its absolute path here");
  return flags;
}

}  // namespace

int compose_command(int argc, const char* const* argv, int first) {
  const std::vector<std::string> args = with_long_output_flag(argc, argv);
  std::vector<const char*> argp;
  for (const auto& arg : args) argp.push_back(arg.c_str());

  Flags flags = compose_flags();
  try {
    if (!flags.parse(static_cast<int>(argp.size()), argp.data(), first)) return 0;
    if (flags.positional().size() > 1) throw UsageError("give at most one topology");
    if (flags.str("per") != "device" && flags.str("per") != "site") {
      throw UsageError("--per is '" + flags.str("per") + "', expected device or site");
    }
  } catch (const UsageError& e) {
    std::cerr << "snet compose: " << e.what() << "\n";
    return 2;
  }
  const std::string topology_arg =
      flags.positional().empty() ? flags.str("topology") : flags.positional()[0];
  const std::string path = resolve_topology_path(topology_arg);
  Topology topology;
  try {
    topology = load_topology(path);
  } catch (const TopologyError& e) {
    std::cerr << "snet compose: " << e.what() << "\n";
    return 1;
  }
  if (topology.devices.size() > kManyDevices && flags.str("per") == "device") {
    std::cerr << "snet compose: warning: " << topology.devices.size()
              << " devices make as many containers; the single `agent` service hosts them all\n";
  }

  ComposeOverrideOptions options;
  options.topology_host_path = flags.str("host-path").empty()
                                   ? fs::absolute(path).lexically_normal().string()
                                   : flags.str("host-path");
  options.per_site = flags.str("per") == "site";
  options.command_line = "snet compose " + topology_arg + (options.per_site ? " --per site" : "");
  const std::string text = compose_override(topology, options);

  const std::string output = flags.str("output");
  if (output == "-") {
    std::cout << text;
    return 0;
  }
  std::ofstream out(output, std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "snet compose: cannot write " << output << "\n";
    return 1;
  }
  std::cerr << "wrote " << output << ": containers for the " << topology.devices.size()
            << " devices of topology '" << topology.name << "'; start them with\n"
            << "  docker compose -f docker-compose.yml -f " << output << " up -d --build\n";
  return 0;
}

}  // namespace snet::cli
