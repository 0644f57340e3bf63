// What `snet up` makes on the OpenWhisk in use for a topology's trigger computes: per trigger, the
// trigger itself (with parameters bound to it, e.g. the broker's URL for the action to publish
// to) and one active rule trigger -> action, as `wsk trigger update` / `wsk rule update` /
// `wsk rule enable` would:
//
//   PUT  .../triggers/{trigger}?overwrite=true   {"parameters": [{"key", "value"}...]}
//   PUT  .../rules/{rule}?overwrite=true         {"trigger": "/ns/trigger", "action": "/ns/action"}
//   POST .../rules/{rule}                        {"status": "active"}
//
// Idempotent: running it again (a restarted `snet up`) updates both and leaves one rule.
// Thread safety: reentrant; blocks while it talks to the server.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "openwhisk_config.hpp"

namespace snet::openwhisk {

/// The rule `snet up` makes from `trigger` to `action`: "<trigger>-<action>".
std::string trigger_rule_name(const std::string& trigger, const std::string& action);

/// Creates or updates `trigger` with `parameters` (a JSON object, bound as the trigger's
/// parameters) and its active rule to `action`. Throws std::runtime_error naming the request's
/// URL and the server's answer when a step fails.
void ensure_trigger_rule(const OpenWhiskConfig& server, const std::string& trigger,
                         const std::string& action, const nlohmann::json& parameters,
                         bool insecure_tls = false);

}  // namespace snet::openwhisk
