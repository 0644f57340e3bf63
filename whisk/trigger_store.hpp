// snet-whisk's triggers and rules, kept in memory, as OpenWhisk's controller keeps them
// (core/controller .../Triggers.scala, Rules.scala): a rule links a trigger to an action; its
// status (active / inactive) is kept in the trigger, as OpenWhisk does. Firing a trigger with at
// least one active rule invokes each active rule's action (non-blocking) with the trigger's
// parameters merged under the payload, and records a trigger activation whose logs are one
// JSON line per rule ({"statusCode","success","activationId"|"error","rule","action"}).
// With an EntitySink (set before serving), every change is told to it under the store's mutex:
// a trigger (with its rules' statuses) and a rule are one entity each, as in OpenWhisk.
// Thread safety: every TriggerStore method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "action_store.hpp"
#include "entity_sink.hpp"

namespace snet::whisk {

inline constexpr const char* kRuleActive = "active";
inline constexpr const char* kRuleInactive = "inactive";

struct Trigger {
  std::string ns;
  std::string name;
  nlohmann::json parameters = nlohmann::json::array();
  nlohmann::json annotations = nlohmann::json::array();
  std::string version = "0.0.1";
  bool publish = false;
  std::int64_t updated_ms = 0;
  struct Link {
    std::string action;  // "/ns/name"
    std::string status = kRuleActive;
  };
  std::map<std::string, Link> rules;  // by "ns/rule"

  nlohmann::json to_json() const;
  /// Back from to_json() (rules' statuses included). Throws EntityError(400).
  static Trigger from_json(const nlohmann::json& entity);
};

struct Rule {
  std::string ns;
  std::string name;
  std::string trigger;  // "/ns/name"
  std::string action;   // "/ns/name"
  nlohmann::json annotations = nlohmann::json::array();
  std::string version = "0.0.1";
  bool publish = false;
  std::int64_t updated_ms = 0;

  nlohmann::json to_json(const std::string& status) const;
  /// Back from to_json() (the status is its trigger's). Throws EntityError(400).
  static Rule from_json(const nlohmann::json& entity);
};

/// A request that cannot be carried out: the HTTP status and OpenWhisk's text.
struct EntityError : std::runtime_error {
  EntityError(int status, const std::string& text) : std::runtime_error(text), status(status) {}
  int status;
};

class TriggerStore {
 public:
  explicit TriggerStore(std::string ns) : ns_(std::move(ns)) {}

  /// Tells `sink` (nullptr: nobody) of every later change; it must outlive the store's use.
  void set_sink(EntitySink* sink);
  /// Puts back entities kept from an earlier run, as they were (no checks, the sink not told):
  /// a rule's status comes with its trigger.
  void restore(std::vector<Trigger> triggers, std::vector<Rule> rules);

  /// PUT .../triggers/{name}: creates, or with `overwrite` updates (parameters, annotations,
  /// version; its rules stay). Throws EntityError (409 exists, 400 bad body).
  Trigger put_trigger(const std::string& name, const nlohmann::json& body, bool overwrite);
  std::optional<Trigger> trigger(const std::string& name) const;
  std::optional<Trigger> remove_trigger(const std::string& name);
  std::vector<Trigger> triggers() const;

  /// PUT .../rules/{name}: the trigger and the action must exist (`action_exists`); a new rule
  /// is active. Returns the rule and its status. Throws EntityError.
  std::pair<Rule, std::string> put_rule(const std::string& name, const nlohmann::json& body,
                                        bool overwrite, const ActionStore& actions);
  /// The rule and its status (as its trigger has it; inactive when the trigger is gone).
  std::optional<std::pair<Rule, std::string>> rule(const std::string& name) const;
  std::optional<Rule> remove_rule(const std::string& name);
  std::vector<std::pair<Rule, std::string>> rules() const;
  /// POST .../rules/{name} {"status": "active"|"inactive"}. Throws EntityError (404, 400).
  void set_rule_status(const std::string& name, const std::string& status);

  /// "/_/a", "ns/a", "a" -> "/ns/a"; throws EntityError(400) for another namespace or a package.
  std::string qualify(const nlohmann::json& given, const char* what) const;

 private:
  std::string status_of(const Rule& rule) const;     // mutex_ held
  void save_trigger(const std::string& name) const;  // mutex_ held
  const std::string ns_;
  mutable std::mutex mutex_;
  std::map<std::string, Trigger> triggers_;
  std::map<std::string, Rule> rules_;
  EntitySink* sink_ = nullptr;
};

}  // namespace snet::whisk
