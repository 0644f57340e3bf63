#include "openwhisk_setup.hpp"

#include <set>

#include "curl_util.hpp"

namespace snet::cli {

OpenWhiskChoice choose_openwhisk(const openwhisk::OpenWhiskConfig& flags,
                                 const openwhisk::OpenWhiskConfig& env,
                                 const openwhisk::OpenWhiskConfig& wskprops,
                                 const std::string& bundled_url) {
  OpenWhiskChoice choice;
  const auto given = openwhisk::merge_openwhisk_config(flags, env, wskprops, {});
  choice.external = !given.apihost.empty();
  if (choice.external) {
    choice.server =
        openwhisk::merge_openwhisk_config(given, {}, {}, openwhisk::bundled_openwhisk_defaults());
  } else {
    choice.server = openwhisk::bundled_openwhisk_defaults();
    choice.server.apihost = bundled_url;
  }
  choice.server.apihost = openwhisk::normalize_apihost(choice.server.apihost);
  return choice;
}

std::vector<std::string> openwhisk_actions(const Topology& topology) {
  return openwhisk_actions_of(topology.buttons());
}

std::vector<std::string> openwhisk_actions_of(const std::vector<const Device*>& buttons) {
  std::set<std::string> actions;
  for (const Device* button : buttons) {
    if (button->compute.backend == "openwhisk") actions.insert(button->compute.action);
  }
  return {actions.begin(), actions.end()};
}

std::vector<std::pair<std::string, std::string>> openwhisk_triggers_of(
    const std::vector<const Device*>& buttons) {
  std::set<std::pair<std::string, std::string>> pairs;
  for (const Device* button : buttons) {
    if (button->compute.backend == "openwhisk" && !button->compute.trigger.empty()) {
      pairs.emplace(button->compute.trigger, button->compute.action);
    }
  }
  return {pairs.begin(), pairs.end()};
}

}  // namespace snet::cli
