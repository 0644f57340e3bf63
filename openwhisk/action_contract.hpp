// The action contract (docs/actions.md): the JSON parameters the relayer passes to an action for
// one press, and how an action's result becomes commands. Shared by every compute that runs
// actions written to this contract (the OpenWhisk REST client, and so snet-whisk).
// Thread safety: pure functions, callable from any thread.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "snet/compute.hpp"

namespace snet::openwhisk {

/// {"button", "press_id", "press_ts", "topology", "targets": [{"id", "on": bool|null, "attrs"}],
///  "attrs": {button attrs}}
nlohmann::json to_action_params(const ComputeRequest& request);

/// Turns an action's result into commands. Accepts {"commands": {"<target>": {"on": bool}}} and
/// {"commands": [{"target": "<id>", "on": bool}]}. A result carrying "error" (OpenWhisk's
/// application-error convention), no "commands", a device outside the press's targets or a
/// non-boolean state yields ComputeResult::error naming the action and the culprit.
ComputeResult from_action_result(const nlohmann::json& result, const ComputeRequest& request);

/// Readable text of an OpenWhisk error value: a string as is, an object's "message" (a serialized
/// JS Error) or "error" field, anything else as compact JSON. Bounded to a few hundred bytes.
std::string error_text(const nlohmann::json& error);

}  // namespace snet::openwhisk
