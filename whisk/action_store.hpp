// snet-whisk's actions, kept in memory: what `PUT .../actions/{name}` stored, in OpenWhisk's
// JSON shape (WhiskAction: namespace, name, version, exec, limits, parameters, annotations).
// With an EntitySink (set before serving), every put and remove is told to it, under the store's
// mutex, so what survives a restart is what was stored last.
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

#include "action_archive.hpp"
#include "entity_sink.hpp"

namespace snet::whisk {

/// OpenWhisk's exec kind of a sequence, and its longest (inlined) length
/// (limits.actions.sequence.maxLength).
inline constexpr const char* kSequenceKind = "sequence";
inline constexpr std::size_t kMaxSequenceLength = 50;

struct ActionLimits {
  long timeout_ms = 60000;  // OpenWhisk: 100 .. 300000, default 60000
  long memory_mb = 256;     // a worker whose memory (RSS) grows past it is killed
  long logs_mb = 10;        // console output kept per activation
  long concurrency = 1;     // activations one worker runs at once (OpenWhisk's intra-container)
};

struct Action {
  std::string ns;  // the namespace's real name ("guest"), never "_"
  std::string name;
  std::string kind;  // "nodejs:20" ("nodejs:default" is resolved at create time), or "sequence"
  std::string code;  // the source, or for a binary action the base64 zip
  bool binary = false;
  std::string main;  // exec.main as given ("" : "main"); "file.fn" for a zip names a file too
  /// A sequence's components, fully qualified ("/guest/name"), run in this order.
  std::vector<std::string> components;
  std::shared_ptr<const ActionArchive> archive;  // a binary action, unpacked
  ActionLimits limits;
  nlohmann::json parameters = nlohmann::json::array();   // [{"key", "value"}]: defaults
  nlohmann::json annotations = nlohmann::json::array();  // [{"key", "value"}]
  std::string version = "0.0.1";
  bool publish = false;
  std::int64_t updated_ms = 0;
  std::uint64_t revision = 0;  // unique per stored version: workers of older code are retired

  bool is_sequence() const { return kind == kSequenceKind; }
  /// The entry function's name ("main" unless exec.main says otherwise).
  std::string entry() const { return main.empty() ? "main" : main; }
  /// The annotation `key`'s value (null when absent).
  nlohmann::json annotation(const std::string& key) const;
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
/// A sequence's components are only named here ("/_/a", "a" -> "/<ns>/a"), not looked up;
/// a binary action is not unpacked yet.
Action parse_action_put(const nlohmann::json& body, const std::string& ns, const std::string& name,
                        const Action* existing);

/// The action `entity` (Action::to_json() with its code, as an EntitySink was given it) describes,
/// its version and update time kept; a binary action is not unpacked yet. Throws BadAction.
Action stored_action(const nlohmann::json& entity, const std::string& ns);

/// "0.0.7" -> "0.0.8", as OpenWhisk bumps an updated entity's version.
std::string next_patch(const std::string& version);

/// An entity name as given in a body ("/_/a", "/ns/a", "ns/a" or "a") made fully qualified
/// ("/ns/a"). Throws std::invalid_argument for another namespace or a package.
std::string qualified_name(const std::string& given, const std::string& ns);

/// body[field] checked to be OpenWhisk's [{"key", "value"}] list. Throws BadAction.
nlohmann::json key_value_list(const nlohmann::json& body, const char* field);

/// What "nodejs:default" means here (the kind of the Node.js that runs the workers).
std::string default_kind();

class ActionStore {
 public:
  /// Tells `sink` (nullptr: nobody) of every later change; it must outlive the store's use.
  void set_sink(EntitySink* sink);
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
  EntitySink* sink_ = nullptr;
};

}  // namespace snet::whisk
