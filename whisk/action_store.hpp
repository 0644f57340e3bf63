// snet-whisk's actions, kept in memory: what `PUT .../actions/{name}` stored, in OpenWhisk's
// JSON shape (WhiskAction: namespace, name, version, exec, limits, parameters, annotations).
// Thread safety: every ActionStore method may be called from any thread; an Action is immutable
// once stored (an update stores a new one with a higher revision).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace snet::whisk {

struct ActionLimits {
  long timeout_ms = 60000;  // OpenWhisk: 100 .. 300000, default 60000
  long memory_mb = 256;     // accepted and reported; snet-whisk does not enforce it
  long logs_mb = 10;
  long concurrency = 1;  // activations one worker runs at once (OpenWhisk's intra-container)
};

struct Action {
  std::string ns;  // the namespace's real name ("guest"), never "_"
  std::string name;
  std::string kind;  // "nodejs:20" ("nodejs:default" is resolved at create time)
  std::string code;
  ActionLimits limits;
  nlohmann::json parameters = nlohmann::json::array();   // [{"key", "value"}]: defaults
  nlohmann::json annotations = nlohmann::json::array();  // [{"key", "value"}]
  std::string version = "0.0.1";
  bool publish = false;
  std::int64_t updated_ms = 0;
  std::uint64_t revision = 0;  // unique per stored version: workers of older code are retired

  /// OpenWhisk's JSON for an action; `with_code` false for listings (exec without "code").
  nlohmann::json to_json(bool with_code = true) const;
  /// The bound parameters as an object, overridden by `payload` (invocation parameters win).
  nlohmann::json merged_params(const nlohmann::json& payload) const;
};

/// A PUT body that cannot become an action: HTTP 400 with this text.
struct BadAction : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Builds the action a PUT body describes, on top of `existing` when updating (fields the body
/// omits keep their old values, as OpenWhisk does). Throws BadAction naming the problem.
Action parse_action_put(const nlohmann::json& body, const std::string& ns, const std::string& name,
                        const Action* existing);

/// What "nodejs:default" means here (the kind of the Node.js that runs the workers).
std::string default_kind();

class ActionStore {
 public:
  std::shared_ptr<const Action> find(const std::string& name) const;
  /// Stores `action` with a fresh revision; returns the stored copy.
  std::shared_ptr<const Action> put(Action action);
  /// Removes and returns the action (nullptr when there was none).
  std::shared_ptr<const Action> remove(const std::string& name);
  std::vector<std::shared_ptr<const Action>> list() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const Action>> actions_;
  std::uint64_t next_revision_ = 1;
};

}  // namespace snet::whisk
