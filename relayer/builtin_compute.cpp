#include "builtin_compute.hpp"

#include <functional>
#include <map>

namespace snet::relayer {
namespace {

using Action = std::function<bool(const TargetInfo&)>;  // target -> desired "on"

const std::map<std::string, Action>& builtin_actions() {
  static const std::map<std::string, Action> actions = {
      {"flip_switch", [](const TargetInfo& t) { return !t.on.value_or(false); }},
      {"all_on", [](const TargetInfo&) { return true; }},
      {"all_off", [](const TargetInfo&) { return false; }},
  };
  return actions;
}

}  // namespace

std::vector<std::string> BuiltinCompute::actions() {
  std::vector<std::string> names;
  for (const auto& [name, action] : builtin_actions()) names.push_back(name);
  return names;
}

ComputeResult BuiltinCompute::run(const ComputeRequest& request) {
  ComputeResult result;
  const auto& all = builtin_actions();
  auto it = all.find(request.action);
  if (it == all.end()) {
    std::string list;
    for (const auto& name : actions()) list += (list.empty() ? "" : ", ") + name;
    result.error = "unknown builtin action '" + request.action + "' (available: " + list + ")";
    return result;
  }
  for (const auto& target : request.targets)
    result.commands.emplace_back(target.id, it->second(target));
  return result;
}

void BuiltinCompute::invoke(ComputeRequest request, ComputeDone done) {
  done(run(request));
}

}  // namespace snet::relayer
