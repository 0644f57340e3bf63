// Finished activations, kept in memory for `GET .../activations[/{id}]`, at most `capacity`
// of them: the least recently stored or read goes first (LRU), as a real OpenWhisk's records
// also expire. A record appears once its activation has finished (OpenWhisk answers 404 before).
// Thread safety: every ActivationStore method may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace snet::whisk {

/// OpenWhisk's activation statuses (response.status) with their statusCode 0..3.
inline constexpr const char* kSuccess = "success";
inline constexpr const char* kApplicationError = "application error";
inline constexpr const char* kDeveloperError = "action developer error";
inline constexpr const char* kInternalError = "whisk internal error";
int status_code(const std::string& status);

struct ActivationRecord {
  std::string id;
  std::string ns;
  std::string name;
  std::string version;
  std::string kind;           // the action's, or "sequence"
  std::string cause;          // the enclosing sequence's activation id ("" : none)
  bool topmost = true;        // a sequence invoked directly, not as a component of another
  std::int64_t start_ms = 0;  // when the action began to run (or was given up on)
  std::int64_t end_ms = 0;
  std::int64_t wait_ms = 0;   // queued before a worker took it
  std::int64_t init_ms = -1;  // cold start: time to initialize the worker (-1: warm)
  std::string status = kSuccess;
  nlohmann::json result = nlohmann::json::object();
  std::vector<std::string> logs;  // a sequence's: its components' activation ids
  std::int64_t duration_ms = -1;  // -1: end - start (a sequence's: its components' sum)
  nlohmann::json limits = nlohmann::json::object();

  bool success() const { return status == kSuccess; }
  /// OpenWhisk's activation record JSON (activationId, start, end, duration, response, logs...).
  nlohmann::json to_json(bool with_logs = true) const;
};

class ActivationStore {
 public:
  explicit ActivationStore(std::size_t capacity);

  void put(std::shared_ptr<const ActivationRecord> record);
  std::shared_ptr<const ActivationRecord> find(const std::string& id);
  /// Newest first, optionally only those of action `name`, after skipping `skip`.
  std::vector<std::shared_ptr<const ActivationRecord>> list(std::size_t limit, std::size_t skip,
                                                            const std::string& name) const;
  std::size_t size() const;

 private:
  using Order = std::list<std::shared_ptr<const ActivationRecord>>;  // front: most recent
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  Order order_;
  std::unordered_map<std::string, Order::iterator> index_;
};

}  // namespace snet::whisk
