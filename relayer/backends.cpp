#include "backends.hpp"

#include <memory>

#include "builtin_compute.hpp"
#include "openwhisk_compute.hpp"
#include "openwhisk_trigger.hpp"

namespace snet::relayer {

void add_backend_flags(Flags& flags) {
  // builtin has no options; openwhisk takes --openwhisk-* (env OPENWHISK_*, then ~/.wskprops).
  openwhisk::add_openwhisk_flags(flags);
}

ComputeBackends make_backends(const Flags& flags, Metrics& metrics) {
  ComputeBackends backends;
  backends.add("builtin", std::make_unique<BuiltinCompute>());
  // Buttons with a "trigger" fire it; the others invoke their action.
  backends.add("openwhisk", std::make_unique<openwhisk::OpenWhiskTriggerCompute>(
                                openwhisk::openwhisk_options(flags), metrics,
                                openwhisk::make_openwhisk_compute(flags, metrics)));
  return backends;
}

}  // namespace snet::relayer
