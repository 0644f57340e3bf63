#include "action_contract.hpp"

#include <algorithm>
#include <set>

namespace snet::openwhisk {
namespace {

constexpr std::size_t kMaxErrorText = 400;

nlohmann::json string_map(const std::map<std::string, std::string>& attrs) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : attrs) out[key] = value;
  return out;
}

std::string clipped(std::string text) {
  if (text.size() > kMaxErrorText) {
    text.resize(kMaxErrorText);
    text += "...";
  }
  return text;
}

ComputeResult failure(const ComputeRequest& request, const std::string& why) {
  ComputeResult out;
  out.error = "action '" + request.action + "' " + why;
  return out;
}

// Checks one (target, state) pair and appends it; returns an error text or "".
std::string add_command(const ComputeRequest& request, const std::string& target,
                        const nlohmann::json& state, std::set<std::string>& seen,
                        ComputeResult& out) {
  const bool known = std::any_of(request.targets.begin(), request.targets.end(),
                                 [&](const TargetInfo& t) { return t.id == target; });
  if (!known) {
    return "returned a command for '" + target + "', which is not a target of button '" +
           request.button + "'";
  }
  if (!seen.insert(target).second) return "returned two commands for '" + target + "'";
  if (!state.is_boolean()) {
    return "returned a non-boolean state for '" + target + "': " + clipped(state.dump());
  }
  out.commands.emplace_back(target, state.get<bool>());
  return "";
}

}  // namespace

nlohmann::json to_action_params(const ComputeRequest& request) {
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : request.targets) {
    targets.push_back({{"id", t.id},
                       {"on", t.on ? nlohmann::json(*t.on) : nlohmann::json(nullptr)},
                       {"attrs", string_map(t.attrs)}});
  }
  nlohmann::json params = {
      {"button", request.button},      {"press_id", request.press_id},
      {"press_ts", request.press_ts},  {"topology", request.topology},
      {"targets", std::move(targets)}, {"attrs", string_map(request.button_attrs)}};
  if (const auto& cause = request.cause) {
    // A rule fired: the action sees the reading beside what a press gives.
    params["rule"] = cause->rule;
    params["reading"] = {{"device", cause->device}, {"capability", cause->capability},
                         {"value", cause->value},   {"unit", cause->unit},
                         {"seq", cause->seq},       {"ts", cause->ts}};
  }
  return params;
}

std::string error_text(const nlohmann::json& error) {
  if (error.is_string()) return clipped(error.get<std::string>());
  if (error.is_object()) {
    for (const char* key : {"message", "error"}) {
      if (auto it = error.find(key); it != error.end()) return error_text(*it);
    }
  }
  return clipped(error.dump());
}

ComputeResult from_action_result(const nlohmann::json& result, const ComputeRequest& request) {
  if (!result.is_object()) return failure(request, "returned a non-object: " + error_text(result));
  if (auto err = result.find("error"); err != result.end()) {
    return failure(request, "failed: " + error_text(*err));
  }
  const auto commands = result.find("commands");
  if (commands == result.end()) {
    return failure(request, "returned no \"commands\": " + clipped(result.dump()));
  }
  ComputeResult out;
  std::set<std::string> seen;
  std::string problem;
  if (commands->is_object()) {
    for (const auto& [target, command] : commands->items()) {
      if (!command.is_object() || !command.contains("on")) {
        problem =
            "returned a command for '" + target + "' without \"on\": " + clipped(command.dump());
      } else {
        problem = add_command(request, target, command["on"], seen, out);
      }
      if (!problem.empty()) break;
    }
  } else if (commands->is_array()) {
    for (const auto& command : *commands) {
      if (!command.is_object() || !command.contains("target") || !command["target"].is_string() ||
          !command.contains("on")) {
        problem =
            "returned a command without a string \"target\" and \"on\": " + clipped(command.dump());
      } else {
        problem =
            add_command(request, command["target"].get<std::string>(), command["on"], seen, out);
      }
      if (!problem.empty()) break;
    }
  } else {
    problem = "returned \"commands\" that is neither an object nor an array: " +
              clipped(commands->dump());
  }
  if (!problem.empty()) return failure(request, problem);
  return out;
}

}  // namespace snet::openwhisk
