#include "action_store.hpp"

#include <algorithm>

#include "snet/clock.hpp"

namespace snet::whisk {
namespace {

// "0.0.7" -> "0.0.8", as OpenWhisk bumps an updated action's version.
std::string next_patch(const std::string& version) {
  const auto dot = version.rfind('.');
  try {
    return version.substr(0, dot + 1) + std::to_string(std::stol(version.substr(dot + 1)) + 1);
  } catch (const std::exception&) {
    return "0.0.1";
  }
}

long limit(const nlohmann::json& limits, const char* key, long current, long min, long max,
           const char* unit) {
  if (!limits.contains(key)) return current;
  const auto& value = limits[key];
  if (!value.is_number_integer() || value.get<long>() < min || value.get<long>() > max) {
    throw BadAction(std::string("limits.") + key + " must be an integer from " +
                    std::to_string(min) + " to " + std::to_string(max) + " " + unit + ", not " +
                    value.dump());
  }
  return value.get<long>();
}

nlohmann::json key_values(const nlohmann::json& body, const char* field) {
  const auto& value = body[field];
  if (!value.is_array()) throw BadAction(std::string(field) + " must be an array of {key, value}");
  for (const auto& item : value) {
    if (!item.is_object() || !item.contains("key") || !item["key"].is_string() ||
        !item.contains("value")) {
      throw BadAction(std::string(field) + " must be an array of {key, value}, not " + item.dump());
    }
  }
  return value;
}

}  // namespace

std::string default_kind() {
  return "nodejs:20";
}

nlohmann::json Action::to_json(bool with_code) const {
  nlohmann::json exec = {{"kind", kind}, {"binary", false}};
  if (with_code) exec["code"] = code;
  nlohmann::json notes = annotations;
  const bool has_exec_note =
      std::any_of(notes.begin(), notes.end(), [](const auto& a) { return a["key"] == "exec"; });
  if (!has_exec_note) notes.push_back({{"key", "exec"}, {"value", kind}});
  return {{"namespace", ns},
          {"name", name},
          {"version", version},
          {"publish", publish},
          {"exec", exec},
          {"limits",
           {{"timeout", limits.timeout_ms},
            {"memory", limits.memory_mb},
            {"logs", limits.logs_mb},
            {"concurrency", limits.concurrency}}},
          {"parameters", parameters},
          {"annotations", notes},
          {"updated", updated_ms}};
}

nlohmann::json Action::merged_params(const nlohmann::json& payload) const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& p : parameters) out[p["key"].get<std::string>()] = p["value"];
  if (payload.is_object()) {
    for (const auto& [key, value] : payload.items()) out[key] = value;
  }
  return out;
}

Action parse_action_put(const nlohmann::json& body, const std::string& ns, const std::string& name,
                        const Action* existing) {
  if (!body.is_object()) throw BadAction("the request body must be a JSON object");
  Action action;
  if (existing != nullptr) {
    action = *existing;
    action.version = next_patch(existing->version);
  }
  action.ns = ns;
  action.name = name;
  if (body.contains("exec")) {
    const auto& exec = body["exec"];
    if (!exec.is_object()) throw BadAction("exec must be an object");
    const std::string kind = exec.value("kind", std::string());
    if (kind == "sequence" || kind == "blackbox") {
      throw BadAction("exec.kind '" + kind + "' is not supported by snet-whisk (Node.js only)");
    }
    // Every Node.js kind runs on the one installed Node.js (v20); the kind is kept as given.
    if (kind == "nodejs:default" || kind == "nodejs") {
      action.kind = default_kind();
    } else if (kind.rfind("nodejs:", 0) == 0) {
      action.kind = kind;
    } else {
      throw BadAction("exec.kind '" + kind +
                      "' is not supported by snet-whisk; use nodejs:default");
    }
    if (exec.value("binary", false)) {
      throw BadAction("binary (zipped) actions are not supported by snet-whisk; send the source");
    }
    if (!exec.contains("code") || !exec["code"].is_string() ||
        exec["code"].get<std::string>().empty()) {
      throw BadAction("exec.code must be the action's source text");
    }
    action.code = exec["code"].get<std::string>();
    if (exec.contains("main") && exec["main"].is_string() && exec["main"] != "main") {
      throw BadAction("exec.main other than 'main' is not supported by snet-whisk");
    }
  } else if (existing == nullptr) {
    throw BadAction("exec undefined");
  }
  if (body.contains("limits")) {
    const auto& l = body["limits"];
    if (!l.is_object()) throw BadAction("limits must be an object");
    action.limits.timeout_ms = limit(l, "timeout", action.limits.timeout_ms, 100, 300000, "ms");
    action.limits.memory_mb = limit(l, "memory", action.limits.memory_mb, 128, 2048, "MB");
    action.limits.logs_mb = limit(l, "logs", action.limits.logs_mb, 0, 10, "MB");
    action.limits.concurrency = limit(l, "concurrency", action.limits.concurrency, 1, 500, "");
  }
  if (body.contains("parameters")) action.parameters = key_values(body, "parameters");
  if (body.contains("annotations")) action.annotations = key_values(body, "annotations");
  if (body.contains("publish") && body["publish"].is_boolean()) action.publish = body["publish"];
  if (body.contains("version") && body["version"].is_string()) action.version = body["version"];
  action.updated_ms = now_us() / 1000;
  return action;
}

std::shared_ptr<const Action> ActionStore::find(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = actions_.find(name);
  return it == actions_.end() ? nullptr : it->second;
}

std::shared_ptr<const Action> ActionStore::put(Action action) {
  std::lock_guard lock(mutex_);
  action.revision = next_revision_++;
  auto stored = std::make_shared<const Action>(std::move(action));
  actions_[stored->name] = stored;
  return stored;
}

std::shared_ptr<const Action> ActionStore::remove(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = actions_.find(name);
  if (it == actions_.end()) return nullptr;
  auto removed = std::move(it->second);
  actions_.erase(it);
  return removed;
}

std::vector<std::shared_ptr<const Action>> ActionStore::list() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<const Action>> out;
  for (const auto& [name, action] : actions_) out.push_back(action);
  return out;
}

}  // namespace snet::whisk
