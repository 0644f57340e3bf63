#include "action_store.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <string_view>

#include "snet/clock.hpp"

namespace snet::whisk {
namespace {

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

// Sets annotation `key` to `value`, replacing an earlier one.
void set_annotation(nlohmann::json& annotations, const std::string& key, nlohmann::json value) {
  for (auto& a : annotations) {
    if (a["key"] == key) {
      a["value"] = std::move(value);
      return;
    }
  }
  annotations.push_back({{"key", key}, {"value", std::move(value)}});
}

std::string component_name(const nlohmann::json& given, const std::string& ns) {
  if (!given.is_string() || given.get<std::string>().empty()) {
    throw BadAction("exec.components must be action names, not " + given.dump());
  }
  try {
    return qualified_name(given.get<std::string>(), ns);
  } catch (const std::invalid_argument& e) {
    throw BadAction(std::string("sequence component: ") + e.what());
  }
}

// OpenWhisk's rule (Exec.isBinaryCode): code that is base64 through and through is a binary
// (zipped) action, whatever "binary" says.
bool is_binary_code(const std::string& code) {
  const auto first = code.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return false;
  const auto last = code.find_last_not_of(" \t\r\n");
  const std::string_view text(code.data() + first, last - first + 1);
  if (text.size() % 4 != 0) return false;
  std::size_t padding = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = text[i];
    if (c == '=') {
      if (i + 2 < text.size()) return false;  // '=' only in the last two places
      ++padding;
    } else if (padding > 0 || (std::isalnum(c) == 0 && c != '+' && c != '/')) {
      return false;
    }
  }
  return true;
}

void parse_exec(const nlohmann::json& exec, const std::string& ns, Action& action) {
  if (!exec.is_object()) throw BadAction("exec must be an object");
  const std::string kind = exec.value("kind", std::string());
  action.components.clear();
  action.archive.reset();
  if (kind == kSequenceKind) {
    const auto& components = exec.contains("components") ? exec["components"] : nlohmann::json();
    if (!components.is_array() || components.empty()) {
      throw BadAction("No component specified for the sequence.");
    }
    for (const auto& c : components) action.components.push_back(component_name(c, ns));
    action.kind = kSequenceKind;
    action.code.clear();
    action.binary = false;
    action.main.clear();
    return;
  }
  if (kind == "blackbox") {
    throw BadAction("exec.kind 'blackbox' is not supported by snet-whisk (Node.js only)");
  }
  // Every Node.js kind runs on the one installed Node.js; the kind is kept as given.
  if (kind == "nodejs:default" || kind == "nodejs") {
    action.kind = default_kind();
  } else if (kind.rfind("nodejs:", 0) == 0) {
    action.kind = kind;
  } else {
    throw BadAction("The specified runtime '" + kind +
                    "' is not supported by this platform. Valid values are: 'nodejs:default', "
                    "'nodejs:20', 'sequence'.");
  }
  if (!exec.contains("code") || !exec["code"].is_string() ||
      exec["code"].get<std::string>().empty()) {
    throw BadAction("exec.code must be the action's source text (or, binary, its base64 zip)");
  }
  action.code = exec["code"].get<std::string>();
  action.binary = is_binary_code(action.code);
  action.main.clear();
  if (exec.contains("main")) {
    if (!exec["main"].is_string()) throw BadAction("exec.main must be a function name");
    action.main = exec["main"].get<std::string>();
    static const std::regex kMain(R"(^[A-Za-z_$][\w$]*$|^[^.]+\.[A-Za-z_$][\w$]*$)");
    if (!action.main.empty() && !std::regex_match(action.main, kMain)) {
      throw BadAction("Name of main function is not valid: '" + action.main + "'");
    }
  }
}

}  // namespace

std::string next_patch(const std::string& version) {
  const auto dot = version.rfind('.');
  try {
    return version.substr(0, dot + 1) + std::to_string(std::stol(version.substr(dot + 1)) + 1);
  } catch (const std::exception&) {
    return "0.0.1";
  }
}

std::string qualified_name(const std::string& given, const std::string& ns) {
  std::string text = given;
  if (!text.empty() && text[0] == '/') text.erase(0, 1);
  const auto slash = text.find('/');
  if (slash == std::string::npos) return "/" + ns + "/" + text;
  const std::string owner = text.substr(0, slash);
  const std::string name = text.substr(slash + 1);
  if (name.empty() || name.find('/') != std::string::npos || (owner != "_" && owner != ns)) {
    throw std::invalid_argument("'" + given + "' is not an entity of namespace " + ns +
                                " (packages are not served)");
  }
  return "/" + ns + "/" + name;
}

