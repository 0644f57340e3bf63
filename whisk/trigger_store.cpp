#include "trigger_store.hpp"

#include "snet/clock.hpp"

namespace snet::whisk {
namespace {

constexpr const char* kExists = "resource already exists";
constexpr const char* kNotFound = "The requested resource does not exist.";

nlohmann::json key_values(const nlohmann::json& body, const char* field) {
  try {
    return key_value_list(body, field);
  } catch (const BadAction& e) {
    throw EntityError(400, e.what());
  }
}

// {"name": "a", "path": "guest"} for "/guest/a", as OpenWhisk writes entity references.
nlohmann::json reference(const std::string& qualified) {
  const auto slash = qualified.rfind('/');
  return {{"name", qualified.substr(slash + 1)}, {"path", qualified.substr(1, slash - 1)}};
}

std::string short_name(const std::string& qualified) {
  return qualified.substr(qualified.rfind('/') + 1);
}

}  // namespace

nlohmann::json Trigger::to_json() const {
  nlohmann::json out = {{"namespace", ns},
                        {"name", name},
                        {"version", version},
                        {"publish", publish},
                        {"parameters", parameters},
                        {"limits", nlohmann::json::object()},
                        {"annotations", annotations},
                        {"updated", updated_ms}};
  if (!rules.empty()) {
    nlohmann::json links = nlohmann::json::object();
    for (const auto& [rule, link] : rules) {
      links[rule] = {{"action", reference(link.action)}, {"status", link.status}};
    }
    out["rules"] = links;
  }
  return out;
}

nlohmann::json Rule::to_json(const std::string& status) const {
  return {{"namespace", ns},
          {"name", name},
          {"version", version},
          {"publish", publish},
          {"annotations", annotations},
          {"trigger", reference(trigger)},
          {"action", reference(action)},
          {"status", status},
          {"updated", updated_ms}};
}

std::string TriggerStore::qualify(const nlohmann::json& given, const char* what) const {
  if (!given.is_string() || given.get<std::string>().empty()) {
    throw EntityError(400, "rule requires a valid trigger and a valid action");
  }
  try {
    return qualified_name(given.get<std::string>(), ns_);
  } catch (const std::invalid_argument& e) {
    throw EntityError(400, std::string("the rule's ") + what + " " + e.what());
  }
}

Trigger TriggerStore::put_trigger(const std::string& name, const nlohmann::json& body,
                                  bool overwrite) {
  if (!body.is_object()) throw EntityError(400, "the request body must be a JSON object");
  std::lock_guard lock(mutex_);
  auto it = triggers_.find(name);
  if (it != triggers_.end() && !overwrite) throw EntityError(409, kExists);
  Trigger trigger;
  if (it != triggers_.end()) {
    trigger = it->second;
    trigger.version = next_patch(trigger.version);
  }
  trigger.ns = ns_;
  trigger.name = name;
  if (body.contains("parameters")) trigger.parameters = key_values(body, "parameters");
  if (body.contains("annotations")) trigger.annotations = key_values(body, "annotations");
  if (body.contains("version") && body["version"].is_string()) trigger.version = body["version"];
  if (body.contains("publish") && body["publish"].is_boolean()) trigger.publish = body["publish"];
  trigger.updated_ms = now_us() / 1000;
  triggers_[name] = trigger;
  return trigger;
}

std::optional<Trigger> TriggerStore::trigger(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = triggers_.find(name);
  if (it == triggers_.end()) return std::nullopt;
  return it->second;
}

std::optional<Trigger> TriggerStore::remove_trigger(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = triggers_.find(name);
  if (it == triggers_.end()) return std::nullopt;
  Trigger removed = std::move(it->second);
  triggers_.erase(it);
  return removed;
}

std::vector<Trigger> TriggerStore::triggers() const {
  std::lock_guard lock(mutex_);
  std::vector<Trigger> out;
  for (const auto& [name, trigger] : triggers_) out.push_back(trigger);
  return out;
}

std::string TriggerStore::status_of(const Rule& rule) const {
  auto it = triggers_.find(short_name(rule.trigger));
  if (it == triggers_.end()) return kRuleInactive;
  auto link = it->second.rules.find(ns_ + "/" + rule.name);
  return link == it->second.rules.end() ? kRuleInactive : link->second.status;
}

std::pair<Rule, std::string> TriggerStore::put_rule(const std::string& name,
                                                    const nlohmann::json& body, bool overwrite,
                                                    const ActionStore& actions) {
  if (!body.is_object()) throw EntityError(400, "the request body must be a JSON object");
  std::lock_guard lock(mutex_);
  auto existing = rules_.find(name);
  if (existing != rules_.end() && !overwrite) throw EntityError(409, kExists);
  Rule rule;
  std::string status = kRuleActive;
  if (existing != rules_.end()) {
    rule = existing->second;
    rule.version = next_patch(rule.version);
    status = status_of(rule);
  } else if (!body.contains("trigger") || !body.contains("action")) {
    throw EntityError(400, "rule requires a valid trigger and a valid action");
  }
  rule.ns = ns_;
  rule.name = name;
  if (body.contains("trigger")) rule.trigger = qualify(body["trigger"], "trigger");
  if (body.contains("action")) rule.action = qualify(body["action"], "action");
  if (body.contains("annotations")) rule.annotations = key_values(body, "annotations");
  if (body.contains("version") && body["version"].is_string()) rule.version = body["version"];
  if (body.contains("publish") && body["publish"].is_boolean()) rule.publish = body["publish"];
  auto trigger = triggers_.find(short_name(rule.trigger));
  if (trigger == triggers_.end()) {
    throw EntityError(400, "The trigger '" + rule.trigger + "' of the rule does not exist.");
  }
  if (!actions.find(short_name(rule.action))) {
    throw EntityError(400, "The action '" + rule.action + "' of the rule does not exist.");
  }
  const std::string key = ns_ + "/" + name;
  if (existing != rules_.end()) {  // the old trigger lets go of the rule
    if (auto old = triggers_.find(short_name(existing->second.trigger)); old != triggers_.end()) {
      old->second.rules.erase(key);
    }
  }
  trigger->second.rules[key] = {rule.action, status};
  rule.updated_ms = now_us() / 1000;
  rules_[name] = rule;
  return {rule, status};
}

std::optional<std::pair<Rule, std::string>> TriggerStore::rule(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = rules_.find(name);
  if (it == rules_.end()) return std::nullopt;
  return std::make_pair(it->second, status_of(it->second));
}

std::optional<Rule> TriggerStore::remove_rule(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = rules_.find(name);
  if (it == rules_.end()) return std::nullopt;
  Rule removed = std::move(it->second);
  rules_.erase(it);
  if (auto trigger = triggers_.find(short_name(removed.trigger)); trigger != triggers_.end()) {
    trigger->second.rules.erase(ns_ + "/" + name);
  }
  return removed;
}

std::vector<std::pair<Rule, std::string>> TriggerStore::rules() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<Rule, std::string>> out;
  for (const auto& [name, rule] : rules_) out.emplace_back(rule, status_of(rule));
  return out;
}

void TriggerStore::set_rule_status(const std::string& name, const std::string& status) {
  if (status != kRuleActive && status != kRuleInactive) {
    throw EntityError(400, "status must be 'active' or 'inactive'");
  }
  std::lock_guard lock(mutex_);
  auto it = rules_.find(name);
  if (it == rules_.end()) throw EntityError(404, kNotFound);
  auto trigger = triggers_.find(short_name(it->second.trigger));
  if (trigger == triggers_.end()) {
    throw EntityError(404, "Only rules with existing triggers can be activated");
  }
  trigger->second.rules[ns_ + "/" + name] = {it->second.action, status};
}

}  // namespace snet::whisk
