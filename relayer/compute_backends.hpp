// The compute backends a relayer can use, by the name a topology gives in
// `compute.backend` ("builtin", "openwhisk"). The relayer picks a button's backend here, so adding
// a backend means registering it (see backends.cpp), never touching the press logic.
// Thread safety: add() during set-up only; find() from any thread afterwards.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "snet/compute.hpp"

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

}  // namespace snet::relayer
