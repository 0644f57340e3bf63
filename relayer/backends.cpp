#include "backends.hpp"

#include <memory>

#include "builtin_compute.hpp"
#include "openwhisk_compute.hpp"
#include "openwhisk_trigger.hpp"

namespace snet::relayer {

void ComputeBackends::add(const std::string& name, std::unique_ptr<Compute> compute) {
  backends_[name] = std::move(compute);
}

Compute* ComputeBackends::find(const std::string& name) const {
  auto it = backends_.find(name);
  return it == backends_.end() ? nullptr : it->second.get();
}

std::vector<std::string> ComputeBackends::names() const {
  std::vector<std::string> out;
  for (const auto& [name, compute] : backends_) out.push_back(name);
  return out;
}

void add_backend_flags(Flags& flags) {
  // builtin has no options; openwhisk takes --openwhisk-* (env OPENWHISK_*, then ~/.wskprops).
  openwhisk::add_openwhisk_flags(flags);
}

ComputeBackends make_backends(const Flags& flags, Metrics& metrics) {
  ComputeBackends backends;
  backends.add(std::string(kBuiltinBackend), std::make_unique<BuiltinCompute>());
  // Buttons with a "trigger" fire it; the others invoke their action.
  backends.add(std::string(kOpenWhiskBackend),
               std::make_unique<openwhisk::OpenWhiskTriggerCompute>(
                   openwhisk::openwhisk_options(flags), metrics,
                   openwhisk::make_openwhisk_compute(flags, metrics)));
  return backends;
}

}  // namespace snet::relayer
