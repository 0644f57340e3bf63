// The compute backends a relayer can use, by the name a topology gives in `compute.backend`
// ("builtin", "openwhisk", see openwhisk/), and the one place that knows them all: their flags, how
// each is built (the names a topology may use are relayer/backend_names.hpp's). The relayer picks a
// button's backend here, so a new backend adds its name to backend_names(), its flags in
// add_backend_flags() and one `backends.add(...)` line in make_backends(); nothing in the press
// logic changes.
// Thread safety: set up (add_backend_flags, make_backends, add) from one thread at start-up;
// find() from any thread afterwards.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "relayer/backend_names.hpp"
#include "snet/compute.hpp"
#include "snet/flags.hpp"
#include "snet/metrics.hpp"

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

void add_backend_flags(Flags& flags);
/// Throws snet::UsageError when a backend's flags are wrong. Backends count into `metrics`,
/// which must outlive them.
ComputeBackends make_backends(const Flags& flags, Metrics& metrics);

}  // namespace snet::relayer
