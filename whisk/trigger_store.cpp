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

// "/guest/a" from {"name": "a", "path": "guest"}.
std::string referenced(const nlohmann::json& ref) {
  if (!ref.is_object() || !ref.contains("name") || !ref["name"].is_string() ||
      !ref.contains("path") || !ref["path"].is_string()) {
    throw EntityError(400, "not an entity reference: " + ref.dump());
  }
  return "/" + ref["path"].get<std::string>() + "/" + ref["name"].get<std::string>();
}

// The common fields of a stored trigger or rule; throws EntityError(400) when one is amiss.
template <class Entity>
void common_from_json(const nlohmann::json& j, Entity& e) {
  try {
    e.ns = j.at("namespace").get<std::string>();
    e.name = j.at("name").get<std::string>();
    e.version = j.value("version", e.version);
    e.publish = j.value("publish", false);
    e.updated_ms = j.value("updated", std::int64_t{0});
    e.annotations = j.value("annotations", nlohmann::json::array());
  } catch (const nlohmann::json::exception& error) {
    throw EntityError(400, error.what());
  }
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

Trigger Trigger::from_json(const nlohmann::json& entity) {
  if (!entity.is_object()) throw EntityError(400, "a trigger must be a JSON object");
  Trigger trigger;
  common_from_json(entity, trigger);
  trigger.parameters = entity.value("parameters", nlohmann::json::array());
  if (entity.contains("rules")) {
    const auto& links = entity["rules"];
    if (!links.is_object()) throw EntityError(400, "a trigger's rules must be an object");
    for (const auto& [rule, link] : links.items()) {
      if (!link.is_object() || !link.contains("status") || !link["status"].is_string()) {
        throw EntityError(400, "the trigger's rule " + rule + " has no status");
      }
      trigger.rules[rule] = {referenced(link.contains("action") ? link["action"] : nullptr),
                             link["status"].get<std::string>()};
    }
  }
  return trigger;
}

Rule Rule::from_json(const nlohmann::json& entity) {
  if (!entity.is_object()) throw EntityError(400, "a rule must be a JSON object");
  Rule rule;
  common_from_json(entity, rule);
  rule.trigger = referenced(entity.contains("trigger") ? entity["trigger"] : nullptr);
  rule.action = referenced(entity.contains("action") ? entity["action"] : nullptr);
  return rule;
}

void TriggerStore::set_sink(EntitySink* sink) {
  std::lock_guard lock(mutex_);
  sink_ = sink;
}

void TriggerStore::restore(std::vector<Trigger> triggers, std::vector<Rule> rules) {
  std::lock_guard lock(mutex_);
  for (auto& trigger : triggers) triggers_[trigger.name] = std::move(trigger);
  for (auto& rule : rules) rules_[rule.name] = std::move(rule);
}

void TriggerStore::save_trigger(const std::string& name) const {
  if (sink_ == nullptr) return;
  auto it = triggers_.find(name);
  if (it != triggers_.end()) sink_->saved(kTriggers, name, it->second.to_json());
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
  save_trigger(name);
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
  if (sink_ != nullptr) sink_->removed(kTriggers, name);
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
      save_trigger(old->first);
    }
  }
  trigger->second.rules[key] = {rule.action, status};
  rule.updated_ms = now_us() / 1000;
  rules_[name] = rule;
  save_trigger(trigger->first);
  if (sink_ != nullptr) sink_->saved(kRules, name, rule.to_json(status));
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
  if (sink_ != nullptr) sink_->removed(kRules, name);
  if (auto trigger = triggers_.find(short_name(removed.trigger)); trigger != triggers_.end()) {
    trigger->second.rules.erase(ns_ + "/" + name);
    save_trigger(trigger->first);
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
  save_trigger(trigger->first);
}

}  // namespace snet::whisk
