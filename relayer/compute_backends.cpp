#include "compute_backends.hpp"

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

}  // namespace snet::relayer
