// The one place that knows every compute backend: declares their flags and builds them.
// A new backend (e.g. openwhisk/openwhisk_compute.hpp) adds its flags in add_backend_flags() and
// one `backends.add(...)` line in make_backends(); nothing else in the relayer changes.
// Thread safety: call both at start-up, from one thread.
#pragma once

#include "compute_backends.hpp"
#include "snet/flags.hpp"
#include "snet/metrics.hpp"

namespace snet::relayer {

void add_backend_flags(Flags& flags);
/// Throws snet::UsageError when a backend's flags are wrong. Backends count into `metrics`,
/// which must outlive them.
ComputeBackends make_backends(const Flags& flags, Metrics& metrics);

}  // namespace snet::relayer
