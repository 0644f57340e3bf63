// snet-whisk's entities on disk: one JSON file per entity under <dir>/<collection>/, written
// atomically (a temporary file, then rename) with mode 0600 (an action's code and parameters may
// hold secrets), removed when the entity is. load() reads them back at start; a file that is not
// an entity is logged by name, counted and skipped, never fatal.
// A write that fails (disk full, permissions) is logged and counted: the entity is still served
// from memory, it just does not survive a restart.
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "entity_sink.hpp"

namespace snet::whisk {

struct StoredEntity {
  std::string collection;  // kActions, kTriggers or kRules
  std::string name;
  nlohmann::json entity;
};

class EntityFiles : public EntitySink {
 public:
  /// Creates `dir` (mode 0700) when missing. Throws std::runtime_error naming it when it cannot.
  explicit EntityFiles(std::string dir);

  void saved(const std::string& collection, const std::string& name,
             const nlohmann::json& entity) override;
  void removed(const std::string& collection, const std::string& name) override;

  /// Every entity of `collection` on disk, by name. Skips (logs, counts in corrupt()) files
  /// that are not JSON objects with this file's "name"; removes leftover temporary files.
  std::vector<StoredEntity> load(const std::string& collection);

  std::size_t corrupt() const { return corrupt_; }
  std::size_t write_errors() const { return write_errors_; }
  const std::string& dir() const { return dir_; }
  /// The file holding `name` of `collection` (names are percent-encoded past [A-Za-z0-9_-]).
  std::string path(const std::string& collection, const std::string& name) const;

 private:
  const std::string dir_;
  std::mutex mutex_;  // one writer at a time: temporary file names are per entity
  std::atomic<std::size_t> corrupt_{0};
  std::atomic<std::size_t> write_errors_{0};
};

}  // namespace snet::whisk
