#include "relayer_plan.hpp"

#include <set>

#include "curl_util.hpp"
#include "snet/flags.hpp"

namespace snet::cli {

std::vector<std::string> relayer_names(int count, const std::string& compute) {
  const std::string base = compute.empty() ? "relayer" : "relayer-" + compute;
  if (count == 1) return {base};
  std::vector<std::string> names;
  for (int i = 1; i <= count; ++i) names.push_back(base + "-" + std::to_string(i));
  return names;
}

namespace {

// A rule's action runs on its compute as a button's does. `compute` empty: every rule.
std::vector<const Device*> with_rules(std::vector<const Device*> buttons, const Topology& topology,
                                      std::string_view compute) {
  for (const auto& rule : topology.rules) {
    if (compute.empty() || rule.action.compute.name() == compute) buttons.push_back(&rule.action);
  }
  return buttons;
}

RelayerGroup default_group(const Topology& topology, const RelayerDefaults& defaults) {
  RelayerGroup group;
  const bool named = !topology.computes.empty();
  group.compute = named ? std::string(Topology::kDefaultCompute) : "";
  group.names = relayer_names(defaults.relayers);
  group.backend = topology.compute.backend;
  group.openwhisk = defaults.openwhisk.server;
  group.insecure = defaults.insecure;
  group.bundled = !defaults.openwhisk.external;
  group.actions = openwhisk_actions_of(
      with_rules(named ? topology.buttons_using(Topology::kDefaultCompute) : topology.buttons(),
                 topology, named ? Topology::kDefaultCompute : std::string_view()));
  return group;
}

RelayerGroup named_group(const Topology& topology, const ComputeInstance& compute,
                         const RelayerDefaults& defaults) {
  RelayerGroup group;
  group.compute = compute.name;
  group.names = relayer_names(compute.relayers, compute.name);
  group.backend = compute.backend;
  group.actions = openwhisk_actions_of(
      with_rules(topology.buttons_using(compute.name), topology, compute.name));
  group.bundled = compute.apihost.empty();
  const auto bundled = openwhisk::bundled_openwhisk_defaults();
  if (group.bundled) {
    group.openwhisk = {defaults.bundled_apihost, defaults.bundled_auth,
                       compute.ns.empty() ? bundled.ns : compute.ns};
    return group;
  }
  group.insecure = compute.insecure;
  group.openwhisk.apihost = openwhisk::normalize_apihost(compute.apihost);
  group.openwhisk.ns = compute.ns.empty() ? bundled.ns : compute.ns;
  if (!compute.auth_env.empty()) {
    const auto key = defaults.getenv ? defaults.getenv(compute.auth_env) : std::nullopt;
    if (!key || key->empty()) {
      throw UsageError("compute '" + compute.name + "': its key is read from $" + compute.auth_env +
                       " (\"auth_env\"), which is not set");
    }
    group.openwhisk.auth = *key;
  } else if (!defaults.given_auth.empty()) {
    group.openwhisk.auth = defaults.given_auth;
  } else {
    throw UsageError("compute '" + compute.name + "' (" + group.openwhisk.apihost +
                     ") has no key: name its environment variable with \"auth_env\", or give "
                     "--openwhisk-auth / OPENWHISK_AUTH");
  }
  return group;
}

}  // namespace

std::vector<RelayerGroup> plan_relayers(const Topology& topology, const RelayerDefaults& defaults) {
  std::vector<RelayerGroup> groups;
  if (topology.computes.empty() || !topology.buttons_using(Topology::kDefaultCompute).empty() ||
      !topology.rules_using(Topology::kDefaultCompute).empty()) {
    groups.push_back(default_group(topology, defaults));
  }
  for (const auto& compute : topology.computes) {
    groups.push_back(named_group(topology, compute, defaults));
  }
  std::set<std::string> names;
  for (const auto& group : groups) {
    for (const auto& name : group.names) {
      if (!names.insert(name).second) {
        throw UsageError("two relayers would be named '" + name + "' (compute '" + group.compute +
                         "'): rename the compute");
      }
    }
  }
  return groups;
}

}  // namespace snet::cli
