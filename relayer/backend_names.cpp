#include "relayer/backend_names.hpp"

#include <algorithm>

namespace snet::relayer {

namespace {

bool known(const std::string& backend) {
  const auto& names = backend_names();
  return std::find(names.begin(), names.end(), backend) != names.end();
}

// "'x' is not builtin or openwhisk"
std::string unknown(const std::string& backend) {
  const auto& names = backend_names();
  std::string list;
  for (std::size_t i = 0; i < names.size(); ++i) {
    list += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  }
  return "'" + backend + "' is not " + list;
}

}  // namespace

const std::vector<std::string>& backend_names() {
  static const std::vector<std::string> names = {std::string(kBuiltinBackend),
                                                 std::string(kOpenWhiskBackend)};
  return names;
}

std::vector<std::string> backend_problems(const Topology& topology) {
  std::vector<std::string> out;
  for (const auto& compute : topology.computes) {
    if (!known(compute.backend)) {
      out.push_back("computes." + compute.name + ".backend: " + unknown(compute.backend));
    }
  }
  // A compute with "use" has its named compute's backend, reported above; a button that
  // inherits the topology's compute is reported once, with the topology's.
  const ComputeSpec& own = topology.compute;
  if (own.use.empty() && !known(own.backend)) {
    out.push_back("topology.compute: backend " + unknown(own.backend));
  }
  for (std::size_t i = 0; i < topology.devices.size(); ++i) {
    const Device& d = topology.devices[i];
    const ComputeSpec& spec = d.compute;
    if (d.kind != DeviceKind::button || !spec.use.empty() || known(spec.backend) ||
        (own.use.empty() && spec.backend == own.backend)) {
      continue;
    }
    // Its own "backend": explicit devices come first, so `i` is its index in the file.
    out.push_back("devices[" + std::to_string(i) + "] '" + d.id + "'.compute: backend " +
                  unknown(spec.backend));
  }
  for (std::size_t i = 0; i < topology.rules.size(); ++i) {
    const ComputeSpec& spec = topology.rules[i].action.compute;
    if (!spec.use.empty() || known(spec.backend) ||
        (own.use.empty() && spec.backend == own.backend)) {
      continue;
    }
    out.push_back("rules[" + std::to_string(i) + "] '" + topology.rules[i].id +
                  "'.compute: backend " + unknown(spec.backend));
  }
  return out;
}

void check_backends(const Topology& topology, const std::string& path) {
  auto problems = backend_problems(topology);
  if (problems.empty()) return;
  for (auto& line : problems) line = path + ": " + line;
  throw TopologyError(std::move(problems));
}

}  // namespace snet::relayer
