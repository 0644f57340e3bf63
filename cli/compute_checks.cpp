#include "compute_checks.hpp"

#include <iostream>

#include "action_check.hpp"
#include "deploy.hpp"

namespace snet::cli {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// "http://127.0.0.1:3233 (namespace _), the bundled snet-whisk" (and the compute, if named).
std::string where(const RelayerGroup& group) {
  std::string text = group.openwhisk.apihost + " (namespace " + group.openwhisk.ns + ")" +
                     (group.bundled ? ", the bundled snet-whisk" : "");
  if (!group.compute.empty() && group.compute != Topology::kDefaultCompute) {
    text = "compute '" + group.compute + "' at " + text;
  }
  return text;
}

}  // namespace

std::vector<RelayerGroup> external_openwhisks(const std::vector<RelayerGroup>& groups) {
  std::vector<RelayerGroup> out;
  for (const auto& group : groups) {
    if (group.bundled) continue;
    bool seen = false;
    for (const auto& o : out) {
      seen = seen || (o.openwhisk.apihost == group.openwhisk.apihost &&
                      o.openwhisk.ns == group.openwhisk.ns);
    }
    if (!seen) out.push_back(group);
  }
  return out;
}

std::string deploy_actions_to(const std::string& dir, const RelayerGroup& target) {
  const auto& server = target.openwhisk;
  std::vector<openwhisk::DeployResult> deployed;
  try {
    deployed =
        openwhisk::deploy_actions(dir, server.apihost, server.auth, server.ns, target.insecure);
  } catch (const std::exception& e) {
    return std::string("--actions-dir: ") + e.what();
  }
  std::vector<std::string> failed;
  for (const auto& r : deployed) {
    if (r.ok) {
      std::cout << "deployed action " << r.name << " to " << server.apihost << "\n";
    } else {
      failed.push_back(r.file + " (" + r.error + ")");
    }
  }
  return failed.empty() ? "" : "cannot deploy " + join(failed);
}

std::string check_actions(const RelayerGroup& group) {
  if (group.actions.empty()) return "";
  std::vector<std::string> missing;
  try {
    missing = openwhisk::missing_actions(group.openwhisk, group.actions, group.insecure);
  } catch (const std::exception& e) {
    return "cannot check the OpenWhisk actions of " + where(group) + ": " + e.what();
  }
  if (!missing.empty()) {
    return "the topology's buttons run OpenWhisk actions that do not exist on " + where(group) +
           ": " + join(missing) +
           " (deploy them: snet up --actions-dir DIR, or snet actions deploy DIR)";
  }
  std::cout << "OpenWhisk " << where(group)
            << " has the topology's actions: " << join(group.actions) << std::endl;
  return "";
}

}  // namespace snet::cli
