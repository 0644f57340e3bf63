// What the entity stores (ActionStore, TriggerStore) tell about each change, so something else
// can keep the entities across restarts (entity_files.hpp writes them to disk; Apache OpenWhisk
// keeps them in CouchDB). The stores call it with their own mutex held, so calls for one entity
// come in the order the changes were made.
// Thread safety: an implementation may be called from any thread, by several stores at once.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace snet::whisk {

/// The collections persisted, as OpenWhisk names them in its REST paths.
inline constexpr const char* kActions = "actions";
inline constexpr const char* kTriggers = "triggers";
inline constexpr const char* kRules = "rules";

class EntitySink {
 public:
  virtual ~EntitySink() = default;
  /// `entity` (OpenWhisk's JSON of it, as GET answers with code included) is now `name`'s.
  virtual void saved(const std::string& collection, const std::string& name,
                     const nlohmann::json& entity) = 0;
  /// `name` no longer exists.
  virtual void removed(const std::string& collection, const std::string& name) = 0;
};

}  // namespace snet::whisk
