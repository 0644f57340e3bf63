// snet validate FILE...: every error of each file, or a one-line summary when it is valid.
#include <iostream>

#include "commands.hpp"
#include "snet/flags.hpp"
#include "snet/topology.hpp"

namespace snet::cli {

int validate_command(int argc, const char* const* argv, int first) {
  Flags flags("snet validate FILE...", "Checks topology files and names every error.");
  try {
    if (!flags.parse(argc, argv, first)) return 0;
    if (flags.positional().empty()) throw UsageError("give the topology file(s) to check");
  } catch (const UsageError& e) {
    std::cerr << "snet validate: " << e.what() << "\n";
    return 2;
  }
  int status = 0;
  for (const auto& path : flags.positional()) {
    try {
      const Topology topology = load_topology(path);
      std::cout << "OK: " << topology.name << ", " << topology.buttons().size() << " buttons, "
                << topology.actuators().size() << " actuators";
      if (topology.emulates_network()) {
        std::size_t shaped = 0;
        for (const auto& [id, link] : topology.links()) shaped += link.ideal() ? 0 : 1;
        std::cout << ", " << topology.sites.size() << " sites, " << shaped << " of "
                  << topology.links().size() << " links shaped";
      }
      std::cout << "\n";
    } catch (const TopologyError& e) {
      std::cout << "FAILED: " << path << ": " << e.errors.size()
                << (e.errors.size() == 1 ? " error" : " errors") << "\n";
      for (const auto& error : e.errors) {
        // The loader prefixes each line with the path, which the FAILED line already names.
        const bool prefixed = error.rfind(path + ": ", 0) == 0;
        std::cout << "  - " << (prefixed ? error.substr(path.size() + 2) : error) << "\n";
      }
      status = 1;
    }
  }
  return status;
}

}  // namespace snet::cli
