// What `snet up` does with each compute's OpenWhisk before presses flow: deploys the user's
// actions (--actions-dir) to the external ones, and checks that each has every action its
// buttons run, so a missing one fails the start-up, named, instead of the first press (404).
// Thread safety: reentrant; blocks while it talks to the servers; prints progress to stdout.
#pragma once

#include <string>
#include <vector>

#include "relayer_plan.hpp"

namespace snet::cli {

/// The relayer groups' external OpenWhisks (not the bundled snet-whisk), each once.
std::vector<RelayerGroup> external_openwhisks(const std::vector<RelayerGroup>& groups);

/// Deploys every *.js of `dir` to `target`'s OpenWhisk. "" when all were deployed, else why not.
std::string deploy_actions_to(const std::string& dir, const RelayerGroup& target);

/// "" when `group`'s OpenWhisk has every action of group.actions (or it has none to check),
/// else the problem, naming the missing actions, the OpenWhisk and the compute.
std::string check_actions(const RelayerGroup& group);

}  // namespace snet::cli
