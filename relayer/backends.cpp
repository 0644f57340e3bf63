#include "backends.hpp"

#include <memory>

#include "builtin_compute.hpp"

namespace snet::relayer {

void add_backend_flags(Flags& /*flags*/) {
  // The builtin backend has no options. Backends with options declare them here.
}

ComputeBackends make_backends(const Flags& /*flags*/, Metrics& /*metrics*/) {
  ComputeBackends backends;
  backends.add("builtin", std::make_unique<BuiltinCompute>());
  return backends;
}

}  // namespace snet::relayer
