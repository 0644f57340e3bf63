// Which OpenWhisk `snet up` uses and what it checks there. An API host given by flag, by
// OPENWHISK_APIHOST or by the wsk properties file names an external OpenWhisk: the relayers use
// it and the bundled snet-whisk is not started. Otherwise the bundled snet-whisk, with its own
// key, is the OpenWhisk.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "openwhisk_config.hpp"
#include "snet/topology.hpp"

namespace snet::cli {

struct OpenWhiskChoice {
  openwhisk::OpenWhiskConfig server;  // complete: apihost (normalized), auth, namespace
  bool external = false;              // false: the bundled snet-whisk at `bundled_url`
};

/// Precedence as wsk: `flags`, then `env`, then `wskprops`; fields none of them sets take
/// snet-whisk's defaults (its development key, namespace "_"). No API host anywhere: the bundled
/// snet-whisk at `bundled_url`, with its own key and namespace (whatever auth was given: that
/// key belongs to another OpenWhisk).
OpenWhiskChoice choose_openwhisk(const openwhisk::OpenWhiskConfig& flags,
                                 const openwhisk::OpenWhiskConfig& env,
                                 const openwhisk::OpenWhiskConfig& wskprops,
                                 const std::string& bundled_url);

/// The actions the topology's buttons run on OpenWhisk (compute backend "openwhisk"), sorted,
/// each once.
std::vector<std::string> openwhisk_actions(const Topology& topology);
/// The same for some of its buttons (e.g. those of one compute).
std::vector<std::string> openwhisk_actions_of(const std::vector<const Device*>& buttons);

/// The (trigger, action) pairs of the trigger computes of `buttons`, sorted, each once (the
/// topology's validation makes a trigger name one action).
std::vector<std::pair<std::string, std::string>> openwhisk_triggers_of(
    const std::vector<const Device*>& buttons);

}  // namespace snet::cli
