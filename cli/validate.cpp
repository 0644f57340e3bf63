// snet validate FILE...: every error of each file, or a one-line summary when it is valid.
// FILE may be a topology name, found as `snet up` finds it (topology_path.hpp).
#include <iostream>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "relayer/backend_names.hpp"
#include "scenario.hpp"
#include "snet/flags.hpp"
#include "snet/topology.hpp"
#include "topology_path.hpp"

namespace snet::cli {

namespace {

// A scenario file rather than a topology: it has a workload or a timeline.
bool is_scenario(const std::string& path) {
  std::ifstream in(path);
  const auto doc = nlohmann::json::parse(in, nullptr, false, /*ignore_comments=*/true);
  return doc.is_object() && (doc.contains("workload") || doc.contains("timeline"));
}

// Checks a scenario and, against it, its topology; returns the errors.
std::vector<std::string> scenario_errors(const std::string& path, std::string& summary) {
  try {
    const experiment::Scenario s = experiment::load_scenario(path);
    const std::filesystem::path beside = std::filesystem::path(path).parent_path() / s.topology;
    const Topology topology =
        load_topology(std::filesystem::is_regular_file(beside) ? beside.string()
                                                               : resolve_topology_path(s.topology));
    summary = "scenario " + s.name + " on " + topology.name + ", " +
              std::to_string(static_cast<long>(s.duration_s)) + " s, " +
              std::to_string(s.workload.size()) + " generators, " +
              std::to_string(s.timeline.size()) + " actions";
    return experiment::validate(s, topology);
  } catch (const experiment::ScenarioError& e) {
    return e.errors;
  } catch (const TopologyError& e) {
    return e.errors;
  }
}

// With named computes: each compute and the buttons that use it (the first few of them).
void print_computes(const Topology& topology, std::ostream& out) {
  if (topology.computes.empty()) return;
  auto line = [&](const std::string& name, const std::string& what, int relayers) {
    const auto buttons = topology.buttons_using(name);
    if (name == Topology::kDefaultCompute && buttons.empty()) return;
    out << "  compute " << name << " (" << what << ", " << relayers
        << (relayers == 1 ? " relayer" : " relayers") << "): ";
    constexpr std::size_t kShown = 8;
    for (std::size_t i = 0; i < buttons.size() && i < kShown; ++i) {
      out << (i == 0 ? "" : ", ") << buttons[i]->id;
    }
    if (buttons.empty()) out << "no buttons";
    if (buttons.size() > kShown) out << " and " << buttons.size() - kShown << " more";
    out << "\n";
  };
  line(std::string(Topology::kDefaultCompute), topology.compute.backend, topology.relayers);
  for (const auto& c : topology.computes) {
    std::string what = c.backend;
    if (c.backend == "openwhisk") {
      what += c.apihost.empty() ? " on the bundled snet-whisk" : " at " + c.apihost;
    }
    line(c.name, what, c.relayers);
  }
}

// Each rule: what it watches, the threshold, and what it does (first few targets).
void print_rules(const Topology& topology, std::ostream& out) {
  constexpr std::size_t kShown = 8;
  for (const Rule& rule : topology.rules) {
    out << "  rule " << rule.id << ": " << rule.reading << " of "
        << (rule.device.empty() ? "any sensor" : rule.device) << " (" << rule.sources.size()
        << (rule.sources.size() == 1 ? " sensor" : " sensors") << ") "
        << (rule.above ? "above " : "below ") << rule.threshold << " -> "
        << (rule.action.compute.action.empty() ? rule.action.compute.backend
                                               : rule.action.compute.action)
        << " -> ";
    const auto& targets = rule.action.targets;
    for (std::size_t i = 0; i < targets.size() && i < kShown; ++i) {
      out << (i == 0 ? "" : ", ") << targets[i];
    }
    if (targets.empty()) out << "no actuators";
    if (targets.size() > kShown) out << " and " << targets.size() - kShown << " more";
    out << "\n";
  }
}

}  // namespace

int validate_command(int argc, const char* const* argv, int first) {
  Flags flags("snet validate FILE...",
              "Checks topology and scenario files and names every error. A FILE may be a "
              "topology's name, as for `snet up` (campus: topology/campus.json).");
  try {
    if (!flags.parse(argc, argv, first)) return 0;
    if (flags.positional().empty()) throw UsageError("give the topology file(s) to check");
  } catch (const UsageError& e) {
    std::cerr << "snet validate: " << e.what() << "\n";
    return 2;
  }
  int status = 0;
  for (const auto& arg : flags.positional()) {
    // A name ("campus") as `snet up` takes it; a file that exists as given, so errors name it
    // the way it was typed.
    std::error_code ec;
    const std::string path =
        std::filesystem::is_regular_file(arg, ec) ? arg : resolve_topology_path(arg);
    if (is_scenario(path)) {
      std::string summary;
      const auto errors = scenario_errors(path, summary);
      if (errors.empty()) {
        std::cout << "OK: " << summary << "\n";
        continue;
      }
      std::cout << "FAILED: " << path << ": " << errors.size()
                << (errors.size() == 1 ? " error" : " errors") << "\n";
      for (const auto& error : errors) std::cout << "  - " << error << "\n";
      status = 1;
      continue;
    }
    try {
      const Topology topology = load_topology(path);
      relayer::check_backends(topology, path);  // the backends are the relayer's to know
      std::cout << "OK: " << topology.name << ", " << topology.buttons().size() << " buttons, "
                << topology.actuators().size() << " actuators";
      std::size_t composites = 0;
      double composite_rate = 0;
      for (const Device& d : topology.devices) {
        if (!d.composite) continue;
        ++composites;
        composite_rate += d.composite->rate_hz;
      }
      if (composites > 0) {
        std::cout << " (" << composites << " composite: " << composite_rate << " readings/s)";
      }
      if (const auto sensors = topology.sensors(); !sensors.empty()) {
        double per_second = 0;
        for (const Device* d : sensors) per_second += d->sensor->rate_hz;
        std::cout << ", " << sensors.size() << " sensors (" << per_second << " readings/s)";
      }
      if (!topology.rules.empty()) {
        std::cout << ", " << topology.rules.size()
                  << (topology.rules.size() == 1 ? " rule" : " rules");
      }
      if (topology.emulates_network()) {
        std::size_t shaped = 0;
        for (const auto& [id, link] : topology.links()) shaped += link.ideal() ? 0 : 1;
        std::cout << ", " << topology.sites.size() << " sites, " << shaped << " of "
                  << topology.links().size() << " links shaped";
      }
      std::cout << "\n";
      print_computes(topology, std::cout);
      print_rules(topology, std::cout);
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
