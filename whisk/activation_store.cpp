#include "activation_store.hpp"

#include <algorithm>

namespace snet::whisk {

int status_code(const std::string& status) {
  if (status == kSuccess) return 0;
  if (status == kApplicationError) return 1;
  if (status == kDeveloperError) return 2;
  return 3;
}

nlohmann::json ActivationRecord::to_json(bool with_logs) const {
  // The annotations OpenWhisk's invoker (an action) or controller (a sequence) writes.
  nlohmann::json annotations = nlohmann::json::array();
  const bool sequence = kind == "sequence";
  const bool trigger = kind.empty();  // a trigger's: no annotations, end 0, no duration
  if (sequence) annotations.push_back({{"key", "topmost"}, {"value", topmost}});
  if (!trigger) {
    annotations.push_back({{"key", "path"}, {"value", ns + "/" + name}});
    annotations.push_back({{"key", "kind"}, {"value", kind}});
    if (!cause.empty()) annotations.push_back({{"key", "causedBy"}, {"value", "sequence"}});
    if (!sequence || !limits.empty()) annotations.push_back({{"key", "limits"}, {"value", limits}});
    annotations.push_back({{"key", "waitTime"}, {"value", wait_ms}});
    if (init_ms >= 0) annotations.push_back({{"key", "initTime"}, {"value", init_ms}});
  }
  nlohmann::json out = {
      {"namespace", ns},
      {"name", name},
      {"version", version},
      {"subject", ns},
      {"activationId", id},
      {"start", start_ms},
      {"end", end_ms},
      {"duration", duration_ms >= 0 ? duration_ms : end_ms - start_ms},
      {"statusCode", status_code(status)},
      {"response",
       {{"status", status},
        {"statusCode", status_code(status)},
        {"success", success()},
        {"result", result}}},
      {"annotations", annotations},
      {"publish", false},
  };
  if (!cause.empty()) out["cause"] = cause;
  if (trigger) out.erase("duration");
  out["logs"] = with_logs ? nlohmann::json(logs) : nlohmann::json::array();
  return out;
}

ActivationStore::ActivationStore(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

void ActivationStore::put(std::shared_ptr<const ActivationRecord> record) {
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(record->id); it != index_.end()) {
    order_.erase(it->second);
    index_.erase(it);
  }
  order_.push_front(std::move(record));
  index_[order_.front()->id] = order_.begin();
  while (order_.size() > capacity_) {
    index_.erase(order_.back()->id);
    order_.pop_back();
  }
}

std::shared_ptr<const ActivationRecord> ActivationStore::find(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(id);
  if (it == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second);  // read: most recently used
  return *it->second;
}

std::vector<std::shared_ptr<const ActivationRecord>> ActivationStore::list(
    std::size_t limit, std::size_t skip, const std::string& name) const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<const ActivationRecord>> matching;
  for (const auto& record : order_) {
    if (name.empty() || record->name == name) matching.push_back(record);
  }
  // order_ is by recency of use; a listing is by time, newest first.
  std::stable_sort(matching.begin(), matching.end(),
                   [](const auto& a, const auto& b) { return a->start_ms > b->start_ms; });
  std::vector<std::shared_ptr<const ActivationRecord>> out;
  for (std::size_t i = skip; i < matching.size() && out.size() < limit; ++i) {
    out.push_back(matching[i]);
  }
  return out;
}

std::size_t ActivationStore::size() const {
  std::lock_guard lock(mutex_);
  return order_.size();
}

}  // namespace snet::whisk
