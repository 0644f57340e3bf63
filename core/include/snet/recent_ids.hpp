// A bounded set of recently seen ids (press ids), for at-most-once application of messages that
// QoS 1 may deliver twice. The oldest id is forgotten when the set is full, so memory stays
// bounded however long a service runs; a duplicate older than `capacity` ids is not detected.
// Thread safety: none; the owner serializes access.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace snet {

class RecentIds {
 public:
  explicit RecentIds(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  /// Remembers `id`; returns false when it was already remembered (a duplicate).
  bool insert(std::string_view id) {
    std::string key(id);
    if (seen_.count(key) != 0) return false;
    if (order_.size() < capacity_) {
      order_.push_back(key);  // memory grows lazily: idle devices stay small
    } else {
      seen_.erase(order_[next_]);
      order_[next_] = key;
      next_ = (next_ + 1) % capacity_;
    }
    seen_.insert(std::move(key));
    return true;
  }
  bool contains(std::string_view id) const { return seen_.count(std::string(id)) != 0; }
  std::size_t size() const { return seen_.size(); }

 private:
  std::size_t capacity_;
  std::size_t next_ = 0;            // oldest slot once order_ is full (a ring)
  std::vector<std::string> order_;  // insertion order
  std::unordered_set<std::string> seen_;
};

}  // namespace snet