nlohmann::json key_value_list(const nlohmann::json& body, const char* field) {
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

std::string default_kind() {
  return "nodejs:20";
}

nlohmann::json Action::annotation(const std::string& key) const {
  for (const auto& a : annotations) {
    if (a["key"] == key) return a["value"];
  }
  return nullptr;
}

nlohmann::json Action::to_json(bool with_code) const {
  nlohmann::json exec = {{"kind", kind}};
  if (is_sequence()) {
    exec["components"] = components;
  } else {
    if (with_code) exec["code"] = code;
    exec["binary"] = binary;
    if (!main.empty()) exec["main"] = main;
  }
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
          {"annotations", annotations},
          {"updated", updated_ms}};
}

nlohmann::json Action::merged_params(const nlohmann::json& payload) const {
  nlohmann::json out = nlohmann::json::object();
  if (!is_sequence()) {  // a sequence's only parameter is "_actions", never passed on
    for (const auto& p : parameters) out[p["key"].get<std::string>()] = p["value"];
  }
  if (payload.is_object()) {
    for (const auto& [key, value] : payload.items()) out[key] = value;
  }
  return out;
}

Action parse_action_put(const nlohmann::json& body, const std::string& ns, const std::string& name,
                        const Action* existing) {
  if (!body.is_object()) throw BadAction("the request body must be a JSON object");
  Action action;
  const bool was_sequence = existing != nullptr && existing->is_sequence();
  if (existing != nullptr) {
    action = *existing;
    action.version = next_patch(existing->version);
  }
  action.ns = ns;
  action.name = name;
  if (body.contains("exec")) {
    parse_exec(body["exec"], ns, action);
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
  // Parameters as OpenWhisk's controller keeps them: a sequence's are only "_actions" (its
  // components); a body's replace the old ones; an update without any keeps the old ones,
  // unless the action changes between sequence and code.
  if (action.is_sequence()) {
    nlohmann::json names = nlohmann::json::array();
    for (const auto& c : action.components) names.push_back(c);
    action.parameters = nlohmann::json::array({{{"key", "_actions"}, {"value", names}}});
  } else if (body.contains("parameters")) {
    action.parameters = key_value_list(body, "parameters");
  } else if (was_sequence || existing == nullptr) {
    action.parameters = nlohmann::json::array();
  }
  // Annotations: an update adds to (and overrides) the old ones; a new action that does not ask
  // for its API key does not get it (OpenWhisk's provide-api-key); "exec" always says the kind.
  if (body.contains("annotations")) {
    for (const auto& a : key_value_list(body, "annotations")) {
      set_annotation(action.annotations, a["key"].get<std::string>(), a["value"]);
    }
  }
  if (existing == nullptr && action.annotation("provide-api-key").is_null()) {
    set_annotation(action.annotations, "provide-api-key", false);
  }
  set_annotation(action.annotations, "exec", action.is_sequence() ? kSequenceKind : action.kind);
  if (body.contains("publish") && body["publish"].is_boolean()) action.publish = body["publish"];
  if (body.contains("version") && body["version"].is_string()) action.version = body["version"];
  action.updated_ms = now_us() / 1000;
  return action;
}

Action stored_action(const nlohmann::json& entity, const std::string& ns) {
  if (!entity.is_object() || !entity.contains("name") || !entity["name"].is_string()) {
    throw BadAction("not an action: no \"name\"");
  }
  Action action = parse_action_put(entity, ns, entity["name"].get<std::string>(), nullptr);
  if (entity.contains("updated") && entity["updated"].is_number_integer()) {
    action.updated_ms = entity["updated"].get<std::int64_t>();
  }
  return action;
}

void ActionStore::set_sink(EntitySink* sink) {
  std::lock_guard lock(mutex_);
  sink_ = sink;
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
  if (sink_ != nullptr) sink_->saved(kActions, stored->name, stored->to_json());
  return stored;
}

std::shared_ptr<const Action> ActionStore::remove(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = actions_.find(name);
  if (it == actions_.end()) return nullptr;
  auto removed = std::move(it->second);
  actions_.erase(it);
  if (sink_ != nullptr) sink_->removed(kActions, name);
  return removed;
}

std::vector<std::shared_ptr<const Action>> ActionStore::list() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<const Action>> out;
  for (const auto& [name, action] : actions_) out.push_back(action);
  return out;
}

}  // namespace snet::whisk
