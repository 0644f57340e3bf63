#include "readiness.hpp"

namespace snet::state {
namespace {

bool is_instance_of(const std::string& name, const std::string& role) {
  return name == role || name.rfind(role + "-", 0) == 0;
}

bool up(const nlohmann::json& entry) {
  return entry.value("online", false) && !entry.value("stale", false);
}

}  // namespace

std::vector<std::string> press_path_problems(const nlohmann::json& services) {
  std::vector<std::string> problems;
  bool relayer = false, agent = false;
  for (const auto& [name, entry] : services.items()) {
    if (is_instance_of(name, "relayer")) relayer = relayer || up(entry);
    if (is_instance_of(name, "agent")) {
      if (up(entry)) {
        agent = true;
      } else {
        problems.push_back(name + " is not online: its devices may not be connected");
      }
    }
  }
  if (!relayer) problems.push_back("no relayer is online (subscribed to the presses)");
  if (!agent) problems.push_back("no agent is online (devices connected)");
  return problems;
}

}  // namespace snet::state
