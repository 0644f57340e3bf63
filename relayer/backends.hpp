// The compute backends a relayer can use, by the name a topology gives in `compute.backend`
// ("builtin", "openwhisk"), and the one place that knows them all: their flags, how each is
// built, and which names a topology may use (the topology loader checks only that a backend is
// a name). The relayer picks a button's backend here, so a new backend adds its name to
// backend_names(), its flags in add_backend_flags() and one `backends.add(...)` line in
// make_backends(); nothing in the press logic changes.
// Thread safety: set up (add_backend_flags, make_backends, add) from one thread at start-up;
// find() from any thread afterwards.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "compute.hpp"
#include "snet/flags.hpp"
#include "snet/metrics.hpp"
#include "snet/topology.hpp"

namespace snet::relayer {

class ComputeBackends {
 public:
  /// Registers `compute` under `name`, replacing any earlier one of that name.
  void add(const std::string& name, std::unique_ptr<Compute> compute);
  /// Nullptr when no backend of that name is registered.
  Compute* find(const std::string& name) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, std::unique_ptr<Compute>> backends_;
};

/// What make_backends() registers, in order: the names a topology's "backend" may say.
const std::vector<std::string>& backend_names();

/// Each "backend" of `topology` that names none of backend_names(), where the file says it
/// ("topology.compute", "devices[2] 'b'.compute", "computes.cloud.backend"), as the loader
/// reports its own errors. Empty when the relayer can run every button's compute.
std::vector<std::string> backend_problems(const Topology& topology);

/// Throws TopologyError with backend_problems(), each prefixed with `path` as load_topology()
/// prefixes its errors.
void check_backends(const Topology& topology, const std::string& path);

void add_backend_flags(Flags& flags);
/// Throws snet::UsageError when a backend's flags are wrong. Backends count into `metrics`,
/// which must outlive them.
ComputeBackends make_backends(const Flags& flags, Metrics& metrics);

}  // namespace snet::relayer
